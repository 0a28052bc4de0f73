"""Pricers as plain data: pickled pricers price as the original, stored ones follow their files.

A Pricer keeps no catalog object on the path that prices a valid configuration: dates are
answered by schedules made from the schema's own date logic, programmes by plain spends. A
pickled pricer must give the same quotes *and* the same errors (it loads its catalog to explain
a broken rule), and ``configurator quote`` must find it on disk only while every file it was
made from is unchanged, and then start without pydantic, YAML or rich.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pricing_strategies import PRICING, SHIPPED, choices

from configurator.catalog.loader import CatalogTree
from configurator.catalog.schema import Catalog, Market
from configurator.configuration import Configuration
from configurator.errors import ConfigurationError, ConfiguratorError, UnknownModelError
from configurator.pricing.engine import Pricer, pricer
from configurator.pricing.stored import model_pricer
from configurator.pricing.taxes import PeriodTerms, TaxTerms, covering_period
from configurator.quote import Quote
from configurator.rules.constraints import constraints, programme_spend

MODELS = [
    (PRICING, "acme-coupe"),
    (PRICING, "acme-roadster"),
    (SHIPPED, "xiaomi-su7-ultra"),
    (SHIPPED, "xiaomi-yu7-max"),
    (SHIPPED, "porsche-taycan"),
    (SHIPPED, "porsche-911-carrera"),
]
_BUILT: dict[tuple[Path, str], tuple[Pricer, Pricer]] = {}


def _loaded(root: Path, model: str) -> tuple[Catalog, Market]:
    tree = CatalogTree(root)
    catalog = tree.load(model)
    return catalog, tree.load_market(catalog.market)


def _pair(root: Path, model: str) -> tuple[Pricer, Pricer]:
    """A pricer built from the catalog, and a copy of it pickled and loaded again."""
    if (root, model) not in _BUILT:
        original = pricer(*_loaded(root, model))
        copy = pickle.loads(pickle.dumps(original))
        copy.attach(lambda: _loaded(root, model))
        _BUILT[root, model] = (original, copy)
    return _BUILT[root, model]


def _dates(catalog: Catalog, market: Market) -> list[dt.date]:
    """Days where something changes (period ends and the days around them), and a few more."""
    ends: list[dt.date | None] = []
    for group in catalog.groups:
        for option in group.options:
            if option.available is not None:
                ends += [option.available.from_, option.available.until]
    for package in catalog.packages:
        if package.available is not None:
            ends += [package.available.from_, package.available.until]
    if catalog.effective is not None:
        ends += [catalog.effective.from_, catalog.effective.until]
    for tax in market.taxes:
        for period in tax.periods:
            ends += [period.from_, period.until]
    ends += [rate.date for rate in market.exchange_rates]
    days = {dt.date(2020, 1, 1), dt.date(2026, 3, 1), dt.date(2031, 6, 30)}
    for end in ends:
        if end is not None:
            days |= {end + dt.timedelta(days=shift) for shift in (-1, 0, 1)}
    return sorted(days)


def _outcome(p: Pricer, configuration: Configuration, on: dt.date, currencies: list[str]) -> Any:
    try:
        return p.price(configuration, on, currencies=currencies)
    except ConfigurationError as error:
        kind = type(error).__name__
        return (kind, error.message, error.suggestion, error.option_codes, error.rule_ids,
                error.explanation)  # fmt: skip
    except ConfiguratorError as error:
        return (type(error).__name__, error.message, error.suggestion)


@settings(max_examples=120, deadline=None)
@given(model=st.sampled_from(MODELS), data=st.data())
def test_a_pickled_pricer_prices_as_the_original(
    model: tuple[Path, str], data: st.DataObject
) -> None:
    original, copy = _pair(*model)
    configuration = data.draw(choices(original.catalog))
    on = data.draw(st.sampled_from(_dates(original.catalog, original.market)))
    currencies = data.draw(st.sampled_from([[], ["USD"], ["EUR", "USD"], ["JPY"]]))
    assert _outcome(copy, configuration, on, currencies) == _outcome(
        original, configuration, on, currencies
    )


@pytest.mark.parametrize("model", MODELS, ids=[m for _, m in MODELS])
def test_dates_are_answered_as_the_schema_answers_them(model: tuple[Path, str]) -> None:
    original, copy = _pair(*model)
    catalog, market = original.catalog, original.market
    for day in _dates(catalog, market):
        unavailable = {c.codes[0] for c in constraints(catalog, day) if c.kind == "availability"}
        assert original.unavailable_codes(day) == copy.unavailable_codes(day) == unavailable
        expected = []
        for tax in market.taxes:
            period = covering_period(tax, day, catalog.powertrain, catalog.nev)
            if period is not None:
                expected.append((TaxTerms.of(tax), PeriodTerms.of(period)))
        assert original.periods(day) == copy.periods(day) == expected
        in_force = catalog.effective is None or catalog.effective.contains(day)
        quote = original.price(Configuration(catalog.id), day)
        assert any("is in force" in w for w in quote.warnings) is not in_force


@settings(max_examples=80, deadline=None)
@given(model=st.sampled_from(MODELS), data=st.data())
def test_programme_spends_are_the_rules_spends(
    model: tuple[Path, str], data: st.DataObject
) -> None:
    original, _ = _pair(*model)
    catalog = original.catalog
    codes = frozenset(data.draw(st.lists(st.sampled_from(sorted(catalog.codes())), max_size=8)))
    prices = {
        code: Decimal(data.draw(st.integers(0, 200_000)))
        for code in codes
        if data.draw(st.booleans())
    }
    plain = original.programme_spends(codes, prices)
    reference = programme_spend(catalog, codes, prices)
    assert [(p.id, spend, chosen) for p, spend, chosen in plain] == [
        (r.programme.id, r.spend, r.chosen) for r in reference
    ]


def test_a_pickled_pricer_needs_its_catalog_only_to_explain() -> None:
    loads: list[str] = []
    original = pricer(*_loaded(PRICING, "acme-coupe"))
    copy = pickle.loads(pickle.dumps(original))

    def sources() -> tuple[Catalog, Market]:
        loads.append("loaded")
        return _loaded(PRICING, "acme-coupe")

    copy.attach(sources)
    on = dt.date(2025, 8, 1)
    good = Configuration.of("acme-coupe", ["AUDIO-PREMIUM", "ROOF-PANORAMA", "HUD"])
    assert copy.price(good, on, currencies=["USD"]) == original.price(good, on, currencies=["USD"])
    assert loads == []
    broken = Configuration.of("acme-coupe", ["CALIPER-YELLOW"])
    explained = _outcome(copy, broken, on, [])
    assert explained[0] == "RuleViolationError"
    assert explained == _outcome(original, broken, on, [])
    assert loads == ["loaded"]


def test_an_unpickled_pricer_without_sources_says_so() -> None:
    copy = pickle.loads(pickle.dumps(pricer(*_loaded(PRICING, "acme-coupe"))))
    with pytest.raises(RuntimeError, match="attach"):
        copy.catalog  # noqa: B018


# --- stored pricers: configurator.pricing.stored ---------------------------------------------


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("CONFIGURATOR_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def shipped_copy(tmp_path: Path) -> Path:
    root = tmp_path / "catalogs"
    shutil.copytree(SHIPPED, root)
    return root


def _stored(cache: Path) -> list[Path]:
    return sorted(cache.glob("pricer-*.entry")) if cache.is_dir() else []


def _quote(root: Path, model: str, *codes: str) -> Quote | str:
    try:
        p = model_pricer(model, root)
        return p.price(Configuration.of(model, codes), dt.date(2026, 1, 15))
    except ConfiguratorError as error:
        return error.message


def test_a_stored_pricer_is_used_while_its_files_are_unchanged(
    cache: Path, shipped_copy: Path
) -> None:
    first = model_pricer("xiaomi-su7-ultra", shipped_copy)
    assert len(_stored(cache)) == 1
    again = model_pricer("xiaomi-su7-ultra", shipped_copy)
    assert again is not first and again._catalog is None  # loaded from disk, no catalog
    on = dt.date(2026, 1, 15)
    assert again.price(Configuration("xiaomi-su7-ultra"), on) == first.price(
        Configuration("xiaomi-su7-ultra"), on
    )


@pytest.mark.parametrize(
    ("edited", "old", "new", "codes", "before", "after"),
    [
        (  # an included fragment: the programme's spend shows the new price
            "xiaomi/_customization.yaml",
            "price: 28000\n",
            "price: 29000\n",
            ("PAINT-AMETHYST",),
            "28,000.00",
            "29,000.00",
        ),
        ("markets/cn.yaml", 'vat_rate: "0.13"', 'vat_rate: "0.14"', (), "0.13", "0.14"),
        ("xiaomi/su7-ultra.yaml", "base_price: ", "base_price: 1", (), None, None),
    ],
)
def test_a_changed_file_means_a_new_pricer(
    cache: Path,
    shipped_copy: Path,
    edited: str,
    old: str,
    new: str,
    codes: tuple[str, ...],
    before: str | None,
    after: str | None,
) -> None:
    def shown(result: Quote | str) -> str:
        return result if isinstance(result, str) else f"{result.vat_rate} {result.subtotal}"

    first = _quote(shipped_copy, "xiaomi-su7-ultra", *codes)
    assert _quote(shipped_copy, "xiaomi-su7-ultra", *codes) == first  # from the stored pricer
    path = shipped_copy / edited
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    changed = _quote(shipped_copy, "xiaomi-su7-ultra", *codes)
    assert shown(changed) != shown(first)
    if before is not None and after is not None:
        assert before in shown(first) and after in shown(changed)
    assert _quote(shipped_copy, "xiaomi-su7-ultra", *codes) == changed
    assert len(_stored(cache)) == 1  # the entry of the model file's place, rewritten


def test_a_corrupt_entry_is_rebuilt(cache: Path) -> None:
    expected = _quote(SHIPPED, "xiaomi-su7-ultra")
    for entry in _stored(cache):
        entry.write_bytes(b"not a pickle")
    assert _quote(SHIPPED, "xiaomi-su7-ultra") == expected
    assert model_pricer("xiaomi-su7-ultra", SHIPPED)._catalog is None  # stored again


def test_edited_core_code_means_a_new_pricer(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import configurator.pricing.stored as stored

    for module in (("pricing", "engine.py"), ("rules", "constraints.py"), ("catalog", "schema.py")):
        assert os.path.join(*module) + ":" in stored._layout()
    model_pricer("xiaomi-su7-ultra", SHIPPED)
    monkeypatch.setattr(stored, "_layout", lambda: "edited")
    assert model_pricer("xiaomi-su7-ultra", SHIPPED)._catalog is not None  # built again
    assert len(_stored(cache)) == 2
    assert model_pricer("xiaomi-su7-ultra", SHIPPED)._catalog is None  # and stored


def test_no_cache_no_stored_pricer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONFIGURATOR_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert isinstance(_quote(SHIPPED, "xiaomi-su7-ultra"), Quote)
    assert list(tmp_path.rglob("*.entry")) == []


def test_an_unknown_model_is_named(cache: Path) -> None:
    with pytest.raises(UnknownModelError) as raised:
        model_pricer("xiaomi-su7-ultr", SHIPPED)
    assert "xiaomi-su7-ultra" in str(raised.value.suggestion)


# --- the command: a warm quote starts without pydantic, YAML or rich --------------------------

_RUN = """
import sys
from configurator.cli import main
sys.argv = ["configurator", *sys.argv[1:]]
try:
    main()
except SystemExit as stop:
    assert not stop.code, stop.code
heavy = ("pydantic.main", "yaml", "rich", "configurator.catalog.schema",
         "configurator.catalog.loader", "typer._adapters")
print(" ".join(sorted(m for m in sys.modules if m.startswith(heavy))), file=sys.stderr)
"""


def _run(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONFIGURATOR_CACHE_DIR": str(cache)}
    env.pop("CONFIGURATOR_CATALOGS", None)
    return subprocess.run(
        [sys.executable, "-c", _RUN, *args], capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.parametrize(
    "args",
    [
        ["quote", "xiaomi-su7-ultra", "--format", "json"],
        ["quote", "porsche-taycan", "--date", "2026-03-01", "-f", "json", "--currency", "USD"],
    ],
)
def test_a_warm_quote_imports_no_pydantic_yaml_or_rich(tmp_path: Path, args: list[str]) -> None:
    cold = _run(tmp_path, *args)
    assert cold.returncode == 0, cold.stderr
    assert "pydantic.main" in cold.stderr.split()  # the first run loads the catalog
    warm = _run(tmp_path, *args)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout == cold.stdout
    assert warm.stderr.split() == []
