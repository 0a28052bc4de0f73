"""The pricing engine: lines, validity and its explanations, markets, currencies, properties."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import fields, is_dataclass, replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pricing_strategies import (
    SHIPPED,
    choices,
    keep_values_of,
    pricer_for,
    pricing_tree,
    valid_configurations,
)

from configurator.catalog.loader import CatalogTree
from configurator.configuration import Configuration, resolve
from configurator.errors import (
    BadValueError,
    CardinalityError,
    CatalogError,
    ConfigurationError,
    MinimumSpendError,
    RuleViolationError,
    UnknownOptionError,
    UsageError,
)
from configurator.pricing.engine import Pricer, compile_constraint, price
from configurator.quote import (
    Quote,
    QuoteLine,
    construct,
)
from configurator.rules.constraints import constraints, violated

D = Decimal
ON = dt.date(2025, 8, 1)


@pytest.fixture(scope="module")
def tree() -> CatalogTree:
    return pricing_tree()


@pytest.fixture(scope="module")
def coupe(tree: CatalogTree) -> Pricer:
    return pricer_for(tree, "acme-coupe")


def priced(p: Pricer, *codes: str, on: dt.date = ON, **values: str) -> Quote:
    return p.price(Configuration.of(p.catalog.id, codes, values), on)


def line(q: Quote, code: str, kind: str | None = None) -> QuoteLine:
    return next(x for x in q.lines if x.code == code and (kind is None or x.kind == kind))


# --- lines --------------------------------------------------------------------------------------


def test_default_car_lines(coupe: Pricer) -> None:
    q = priced(coupe)
    assert q.lines[0].kind == "base" and q.lines[0].amount == D(918000)
    kinds = {x.code: (x.kind, x.note) for x in q.lines[1:]}
    assert kinds == {
        "PAINT-WHITE": ("option", "standard"),
        "WHEEL-20": ("option", "standard"),
        "BRAKE-STD": ("option", "standard"),
        "CALIPER-BLACK": ("option", "standard"),
        "INT-PARTIAL": ("option", "standard"),
    }
    assert q.choices == [] and q.subtotal == D(918000)
    assert q.delivery_weeks == 12 and q.deposit == 0 and q.programmes == []


def test_package_lists_its_options_at_zero(coupe: Pricer) -> None:
    q = priced(coupe, "PKG-SPORT", "ROOF-PANORAMA")
    assert line(q, "PKG-SPORT").amount == D(30000)
    for code in ("WHEEL-21", "HUD"):
        included = line(q, code)
        assert included.kind == "included" and included.amount == 0
        assert included.note == "included in Sport package"
    assert q.tax("purchase-tax") is not None
    discount = next(x for x in q.lines if x.kind == "discount")
    assert discount.id == "sport-roof-offer" and discount.amount == D(-5000)
    assert q.subtotal == D(918000 + 30000 + 28000 - 5000)
    assert q.delivery_weeks == 12 + 3  # the package's lead time is the longest


def test_brought_option_price_rule_and_percentage_discount(coupe: Pricer) -> None:
    q = priced(
        coupe,
        "CHARGER-22KW",
        "BRAKE-CERAMIC",
        "WHEEL-21",
        "CALIPER-RED",
        "AUDIO-PREMIUM",
        "INT-LEATHER",
    )
    assert line(q, "CABLE-TYPE2").note == "comes with 22 kW charger"
    assert line(q, "CABLE-TYPE2").amount == D(2000)
    rule = line(q, "CALIPER-RED", "price_rule")
    assert rule.id == "red-calipers-free-with-ceramic" and rule.amount == D(-7000)
    discount = next(x for x in q.lines if x.kind == "discount")
    assert discount.id == "audio-leather-offer"
    assert discount.amount == D("-7250.00")  # 12.5% of 58,000
    assert q.subtotal == sum(x.amount for x in q.lines)


def test_buyer_value_is_on_its_line(coupe: Pricer) -> None:
    q = priced(
        coupe, "PAINT-TO-SAMPLE", "WHEEL-21-GOLD", "INT-LEATHER", **{"PAINT-TO-SAMPLE": "Oak Green"}
    )
    assert line(q, "PAINT-TO-SAMPLE").value == "Oak Green"
    assert q.values == {"PAINT-TO-SAMPLE": "Oak Green"}
    assert q.deposit == D(50000)
    assert q.delivery_weeks == 12 + 10 + 6
    (programme,) = q.programmes
    assert programme.spend == D(188000) and programme.met
    assert any("at most 10 cars a month" in note for note in q.notes)


def test_choice_order_does_not_matter(coupe: Pricer) -> None:
    a = priced(coupe, "HUD", "WHEEL-21", "CHARGER-22KW")
    b = priced(coupe, "CHARGER-22KW", "hud", "WHEEL-21", "HUD")
    assert a == b and a.choices == ["WHEEL-21", "HUD", "CHARGER-22KW"]


# --- validity and its explanations --------------------------------------------------------------


def test_unknown_option_did_you_mean(coupe: Pricer) -> None:
    with pytest.raises(UnknownOptionError) as caught:
        priced(coupe, "ROOF-PANORAMIC")
    assert caught.value.suggestion == "did you mean 'ROOF-PANORAMA'?"
    assert caught.value.option_codes == ("ROOF-PANORAMIC",)


def test_cardinality_names_the_buyers_choices(coupe: Pricer) -> None:
    with pytest.raises(CardinalityError) as caught:
        priced(coupe, "PAINT-WHITE", "PAINT-BLUE-MET")
    error = caught.value
    assert error.rule_ids == ("group:paint",)
    assert error.message == (
        "the configuration breaks the catalog's rules: "
        "Paint: choose exactly one (with PAINT-WHITE, PAINT-BLUE-MET)"
    )
    assert error.explanation[:2] == (
        "you chose PAINT-WHITE (White)",
        "you chose PAINT-BLUE-MET (Blue Metallic)",
    )
    # The rule with its id and where it is written (file:line:column).
    # The rule's id and where it is written (file:line:column); its message is said once.
    assert error.explanation[2].startswith("rule group:paint at ")
    assert error.explanation[2].endswith("acme/coupe.yaml:19:5")
    assert len(error.explanation) == 3
    assert set(error.option_codes) == {"PAINT-WHITE", "PAINT-BLUE-MET"}


def test_package_contents_count_against_their_group(coupe: Pricer) -> None:
    # A cardinality error (the group is what the selection breaks), explained minimally: the
    # package's inclusion is one of the rules that make it unavoidable.
    with pytest.raises(CardinalityError) as caught:
        priced(coupe, "PKG-SPORT", "WHEEL-21-GOLD")
    error = caught.value
    assert error.rule_ids == ("group:wheels", "package:PKG-SPORT:WHEEL-21")
    assert set(error.option_codes) == {"PKG-SPORT", "WHEEL-21-GOLD"}
    text = str(error)
    assert "you chose WHEEL-21-GOLD (21-inch forged gold wheels)" in text
    assert "you chose PKG-SPORT (Sport package)" in text
    assert "rule package:PKG-SPORT:WHEEL-21 at " in text


def test_rule_violation_separates_choices_from_defaults(coupe: Pricer) -> None:
    with pytest.raises(RuleViolationError) as caught:
        priced(coupe, "PAINT-TO-SAMPLE", "WHEEL-21-GOLD", **{"PAINT-TO-SAMPLE": "Oak"})
    error = caught.value
    assert error.rule_ids == ("sample-paint-full-interior",)
    assert error.message == (
        "the configuration breaks the catalog's rules: "
        "Paint to Sample cars get a full-leather or Race-Tex interior "
        "(with PAINT-TO-SAMPLE, INT-PARTIAL)"
    )
    # Minimal: WHEEL-21-GOLD, chosen but not involved, is left out.
    assert error.option_codes == ("PAINT-TO-SAMPLE", "INT-PARTIAL")
    assert error.explanation[:2] == (
        "you chose PAINT-TO-SAMPLE (Paint to Sample)",
        "INT-PARTIAL (Partial leather) is a default",
    )
    assert error.explanation[2].startswith("rule sample-paint-full-interior at ")
    assert error.explanation[2].endswith("acme/coupe.yaml:105:5")
    assert len(error.explanation) == 3


def test_requires_and_excludes_and_table(coupe: Pricer) -> None:
    with pytest.raises(RuleViolationError) as caught:
        priced(coupe, "CALIPER-YELLOW")
    assert caught.value.rule_ids[0] == "yellow-calipers-need-ceramic"
    with pytest.raises(RuleViolationError) as caught:
        priced(coupe, "INT-RACE-TEX", "AUDIO-PREMIUM")
    assert caught.value.rule_ids == ("race-tex-no-premium-audio",)
    assert set(caught.value.option_codes) == {"INT-RACE-TEX", "AUDIO-PREMIUM"}
    with pytest.raises(RuleViolationError) as caught:
        priced(
            coupe,
            "WHEEL-21-GOLD",
            "CALIPER-RED",
            "PAINT-TO-SAMPLE",
            "INT-LEATHER",
            **{"PAINT-TO-SAMPLE": "Oak"},
        )
    assert caught.value.rule_ids == ("gold-wheels-calipers",)
    assert caught.value.option_codes == ("WHEEL-21-GOLD", "CALIPER-RED")
    assert "Gold wheels do not go with red calipers" in caught.value.message


def test_availability_by_date(coupe: Pricer) -> None:
    values = {"SILLS-LETTERING": "ACME"}
    with pytest.raises(RuleViolationError) as caught:
        priced(
            coupe,
            "SILLS-LETTERING",
            "PAINT-TO-SAMPLE",
            "INT-LEATHER",
            on=dt.date(2025, 2, 1),
            **values,
            **{"PAINT-TO-SAMPLE": "Oak"},
        )
    assert caught.value.rule_ids == ("available:SILLS-LETTERING",)
    q = priced(
        coupe,
        "SILLS-LETTERING",
        "PAINT-TO-SAMPLE",
        "WHEEL-21-GOLD",
        "INT-LEATHER",
        on=dt.date(2025, 3, 1),
        **values,
        **{"PAINT-TO-SAMPLE": "Oak"},
    )
    assert q.programmes[0].spend == D(130000 + 58000 + 8000)


def test_minimum_spend(coupe: Pricer) -> None:
    with pytest.raises(MinimumSpendError) as caught:
        priced(coupe, "PAINT-TO-SAMPLE", "INT-LEATHER", **{"PAINT-TO-SAMPLE": "Oak"})
    error = caught.value
    assert "Acme Manufaktur needs at least 150,000.00" in error.message
    assert "130,000.00" in error.message and "20,000.00 short" in error.message
    assert error.option_codes == ("PAINT-TO-SAMPLE",)


def test_not_strict_prices_a_draft_below_its_minimum_spend(coupe: Pricer) -> None:
    configuration = Configuration.of(
        "acme-coupe", ["PAINT-TO-SAMPLE", "INT-LEATHER"], {"PAINT-TO-SAMPLE": "Oak"}
    )
    quote = coupe.price(configuration, ON, strict=False)
    (progress,) = quote.programmes
    assert (progress.name, progress.met) == ("Acme Manufaktur", False)
    assert (progress.spend, progress.minimum, progress.missing) == (
        D("130000.00"),
        D("150000.00"),
        D("20000.00"),
    )
    assert quote.deposit == progress.deposit
    # Met: the same quote as a strict one.
    met = Configuration.of(
        "acme-coupe",
        ["PAINT-TO-SAMPLE", "INT-LEATHER", "WHEEL-21-GOLD"],
        {"PAINT-TO-SAMPLE": "Oak"},
    )
    quote = coupe.price(met, ON, strict=False)
    assert quote == coupe.price(met, ON)
    assert quote.programmes[0].met and quote.programmes[0].missing == 0
    # Every other check still applies.
    with pytest.raises(RuleViolationError):
        coupe.price(
            Configuration.of("acme-coupe", ["INT-RACE-TEX", "AUDIO-PREMIUM"]), ON, strict=False
        )
    with pytest.raises(BadValueError):
        no_value = Configuration.of("acme-coupe", ["PAINT-TO-SAMPLE", "INT-LEATHER"])
        coupe.price(no_value, ON, strict=False)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({}, "needs a value: Name of the colour"),
        ({"PAINT-TO-SAMPLE": "  "}, "is empty"),
        ({"PAINT-TO-SAMPLE": "x" * 31}, "at most 30 are allowed"),
        ({"PAINT-TO-SAMPLE": "Oak; Green"}, "is not a valid value"),
        ({"PAINT-TO-SAMPLE": "Oak", "HUD": "loud"}, "which is not in the configuration"),
        ({"PAINT-TO-SAMPLE": "Oak", "WHEEL-21-GOLD": "shiny"}, "takes no value"),
    ],
)
def test_bad_values(coupe: Pricer, values: dict[str, str], fragment: str) -> None:
    with pytest.raises(BadValueError) as caught:
        priced(coupe, "PAINT-TO-SAMPLE", "WHEEL-21-GOLD", "INT-LEATHER", **values)
    assert fragment in str(caught.value)


def test_configuration_of_another_model(coupe: Pricer) -> None:
    with pytest.raises(UsageError):
        coupe.price(Configuration.of("acme-ice"), ON)


def test_currency_mismatch_is_a_catalog_error(tree: CatalogTree) -> None:
    with pytest.raises(CatalogError, match="priced in CNY but its market 'de' uses EUR"):
        Pricer(tree.load("acme-coupe"), tree.load_market("de"))


# --- cliffs, warnings ---------------------------------------------------------------------------


def test_crossing_the_cliff_warns_and_names_the_option(coupe: Pricer) -> None:
    q = priced(coupe, "AUDIO-PREMIUM", "ROOF-PANORAMA", "HUD")
    (item,) = q.thresholds
    assert item.crossed and item.cost == D(90000) and item.threshold_price == D(1017000)
    # Each option alone would take the car back under; the priciest is named.
    assert item.culprit == "AUDIO-PREMIUM" and item.culprit_enough
    assert item.message in q.warnings
    assert "took it over" in item.message and "90,000.00" in item.message


def test_culprit_when_no_single_option_is_enough(coupe: Pricer) -> None:
    q = priced(coupe, "AUDIO-PREMIUM", "ROOF-PANORAMA", "HUD", "BRAKE-CERAMIC", "WHEEL-21")
    (item,) = q.thresholds
    assert item.crossed and not item.culprit_enough
    assert item.culprit == "BRAKE-CERAMIC"
    assert "no single option takes it back under" in item.message


def test_headroom_below_the_cliff(coupe: Pricer) -> None:
    q = priced(coupe, "AUDIO-PREMIUM")
    (item,) = q.thresholds
    assert not item.crossed and item.headroom == D(1017000 - 918000 - 58000)
    assert item.message in q.notes and not q.warnings
    assert "41,000.00 more on the list price reaches its threshold" in item.message


def test_catalog_effective_dates(coupe: Pricer) -> None:
    q = priced(coupe, on=dt.date(2027, 1, 1))
    assert any("is in force 2025-01-01 to 2026-12-31" in w for w in q.warnings)
    assert not priced(coupe).warnings


# --- other markets: the engine is not CN-specific -------------------------------------------


def test_german_market(tree: CatalogTree) -> None:
    p = pricer_for(tree, "acme-roadster")
    q = priced(p, "PAINT-SILVER", "HARDTOP", on=dt.date(2025, 8, 1))
    assert q.currency == "EUR" and q.subtotal == D("93165.50")
    assert q.net == D("78290.34") and q.vat == D("14875.16")
    assert q.taxes == [] and q.thresholds == [] and q.total == q.subtotal
    assert q.delivery_weeks == 13


def test_prices_without_vat_and_gross_based_cliff(tree: CatalogTree) -> None:
    p = pricer_for(tree, "acme-kei")
    q = priced(p)
    assert q.net == D(90000) and q.vat == D(18000)
    assert [(t.id, t.amount, t.paid_by_buyer) for t in q.taxes] == [
        ("vat", D(18000), True),
        ("registration-tax", D(5400), True),
    ]
    assert q.total == D(90000 + 18000 + 5400)
    assert q.thresholds[0].threshold_price == D(100000)  # 100,000 + 20% = 120,000 gross
    lux = priced(p, "TRIM-LUX")
    assert lux.tax("luxury-tax") is not None and lux.tax("luxury-tax").amount == D(30000)
    assert lux.thresholds[0].culprit == "TRIM-LUX"


# --- currencies -------------------------------------------------------------------------------


def test_conversion_uses_the_rate_in_force(coupe: Pricer) -> None:
    q = coupe.price(Configuration.of("acme-coupe"), dt.date(2025, 3, 1), currencies=["usd", "EUR"])
    usd, eur = q.conversions
    assert (usd.currency, usd.rate, usd.rate_date) == ("USD", D("7.1726"), dt.date(2025, 2, 25))
    assert usd.total == (q.total / D("7.1726")).quantize(D("0.01"))
    assert eur.subtotal == D("121876.74")  # 918,000 / 7.5322
    assert len(usd.lines) == len(q.lines) and len(usd.taxes) == len(q.taxes)
    assert q.subtotal == D(918000)  # the catalog currency stays authoritative


def test_conversion_warnings(coupe: Pricer) -> None:
    early = coupe.price(Configuration.of("acme-coupe"), dt.date(2024, 6, 1), currencies=["USD"])
    assert any("no USD rate on or before 2024-06-01" in w for w in early.warnings)
    late = coupe.price(Configuration.of("acme-coupe"), dt.date(2026, 3, 1), currencies=["USD"])
    assert any("181 days before" in w for w in late.warnings)
    with pytest.raises(UsageError, match="no exchange rate for GBP"):
        coupe.price(Configuration.of("acme-coupe"), ON, currencies=["GBP"])


# --- one meaning: the compiled forms equal the reference functions ----------------------------

MODELS = ["acme-coupe", "xiaomi-su7-ultra", "porsche-taycan"]


def _pricer(model: str) -> Pricer:
    tree = pricing_tree() if model.startswith("acme-") else CatalogTree(SHIPPED)
    return pricer_for(tree, model)


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(MODELS), data=st.data())
def test_fast_resolution_and_checks_equal_the_reference(model: str, data: st.DataObject) -> None:
    p = _pricer(model)
    configuration = data.draw(choices(p.catalog))
    ordered, _ = p.canonical(configuration)
    reference = resolve(p.catalog, Configuration(model, ordered))
    assert p.resolve(ordered) == reference
    on = data.draw(st.sampled_from([dt.date(2025, 6, 1), dt.date(2026, 1, 15)]))
    expected = violated(p.catalog, reference.codes, on)
    assert p.violated(reference, on) == expected
    assert p.breaks(reference, on) == bool(expected)
    for constraint in constraints(p.catalog):
        assert compile_constraint(constraint)(reference.codes) == constraint.holds(reference.codes)


@settings(max_examples=80, deadline=None)
@given(model=st.sampled_from(MODELS), data=st.data())
def test_the_figures_batch_writes_equal_the_brief_quotes(model: str, data: st.DataObject) -> None:
    """Pricer.figures (no lines, no quote) gives the code, subtotal, taxes and total of
    price(brief=True), and raises the same error for any configuration, valid or not."""
    p = _pricer(model)
    configuration = data.draw(choices(p.catalog))
    if data.draw(st.booleans()):
        configuration = keep_values_of(configuration, p)
    on = data.draw(st.sampled_from([dt.date(2025, 6, 1), ON]))
    try:
        quote = p.price(configuration, on, brief=True)
    except ConfigurationError as error:
        with pytest.raises(type(error)) as raised:
            p.figures(configuration, on)
        assert str(raised.value) == str(error)
        return
    figures = p.figures(configuration, on)
    assert figures.code == quote.code
    assert figures.subtotal == quote.subtotal
    assert figures.taxes == tuple(quote.taxes)
    assert figures.total == quote.total
    assert figures.currency == quote.currency
    choices_, values = p.canonical(configuration)
    selection = p.resolve(choices_)
    ordered = sorted(selection.codes, key=p.selection.position.__getitem__)
    priced = p.lines.priced(selection, ordered, values)
    assert p.lines.charges(selection) == (priced.charged, priced.subtotal)


@pytest.mark.parametrize(
    "wanted",
    [
        ["CALIPER-RED", "BRAKE-CERAMIC"],  # a price rule
        ["PKG-SPORT", "ROOF-PANORAMA"],  # an amount off
        ["AUDIO-PREMIUM", "INT-LEATHER"],  # a percentage of some options
        ["WHEEL-21-GOLD", "PAINT-TO-SAMPLE"],  # a programme
    ],
)
def test_the_figures_of_rules_discounts_and_programmes_equal_the_brief_quotes(
    wanted: list[str],
) -> None:
    """The cases random configurations rarely reach: valid cars (completed by the rules
    engine, cheapest first) where a price rule, a discount or a programme applies."""
    from configurator.rules.select import engine_for

    p = _pricer("acme-coupe")
    completed = engine_for(p.catalog, ON).complete(wanted, "cheapest")
    configuration = keep_values_of(Configuration.of("acme-coupe", sorted(completed)), p)
    values = {c: "AB" for c in completed if c in p.selection.value_specs}
    configuration = Configuration("acme-coupe", configuration.choices, values)
    quote = p.price(configuration, ON, brief=True)
    assert any(line.kind in ("price_rule", "discount") for line in quote.lines) or quote.programmes
    figures = p.figures(configuration, ON)
    assert (figures.code, figures.subtotal, figures.taxes, figures.total) == (
        quote.code,
        quote.subtotal,
        tuple(quote.taxes),
        quote.total,
    )


def test_the_figures_refuse_a_programme_short_of_its_minimum_like_the_quote() -> None:
    from configurator.rules.select import engine_for

    p = _pricer("acme-coupe")
    completed = engine_for(p.catalog, ON).complete(["CALIPER-RED"], "cheapest")
    short = Configuration("acme-coupe", (*sorted(completed), "SILLS-LETTERING"), {})
    short = Configuration("acme-coupe", short.choices, {"SILLS-LETTERING": "AB"})
    with pytest.raises(MinimumSpendError) as quoted:
        p.price(short, ON, brief=True)
    with pytest.raises(MinimumSpendError) as figured:
        p.figures(short, ON)
    assert str(figured.value) == str(quoted.value)


class _SortedFrozenset(frozenset[str]):
    """A set that iterates in sorted order."""

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(frozenset.__iter__(self)))


class _BackwardFrozenset(frozenset[str]):
    """A set that iterates in reverse sorted order."""

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(frozenset.__iter__(self), reverse=True))


def test_a_rejection_does_not_depend_on_the_order_a_set_of_choices_iterates_in() -> None:
    """Two conflicts among these choices (two wheels; a gold wheel with partial leather under
    the Manufaktur minimum): the one named must not follow the order a frozenset happens to
    iterate in (its history, the hash seed), or the same car is explained two ways."""
    p = _pricer("acme-coupe")
    configuration = Configuration(
        "acme-coupe",
        ("WHEEL-21-GOLD", "INT-PARTIAL", "PKG-SPORT"),
        {"PAINT-TO-SAMPLE": "0", "SILLS-LETTERING": "0"},
    )
    selection = p.resolve(p.canonical(configuration)[0])
    forward = replace(selection, chosen=_SortedFrozenset(selection.chosen))
    backward = replace(selection, chosen=_BackwardFrozenset(selection.chosen))
    first = p.rejection(configuration, ON, forward)
    assert first.explanation == p.rejection(configuration, ON, backward).explanation
    assert first.explanation is not None
    assert set(first.rule_ids) == {"sample-paint-full-interior", "spend:manufaktur"}


@settings(max_examples=40, deadline=None)
@given(model=st.sampled_from(MODELS), data=st.data())
def test_a_rejection_from_the_pricers_selection_equals_one_resolved_again(
    model: str, data: st.DataObject
) -> None:
    p = _pricer(model)
    ordered, values = p.canonical(data.draw(choices(p.catalog)))
    selection = p.resolve(ordered)
    if not p.breaks(selection, ON):
        return
    configuration = Configuration(model, ordered, values)
    given_selection = p.rejection(configuration, ON, selection)
    resolved_again = p.rejection(configuration, ON)
    assert type(given_selection) is type(resolved_again)
    assert str(given_selection) == str(resolved_again)
    assert given_selection.explanation == resolved_again.explanation


@settings(max_examples=40, deadline=None)
@given(model=st.sampled_from(MODELS), data=st.data())
def test_brief_quotes_have_the_same_figures(model: str, data: st.DataObject) -> None:
    p = _pricer(model)
    configuration = data.draw(choices(p.catalog))
    on = data.draw(st.sampled_from([dt.date(2025, 6, 1), dt.date(2026, 3, 1)]))
    try:
        full = p.price(configuration, on, currencies=["EUR"])
    except ConfigurationError as error:
        with pytest.raises(type(error)):
            p.price(configuration, on, currencies=["EUR"], brief=True)
        return
    brief = p.price(configuration, on, currencies=["EUR"], brief=True)
    assert (brief.code, brief.subtotal, brief.total, brief.lines) == (
        full.code,
        full.subtotal,
        full.total,
        full.lines,
    )
    assert brief.taxes == full.taxes and brief.conversions == full.conversions
    assert brief.thresholds == [] and not brief.notes


def _rebuilt(item: Any) -> Any:
    """A quote object made again through its dataclass ``__init__``, all the way down."""
    if is_dataclass(item) and not isinstance(item, type):
        assert set(vars(item)) == {f.name for f in fields(item)}  # construct() named them all
        return type(item)(**{f.name: _rebuilt(getattr(item, f.name)) for f in fields(item)})
    if isinstance(item, list):
        return [_rebuilt(element) for element in item]
    return item


def test_construct_equals_the_dataclass_made_normally(coupe: Pricer) -> None:
    q = priced(coupe, "AUDIO-PREMIUM", "ROOF-PANORAMA", "HUD")
    q = coupe.convert(q, ["USD"])
    assert q.conversions and q.taxes and q.thresholds
    assert _rebuilt(q) == q
    values: dict[str, Any] = {f.name: None for f in fields(QuoteLine)}
    values |= {"kind": "base", "name": "x", "amount": D(1)}
    assert construct(QuoteLine, **values) == QuoteLine(kind="base", name="x", amount=D(1))


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    model=st.sampled_from(MODELS),
    day=st.sampled_from(["2025-07-19", "2025-08-01", "2026-03-01"]),
    data=st.data(),
)
def test_quote_arithmetic(model: str, day: str, data: st.DataObject) -> None:
    """subtotal = sum of lines; total = subtotal + the taxes the buyer owes; net + VAT."""
    p = _pricer(model)
    on = dt.date.fromisoformat(day)
    configuration = data.draw(valid_configurations(p, on))
    q = price(p.catalog, configuration, p.market, on)
    assert q.subtotal == sum((x.amount for x in q.lines), D(0))
    assert q.total == q.subtotal + sum((t.amount for t in q.taxes if t.paid_by_buyer), D(0))
    assert q.net + q.vat == q.subtotal
    for amount in [q.subtotal, q.net, q.vat, q.total, *(t.amount for t in q.taxes)]:
        assert amount == amount.quantize(D("0.01")) and amount >= 0
    for item in q.thresholds:
        assert item.crossed == (q.subtotal >= item.threshold_price)
        assert item.crossed == (q.tax(item.tax_id) is not None)
    assert q.delivery_weeks >= p.catalog.lead_time_weeks


def test_invalid_configurations_raise_configuration_errors() -> None:
    p = _pricer("acme-coupe")

    @settings(max_examples=60, deadline=None)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        configuration = keep_values_of(data.draw(choices(p.catalog)), p)
        try:
            q = p.price(configuration, ON)
        except ConfigurationError as error:
            assert error.exit_code == 4 and error.message
        else:
            assert q.code

    run()
