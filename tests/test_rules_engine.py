"""The rules engine against brute force: small random catalogs, every selection enumerated.

Validity is what :func:`configurator.rules.constraints.violated` says plus every programme's
minimum spend on the charged prices; prices are what the pricing engine makes the subtotal.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from configurator.catalog.checks import check_catalog
from configurator.catalog.schema import Catalog, Market
from configurator.configuration import Configuration, resolve
from configurator.errors import ConfigurationError
from configurator.pricing.engine import pricer
from configurator.rules.constraints import (
    Constraint,
    charged_prices,
    programme_spend,
    spend_constraints,
    violated,
)
from configurator.rules.engine import Explanation, RulesEngine

ON = dt.date(2026, 3, 1)
MARKET = Market.model_validate(
    {"id": "cn", "name": "China", "currency": "CNY", "prices_include_vat": True, "vat_rate": "0.13"}
)
CHOOSE: list[Any] = [
    "exactly-one",
    "at-most-one",
    "any",
    "at-least-one",
    {"min": 1, "max": 2},
    {"min": 2, "max": 3},
]


def small_catalog(**sections: Any) -> Catalog:
    data: dict[str, Any] = {
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
    }
    data.update(sections)
    return Catalog.model_validate(data)


PRICES = st.sampled_from([0, 0, 100, 200, 500, 1200, 3000])


@st.composite
def expressions(draw: st.DrawFn, codes: Sequence[str], depth: int = 2) -> str:
    if depth == 0 or draw(st.booleans()):
        code = draw(st.sampled_from(codes))
        return f"not {code}" if draw(st.integers(0, 3)) == 0 else code
    word = draw(st.sampled_from(["and", "or"]))
    parts = draw(st.lists(expressions(codes, depth - 1), min_size=2, max_size=3))
    return "(" + f" {word} ".join(parts) + ")"


@st.composite
def catalogs(draw: st.DrawFn, max_codes: int = 9) -> Catalog:
    """A valid catalog of at most ``max_codes`` option and package codes, every feature used."""
    group_count = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 3)) for _ in range(group_count)]
    while sum(sizes) > max_codes - 1:
        sizes[sizes.index(max(sizes))] -= 1
    sizes = [s for s in sizes if s > 0]
    groups: list[dict[str, Any]] = []
    all_codes: list[str] = []
    for g, size in enumerate(sizes):
        codes = [f"G{g}-O{i}" for i in range(size)]
        all_codes += codes
        choose = draw(st.sampled_from(CHOOSE))
        low = (
            {"exactly-one": 1, "at-least-one": 1}.get(choose, 0)
            if isinstance(choose, str)
            else choose["min"]
        )
        if low > size:
            choose, low = "any", 0
        options = []
        for code in codes:
            option: dict[str, Any] = {"code": code, "name": code.title(), "price": draw(PRICES)}
            if draw(st.integers(0, 5)) == 0:
                option["available"] = draw(
                    st.sampled_from(
                        [{"until": dt.date(2025, 12, 31)}, {"from": dt.date(2026, 1, 1)}]
                    )
                )
            options.append(option)
        groups.append(
            {
                "id": f"g{g}",
                "name": f"Group {g}",
                "choose": choose,
                "default": codes[:low],
                "options": options,
            }
        )
    option_codes = list(all_codes)
    for group in groups:
        for option in group["options"]:
            if draw(st.integers(0, 6)) == 0:
                others = [c for c in option_codes if c != option["code"]]
                if others:
                    option["brings"] = [draw(st.sampled_from(others))]
    packages = []
    if len(all_codes) < max_codes and draw(st.booleans()):
        includes = draw(
            st.lists(st.sampled_from(option_codes), min_size=1, max_size=2, unique=True)
        )
        packages.append(
            {"code": "PK-A", "name": "Package", "price": draw(PRICES), "includes": includes}
        )
        all_codes.append("PK-A")
    rules = []
    for r in range(draw(st.integers(0, 2))):
        form = draw(st.sampled_from(["requires", "excludes", "if"]))
        rule: dict[str, Any] = {"id": f"r{r}", "message": f"Rule {r}"}
        if form == "requires":
            rule["option"] = draw(st.sampled_from(all_codes))
            rule["requires"] = draw(expressions(all_codes))
        elif form == "excludes":
            rule["option"] = draw(st.sampled_from(all_codes))
            rule["excludes"] = draw(
                st.lists(st.sampled_from(all_codes), min_size=1, max_size=2, unique=True)
            )
        else:
            rule["if"] = draw(expressions(all_codes))
            rule["then"] = draw(expressions(all_codes))
        rules.append(rule)
    tables = []
    for t in range(draw(st.integers(0, 1))):
        scope = draw(
            st.lists(st.sampled_from(range(len(groups))), min_size=1, max_size=2, unique=True)
        )
        members = [[o["code"] for o in groups[i]["options"]] for i in scope]
        rows = draw(
            st.lists(st.tuples(*(st.sampled_from(m) for m in members)), max_size=6, unique=True)
        )
        tables.append(
            {
                "id": f"t{t}",
                "message": f"Table {t}",
                "groups": [groups[i]["id"] for i in scope],
                "kind": draw(st.sampled_from(["allowed", "forbidden", "forbidden"])),
                "rows": [list(r) for r in rows],
            }
        )
    price_rules = []
    if draw(st.booleans()):
        price_rules.append(
            {
                "id": "p0",
                "reason": "Cheaper with",
                "option": draw(st.sampled_from(option_codes)),
                "when": draw(expressions(all_codes, 1)),
                "price": draw(PRICES),
            }
        )
    discounts = []
    if draw(st.booleans()):
        discount: dict[str, Any] = {
            "id": "d0",
            "reason": "Bundle",
            "when": draw(expressions(all_codes, 1)),
        }
        if draw(st.booleans()):
            discount["amount"] = draw(st.sampled_from([50, 300]))
        else:
            discount["percent"] = draw(st.sampled_from(["10", "50"]))
            discount["of"] = draw(
                st.lists(st.sampled_from(all_codes), min_size=1, max_size=2, unique=True)
            )
        discounts.append(discount)
    programmes = []
    if draw(st.booleans()):
        members = draw(st.lists(st.sampled_from(all_codes), min_size=1, max_size=3, unique=True))
        programmes.append(
            {
                "id": "prog",
                "name": "Programme",
                "options": members,
                "minimum_spend": draw(st.sampled_from([0, 300, 1000, 2500])),
            }
        )
    catalog = small_catalog(
        base_price=10000,
        groups=groups,
        packages=packages,
        rules=rules,
        tables=tables,
        price_rules=price_rules,
        discounts=discounts,
        programmes=programmes,
    )
    assert check_catalog(catalog) == []
    return catalog


@dataclass
class Oracle:
    """Every selection of a small catalog, judged by the constraints themselves."""

    catalog: Catalog
    on: dt.date | None

    @cached_property
    def codes(self) -> list[str]:
        return sorted(self.catalog.codes())

    @cached_property
    def constraints(self) -> list[Constraint]:
        from configurator.rules.constraints import constraints

        return [*constraints(self.catalog, self.on), *spend_constraints(self.catalog)]

    def selections(self) -> Iterable[frozenset[str]]:
        for bits in itertools.product((False, True), repeat=len(self.codes)):
            yield frozenset(c for c, bit in zip(self.codes, bits, strict=True) if bit)

    def is_valid(self, selection: frozenset[str]) -> bool:
        if violated(self.catalog, selection, self.on):
            return False
        spends = programme_spend(self.catalog, selection, charged_prices(self.catalog, selection))
        return all(s.met for s in spends)

    @cached_property
    def valid(self) -> list[frozenset[str]]:
        return [s for s in self.selections() if self.is_valid(s)]

    def containing(self, codes: Iterable[str]) -> list[frozenset[str]]:
        wanted = set(codes)
        return [s for s in self.valid if wanted <= s]

    def satisfiable(
        self, present: set[str], absent: set[str], constraints: Sequence[Constraint]
    ) -> bool:
        """Some selection has ``present``, lacks ``absent`` and meets ``constraints``."""
        return any(
            present <= s and not (absent & s) and all(c.holds(s) for c in constraints)
            for s in self.selections()
        )

    def assert_minimal(self, explanation: Explanation, wanted: Sequence[str] = ()) -> None:
        """The explanation's elements conflict, and dropping any one removes the conflict."""
        by_id = {c.id: c for c in self.constraints}
        facts = list(explanation.facts)
        rules = [by_id[r.id] for r in explanation.rules]
        assert rules, "an explanation names at least one rule"

        def consistent(facts: list[Any], rules: list[Constraint]) -> bool:
            present = {f.code for f in facts if f.present} | set(wanted)
            absent = {f.code for f in facts if not f.present}
            return self.satisfiable(present, absent, rules)

        assert not consistent(facts, rules)
        for i in range(len(facts)):
            assert consistent(facts[:i] + facts[i + 1 :], rules), f"{facts[i]} is not needed"
        for i in range(len(rules)):
            assert consistent(facts, rules[:i] + rules[i + 1 :]), f"{rules[i].id} is not needed"


