"""Cars side by side: a :class:`Comparison` of two or more quotes, row by row.

Rows come group by group (the union of the cars' groups, in the order they first appear; a
car whose model has no such group gets no cell), then packages, price rules and discounts
where any car has them, then the money: subtotal, net, VAT, each tax, total, deposit and
delivery. A row *differs* when its cells are not all the same (the options chosen, the text
and the amount). Every amount is the quote's own :class:`~decimal.Decimal`: a comparison's
totals are exactly those of ``configurator quote --code``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from configurator.errors import CatalogError, ConfiguratorError, UsageError
from configurator.money import format_money, money_json
from configurator.quote import Quote, QuoteLine

if TYPE_CHECKING:
    from configurator.catalog.loader import CatalogTree

RowKind = Literal["base", "group", "packages", "price_rules", "discounts", "money", "delivery"]


@dataclass(frozen=True, kw_only=True)
class ComparedCar:
    """One configuration in the comparison: what it is and what it costs."""

    source: str  # the argument it came from: a code or a file name
    quote: Quote
    groups: tuple[tuple[str, str], ...]  # the model's groups (id, name), in catalog order

    @property
    def model(self) -> str:
        return self.quote.model

    @property
    def model_name(self) -> str:
        return self.quote.model_name

    @property
    def code(self) -> str:
        return self.quote.code

    @property
    def currency(self) -> str:
        return self.quote.currency


@dataclass(frozen=True, kw_only=True)
class Cell:
    """What one car has in one row: option names (and codes), and an amount where it has one."""

    text: str
    codes: tuple[str, ...] = ()
    amount: Decimal | None = None
    swatch: str | None = None

    def key(self) -> tuple[object, ...]:
        """What makes two cells the same."""
        return (self.codes, self.text, self.amount)


@dataclass(frozen=True, kw_only=True)
class Row:
    """One row: a group (``group`` is its id) or a money row (``group`` None)."""

    kind: RowKind
    group: str | None
    label: str
    label_key: str  # the group id, or a fixed key: subtotal, net, vat, tax:<id>, total, ...
    cells: tuple[Cell | None, ...]  # one per configuration; None: the car has no such row
    differs: bool


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """Configurations priced on one date, and the rows that compare them."""

    date: dt.date
    configurations: tuple[ComparedCar, ...]
    rows: tuple[Row, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: amounts as strings with two decimals; totals as ``quote --code``."""
        return {
            "date": self.date.isoformat(),
            "configurations": [_car_json(car) for car in self.configurations],
            "rows": [
                {
                    "group": row.group,
                    "label": row.label,
                    "kind": row.kind,
                    "cells": [_cell_json(cell) for cell in row.cells],
                    "differs": row.differs,
                }
                for row in self.rows
            ],
        }

    def to_json_text(self) -> str:
        """Indented JSON text ending in a newline (non-ASCII kept)."""
        import json

        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"


def _car_json(car: ComparedCar) -> dict[str, Any]:
    quote = car.quote
    return {
        "source": car.source,
        "model": quote.model,
        "model_name": quote.model_name,
        "brand": quote.brand,
        "catalog_version": quote.catalog_version,
        "market": quote.market,
        "currency": quote.currency,
        "code": quote.code,
        "subtotal": money_json(quote.subtotal),
        "net": money_json(quote.net),
        "vat": money_json(quote.vat),
        "taxes": [
            {"id": tax.id, "name": tax.name, "amount": money_json(tax.amount)}
            for tax in quote.taxes
            if tax.paid_by_buyer
        ],
        "total": money_json(quote.total),
        "deposit": money_json(quote.deposit),
        "delivery_weeks": quote.delivery_weeks,
        "warnings": list(quote.warnings),
    }


def _cell_json(cell: Cell | None) -> dict[str, Any] | None:
    if cell is None:
        return None
    return {
        "text": cell.text,
        "codes": list(cell.codes),
        "amount": None if cell.amount is None else money_json(cell.amount),
    }


def _line_text(line: QuoteLine) -> str:
    text = f"{line.name}: “{line.value}”" if line.value else line.name
    if line.kind == "included" and line.note:
        text += f" ({line.note})"
    return text


def _lines_cell(lines: Sequence[QuoteLine]) -> Cell:
    swatches = [line.swatch for line in lines if line.swatch]
    return Cell(
        text=", ".join(_line_text(line) for line in lines) or "none",
        codes=tuple(line.code or line.id or "" for line in lines),
        amount=sum((line.amount for line in lines), Decimal(0)),
        swatch=swatches[0] if len(swatches) == 1 and len(lines) == 1 else None,
    )


def _differs(cells: Sequence[Cell | None]) -> bool:
    keys = {None if cell is None else cell.key() for cell in cells}
    return len(keys) > 1


def _row(kind: RowKind, group: str | None, label: str, key: str, cells: list[Cell | None]) -> Row:
    return Row(
        kind=kind,
        group=group,
        label=label,
        label_key=key,
        cells=tuple(cells),
        differs=_differs(cells),
    )


