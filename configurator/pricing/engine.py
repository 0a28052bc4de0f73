"""The pricing engine: (catalog, configuration, market, date) -> :class:`~configurator.quote.Quote`.

:func:`price` is the simple entry point. It uses a :class:`Pricer`, built once per
(catalog, market) and cached, which compiles everything that does not depend on the buyer:
option and package indexes, the catalog's constraints
(:func:`configurator.rules.constraints.constraints`, the single definition of validity) as
fast predicates, price rules, discounts, tax periods per date, prebuilt quote lines and the
code book. Pricing one configuration then costs tens of microseconds, which is what batch
pricing and the interactive configurator rely on.

A Pricer holds plain data only (no pydantic objects on the path that prices a valid
configuration), so it can be pickled and kept on disk (:mod:`configurator.pricing.stored`):
a one-shot ``configurator quote`` then loads the compiled pricer instead of the catalog. Its
catalog and market are needed only to explain a broken rule; a stored pricer loads them then.

What a quote is made of (docs/pricing.md has the details):

- lines: the base price; every option of the complete selection (the buyer's choices, what
  they bring along, the defaults of untouched groups) at its list price; packages, with the
  options they include at 0; price rules (the difference they make) and discounts (negative);
- subtotal = the sum of the lines (the list price of the car, incl. VAT where the market's
  prices include it); net and the VAT it contains;
- taxes from the market's dated periods (:mod:`configurator.pricing.taxes`); total = subtotal
  + the taxes the buyer owes;
- deposit (programme deposits), delivery weeks, programme progress, tax cliffs (crossed or
  headroom), warnings and notes, conversions into other currencies.

Rounding: :mod:`configurator.pricing.money`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from configurator.codes import codebook, decode, migrate
from configurator.configuration import Configuration, Selection
from configurator.errors import (
    BadValueError,
    CatalogError,
    ConfigurationError,
    Location,
    MinimumSpendError,
    Problem,
    UnknownOptionError,
    UsageError,
    did_you_mean,
)
from configurator.money import format_money
from configurator.pricing.money import (
    ZERO,
    net_of,
    percent_of,
    round_cents,
    smallest_reaching,
    vat_on,
)
from configurator.pricing.taxes import (
    PeriodTerms,
    TaxOutcome,
    TaxTerms,
    compute,
    covering_period,
    percent_text,
)
from configurator.quote import (
    Conversion,
    ProgrammeProgress,
    Quote,
    QuoteLine,
    TaxLine,
    Threshold,
    construct,
)

if TYPE_CHECKING:
    from configurator.catalog.loader import CatalogTree
    from configurator.catalog.schema import Catalog, Market, Period
    from configurator.rules.constraints import Constraint, ProgrammeSpend
    from configurator.rules.expr import Expr

Predicate = Callable[[AbstractSet[str]], bool]
STALE_RATE_DAYS = 92
T = TypeVar("T")

# A constraint's check as data (so that a pricer pickles): ("expr", source of the body of
# ``lambda s: ...``), ("cardinality", codes, minimum, maximum) or ("table", rows, allowed).
CheckSpec = tuple[Any, ...]


def expr_source(expr: Expr) -> str:
    """An expression as the body of ``lambda s: ...`` over a set ``s`` of chosen codes.

    The only values in that text are option codes written with ``repr``, so compiling it
    runs nothing from a catalog.
    """
    from configurator.rules.expr import fold  # imported when a pricer is built, not loaded

    return fold(
        expr,
        var=lambda code: f"({code!r} in s)",
        const=lambda value: "True" if value else "False",
        not_=lambda part: f"(not {part})",
        and_=lambda parts: "(" + " and ".join(parts) + ")",
        or_=lambda parts: "(" + " or ".join(parts) + ")",
    )


def _compile_sources(sources: Sequence[str]) -> list[Predicate]:
    """Many :func:`expr_source` texts compiled at once (one call of the compiler)."""
    if not sources:
        return []
    text = "(" + "".join(f"lambda s: {source}, " for source in sources) + ")"
    predicates: tuple[Predicate, ...] = eval(text, {"__builtins__": {}})  # noqa: S307
    return list(predicates)


def compile_expr(expr: Expr) -> Predicate:
    """An expression as a fast predicate over a set of chosen codes (same meaning as evaluate).

    The expression is folded into the text of one Python lambda and compiled.
    """
    return _compile_sources([expr_source(expr)])[0]


def check_spec(constraint: Constraint) -> CheckSpec:
    """The data :func:`compile_constraint` compiles: picklable, unlike the predicate."""
    if constraint.kind == "cardinality":
        return ("cardinality", frozenset(constraint.codes), constraint.minimum, constraint.maximum)
    if constraint.kind == "table":
        return ("table", tuple(frozenset(row) for row in constraint.rows), constraint.allowed)
    assert constraint.expr is not None
    return ("expr", expr_source(constraint.expr))


def _compile_checks(specs: Sequence[CheckSpec]) -> list[Predicate]:
    sources = [spec[1] for spec in specs if spec[0] == "expr"]
    compiled = iter(_compile_sources(sources))
    return [next(compiled) if spec[0] == "expr" else _structural_check(spec) for spec in specs]


def _structural_check(spec: CheckSpec) -> Predicate:
    if spec[0] == "cardinality":
        _, members, low, high = spec
        if high is None:
            return lambda chosen: len(members & chosen) >= low
        return lambda chosen: low <= len(members & chosen) <= high
    _, rows, allowed = spec
    return lambda chosen: any(row <= chosen for row in rows) == allowed


def compile_constraint(constraint: Constraint) -> Predicate:
    """A constraint as a fast predicate with the meaning of :meth:`Constraint.holds`."""
    return _compile_checks([check_spec(constraint)])[0]


def _label(code: str, name: str) -> str:
    return f"{code} ({name})"


# --- what a pricer keeps of the catalog and the market: plain data --------------------------


class _OptionFacts(NamedTuple):
    group: str
    group_name: str
    name: str
    price: Decimal
    swatch: str | None


class _PackageFacts(NamedTuple):
    name: str
    price: Decimal
    includes: tuple[str, ...]


class _ValueSpec(NamedTuple):
    prompt: str
    max_length: int
    examples: tuple[str, ...]
    pattern: re.Pattern[str] | None


class _DiscountFacts(NamedTuple):
    id: str
    reason: str
    amount: Decimal | None
    percent: Decimal | None


class _ProgrammeFacts(NamedTuple):
    id: str
    name: str
    options: tuple[str, ...]
    minimum_spend: Decimal
    deposit: Decimal
    extra_lead_time_weeks: int
    monthly_capacity: int | None


class ExchangeRateFacts(NamedTuple):
    """A dated exchange rate: market-currency units per unit of each currency."""

    date: dt.date
    rates: dict[str, Decimal]


@dataclass(frozen=True)
class DateSchedule(Generic[T]):
    """A value that changes only on given days: ``at(day)`` is the value in force on ``day``.

    Built by asking the catalog's own date logic (``Period.contains``, ``TaxPeriod.covers``)
    once per stretch of days between the ends of the periods involved, so that a pricer
    needs no catalog object to answer for any date.
    """

    starts: tuple[dt.date, ...]  # the days on which the value may change, ascending
    values: tuple[T, ...]  # values[0] before starts[0]; values[i] from starts[i - 1]

    @classmethod
    def of(
        cls, ends: Iterable[dt.date | None], value_on: Callable[[dt.date], T]
    ) -> DateSchedule[T]:
        """``value_on`` evaluated once per stretch; it may change only on an end or the day
        after one (so inclusive and exclusive ends are both exact)."""
        starts: set[dt.date] = set()
        for end in ends:
            if end is None:
                continue
            starts.add(end)
            if end < dt.date.max:
                starts.add(end + dt.timedelta(days=1))
        ordered = tuple(sorted(starts))
        if not ordered:
            return cls((), (value_on(dt.date(2000, 1, 1)),))
        first = ordered[0]
        before = first - dt.timedelta(days=1) if first > dt.date.min else first
        return cls(ordered, (value_on(before), *(value_on(day) for day in ordered)))

    def at(self, day: dt.date) -> T:
        return self.values[bisect.bisect_right(self.starts, day)]


def _span(period: Period) -> str:
    return f"{period.from_ or '...'} to {period.until or '...'}"


_NEVER_PICKLED = (
    "_catalog",
    "_market",
    "_sources",
    "_checks",
    "_price_rules",
    "_discounts",
    "_fail_when_empty",
    "_constraint_list",
    "_unavailable",
    "_unavailable_on",
)


class Pricer:
    """Everything needed to price configurations of one catalog in one market, precomputed."""

    def __init__(self, catalog: Catalog, market: Market) -> None:
        from configurator.rules.constraints import constraints
        from configurator.rules.expr import parse

        if catalog.currency != market.currency:
            where = catalog.where_of("currency") or Location(catalog.id)
            raise CatalogError(
                [
                    Problem(
                        where,
                        "currency-mismatch",
                        f"{catalog.id} is priced in {catalog.currency} but its market "
                        f"'{market.id}' uses {market.currency}",
                    )
                ]
            )
        self._catalog: Catalog | None = catalog
        self._market: Market | None = market
        self._sources: Callable[[], tuple[Catalog, Market]] | None = None
        self._model = catalog.id
        self._name = catalog.name
        self._brand = catalog.brand
        self._version = catalog.version
        self._currency = catalog.currency
        self._lead_time_weeks = catalog.lead_time_weeks
        self._market_id = market.id
        self._prices_include_vat = market.prices_include_vat
        self._options: dict[str, _OptionFacts] = {}
        self._position: dict[str, int] = {}
        self._defaults: list[tuple[str, tuple[str, ...]]] = []
        self._value_specs: dict[str, _ValueSpec] = {}
        for group in catalog.groups:
            self._defaults.append((group.id, tuple(group.default)))
            for option in group.options:
                self._options[option.code] = _OptionFacts(
                    group.id, group.name, option.name, option.price, option.swatch
                )
                self._position[option.code] = len(self._position)
                value = option.value
                if value is not None:
                    pattern = re.compile(value.pattern) if value.pattern else None
                    self._value_specs[option.code] = _ValueSpec(
                        value.prompt, value.max_length, tuple(value.examples), pattern
                    )
        self._packages: dict[str, _PackageFacts] = {}
        for package in catalog.packages:
            self._packages[package.code] = _PackageFacts(
                package.name, package.price, tuple(package.includes)
            )
            self._position[package.code] = len(self._position)
        self._known = frozenset(self._position)
        self._includes = {code: p.includes for code, p in self._packages.items()}
        self._brings = {
            option.code: tuple(option.brings)
            for group in catalog.groups
            for option in group.options
            if option.brings
        }
        self._group_of = {code: o.group for code, o in self._options.items()}
        self._names = {code: o.name for code, o in self._options.items()}
        self._names.update({code: p.name for code, p in self._packages.items()})
        self._lead = {
            option.code: option.lead_time_weeks
            for group in catalog.groups
            for option in group.options
        }
        self._lead.update({package.code: package.lead_time_weeks for package in catalog.packages})
        self._list_price = {code: o.price for code, o in self._options.items()}
        self._list_price.update({code: p.price for code, p in self._packages.items()})

        # Validity: the catalog's constraints, compiled; availability is per date.
        self._constraint_list: list[Constraint] | None = constraints(catalog)
        self._check_specs = [check_spec(c) for c in self._constraint_list]
        touching: dict[str, list[int]] = {}
        for index, constraint in enumerate(self._constraint_list):
            for code in dict.fromkeys(constraint.codes):
                touching.setdefault(code, []).append(index)
        self._touching = {code: tuple(indices) for code, indices in touching.items()}
        restricted = [
            (option.code, option.available)
            for group in catalog.groups
            for option in group.options
            if option.available is not None
        ]
        restricted += [(p.code, p.available) for p in catalog.packages if p.available is not None]
        self._blocked = DateSchedule.of(
            (end for _, period in restricted for end in (period.from_, period.until)),
            lambda day: frozenset(code for code, period in restricted if not period.contains(day)),
        )
        self._unavailable: dict[frozenset[str], dict[str, Constraint]] = {}
        self._unavailable_on: dict[dt.date, dict[str, Constraint]] = {}

        # Prices.
        self._price_rule_specs: dict[str, list[tuple[str, Decimal, QuoteLine]]] = {}
        for rule in catalog.price_rules:
            list_price = self._options[rule.option].price if rule.option in self._options else ZERO
            line = construct(
                QuoteLine,
                kind="price_rule",
                name=rule.reason,
                amount=rule.price - list_price,
                code=rule.option,
                id=rule.id,
                group=self._group_of.get(rule.option),
                group_name=None,
                value=None,
                swatch=None,
                note=f"{self._names.get(rule.option, rule.option)}: {format_money(rule.price)} "
                f"instead of {format_money(list_price)}",
            )
            self._price_rule_specs.setdefault(rule.option, []).append(
                (expr_source(parse(rule.when)), rule.price, line)
            )
        self._discount_specs = [
            (
                _DiscountFacts(d.id, d.reason, d.amount, d.percent),
                expr_source(parse(d.when)),
                frozenset(d.of),
            )
            for d in catalog.discounts
        ]
        self._programmes = [
            _ProgrammeFacts(
                p.id,
                p.name,
                tuple(p.options),
                p.minimum_spend,
                p.deposit,
                p.extra_lead_time_weeks,
                p.monthly_capacity,
            )
            for p in catalog.programmes
        ]
        self._capacity_notes = {
            p.id: f"{p.name}: at most {p.monthly_capacity} cars a month; "
            f"deposit {format_money(p.deposit)}"
            for p in catalog.programmes
        }
        self._programme_codes = frozenset(
            code for programme in catalog.programmes for code in programme.options
        )
        self._line_cache: dict[tuple[str, str, str | None], QuoteLine] = {}
        self._base_line = construct(
            QuoteLine,
            kind="base",
            name=f"{catalog.name} ({catalog.model_year})",
            amount=catalog.base_price,
            code=None,
            id=None,
            group=None,
            group_name=None,
            value=None,
            swatch=None,
            note="base price",
        )
        self._book = codebook(catalog)
        effective = catalog.effective
        self._in_force: DateSchedule[bool] = DateSchedule.of(
            (effective.from_, effective.until) if effective is not None else (),
            lambda day: effective is None or effective.contains(day),
        )
        self._effective_span = _span(effective) if effective is not None else ""

        # Taxes and exchange rates.
        terms: dict[int, tuple[TaxTerms, PeriodTerms]] = {}

        def taxes_on(day: dt.date) -> tuple[tuple[TaxTerms, PeriodTerms], ...]:
            found = []
            for tax in market.taxes:
                period = covering_period(tax, day, catalog.powertrain, catalog.nev)
                if period is not None:
                    pair = terms.get(id(period))
                    if pair is None:
                        pair = terms[id(period)] = (TaxTerms.of(tax), PeriodTerms.of(period))
                    found.append(pair)
            return tuple(found)

        self._taxes_on = DateSchedule.of(
            (end for tax in market.taxes for p in tax.periods for end in (p.from_, p.until)),
            taxes_on,
        )
        self._rates = sorted(
            (ExchangeRateFacts(r.date, dict(r.rates)) for r in market.exchange_rates),
            key=lambda r: r.date,
        )
        self._vat_rate = market.vat_rate
        self._reaching: dict[tuple[Decimal, str], Decimal] = {}
        self._base_label = {"net": "Net", "gross": "price incl. VAT"}
        self._compile()

    def _compile(self) -> None:
        """Compile the predicates (a pickled pricer carries their source, not the functions)."""
        self._checks = _compile_checks(self._check_specs)
        # A constraint none of whose codes is chosen has the value it has on the empty set.
        self._fail_when_empty = tuple(
            i for i, check in enumerate(self._checks) if not check(frozenset())
        )
        rule_items = [
            (code, when, rule_price, line)
            for code, specs in self._price_rule_specs.items()
            for when, rule_price, line in specs
        ]
        conditions = _compile_sources(
            [item[1] for item in rule_items] + [spec[1] for spec in self._discount_specs]
        )
        self._price_rules: dict[str, list[tuple[Predicate, Decimal, QuoteLine]]] = {}
        for (code, _, rule_price, line), holds in zip(rule_items, conditions, strict=False):
            self._price_rules.setdefault(code, []).append((holds, rule_price, line))
        discount_conditions = conditions[len(rule_items) :]
        self._discounts = [
            (facts, holds, of)
            for (facts, _, of), holds in zip(self._discount_specs, discount_conditions, strict=True)
        ]

    # --- pickling: plain data only; the catalog and market are loaded again when needed -------

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in _NEVER_PICKLED}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._catalog = self._market = None
        self._sources = None
        self._constraint_list = None
        self._unavailable = {}
        self._unavailable_on = {}
        self._compile()

    def attach(self, sources: Callable[[], tuple[Catalog, Market]]) -> None:
        """Where a pickled pricer gets its catalog and market when it needs them (to explain
        a broken rule): a function returning them, e.g. loading them from the catalog tree."""
        self._sources = sources

    def _load_sources(self) -> None:
        if self._sources is None:
            raise RuntimeError(
                f"the pricer of {self._model} was unpickled without its catalog: call attach()"
            )
        self._catalog, self._market = self._sources()

    @property
    def catalog(self) -> Catalog:
        """The catalog this pricer was built from (loaded again for a pickled pricer)."""
        if self._catalog is None:
            self._load_sources()
        assert self._catalog is not None
        return self._catalog

    @property
    def market(self) -> Market:
        """The market this pricer was built for (loaded again for a pickled pricer)."""
        if self._market is None:
            self._load_sources()
        assert self._market is not None
        return self._market

    @property
    def _constraints(self) -> list[Constraint]:
        if self._constraint_list is None:
            from configurator.rules.constraints import constraints

            self._constraint_list = constraints(self.catalog)
        return self._constraint_list

    # --- resolution and validity ----------------------------------------------------------

    def canonical(self, configuration: Configuration) -> tuple[tuple[str, ...], dict[str, str]]:
        """The buyer's choices in catalog order (unknown codes rejected) and their values."""
        if configuration.model != self._model:
            raise UsageError(
                f"the configuration is for '{configuration.model}', not '{self._model}'"
            )
        choices = dict.fromkeys(code.strip().upper() for code in configuration.choices)
        for code in choices:
            if code not in self._known:
                raise UnknownOptionError(
                    f"'{code}' is not an option of {self._model}",
                    suggestion=did_you_mean(code, self._known),
                    option_codes=[code],
                )
        ordered = tuple(sorted(choices, key=self._position.__getitem__))
        values = {code.strip().upper(): value for code, value in configuration.values.items()}
        return ordered, values

    def resolve(self, choices: Sequence[str]) -> Selection:
        """:func:`configurator.configuration.resolve` on precomputed indexes (same meaning).

        ``choices`` must be known codes; tests check this equals the reference function.
        """
        codes: set[str] = set()
        brought: dict[str, str] = {}
        packaged: dict[str, str] = {}
        pending = list(choices)
        includes, brings = self._includes, self._brings
        while pending:
            code = pending.pop()
            if code in codes:
                continue
            codes.add(code)
            contents = includes.get(code)
            if contents is not None:
                for included in contents:
                    packaged.setdefault(included, code)
                    if included not in codes:
                        brought.setdefault(included, code)
                        pending.append(included)
            else:
                for extra in brings.get(code, ()):
                    if extra not in codes:
                        brought.setdefault(extra, code)
                        pending.append(extra)
        group_of = self._group_of
        touched = {group_of[code] for code in codes if code in group_of}
        defaulted: set[str] = set()
        for group_id, defaults in self._defaults:
            if group_id in touched:
                continue
            for code in defaults:
                defaulted.add(code)
                pending.append(code)
        while pending:
            code = pending.pop()
            if code in codes:
                continue
            codes.add(code)
            for extra in brings.get(code, ()):
                if extra not in codes:
                    brought.setdefault(extra, code)
                    pending.append(extra)
        return Selection(
            codes=frozenset(codes),
            chosen=frozenset(choices),
            defaulted=frozenset(defaulted),
            brought=brought,
            packaged=packaged,
        )

    def unavailable_codes(self, on: dt.date) -> frozenset[str]:
        """The option and package codes that may not be chosen on ``on``."""
        return self._blocked.at(on)

    def unavailable(self, on: dt.date) -> dict[str, Constraint]:
        """Codes that may not be chosen on ``on``, with their availability constraint."""
        found = self._unavailable_on.get(on)
        if found is not None:
            return found
        key = self._blocked.at(on)
        found = self._unavailable.get(key)
        if found is None:
            found = {}
            if key:
                from configurator.rules.constraints import constraints

                found = {
                    c.codes[0]: c for c in constraints(self.catalog, on) if c.kind == "availability"
                }
            self._unavailable[key] = found
        if len(self._unavailable_on) > 4096:
            self._unavailable_on.clear()
        self._unavailable_on[on] = found
        return found

    def violated(self, selection: Selection, on: dt.date | None) -> list[Constraint]:
        """The constraints a complete selection breaks, in catalog order (availability last)."""
        codes = selection.codes
        touched: set[int] = set()
        for code in codes:
            touched.update(self._touching.get(code, ()))
        broken = [i for i in touched if not self._checks[i](codes)]
        broken += [i for i in self._fail_when_empty if i not in touched]
        result = [self._constraints[i] for i in sorted(broken)]
        if on is not None and not self._blocked.at(on).isdisjoint(codes):
            unavailable = self.unavailable(on)
            if unavailable:
                result += [
                    unavailable[c]
                    for c in sorted(codes, key=self._position.__getitem__)
                    if c in unavailable
                ]
        return result

    def check(self, configuration: Configuration, on: dt.date) -> None:
        """Raise the ConfigurationError that explains why a configuration cannot be priced.

        Validity includes programme minimum spends, which need the prices: this prices.
        """
        self.price(configuration, on)

    def rejection(self, configuration: Configuration, on: dt.date) -> ConfigurationError:
        """Why a configuration that breaks a constraint cannot be priced: the rules engine's
        minimal explanation (the buyer's choices, and the defaults or absences, together with
        the rules, each with its id, message and file:line, that cannot all hold).

        Only a rejection pays for it: it needs the catalog (loaded again for a stored pricer)
        and the SAT solver, never the compiled diagram (which may take long to build)."""
        from configurator.rules.explain import explainer_for

        result = explainer_for(self.catalog, on).check(configuration)
        if result.valid:  # the two engines share one definition of validity: a bug
            raise RuntimeError(f"the rules engine accepts {configuration} that the pricer rejects")
        return result.error()

    def _check_values(self, selection: Selection, values: dict[str, str]) -> None:
        for code, value in values.items():
            spec = self._value_specs.get(code)
            name = self._names.get(code, code)
            if code not in selection.codes:
                hint = None if code in self._known else did_you_mean(code, self._value_specs)
                raise BadValueError(
                    f"a value is given for {code}, which is not in the configuration",
                    suggestion=hint,
                    option_codes=[code],
                )
            if spec is None:
                raise BadValueError(
                    f"{_label(code, name)} takes no value from the buyer", option_codes=[code]
                )
            buyer_value, pattern = spec, spec.pattern
            text = value.strip()
            if not text:
                raise BadValueError(
                    f"the value of {code} is empty: {buyer_value.prompt}", option_codes=[code]
                )
            if len(text) > buyer_value.max_length:
                raise BadValueError(
                    f"the value of {code} has {len(text)} characters, at most "
                    f"{buyer_value.max_length} are allowed: {buyer_value.prompt}",
                    option_codes=[code],
                )
            if pattern is not None and not pattern.fullmatch(text):
                examples = ", ".join(f"'{e}'" for e in buyer_value.examples)
                raise BadValueError(
                    f"'{text}' is not a valid value for {code}: {buyer_value.prompt}",
                    suggestion=f"for example {examples}" if examples else None,
                    option_codes=[code],
                )
        for code in sorted(
            selection.codes & self._value_specs.keys(), key=self._position.__getitem__
        ):
            if code not in values:
                buyer_value = self._value_specs[code]
                example = buyer_value.examples[0] if buyer_value.examples else "..."
                raise BadValueError(
                    f"{_label(code, self._names[code])} needs a value: {buyer_value.prompt}",
                    suggestion=f"add --value {code}='{example}'",
                    option_codes=[code],
                )

    # --- lines ----------------------------------------------------------------------------

    def _line(self, kind: str, code: str, note: str | None, value: str | None) -> QuoteLine:
        key = (kind, code, note)
        if value is None:
            cached = self._line_cache.get(key)
            if cached is not None:
                return cached
        if code in self._packages:
            package = self._packages[code]
            line = construct(
                QuoteLine,
                kind=kind,
                name=package.name,
                amount=package.price,
                code=code,
                id=None,
                group=None,
                group_name=None,
                value=None,
                swatch=None,
                note=note,
            )
        else:
            option = self._options[code]
            line = construct(
                QuoteLine,
                kind=kind,
                name=option.name,
                amount=ZERO if kind == "included" else option.price,
                code=code,
                id=None,
                group=option.group,
                group_name=option.group_name,
                value=value,
                swatch=option.swatch,
                note=note,
            )
        if value is None:
            self._line_cache[key] = line
        return line

    # --- taxes ----------------------------------------------------------------------------

    def periods(self, on: dt.date) -> list[tuple[TaxTerms, PeriodTerms]]:
        """The market's taxes that cover this car on ``on``, each with its period's terms."""
        return list(self._taxes_on.at(on))

    def net_and_vat(self, subtotal: Decimal) -> tuple[Decimal, Decimal]:
        """The net price and the VAT of a subtotal (contained in it, or added to it)."""
        if self._prices_include_vat:
            net = net_of(subtotal, self._vat_rate)
            return net, subtotal - net
        return subtotal, vat_on(subtotal, self._vat_rate)

    def tax_base(self, subtotal: Decimal, base_kind: str) -> Decimal:
        net, vat = self.net_and_vat(subtotal)
        return net if base_kind == "net" else net + vat

    def price_reaching(self, threshold: Decimal, base_kind: str) -> Decimal:
        """The smallest list price (subtotal) whose tax base reaches ``threshold``."""
        key = (threshold, base_kind)
        found = self._reaching.get(key)
        if found is None:
            found = self._price_reaching(threshold, base_kind)
            self._reaching[key] = found
        return found

    def _price_reaching(self, threshold: Decimal, base_kind: str) -> Decimal:
        factor = Decimal(1)
        if base_kind == "net" and self._prices_include_vat:
            factor = 1 + self._vat_rate
        elif base_kind == "gross" and not self._prices_include_vat:
            factor = 1 / (1 + self._vat_rate)
        return smallest_reaching(
            threshold, threshold * factor, lambda s: self.tax_base(s, base_kind)
        )

    # --- pricing --------------------------------------------------------------------------

    def price(
        self,
        configuration: Configuration,
        on: dt.date,
        *,
        currencies: Sequence[str] = (),
        strict: bool = True,
    ) -> Quote:
        """Price a configuration on a date; raise a ConfigurationError when it is not valid.

        ``strict=False`` prices a configuration that is valid except for a programme's
        minimum spend (a draft the buyer is still completing): the quote's
        :class:`ProgrammeProgress` then says ``met=False`` and what is ``missing``, instead of
        a :class:`MinimumSpendError`. Every other check still applies.
        """
        choices, values = self.canonical(configuration)
        selection = self.resolve(choices)
        codes = selection.codes
        if self.violated(selection, on):
            raise self.rejection(Configuration(self._model, choices, values), on)
        self._check_values(selection, values)

        chosen, packaged, brought = selection.chosen, selection.packaged, selection.brought
        ordered = sorted(codes, key=self._position.__getitem__)
        lines = [self._base_line]
        charged: dict[str, Decimal] = {}
        packages: list[str] = []
        for code in ordered:
            if code in self._packages:
                packages.append(code)
                continue
            if code in packaged:
                charged[code] = ZERO
                continue
            if code in chosen:
                note = None
            elif code in brought:
                note = f"comes with {self._names[brought[code]]}"
            else:
                note = "standard"
            line = self._line("option", code, note, values.get(code))
            lines.append(line)
            charged[code] = line.amount
        for code in packages:
            package = self._packages[code]
            lines.append(self._line("package", code, None, None))
            charged[code] = package.price
            note = f"included in {package.name}"
            for included in package.includes:
                if packaged.get(included) == code:
                    lines.append(self._line("included", included, note, values.get(included)))
        for code in ordered:
            rules = self._price_rules.get(code)
            if rules is None or code in packaged:
                continue
            for holds, rule_price, rule_line in rules:
                if holds(codes):
                    lines.append(rule_line)
                    charged[code] = rule_price
                    break
        running = sum((line.amount for line in lines), ZERO)
        for discount, holds, of in self._discounts:
            if not holds(codes):
                continue
            if discount.amount is not None:
                reduction = discount.amount
                how = f"{format_money(discount.amount)} off"
            else:
                assert discount.percent is not None
                basis = sum((charged[c] for c in of if c in charged), ZERO) if of else running
                reduction = percent_of(basis, discount.percent / 100)
                what = ", ".join(sorted(of & codes)) if of else "the car"
                how = f"{percent_text(discount.percent / 100)} of {what}"
            reduction = min(reduction, running)
            running -= reduction
            lines.append(
                construct(
                    QuoteLine,
                    kind="discount",
                    name=discount.reason,
                    amount=-reduction,
                    code=None,
                    id=discount.id,
                    group=None,
                    group_name=None,
                    value=None,
                    swatch=None,
                    note=how,
                )
            )
        subtotal = running

        programmes: list[ProgrammeProgress] = []
        deposit = ZERO
        extra_weeks = 0
        if codes & self._programme_codes:
            for programme, spend, in_programme in self.programme_spends(codes, charged):
                if not in_programme:
                    continue
                missing = programme.minimum_spend - spend
                if missing > 0 and strict:
                    raise self._minimum_spend(programme.id, codes, charged)
                deposit += programme.deposit
                extra_weeks = max(extra_weeks, programme.extra_lead_time_weeks)
                programmes.append(
                    construct(
                        ProgrammeProgress,
                        id=programme.id,
                        name=programme.name,
                        spend=spend,
                        minimum=programme.minimum_spend,
                        met=missing <= 0,
                        missing=max(missing, ZERO),
                        deposit=programme.deposit,
                        extra_lead_time_weeks=programme.extra_lead_time_weeks,
                        options=list(in_programme),
                        monthly_capacity=programme.monthly_capacity,
                    )
                )

        net, vat = self.net_and_vat(subtotal)
        taxes: list[TaxLine] = []
        thresholds: list[Threshold] = []
        warnings: list[str] = []
        notes: list[str] = []
        if not self._prices_include_vat:
            taxes.append(
                construct(
                    TaxLine,
                    id="vat",
                    name="VAT",
                    kind="vat",
                    base=net,
                    base_kind="net",
                    rate=self._vat_rate,
                    amount=vat,
                    explanation=f"{percent_text(self._vat_rate)} of Net {format_money(net)}, "
                    f"added to the list price",
                    paid_by_buyer=True,
                )
            )
        for tax, period in self.periods(on):
            base = net if tax.base == "net" else net + vat
            outcome = compute(tax, period, base, self._base_label[tax.base])
            if outcome.owed:
                taxes.append(
                    construct(
                        TaxLine,
                        id=tax.id,
                        name=tax.name,
                        kind=period.kind,
                        base=base,
                        base_kind=tax.base,
                        rate=period.rate,
                        amount=outcome.amount,
                        explanation=outcome.explanation,
                        paid_by_buyer=True,
                    )
                )
            if period.kind == "cliff":
                item = self._threshold(outcome, subtotal, lines, chosen)
                thresholds.append(item)
                (warnings if item.crossed else notes).append(item.message)
        total = subtotal + sum((t.amount for t in taxes if t.paid_by_buyer), ZERO)

        if not self._in_force.at(on):
            warnings.append(
                f"{self._name} catalog version {self._version} is in force "
                f"{self._effective_span}, not on {on.isoformat()}: its prices may not apply"
            )
        for progress in programmes:
            if progress.monthly_capacity:
                notes.append(self._capacity_notes[progress.id])

        delivery = (
            self._lead_time_weeks
            + max((self._lead[code] for code in codes), default=0)
            + extra_weeks
        )
        quote = construct(
            Quote,
            model=self._model,
            model_name=self._name,
            brand=self._brand,
            catalog_version=self._version,
            market=self._market_id,
            currency=self._currency,
            date=on,
            code=self._book.encode(choices, values),
            choices=list(choices),
            values={code: values[code] for code in ordered if code in values},
            lines=lines,
            subtotal=subtotal,
            net=net,
            vat=vat,
            vat_rate=self._vat_rate,
            prices_include_vat=self._prices_include_vat,
            taxes=taxes,
            total=total,
            deposit=deposit,
            delivery_weeks=delivery,
            programmes=programmes,
            thresholds=thresholds,
            warnings=warnings,
            notes=notes,
            conversions=[],
        )
        if currencies:
            quote = self.convert(quote, currencies)
        return quote

    def programme_spends(
        self, codes: AbstractSet[str], prices: dict[str, Decimal]
    ) -> list[tuple[_ProgrammeFacts, Decimal, tuple[str, ...]]]:
        """Each programme with the spend of a selection in it and its options in the selection:
        :func:`configurator.rules.constraints.programme_spend` on plain data (tests check they
        agree), where ``prices`` are what the selection's codes are charged."""
        found = []
        for programme in self._programmes:
            chosen = tuple(code for code in programme.options if code in codes)
            spend = ZERO
            for code in chosen:
                spend += prices[code] if code in prices else self._list_price.get(code, ZERO)
            found.append((programme, spend, chosen))
        return found

    def _minimum_spend(
        self, programme_id: str, codes: AbstractSet[str], charged: dict[str, Decimal]
    ) -> MinimumSpendError:
        from configurator.rules.constraints import programme_spend

        spend: ProgrammeSpend = next(
            s
            for s in programme_spend(self.catalog, frozenset(codes), charged)
            if s.programme.id == programme_id
        )
        programme = spend.programme
        items = ", ".join(
            f"{code} {format_money(charged.get(code, ZERO))}" for code in spend.chosen
        )
        return MinimumSpendError(
            f"{programme.name} needs at least {format_money(programme.minimum_spend)} "
            f"of its options; "
            f"this configuration has {format_money(spend.spend)} "
            f"({format_money(spend.missing)} short)",
            option_codes=spend.chosen,
            rule_ids=[f"programme:{programme.id}"],
            explanation=[f"programme options chosen: {items}"],
        )

    def _threshold(
        self,
        outcome: TaxOutcome,
        subtotal: Decimal,
        lines: list[QuoteLine],
        chosen: AbstractSet[str],
    ) -> Threshold:
        """Where the car stands against a cliff, and which of the buyer's options crossed it."""
        period, tax = outcome.period, outcome.tax
        assert period.threshold is not None and period.rate is not None
        label = self._base_label[tax.base]
        start = self.price_reaching(period.threshold, tax.base)
        rate = percent_text(period.rate)
        limit = format_money(period.threshold)
        at = f"a list price of {format_money(start)}"
        if not outcome.owed:
            headroom = start - subtotal
            cost = percent_of(period.threshold, period.rate)
            message = (
                f"{tax.name}: {format_money(headroom)} more on the list price reaches the cliff "
                f"at {at} ({label} {limit}), where {rate} of the whole {label} "
                f"(at least {format_money(cost)}) becomes due"
            )
            return _cliff(outcome, start, message, cost=cost, headroom=headroom)
        # The culprit: of the buyer's own options and packages, the priciest whose removal
        # alone takes the list price back under the cliff; when none is enough alone, the
        # priciest. Contributions count price rules; ties go to the later line.
        contribution: dict[str, Decimal] = {}
        order: dict[str, int] = {}
        for index, line in enumerate(lines):
            code = line.code
            if (
                code is not None
                and code in chosen
                and line.kind in ("option", "package", "price_rule")
            ):
                contribution[code] = contribution.get(code, ZERO) + line.amount
                order.setdefault(code, index)
        excess = subtotal - start
        positive = [
            (amount, order[code], code) for code, amount in contribution.items() if amount > 0
        ]
        enough = [item for item in positive if item[0] > excess]
        pick = max(enough or positive, default=None)
        message = (
            f"{tax.name} due: the {label} {format_money(outcome.base)} reaches the {limit} "
            f"threshold ({at}), so {rate} of the whole {label} is owed: "
            f"{format_money(outcome.amount)} (a cliff: no marginal relief)"
        )
        culprit = culprit_name = None
        culprit_amount = None
        if pick is None:
            message += "; the car reaches it without any option of yours"
        else:
            culprit_amount, _, culprit = pick
            culprit_name = self._names[culprit]
            if enough:
                message += (
                    f"; {_label(culprit, culprit_name)}, {format_money(culprit_amount)}, took it "
                    f"over: without it the list price would be "
                    f"{format_money(subtotal - culprit_amount)}, under the cliff"
                )
            else:
                message += (
                    f"; no single option takes it back under: the priciest of yours is "
                    f"{_label(culprit, culprit_name)}, {format_money(culprit_amount)}, and the "
                    f"list price is {format_money(excess)} over the cliff"
                )
        return _cliff(
            outcome,
            start,
            message,
            cost=outcome.amount,
            culprit=culprit,
            culprit_name=culprit_name,
            culprit_amount=culprit_amount,
            culprit_enough=bool(enough),
        )

    # --- currencies -----------------------------------------------------------------------

    def rate_for(self, currency: str, on: dt.date) -> tuple[ExchangeRateFacts, list[str]]:
        """The dated rate for ``currency`` in force on ``on`` (the latest before it)."""
        with_currency = [r for r in self._rates if currency in r.rates]
        if not with_currency:
            known = sorted({c for r in self._rates for c in r.rates})
            raise UsageError(
                f"market '{self._market_id}' has no exchange rate for {currency}"
                + (f" (it has {', '.join(known)})" if known else " (it has none)"),
                suggestion=did_you_mean(currency, known),
            )
        earlier = [r for r in with_currency if r.date <= on]
        warnings: list[str] = []
        if earlier:
            rate = earlier[-1]
            age = (on - rate.date).days
            if age > STALE_RATE_DAYS:
                warnings.append(
                    f"the newest {currency} rate is from {rate.date.isoformat()}, {age} days "
                    f"before {on.isoformat()}: the {currency} amounts are rough"
                )
        else:
            rate = with_currency[0]
            warnings.append(
                f"no {currency} rate on or before {on.isoformat()}: the {currency} amounts use "
                f"the earliest rate, of {rate.date.isoformat()}"
            )
        return rate, warnings

    def convert(self, quote: Quote, currencies: Sequence[str]) -> Quote:
        """The quote with approximate conversions into ``currencies`` added."""
        conversions = list(quote.conversions)
        warnings = list(quote.warnings)
        for raw in currencies:
            currency = raw.strip().upper()
            if currency == quote.currency or any(c.currency == currency for c in conversions):
                continue
            rate, rate_warnings = self.rate_for(currency, quote.date)
            per_unit = rate.rates[currency]
            warnings += rate_warnings

            def to(amount: Decimal, per_unit: Decimal = per_unit) -> Decimal:
                return round_cents(amount / per_unit)

            conversions.append(
                construct(
                    Conversion,
                    currency=currency,
                    rate=per_unit,
                    rate_date=rate.date,
                    approximate=True,
                    subtotal=to(quote.subtotal),
                    net=to(quote.net),
                    vat=to(quote.vat),
                    total=to(quote.total),
                    deposit=to(quote.deposit),
                    lines=[to(line.amount) for line in quote.lines],
                    taxes=[to(tax.amount) for tax in quote.taxes],
                )
            )
        return replace(quote, conversions=conversions, warnings=warnings)