def setup(catalog: Catalog, with_date: bool) -> tuple[RulesEngine, Oracle]:
    on = ON if with_date else None
    return RulesEngine(catalog, on), Oracle(catalog, on)


FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@FAST
@given(catalogs(), st.booleans())
def test_count_dead_and_forced_agree_with_enumeration(catalog: Catalog, with_date: bool) -> None:
    engine, oracle = setup(catalog, with_date)
    assert engine.count() == len(oracle.valid)
    assert isinstance(engine.count(), int)
    assert set(engine.dead_options()) == {
        c for c in oracle.codes if not any(c in s for s in oracle.valid)
    }
    if oracle.valid:
        assert set(engine.forced_options()) == {
            c for c in oracle.codes if all(c in s for s in oracle.valid)
        }
    valid = set(oracle.valid)
    cnf, solver = engine._sat()
    selectors = list(cnf.selector)
    spends = spend_constraints(catalog)
    for selection in oracle.selections():
        assert engine.is_valid(selection) == (selection in valid)
        # The SAT encoding means the same, constraint by constraint.
        facts = [cnf.var[c] if c in selection else -cnf.var[c] for c in oracle.codes]
        assert solver.solve(assumptions=facts + selectors) == (selection in valid)
        # A spend constraint holds exactly when programme_spend on charged prices is met.
        met = programme_spend(catalog, selection, charged_prices(catalog, selection))
        assert all(c.holds(selection) for c in spends) == all(m.met for m in met)


