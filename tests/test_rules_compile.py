"""Compilation: the disk cache, dates, and two extracts of the Renault Megane benchmark.

``tests/data/rules/megane-extract.json`` holds, from ``megane.xml``, every constraint within 14
variables of small domains ("small") and the 2,259-row constraint C21 alone ("table"); the
full benchmark runs in ``bench/renault_megane.py``, not here.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest

from configurator.catalog.loader import cache_dir
from configurator.catalog.schema import Catalog
from configurator.rules.compile import compile_catalog
from configurator.rules.engine import RulesEngine

EXTRACT = Path(__file__).resolve().parent / "data" / "rules" / "megane-extract.json"


def megane_catalog(part: dict[str, Any], allowed: bool | None = None) -> Catalog:
    """The extract as the benchmark converts it: a group per variable, a table per constraint."""
    groups = [
        {
            "id": f"v{name}",
            "name": f"Variable {name}",
            "choose": "exactly-one",
            "default": [f"V{name}-{values[0]}"],
            "options": [
                {"code": f"V{name}-{v}", "name": f"Value {v}", "price": v * 100} for v in values
            ],
        }
        for name, values in part["variables"].items()
    ]
    tables = [
        {
            "id": name.lower(),
            "message": f"Constraint {name}",
            "groups": [f"v{v}" for v in scope],
            "kind": "allowed" if (ok if allowed is None else allowed) else "forbidden",
            "rows": [[f"V{v}-{x}" for v, x in zip(scope, row, strict=True)] for row in rows],
        }
        for name, scope, ok, rows in part["constraints"]
    ]
    return Catalog.model_validate(
        {
            "id": "renault-megane",
            "brand": "Renault",
            "name": "Megane",
            "model_year": 2002,
            "version": "extract",
            "market": "cn",
            "currency": "CNY",
            "powertrain": "ice",
            "nev": False,
            "base_price": 100000,
            "groups": groups,
            "tables": tables,
        }
    )


@pytest.fixture(scope="module")
def extract() -> dict[str, Any]:
    return json.loads(EXTRACT.read_text())


def test_small_extract_agrees_with_the_xcsp_meaning(extract: dict[str, Any]) -> None:
    part = extract["small"]
    names = list(part["variables"])
    position = {name: i for i, name in enumerate(names)}
    checks = [
        ([position[v] for v in scope], allowed, {tuple(r) for r in rows})
        for _, scope, allowed, rows in part["constraints"]
    ]
    solutions = [
        values
        for values in itertools.product(*part["variables"].values())
        if all((tuple(values[i] for i in idx) in rows) == allowed for idx, allowed, rows in checks)
    ]
    engine = RulesEngine(megane_catalog(part))
    assert engine.count() == len(solutions) > 0
    used = {f"V{names[i]}-{v}" for values in solutions for i, v in enumerate(values)}
    assert set(engine.dead_options()) == {c for c in engine.codes if c not in used}
    first = solutions[len(solutions) // 2]
    partial = [f"V{names[0]}-{first[0]}", f"V{names[5]}-{first[5]}"]
    left = [s for s in solutions if s[0] == first[0] and s[5] == first[5]]
    assert engine.count(partial) == len(left)
    selectable = engine.selectable(partial)
    assert {c for c, ok in selectable.items() if ok} == {
        f"V{names[i]}-{v}" for values in left for i, v in enumerate(values)
    }
    cheapest = engine.completion(partial)
    assert engine.is_valid(cheapest.codes)
    assert cheapest.total == 100000 + min(sum(s) for s in left) * 100


def test_a_large_table_alone(extract: dict[str, Any]) -> None:
    part = extract["table"]
    ((_, scope, _, rows),) = part["constraints"]
    product = math.prod(len(values) for values in part["variables"].values())
    allowed = RulesEngine(megane_catalog(part, allowed=True))
    forbidden = RulesEngine(megane_catalog(part, allowed=False))
    assert allowed.count() == len(rows) == 2259
    assert forbidden.count() == product - len(rows)
    row = rows[7]
    partial = [f"V{scope[0]}-{row[0]}", f"V{scope[3]}-{row[3]}"]
    matching = [r for r in rows if r[0] == row[0] and r[3] == row[3]]
    assert allowed.count(partial) == len(matching)
    selectable = allowed.selectable(partial)
    assert {c for c, ok in selectable.items() if ok} == {
        f"V{v}-{x}" for r in matching for v, x in zip(scope, r, strict=True)
    }


def small_catalog(rule: str = "A", price: int = 100, until: str | None = None) -> Catalog:
    option: dict[str, Any] = {"code": "B", "name": "Beta", "price": price}
    if until is not None:
        option["available"] = {"until": dt.date.fromisoformat(until)}
    return Catalog.model_validate(
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
            "base_price": 10,
            "groups": [
                {
                    "id": "g",
                    "name": "G",
                    "choose": "any",
                    "options": [{"code": "A", "name": "Alpha", "price": 5}, option],
                }
            ],
            "rules": [{"id": "r", "message": "B needs it", "option": "B", "requires": rule}],
        }
    )


def test_the_second_compilation_is_loaded_from_the_cache() -> None:
    first = compile_catalog(small_catalog())
    second = compile_catalog(small_catalog())
    assert not first.cached and second.cached
    assert second.key == first.key
    for name in ("level", "low", "high"):
        assert (getattr(second.diagram, name) == getattr(first.diagram, name)).all()
    assert RulesEngine(small_catalog(), compiled=second).count() == 3


def test_prices_do_not_invalidate_the_cache_but_rules_and_dates_do() -> None:
    compile_catalog(small_catalog(price=100))
    repriced = compile_catalog(small_catalog(price=700))
    assert repriced.cached
    assert RulesEngine(small_catalog(price=700), compiled=repriced).completion(["B"]).total == 715
    assert not compile_catalog(small_catalog(rule="not A")).cached
    catalog = small_catalog(until="2025-12-31")
    before = compile_catalog(catalog, dt.date(2025, 6, 1))
    after = compile_catalog(catalog, dt.date(2026, 6, 1))
    assert before.key != after.key
    assert compile_catalog(catalog, dt.date(2025, 7, 1)).key == before.key  # same availability
    assert RulesEngine(catalog, dt.date(2026, 6, 1)).dead_options() == ["B"]
    assert RulesEngine(catalog, dt.date(2025, 6, 1)).dead_options() == []


def test_a_corrupt_cache_entry_is_rebuilt() -> None:
    compiled = compile_catalog(small_catalog(rule="A or not A"))
    directory = cache_dir()
    assert directory is not None
    entry = directory / f"rules-{compiled.key[:40]}.entry"
    entry.write_bytes(b"not a pickle")
    again = compile_catalog(small_catalog(rule="A or not A"))
    assert not again.cached
    assert RulesEngine(small_catalog(rule="A or not A"), compiled=again).count() == 4


def test_no_cache_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIGURATOR_CACHE_DIR", "")
    assert not compile_catalog(small_catalog()).cached
    assert not compile_catalog(small_catalog()).cached
