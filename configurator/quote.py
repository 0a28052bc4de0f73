"""A priced configuration: the :class:`Quote` the pricing engine returns, and its JSON form.

Every amount is a :class:`~decimal.Decimal` in the catalog's currency (authoritative);
conversions into other currencies are approximate and say which dated rate they used. In JSON
(:meth:`Quote.to_json`) amounts are strings with exactly two decimals.

Quotes are frozen dataclasses: plain values made by the engine's arithmetic, so a quote needs
no validation (and no pydantic, which a one-shot ``configurator quote`` would otherwise import
just to define these classes). The engine builds them with :func:`construct`; change one with
:func:`dataclasses.replace`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeVar

from configurator.money import money_json

M = TypeVar("M")


def construct(cls: type[M], **values: Any) -> M:
    """Build a quote object from trusted values that name *every* field, without running the
    dataclass ``__init__`` (the pricing engine's hot path). tests/test_pricing_engine.py checks
    that the result equals one made by ``cls(**values)``."""
    made = object.__new__(cls)
    made.__dict__.update(values)
    return made


LineKind = Literal["base", "option", "package", "included", "price_rule", "discount"]


@dataclass(frozen=True, kw_only=True)
class QuoteLine:
    """One line of a quote; the subtotal is the sum of the lines.

    ``kind``: ``base`` (the car), ``option`` (a chosen, standard or brought-along option),
    ``package``, ``included`` (an option a package includes, at 0), ``price_rule`` (the
    difference a price rule makes to an option's price) or ``discount`` (negative).
    """

    kind: LineKind
    name: str
    amount: Decimal
    code: str | None = None  # option or package code (the repriced option for price rules)
    id: str | None = None  # price rule or discount id
    group: str | None = None  # group id of an option
    group_name: str | None = None
    value: str | None = None  # what the buyer supplied (a paint-to-sample colour name)
    swatch: str | None = None  # "#RRGGBB"
    note: str | None = None  # why the line is there: standard, comes with X, included in P, ...


@dataclass(frozen=True, kw_only=True)
class TaxLine:
    """A tax on the car: which period applied, its base, rate, amount and why."""

    id: str
    name: str
    kind: str  # the period's kind: percentage, cliff, exempt, exempt-up-to, reduced (or vat)
    base: Decimal
    base_kind: Literal["net", "gross"]
    rate: Decimal | None
    amount: Decimal
    explanation: str
    paid_by_buyer: bool = True  # added to the total


@dataclass(frozen=True, kw_only=True)
class Threshold:
    """Where the car stands against a tax cliff (a period of kind ``cliff``)."""

    tax_id: str
    tax_name: str
    threshold: Decimal  # in terms of the tax base (e.g. Net 900,000.00)
    threshold_price: Decimal  # the list price at which the cliff starts (e.g. 1,017,000.00)
    base: Decimal  # the car's base for this tax
    crossed: bool
    headroom: Decimal | None  # list-price amount that reaches the cliff (None when crossed)
    cost: Decimal  # the tax owed when crossed; the least it would be at the threshold otherwise
    culprit: str | None = None  # the buyer's option that took the car over (see docs)
    culprit_name: str | None = None
    culprit_amount: Decimal | None = None
    culprit_enough: bool = False  # removing the culprit alone takes the car back under
    message: str


@dataclass(frozen=True, kw_only=True)
class ProgrammeProgress:
    """A programme the configuration takes part in: spend against its minimum."""

    id: str
    name: str
    spend: Decimal
    minimum: Decimal
    met: bool
    missing: Decimal
    deposit: Decimal
    extra_lead_time_weeks: int
    options: list[str] = field(default_factory=list)
    monthly_capacity: int | None = None


@dataclass(frozen=True, kw_only=True)
class Conversion:
    """Amounts converted into another currency at a dated rate: approximate, for display."""

    currency: str
    rate: Decimal  # units of the quote currency per unit of ``currency``
    rate_date: dt.date
    approximate: bool = True
    subtotal: Decimal
    net: Decimal
    vat: Decimal
    total: Decimal
    deposit: Decimal
    lines: list[Decimal]  # in the order of Quote.lines
    taxes: list[Decimal]  # in the order of Quote.taxes


@dataclass(frozen=True, kw_only=True)
class Quote:
    """A priced configuration on a date, in a market."""

    model: str
    model_name: str
    brand: str
    catalog_version: str
    market: str
    currency: str
    date: dt.date
    code: str
    choices: list[str]  # the buyer's own choices, in catalog order
    values: dict[str, str]  # buyer-supplied values by option code
    lines: list[QuoteLine]
    subtotal: Decimal  # the vehicle price as listed (incl. VAT where the market's prices do)
    net: Decimal  # the subtotal without VAT
    vat: Decimal  # the VAT the subtotal contains (or that is added to it)
    vat_rate: Decimal
    prices_include_vat: bool
    taxes: list[TaxLine]
    total: Decimal  # what the buyer pays: subtotal + the taxes the buyer owes
    deposit: Decimal
    delivery_weeks: int
    programmes: list[ProgrammeProgress]
    thresholds: list[Threshold]
    warnings: list[str]
    notes: list[str]
    conversions: list[Conversion] = field(default_factory=list)

    @property
    def taxes_owed(self) -> Decimal:
        """The sum of the taxes the buyer owes on top of the subtotal."""
        return sum((t.amount for t in self.taxes if t.paid_by_buyer), Decimal(0))

    def tax(self, tax_id: str) -> TaxLine | None:
        """The tax line with this id, or None when the car owes no such tax."""
        return next((t for t in self.taxes if t.id == tax_id), None)

    def to_json_text(self) -> str:
        """The quote as indented JSON text ending in a newline (non-ASCII kept as is)."""
        import json

        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: amounts as strings with exactly two decimals, dates ISO."""
        return {
            "model": self.model,
            "model_name": self.model_name,
            "brand": self.brand,
            "catalog_version": self.catalog_version,
            "market": self.market,
            "currency": self.currency,
            "date": self.date.isoformat(),
            "code": self.code,
            "choices": list(self.choices),
            "values": dict(self.values),
            "lines": [_line_json(line) for line in self.lines],
            "subtotal": money_json(self.subtotal),
            "net": money_json(self.net),
            "vat": money_json(self.vat),
            "vat_rate": _rate_json(self.vat_rate),
            "prices_include_vat": self.prices_include_vat,
            "taxes": [_tax_json(tax) for tax in self.taxes],
            "taxes_owed": money_json(self.taxes_owed),
            "total": money_json(self.total),
            "deposit": money_json(self.deposit),
            "delivery_weeks": self.delivery_weeks,
            "programmes": [_programme_json(p) for p in self.programmes],
            "thresholds": [_threshold_json(t) for t in self.thresholds],
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "conversions": [_conversion_json(c) for c in self.conversions],
        }


def _rate_json(rate: Decimal | None) -> str | None:
    return None if rate is None else f"{rate:f}"


def _opt_money(amount: Decimal | None) -> str | None:
    return None if amount is None else money_json(amount)


def _line_json(line: QuoteLine) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "group": line.group,
        "code": line.code,
        "id": line.id,
        "name": line.name,
        "amount": money_json(line.amount),
        "value": line.value,
        "swatch": line.swatch,
        "note": line.note,
    }


def _tax_json(tax: TaxLine) -> dict[str, Any]:
    return {
        "id": tax.id,
        "name": tax.name,
        "kind": tax.kind,
        "base": money_json(tax.base),
        "base_kind": tax.base_kind,
        "rate": _rate_json(tax.rate),
        "amount": money_json(tax.amount),
        "paid_by_buyer": tax.paid_by_buyer,
        "explanation": tax.explanation,
    }


def _threshold_json(item: Threshold) -> dict[str, Any]:
    return {
        "tax_id": item.tax_id,
        "tax_name": item.tax_name,
        "threshold": money_json(item.threshold),
        "threshold_price": money_json(item.threshold_price),
        "base": money_json(item.base),
        "crossed": item.crossed,
        "headroom": _opt_money(item.headroom),
        "cost": money_json(item.cost),
        "culprit": item.culprit,
        "culprit_name": item.culprit_name,
        "culprit_amount": _opt_money(item.culprit_amount),
        "culprit_enough": item.culprit_enough,
        "message": item.message,
    }


def _programme_json(item: ProgrammeProgress) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "spend": money_json(item.spend),
        "minimum": money_json(item.minimum),
        "met": item.met,
        "missing": money_json(item.missing),
        "deposit": money_json(item.deposit),
        "extra_lead_time_weeks": item.extra_lead_time_weeks,
        "options": list(item.options),
        "monthly_capacity": item.monthly_capacity,
    }


def _conversion_json(item: Conversion) -> dict[str, Any]:
    return {
        "currency": item.currency,
        "rate": _rate_json(item.rate),
        "rate_date": item.rate_date.isoformat(),
        "approximate": item.approximate,
        "subtotal": money_json(item.subtotal),
        "net": money_json(item.net),
        "vat": money_json(item.vat),
        "total": money_json(item.total),
        "deposit": money_json(item.deposit),
        "lines": [money_json(a) for a in item.lines],
        "taxes": [money_json(a) for a in item.taxes],
    }