@FAST
@given(catalogs(), st.booleans(), st.data())
def test_valid_domains_and_counts_after_choices(
    catalog: Catalog, with_date: bool, data: st.DataObject
) -> None:
    engine, oracle = setup(catalog, with_date)
    partial = data.draw(st.lists(st.sampled_from(oracle.codes), max_size=3, unique=True))
    possible = oracle.containing(partial)
    selectable = engine.selectable(partial)
    for code in oracle.codes:
        assert selectable[code] == any(code in s for s in possible), code
    domains = engine.valid_domains(partial)
    assert {c for g in domains.values() for c, ok in g.items() if ok} == {
        c for c in oracle.codes if selectable[c] and not c.startswith("PK")
    }
    assert engine.count(partial) == len(possible)
    assert engine.consistent(partial) == bool(possible)
    if possible:
        forced = set(engine.forced_by(partial))
        assert forced == {c for c in oracle.codes if all(c in s for s in possible)}


@FAST
@given(catalogs(), st.booleans(), st.data())
def test_completions_are_the_cheapest_and_dearest(
    catalog: Catalog, with_date: bool, data: st.DataObject
) -> None:
    engine, oracle = setup(catalog, with_date)
    partial = data.draw(st.lists(st.sampled_from(oracle.codes), max_size=2, unique=True))
    possible = oracle.containing(partial)
    if not possible:
        with pytest.raises(ConfigurationError) as raised:
            engine.complete(partial)
        assert raised.value.explanation
        return
    # The price model is the pricing engine's subtotal.
    price = pricer(catalog, MARKET)
    prices = {}
    for selection in possible:
        prices[selection] = engine.list_price(selection)
        if with_date:  # the pricing engine judges availability on a date
            quote = price.price(Configuration.of(catalog.id, sorted(selection)), ON)
            assert quote.subtotal == prices[selection]
    for how, best in (("cheapest", min), ("dearest", max)):
        completion = engine.completion(partial, how)  # type: ignore[arg-type]
        assert completion.codes in possible
        assert completion.total == prices[completion.codes] == best(prices.values())
    ranges = engine.price_ranges(partial)
    for code in oracle.codes:
        with_code = [prices[s] for s in possible if code in s]
        assert ranges[code] == ((min(with_code), max(with_code)) if with_code else None)


