"""Catalogs as data and as words: JSON for ``models``/``show``, rules in sentences, JSON Schema.

Core code: plain dicts and strings, no rich. Amounts are strings with exactly two decimals
(:func:`configurator.money.money_json`, ROUND_HALF_UP).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from configurator.catalog.reference import describe_fields, schema_models
from configurator.catalog.schema import (
    Catalog,
    Discount,
    Fragment,
    Market,
    PriceRule,
    Rule,
    TableRule,
)
from configurator.expr import And, Const, Expr, Not, Or, Var, parse
from configurator.money import format_money, money_json

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


# --- JSON data ----------------------------------------------------------------------------


def model_summary(catalog: Catalog) -> dict[str, Any]:
    """One line of ``configurator models --json``."""
    return {
        "id": catalog.id,
        "brand": catalog.brand,
        "name": catalog.name,
        "names": dict(catalog.names),
        "model_year": catalog.model_year,
        "version": catalog.version,
        "market": catalog.market,
        "currency": catalog.currency,
        "base_price": money_json(catalog.base_price),
        "powertrain": catalog.powertrain.value,
        "nev": catalog.nev,
        "lead_time_weeks": catalog.lead_time_weeks,
    }


def catalog_data(catalog: Catalog) -> dict[str, Any]:
    """The whole (merged) catalog as JSON-ready data for ``configurator show --json``.

    Groups list their option codes; every option is in the flat ``options`` list with its
    ``group``. Rules carry a ``text`` in words beside the author's ``message``.
    """
    data = catalog.model_dump(mode="json", by_alias=True, exclude={"groups", "includes"})
    names = display_names(catalog)
    programme_of = {code: p.id for p in catalog.programmes for code in p.options}
    groups = []
    options = []
    for group in catalog.groups:
        groups.append(
            {
                "id": group.id,
                "name": group.name,
                "names": dict(group.names),
                "description": group.description,
                "choose": {
                    "min": group.choose.min,
                    "max": group.choose.max,
                    "text": group.choose.describe(),
                },
                "default": list(group.default),
                "options": [option.code for option in group.options],
            }
        )
        for option in group.options:
            entry = option.model_dump(mode="json", by_alias=True)
            entry["group"] = group.id
            entry["programme"] = programme_of.get(option.code)
            entry["default"] = option.code in group.default
            options.append(entry)
    data["groups"] = groups
    data["options"] = options
    for rule, entry in zip(catalog.rules, data["rules"], strict=True):
        entry["text"] = describe_rule(rule, names)
    for table, entry in zip(catalog.tables, data["tables"], strict=True):
        entry["text"] = describe_table(table, catalog)
    for price_rule, entry in zip(catalog.price_rules, data["price_rules"], strict=True):
        entry["text"] = describe_price_rule(price_rule, names, catalog.currency)
    for discount, entry in zip(catalog.discounts, data["discounts"], strict=True):
        entry["text"] = describe_discount(discount, names, catalog.currency)
    return data


# --- words --------------------------------------------------------------------------------


def display_names(catalog: Catalog) -> dict[str, str]:
    """Code -> the name shown to people, for options and packages."""
    names = {o.code: o.name for g in catalog.groups for o in g.options}
    names.update({p.code: p.name for p in catalog.packages})
    return names


def expression_words(text: str, names: dict[str, str]) -> str:
    """A rule expression with option names for codes: 'Amethyst or Racing Red'."""
    return _words(parse(text), names, 0)


def _words(expr: Expr, names: dict[str, str], parent: int) -> str:
    if isinstance(expr, Var):
        return names.get(expr.code, expr.code)
    if isinstance(expr, Const):
        return "always" if expr.value else "never"
    if isinstance(expr, Not):
        return "not " + _words(expr.operand, names, 3)
    level = 2 if isinstance(expr, And) else 1
    assert isinstance(expr, And | Or)
    joined = (" and " if level == 2 else " or ").join(
        _words(operand, names, level) for operand in expr.operands
    )
    return f"({joined})" if level < parent else joined


def _listing(items: list[str], last: str = "or") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def describe_rule(rule: Rule, names: dict[str, str]) -> str:
    """A rule in words: '24k gold badges only with Amethyst or Racing Red'."""
    if rule.option is not None and rule.requires is not None:
        subject = names.get(rule.option, rule.option)
        return f"{subject} only with {expression_words(rule.requires, names)}"
    if rule.option is not None and rule.excludes is not None:
        others = [names.get(code, code) for code in rule.excludes]
        return f"{names.get(rule.option, rule.option)} cannot be combined with {_listing(others)}"
    assert rule.if_ is not None and rule.then is not None
    return f"if {expression_words(rule.if_, names)}, then {expression_words(rule.then, names)}"


def describe_table(table: TableRule, catalog: Catalog) -> str:
    """A variant table in words: 'allowed combinations of Paint and Wheels: 12 rows'."""
    group_names = {g.id: g.name for g in catalog.groups}
    columns = _listing([group_names.get(g, g) for g in table.groups], "and")
    rows = len(table.rows)
    return f"{table.kind} combinations of {columns}: {rows} row{'s' if rows != 1 else ''}"


def describe_price_rule(rule: PriceRule, names: dict[str, str], currency: str) -> str:
    """'Track wheels: 0.00 CNY when Track package'."""
    return (
        f"{names.get(rule.option, rule.option)}: {format_money(rule.price)} {currency} "
        f"when {expression_words(rule.when, names)}"
    )


def describe_discount(discount: Discount, names: dict[str, str], currency: str) -> str:
    """'5,000.00 CNY off when Track package and Carbon hood'."""
    if discount.amount is not None:
        what = f"{format_money(discount.amount)} {currency} off"
    else:
        of = _listing([names.get(code, code) for code in discount.of], "and")
        what = f"{discount.percent:f}% off " + (f"the price of {of}" if of else "the car")
    return f"{what} when {expression_words(discount.when, names)}"


# --- JSON Schema --------------------------------------------------------------------------


def catalog_json_schema() -> dict[str, Any]:
    """The JSON Schema of a catalog file: a model catalog or a shared fragment (``anyOf``)."""
    schema = TypeAdapter(Catalog | Fragment).json_schema(by_alias=True)
    describe_fields(schema, schema_models())
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": "catalog.schema.json",
        "title": "configurator catalog",
        "description": (
            "A model catalog (catalogs/<brand>/<model>.yaml) or a shared fragment "
            "(catalogs/<brand>/_<name>.yaml). Generated from configurator.catalog.schema by "
            "'configurator catalog schema'; documented in docs/catalog-format.md."
        ),
        **schema,
    }


def market_json_schema() -> dict[str, Any]:
    """The JSON Schema of a market file (catalogs/markets/<id>.yaml)."""
    schema = Market.model_json_schema(by_alias=True)
    describe_fields(schema, schema_models())
    schema.pop("description", None)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": "market.schema.json",
        "title": "configurator market",
        "description": (
            "A market (catalogs/markets/<id>.yaml): currency, VAT, taxes and exchange rates. "
            "Generated by 'configurator catalog schema --market'."
        ),
        **schema,
    }


def schema_text(market: bool = False) -> str:
    """The schema as kept in ``catalogs/schema/``: stable order, indented, final newline."""
    schema = market_json_schema() if market else catalog_json_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