def _cliff(
    outcome: TaxOutcome,
    start: Decimal,
    message: str,
    *,
    cost: Decimal,
    headroom: Decimal | None = None,
    culprit: str | None = None,
    culprit_name: str | None = None,
    culprit_amount: Decimal | None = None,
    culprit_enough: bool = False,
) -> Threshold:
    """Where a car stands against a cliff tax: crossed when the tax is owed (then the culprit,
    if any), else the headroom; ``start`` is the list price where the cliff starts."""
    assert outcome.period.threshold is not None
    return construct(
        Threshold,
        tax_id=outcome.tax.id,
        tax_name=outcome.tax.name,
        threshold=outcome.period.threshold,
        threshold_price=start,
        base=outcome.base,
        crossed=outcome.owed,
        headroom=headroom,
        cost=cost,
        culprit=culprit,
        culprit_name=culprit_name,
        culprit_amount=culprit_amount,
        culprit_enough=culprit_enough,
        message=message,
    )


_PRICERS: dict[tuple[int, int], tuple[Catalog, Market, Pricer]] = {}


def pricer(catalog: Catalog, market: Market) -> Pricer:
    """The (cached) :class:`Pricer` of a catalog in a market."""
    key = (id(catalog), id(market))
    entry = _PRICERS.get(key)
    if entry is not None and entry[0] is catalog and entry[1] is market:
        return entry[2]
    built = Pricer(catalog, market)
    if len(_PRICERS) >= 64:
        _PRICERS.pop(next(iter(_PRICERS)))
    _PRICERS[key] = (catalog, market, built)
    return built