@settings(FAST, max_examples=100)
@given(catalogs(max_codes=8), st.booleans(), st.data())
def test_check_is_exact_and_explanations_are_minimal(
    catalog: Catalog, with_date: bool, data: st.DataObject
) -> None:
    engine, oracle = setup(catalog, with_date)
    choices = data.draw(st.lists(st.sampled_from(oracle.codes), max_size=4, unique=True))
    configuration = Configuration.of(catalog.id, choices)
    selection = resolve(catalog, configuration).codes
    result = engine.check(configuration)
    assert result.valid == oracle.is_valid(selection)
    assert result.selection == selection
    if result.valid:
        event("valid")
        assert result.explanation is None
        return
    if result.explanation is None:  # only minimum spends are missing
        event("minimum spend only")
        assert result.shortfalls and not violated(catalog, selection, oracle.on)
        return
    explanation = result.explanation
    event(f"explanation of {len(explanation.facts) + len(explanation.rules)} elements")
    if oracle.containing(choices):
        event("the completion with defaults breaks a rule")
        # The choices can be completed; this selection (its defaults, its absences) cannot.
        assert {f.code for f in explanation.facts if f.present} <= selection
        assert not {f.code for f in explanation.facts if not f.present} & selection
    else:
        assert all(f.source == "chosen" for f in explanation.facts)
    oracle.assert_minimal(explanation)
    assert explanation.lines()
    error = result.error()
    assert error.rule_ids == explanation.rule_ids


@FAST
@given(catalogs(max_codes=8), st.booleans(), st.data())
def test_reasons_and_alternatives(catalog: Catalog, with_date: bool, data: st.DataObject) -> None:
    engine, oracle = setup(catalog, with_date)
    partial = data.draw(st.lists(st.sampled_from(oracle.codes), max_size=3, unique=True))
    if not oracle.containing(partial):
        with pytest.raises(ConfigurationError):
            engine.availability(partial)
        oracle.assert_minimal(engine.explain(partial) or pytest.fail("no explanation"))
        return
    for group in engine.availability(partial):
        for option in group.options:
            assert option.available == bool(oracle.containing([*partial, option.code]))
            assert (option.explanation is None) == option.available
            if option.explanation is not None:
                assert option.reason
                oracle.assert_minimal(option.explanation, wanted=[option.code])


