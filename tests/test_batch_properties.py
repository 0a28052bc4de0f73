"""Property: every batch row is what the pricing engine (the `quote` command's core) gives."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from configurator.batch import Settings, Summary, market_tax_ids, run_batch
from configurator.catalog.loader import open_tree
from configurator.configuration import Configuration
from configurator.errors import ConfigurationError
from configurator.money import money_json
from configurator.pricing.engine import price

TREE = open_tree()
MODELS = TREE.model_ids()
TAX_IDS = market_tax_ids(TREE.root)


@st.composite
def configurations(draw: st.DrawFn) -> dict[str, Any]:
    """A random configuration: per group nothing, one option or two; maybe a package;
    values for options that take one (sometimes missing or too long)."""
    model = draw(st.sampled_from(MODELS))
    catalog = TREE.load(model)
    choices: list[str] = []
    for group in catalog.groups:
        most = min(group.choose.max or 2, 2)
        how_many = draw(st.sampled_from([0, 0, 0, 0, 0, 1, 1, most]))
        if how_many and group.options:
            picked = draw(
                st.lists(
                    st.sampled_from([o.code for o in group.options]),
                    min_size=how_many,
                    max_size=how_many,
                    unique=True,
                )
            )
            choices += picked
    use_package: bool = draw(st.booleans())
    if catalog.packages and use_package:
        choices.append(draw(st.sampled_from([p.code for p in catalog.packages])))
    if draw(st.integers(0, 19)) == 0:
        choices.append("NOT-AN-OPTION")
    values = {}
    options = catalog.option_index()
    for code in choices:
        spec = options[code][1].value if code in options else None
        if spec is not None and draw(st.integers(0, 5)):
            values[code] = draw(
                st.sampled_from([*spec.examples, "x" * (spec.max_length + 1), "Oak; Green"])
            )
    day = draw(st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)))
    return {"model": model, "choices": choices, "values": values, "date": day}


def expected_row(item: dict[str, Any]) -> dict[str, Any]:
    """What the engine says for a configuration: the figures, or the error code."""
    catalog = TREE.load(item["model"])
    market = TREE.load_market(catalog.market)
    configuration = Configuration.of(item["model"], item["choices"], item["values"])
    try:
        quote = price(catalog, configuration, market, item["date"])
    except ConfigurationError as error:
        return {"status": "error", "error_code": error.error_code}
    taxes: dict[str, str | None] = {tax_id: None for tax_id in TAX_IDS}
    taxes.update({tax.id: "0.00" for tax in market.taxes})
    taxes.update({tax.id: money_json(tax.amount) for tax in quote.taxes})
    return {
        "status": "ok",
        "code": quote.code,
        "subtotal": money_json(quote.subtotal),
        **taxes,
        "total": money_json(quote.total),
        "currency": quote.currency,
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(configurations(), min_size=1, max_size=8))
def test_every_row_is_what_the_engine_gives(items: list[dict[str, Any]]) -> None:
    lines = []
    for number, item in enumerate(items):
        options = [
            f"{code}={item['values'][code]}" if code in item["values"] else code
            for code in item["choices"]
        ]
        row = {"id": f"r{number}", "model": item["model"], "options": options}
        row["date"] = item["date"].isoformat()
        lines.append(json.dumps(row))
    out = io.StringIO()
    summary = Summary()
    run_batch(
        io.StringIO("\n".join(lines)),
        out,
        input_format="jsonl",
        settings=Settings(str(TREE.root), dt.date(2026, 1, 1), TAX_IDS, "jsonl"),
        summary=summary,
    )
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == len(items) == summary.rows
    for record, item in zip(records, items, strict=True):
        expected = expected_row(item)
        assert {key: record[key] for key in expected} == expected, record.get("error")
        if record["status"] == "ok":
            owed = sum(Decimal(record[t]) for t in TAX_IDS if record[t] is not None)
            assert Decimal(record["total"]) == Decimal(record["subtotal"]) + owed
