"""An interactive configuration session, without a terminal: state, history and operations.

:class:`ConfigureSession` holds the buyer's own choices for one model (a
:class:`~configurator.configuration.Configuration`) on a date, in a market, and walks the
catalog's groups in order (plus one step for the packages). Every operation the dealer's screen
offers is a method here, so the terminal front end (``configurator configure``) only reads keys
and renders; the same session can be driven by tests or another front end.

- :meth:`ConfigureSession.view` shows a step: each option with its price, whether it is
  selected and why (the buyer's choice, the group's default, brought by another option,
  included in a package), and whether it can still be chosen, with the rule's message when not
  (from the rules engine's valid domains, so the buyer never walks into a dead end).
- :meth:`~ConfigureSession.choose` chooses (or, in groups that allow several, toggles) an
  option. An option that is not available is not chosen: the result carries the rules
  engine's alternatives (the smallest changes that make it available, cheapest first), one of
  which :meth:`~ConfigureSession.apply` accepts. Options whose value the buyer supplies are
  chosen with their value, checked against the catalog's pattern.
- :meth:`~ConfigureSession.undo` takes back the last change; :meth:`~ConfigureSession.back`
  and :meth:`~ConfigureSession.jump` move between steps; :meth:`~ConfigureSession.find`
  finds options by name or code, best matches first.
- A model whose groups say which option they refine (``under``: imported feature models) is
  walked as its feature tree (:class:`~configurator.grouptree.GroupTree`): depth first, past
  the groups whose option is not in the car; :meth:`~ConfigureSession.down`,
  :meth:`~ConfigureSession.up`, :meth:`~ConfigureSession.path` and
  :meth:`~ConfigureSession.branch` (groups under here, decided, out of the car) let a front
  end show one branch of thousands of groups at a time.
- :meth:`~ConfigureSession.summary` gives the live figures: total with taxes, the VAT it
  contains, purchase and ultra-luxury taxes, delivery, deposit, programme minimum-spend
  progress and the tax-cliff headroom or warning.

Groups the buyer leaves alone keep their defaults (see :func:`configurator.configuration.resolve`).
When a choice makes a default impossible (semi-slick tyres need the track brakes, while the
standard brakes are the default), the session changes that group to the cheapest option that
keeps the car valid and reports it, so pressing Enter always leads to a car that can be priced.

Configurations are saved to and read from small YAML or JSON files
(:func:`dump_configuration`, :func:`read_configuration_file`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from configurator.catalog.schema import (
    BuyerValue,
    Cardinality,
    Catalog,
    Market,
    Option,
    Programme,
)
from configurator.catalog.yamlpos import read_yaml_file
from configurator.configuration import Configuration, Selection
from configurator.errors import (
    BadValueError,
    ConfigurationError,
    Location,
    UsageError,
    did_you_mean,
    did_you_mean_code,
)
from configurator.grouptree import Branch, GroupTree, decided_steps
from configurator.quote import Quote
from configurator.safetext import control_character

if TYPE_CHECKING:
    from configurator.repairs import Repair

PACKAGES_STEP = "packages"
FILE_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}

How = Literal["chosen", "default", "brought", "included", "adjusted", ""]


# --- what the session shows ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the walk: a group of the catalog, or the packages."""

    id: str
    name: str
    description: str | None
    choose: Cardinality
    codes: tuple[str, ...]
    under: str | None = None  # the option this group refines, in a feature tree

    @property
    def multi(self) -> bool:
        """Whether several options may be chosen (options are toggled)."""
        return self.choose.max is None or self.choose.max > 1

    @property
    def optional(self) -> bool:
        """Whether the step may be left with nothing chosen."""
        return self.choose.min == 0


@dataclass(frozen=True)
class OptionView:
    """An option as a step shows it."""

    code: str
    name: str
    price: Decimal
    swatch: str | None
    selected: bool
    how: How  # why it is selected ("" when it is not)
    via: str | None  # the option or package that brought or includes it
    available: bool  # can be chosen now without changing anything else
    reason: str | None  # why not (the rule's message)
    value: str | None  # the buyer-supplied value, if any
    asks_value: bool  # choosing it asks the buyer for a value
    description: str | None = None
    programme: str | None = None  # the id of the programme whose minimum it counts toward
    crossing: Decimal | None = None  # choosing it crosses a tax threshold: its cost with the tax


@dataclass(frozen=True)
class StepView:
    """A step with its options, for display."""

    index: int
    count: int
    step: Step
    options: tuple[OptionView, ...]

    def number_of(self, code: str) -> int:
        """The 1-based number of an option in this view."""
        return next(i for i, o in enumerate(self.options, 1) if o.code == code)


@dataclass(frozen=True)
class Alternative:
    """One way to get an option, exactly as Accept leaves the car (see
    :mod:`configurator.repairs`): the choices given up and added, every option of the car
    that leaves and comes, the new total and its change."""

    target: str
    removed: tuple[str, ...]  # buyer choices given up
    added: tuple[str, ...]  # buyer choices added (the target included)
    delta: Decimal | None  # change of the total price (None when it cannot be priced yet)
    choices: tuple[str, ...]  # the buyer's choices once accepted
    total: Decimal | None = None  # the total once accepted
    leaving: tuple[str, ...] = ()  # every option of the car that goes (defaults included)
    coming: tuple[str, ...] = ()  # every option of the car that comes (brought, included)
    needs_values: tuple[str, ...] = ()  # options Accept will ask a value for
    missing: tuple[str, ...] = ()  # what would still keep the car from being finished
    weeks_delta: int | None = None  # change of the delivery estimate


@dataclass(frozen=True)
class Crossing:
    """Choosing an option takes the car over a tax threshold (a cliff: the tax falls on the
    whole price)."""

    code: str
    tax_name: str
    threshold_price: Decimal  # the list price where the threshold is
    tax: Decimal  # the tax it triggers
    effective_cost: Decimal  # the change of the total: the option's price plus that tax


@dataclass(frozen=True)
class Changed:
    """A change was made."""

    code: str | None
    added: tuple[str, ...] = ()  # buyer choices added
    removed: tuple[str, ...] = ()  # buyer choices removed (replaced or toggled off)
    brought: tuple[tuple[str, str], ...] = ()  # (code, by) newly brought along or included
    adjusted: tuple[tuple[str, str], ...] = ()  # (code, reason) defaults replaced to stay valid
    needs_values: tuple[str, ...] = ()  # selected options still waiting for a value


