"""The shipped catalogs and markets: they load cleanly and their data makes sense.

These tests read the real files under ``catalogs/``; they check the data, not the engines
(pricing and the rules engine have their own tests).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from configurator.catalog.loader import CatalogTree
from configurator.catalog.schema import Catalog, Powertrain, TaxPeriod
from configurator.configuration import Configuration, Selection, resolve
from configurator.rules.constraints import constraints, programme_spend, violated

ROOT = Path(__file__).resolve().parent.parent / "catalogs"
MODELS = ["porsche-911-carrera", "porsche-taycan", "xiaomi-su7-ultra", "xiaomi-yu7-max"]
MARKETS = ["cn", "de"]
ON = dt.date(2026, 1, 15)  # a date every shipped option is available on


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CatalogTree]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONFIGURATOR_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield CatalogTree(ROOT)


@pytest.fixture(scope="module")
def catalogs(tree: CatalogTree) -> dict[str, Catalog]:
    return {model: tree.load(model) for model in MODELS}


def _resolve(catalog: Catalog, *codes: str) -> Selection:
    return resolve(catalog, Configuration.of(catalog.id, codes))


def _option_total(catalog: Catalog, selection: Selection) -> Decimal:
    """List prices of the selected options and packages (packaged options count as included)."""
    options = catalog.option_index()
    packages = catalog.package_index()
    total = Decimal(0)
    for code in selection.codes:
        if code in packages:
            total += packages[code].price
        elif code not in selection.packaged:
            total += options[code][1].price
    return total


# --- loading -------------------------------------------------------------------------------


def test_the_shipped_models_are_the_expected_ones(tree: CatalogTree) -> None:
    assert tree.model_ids() == MODELS


@pytest.mark.parametrize("model", MODELS)
def test_model_loads_without_problems(tree: CatalogTree, model: str) -> None:
    assert tree.problems_in(tree.model_path(model)) == []
    catalog = tree.load(model)
    assert catalog.id == model
    assert catalog.names.get("zh-CN")


def test_fragments_load_without_problems(tree: CatalogTree) -> None:
    fragments = tree.fragment_files()
    assert {p.name for p in fragments} == {"_customization.yaml", "_exclusive-manufaktur.yaml"}
    for path in fragments:
        assert tree.problems_in(path) == [], path


@pytest.mark.parametrize("market", MARKETS)
def test_market_loads_without_problems(tree: CatalogTree, market: str) -> None:
    assert tree.problems_in(ROOT / "markets" / f"{market}.yaml") == []
    assert tree.load_market(market).id == market


def _shipped_yaml_files() -> list[Path]:
    return sorted(p for p in ROOT.glob("*/*.yaml") if p.parent.name != "schema")


@pytest.mark.parametrize("path", _shipped_yaml_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_files_point_at_their_json_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    schema = "market" if path.parent.name == "markets" else "catalog"
    if path.name.endswith(".cases.yaml"):
        schema = "cases"  # golden cases beside the catalogs (catalog test)
    assert first == f"# yaml-language-server: $schema=../schema/{schema}.schema.json"


def _floats(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, float):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _floats(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _floats(item, f"{path}[{index}]")


@pytest.mark.parametrize("path", _shipped_yaml_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_yaml_floats_anywhere(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert list(_floats(data)) == []


# --- size and defaults ---------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_catalog_is_substantial(catalogs: dict[str, Catalog], model: str) -> None:
    catalog = catalogs[model]
    assert len(catalog.groups) >= 6
    assert len(catalog.option_index()) >= 30
    assert len(catalog.rules) >= 3
    assert catalog.packages
    assert catalog.programmes


@pytest.mark.parametrize("model", MODELS)
def test_default_configuration_costs_the_base_price(
    catalogs: dict[str, Catalog], model: str
) -> None:
    catalog = catalogs[model]
    selection = _resolve(catalog)
    options = catalog.option_index()
    assert selection.codes == selection.defaulted
    assert not selection.codes & set(catalog.package_index())
    assert sum((options[code][1].price for code in selection.codes), Decimal(0)) == 0
    assert violated(catalog, selection.codes, ON) == []


@pytest.mark.parametrize("model", MODELS)
def test_every_priced_item_names_its_source_or_says_estimate(
    catalogs: dict[str, Catalog], model: str
) -> None:
    catalog = catalogs[model]
    items = [o for _, o in catalog.option_index().values()] + list(catalog.packages)
    unsourced = [
        item.code
        for item in items
        if item.price > 0 and not item.source and "estimate" not in (item.note or "")
    ]
    assert unsourced == []


# --- rules really constrain ----------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_every_rule_forbids_some_combination(catalogs: dict[str, Catalog], model: str) -> None:
    """For each rule, some choice of up to three of its own codes (plus at most one other
    code, e.g. another wheel for a rule that requires one) breaks it."""
    catalog = catalogs[model]
    rules = [c for c in constraints(catalog) if c.kind == "rule"]
    assert len(rules) == len(catalog.rules)
    others = sorted(catalog.codes())
    for rule in rules:
        own = [combo for size in (1, 2, 3) for combo in itertools.combinations(rule.codes, size)]
        combos = itertools.chain(
            own, ((*combo, other) for combo in own for other in others if other not in combo)
        )
        assert any(not rule.holds(_resolve(catalog, *combo).codes) for combo in combos), rule.id


def _violated_ids(catalog: Catalog, *codes: str) -> set[str]:
    return {c.id for c in violated(catalog, _resolve(catalog, *codes).codes, ON)}


def test_su7_ultra_gold_badges_need_a_signature_paint(catalogs: dict[str, Catalog]) -> None:
    su7 = catalogs["xiaomi-su7-ultra"]
    assert "gold-badges-signature-paint" in _violated_ids(su7, "BADGE-GOLD-24K")
    assert "gold-badges-signature-paint" in _violated_ids(
        su7, "BADGE-GOLD-24K", "PAINT-SPROUT-YELLOW"
    )
    assert _violated_ids(su7, "BADGE-GOLD-24K", "PAINT-AMETHYST") == set()


def test_su7_ultra_track_package_is_valid_and_excludes_other_wheels(
    catalogs: dict[str, Catalog],
) -> None:
    su7 = catalogs["xiaomi-su7-ultra"]
    package = su7.package_index()["PKG-TRACK"]
    assert package.price == 100000
    assert _violated_ids(su7, "PKG-TRACK") == set()
    assert _option_total(su7, _resolve(su7, "PKG-TRACK")) == 100000
    assert "group:wheels" in _violated_ids(su7, "PKG-TRACK", "WHEEL-FORGED-GOLD")
    assert "bucket-seats-no-massage" in _violated_ids(su7, "PKG-TRACK", "SEAT-MASSAGE")
    # the track wheels cost nothing more inside the package: it includes them
    assert "WHEEL-21-TRACK" in package.includes


def test_su7_ultra_published_prices(catalogs: dict[str, Catalog]) -> None:
    su7 = catalogs["xiaomi-su7-ultra"]
    options = {code: option for code, (_, option) in su7.option_index().items()}
    assert su7.base_price == 529900
    assert options["HOOD-CARBON-DUCTS"].price == 42000
    assert options["PAINT-AMETHYST"].price == 28000
    assert options["PAINT-AMETHYST"].labour_hours == 50
    assert options["PAINT-AMETHYST"].swatch
    assert "estimate" in (options["BADGE-GOLD-24K"].note or "")
    assert options["BADGE-CUSTOM"].value is not None


@pytest.mark.parametrize("model", ["xiaomi-su7-ultra", "xiaomi-yu7-max"])
def test_customization_minimum_spend_is_reachable(catalogs: dict[str, Catalog], model: str) -> None:
    catalog = catalogs[model]
    choice = ("PAINT-AMETHYST", "INT-CUSTOM-AMETHYST", "WHEEL-FORGED-GOLD", "BADGE-GOLD-24K")
    selection = _resolve(catalog, *choice)
    assert "CALIPER-GOLD" in selection.codes  # brought by the gold wheels
    assert violated(catalog, selection.codes, ON) == []
    (spend,) = programme_spend(catalog, selection.codes)
    assert spend.programme.minimum_spend == 100000
    assert spend.programme.deposit == 80000
    assert spend.programme.monthly_capacity == 40
    assert spend.met
    (short,) = programme_spend(catalog, _resolve(catalog, "PAINT-RACING-RED").codes)
    assert short.active and not short.met


def test_customization_is_not_available_before_its_launch(catalogs: dict[str, Catalog]) -> None:
    su7 = catalogs["xiaomi-su7-ultra"]
    selection = _resolve(su7, "PAINT-AMETHYST").codes
    assert "available:PAINT-AMETHYST" in {
        c.id for c in violated(su7, selection, dt.date(2025, 9, 1))
    }
    assert violated(su7, selection, dt.date(2025, 9, 25)) == []


def test_su7_ultra_history_reprices_codes_of_an_older_version(catalogs: dict[str, Catalog]) -> None:
    su7 = catalogs["xiaomi-su7-ultra"]
    (older,) = su7.history
    assert older.version != su7.version
    current = su7.codes()
    assert set(older.prices) <= current
    assert older.removed and not set(older.removed) & current
    options = su7.option_index()
    assert any(options[code][1].price != price for code, price in older.prices.items())


def test_taycan_can_cross_the_ultra_luxury_threshold(catalogs: dict[str, Catalog]) -> None:
    taycan = catalogs["porsche-taycan"]
    assert taycan.base_price == 918000
    selection = _resolve(taycan, "PAINT-TO-SAMPLE")
    assert violated(taycan, selection.codes, ON) == []
    assert taycan.base_price + _option_total(taycan, selection) >= 1017000


def test_porsche_paint_to_sample_asks_for_a_colour(catalogs: dict[str, Catalog]) -> None:
    for model in ("porsche-taycan", "porsche-911-carrera"):
        _, option = catalogs[model].option_index()["PAINT-TO-SAMPLE"]
        assert option.value is not None and option.value.kind == "colour"
        assert "exclusive-manufaktur" in option.tags
        assert "estimate" in (option.note or "")


def test_911_carrera_is_a_combustion_car_with_an_estimated_price(
    catalogs: dict[str, Catalog],
) -> None:
    carrera = catalogs["porsche-911-carrera"]
    assert carrera.powertrain is Powertrain.ICE and not carrera.nev
    assert "estimate" in (carrera.note or "")
    assert "bucket-seats-need-rear-seat-delete" in _violated_ids(carrera, "SEAT-FULL-BUCKET")
    assert _violated_ids(carrera, "PKG-LIGHTWEIGHT") == set()


# --- markets -------------------------------------------------------------------------------


def _covering(
    tree: CatalogTree, tax_id: str, day: dt.date, powertrain: Powertrain, nev: bool
) -> TaxPeriod | None:
    """The first period of a CN tax that covers the date and car (None: no tax)."""
    tax = next(t for t in tree.load_market("cn").taxes if t.id == tax_id)
    return next((p for p in tax.periods if p.covers(day, powertrain, nev)), None)


def test_cn_ultra_luxury_tax_periods(tree: CatalogTree) -> None:
    before, after = dt.date(2025, 7, 19), dt.date(2025, 7, 20)
    assert _covering(tree, "ultra-luxury-tax", before, Powertrain.BEV, True) is None
    old = _covering(tree, "ultra-luxury-tax", before, Powertrain.ICE, False)
    assert old is not None and old.kind == "cliff" and old.threshold == Decimal(1300000)
    for powertrain in Powertrain:
        new = _covering(tree, "ultra-luxury-tax", after, powertrain, powertrain == "bev")
        assert new is not None and new.kind == "cliff"
        assert (new.threshold, new.rate) == (Decimal(900000), Decimal("0.10"))


def test_cn_purchase_tax_periods(tree: CatalogTree) -> None:
    def kind(day: dt.date, nev: bool) -> str | None:
        period = _covering(tree, "purchase-tax", day, Powertrain.BEV, nev)
        return period.kind if period else None

    assert kind(dt.date(2023, 6, 1), True) == "exempt"
    assert kind(dt.date(2025, 6, 1), True) == "exempt-up-to"
    assert kind(dt.date(2026, 6, 1), True) == "reduced"
    assert kind(dt.date(2028, 1, 1), True) == "percentage"
    assert kind(dt.date(2025, 6, 1), False) == "percentage"


def test_markets_vat_and_rates(tree: CatalogTree) -> None:
    cn, de = tree.load_market("cn"), tree.load_market("de")
    assert (cn.currency, cn.vat_rate, cn.prices_include_vat) == ("CNY", Decimal("0.13"), True)
    assert (de.currency, de.vat_rate, de.prices_include_vat) == ("EUR", Decimal("0.19"), True)
    assert all(tax.source for tax in cn.taxes)
    assert [r.rates["USD"] for r in cn.exchange_rates] == [
        Decimal("7.1879"),
        Decimal("7.1726"),
        Decimal("7.1072"),
    ]
    assert all(r.source for r in [*cn.exchange_rates, *de.exchange_rates])
