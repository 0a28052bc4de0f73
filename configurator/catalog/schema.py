"""Pydantic models of the catalog format (documented in docs/catalog-format.md).

Every model is strict and forbids unknown keys. Money is an integer or a decimal string in
YAML and a ``Decimal`` here, never a float. Each model object remembers where it was written
(``where``), filled in by the loader, so that later errors can name ``file:line:column``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from configurator.catalog.yamlpos import locate_in_scalar
from configurator.errors import Location
from configurator.money import money_json

MONEY_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$"
PRICE_PATTERN = r"^[0-9]{1,15}(\.[0-9]{1,2})?$"
RATE_PATTERN = r"^[0-9]+(\.[0-9]+)?$"
# Bounds that catch a rate written in percent ("13" for 13%) or a typo: VAT below 100%, a tax
# rate at most 200% (registration taxes reach 150%), a fraction at most 1, and an exchange
# rate between a millionth and a million units of the market currency.
MAX_VAT_RATE = Decimal(1)
MAX_TAX_RATE = Decimal(2)
MIN_EXCHANGE_RATE = Decimal("0.000001")
MAX_EXCHANGE_RATE = Decimal(1_000_000)
MONEY_LIMIT = 10**15
_MONEY_TEXT = re.compile(MONEY_PATTERN)


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
        if abs(value) >= MONEY_LIMIT:
            raise PydanticCustomError(
                "bad-money", "{value} is too large for an amount", {"value": value}
            )
        return Decimal(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        text = value
        if not _MONEY_TEXT.match(text):
            raise PydanticCustomError(
                "bad-money",
                "'{value}' is not an amount: write an integer or a decimal string "
                'with at most two decimals, e.g. "28000" or "1299.50"',
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
        raise PydanticCustomError(
            "wrong-type", 'a rate must be a decimal string such as "0.13", not a boolean'
        )
    if isinstance(value, float):
        raise PydanticCustomError(
            "float-rate",
            "a rate must be a quoted decimal string (write '\"{value}\"')",
            {"value": value},
        )
    if isinstance(value, int) and value >= 0:
        return Decimal(value)
    if isinstance(value, Decimal) and value >= 0:
        return value
    if isinstance(value, str) and re.match(RATE_PATTERN, value):
        return Decimal(value)
    raise PydanticCustomError(
        "bad-rate",
        "'{value}' is not a rate: write a decimal string such as \"0.13\"",
        {"value": value},
    )


def _parse_price(value: Any) -> Decimal:
    return _non_negative(parse_money(value))


_MONEY_SCHEMA = {
    "anyOf": [
        {"type": "integer", "minimum": -(MONEY_LIMIT - 1), "maximum": MONEY_LIMIT - 1},
        {"type": "string", "pattern": MONEY_PATTERN},
    ],
    "description": 'an amount: an integer or a decimal string such as "1299.50", never a float',
}
_PRICE_SCHEMA = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": MONEY_LIMIT - 1},
        {"type": "string", "pattern": PRICE_PATTERN},
    ],
    "description": 'a price: a non-negative integer or decimal string ("1299.50"), never a float',
}
_RATE_SCHEMA = {
    "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": RATE_PATTERN}],
    "description": 'a rate: a decimal string such as "0.13" (or an integer), never a float',
}

Money = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    PlainSerializer(money_json, return_type=str, when_used="json"),
    WithJsonSchema(_MONEY_SCHEMA, mode="validation"),
]
Price = Annotated[
    Decimal,
    BeforeValidator(_parse_price),
    PlainSerializer(money_json, return_type=str, when_used="json"),
    WithJsonSchema(_PRICE_SCHEMA, mode="validation"),
]
Rate = Annotated[
    Decimal,
    BeforeValidator(parse_rate),
    PlainSerializer(lambda rate: f"{rate:f}", return_type=str, when_used="json"),
    WithJsonSchema(_RATE_SCHEMA, mode="validation"),
]

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]*$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
Code = Annotated[str, Field(pattern=CODE_PATTERN, max_length=64)]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=64)]
HexColour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
LanguageTag = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Names = dict[LanguageTag, str]


class Strict(BaseModel):
    """Base of every catalog model: strict types, unknown keys are errors, frozen."""

    # Field docstrings document the format; they are read from the source only when the JSON
    # Schema or the docs are generated (configurator.catalog.reference), not at every start.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True)

    _where: Location | None = PrivateAttr(default=None)
    _spots: Mapping[tuple[str | int, ...], Location] = PrivateAttr(default_factory=dict)
    _texts: dict[tuple[str | int, ...], tuple[int, int, str]] = PrivateAttr(default_factory=dict)

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

    def where_in(self, *subpath: str | int, offset: int) -> Location | None:
        """Where the character at 1-based ``offset`` of a text value was written.

        Exact for plain, quoted, block (``|``) and folded (``>``) scalars alike: used to point
        at the bad token of a rule expression.
        """
        start = self.where_of(*subpath)
        if start is None or not start.line or subpath not in self._spots:
            return start
        value: Any = self
        for part in subpath:
            if isinstance(value, BaseModel) and isinstance(part, str):
                name = next(
                    (n for n, f in type(value).model_fields.items() if (f.alias or n) == part),
                    part,
                )
                value = getattr(value, name, None)
            elif isinstance(value, list | dict):
                try:
                    value = value[part]  # type: ignore[index]
                except (IndexError, KeyError, TypeError):
                    return start
        if not isinstance(value, str):
            return start
        text = self._texts.get(subpath)
        if text is None:
            line, column = locate_in_scalar(start.line, start.column, None, value, offset)
        else:
            line, column = locate_in_scalar(text[0], text[1], text[2], value, offset)
        return Location(start.file, line, column)


class Powertrain(StrEnum):
    """How the car is driven: battery, plug-in hybrid, range extender, engine, fuel cell."""

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
    """First day (inclusive); open when absent."""
    until: dt.date | None = None
    """Last day (inclusive); open when absent."""

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
    """The fewest options the buyer must choose."""
    max: int | None = Field(default=None, ge=1)
    """The most options the buyer may choose; no limit when absent."""

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


_CHOOSE_SCHEMA = {
    "anyOf": [
        {"enum": list(CHOOSE_WORDS)},
        {
            "type": "object",
            "properties": {
                "min": {"type": "integer", "minimum": 0},
                "max": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
            },
            "required": ["min"],
            "additionalProperties": False,
        },
    ],
    "description": "exactly-one, at-most-one, any, at-least-one, or {min: N, max: M}",
}

Choose = Annotated[
    Cardinality, BeforeValidator(_parse_choose), WithJsonSchema(_CHOOSE_SCHEMA, mode="validation")
]


class BuyerValue(Strict):
    """An option whose value the buyer supplies (paint to sample: the colour's name)."""

    prompt: str = Field(min_length=1)
    """The question asked of the buyer, e.g. "Name the colour to match"."""
    kind: Literal["text", "colour"] = "text"
    """``text`` (free text) or ``colour`` (a colour name or hex code)."""
    max_length: int = Field(default=60, ge=1, le=500)
    """The longest value accepted, in characters."""
    pattern: str | None = None
    """A regular expression the whole value must match."""
    examples: list[str] = Field(default_factory=list)
    """Example values shown to the buyer."""

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
    """Stable code, unique in the catalog: upper case, digits, ``-`` and ``_``."""
    name: str = Field(min_length=1)
    """Name shown to the buyer."""
    names: Names = Field(default_factory=dict)
    """Translated names by language tag (``zh-CN``, ``fr``)."""
    description: str | None = None
    """A sentence or two about the option."""
    price: Price = Field(default=Decimal(0), json_schema_extra={"default": 0})
    """Price added to the car (0: standard equipment)."""
    swatch: HexColour | None = None
    """Colour shown as a swatch, ``#rrggbb`` (paints, calipers, wheels, interiors)."""
    lead_time_weeks: int = Field(default=0, ge=0)
    """Extra weeks of production the option adds."""
    labour_hours: int = Field(default=0, ge=0)
    """Hours of hand work (the Amethyst paint takes 50)."""
    available: Period | None = None
    """Dates between which the option may be ordered; always when absent."""
    tags: list[str] = Field(default_factory=list)
    """Free labels for filtering and display."""
    value: BuyerValue | None = None
    """Present when the buyer supplies a value with the option (paint to sample)."""
    brings: list[Code] = Field(default_factory=list)
    """Codes added automatically when this option is chosen."""
    source: str | None = None
    """Where the price or fact comes from."""
    note: str | None = None
    """Remarks; an unpublished price says here that it is an estimate."""


class OptionSet(Strict):
    """A named list of options in a shared fragment, pulled into a group by `option_sets`."""

    id: Slug
    """Name by which groups pull the set in (``option_sets: [custom-paints]``)."""
    options: list[Option] = Field(min_length=1)
    """The options of the set."""


class Group(Strict):
    """An option group: the options and how many of them may be chosen."""

    id: Slug
    """Group id, unique in the catalog (lower case slug)."""
    name: str = Field(min_length=1)
    """Name shown to the buyer."""
    names: Names = Field(default_factory=dict)
    """Translated names by language tag."""
    description: str | None = None
    """A sentence about the group."""
    choose: Choose
    """How many options may be chosen."""
    default: list[Code] = Field(default_factory=list)
    """Options chosen when the buyer picks nothing here; must satisfy ``choose``."""
    options: list[Option] = Field(default_factory=list)
    """The options, in order of presentation."""
    option_sets: list[Slug] = Field(default_factory=list)
    """Option sets of included fragments appended after ``options``."""
    under: Code | None = None
    """The option this group refines, in a feature tree (imported UVL models): `configure`
    shows the group below it, and its defaults apply only once that option is in the car."""


class Package(Strict):
    """A package: chosen like an option; its price replaces those of the options it includes."""

    code: Code
    """Stable code, unique among option and package codes."""
    name: str = Field(min_length=1)
    """Name shown to the buyer."""
    names: Names = Field(default_factory=dict)
    """Translated names by language tag, e.g. ``{zh-CN: 性能套件}``."""
    description: str | None = None
    """A sentence about the package."""
    price: Price
    """Price of the package; the included options cost nothing more."""
    includes: list[Code] = Field(min_length=1)
    """Option codes the package includes (not other packages)."""
    lead_time_weeks: int = Field(default=0, ge=0)
    """Extra weeks of production the package adds."""
    available: Period | None = None
    """Dates between which the package may be ordered; always when absent."""
    source: str | None = None
    """Where the price comes from."""
    note: str | None = None
    """Remarks, e.g. that the price is an estimate."""


class Rule(Strict):
    """A constraint over option codes, in one of three forms.

    - ``option`` + ``requires``: choosing ``option`` needs the expression ``requires`` to hold;
    - ``option`` + ``excludes``: ``option`` cannot be combined with any of the listed codes;
    - ``if`` + ``then``: a general implication between two expressions.
    Expressions use option and package codes, ``and``, ``or``, ``not`` and parentheses.
    """

    id: Slug
    """Rule id, unique among rules and tables; named when the rule explains a conflict."""
    message: str = Field(min_length=1)
    """The sentence shown to the buyer when the rule is broken."""
    option: Code | None = None
    """The option (or package) the ``requires`` / ``excludes`` forms are about."""
    requires: str | None = None
    """An expression that must hold when ``option`` is chosen."""
    excludes: list[Code] | None = None
    """Codes that cannot be chosen together with ``option``."""
    if_: str | None = Field(default=None, alias="if")
    """An expression; when it holds, ``then`` must hold too."""
    then: str | None = None
    """The expression that must hold when ``if`` holds."""

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
    """Table id, unique among rules and tables."""
    message: str = Field(min_length=1)
    """The sentence shown when a configuration breaks the table."""
    groups: list[Slug] = Field(min_length=1)
    """The groups the columns stand for, in order."""
    kind: Literal["allowed", "forbidden"] = "allowed"
    """``allowed``: the chosen options must match a row; ``forbidden``: they must match none."""
    rows: list[list[Code]]
    """One option code per group in each row."""


class PriceRule(Strict):
    """An option priced differently when an expression holds (forged wheels free in a pack)."""

    id: Slug
    """Id, unique among price rules and discounts."""
    reason: str = Field(min_length=1)
    """Why the price differs, shown on the quote."""
    option: Code
    """The option (or package) whose price changes."""
    when: str
    """The expression under which the price applies."""
    price: Price
    """The price in that context."""


class Discount(Strict):
    """A reduction applied when an expression holds: a fixed amount or a percentage."""

    id: Slug
    """Id, unique among price rules and discounts."""
    reason: str = Field(min_length=1)
    """Why the discount is given, shown on the quote."""
    when: str
    """The expression under which the discount applies."""
    amount: Price | None = None
    """A fixed reduction (exactly one of ``amount`` and ``percent``)."""
    percent: Rate | None = None
    """A percentage, above 0 and at most 100, of the prices of ``of``."""
    of: list[Code] = Field(default_factory=list)
    """Codes whose prices the percentage applies to (empty: the whole car)."""

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
    """Programme id, unique in the catalog."""
    name: str = Field(min_length=1)
    """Name shown to the buyer."""
    names: Names = Field(default_factory=dict)
    """Translated names by language tag."""
    description: str | None = None
    """A sentence about the programme."""
    options: list[Code] = Field(min_length=1)
    """The option codes that belong to the programme (an option is in one programme at most)."""
    minimum_spend: Price = Field(default=Decimal(0), json_schema_extra={"default": 0})
    """Once any programme option is chosen, programme options must add up to at least this."""
    deposit: Price = Field(default=Decimal(0), json_schema_extra={"default": 0})
    """Deposit due when ordering programme options."""
    monthly_capacity: int | None = Field(default=None, ge=1)
    """Cars a month the programme can build; no limit when absent."""
    extra_lead_time_weeks: int = Field(default=0, ge=0)
    """Weeks added to the delivery of a car with programme options."""
    source: str | None = None
    """Where the facts come from."""
    note: str | None = None
    """Remarks, e.g. which figures are estimates."""


class PriceChange(Strict):
    """What a catalog version changed, so codes made under it can be re-priced with warnings."""

    version: str = Field(min_length=1)
    """The earlier catalog version this entry describes."""
    date: dt.date | None = None
    """When that version's prices applied from."""
    prices: dict[Code, Price] = Field(default_factory=dict)
    """Option or package prices in that version."""
    removed: dict[Code, str] = Field(default_factory=dict)
    """Codes that existed then and were removed since, with their names."""
    base_price: Price | None = None
    """The base price in that version, when it differed."""


class Sections(Strict):
    """The parts a model catalog and a shared fragment have in common."""

    groups: list[Group] = Field(default_factory=list)
    """Option groups, in order of presentation."""
    packages: list[Package] = Field(default_factory=list)
    """Packages of options."""
    rules: list[Rule] = Field(default_factory=list)
    """Constraints over codes: requires, excludes, if/then."""
    tables: list[TableRule] = Field(default_factory=list)
    """Variant tables: allowed or forbidden combinations."""
    price_rules: list[PriceRule] = Field(default_factory=list)
    """Options priced differently in a context."""
    discounts: list[Discount] = Field(default_factory=list)
    """Reductions that apply in a context."""
    programmes: list[Programme] = Field(default_factory=list)
    """Bespoke programmes with minimum spend, deposit and capacity."""


class Fragment(Sections):
    """A shared fragment (file name starting with '_'), included by model catalogs."""

    fragment: Slug
    """The fragment's id (its presence marks the file as a fragment)."""
    description: str | None = None
    """What the fragment holds."""
    option_sets: list[OptionSet] = Field(default_factory=list)
    """Named lists of options that including catalogs pull into their groups."""
    includes: list[str] = Field(default_factory=list)
    """Other fragments to include, relative to this file."""


class Catalog(Sections):
    """One model's catalog: identity, base price, groups, packages, rules and programmes."""

    id: Slug
    """Model id: brand folder and file name, ``xiaomi/su7-ultra.yaml`` is ``xiaomi-su7-ultra``."""
    brand: str = Field(min_length=1)
    """The brand, e.g. ``Xiaomi``."""
    name: str = Field(min_length=1)
    """The model's name, e.g. ``SU7 Ultra``."""
    names: Names = Field(default_factory=dict)
    """Translated names by language tag."""
    model_year: int = Field(ge=1900, le=2100)
    """The model year."""
    version: str = Field(min_length=1)
    """The catalog's version; configuration codes record it."""
    market: Slug
    """The market the prices are for: ``markets/<market>.yaml``."""
    currency: CurrencyCode
    """ISO 4217 currency of every price in the catalog; the market's currency."""
    powertrain: PowertrainField
    """``bev``, ``phev``, ``erev``, ``ice`` or ``fcev``."""
    nev: bool
    """Whether the car qualifies as a new-energy vehicle (NEV) for tax relief."""
    base_price: Price
    """The price of the car with every group at its default."""
    lead_time_weeks: int = Field(default=0, ge=0)
    """Weeks from order to delivery of the standard car."""
    effective: Period | None = None
    """Dates between which the catalog's prices apply."""
    includes: list[str] = Field(default_factory=list)
    """Shared fragments (``_name.yaml``) to include, relative to this file."""
    history: list[PriceChange] = Field(default_factory=list)
    """Earlier versions' prices, to re-price old configuration codes."""
    source: str | None = None
    """Where the prices come from."""
    note: str | None = None
    """Remarks, e.g. which prices are estimates."""

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
    """The day the rates were fixed."""
    rates: dict[CurrencyCode, Rate]
    """Market-currency units per unit of each currency, e.g. ``USD: "7.1726"``."""
    source: str | None = None
    """Where the rates come from."""

    @field_validator("rates")
    @classmethod
    def _rate_bounds(cls, rates: dict[str, Decimal]) -> dict[str, Decimal]:
        for currency, rate in rates.items():
            if not MIN_EXCHANGE_RATE <= rate <= MAX_EXCHANGE_RATE:
                raise ValueError(
                    f"the exchange rate for {currency} is {rate:f}: a rate is the market "
                    f"currency's units per unit of {currency}, between {MIN_EXCHANGE_RATE:f} "
                    f"and {MAX_EXCHANGE_RATE:,}"
                )
        return rates


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
    """First day the period covers (inclusive); open when absent."""
    until: dt.date | None = None
    """Last day the period covers (inclusive); open when absent."""
    kind: Literal["percentage", "cliff", "exempt", "exempt-up-to", "reduced"]
    """How the tax is computed in this period."""
    rate: Rate | None = None
    """The tax rate, e.g. ``"0.10"``."""
    threshold: Price | None = None
    """``cliff``: the base from which the whole base is taxed."""
    cap: Price | None = None
    """``exempt-up-to``: the largest exemption; ``reduced``: the largest reduction."""
    fraction: Rate | None = None
    """``reduced``: the fraction of the tax taken off, e.g. ``"0.5"``."""
    powertrains: list[PowertrainField] | None = None
    """Only cars with these powertrains; all when absent."""
    nev: bool | None = None
    """Only NEVs (true) or only non-NEVs (false); all when absent."""
    note: str | None = None
    """The legal source or remarks."""

    model_config = ConfigDict(populate_by_name=True)

    @field_validator("rate")
    @classmethod
    def _rate_bounds(cls, rate: Decimal | None) -> Decimal | None:
        if rate is not None and rate > MAX_TAX_RATE:
            raise ValueError(
                f"a tax rate of {rate} is {rate * 100:f}%: write a fraction of at most "
                f'{MAX_TAX_RATE}, e.g. "0.10" for 10%'
            )
        return rate

    @field_validator("fraction")
    @classmethod
    def _fraction_bounds(cls, fraction: Decimal | None) -> Decimal | None:
        if fraction is not None and not 0 < fraction <= 1:
            raise ValueError(
                f"the fraction of the tax taken off must be above 0 and at most 1 (it is "
                f'{fraction}): e.g. "0.5" for half'
            )
        return fraction

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
        if self.from_ and self.until and self.until < self.from_:
            raise ValueError("'until' is before 'from'")
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
    """Tax id, unique in the market."""
    name: str = Field(min_length=1)
    """Name shown on the quote."""
    names: Names = Field(default_factory=dict)
    """Translated names by language tag."""
    base: Literal["net", "gross"] = "net"
    """What the rate applies to: the price without VAT (``net``) or with it (``gross``)."""
    periods: list[TaxPeriod] = Field(min_length=1)
    """Dated variants; the first that covers the car and the date applies."""
    source: str | None = None
    """The law or source."""


class Market(Strict):
    """A market: currency, VAT, the taxes a buyer owes, and dated exchange rates."""

    id: Slug
    """Market id, the file name: ``markets/cn.yaml`` has ``cn``."""
    name: str = Field(min_length=1)
    """Name of the market."""
    currency: CurrencyCode
    """ISO 4217 currency of prices in this market."""
    prices_include_vat: bool
    """Whether catalog list prices include VAT."""
    vat_rate: Rate
    """The VAT rate, e.g. ``"0.13"``."""
    taxes: list[Tax] = Field(default_factory=list)
    """Taxes the buyer owes besides VAT."""
    exchange_rates: list[ExchangeRate] = Field(default_factory=list)
    """Dated exchange rates for showing prices in other currencies."""
    source: str | None = None
    """Where the facts come from."""
    note: str | None = None
    """Remarks."""

    @field_validator("vat_rate")
    @classmethod
    def _vat_bounds(cls, rate: Decimal) -> Decimal:
        if rate >= MAX_VAT_RATE:
            raise ValueError(
                f"a VAT rate of {rate} is {rate * 100:f}%: write a fraction below 1, "
                f'e.g. "0.13" for 13%'
            )
        return rate
