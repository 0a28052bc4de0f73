"""Exact repairs (`configurator.repairs`): each alternative is exactly the car Accept leaves.

The property test runs on every shipped catalog: for random choices and an option they block,
quoting each alternative's ``options`` gives its ``total``, and the difference of the two
quotes' choices is exactly ``remove`` and ``add`` plus the wanted code.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from configurator.catalog.loader import CatalogTree, default_catalog_root
from configurator.cli import app
from configurator.configuration import Configuration
from configurator.pricing.engine import Pricer, pricer
from configurator.quote import Quote
from configurator.repairs import (
    Repairs,
    dearest_list_price,
    draft_values,
    find_repairs,
    without_unreachable,
)
from configurator.rules.engine import RulesEngine
from configurator.rules.select import engine_for

ON = dt.date(2026, 3, 1)
MODELS = sorted(CatalogTree(default_catalog_root()).model_ids())


@cache
def setup(model: str) -> tuple[RulesEngine, Pricer]:
    tree = CatalogTree(default_catalog_root())
    catalog = tree.load(model)
    return engine_for(catalog, ON), pricer(catalog, tree.load_market(catalog.market))


def strict_quote(engine: RulesEngine, price: Pricer, options: tuple[str, ...]) -> Quote:
    """`quote MODEL <options>` with the example value for each option that asks one."""
    selection = price.resolve(options)
    values = draft_values(engine, selection, {})
    return price.price(Configuration(engine.catalog.id, options, values), ON)


def check(engine: RulesEngine, price: Pricer, chosen: list[str], found: Repairs) -> None:
    current = set(price.canonical(Configuration(engine.catalog.id, tuple(chosen)))[0])
    for repair in found.alternatives:
        quote = strict_quote(engine, price, repair.options)  # can be finished: no error
        assert quote.total == repair.total
        if found.total is not None:  # else the current car breaks a rule (a default)
            assert repair.delta == repair.total - found.total
        after = set(quote.choices)
        assert after == set(repair.options)
        assert current - after == set(repair.remove)
        assert after - current == {*repair.add, found.want} - current
        assert found.want in price.resolve(repair.options).codes
        assert not repair.missing
    totals = [r.total for r in found.alternatives]
    assert totals == sorted(totals)
    assert len({frozenset(r.options) for r in found.alternatives}) == len(found.alternatives)


@pytest.mark.parametrize("model", MODELS)
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_alternative_quotes_to_its_total_and_differs_exactly(
    model: str, data: st.DataObject
) -> None:
    engine, price = setup(model)
    codes = list(engine.codes)
    chosen: list[str] = []
    for code in data.draw(st.lists(st.sampled_from(codes), max_size=4, unique=True)):
        if engine.consistent([*engine.partial_for(chosen, code), code]):
            chosen = [c for c in engine.partial_for(chosen, code) if c != code] + [code]
    live = [c for c, ok in engine.selectable().items() if ok]
    flags: dict[tuple[str, ...], dict[str, bool]] = {}
    blocked = []
    for code in live:
        partial = tuple(c for c in engine.partial_for(chosen, code) if c != code)
        if partial not in flags:
            flags[partial] = engine.selectable(partial)
        if not flags[partial][code]:
            blocked.append(code)
    if not blocked:
        event("nothing blocked")
        return
    want = data.draw(st.sampled_from(blocked))
    found = find_repairs(engine, price, ON, chosen, want)
    assert not found.available and found.reason
    event(f"{len(found.alternatives)} alternatives")
    assert found.alternatives  # a live option can always be reached by giving up choices
    check(engine, price, chosen, found)


SU7 = ["PAINT-AMETHYST", "WHEEL-FORGED-GOLD", "BADGE-GOLD-24K"]


def test_matte_grey_on_a_gold_badge_su7_adds_what_the_programme_needs() -> None:
    engine, price = setup("xiaomi-su7-ultra")
    found = find_repairs(engine, price, ON, SU7, "PAINT-MATTE-CARBON-GREY")
    assert not found.available
    assert found.reason is not None and found.reason.startswith("24k gold badges")
    check(engine, price, SU7, found)
    best = found.alternatives[0]
    assert best.remove == ("PAINT-AMETHYST", "BADGE-GOLD-24K")
    # the badge and graphics the old text mentioned are really added, with an interior
    # (a real choice: cream or rose), so the car reaches the programme's minimum
    assert {"BADGE-CUSTOM", "GRAPHICS-BODY"} <= set(best.add)
    interiors = [next(c for c in r.add if c.startswith("INT-")) for r in found.alternatives]
    assert interiors[:2] == ["INT-CUSTOM-CREAM", "INT-CUSTOM-ROSE"]
    assert best.needs_values == ("BADGE-CUSTOM",)
    assert "INT-BLACK-YELLOW" in best.leaving and "BADGE-STD" in best.coming
    quote = strict_quote(engine, price, best.options)
    assert all(p.met for p in quote.programmes)


def test_gold_badge_on_a_taycan_offers_each_wheel_priced() -> None:
    engine, price = setup("porsche-taycan")
    found = find_repairs(engine, price, ON, ["WHEEL-21-MISSION-E"], "BADGE-EM-GOLD")
    check(engine, price, ["WHEEL-21-MISSION-E"], found)
    adds = [r.add for r in found.alternatives]
    assert adds == [("PKG-EM-GOLD",), ("WHEEL-EM-FORGED-BLACK",), ("WHEEL-EM-FORGED-GOLD",)]
    black = found.alternatives[1]
    assert black.remove == ("WHEEL-21-MISSION-E",)
    assert black.coming == ("WHEEL-EM-FORGED-BLACK", "BADGE-EM-GOLD")
    assert black.weeks_delta == 20


def test_an_option_already_in_the_car_needs_nothing() -> None:
    engine, price = setup("xiaomi-su7-ultra")
    complete = [*SU7, "INT-CUSTOM-AMETHYST"]  # 114,000.00 of programme options
    found = find_repairs(engine, price, ON, complete, "BADGE-GOLD-24K")
    assert found.available and found.reason is None and found.alternatives == ()


def test_an_option_in_a_car_short_of_the_programme_comes_with_ways_to_finish() -> None:
    engine, price = setup("xiaomi-su7-ultra")
    found = find_repairs(engine, price, ON, SU7, "BADGE-GOLD-24K")  # 84,000.00 of 100,000.00
    assert found.available and found.alternatives
    check(engine, price, SU7, found)
    assert all(r.remove == () for r in found.alternatives)
    assert found.alternatives[0].add == ("GRAPHICS-BODY",)  # the cheapest way to 100,000.00


def test_available_want_json_has_the_documented_shape(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "available",
            "porsche-taycan",
            "WHEEL-21-MISSION-E",
            "--want",
            "BADGE-EM-GOLD",
            "--date",
            "2026-03-01",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    assert list(data)[:4] == ["want", "available", "reason", "alternatives"]
    assert data["want"] == "BADGE-EM-GOLD" and data["available"] is False
    first = data["alternatives"][0]
    for key in ("remove", "add", "options"):
        assert isinstance(first[key], list)
    assert Decimal(first["total"]) > 0 and first["delta"] == "41362.83"
    # the quote of `options` is exactly `total`
    quoted = runner.invoke(
        app, ["quote", "porsche-taycan", *first["options"], "--date", "2026-03-01", "-f", "json"]
    )
    assert json.loads(quoted.stdout)["total"] == first["total"]
    table = runner.invoke(
        app,
        ["available", "porsche-taycan", "WHEEL-21-MISSION-E", "--want", "BADGE-EM-GOLD"],
    )
    assert table.exit_code == 0 and "WHEEL-EM-FORGED-BLACK" in table.stdout


# --- completing a car: quote's message, --complete and buyer values ----------------------------


def test_quote_short_of_the_programme_lists_the_cheapest_additions(runner: CliRunner) -> None:
    args = ["quote", "xiaomi-su7-ultra", "PAINT-SPROUT-YELLOW", "--date", "2026-03-01"]
    result = runner.invoke(app, args)
    assert result.exit_code == 4
    assert "82,000.00 short" in result.stderr
    assert "the cheapest additions that complete it" in result.stderr
    assert "--complete cheapest" in result.stderr
    engine, price = setup("xiaomi-su7-ultra")
    first = result.stderr.split("complete it (the total once added):\n")[1].splitlines()[0]
    total, _, added = first.strip().partition("  + ")
    codes = [w for w in added.split() if not w.startswith("--value") and "=" not in w]
    quote = strict_quote(engine, price, ("PAINT-SPROUT-YELLOW", *codes))
    assert f"{quote.total:,.2f}" == total  # each addition is priced exactly


def test_complete_cheapest_never_picks_an_option_that_asks_a_value(runner: CliRunner) -> None:
    args = ["quote", "xiaomi-su7-ultra", "PAINT-SPROUT-YELLOW", "--complete", "cheapest"]
    result = runner.invoke(app, [*args, "--date", "2026-03-01", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "BADGE-CUSTOM" not in data["choices"]
    assert all(p["met"] for p in data["programmes"])
    given = runner.invoke(
        app, [*args, "--value", "BADGE-CUSTOM=LEI JUN", "--date", "2026-03-01", "-f", "json"]
    )
    # with the value given the custom badge may be used: it is never dearer
    assert Decimal(json.loads(given.stdout)["total"]) <= Decimal(data["total"])


def test_complete_says_which_values_are_needed_when_only_they_complete() -> None:
    from configurator.catalog.schema import Catalog
    from configurator.errors import BadValueError
    from configurator.rules.select import complete_configuration

    catalog = Catalog.model_validate(
        {
            "id": "test-car",
            "brand": "T",
            "name": "Car",
            "model_year": 2026,
            "version": "1",
            "market": "cn",
            "currency": "CNY",
            "powertrain": "bev",
            "nev": True,
            "base_price": 1000,
            "groups": [
                {
                    "id": "extras",
                    "name": "Extras",
                    "choose": "any",
                    "options": [
                        {"code": "SPORT", "name": "Sport", "price": 100},
                        {
                            "code": "NAME",
                            "name": "Name plate",
                            "price": 50,
                            "value": {"prompt": "Text", "kind": "text", "examples": ["Ada"]},
                        },
                    ],
                }
            ],
            "rules": [{"id": "sport-name", "message": "m", "if": "SPORT", "then": "NAME"}],
        }
    )
    with pytest.raises(BadValueError) as caught:
        complete_configuration(catalog, Configuration.of("test-car", ["SPORT"]), "cheapest")
    assert "NAME (Name plate)" in caught.value.message
    assert caught.value.suggestion is not None and "--value NAME='Ada'" in caught.value.suggestion
    done = complete_configuration(
        catalog, Configuration.of("test-car", ["SPORT"], {"NAME": "Ada"}), "cheapest"
    )
    assert set(done.choices) == {"SPORT", "NAME"}


# --- a tax threshold no car of the model reaches -------------------------------------------


def test_without_unreachable_keeps_a_reachable_or_crossed_threshold_only() -> None:
    engine, price = setup("xiaomi-su7-ultra")
    quote = price.price(Configuration.of("xiaomi-su7-ultra", []), ON)
    assert [t.tax_id for t in quote.thresholds] == ["ultra-luxury-tax"]
    dearest = dearest_list_price(engine)
    assert dearest == Decimal("844400.00") < quote.thresholds[0].threshold_price
    shown = without_unreachable(quote, dearest)
    assert shown.thresholds == [] and quote.thresholds[0].message not in shown.notes
    assert shown.total == quote.total and shown.lines == quote.lines
    at_threshold = quote.thresholds[0].threshold_price
    assert without_unreachable(quote, at_threshold) == quote


@pytest.mark.parametrize("output_format", ["table", "markdown", "html"])
def test_quote_hides_a_threshold_the_model_never_reaches(
    runner: CliRunner, output_format: str
) -> None:
    for model, shown in (("xiaomi-su7-ultra", False), ("porsche-taycan", True)):
        args = ["quote", model, "--date", "2026-03-01", "--format", output_format]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert ("1,017,000" in result.stdout) is shown, (model, result.stdout)


def test_quote_json_keeps_the_threshold_data(runner: CliRunner) -> None:
    result = runner.invoke(app, ["quote", "xiaomi-su7-ultra", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [t["tax_id"] for t in json.loads(result.stdout)["thresholds"]] == ["ultra-luxury-tax"]


def _eager_completions(
    engine: RulesEngine, price: Pricer, base: list[str], limit: int
) -> list[tuple[str, ...]]:
    """Lawler's scheme solving every child as soon as it is made (the reference)."""
    import heapq

    from configurator.repairs import choices_for
    from configurator.rules.select import keeping_defaults

    results: list[tuple[str, ...]] = []
    heap: list[Any] = []

    def push(required: tuple[str, ...], excluded: tuple[str, ...]) -> None:
        completion = engine.best_completion([*base, *required], excluded)
        if completion is None:
            return
        completion = keeping_defaults(engine, [*base, *required], excluded, "cheapest", completion)
        options = choices_for(engine, price, base, completion.codes)
        heapq.heappush(
            heap, (completion.total, len(heap) + len(results), required, excluded, options)
        )

    push((), ())
    seen: set[frozenset[str]] = set()
    while heap and len(results) < limit:
        _, _, required, excluded, options = heapq.heappop(heap)
        if frozenset(options) not in seen:
            seen.add(frozenset(options))
            results.append(options)
        additions = [c for c in options if c not in base and c not in required]
        for index, code in enumerate(additions):
            push((*required, *additions[:index]), (*excluded, code))
    return results


@pytest.mark.parametrize("model", MODELS)
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_lazy_completions_find_the_cheapest_cars_as_solving_every_child_does(
    model: str, data: st.DataObject
) -> None:
    """Children solved only when they come first give the same totals, in order, as solving
    each child when it is made."""
    from configurator.repairs import _completions

    engine, price = setup(model)
    open_codes = [c for c, ok in engine.selectable([]).items() if ok]
    base: list[str] = []
    for _ in range(data.draw(st.integers(0, 2))):
        flags = engine.selectable(base)
        choices = [c for c in open_codes if flags[c] and c not in base]
        if not choices:
            break
        base.append(data.draw(st.sampled_from(choices)))
    limit = data.draw(st.integers(1, 6))

    def totals(found: list[tuple[str, ...]]) -> list[Decimal]:
        return [engine.list_price(price.resolve(engine.ordered(o)).codes) for o in found]

    lazy = _completions(engine, price, base, limit)
    eager = _eager_completions(engine, price, base, limit)
    assert len(lazy) == len(eager)
    assert sorted(totals(lazy)) == sorted(totals(eager))
