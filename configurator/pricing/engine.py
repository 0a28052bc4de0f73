"""The pricing engine's entry point: (catalog, configuration, market, date) -> Quote.

:func:`price` is the simple entry point. It uses a :class:`Pricer`, built once per
(catalog, market) and cached, which compiles everything that does not depend on the buyer.
Pricing one configuration then costs tens of microseconds, which is what batch pricing and
the interactive configurator rely on. The Pricer answers each question of a quote through
one part, each in its own module (README, Design: Pricing):

- what the buyer's choices resolve to: :mod:`configurator.pricing.selection`;
- whether the selection is valid (the catalog's constraints as compiled checks, availability
  by date): :mod:`configurator.pricing.validity`;
- what each line costs (options, packages, price rules, discounts):
  :mod:`configurator.pricing.lines`;
- what the state takes (VAT, dated taxes, cliffs): :mod:`configurator.pricing.taxation`,
  over the tax kinds of :mod:`configurator.pricing.taxes`;
- what the buyer is told (programmes, deposit, delivery, warnings):
  :mod:`configurator.pricing.terms`; conversions: :mod:`configurator.pricing.currency`.

A Pricer holds plain data only (no pydantic objects on the path that prices a valid
configuration), so it can be pickled and kept on disk (:mod:`configurator.pricing.stored`):
a one-shot ``configurator quote`` then loads the compiled pricer instead of the catalog. Its
catalog and market are needed only to explain a broken rule; a stored pricer loads them then.

Rounding: :mod:`configurator.money` (to the cent, half up).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from configurator.codes import CodeBook, codebook, decode, migrate
from configurator.configuration import Configuration, Selection
from configurator.errors import (
    CatalogError,
    ConfigurationError,
    Location,
    MinimumSpendError,
    Problem,
)
from configurator.money import ZERO, format_money
from configurator.pricing.currency import Currencies, ExchangeRateFacts
from configurator.pricing.lines import LineBook
from configurator.pricing.selection import SelectionIndex
from configurator.pricing.taxation import StateTake, Taxation
from configurator.pricing.taxes import PeriodTerms, TaxTerms
from configurator.pricing.terms import BuyerTerms, ProgrammeFacts, Programmes
from configurator.pricing.validity import (
    CompiledChecks,
    compile_constraint,
    compile_expr,
    expr_source,
)
from configurator.quote import Quote, TaxLine, construct

if TYPE_CHECKING:
    from configurator.catalog.loader import CatalogTree
    from configurator.catalog.schema import Catalog, Market
    from configurator.rules.constraints import Constraint, ProgrammeSpend

# The compiled checks were defined here before the split; their names stay importable.
__all__ = [
    "Pricer",
    "compile_constraint",
    "compile_expr",
    "expr_source",
    "price",
    "price_code",
    "pricer",
]

# What a pickled pricer leaves behind: the catalog objects (loaded again when needed) and
# caches of constraint objects made from them.
_NEVER_PICKLED = (
    "_catalog",
    "_market",
    "_sources",
    "_constraint_list",
    "_unavailable",
    "_unavailable_on",
)


class Pricer:
    """Everything needed to price configurations of one catalog in one market, precomputed:
    one part per question of a quote, each plain data."""

    def __init__(self, catalog: Catalog, market: Market) -> None:
        from configurator.rules.constraints import constraints

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
        self._market_id = market.id
        self._constraint_list: list[Constraint] | None = constraints(catalog)
        self._unavailable: dict[frozenset[str], dict[str, Constraint]] = {}
        self._unavailable_on: dict[dt.date, dict[str, Constraint]] = {}
        self.selection = SelectionIndex(catalog)
        self.checks = CompiledChecks(catalog, self._constraint_list)
        self.lines = LineBook(catalog, self.selection.names, self.selection.group_of)
        self.taxation = Taxation(catalog, market, self.selection.names)
        self.terms = BuyerTerms(catalog)
        self.currencies = Currencies(market)
        self._book = codebook(catalog)

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
        return self.selection.canonical(configuration)

    def resolve(self, choices: Sequence[str]) -> Selection:
        """:func:`configurator.configuration.resolve` on precomputed indexes (same meaning)."""
        return self.selection.resolve(choices)

    def unavailable_codes(self, on: dt.date) -> frozenset[str]:
        """The option and package codes that may not be chosen on ``on``."""
        return self.checks.unavailable_codes(on)

    def unavailable(self, on: dt.date) -> dict[str, Constraint]:
        """Codes that may not be chosen on ``on``, with their availability constraint."""
        found = self._unavailable_on.get(on)
        if found is not None:
            return found
        key = self.checks.unavailable_codes(on)
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
        result = [self._constraints[i] for i in self.checks.broken(codes)]
        if on is not None and not self.checks.unavailable_codes(on).isdisjoint(codes):
            unavailable = self.unavailable(on)
            if unavailable:
                position = self.selection.position
                result += [
                    unavailable[c]
                    for c in sorted(codes, key=position.__getitem__)
                    if c in unavailable
                ]
        return result

    def breaks(self, selection: Selection, on: dt.date | None) -> bool:
        """Whether :meth:`violated` would list a constraint, without making the constraint
        objects (they come from the catalog, loaded again for a stored pricer)."""
        codes = selection.codes
        if self.checks.broken(codes):
            return True
        if on is not None and not self.checks.unavailable_codes(on).isdisjoint(codes):
            unavailable = self.unavailable(on)
            return any(code in unavailable for code in codes)
        return False

    def check(self, configuration: Configuration, on: dt.date) -> None:
        """Raise the ConfigurationError that explains why a configuration cannot be priced.

        Validity includes programme minimum spends, which need the prices: this prices.
        """
        self.price(configuration, on)

    def rejection(
        self, configuration: Configuration, on: dt.date, selection: Selection | None = None
    ) -> ConfigurationError:
        """Why a configuration that breaks a constraint cannot be priced: the rules engine's
        minimal explanation (the buyer's choices, and the defaults or absences, together with
        the rules, each with its id, message and file:line, that cannot all hold).
        ``selection``: the configuration as :meth:`resolve` resolved it, when at hand.

        Only a rejection pays for it: it needs the catalog (loaded again for a stored pricer)
        and the SAT solver, never the compiled diagram (which may take long to build)."""
        from configurator.rules.explain import explainer_for

        explainer = explainer_for(self.catalog, on)
        explainer.share_checks(self.checks.structural)
        result = explainer.check(configuration, selection)
        if result.valid:  # the two engines share one definition of validity: a bug
            raise RuntimeError(f"the rules engine accepts {configuration} that the pricer rejects")
        return result.error()

    # --- taxes and programmes (the parts' answers, for callers and tests) -----------------

    def periods(self, on: dt.date) -> list[tuple[TaxTerms, PeriodTerms]]:
        """The market's taxes that cover this car on ``on``, each with its period's terms."""
        return self.taxation.periods(on)

    def net_and_vat(self, subtotal: Decimal) -> tuple[Decimal, Decimal]:
        """The net price and the VAT of a subtotal (contained in it, or added to it)."""
        return self.taxation.net_and_vat(subtotal)

    def tax_base(self, subtotal: Decimal, base_kind: str) -> Decimal:
        """The base (``net`` or ``gross``) a tax is computed on, for a list price."""
        return self.taxation.tax_base(subtotal, base_kind)

    def price_reaching(self, threshold: Decimal, base_kind: str) -> Decimal:
        """The smallest list price (subtotal) whose tax base reaches ``threshold``."""
        return self.taxation.price_reaching(threshold, base_kind)

    def programme_spends(
        self, codes: frozenset[str] | set[str], prices: dict[str, Decimal]
    ) -> list[tuple[ProgrammeFacts, Decimal, tuple[str, ...]]]:
        """Each programme with the spend of a selection in it and its options in the selection
        (:meth:`BuyerTerms.programme_spends`)."""
        return self.terms.programme_spends(codes, prices)

    def rate_for(self, currency: str, on: dt.date) -> tuple[ExchangeRateFacts, list[str]]:
        """The dated rate for ``currency`` in force on ``on`` (the latest before it)."""
        return self.currencies.rate_for(currency, on)

    def convert(self, quote: Quote, currencies: Sequence[str]) -> Quote:
        """The quote with approximate conversions into ``currencies`` added."""
        return self.currencies.convert(quote, currencies)

    # --- pricing --------------------------------------------------------------------------

    def price(
        self,
        configuration: Configuration,
        on: dt.date,
        *,
        currencies: Sequence[str] = (),
        strict: bool = True,
        brief: bool = False,
    ) -> Quote:
        """Price a configuration on a date; raise a ConfigurationError when it is not valid.

        ``brief=True`` gives the same figures (lines, subtotal, taxes, total, conversions,
        code) without what is only read by people: where the car stands against each tax
        cliff, warnings and notes (batch pricing writes the figures only).

        ``strict=False`` prices a configuration that is valid except for a programme's
        minimum spend (a draft the buyer is still completing): the quote's
        :class:`ProgrammeProgress` then says ``met=False`` and what is ``missing``, instead of
        a :class:`MinimumSpendError`. Every other check still applies.
        """
        choices, values, selection = self._valid_selection(configuration, on)
        codes = selection.codes
        ordered = sorted(codes, key=self.selection.position.__getitem__)
        lines, charged, subtotal = self.lines.priced(selection, ordered, values)
        programmes = self.terms.programmes(codes, charged, strict=strict)
        if programmes.short is not None:
            raise self._minimum_spend(programmes.short, codes, charged)
        take = self.taxation.take(on, subtotal, lines, selection.chosen, cliffs=not brief)
        warnings, notes = ([], []) if brief else self._told(on, take, programmes)
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
            net=take.net,
            vat=take.vat,
            vat_rate=self.taxation.vat_rate,
            prices_include_vat=self.taxation.prices_include_vat,
            taxes=take.taxes,
            total=subtotal + sum((t.amount for t in take.taxes if t.paid_by_buyer), ZERO),
            deposit=programmes.deposit,
            delivery_weeks=self.terms.delivery_weeks(codes, programmes.extra_weeks),
            programmes=programmes.progress,
            thresholds=take.thresholds,
            warnings=warnings,
            notes=notes,
            conversions=[],
        )
        return self.currencies.convert(quote, currencies) if currencies else quote

    @property
    def book(self) -> CodeBook:
        """The catalog's configuration code book."""
        return self._book

    @property
    def currency(self) -> str:
        """The currency of the catalog's prices."""
        return self._currency

    def figures(self, configuration: Configuration, on: dt.date) -> Figures:
        """The figures batch pricing writes: :meth:`price` with ``brief=True`` (the same
        errors, the same amounts and code; tests check they agree) without making the quote,
        its lines or its programmes' progress."""
        choices, values, selection = self._valid_selection(configuration, on)
        charged, subtotal = self.lines.charges(selection)
        short = self.terms.short_programme(selection.codes, charged)
        if short is not None:
            raise self._minimum_spend(short, selection.codes, charged)
        take = self.taxation.take(on, subtotal, [], selection.chosen, cliffs=False)
        total = subtotal + sum((t.amount for t in take.taxes if t.paid_by_buyer), ZERO)
        code = self._book.encode(choices, values)
        return Figures(code, subtotal, tuple(take.taxes), total, self._currency)

    def _valid_selection(
        self, configuration: Configuration, on: dt.date
    ) -> tuple[tuple[str, ...], dict[str, str], Selection]:
        """The buyer's choices in catalog order, their values and the complete selection;
        raise the ConfigurationError that says why it cannot be priced (an unknown code, a
        broken rule with its explanation, a bad value), minimum spends aside."""
        choices, values = self.selection.canonical(configuration)
        selection = self.selection.resolve(choices)
        if self.breaks(selection, on):
            raise self.rejection(Configuration(self._model, choices, values), on, selection)
        self.selection.check_values(selection, values)
        return choices, values, selection

    def _told(
        self, on: dt.date, take: StateTake, programmes: Programmes
    ) -> tuple[list[str], list[str]]:
        """A quote's warnings (cliffs crossed, a catalog not in force) and notes (cliffs
        ahead, programme capacities), in that order."""
        warnings = [item.message for item in take.thresholds if item.crossed]
        notes = [item.message for item in take.thresholds if not item.crossed]
        not_in_force = self.terms.in_force_warning(on)
        if not_in_force is not None:
            warnings.append(not_in_force)
        notes += self.terms.capacity_notes(programmes.progress)
        return warnings, notes

    def _minimum_spend(
        self, programme_id: str, codes: frozenset[str], charged: dict[str, Decimal]
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


class Figures(NamedTuple):
    """What a batch row of a valid configuration says: :meth:`Pricer.figures`."""

    code: str
    subtotal: Decimal
    taxes: tuple[TaxLine, ...]
    total: Decimal
    currency: str


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
