"""Pydantic models of the catalog format (documented in docs/catalog-format.md).

Every model is strict and forbids unknown keys. Money is an integer or a decimal string in
YAML and a ``Decimal`` here, never a float. Each model object remembers where it was written
(``where``), filled in by the loader, so that later errors can name ``file:line:column``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic_core import PydanticCustomError
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from configurator.errors import Location

_MONEY_TEXT = re.compile(r"^-?\d{1,15}(\.\d{1,2})?$")


def parse_money(value: Any) -> Decimal:
    """Accept an int or a decimal string with at most two decimals; reject floats."""
    if isinstance(value, bool):
        raise PydanticCustomError("wrong-type", "money must be a number, not a boolean")
    if isinstance(value, float):
        raise PydanticCustomError(
            "float-money",
            "money must be an integer or a quoted decimal string, not a float "
            "(write '\"{value}\"' to keep it exact)",
            {"value": value},
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        if not _MONEY_TEXT.match(text):
            raise PydanticCustomError(
                "bad-money",
                "'{value}' is not an amount: write an integer or a decimal string "
                "with at most two decimals, e.g. \"28000\" or \"1299.50\"",
                {"value": value},
            )
        try:
            return Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - regex already guards this
            raise ValueError(f"'{value}' is not an amount") from exc
    raise PydanticCustomError("wrong-type", "money must be an integer or a decimal string")


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError(
            "negative-price", "a price may not be negative (use a discount for reductions)"
        )
    return value


def parse_rate(value: Any) -> Decimal:
    """A rate or fraction: a decimal string such as "0.13" (or an int 0/1); never a float."""
    if isinstance(value, bool):
        raise ValueError("a rate must be a decimal string such as \"0.13\", not a boolean")
    if isinstance(value, float):
        raise PydanticCustomError(
            "float-rate",
            "a rate must be a quoted decimal string (write '\"{value}\"')",
            {"value": value},
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and re.match(r"^\d+(\.\d+)?$", value.strip()):
        return Decimal(value.strip())
    raise ValueError(f"'{value}' is not a rate: write a decimal string such as \"0.13\"")


Money = Annotated[Decimal, BeforeValidator(parse_money)]
Price = Annotated[Decimal, BeforeValidator(lambda v: _non_negative(parse_money(v)))]
Rate = Annotated[Decimal, BeforeValidator(parse_rate)]

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]*$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
Code = Annotated[str, Field(pattern=CODE_PATTERN, max_length=64)]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=64)]
HexColour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


class Strict(BaseModel):
    """Base of every catalog model: strict types, unknown keys are errors, frozen."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    _where: Location | None = PrivateAttr(default=None)
    _spots: dict[tuple[str | int, ...], Location] = PrivateAttr(default_factory=dict)

    @property
    def where(self) -> Location | None:
        """Where this object was written (set by the loader), or None when built in code."""
        return self._where

    def where_of(self, *subpath: str | int) -> Location | None:
        """Where one of this object's own values was written, e.g. ``where_of("default", 1)``.

        Quoted scalars point one column in, at their first character.
        """
        probe = tuple(subpath)
        while probe:
            if probe in self._spots:
                return self._spots[probe]
            probe = probe[:-1]
        return self._where


class Powertrain(StrEnum):
    BEV = "bev"
    PHEV = "phev"
    EREV = "erev"
    ICE = "ice"
    FCEV = "fcev"

    @property
    def has_engine(self) -> bool:
        return self in (Powertrain.PHEV, Powertrain.EREV, Powertrain.ICE)


PowertrainField = Annotated[Powertrain, Field(strict=False)]


class Period(Strict):
    """A closed date interval; either end may be open."""

    from_: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None

    model_config = ConfigDict(populate_by_name=True)

    def contains(self, day: dt.date) -> bool:
        return (self.from_ is None or self.from_ <= day) and (
            self.until is None or day <= self.until
        )

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.from_ and self.until and self.until < self.from_:
            raise ValueError("'until' is before 'from'")
        return self


class Cardinality(Strict):
    """How many options of a group may be chosen."""

    min: int = Field(ge=0)
    max: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Cardinality:
        if self.max is not None and self.max < self.min:
            raise ValueError("'max' is smaller than 'min'")
        return self

    def allows(self, count: int) -> bool:
        return count >= self.min and (self.max is None or count <= self.max)

    def describe(self) -> str:
        if self.min == 1 and self.max == 1:
            return "exactly one"
        if self.min == 0 and self.max == 1:
            return "at most one"
        if self.min == 0 and self.max is None:
            return "any number"
        if self.max is None:
            return f"at least {self.min}"
        return f"{self.min} to {self.max}"


CHOOSE_WORDS: dict[str, tuple[int, int | None]] = {
    "exactly-one": (1, 1),
    "at-most-one": (0, 1),
    "any": (0, None),
    "at-least-one": (1, None),
}