def compare(cars: Sequence[ComparedCar], on: dt.date) -> Comparison:
    """Compare priced configurations (two or more; models may differ) row by row."""
    quotes = [car.quote for car in cars]
    rows: list[Row] = [
        _row(
            "base",
            None,
            "Base price",
            "base",
            [Cell(text=q.model_name, codes=(q.model,), amount=_base(q)) for q in quotes],
        )
    ]
    group_names: dict[str, str] = {}
    for car in cars:
        for group_id, group_name in car.groups:
            group_names.setdefault(group_id, group_name)
    for group, name in group_names.items():
        cells: list[Cell | None] = []
        for car in cars:
            lines = [
                line
                for line in car.quote.lines
                if line.group == group and line.kind in ("option", "included")
            ]
            offered = any(group_id == group for group_id, _ in car.groups)
            cells.append(_lines_cell(lines) if lines else (_empty() if offered else None))
        rows.append(_row("group", group, name, group, cells))
    for kind, key, label in (
        ("package", "packages", "Packages"),
        ("price_rule", "price_rules", "Price rules"),
        ("discount", "discounts", "Discounts"),
    ):
        if any(line.kind == kind for quote in quotes for line in quote.lines):
            cells = []
            for quote in quotes:
                chosen = [line for line in quote.lines if line.kind == kind]
                cells.append(_lines_cell(chosen) if chosen else _empty())
            rows.append(_row(key, None, label, key, cells))  # type: ignore[arg-type]
    rows.append(_money_row("Subtotal", "subtotal", [q.subtotal for q in quotes]))
    rows.append(_money_row("Net", "net", [q.net for q in quotes]))
    rows.append(_money_row("VAT", "vat", [q.vat for q in quotes]))
    tax_names: dict[str, str] = {}
    for quote in quotes:
        for tax in quote.taxes:
            if tax.paid_by_buyer:
                tax_names.setdefault(tax.id, tax.name)
    for tax_id, name in tax_names.items():
        amounts: list[Decimal | None] = []
        for quote in quotes:
            owed = quote.tax(tax_id)
            amounts.append(owed.amount if owed is not None and owed.paid_by_buyer else None)
        rows.append(_money_row(name, f"tax:{tax_id}", amounts))
    rows.append(_money_row("Total", "total", [q.total for q in quotes]))
    rows.append(_money_row("Deposit", "deposit", [q.deposit for q in quotes]))
    rows.append(
        _row(
            "delivery",
            None,
            "Delivery",
            "delivery",
            [Cell(text=f"about {q.delivery_weeks} weeks") for q in quotes],
        )
    )
    return Comparison(date=on, configurations=tuple(cars), rows=tuple(rows))


def price_source(tree: CatalogTree, source: str, on: dt.date) -> ComparedCar:
    """Price one argument of ``compare``: a file saved by ``configure --save`` (YAML or JSON)
    or a configuration code, priced on ``on`` exactly as ``quote --code`` prices it.

    Errors name the argument: "order.yaml: ...", "DBYB-F00X: ...".
    """
    from pathlib import Path

    from configurator.pricing.engine import price, price_code
    from configurator.session import FILE_FORMATS, read_configuration_file

    try:
        path = Path(source)
        if path.suffix.lower() in FILE_FORMATS or path.exists():
            saved = read_configuration_file(path)
            if saved.configuration.choices or saved.code is None:
                catalog = tree.load(saved.configuration.model)
                market = tree.load_market(catalog.market)
                quote = price(catalog, saved.configuration, market, on)
            else:
                quote = price_code(tree, saved.code, on)
        else:
            quote = price_code(tree, source, on)
        catalog = tree.load(quote.model)
    except CatalogError:
        raise
    except ConfiguratorError as error:
        if not error.message.startswith(source):
            error.message = f"{source}: {error.message}"
        raise
    return ComparedCar(
        source=source,
        quote=quote,
        groups=tuple((group.id, group.name) for group in catalog.groups),
    )


def compare_sources(tree: CatalogTree, sources: Sequence[str], on: dt.date) -> Comparison:
    """Price each source (code or saved file) on ``on`` and compare them (at least two)."""
    if len(sources) < 2:
        raise UsageError(
            "compare needs at least two configurations (codes or saved files), "
            "e.g. configurator compare CODE1 CODE2"
        )
    return compare([price_source(tree, source, on) for source in sources], on)


def _base(quote: Quote) -> Decimal:
    return sum((line.amount for line in quote.lines if line.kind == "base"), Decimal(0))


def _empty() -> Cell:
    return Cell(text="none", amount=Decimal(0))


def _money_row(label: str, key: str, amounts: Sequence[Decimal | None]) -> Row:
    cells: list[Cell | None] = [
        None if amount is None else Cell(text="", amount=amount) for amount in amounts
    ]
    return _row("money", None, label, key, cells)


def describe_cell(cell: Cell | None) -> str:
    """A cell as one plain line (for messages and tests): 'Amethyst 28,000.00'."""
    if cell is None:
        return "not offered"
    amount = "" if cell.amount is None else format_money(cell.amount)
    return " ".join(part for part in (cell.text, amount) if part)
