"""What the buyer's choices resolve to: known codes in catalog order, the complete selection
(what packages include, what options bring, the defaults of untouched groups) and the values
the buyer types (engravings, plates), checked against each option's rules.

:class:`SelectionIndex` is :func:`configurator.configuration.resolve` on precomputed plain
data (property tests check they agree).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from configurator.configuration import Configuration, Selection
from configurator.errors import (
    BadValueError,
    UnknownOptionError,
    UsageError,
    did_you_mean,
    did_you_mean_code,
)

if TYPE_CHECKING:
    from configurator.catalog.schema import Catalog


class ValueSpec(NamedTuple):
    """What a value typed by the buyer must be."""

    prompt: str
    max_length: int
    examples: tuple[str, ...]
    pattern: re.Pattern[str] | None


def label(code: str, name: str) -> str:
    """A code with its name, as messages write it: ``HUD (Head-up display)``."""
    return f"{code} ({name})"


class SelectionIndex:
    """A catalog's codes, packages, ``brings`` and defaults, indexed for resolving choices."""

    def __init__(self, catalog: Catalog) -> None:
        self.model = catalog.id
        self.position: dict[str, int] = {}
        self._defaults: list[tuple[str, tuple[str, ...], str | None]] = []
        self.value_specs: dict[str, ValueSpec] = {}
        self.group_of: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self._brings: dict[str, tuple[str, ...]] = {}
        for group in catalog.groups:
            if group.default:
                self._defaults.append((group.id, tuple(group.default), group.under))
            for option in group.options:
                self.position[option.code] = len(self.position)
                self.group_of[option.code] = group.id
                self.names[option.code] = option.name
                if option.brings:
                    self._brings[option.code] = tuple(option.brings)
                value = option.value
                if value is not None:
                    pattern = re.compile(value.pattern) if value.pattern else None
                    self.value_specs[option.code] = ValueSpec(
                        value.prompt, value.max_length, tuple(value.examples), pattern
                    )
        self._includes: dict[str, tuple[str, ...]] = {}
        for package in catalog.packages:
            self.position[package.code] = len(self.position)
            self.names[package.code] = package.name
            self._includes[package.code] = tuple(package.includes)
        self.known = frozenset(self.position)
        # codes written as the catalog writes them (what strip().upper() leaves unchanged)
        self._plain = frozenset(c for c in self.known if c == c.strip().upper())
        # codes that add others to a selection (packages and options that bring some)
        self._expanding = frozenset(self._includes) | frozenset(self._brings)

    @property
    def expanding(self) -> frozenset[str]:
        """The codes that add others to a selection: packages, options that bring some."""
        return self._expanding

    @property
    def includes(self) -> Mapping[str, tuple[str, ...]]:
        """What each package includes."""
        return self._includes

    @property
    def brings(self) -> Mapping[str, tuple[str, ...]]:
        """What each option that brings others brings."""
        return self._brings

    @property
    def defaults(self) -> list[tuple[str, tuple[str, ...], str | None]]:
        """Each group with defaults: its id, its default codes and the option it sits under
        (None at the top)."""
        return list(self._defaults)

    def canonical(self, configuration: Configuration) -> tuple[tuple[str, ...], dict[str, str]]:
        """The buyer's choices in catalog order (unknown codes rejected) and their values."""
        if configuration.model != self.model:
            raise UsageError(
                f"the configuration is for '{configuration.model}', not '{self.model}'"
            )
        if self._plain.issuperset(configuration.choices):  # the common case, made quick
            choices = dict.fromkeys(configuration.choices)
        else:
            choices = dict.fromkeys(code.strip().upper() for code in configuration.choices)
        for code in choices:
            if code not in self.known:
                raise UnknownOptionError(
                    f"'{code}' is not an option of {self.model}",
                    suggestion=did_you_mean_code(code, self.position),
                    option_codes=[code],
                )
        ordered = tuple(sorted(choices, key=self.position.__getitem__))
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
        if self._expanding.isdisjoint(pending):  # nothing to add: the choices themselves
            codes.update(pending)
            pending = []
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
        defaulted = self._add_defaults(codes, brought)
        return Selection(
            codes=frozenset(codes),
            chosen=frozenset(choices),
            defaulted=frozenset(defaulted),
            brought=brought,
            packaged=packaged,
        )

    def _add_defaults(self, codes: set[str], brought: dict[str, str]) -> set[str]:
        """Add the defaults of the groups ``codes`` leaves untouched, with what they bring;
        return the defaults."""
        group_of, brings = self.group_of, self._brings
        touched = set(map(group_of.get, codes))  # (None for packages: no group)
        defaulted: set[str] = set()
        pending: list[str] = []
        waiting = [entry for entry in self._defaults if entry[0] not in touched]
        while waiting:
            # As configuration.resolve: a group under an option waits for that option.
            later = [e for e in waiting if e[2] is not None and e[2] not in codes]
            if len(later) == len(waiting):
                break
            for _, defaults, under in waiting:
                if under is None or under in codes:
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
            waiting = later
        return defaulted

    def check_values(self, selection: Selection, values: dict[str, str]) -> None:
        """Raise a BadValueError for a value given to a code not selected or that takes none,
        a value that breaks its option's rules, or a selected option that lacks its value."""
        for code, value in values.items():
            self._check_value(selection, code, value)
        for code in sorted(
            selection.codes & self.value_specs.keys(), key=self.position.__getitem__
        ):
            if code not in values:
                buyer_value = self.value_specs[code]
                example = buyer_value.examples[0] if buyer_value.examples else "..."
                raise BadValueError(
                    f"{label(code, self.names[code])} needs a value: {buyer_value.prompt}",
                    suggestion=f"add --value {code}='{example}'",
                    option_codes=[code],
                )

    def _check_value(self, selection: Selection, code: str, value: str) -> None:
        spec = self.value_specs.get(code)
        name = self.names.get(code, code)
        if code not in selection.codes:
            hint = None if code in self.known else did_you_mean(code, self.value_specs)
            raise BadValueError(
                f"a value is given for {code}, which is not in the configuration",
                suggestion=hint,
                option_codes=[code],
            )
        if spec is None:
            raise BadValueError(
                f"{label(code, name)} takes no value from the buyer", option_codes=[code]
            )
        text = value.strip()
        if not text:
            raise BadValueError(f"the value of {code} is empty: {spec.prompt}", option_codes=[code])
        if len(text) > spec.max_length:
            raise BadValueError(
                f"the value of {code} has {len(text)} characters, at most "
                f"{spec.max_length} are allowed: {spec.prompt}",
                option_codes=[code],
            )
        if spec.pattern is not None and not spec.pattern.fullmatch(text):
            examples = ", ".join(f"'{e}'" for e in spec.examples)
            raise BadValueError(
                f"'{text}' is not a valid value for {code}: {spec.prompt}",
                suggestion=f"for example {examples}" if examples else None,
                option_codes=[code],
            )