def price(
    catalog: Catalog,
    configuration: Configuration,
    market: Market,
    on: dt.date,
    *,
    currencies: Sequence[str] = (),
) -> Quote:
    """Price a configuration of ``catalog`` in ``market`` on ``on``.

    Raises a :class:`~configurator.errors.ConfigurationError` subclass when the configuration
    is not valid; a broken rule comes with the rules engine's minimal explanation (the buyer's
    choices involved, and the rules with their id, message and file:line):
    :meth:`Pricer.rejection`.
    """
    return pricer(catalog, market).price(configuration, on, currencies=currencies)


def price_code(
    tree: CatalogTree, code: str, on: dt.date, *, currencies: Sequence[str] = ()
) -> Quote:
    """Decode a configuration code and price it under the tree's current catalog.

    A code made under an older catalog version is re-priced under the current one; the quote
    then starts its warnings with the options that changed price or no longer exist.
    """
    decoded = decode(code, tree)
    catalog = tree.load(decoded.configuration.model)
    market = tree.load_market(catalog.market)
    migration = migrate(catalog, decoded.configuration, decoded.version)
    try:
        quote = price(catalog, migration.configuration, market, on, currencies=currencies)
    except ConfigurationError as error:
        error.explanation = (*error.explanation, *migration.warnings)
        raise
    if migration.warnings:
        quote = replace(quote, warnings=[*migration.warnings, *quote.warnings])
    return quote
