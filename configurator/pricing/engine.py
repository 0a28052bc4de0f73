"""The pricing engine: (catalog, configuration, market, date) -> :class:`~configurator.quote.Quote`.

:func:`price` is the simple entry point. It uses a :class:`Pricer`, built once per
(catalog, market) and cached, which compiles everything that does not depend on the buyer:
option and package indexes, the catalog's constraints
(:func:`configurator.rules.constraints.constraints`, the single definition of validity) as
fast predicates, price rules, discounts, tax periods per date, prebuilt quote lines and the
code book. Pricing one configuration then costs tens of microseconds, which is what batch
pricing and the interactive configurator rely on.

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

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import TYPE_CHECKING

from configurator.catalog.schema import (
    BuyerValue,
    Catalog,
    ExchangeRate,
    Market,
    Option,
    Package,
    Period,
    Tax,
    TaxPeriod,
)
from configurator.codes import codebook, decode, migrate
from configurator.configuration import Configuration, Selection
from configurator.errors import (
    BadValueError,
    CardinalityError,
    CatalogError,
    ConfigurationError,
    Location,
    MinimumSpendError,
    Problem,
    RuleViolationError,
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
from configurator.pricing.taxes import TaxOutcome, compute, covering_period, percent_text
from configurator.quote import (
    Conversion,
    ProgrammeProgress,
    Quote,
    QuoteLine,
    TaxLine,
    Threshold,
    construct,
)
from configurator.rules.constraints import (
    Constraint,
    ProgrammeSpend,
    constraints,
    programme_spend,
)
from configurator.rules.expr import Expr, fold, parse, to_text

if TYPE_CHECKING:
    from configurator.catalog.loader import CatalogTree

Predicate = Callable[[AbstractSet[str]], bool]
STALE_RATE_DAYS = 92


def compile_expr(expr: Expr) -> Predicate:
    """An expression as a fast predicate over a set of chosen codes (same meaning as evaluate).

    The expression is folded into the text of one Python lambda and compiled; the only values
    in that text are option codes written with ``repr``, so nothing from a catalog can run.
    """
    text = fold(
        expr,
        var=lambda code: f"({code!r} in s)",
        const=lambda value: "True" if value else "False",
        not_=lambda part: f"(not {part})",
        and_=lambda parts: "(" + " and ".join(parts) + ")",
        or_=lambda parts: "(" + " or ".join(parts) + ")",
    )
    predicate: Predicate = eval(f"lambda s: {text}", {"__builtins__": {}})  # noqa: S307
    return predicate


def compile_constraint(constraint: Constraint) -> Predicate:
    """A constraint as a fast predicate with the meaning of :meth:`Constraint.holds`."""
    if constraint.kind == "cardinality":
        members = frozenset(constraint.codes)
        low, high = constraint.minimum, constraint.maximum
        if high is None:
            return lambda chosen: len(members & chosen) >= low
        return lambda chosen: low <= len(members & chosen) <= high
    if constraint.kind == "table":
        rows = [frozenset(row) for row in constraint.rows]
        allowed = constraint.allowed
        return lambda chosen: any(row <= chosen for row in rows) == allowed
    assert constraint.expr is not None
    return compile_expr(constraint.expr)


def _label(code: str, name: str) -> str:
    return f"{code} ({name})"


class Pricer:
    """Everything needed to price configurations of one catalog in one market, precomputed."""

    def __init__(self, catalog: Catalog, market: Market) -> None:
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
        self.catalog = catalog
        self.market = market
        self._options: dict[str, tuple[str, str, Option]] = {}
        self._position: dict[str, int] = {}
        self._defaults: list[tuple[str, tuple[str, ...]]] = []
        for group in catalog.groups:
            self._defaults.append((group.id, tuple(group.default)))
            for option in group.options:
                self._options[option.code] = (group.id, group.name, option)
                self._position[option.code] = len(self._position)
        self._packages: dict[str, Package] = {}
        for package in catalog.packages:
            self._packages[package.code] = package
            self._position[package.code] = len(self._position)
        self._known = frozenset(self._position)
        self._includes = {code: tuple(p.includes) for code, p in self._packages.items()}
        self._brings = {
            code: tuple(o.brings) for code, (_, _, o) in self._options.items() if o.brings
        }
        self._group_of = {code: group_id for code, (group_id, _, _) in self._options.items()}
        self._names = {code: o.name for code, (_, _, o) in self._options.items()}
        self._names.update({code: p.name for code, p in self._packages.items()})
        self._lead = {code: o.lead_time_weeks for code, (_, _, o) in self._options.items()}
        self._lead.update({code: p.lead_time_weeks for code, p in self._packages.items()})
        self._value_specs: dict[str, tuple[BuyerValue, re.Pattern[str] | None]] = {
            code: (o.value, re.compile(o.value.pattern) if o.value.pattern else None)
            for code, (_, _, o) in self._options.items()
            if o.value is not None
        }

        # Validity: the catalog's constraints, compiled; availability is per date.
        self._constraints = constraints(catalog)
        self._checks = [compile_constraint(c) for c in self._constraints]
        touching: dict[str, list[int]] = {}
        for index, constraint in enumerate(self._constraints):
            for code in dict.fromkeys(constraint.codes):
                touching.setdefault(code, []).append(index)
        self._touching = {code: tuple(indices) for code, indices in touching.items()}
        # A constraint none of whose codes is chosen has the value it has on the empty set.
        self._fail_when_empty = tuple(
            i for i, check in enumerate(self._checks) if not check(frozenset())
        )
        self._restricted: list[Period] = []
        for _, _, option in self._options.values():
            if option.available is not None:
                self._restricted.append(option.available)
        for package in self._packages.values():
            if package.available is not None:
                self._restricted.append(package.available)
        self._unavailable: dict[tuple[bool, ...], dict[str, Constraint]] = {}
        self._unavailable_on: dict[dt.date, dict[str, Constraint]] = {}
        self._rules = {rule.id: rule for rule in catalog.rules}

        # Prices.
        self._price_rules: dict[str, list[tuple[Predicate, Decimal, QuoteLine]]] = {}
        for rule in catalog.price_rules:
            list_price = (
                self._options[rule.option][2].price if rule.option in self._options else ZERO
            )
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
            self._price_rules.setdefault(rule.option, []).append(
                (compile_expr(parse(rule.when)), rule.price, line)
            )
        self._discounts = [
            (d, compile_expr(parse(d.when)), frozenset(d.of)) for d in catalog.discounts
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

        # Taxes and exchange rates.
        self._periods: dict[dt.date, list[tuple[Tax, TaxPeriod]]] = {}
        self._rates: list[ExchangeRate] = sorted(market.exchange_rates, key=lambda r: r.date)
        self._vat_rate = market.vat_rate
        self._reaching: dict[tuple[Decimal, str], Decimal] = {}
        self._base_label = {"net": "Net", "gross": "price incl. VAT"}

    # --- resolution and validity ----------------------------------------------------------

    def canonical(self, configuration: Configuration) -> tuple[tuple[str, ...], dict[str, str]]:
        """The buyer's choices in catalog order (unknown codes rejected) and their values."""
        if configuration.model != self.catalog.id:
            raise UsageError(
                f"the configuration is for '{configuration.model}', not '{self.catalog.id}'"
            )
        choices = dict.fromkeys(code.strip().upper() for code in configuration.choices)
        for code in choices:
            if code not in self._known:
                raise UnknownOptionError(
                    f"'{code}' is not an option of {self.catalog.id}",
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

    def unavailable(self, on: dt.date) -> dict[str, Constraint]:
        """Codes that may not be chosen on ``on``, with their availability constraint."""
        found = self._unavailable_on.get(on)
        if found is not None:
            return found
        key = tuple(period.contains(on) for period in self._restricted)
        found = self._unavailable.get(key)
        if found is None:
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
        if on is not None:
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

    def _describe(self, codes: Iterable[str]) -> str:
        return ", ".join(_label(code, self._names.get(code, code)) for code in codes)

    def _violation(self, broken: list[Constraint], selection: Selection) -> ConfigurationError:
        first = broken[0]
        involved = [code for code in dict.fromkeys(first.codes) if code in selection.codes]
        mine = [code for code in involved if code in selection.chosen]
        along = [
            code for code in involved if code not in selection.chosen and code in selection.brought
        ]
        standard = [
            code
            for code in involved
            if code in selection.defaulted and code not in mine and code not in along
        ]
        explanation: list[str] = []
        rule = self._rules.get(first.id)
        if rule is not None:
            if rule.requires is not None:
                explanation.append(f"the rule: {rule.option} requires {rule.requires}")
            elif rule.excludes is not None:
                explanation.append(f"the rule: {rule.option} excludes {', '.join(rule.excludes)}")
            else:
                explanation.append(f"the rule: if {rule.if_} then {rule.then}")
        elif first.kind == "table":
            explanation.append(
                f"the table '{first.id}' lists the {'allowed' if first.allowed else 'forbidden'} "
                f"combinations"
            )
        elif first.expr is not None and first.kind != "availability":
            explanation.append(f"the rule: {to_text(first.expr)}")
        if mine:
            explanation.append(f"your choice{'s' if len(mine) > 1 else ''}: {self._describe(mine)}")
        for code in along:
            by = selection.brought[code]
            how = "included in" if code in selection.packaged else "comes with"
            explanation.append(f"{how} your {by}: {_label(code, self._names.get(code, code))}")
        if standard:
            explanation.append(f"standard (not chosen by you): {self._describe(standard)}")
        if len(broken) > 1:
            more = ", ".join(c.id for c in broken[1:6]) + (", ..." if len(broken) > 6 else "")
            explanation.append(f"also broken: {more}")
        options = mine or along or involved
        rule_ids = [c.id for c in broken]
        if first.kind == "cardinality":
            count = len(involved)
            return CardinalityError(
                f"{first.message}, but {count} {'is' if count == 1 else 'are'} chosen",
                option_codes=options,
                rule_ids=rule_ids,
                explanation=explanation,
            )
        if first.kind == "availability":
            return RuleViolationError(
                first.message, option_codes=options, rule_ids=rule_ids, explanation=explanation
            )
        return RuleViolationError(
            f"rule '{first.id}' is broken: {first.message}",
            option_codes=options,
            rule_ids=rule_ids,
            explanation=explanation,
        )

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
            buyer_value, pattern = spec
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
                buyer_value, _ = self._value_specs[code]
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
            group_id, group_name, option = self._options[code]
            line = construct(
                QuoteLine,
                kind=kind,
                name=option.name,
                amount=ZERO if kind == "included" else option.price,
                code=code,
                id=None,
                group=group_id,
                group_name=group_name,
                value=value,
                swatch=option.swatch,
                note=note,
            )
        if value is None:
            self._line_cache[key] = line
        return line

    # --- taxes ----------------------------------------------------------------------------

    def periods(self, on: dt.date) -> list[tuple[Tax, TaxPeriod]]:
        """The market's taxes that cover this car on ``on``, each with its period."""
        found = self._periods.get(on)
        if found is None:
            found = []
            for tax in self.market.taxes:
                period = covering_period(tax, on, self.catalog.powertrain, self.catalog.nev)
                if period is not None:
                    found.append((tax, period))
            if len(self._periods) > 4096:
                self._periods.clear()
            self._periods[on] = found
        return found

    def net_and_vat(self, subtotal: Decimal) -> tuple[Decimal, Decimal]:
        """The net price and the VAT of a subtotal (contained in it, or added to it)."""
        if self.market.prices_include_vat:
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
        if base_kind == "net" and self.market.prices_include_vat:
            factor = 1 + self._vat_rate
        elif base_kind == "gross" and not self.market.prices_include_vat:
            factor = 1 / (1 + self._vat_rate)
        return smallest_reaching(
            threshold, threshold * factor, lambda s: self.tax_base(s, base_kind)
        )

    # --- pricing --------------------------------------------------------------------------

    def price(
        self, configuration: Configuration, on: dt.date, *, currencies: Sequence[str] = ()
    ) -> Quote:
        """Price a configuration on a date; raise a ConfigurationError when it is not valid."""
        choices, values = self.canonical(configuration)
        selection = self.resolve(choices)
        codes = selection.codes
        broken = self.violated(selection, on)
        if broken:
            raise self._violation(broken, selection)
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
            for spend in programme_spend(self.catalog, codes, charged):
                if not spend.active:
                    continue
                programme = spend.programme
                if not spend.met:
                    raise self._minimum_spend(spend, charged)
                deposit += programme.deposit
                extra_weeks = max(extra_weeks, programme.extra_lead_time_weeks)
                programmes.append(
                    construct(
                        ProgrammeProgress,
                        id=programme.id,
                        name=programme.name,
                        spend=spend.spend,
                        minimum=programme.minimum_spend,
                        met=True,
                        missing=ZERO,
                        deposit=programme.deposit,
                        extra_lead_time_weeks=programme.extra_lead_time_weeks,
                        options=list(spend.chosen),
                        monthly_capacity=programme.monthly_capacity,
                    )
                )

        net, vat = self.net_and_vat(subtotal)
        taxes: list[TaxLine] = []
        thresholds: list[Threshold] = []
        warnings: list[str] = []
        notes: list[str] = []
        if not self.market.prices_include_vat:
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

        effective = self.catalog.effective
        if effective is not None and not effective.contains(on):
            span = f"{effective.from_ or '...'} to {effective.until or '...'}"
            warnings.append(
                f"{self.catalog.name} catalog version {self.catalog.version} is in force "
                f"{span}, not on {on.isoformat()}: its prices may not apply"
            )
        for progress in programmes:
            if progress.monthly_capacity:
                notes.append(self._capacity_notes[progress.id])

        delivery = (
            self.catalog.lead_time_weeks
            + max((self._lead[code] for code in codes), default=0)
            + extra_weeks
        )
        quote = construct(
            Quote,
            model=self.catalog.id,
            model_name=self.catalog.name,
            brand=self.catalog.brand,
            catalog_version=self.catalog.version,
            market=self.market.id,
            currency=self.catalog.currency,
            date=on,
            code=self._book.encode(choices, values),
            choices=list(choices),
            values={code: values[code] for code in ordered if code in values},
            lines=lines,
            subtotal=subtotal,
            net=net,
            vat=vat,
            vat_rate=self._vat_rate,
            prices_include_vat=self.market.prices_include_vat,
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

    def _minimum_spend(
        self, spend: ProgrammeSpend, charged: dict[str, Decimal]
    ) -> MinimumSpendError:
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
            return construct(
                Threshold,
                tax_id=tax.id,
                tax_name=tax.name,
                threshold=period.threshold,
                threshold_price=start,
                base=outcome.base,
                crossed=False,
                headroom=headroom,
                cost=cost,
                culprit=None,
                culprit_name=None,
                culprit_amount=None,
                culprit_enough=False,
                message=message,
            )
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
        return construct(
            Threshold,
            tax_id=tax.id,
            tax_name=tax.name,
            threshold=period.threshold,
            threshold_price=start,
            base=outcome.base,
            crossed=True,
            headroom=None,
            cost=outcome.amount,
            culprit=culprit,
            culprit_name=culprit_name,
            culprit_amount=culprit_amount,
            culprit_enough=bool(enough),
            message=message,
        )

    # --- currencies -----------------------------------------------------------------------

    def rate_for(self, currency: str, on: dt.date) -> tuple[ExchangeRate, list[str]]:
        """The dated rate for ``currency`` in force on ``on`` (the latest before it)."""
        with_currency = [r for r in self._rates if currency in r.rates]
        if not with_currency:
            known = sorted({c for r in self._rates for c in r.rates})
            raise UsageError(
                f"market '{self.market.id}' has no exchange rate for {currency}"
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
        return quote.model_copy(update={"conversions": conversions, "warnings": warnings})


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

    Raises a :class:`~configurator.errors.ConfigurationError` subclass naming the broken rule,
    its message and the buyer's options involved when the configuration is not valid.
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
        quote = quote.model_copy(update={"warnings": [*migration.warnings, *quote.warnings]})
    return quote