@FAST
@given(catalogs(max_codes=8), st.booleans(), st.data())
def test_an_explanation_does_not_depend_on_what_was_explained_before(
    catalog: Catalog, with_date: bool, data: st.DataObject
) -> None:
    """The same choices get the same explanation from a new engine and from one whose solver
    has explained other choices first (and learned from them): a batch explains each car one
    way, whatever rows came before it and however they were split between workers."""
    engine, oracle = setup(catalog, with_date)
    earlier = data.draw(
        st.lists(st.lists(st.sampled_from(oracle.codes), max_size=4, unique=True), max_size=6)
    )
    partial = data.draw(st.lists(st.sampled_from(oracle.codes), max_size=4, unique=True))
    for choices in earlier:
        engine.explain(choices)
    used = engine.explain(partial)
    fresh = RulesEngine(catalog, ON if with_date else None).explain(partial)
    assert used == fresh
    if used is not None:
        oracle.assert_minimal(used)


@settings(FAST, max_examples=150)
@given(catalogs(max_codes=8), st.booleans(), st.data())
def test_alternatives_are_minimal_and_cheapest_first(
    catalog: Catalog, with_date: bool, data: st.DataObject
) -> None:
    engine, oracle = setup(catalog, with_date)
    if not oracle.valid:
        event("no valid car")
        return
    car = data.draw(st.sampled_from(sorted(oracle.valid, key=sorted)))
    if not car:
        event("the empty car")
        return
    partial = data.draw(st.lists(st.sampled_from(sorted(car)), min_size=1, max_size=4, unique=True))
    blocked = [
        c for c in oracle.codes if not oracle.containing([*partial, c]) and oracle.containing([c])
    ]
    option = data.draw(st.sampled_from(blocked or oracle.codes))
    alternatives = engine.alternatives(partial, option)
    if not blocked:
        event(f"nothing blocked by {len(partial)} choices")
        assert alternatives == []
        return
    assert alternatives
    event(f"{len(alternatives)} alternatives")
    before = min(engine.list_price(s) for s in oracle.containing(partial))
    for alternative in alternatives:
        assert alternative.removes and set(alternative.removes) <= set(partial)
        kept = [c for c in partial if c not in alternative.removes and c != option]
        assert list(alternative.choices) == [*kept, option]
        possible = oracle.containing([*kept, option])
        assert possible
        for removed in alternative.removes:  # minimal: giving up less is not enough
            assert not oracle.containing([*kept, removed, option])
        cheapest = min(engine.list_price(s) for s in possible)
        assert alternative.total == cheapest
        assert alternative.price_delta == cheapest - before
        forced = {c for c in oracle.codes if all(c in s for s in possible)}
        assert set(alternative.adds) <= forced - {*kept, option}
    deltas = [a.price_delta for a in alternatives]
    assert deltas == sorted(deltas)
    assert len({a.removes for a in alternatives}) == len(alternatives)
    # Every minimal way is found (the catalogs are small enough for the limit of 8).
    minimal = [
        removed
        for size in range(1, len(partial) + 1)
        for removed in itertools.combinations(partial, size)
        if oracle.containing([*(c for c in partial if c not in removed), option])
    ]
    minimal = [r for r in minimal if not any(set(o) < set(r) for o in minimal)]
    assert {frozenset(a.removes) for a in alternatives} == {frozenset(r) for r in minimal}


def test_a_catalog_without_valid_configurations() -> None:
    catalog = small_catalog(
        groups=[
            {
                "id": "g",
                "name": "G",
                "choose": "exactly-one",
                "default": ["A"],
                "options": [{"code": "A", "name": "A"}, {"code": "B", "name": "B"}],
            }
        ],
        rules=[
            {"id": "no-a", "message": "No A", "option": "A", "requires": "B"},
            {"id": "no-b", "message": "No B", "option": "B", "requires": "A"},
        ],
    )
    engine = RulesEngine(catalog)
    assert engine.count() == 0
    assert engine.dead_options() == ["A", "B"]
    assert engine.forced_options() == []
    assert engine.valid_domains() == {"g": {"A": False, "B": False}}
    result = engine.check(Configuration.of("test-car"))
    assert not result.valid and result.explanation is not None
    assert {r.id for r in result.explanation.rules} >= {"group:g"}
    with pytest.raises(ConfigurationError):
        engine.complete([])


