"""The lane that prices many plain configurations at once against Pricer.figures, car by car."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pricing_strategies import SHIPPED, choices, keep_values_of, pricer_for, pricing_tree

from configurator.catalog.loader import CatalogTree
from configurator.configuration import Configuration
from configurator.errors import ConfiguratorError
from configurator.pricing.bulk import BulkPricer
from configurator.pricing.engine import Figures, Pricer
from configurator.rules.select import engine_for

MODELS = [
    "acme-coupe",
    "xiaomi-su7-ultra",
    "xiaomi-yu7-max",
    "porsche-taycan",
    "porsche-911-carrera",
]
DAYS = [dt.date(2025, 6, 1), dt.date(2026, 3, 1)]


def _pricer(model: str) -> Pricer:
    tree = pricing_tree() if model.startswith("acme-") else CatalogTree(SHIPPED)
    return pricer_for(tree, model)


Row = tuple[list[str], dict[str, str]]


def _one_by_one(
    p: Pricer, codes: list[str], on: dt.date, values: dict[str, str] | None = None
) -> Figures | None:
    try:
        return p.figures(Configuration(p.catalog.id, tuple(codes), values or {}), on)
    except ConfiguratorError:
        return None


def _check(p: Pricer, rows: list[Row], on: dt.date) -> int:
    """Every answer of the lane equals figures; every car figures refuses, the lane leaves.
    Return how many rows the lane took."""
    found = BulkPricer(p).figures_many(rows, on)
    assert len(found) == len(rows)
    for (codes, values), lane in zip(rows, found, strict=True):
        expected = _one_by_one(p, codes, on, values)
        if lane is not None:
            assert expected == lane, (codes, values)
    return sum(lane is not None for lane in found)


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(MODELS), data=st.data())
def test_the_lane_answers_like_figures_or_leaves_the_row(model: str, data: st.DataObject) -> None:
    p = _pricer(model)
    rows: list[Row] = []
    for _ in range(data.draw(st.integers(1, 12))):
        configuration = data.draw(choices(p.catalog))
        values = dict(configuration.values)
        if data.draw(st.booleans()):  # values for the chosen options only, or for all
            values = dict(keep_values_of(configuration, p).values)
        rows.append((list(configuration.choices), values))
    if data.draw(st.booleans()):  # an unknown code, a duplicate, no code at all
        codes, values = rows[0]
        rows += [([*codes, "NOT-AN-OPTION"], values), ([*codes, *codes], values), ([], {})]
    _check(p, rows, data.draw(st.sampled_from(DAYS)))


@pytest.mark.parametrize("model", MODELS)
def test_the_lane_takes_every_valid_car(model: str) -> None:
    """Valid cars completed by the rules engine from random wishes (packages, options that
    bring others, price rules, discounts and programmes included): the lane must take every
    one figures prices, and price it as figures does; a lane that left rows to the slow path
    would fail here."""
    p = _pricer(model)
    on = DAYS[1]
    engine = engine_for(p.catalog, on)
    rng = random.Random(model)
    codes = sorted(p.selection.position)
    cars = []
    for _ in range(60):
        wishes = rng.sample(codes, 2)
        try:
            cars.append(sorted(engine.complete(wishes, rng.choice(["cheapest", "dearest"]))))
        except ConfiguratorError:  # wishes that cannot go together
            continue
    cars.append(sorted(engine.complete([], "cheapest")))
    rows = [(car, {c: "AB 12" for c in car if c in p.selection.value_specs}) for car in cars]
    taken = _check(p, rows, on)
    valid = [row for row in rows if _one_by_one(p, row[0], on, row[1]) is not None]
    kinds = {
        line.kind
        for car, values in valid
        for line in p.price(Configuration(p.catalog.id, tuple(car), values), on).lines
    }
    assert taken == len(valid) > 0
    assert {"package", "included"} <= kinds  # the cars include packages


@pytest.mark.parametrize(
    ("model", "wishes", "kind"),
    [
        ("xiaomi-yu7-max", ["TOW-HITCH", "ROOF-RACK"], "discount"),  # a percentage of two codes
        ("xiaomi-yu7-max", ["TOW-HITCH", "ROOF-TENT"], "discount"),  # one the tent brings
        ("xiaomi-su7-ultra", ["PKG-TRACK", "HOOD-CARBON-DUCTS"], "discount"),  # an amount
        ("xiaomi-su7-ultra", ["PKG-TRACK"], "included"),
        ("xiaomi-su7-ultra", ["WHEEL-FORGED-GOLD"], "price_rule"),  # on a brought option
        ("porsche-911-carrera", ["BADGE-EM-PAINTED", "PAINT-TO-SAMPLE-PLUS"], "price_rule"),
    ],
)
def test_the_lane_charges_packages_price_rules_and_discounts_as_figures(
    model: str, wishes: list[str], kind: str
) -> None:
    p = _pricer(model)
    on = DAYS[1]
    engine = engine_for(p.catalog, on)
    for strategy in ("cheapest", "dearest"):
        car = sorted(engine.complete(wishes, strategy))
        values = {c: "AB 12" for c in car if c in p.selection.value_specs}
        quote = p.price(Configuration(model, tuple(car), values), on, brief=True)
        assert kind in {line.kind for line in quote.lines}
        found = BulkPricer(p).figures_many([(car, values)], on)[0]
        assert found is not None
        assert found == _one_by_one(p, car, on, values)
        assert found.total == quote.total


def test_the_lane_fills_untouched_groups_with_their_defaults() -> None:
    p = _pricer("acme-coupe")
    lane = BulkPricer(p)
    on = DAYS[1]
    base = sorted(engine_for(p.catalog, on).complete([], "cheapest"))
    # the same car without the defaults it would get anyway
    defaults = {c for c in p.resolve(()).codes}
    chosen = [c for c in base if c not in defaults] or base[:1]
    assert len(chosen) < len(base)
    found = lane.figures_many([(chosen, {})], on)[0]
    assert found is not None
    assert found == _one_by_one(p, chosen, on)
    whole = lane.figures_many([(base, {})], on)[0]  # the same car, every code chosen
    assert whole is not None and whole.code != found.code
    assert (found.subtotal, found.taxes, found.total) == (whole.subtotal, whole.taxes, whole.total)


def test_the_lane_leaves_values_that_a_configuration_or_the_option_refuses() -> None:
    p = _pricer("porsche-taycan")
    on = DAYS[1]
    car = sorted(engine_for(p.catalog, on).complete(["PAINT-TO-SAMPLE"], "cheapest"))
    good = {"PAINT-TO-SAMPLE": "Oak Green"}
    rows = [(car, good)] + [
        (car, {"PAINT-TO-SAMPLE": bad}) for bad in ("Oak\x1b[2J", "a\tb", "a\u202eb", "", "x" * 600)
    ]
    found = BulkPricer(p).figures_many(rows, on)
    assert found[0] is not None and found[0] == _one_by_one(p, car, on, good)
    assert found[1:] == [None] * 5


@pytest.mark.parametrize("model", ["xiaomi-su7-ultra", "porsche-taycan"])
def test_codes_of_many_cars_at_once_equal_one_at_a_time(model: str) -> None:
    """The lane's codes (ids written as one number per car with numpy, every code checked
    and spelled at once) equal encode's, with values for chosen options and for others."""
    p = _pricer(model)
    lane = BulkPricer(p)
    book = p.book
    rng = random.Random(5)
    known = sorted(book.ids)
    valued = sorted(p.selection.value_specs)
    texts = ["Oak Green", "张家车库", "É", "x" * 40, "AB 12"]
    cars: list[tuple[list[str], dict[str, str]]] = []
    for count in [0, 1, 2, 3, 8, 13, min(len(known), 40)]:
        for _ in range(12):
            car = rng.sample(known, count)
            given = rng.sample(valued, rng.randint(0, len(valued)))
            cars.append((car, {code: rng.choice(texts) for code in given}))
    chosen = np.zeros((len(cars), lane.size), dtype=np.float32)
    for row, (car, _) in enumerate(cars):
        chosen[row, [lane.column[code] for code in car]] = 1
    found = lane._codes(chosen, [values for _, values in cars])
    assert found == [book.encode(car, values) for car, values in cars]