def _parse_choose(value: Any) -> Any:
    if isinstance(value, str):
        if value not in CHOOSE_WORDS:
            raise ValueError(
                f"'{value}' is not a choice rule: use one of {', '.join(CHOOSE_WORDS)} "
                f"or a mapping {{min: N, max: M}}"
            )
        low, high = CHOOSE_WORDS[value]
        return Cardinality(min=low, max=high)
    return value


Choose = Annotated[Cardinality, BeforeValidator(_parse_choose)]


class BuyerValue(Strict):
    """An option whose value the buyer supplies (paint to sample: the colour's name)."""

    prompt: str
    kind: Literal["text", "colour"] = "text"
    max_length: int = Field(default=60, ge=1, le=500)
    pattern: str | None = None
    examples: list[str] = Field(default_factory=list)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"'pattern' is not a valid regular expression: {exc}") from exc
        return value


class Option(Strict):
    """One choosable option of a group."""

    code: Code
    name: str = Field(min_length=1)
    names: dict[str, str] = Field(default_factory=dict)
    description: str | None = None
    price: Price = Decimal(0)
    swatch: HexColour | None = None
    lead_time_weeks: int = Field(default=0, ge=0)
    labour_hours: int = Field(default=0, ge=0)
    available: Period | None = None
    tags: list[str] = Field(default_factory=list)
    value: BuyerValue | None = None
    brings: list[Code] = Field(default_factory=list)
    source: str | None = None
    note: str | None = None


class OptionSet(Strict):
    """A named list of options in a shared fragment, pulled into a group by `option_sets`."""

    id: Slug
    options: list[Option] = Field(min_length=1)


class Group(Strict):
    """An option group: the options and how many of them may be chosen."""

    id: Slug
    name: str = Field(min_length=1)
    names: dict[str, str] = Field(default_factory=dict)
    description: str | None = None
    choose: Choose
    default: list[Code] = Field(default_factory=list)
    options: list[Option] = Field(default_factory=list)
    option_sets: list[Slug] = Field(default_factory=list)


class Package(Strict):
    """A package: chosen like an option; its price replaces those of the options it includes."""

    code: Code
    name: str = Field(min_length=1)
    description: str | None = None
    price: Price
    includes: list[Code] = Field(min_length=1)
    lead_time_weeks: int = Field(default=0, ge=0)
    available: Period | None = None
    source: str | None = None
    note: str | None = None


class Rule(Strict):
    """A constraint over option codes, in one of three forms.

    - ``option`` + ``requires``: choosing ``option`` needs the expression ``requires`` to hold;
    - ``option`` + ``excludes``: ``option`` cannot be combined with any of the listed codes;
    - ``if`` + ``then``: a general implication between two expressions.
    Expressions use option and package codes, ``and``, ``or``, ``not`` and parentheses.
    """

    id: Slug
    message: str = Field(min_length=1)
    option: Code | None = None
    requires: str | None = None
    excludes: list[Code] | None = None
    if_: str | None = Field(default=None, alias="if")
    then: str | None = None

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _one_form(self) -> Rule:
        forms = [
            self.option is not None and self.requires is not None and self.excludes is None,
            self.option is not None and self.excludes is not None and self.requires is None,
            self.if_ is not None and self.then is not None and self.option is None,
        ]
        if sum(forms) != 1 or (self.if_ is None) != (self.then is None):
            raise ValueError(
                "a rule takes exactly one form: 'option' with 'requires', "
                "'option' with 'excludes', or 'if' with 'then'"
            )
        return self


class TableRule(Strict):
    """A variant table: the allowed (or forbidden) combinations of options of some groups.

    Each row names one option code per group, in the order of ``groups``.
    """

    id: Slug
    message: str = Field(min_length=1)
    groups: list[Slug] = Field(min_length=1)
    kind: Literal["allowed", "forbidden"] = "allowed"
    rows: list[list[Code]]


class PriceRule(Strict):
    """An option priced differently when an expression holds (forged wheels free in a pack)."""

    id: Slug
    reason: str = Field(min_length=1)
    option: Code
    when: str
    price: Price


class Discount(Strict):
    """A reduction applied when an expression holds: a fixed amount or a percentage."""

    id: Slug
    reason: str = Field(min_length=1)
    when: str
    amount: Price | None = None
    percent: Rate | None = None
    of: list[Code] = Field(
        default_factory=list,
        description="codes whose prices the percentage applies to (empty: the whole car)",
    )

    @model_validator(mode="after")
    def _amount_or_percent(self) -> Discount:
        if (self.amount is None) == (self.percent is None):
            raise ValueError("a discount has exactly one of 'amount' or 'percent'")
        if self.percent is not None and not (0 < self.percent <= 100):
            raise ValueError("'percent' must be above 0 and at most 100")
        return self


class Programme(Strict):
    """A bespoke programme grouping options, with a minimum spend, deposit and capacity."""

    id: Slug
    name: str = Field(min_length=1)
    names: dict[str, str] = Field(default_factory=dict)
    description: str | None = None
    options: list[Code] = Field(min_length=1)
    minimum_spend: Price = Decimal(0)
    deposit: Price = Decimal(0)
    monthly_capacity: int | None = Field(default=None, ge=1)
    extra_lead_time_weeks: int = Field(default=0, ge=0)
    source: str | None = None
    note: str | None = None


