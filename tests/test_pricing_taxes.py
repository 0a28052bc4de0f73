"""Tax kinds and worked examples of the published tax rules, exact to the fen.

The worked examples apply the published rules listed in docs/sources.md: the Vehicle
Purchase Tax Law (2019-07-01), MOF/STA/MIIT Announcement 2023 No. 10 (NEV relief) and MOF/STA
Announcement 2025 No. 3 (ultra-luxury tax from 2025-07-20).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pricing_strategies import SHIPPED, pricer_for, pricing_tree

from configurator.catalog.loader import CatalogTree
from configurator.catalog.schema import Powertrain, Tax, TaxPeriod
from configurator.configuration import Configuration
from configurator.pricing.money import net_of, round_cents, smallest_reaching
from configurator.pricing.taxes import compute, covering_period, percent_text, tax_for
from configurator.quote import Quote

D = Decimal


@pytest.fixture(scope="module")
def tree() -> CatalogTree:
    return pricing_tree()


def quote(tree: CatalogTree, model: str, on: str, *codes: str) -> Quote:
    price = pricer_for(tree, model)
    return price.price(Configuration.of(model, codes), dt.date.fromisoformat(on))


def tax_amount(q: Quote, tax_id: str) -> Decimal | None:
    line = q.tax(tax_id)
    return None if line is None else line.amount


# --- the worked examples ----------------------------------------------------------------------


def test_su7_ultra_2026_worked_example() -> None:
    """SU7 Ultra at 529,900, bought in 2026: Net 468,938.05; purchase tax 46,893.81 - 15,000."""
    q = quote(CatalogTree(SHIPPED), "xiaomi-su7-ultra", "2026-03-01")
    assert q.subtotal == D("529900")
    assert q.net == D("468938.05")
    assert q.vat == D("60961.95")
    assert tax_amount(q, "purchase-tax") == D("31893.81")
    assert q.tax("ultra-luxury-tax") is None
    assert q.total == D("561793.81")


def test_su7_ultra_2025_exemption_up_to_30000() -> None:
    q = quote(CatalogTree(SHIPPED), "xiaomi-su7-ultra", "2025-06-01")
    assert tax_amount(q, "purchase-tax") == D("16893.81")
    assert q.total == D("546793.81")


@pytest.mark.parametrize(
    ("model", "on", "purchase"),
    [
        ("acme-ice", "2025-08-01", "100000.00"),  # ICE: full tax
        ("acme-nev", "2025-08-01", "70000.00"),  # NEV 2025: 100,000 - 30,000
        ("acme-nev", "2026-03-01", "85000.00"),  # NEV 2026: 100,000 - min(50,000, 15,000)
        ("acme-ice", "2026-03-01", "100000.00"),
    ],
)
def test_car_at_1130000(tree: CatalogTree, model: str, on: str, purchase: str) -> None:
    """A car at 1,130,000 incl. VAT: Net 1,000,000; ultra-luxury tax 100,000."""
    q = quote(tree, model, on)
    assert q.net == D("1000000.00")
    assert q.vat == D("130000.00")
    assert tax_amount(q, "ultra-luxury-tax") == D("100000.00")
    assert tax_amount(q, "purchase-tax") == D(purchase)
    assert q.total == D("1130000") + D("100000") + D(purchase)


def test_taycan_like_cliff(tree: CatalogTree) -> None:
    """918,000 (Net 812,389.38) owes none; options taking it to 1,017,000 make it owe 90,000."""
    base = quote(tree, "acme-coupe", "2025-08-01")
    assert base.net == D("812389.38")
    assert base.tax("ultra-luxury-tax") is None
    over = quote(tree, "acme-coupe", "2025-08-01", "AUDIO-PREMIUM", "ROOF-PANORAMA", "HUD")
    assert over.subtotal == D("1017000")
    assert over.net == D("900000.00")
    assert tax_amount(over, "ultra-luxury-tax") == D("90000.00")


def test_nev_fully_exempt_before_2024(tree: CatalogTree) -> None:
    q = quote(tree, "acme-nev", "2023-06-01")
    line = q.tax("purchase-tax")
    assert line is not None and line.amount == D("0.00") and line.kind == "exempt"
    assert "exempt" in line.explanation


def test_old_ultra_luxury_rule_only_for_engines(tree: CatalogTree) -> None:
    """Before 2025-07-20: Net >= 1,300,000 and only cars with an engine."""
    # 1,130,000 + 339,000 = 1,469,000 incl. VAT: Net 1,300,000.00, exactly the old threshold.
    phev = quote(tree, "acme-phev", "2025-07-19", "PAINT-EXTRA")
    assert phev.net == D("1300000.00")
    assert tax_amount(phev, "ultra-luxury-tax") == D("130000.00")
    bev = quote(tree, "acme-nev", "2025-07-19", "PAINT-EXTRA")
    assert bev.tax("ultra-luxury-tax") is None
    assert bev.thresholds == []  # no period covers a BEV: nothing to report
    assert tax_amount(quote(tree, "acme-nev", "2025-07-20", "PAINT-EXTRA"), "ultra-luxury-tax")
    below = quote(tree, "acme-phev", "2025-07-19")  # Net 1,000,000 < 1,300,000
    assert below.tax("ultra-luxury-tax") is None


# --- the kinds, directly -----------------------------------------------------------------------


def _tax(*periods: TaxPeriod) -> Tax:
    return Tax(id="t", name="Test tax", periods=list(periods))


def _period(**fields: object) -> TaxPeriod:
    return TaxPeriod.model_validate(fields)


PERIODS = {
    "percentage": _period(kind="percentage", rate="0.10"),
    "cliff": _period(kind="cliff", rate="0.10", threshold=900000),
    "exempt": _period(kind="exempt"),
    "exempt-up-to": _period(kind="exempt-up-to", rate="0.10", cap=30000),
    "reduced": _period(kind="reduced", rate="0.10", fraction="0.5", cap=15000),
}


@pytest.mark.parametrize(
    ("kind", "base", "amount"),
    [
        ("percentage", "468938.05", "46893.81"),  # 46,893.805 rounds half up
        ("cliff", "899999.99", "0.00"),
        ("cliff", "900000.00", "90000.00"),
        ("exempt", "1000000.00", "0.00"),
        ("exempt-up-to", "250000.00", "0.00"),  # 25,000 is within the 30,000 exemption
        ("exempt-up-to", "468938.05", "16893.81"),
        ("reduced", "200000.00", "10000.00"),  # half of 20,000: the cap does not bite
        ("reduced", "468938.05", "31893.81"),  # half would be 23,446.91 > 15,000
    ],
)
def test_kind(kind: str, base: str, amount: str) -> None:
    outcome = compute(_tax(PERIODS[kind]), PERIODS[kind], D(base), "Net")
    assert outcome.amount == D(amount)
    assert outcome.explanation and "\n" not in outcome.explanation


def test_first_covering_period_wins() -> None:
    span = {"from": dt.date(2024, 1, 1), "until": dt.date(2025, 12, 31)}
    nev_2025 = _period(**span, kind="exempt", nev=True)
    engines = _period(kind="percentage", rate="0.20", powertrains=["ice", "phev"])
    everyone = _period(kind="percentage", rate="0.10")
    tax = _tax(nev_2025, engines, everyone)
    day = dt.date(2025, 5, 1)
    assert covering_period(tax, day, Powertrain.BEV, True) is nev_2025
    assert covering_period(tax, day, Powertrain.PHEV, False) is engines
    assert covering_period(tax, dt.date(2026, 1, 1), Powertrain.BEV, True) is everyone
    assert covering_period(tax, day, Powertrain.BEV, False) is everyone
    nothing = _tax(nev_2025)
    assert tax_for(nothing, day, Powertrain.ICE, False, D(100), "Net") is None


def test_rounding_is_half_up_at_each_step() -> None:
    assert round_cents(D("0.005")) == D("0.01")
    assert round_cents(D("2.675")) == D("2.68")  # a float would say 2.67
    assert round_cents(D("-0.004")) == D("0.00")
    assert net_of(D("529900"), D("0.13")) == D("468938.05")
    assert percent_text(D("0.125")) == "12.5%"


def test_smallest_price_reaching_a_threshold() -> None:
    def base(price: Decimal) -> Decimal:
        return net_of(price, D("0.13"))

    assert smallest_reaching(D(900000), D(1017000), base) == D("1017000.00")
    assert smallest_reaching(D(900000), D(1000000), base) == D("1017000.00")
    assert smallest_reaching(D("100.01"), D(1), base) == D("113.01")  # 113.01/1.13 = 100.0088
    assert smallest_reaching(D("100.01"), D(10**9), base) == D("113.01")
    assert smallest_reaching(D(0), D(50), base) == D("0.00")


# --- properties --------------------------------------------------------------------------------

BASES = st.decimals(min_value=0, max_value=5_000_000, places=2, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(PERIODS)), a=BASES, b=BASES)
def test_each_tax_is_monotone_and_jumps_only_at_its_threshold(
    kind: str, a: Decimal, b: Decimal
) -> None:
    low, high = sorted((a, b))
    period = PERIODS[kind]
    tax = _tax(period)
    amount_low = compute(tax, period, low, "Net").amount
    amount_high = compute(tax, period, high, "Net").amount
    assert amount_low <= amount_high
    assert amount_low >= 0
    rate = period.rate or D(0)
    # Away from a cliff's threshold the tax grows at most at its rate (plus a cent of
    # rounding): no jumps. Across the threshold a cliff jumps by the tax on the whole base.
    crosses = period.threshold is not None and low < period.threshold <= high
    if not crosses:
        assert amount_high - amount_low <= rate * (high - low) + D("0.01")
    else:
        assert amount_low == 0 and amount_high == round_cents(rate * high)


PRICES = st.decimals(min_value=0, max_value=3_000_000, places=2, allow_nan=False)
DAYS = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2028, 12, 31))


@settings(max_examples=200, deadline=None)
@given(model=st.sampled_from(["acme-ice", "acme-nev", "acme-phev"]), day=DAYS, a=PRICES, b=PRICES)
def test_market_taxes_are_monotone_in_the_list_price(
    tree: CatalogTree, model: str, day: dt.date, a: Decimal, b: Decimal
) -> None:
    """Through the market (VAT, dated periods): each tax grows with the list price; it jumps
    only where the list price crosses a cliff's threshold_price."""
    price = pricer_for(tree, model)
    low, high = sorted((a, b))
    for tax, period in price.periods(day):
        base_low = price.tax_base(low, tax.base)
        base_high = price.tax_base(high, tax.base)
        amount_low = compute(tax, period, base_low, "Net").amount
        amount_high = compute(tax, period, base_high, "Net").amount
        assert amount_low <= amount_high
        if period.kind == "cliff":
            assert period.threshold is not None
            start = price.price_reaching(period.threshold, tax.base)
            assert (amount_low > 0) == (low >= start)
            assert (amount_high > 0) == (high >= start)
        else:
            rate = period.rate or D(0)
            assert amount_high - amount_low <= rate * (base_high - base_low) + D("0.01")