@dataclass(frozen=True)
class Blocked:
    """The option cannot be chosen now; the alternatives say what would make it possible."""

    code: str
    reason: str
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class NeedsValue:
    """The option takes a value from the buyer: ask it, then choose again with the value."""

    code: str
    spec: BuyerValue


Outcome = Changed | Blocked | NeedsValue


@dataclass(frozen=True)
class Hit:
    """A search result: an option and the step it is in."""

    code: str
    name: str
    step_index: int
    step_name: str
    available: bool
    selected: bool
    path: tuple[str, ...] = ()  # in a feature tree: the names of the options above it


@dataclass(frozen=True)
class Found:
    """The first hits of a search, best first, and how many there are in all."""

    hits: tuple[Hit, ...]
    total: int


@dataclass(frozen=True)
class ProgrammeStatus:
    name: str
    spend: Decimal
    minimum: Decimal

    @property
    def met(self) -> bool:
        return self.spend >= self.minimum

    @property
    def missing(self) -> Decimal:
        return max(Decimal(0), self.minimum - self.spend)


@dataclass(frozen=True)
class Cliff:
    """A tax that falls on the whole price once it reaches a threshold (no marginal relief)."""

    tax_name: str
    threshold_price: Decimal  # the list price where the cliff starts
    crossed: bool
    headroom: Decimal | None  # how much more the list price may grow before the cliff
    cost: Decimal  # the tax owed (crossed) or the least it would be at the cliff
    culprit_name: str | None = None  # the option that took the car over
    culprit_enough: bool = False  # removing the culprit alone takes the car back under

    @property
    def near(self) -> bool:
        """Within a tenth of the threshold price: worth a warning before the next choice."""
        return (
            not self.crossed
            and self.headroom is not None
            and self.headroom <= self.threshold_price / 10
        )


@dataclass(frozen=True)
class Summary:
    """The live figures of the current configuration."""

    currency: str
    priced: bool  # False when the configuration breaks a rule (then only ``problem`` is set)
    problem: str | None = None
    total: Decimal = Decimal(0)
    subtotal: Decimal = Decimal(0)
    vat: Decimal = Decimal(0)
    vat_included: bool = True
    purchase_tax: Decimal | None = None
    ultra_luxury_tax: Decimal | None = None
    other_taxes: tuple[tuple[str, Decimal], ...] = ()
    delivery_weeks: int = 0
    deposit: Decimal = Decimal(0)
    programmes: tuple[ProgrammeStatus, ...] = ()
    cliff: Cliff | None = None  # where the car stands against a tax cliff
    code: str | None = None
    complete: bool = False  # can be finished as it is

    @property
    def incomplete_programmes(self) -> tuple[ProgrammeStatus, ...]:
        return tuple(p for p in self.programmes if not p.met)


@dataclass(frozen=True)
class _State:
    choices: tuple[str, ...]
    values: tuple[tuple[str, str], ...]
    index: int
    label: str


# --- the session -----------------------------------------------------------------------------