def test_money_is_exact_decimal() -> None:
    catalog = small_catalog(
        base_price="100.10",
        groups=[
            {
                "id": "g",
                "name": "G",
                "choose": "any",
                "options": [
                    {"code": "A", "name": "A", "price": "0.10"},
                    {"code": "B", "name": "B", "price": "0.20"},
                ],
            }
        ],
        discounts=[
            {"id": "d", "reason": "D", "when": "A and B", "percent": "12.5", "of": ["A", "B"]}
        ],
    )
    engine = RulesEngine(catalog)
    dearest = engine.completion([], "dearest")
    assert dearest.codes == {"A", "B"}
    assert dearest.total == Decimal("100.36")  # 0.30 less 12.5% (0.0375, rounded half up: 0.04)
    assert isinstance(dearest.total, Decimal)


def test_two_ways_to_make_room_cheapest_first() -> None:
    catalog = small_catalog(
        groups=[
            {
                "id": "extras",
                "name": "Extras",
                "choose": "any",
                "options": [
                    {"code": "A", "name": "Alpha", "price": 100},
                    {"code": "B", "name": "Beta", "price": 500},
                    {"code": "X", "name": "Xray", "price": 50},
                    {"code": "Y", "name": "Yoke", "price": 30},
                ],
            },
        ],
        rules=[
            {
                "id": "x-not-both",
                "message": "Xray not with both Alpha and Beta",
                "if": "X",
                "then": "not (A and B)",
            },
            {"id": "x-needs-y", "message": "Xray needs Yoke", "option": "X", "requires": "Y"},
        ],
    )
    engine = RulesEngine(catalog)
    assert engine.selectable(["A", "B"])["X"] is False
    alternatives = engine.alternatives(["A", "B"], "X")
    assert [a.removes for a in alternatives] == [("B",), ("A",)]
    assert [a.adds for a in alternatives] == [("Y",), ("Y",)]
    assert [a.price_delta for a in alternatives] == [Decimal(-420), Decimal(-20)]
    assert alternatives[0].choices == ("A", "X")
    reason = engine.explain(["A", "B"], ["X"])
    assert reason is not None
    assert reason.codes == ("A", "B") and reason.rule_ids == ("x-not-both",)
    assert reason.summary() == "Xray not with both Alpha and Beta (with A, B)"


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(catalogs(), st.booleans())
def test_samples_are_valid_and_cover_the_space_evenly(catalog: Catalog, with_date: bool) -> None:
    engine, oracle = setup(catalog, with_date)
    valid = set(oracle.valid)
    if not valid:
        assert engine.sample(5, seed=1) == []
        return
    even = len(valid) <= 12  # then: every valid selection drawn about equally often
    samples = [frozenset(s) for s in engine.sample(300 * len(valid) if even else 300, seed=7)]
    assert set(samples) <= valid
    if even:
        counts = Counter(samples)
        assert all(abs(counts[s] - 300) < 120 for s in valid), counts
    for selection in samples[:20]:
        assert engine.broken(selection) == []


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(catalogs(), st.booleans(), st.data())
def test_broken_and_valid_agree_with_the_constraints(
    catalog: Catalog, with_date: bool, data: st.DataObject
) -> None:
    engine, oracle = setup(catalog, with_date)
    for selection in itertools.islice(oracle.selections(), 32):
        expected = [i for i, c in enumerate(engine.problem.constraints) if not c.holds(selection)]
        assert engine.broken(selection) == expected
    choices = data.draw(st.lists(st.sampled_from(oracle.codes), max_size=4, unique=True))
    configuration = Configuration(catalog.id, tuple(choices), {})
    assert engine.valid(configuration) == engine.check(configuration).valid
