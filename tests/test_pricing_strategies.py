"""Shared pieces of the pricing tests: the test tree and a strategy for valid configurations.

The test tree ``tests/data/pricing`` pins its own CN market (a copy of the shipped one) so pricing
tests do not move when the shipped catalogs do; ``acme-coupe`` exercises every feature.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import assume
from hypothesis import strategies as st

from configurator.catalog.loader import CatalogTree
from configurator.catalog.schema import Catalog
from configurator.configuration import Configuration
from configurator.errors import ConfigurationError
from configurator.pricing.engine import Pricer, pricer

PRICING = Path(__file__).resolve().parent / "data" / "pricing"
SHIPPED = Path(__file__).resolve().parent.parent / "catalogs"
VALUE_TEXT = st.text(
    alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '-"),
    min_size=1,
    max_size=12,
).filter(lambda text: text.strip() != "")


def pricing_tree() -> CatalogTree:
    return CatalogTree(PRICING)


def pricer_for(tree: CatalogTree, model: str) -> Pricer:
    catalog = tree.load(model)
    return pricer(catalog, tree.load_market(catalog.market))


@st.composite
def choices(draw: st.DrawFn, catalog: Catalog) -> Configuration:
    """Any configuration of known codes: per group none, one or a few options, packages."""
    picked: list[str] = []
    for group in catalog.groups:
        codes = [o.code for o in group.options]
        high = 1 if group.choose.max == 1 else min(len(codes), 3)
        picked += draw(st.lists(st.sampled_from(codes), max_size=high, unique=True))
    packages = [p.code for p in catalog.packages]
    if packages:
        picked += draw(st.lists(st.sampled_from(packages), max_size=1, unique=True))
    values = {}
    for group in catalog.groups:
        for option in group.options:
            if option.value is not None:
                values[option.code] = draw(VALUE_TEXT)
    return Configuration.of(catalog.id, draw(st.permutations(picked)), values)


def keep_values_of(configuration: Configuration, price: Pricer) -> Configuration:
    """Drop the values of options the configuration does not select."""
    choices_, _ = price.canonical(Configuration(configuration.model, configuration.choices))
    selected = price.resolve(choices_).codes
    values = {c: v for c, v in configuration.values.items() if c in selected}
    return Configuration(configuration.model, configuration.choices, values)


@st.composite
def valid_configurations(draw: st.DrawFn, price: Pricer, on: dt.date) -> Configuration:
    """A configuration the engine accepts on ``on`` (others are filtered out)."""
    configuration = keep_values_of(draw(choices(price.catalog)), price)
    try:
        price.check(configuration, on)
    except ConfigurationError:
        assume(False)
    return configuration


def test_strategy_finds_valid_configurations() -> None:
    price = pricer_for(pricing_tree(), "acme-coupe")
    on = dt.date(2025, 8, 1)
    found = []

    from hypothesis import given, settings

    @settings(max_examples=30, deadline=None)
    @given(valid_configurations(price, on))
    def collect(configuration: Configuration) -> None:
        found.append(configuration)

    collect()
    assert found
    assert any(configuration.choices for configuration in found)


@pytest.fixture(scope="module")
def tree() -> CatalogTree:
    return pricing_tree()