class ConfigureSession:
    """The dealer's configuration session over one catalog, market and date."""

    def __init__(
        self,
        catalog: Catalog,
        market: Market,
        on: dt.date,
        start: Configuration | None = None,
        lang: str | None = None,
    ) -> None:
        from configurator.lang import catalog_names, pick
        from configurator.pricing.engine import pricer

        self.lang = lang  # names in this language where the catalog gives them (None: English)
        self.catalog = catalog
        self.market = market
        self.on = on
        self._pricer = pricer(catalog, market)
        self.steps: list[Step] = [
            Step(
                g.id,
                pick(g.name, g.names, lang),
                g.description,
                g.choose,
                tuple(o.code for o in g.options),
                g.under,
            )
            for g in catalog.groups
        ]
        if catalog.packages:
            self.steps.append(
                Step(
                    PACKAGES_STEP,
                    "Packages",
                    "Packages replace the prices of the options they include.",
                    Cardinality(min=0, max=None),
                    tuple(p.code for p in catalog.packages),
                )
            )
        self._step_of = {code: i for i, s in enumerate(self.steps) for code in s.codes}
        # The feature tree (None for a flat catalog: the walk is the catalog's order).
        self.tree = GroupTree.of([s.codes for s in self.steps], [s.under for s in self.steps])
        self._rules = _Rules(catalog, on, self.steps)
        self._options: dict[str, Option] = {o.code: o for g in catalog.groups for o in g.options}
        self._packages = catalog.package_index()
        self._names = catalog_names(catalog, lang)
        self._prices = {code: o.price for code, o in self._options.items()}
        self._prices.update({code: p.price for code, p in self._packages.items()})

        self.index = 0
        self._choices: tuple[str, ...] = ()
        self._values: dict[str, str] = {}
        self._history: list[_State] = []
        self._cache: dict[tuple[Any, ...], Any] = {}
        self.notices: list[str] = []  # what the session changed by itself at the start
        # Programmes with a minimum spend, by option code; and those already explained.
        self._programme_of = {
            code: p for p in catalog.programmes if p.minimum_spend > 0 for code in p.options
        }
        self._explained: set[str] = set()
        self._search_text: tuple[str, list[int], list[tuple[str, list[str]]]] | None = None
        if start is not None:
            self._load(start)

    # --- state ----------------------------------------------------------------------------

    @property
    def configuration(self) -> Configuration:
        """The buyer's own choices (in catalog order) and supplied values."""
        return Configuration(
            model=self.catalog.id, choices=self._ordered(self._choices), values=dict(self._values)
        )

    @property
    def choices(self) -> tuple[str, ...]:
        return self._ordered(self._choices)

    @property
    def values(self) -> dict[str, str]:
        return dict(self._values)

    @property
    def can_undo(self) -> bool:
        return bool(self._history)

    @property
    def step(self) -> Step:
        return self.steps[self.index]

    @property
    def model_name(self) -> str:
        """The model's name in the session's language."""
        from configurator.lang import pick

        return pick(self.catalog.name, self.catalog.names, self.lang)

    def description(self, code: str) -> str | None:
        """An option's or package's description, if the catalog gives one."""
        option = self._options.get(code)
        if option is not None:
            return option.description
        package = self._packages.get(code)
        return package.description if package is not None else None

    def name(self, code: str) -> str:
        return self._names.get(code, code)

    def price_of(self, code: str) -> Decimal:
        return self._prices.get(code, Decimal(0))

    def selection(self, choices: Sequence[str] | None = None) -> Selection:
        """The complete selection: choices, what they bring, defaults of untouched groups."""
        key = ("selection", self._choices if choices is None else tuple(choices))
        if key not in self._cache:
            self._cache[key] = self._pricer.resolve(key[1])
        return self._cache[key]

    def unavailable(self, choices: Sequence[str] | None = None) -> Mapping[str, str]:
        """The codes that cannot be chosen now, each with the reason (computed when asked).

        An option of a group of one is judged against the choices in the *other* groups
        (choosing it replaces the group's choice); any other code against all the choices.
        """
        key = ("unavailable", self._choices if choices is None else tuple(choices))
        if key not in self._cache:
            self._cache[key] = _Unavailable(self._rules, key[1])
        return self._cache[key]

    def _ordered(self, codes: Sequence[str]) -> tuple[str, ...]:
        position = self._step_position
        return tuple(sorted(dict.fromkeys(codes), key=position))

    def _step_position(self, code: str) -> tuple[int, int]:
        step = self._step_of.get(code, len(self.steps))
        codes = self.steps[step].codes if step < len(self.steps) else ()
        return (step, codes.index(code) if code in codes else 0)

    def _load(self, start: Configuration) -> None:
        if start.model != self.catalog.id:
            raise UsageError(f"the configuration is for '{start.model}', not '{self.catalog.id}'")
        from configurator.configuration import check_known

        choices = tuple(dict.fromkeys(c.strip().upper() for c in start.choices))
        check_known(self.catalog, choices)
        self._rules.engine.require_consistent(choices)
        values = {c.strip().upper(): v for c, v in start.values.items()}
        selected = self.selection(choices).codes
        for code, value in values.items():
            if code not in selected:
                raise BadValueError(
                    f"a value is given for {code}, which is not in the configuration",
                    option_codes=[code],
                )
            values[code] = self.check_value(code, value)
        self._choices, adjusted = self._settled(self._ordered(choices))
        self._values = values
        self.notices = [
            f"{self.name(c)} instead of the standard option: {why}" for c, why in adjusted
        ]

    def _commit(
        self, choices: Sequence[str], values: Mapping[str, str], label: str
    ) -> tuple[tuple[str, str], ...]:
        """Record the current state in the history and move to the new one (made valid)."""
        settled, adjusted = self._settled(self._ordered(choices))
        self._history.append(_State(self._choices, tuple(self._values.items()), self.index, label))
        self._choices = settled
        self._values = {c: v for c, v in values.items() if c in self.selection().codes}
        return adjusted

    def _settled(
        self, choices: tuple[str, ...]
    ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """The choices with the defaults they make impossible replaced, and (code, reason) of each.

        The buyer's choices can always be completed (the rules engine's valid domains see to
        that), but the defaults of the groups left alone may not fit them. Each such group
        gets its cheapest option that still has a valid completion (catalog order breaks
        ties), added to the choices, until the car is valid.
        """
        key = ("settled", choices)
        if key in self._cache:
            return self._cache[key]
        adjusted: list[tuple[str, str]] = []
        current = choices
        for _ in range(len(self.steps) + 1):
            selection = self.selection(current)
            if not self._pricer.violated(selection, self.on):
                break
            blocked = self.unavailable(current)
            fix = None
            for step in self.steps:
                if step.id == PACKAGES_STEP or step.choose.min == 0:
                    continue
                if any(c in selection.chosen for c in step.codes):
                    continue
                bad = [c for c in step.codes if c in selection.defaulted and c in blocked]
                candidates = [c for c in step.codes if c not in blocked]
                if not bad or not candidates:
                    continue
                fix = min(candidates, key=lambda c: (self.price_of(c), step.codes.index(c)))
                adjusted.append((fix, blocked[bad[0]]))
                break
            if fix is None:
                break
            current = self._ordered((*current, fix))
        result = (current, tuple(adjusted))
        self._cache[key] = result
        return result

    # --- views ----------------------------------------------------------------------------

    def view(self, index: int | None = None) -> StepView:
        """A step (the current one by default) with each option's state."""
        index = self.index if index is None else index
        step = self.steps[index]
        selection = self.selection()
        blocked = self.unavailable()
        options = tuple(self._option_view(code, selection, blocked) for code in step.codes)
        return StepView(index, len(self.steps), step, options)

    def _option_view(
        self, code: str, selection: Selection, blocked: Mapping[str, str]
    ) -> OptionView:
        option = self._options.get(code)
        selected = code in selection.codes
        how: How = ""
        via = None
        if selected:
            if code in selection.chosen:
                how = "chosen"
            elif code in selection.packaged:
                how, via = "included", selection.packaged[code]
            elif code in selection.brought:
                how, via = "brought", selection.brought[code]
            elif code in selection.defaulted:
                how = "default"
        reason = blocked.get(code)
        return OptionView(
            code=code,
            name=self.name(code),
            price=self.price_of(code),
            swatch=option.swatch if option else None,
            selected=selected,
            how=how,
            via=via,
            available=reason is None,
            reason=reason,
            value=self._values.get(code),
            asks_value=bool(option and option.value),
            description=option.description if option else self._packages[code].description,
            programme=programme.id if (programme := self._programme_of.get(code)) else None,
            crossing=None if selected or reason is not None else self._crossing_cost(code),
        )

    # --- changes --------------------------------------------------------------------------

    def choose(self, code: str, value: str | None = None) -> Outcome:
        """Choose an option (toggle it in groups of several); see the module docstring."""
        code = self.known(code)
        step = self.steps[self._step_of[code]]
        selection = self.selection()
        if code in selection.chosen and (step.multi or step.optional):
            return self.unchoose(code)
        if code in selection.codes and not step.multi:
            return Changed(code)  # already there (chosen, default, brought): nothing to do
        if code in selection.defaulted and code not in selection.brought:
            # Toggling off a default of a group of several: the other defaults become choices.
            rest = [c for c in step.codes if c in selection.defaulted and c != code]
            if not rest:
                raise UsageError(
                    f"{step.name}: {self.name(code)} is standard and a group left empty "
                    f"keeps its standard options; choose another option instead"
                )
            outcome = self._change(code, (*self._choices, *rest), self._values, f"remove {code}")
            return Changed(code, (), (code,), outcome.brought, outcome.adjusted)
        if code in selection.codes:
            by = selection.brought.get(code, "")
            raise UsageError(
                f"{self.name(code)} comes with {self.name(by)}: remove {self.name(by)} to remove it"
            )
        reason = self.unavailable().get(code)
        if reason is not None:
            return Blocked(code, reason, self.alternatives(code))
        values = dict(self._values)
        spec = self.value_spec(code)
        if spec is not None:
            if value is None:
                return NeedsValue(code, spec)
            values[code] = self.check_value(code, value)
        choices = self._with(code, selection)
        return self._change(code, choices, values, f"choose {code}")

    def toggle(self, code: str, value: str | None = None) -> Outcome:
        """Add an option that is not selected, take back one that the buyer chose."""
        if self.known(code) in self.selection().chosen:
            return self.unchoose(code)
        return self.choose(code, value)

    def _with(self, code: str, selection: Selection) -> tuple[str, ...]:
        """The buyer's choices with ``code`` added (replacing its group's choice if single)."""
        step = self.steps[self._step_of[code]]
        choices = list(self._choices)
        if step.id == PACKAGES_STEP:
            return (*choices, code)
        if step.multi:
            # Touching a group drops its defaults: keep those the buyer saw as selected.
            kept = [c for c in step.codes if c in selection.defaulted and c not in choices]
            return (*choices, *kept, code)
        return (*[c for c in choices if c not in step.codes], code)

    def unchoose(self, code: str) -> Outcome:
        """Take back one of the buyer's own choices."""
        code = self.known(code)
        selection = self.selection()
        if code not in selection.chosen:
            if code in selection.brought:
                by = selection.brought[code]
                raise UsageError(
                    f"{self.name(code)} comes with {self.name(by)}: remove {self.name(by)} "
                    f"to remove it"
                )
            raise UsageError(f"{self.name(code)} is not one of your choices")
        step = self.steps[self._step_of[code]]
        if step.id != PACKAGES_STEP and step.choose.min > 0:
            others = [c for c in step.codes if c in selection.chosen and c != code]
            if len(others) < step.choose.min:
                raise UsageError(
                    f"{step.name}: choose {step.choose.describe()}; choose another option "
                    f"instead of removing {self.name(code)}"
                )
        choices = [c for c in self._choices if c != code]
        values = {c: v for c, v in self._values.items() if c != code}
        return self._change(code, choices, values, f"remove {code}")

    def _change(
        self, code: str | None, choices: Sequence[str], values: Mapping[str, str], label: str
    ) -> Changed:
        before = self.selection()
        old = set(self._choices)
        adjusted = self._commit(choices, values, label)
        after = self.selection()
        new = set(self._choices)
        brought = tuple(
            (c, after.brought[c])
            for c in self._ordered(list(after.brought))
            if c not in before.codes or before.brought.get(c) != after.brought[c]
        )
        added = tuple(
            c for c in self._ordered(list(new - old)) if c not in {a for a, _ in adjusted}
        )
        removed = self._ordered(list(old - new))
        return Changed(code, added, removed, brought, adjusted, self.missing_values())

    def alternatives(self, code: str) -> tuple[Alternative, ...]:
        """The ways to get ``code``, each exactly as Accept leaves the car, cheapest first.

        From :func:`configurator.repairs.find_repairs`: the minimal sets of choices to give
        up, and for each the cheapest cars that contain ``code`` and can be finished, one per
        real choice (gold or black wheels are two alternatives).
        """
        from configurator.repairs import find_repairs

        code = self.known(code)
        found = find_repairs(
            self._rules.engine, self._pricer, self.on, self._choices, code, self._values
        )
        return tuple(
            _alternative(r, code, self._ordered((code, *r.add))) for r in found.alternatives
        )

    def apply(
        self,
        alternative: Alternative,
        value: str | None = None,
        values: Mapping[str, str] | None = None,
    ) -> Outcome:
        """Accept an alternative: the car becomes exactly the one it describes.

        Every option of the new car that takes a buyer's value is asked for first: the
        result is :class:`NeedsValue` for the first one not in ``values`` (``value`` is the
        target's); nothing changes until all are given.
        """
        given = dict(values or {})
        if value is not None:
            given[alternative.target] = value
        kept = {c: v for c, v in self._values.items() if c in alternative.choices}
        after = self.selection(alternative.choices).codes
        for code in self._ordered(list(after)):
            spec = self.value_spec(code)
            if spec is None or code in kept and code not in given:
                continue
            if code not in given:
                return NeedsValue(code, spec)
            kept[code] = self.check_value(code, given[code])
        label = f"choose {alternative.target}" if alternative.target else "complete the car"
        return self._change(alternative.target or None, alternative.choices, kept, label)

    # --- the tax threshold ----------------------------------------------------------------

    def _dearest(self) -> Decimal:
        """The list price of the dearest valid car of this model."""
        key = ("dearest",)
        if key not in self._cache:
            from configurator.repairs import dearest_list_price

            self._cache[key] = dearest_list_price(self._rules.engine)
        dearest: Decimal = self._cache[key]
        return dearest

    def _reachable(self, list_price: Decimal) -> bool:
        """Whether some valid car of this model has at least this list price."""
        from configurator.repairs import threshold_reachable

        return threshold_reachable(list_price, self._dearest())

    def crossing(self, code: str) -> Crossing | None:
        """What choosing ``code`` would do to a tax threshold the car is under: None when it
        stays under (or is over already), else the tax it triggers and the option's
        effective cost (the change of the total: its price plus that tax)."""
        code = self.known(code)
        key = ("crossing", self._choices, code)
        if key in self._cache:
            return self._cache[key]
        result = None
        now = self.summary()
        if now.priced and now.cliff is not None and not now.cliff.crossed:
            selection = self.selection()
            if code not in selection.codes:
                choices = self._ordered(self._with(code, selection))
                if self._pricer.violated(self.selection(choices), self.on):
                    choices, _ = self._settled(choices)
                try:
                    after = self._draft(Configuration(self.catalog.id, choices, self._values))
                except ConfigurationError:
                    after = None
                crossed = [t for t in after.thresholds if t.crossed] if after else []
                if after is not None and crossed:
                    result = Crossing(
                        code=code,
                        tax_name=crossed[0].tax_name,
                        threshold_price=crossed[0].threshold_price,
                        tax=crossed[0].cost,
                        effective_cost=after.total - now.total,
                    )
        self._cache[key] = result
        return result

    def _crossing_cost(self, code: str) -> Decimal | None:
        found = self.crossing(code)
        return found.effective_cost if found is not None else None

    def ways_under(self, limit: int = 3) -> tuple[Alternative, ...]:
        """Over a tax threshold: the ways back under by giving up one of the buyer's choices
        or swapping it for a cheaper option of its group, each exactly priced, the least
        change to the car (the highest total still under) first."""
        now = self.summary()
        if not now.priced or now.cliff is None or not now.cliff.crossed:
            return ()
        selection = self.selection()
        before = selection.codes
        candidates: list[tuple[str, tuple[str, ...]]] = []
        for code in self._choices:
            step = self.steps[self._step_of[code]]
            if step.id == PACKAGES_STEP or step.multi or step.optional:
                candidates.append((code, tuple(c for c in self._choices if c != code)))
            if step.id != PACKAGES_STEP and not step.multi:
                for other in step.codes:
                    if other != code and self.price_of(other) < self.price_of(code):
                        swapped = tuple(other if c == code else c for c in self._choices)
                        candidates.append((other, swapped))
        found: dict[tuple[str, ...], Alternative] = {}
        for target, choices in candidates:
            settled, _ = self._settled(self._ordered(choices))
            if settled in found or not self._rules.engine.consistent(settled):
                continue
            values = {c: v for c, v in self._values.items() if c in settled}
            try:
                quote = self._draft(Configuration(self.catalog.id, settled, values))
            except ConfigurationError:
                continue
            if any(t.crossed for t in quote.thresholds):
                continue
            after = self.selection(settled).codes
            found[settled] = Alternative(
                target=target if target not in self._choices else "",
                removed=tuple(c for c in self._choices if c not in settled),
                added=tuple(c for c in settled if c not in self._choices),
                delta=quote.total - now.total,
                choices=settled,
                total=quote.total,
                leaving=self._ordered([c for c in before if c not in after]),
                coming=self._ordered([c for c in after if c not in before]),
                missing=tuple(
                    f"{p.name}: {p.missing:,.2f} short of its minimum spend"
                    for p in quote.programmes
                    if not p.met
                ),
                weeks_delta=quote.delivery_weeks - self._draft(self.configuration).delivery_weeks,
            )
        ranked = sorted(found.values(), key=lambda a: (bool(a.missing), -(a.total or 0)))
        return tuple(ranked[:limit])

    def programme_of(self, code: str) -> Programme | None:
        """The programme with a minimum spend that ``code`` counts toward, if any."""
        return self._programme_of.get(code)

    def programmes_to_explain(self) -> list[Programme]:
        """Programmes the car has just entered and the dealer has not been told about yet
        (each is explained once a session)."""
        selection = self.selection()
        entered = []
        for programme in self.catalog.programmes:
            if programme.id in self._explained or programme.minimum_spend <= 0:
                continue
            if any(code in selection.codes for code in programme.options):
                self._explained.add(programme.id)
                entered.append(programme)
        return entered

    def ways_to_finish(self, limit: int = 3) -> tuple[Alternative, ...]:
        """The cheapest ways to reach every programme's minimum spend by adding choices, one
        per real choice, cheapest first (empty when nothing is short)."""
        from configurator.repairs import ways_to_finish

        if not self.summary().incomplete_programmes:
            return ()
        found = ways_to_finish(
            self._rules.engine, self._pricer, self.on, self._choices, self._values, limit
        )
        return tuple(_alternative(r, "", r.add) for r in found)

    def draft_quote(self) -> Quote:
        """The quote of the car as it stands, although a programme's minimum is not reached
        yet or values are missing (placeholders): provisional, never an order."""
        return self.shown(self._draft(self.configuration))

    def shown(self, quote: Quote) -> Quote:
        """A quote as the buyer sees it: names in the session's language, and no word of a
        tax threshold that no car of this model reaches."""
        from configurator.lang import localize_quote
        from configurator.repairs import without_unreachable

        quote = without_unreachable(quote, self._dearest())
        return localize_quote(quote, self.catalog, self.market, self.lang)

    def set_value(self, code: str, value: str) -> Changed:
        """Give (or change) the buyer-supplied value of a selected option."""
        code = self.known(code)
        checked = self.check_value(code, value)
        if code not in self.selection().codes:
            raise UsageError(f"{self.name(code)} is not in the configuration")
        return self._change(code, self._choices, {**self._values, code: checked}, f"value {code}")

    def missing_values(self) -> tuple[str, ...]:
        """Selected options that take a value the buyer has not given yet."""
        selection = self.selection()
        # Filtered before ordered: a model of thousands of options has few that take a value.
        return self._ordered(
            [c for c in selection.codes if c not in self._values and self.value_spec(c) is not None]
        )

    def undo(self) -> str | None:
        """Take back the last change; return what it was (None when there is nothing to undo)."""
        if not self._history:
            return None
        state = self._history.pop()
        self._choices = state.choices
        self._values = dict(state.values)
        self.index = state.index
        return state.label

    # --- moving ---------------------------------------------------------------------------

    def back(self) -> bool:
        """Go back one step; False at the first step.

        In a feature tree the walk is depth first and passes over the groups whose option is
        not in the car (there is nothing to decide there until it is)."""
        return self._move(-1)

    def forward(self) -> bool:
        """Go on to the next step; False after the last one (time to finish)."""
        return self._move(1)

    def _move(self, step: int) -> bool:
        """One step along the walk (``step`` = 1 or -1); False past either end."""
        if self.tree is not None:
            found = self.tree.next_in_car(self.index, self.selection().codes, step)
        else:
            found = self.index + step if 0 <= self.index + step < len(self.steps) else None
        if found is None:
            return False
        self.index = found
        return True

    # --- the feature tree -----------------------------------------------------------------

    def path(self, index: int | None = None) -> tuple[str, ...]:
        """The names of the options above a step (the current one by default), from the top;
        empty for a flat catalog or a group at the top."""
        if self.tree is None:
            return ()
        index = self.index if index is None else index
        return tuple(self.name(code) for code in self.tree.path(index))

    def branch(self, index: int | None = None) -> Branch | None:
        """A step with how many groups are under it, how many the buyer has decided and how
        many are out of the car; None for a flat catalog."""
        if self.tree is None:
            return None
        index = self.index if index is None else index
        selection = self.selection()
        decided = decided_steps(self._step_of, selection.chosen)
        return self.tree.branch(index, decided, selection.codes)

    def branches(self, index: int | None = None) -> tuple[Branch, ...]:
        """The groups right under a step (under any of its options), each with its counts;
        empty for a flat catalog (the groups at the very top are :meth:`tops`)."""
        if self.tree is None:
            return ()
        return self._branches(self.tree.children[self.index if index is None else index])

    def tops(self) -> tuple[Branch, ...]:
        """The groups at the top of the tree, each with its counts."""
        return self._branches(self.tree.tops) if self.tree is not None else ()

    def _branches(self, indices: Sequence[int]) -> tuple[Branch, ...]:
        """Those steps with their counts (the selection and the decided steps made once)."""
        assert self.tree is not None
        selection = self.selection()
        decided = decided_steps(self._step_of, selection.chosen)
        return tuple(self.tree.branch(i, decided, selection.codes) for i in indices)

    def groups_under(self, code: str) -> tuple[int, ...]:
        """The steps that refine an option (empty for a flat catalog)."""
        code = self.known(code)
        return self.tree.below.get(code, ()) if self.tree is not None else ()

    def decided(self, index: int) -> bool:
        """Whether the buyer has made a choice in a step."""
        chosen = self.selection().chosen
        return any(code in chosen for code in self.steps[index].codes)

    def decided_count(self) -> int:
        """How many steps hold a choice of the buyer's."""
        return len(decided_steps(self._step_of, self.selection().chosen))

    def groups_below(self, code: str) -> int:
        """How many groups are anywhere under an option (0 for a flat catalog)."""
        tree = self.tree
        if tree is None:
            return 0
        return sum(1 + len(tree.descendants(i)) for i in tree.below.get(code, ()))

    def down(self, code: str) -> int:
        """Go to the first group under an option; a UsageError when it has none."""
        under = self.groups_under(code)
        if not under:
            raise UsageError(f"{self.name(code.strip().upper())} has no groups under it")
        self.index = under[0]
        return self.index

    def up(self) -> bool:
        """Go to the group holding the option the current group refines; False at the top."""
        parent = self.tree.parent[self.index] if self.tree is not None else None
        if parent is None:
            return False
        self.index = parent
        return True

    def find_steps(self, text: str) -> list[int]:
        """The steps a name could mean: one with that id or name, else those whose id or name
        starts with it, else those whose name contains it (case-insensitive)."""
        wanted = text.strip().casefold()
        if not wanted:
            return []
        for index, step in enumerate(self.steps):
            if wanted in (step.id.casefold(), step.name.casefold()):
                return [index]
        matches = [
            i
            for i, s in enumerate(self.steps)
            if s.id.casefold().startswith(wanted) or s.name.casefold().startswith(wanted)
        ]
        if not matches:
            matches = [i for i, s in enumerate(self.steps) if wanted in s.name.casefold()]
        return matches

    def step_number(self, index: int | None = None) -> int:
        """A step's number as the dealer sees it (1-based): its place in the walk, which in a
        feature tree is depth first rather than the catalog's order."""
        index = self.index if index is None else index
        return (self.tree.position[index] if self.tree is not None else index) + 1

    def find_step(self, text: str) -> int:
        """The step named by a number (1-based), an id, a name, or an unambiguous prefix."""
        wanted = text.strip().casefold()
        if wanted.isascii() and wanted.isdigit():  # not '²' or '①', which int() refuses
            number = int(wanted) if len(wanted) <= 18 else 0
            if 1 <= number <= len(self.steps):
                return number - 1 if self.tree is None else self.tree.order[number - 1]
            raise UsageError(f"there is no step {number}: steps are 1 to {len(self.steps)}")
        matches = self.find_steps(text)
        if len(matches) == 1:
            return matches[0]
        if matches:
            names = ", ".join(self.steps[i].name for i in matches[:10])
            more = f" and {len(matches) - 10:,} more" if len(matches) > 10 else ""
            raise UsageError(f"'{text}' could be any of: {names}{more}")
        raise UsageError(
            f"there is no group '{text}'",
            suggestion=did_you_mean(wanted, [s.id for s in self.steps]),
        )

    def jump(self, text: str) -> int:
        """Go to a step (see :meth:`find_step`); return its index."""
        self.index = self.find_step(text)
        return self.index

    def go_to_option(self, code: str) -> int:
        """Go to the step of an option."""
        self.index = self._step_of[self.known(code)]
        return self.index

    def _search_index(self) -> tuple[str, list[int], list[tuple[str, list[str]]]]:
        """Every option's code and names (any language), casefolded, in walk order: one text
        (entries on lines, names apart by \\x1f), where each entry starts, and the entries."""
        if self._search_text is None:
            steps = self.tree.order if self.tree is not None else range(len(self.steps))
            entries: list[tuple[str, list[str]]] = []
            for index in steps:
                for code in self.steps[index].codes:
                    option = self._options.get(code)
                    names = [code, self.name(code)]
                    names += list(option.names.values()) if option else []
                    entries.append((code, [n.casefold() for n in dict.fromkeys(names)]))
            starts: list[int] = []
            offset = 0
            for _, names in entries:
                starts.append(offset)
                offset += sum(len(n) for n in names) + len(names)  # names, separators, newline
            text = "\n".join("\x1f".join(names) for _, names in entries)
            self._search_text = (text, starts, entries)
        return self._search_text

    def search(self, text: str) -> list[Hit]:
        """Options and packages whose code or name (any language) contains ``text``."""
        return list(self.find(text).hits)

    def find(self, text: str, limit: int | None = None) -> Found:
        """Options and packages whose code or name (any language) contains ``text``
        (case-insensitive): an exact code or name first, then those starting with it, then the
        rest, each in the order of the walk; the first ``limit`` of them (all by default),
        each with its path in a feature tree, and how many there are."""
        wanted = text.strip().casefold()
        if not wanted:
            return Found((), 0)
        if "\n" in wanted or "\x1f" in wanted:  # the index's separators: in no name
            return Found((), 0)
        text, starts, entries = self._search_index()
        ranked: list[tuple[int, int, str]] = []
        position = text.find(wanted)
        while position != -1:  # one pass of str.find over every name: C speed, not a loop
            entry = bisect.bisect_right(starts, position) - 1
            code, names = entries[entry]
            if wanted in names:
                ranked.append((0, entry, code))
            elif any(n.startswith(wanted) for n in names):
                ranked.append((1, entry, code))
            else:
                ranked.append((2, entry, code))
            following = entry + 1
            if following >= len(starts):
                break
            position = text.find(wanted, starts[following])
        ranked.sort()
        shown = ranked if limit is None else ranked[:limit]
        selection = self.selection()
        blocked = self.unavailable()  # asked only for the hits shown: each may cost a solver call
        hits = tuple(
            Hit(
                code,
                self.name(code),
                self._step_of[code],
                self.steps[self._step_of[code]].name,
                code not in blocked,
                code in selection.codes,
                self.path(self._step_of[code]),
            )
            for _, _, code in shown
        )
        return Found(hits, len(ranked))

    # --- figures --------------------------------------------------------------------------

    def summary(self) -> Summary:
        """The running figures of the configuration as it stands."""
        key = ("summary", self._choices, tuple(self._values.items()))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        configuration = self.configuration
        try:
            quote = self._draft(configuration)
        except ConfigurationError as error:
            result = Summary(currency=self.catalog.currency, priced=False, problem=str(error))
        else:
            result = self._summarise(quote)
        self._cache[key] = result
        return result

    def _draft(self, configuration: Configuration) -> Quote:
        """The running figures' quote: priced although values may be missing and programme
        minimum spends not reached yet (their progress is in the quote's programmes)."""
        return self._pricer.price(self._drafted(configuration), self.on, strict=False)

    def _drafted(self, configuration: Configuration) -> Configuration:
        """The configuration with placeholder values where values are missing (figures only).

        Buyer-supplied values never change a price; the placeholder is the option's first
        example, so the running figures show while the value is still to be asked.
        """
        selection = self.selection(configuration.choices)
        values = dict(configuration.values)
        for code in selection.codes:
            spec = self.value_spec(code)
            if spec is not None and code not in values:
                values[code] = spec.examples[0] if spec.examples else "x"
        return Configuration(configuration.model, configuration.choices, values)

    def _summarise(self, quote: Quote) -> Summary:
        programmes = tuple(
            ProgrammeStatus(self._names.get(p.id, p.name), p.spend, p.minimum)
            for p in quote.programmes
        )
        purchase = quote.tax("purchase-tax")
        luxury = quote.tax("ultra-luxury-tax")
        others = tuple(
            (t.name, t.amount)
            for t in quote.taxes
            if t.paid_by_buyer and t.id not in ("purchase-tax", "ultra-luxury-tax")
        )
        cliff = None
        for threshold in quote.thresholds:
            if not threshold.crossed and not self._reachable(threshold.threshold_price):
                continue  # a threshold no car of this model reaches is not worth a line
            if cliff is None or threshold.crossed:
                cliff = Cliff(
                    tax_name=threshold.tax_name,
                    threshold_price=threshold.threshold_price,
                    crossed=threshold.crossed,
                    headroom=threshold.headroom,
                    cost=threshold.cost,
                    culprit_name=threshold.culprit_name,
                    culprit_enough=threshold.culprit_enough,
                )
        complete = not self.missing_values() and all(p.met for p in programmes)
        return Summary(
            currency=quote.currency,
            priced=True,
            total=quote.total,
            subtotal=quote.subtotal,
            vat=quote.vat,
            vat_included=quote.prices_include_vat,
            purchase_tax=purchase.amount if purchase else None,
            ultra_luxury_tax=luxury.amount if luxury else None,
            other_taxes=others,
            delivery_weeks=quote.delivery_weeks,
            deposit=quote.deposit,
            programmes=programmes,
            cliff=cliff,
            code=quote.code if not self.missing_values() else None,
            complete=complete,
        )

    def quote(self) -> Quote:
        """The full quote of the configuration; a ConfigurationError when it cannot be ordered."""
        return self.shown(self._pricer.price(self.configuration, self.on))

    def finish(self) -> Quote:
        """The final quote (raises a ConfigurationError naming what is still missing)."""
        return self.quote()

    def step_of_error(self, error: ConfigurationError) -> int | None:
        """The step to show for a configuration error: that of the first option it names."""
        for code in error.option_codes:
            if code in self._step_of:
                return self._step_of[code]
        return None

    def price_delta(self, choices: Sequence[str]) -> Decimal | None:
        """How much the total would change if the buyer's choices became ``choices``.

        None when either configuration breaks a rule (it cannot be priced).
        """
        now = self.summary()
        if not now.priced:
            return None
        settled, _ = self._settled(self._ordered(choices))
        values = {c: v for c, v in self._values.items() if c in settled}
        try:
            quote = self._draft(Configuration(self.catalog.id, settled, values))
        except ConfigurationError:
            return None
        return quote.total - now.total

    # --- helpers --------------------------------------------------------------------------

    def known(self, code: str) -> str:
        text = code.strip().upper()
        if text not in self._step_of:
            from configurator.errors import UnknownOptionError

            raise UnknownOptionError(
                f"'{code}' is not an option of {self.catalog.id}",
                suggestion=did_you_mean_code(text, list(self._step_of)),
                option_codes=[text],
            )
        return text

    def value_spec(self, code: str) -> BuyerValue | None:
        option = self._options.get(code)
        return option.value if option else None

    def check_value(self, code: str, value: str) -> str:
        """A buyer-supplied value, stripped, checked against the option's rules."""
        import re

        spec = self.value_spec(code)
        if spec is None:
            raise BadValueError(f"{code} ({self.name(code)}) takes no value from the buyer")
        text = value.strip()
        if not text:
            raise BadValueError(f"the value of {code} is empty: {spec.prompt}")
        control = control_character(text)
        if control is not None:  # as Configuration refuses it: asked again, not failed later
            raise BadValueError(
                f"the value of {code} holds a control character ({control}): a value is "
                "plain text on one line"
            )
        if len(text) > spec.max_length:
            raise BadValueError(
                f"'{text}' has {len(text)} characters; at most {spec.max_length} are allowed"
            )
        if spec.pattern is not None and not re.fullmatch(spec.pattern, text):
            examples = ", ".join(f"'{e}'" for e in spec.examples)
            raise BadValueError(
                f"'{text}' is not allowed: {spec.prompt}",
                suggestion=f"for example {examples}" if examples else None,
            )
        return text


# --- the rules engine, as the session uses it --------------------------------------------------


class _Rules:
    """The rules engine as the session asks it: per code, available or not, and why."""

    def __init__(self, catalog: Catalog, on: dt.date, steps: Sequence[Step]) -> None:
        from configurator.rules.select import engine_for

        self.engine = engine_for(catalog, on)
        self._group_codes: dict[str, tuple[str, ...]] = {}
        for step in steps:
            if step.id != PACKAGES_STEP and not step.multi:
                for code in step.codes:
                    self._group_codes[code] = step.codes
        self._selectable: dict[tuple[str, ...], dict[str, bool]] = {}
        self._reasons: dict[tuple[tuple[str, ...], str], str] = {}

    def partial_for(self, choices: Sequence[str], code: str) -> tuple[str, ...]:
        """The choices ``code`` is judged against: without its group's if that takes one."""
        group = self._group_codes.get(code)
        if group is None:
            return tuple(choices)
        return tuple(c for c in choices if c not in group)

    def available(self, choices: Sequence[str], code: str) -> bool:
        partial = self.partial_for(choices, code)
        flags = self._selectable.get(partial)
        if flags is None:
            if len(self._selectable) > 256:
                self._selectable.clear()
            flags = self._selectable[partial] = self.engine.selectable(partial)
        return flags[code]

    def reason(self, choices: Sequence[str], code: str) -> str:
        """Why ``code`` cannot be chosen: the rules' messages and the choices in conflict."""
        partial = self.partial_for(choices, code)
        key = (partial, code)
        if key not in self._reasons:
            explanation = self.engine.explain([c for c in partial if c != code], [code])
            if explanation is None or not explanation.rules:
                text = "not possible with the choices made"
            else:
                # How many options a group takes goes without saying on a screen of groups
                # (the step says "choose exactly one"), unless it is the whole story.
                rules = [r for r in explanation.rules if r.kind != "cardinality"]
                messages = list(dict.fromkeys(r.message for r in rules or explanation.rules))
                names = [self.engine.names[f.code] for f in explanation.facts if f.present]
                text = "; ".join(messages)
                if names:
                    text += f" (with {', '.join(names)})"
            self._reasons[key] = text
        return self._reasons[key]


class _Unavailable(Mapping[str, str]):
    """Codes that cannot be chosen with some choices -> reason; flags and reasons on demand."""

    def __init__(self, rules: _Rules, choices: tuple[str, ...]) -> None:
        self._rules = rules
        self._choices = choices

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and not self._rules.available(self._choices, code)

    def __getitem__(self, code: str) -> str:
        if code not in self:
            raise KeyError(code)
        return self._rules.reason(self._choices, code)

    def __iter__(self) -> Iterator[str]:
        return (c for c in self._rules.engine.codes if c in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


# --- saved configurations ----------------------------------------------------------------------


def file_format(path: str | Path) -> str:
    """``yaml`` or ``json`` from a file's extension; a UsageError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in FILE_FORMATS:
        raise UsageError(
            f"cannot tell the format of '{path}' from its extension",
            suggestion="use a name ending in .yaml, .yml or .json",
        )
    return FILE_FORMATS[suffix]


def dump_configuration(
    configuration: Configuration,
    *,
    fmt: str,
    catalog: Catalog,
    on: dt.date,
    code: str | None,
    finished: bool,
) -> str:
    """A configuration as the text of a saved file (YAML or JSON)."""
    data: dict[str, Any] = {
        "model": configuration.model,
        "catalog_version": catalog.version,
        "date": on.isoformat(),
        "finished": finished,
        "code": code,
        "choices": list(configuration.choices),
        "values": dict(configuration.values),
    }
    if code is None:
        del data["code"]
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    header = f"# {catalog.name} configuration, saved by configurator configure\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@dataclass(frozen=True)
class SavedConfiguration:
    """A configuration read from a file, and where it came from."""

    configuration: Configuration
    code: str | None
    file: str
    extra: dict[str, Any] = field(default_factory=dict)


def read_configuration_file(path: Path) -> SavedConfiguration:
    """Read a saved configuration (YAML or JSON); errors name ``file:line:column``."""
    display = str(path)
    if not path.is_file():
        raise UsageError(f"'{display}' is neither a configuration code nor a file")
    parsed = read_yaml_file(path, display)
    if parsed.problems:
        problem = parsed.problems[0]
        raise UsageError(f"{problem.location}: {problem.message}")
    data = parsed.data

    def fail(where: tuple[str | int, ...], message: str) -> UsageError:
        location: Location = parsed.locate(where)
        return UsageError(f"{location}: {message}")

    if not isinstance(data, dict):
        raise fail((), "a saved configuration is a mapping with 'model' and 'choices'")
    allowed = {"model", "catalog_version", "date", "finished", "code", "choices", "values"}
    for key in data:
        if key not in allowed:
            hint = did_you_mean(str(key), allowed)
            raise UsageError(
                f"{parsed.locate((key,), key=True)}: unknown key '{key}'"
                + (f": {hint}" if hint else "")
                + f" (allowed: {', '.join(sorted(allowed))})"
            )
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise fail(("model",), "'model' must name the model, e.g. 'xiaomi-su7-ultra'")
    code = data.get("code")
    if code is not None and not isinstance(code, str):
        raise fail(("code",), "'code' must be a configuration code (text)")
    choices = data.get("choices", [])
    if not isinstance(choices, list):
        raise fail(("choices",), "'choices' must be a list of option codes")
    for index, item in enumerate(choices):
        if not isinstance(item, str):
            raise fail(("choices", index), "each choice must be an option code (text)")
    values = data.get("values") or {}
    if not isinstance(values, dict):
        raise fail(("values",), "'values' must map option codes to the buyer's values")
    for key, item in values.items():
        if not isinstance(item, str):
            raise fail(("values", key), f"the value of {key} must be text")
    if "choices" not in data and code is None:
        raise fail((), "a saved configuration needs 'choices' (or a 'code')")
    configuration = Configuration.of(model, choices, {str(k).upper(): v for k, v in values.items()})
    return SavedConfiguration(configuration, code, display)


def _alternative(repair: Repair, target: str, added: tuple[str, ...]) -> Alternative:
    """A repair as the session offers it: ``added`` as the screen lists it."""
    return Alternative(
        target=target,
        removed=repair.remove,
        added=added,
        delta=repair.delta,
        choices=repair.options,
        total=repair.total,
        leaving=repair.leaving,
        coming=repair.coming,
        needs_values=repair.needs_values,
        missing=repair.missing,
        weeks_delta=repair.weeks_delta,
    )