class PriceChange(Strict):
    """What a catalog version changed, so codes made under it can be re-priced with warnings."""

    version: str
    date: dt.date | None = None
    prices: dict[Code, Price] = Field(
        default_factory=dict, description="option or package prices in that version"
    )
    removed: dict[Code, str] = Field(
        default_factory=dict, description="codes that existed then and were removed, with names"
    )
    base_price: Price | None = None


class Sections(Strict):
    """The parts a model catalog and a shared fragment have in common."""

    groups: list[Group] = Field(default_factory=list)
    packages: list[Package] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    tables: list[TableRule] = Field(default_factory=list)
    price_rules: list[PriceRule] = Field(default_factory=list)
    discounts: list[Discount] = Field(default_factory=list)
    programmes: list[Programme] = Field(default_factory=list)


class Fragment(Sections):
    """A shared fragment (file name starting with '_'), included by model catalogs."""

    fragment: Slug
    description: str | None = None
    option_sets: list[OptionSet] = Field(default_factory=list)
    includes: list[str] = Field(default_factory=list)


class Catalog(Sections):
    """One model's catalog: identity, base price, groups, packages, rules and programmes."""

    id: Slug
    brand: str = Field(min_length=1)
    name: str = Field(min_length=1)
    names: dict[str, str] = Field(default_factory=dict)
    model_year: int = Field(ge=1900, le=2100)
    version: str = Field(min_length=1)
    market: Slug
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    powertrain: PowertrainField
    nev: bool
    base_price: Price
    lead_time_weeks: int = Field(default=0, ge=0)
    effective: Period | None = None
    includes: list[str] = Field(default_factory=list)
    history: list[PriceChange] = Field(default_factory=list)
    source: str | None = None
    note: str | None = None

    def option_index(self) -> dict[str, tuple[Group, Option]]:
        """Every option code with its group (after includes are merged)."""
        return {o.code: (g, o) for g in self.groups for o in g.options}

    def package_index(self) -> dict[str, Package]:
        return {p.code: p for p in self.packages}

    def codes(self) -> set[str]:
        """Every choosable code: options and packages."""
        return {o.code for g in self.groups for o in g.options} | {p.code for p in self.packages}


# --- markets ------------------------------------------------------------------------------


class ExchangeRate(Strict):
    """Units of the market currency per unit of each other currency, on a date."""

    date: dt.date
    rates: dict[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], Rate]
    source: str | None = None


class TaxPeriod(Strict):
    """One dated variant of a tax: when it applies and with which parameters.

    ``kind`` selects the computation (see configurator.pricing.taxes):
    - ``percentage``: rate x base;
    - ``cliff``: rate x the whole base once base >= threshold, else nothing;
    - ``exempt``: nothing;
    - ``exempt-up-to``: max(0, rate x base - cap);
    - ``reduced``: rate x base - min(rate x base x fraction, cap).
    ``powertrains`` and ``nev`` restrict which cars the period covers; cars it does not
    cover fall through to the next matching period, and to no tax when none matches.
    """

    from_: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None
    kind: Literal["percentage", "cliff", "exempt", "exempt-up-to", "reduced"]
    rate: Rate | None = None
    threshold: Price | None = None
    cap: Price | None = None
    fraction: Rate | None = None
    powertrains: list[PowertrainField] | None = None
    nev: bool | None = None
    note: str | None = None

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _parameters(self) -> TaxPeriod:
        needs: dict[str, tuple[str, ...]] = {
            "percentage": ("rate",),
            "cliff": ("rate", "threshold"),
            "exempt": (),
            "exempt-up-to": ("rate", "cap"),
            "reduced": ("rate", "fraction", "cap"),
        }
        missing = [name for name in needs[self.kind] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a '{self.kind}' tax period needs {', '.join(missing)}")
        return self

    def covers(self, day: dt.date, powertrain: Powertrain, nev: bool) -> bool:
        if self.from_ is not None and day < self.from_:
            return False
        if self.until is not None and day > self.until:
            return False
        if self.powertrains is not None and powertrain not in self.powertrains:
            return False
        return not (self.nev is not None and nev != self.nev)


class Tax(Strict):
    """A tax the buyer owes on top of the list price (VAT is handled by the market)."""

    id: Slug
    name: str
    names: dict[str, str] = Field(default_factory=dict)
    base: Literal["net", "gross"] = "net"
    periods: list[TaxPeriod] = Field(min_length=1)
    source: str | None = None


class Market(Strict):
    """A market: currency, VAT, the taxes a buyer owes, and dated exchange rates."""

    id: Slug
    name: str
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    prices_include_vat: bool
    vat_rate: Rate
    taxes: list[Tax] = Field(default_factory=list)
    exchange_rates: list[ExchangeRate] = Field(default_factory=list)
    source: str | None = None
    note: str | None = None
