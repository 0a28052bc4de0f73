"""What a buyer chose, and the complete selection it stands for.

A :class:`Configuration` holds only the buyer's own choices (option and package codes) and
the values they supplied. :func:`resolve` turns it into a :class:`Selection`: the choices,
plus what packages include and options bring with them, plus the defaults of every group
the buyer left untouched. Pricing, the rules engine, codes and batch all share this meaning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from configurator.errors import BadValueError, UnknownOptionError, did_you_mean_code
from configurator.safetext import control_character

if TYPE_CHECKING:  # the pricing engine prices without importing the schema (pydantic)
    from configurator.catalog.schema import Catalog, Group


@dataclass(frozen=True)
class Configuration:
    """The buyer's own choices for one model: codes in the order chosen, and supplied values."""

    model: str
    choices: tuple[str, ...] = ()
    values: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Values reach other people's terminals (quotes, codes, batch output): whatever the
        # catalog's pattern allows, a value holds no control character (escape sequences).
        for code, value in self.values.items():
            found = control_character(value) if isinstance(value, str) else None
            if found is not None:
                raise BadValueError(
                    f"the value of {code} holds a control character ({found}): a value is "
                    "plain text on one line",
                    option_codes=[code],
                )

    @classmethod
    def of(
        cls, model: str, choices: Iterable[str] = (), values: Mapping[str, str] | None = None
    ) -> Configuration:
        """Build a configuration, dropping repeated codes (first occurrence kept)."""
        unique = tuple(dict.fromkeys(code.strip().upper() for code in choices if code.strip()))
        return cls(model=model, choices=unique, values=dict(values or {}))

    def __hash__(self) -> int:
        return hash((self.model, self.choices, tuple(sorted(self.values.items()))))


@dataclass(frozen=True)
class Selection:
    """The complete set of chosen codes and why each is there."""

    codes: frozenset[str]
    chosen: frozenset[str]  # the buyer's own choices
    defaulted: frozenset[str]  # defaults of groups the buyer left untouched
    brought: Mapping[str, str]  # code -> the option or package that brought it in
    packaged: Mapping[str, str]  # option code -> the package that includes it

    def __contains__(self, code: object) -> bool:
        return code in self.codes


def group_of(catalog: Catalog) -> dict[str, Group]:
    """Option code -> its group (packages belong to no group)."""
    return {o.code: g for g in catalog.groups for o in g.options}


def check_known(catalog: Catalog, codes: Iterable[str]) -> None:
    """Raise :class:`UnknownOptionError` (with a did-you-mean) for a code not in the catalog."""
    known = catalog.codes()
    for code in codes:
        if code not in known:
            in_order = [o.code for g in catalog.groups for o in g.options]
            raise UnknownOptionError(
                f"'{code}' is not an option of {catalog.id}",
                suggestion=did_you_mean_code(code, in_order + [p.code for p in catalog.packages]),
                option_codes=[code],
            )


def resolve(catalog: Catalog, configuration: Configuration) -> Selection:
    """Expand the buyer's choices: package contents, options brought along, group defaults.

    Defaults fill only groups in which nothing was chosen, included or brought; a group
    ``under`` an option only once that option is in the car.
    """
    check_known(catalog, configuration.choices)
    options = catalog.option_index()
    packages = catalog.package_index()
    chosen = frozenset(configuration.choices)
    codes: set[str] = set()
    brought: dict[str, str] = {}
    packaged: dict[str, str] = {}

    pending = list(configuration.choices)
    while pending:
        code = pending.pop()
        if code in codes:
            continue
        codes.add(code)
        if code in packages:
            for included in packages[code].includes:
                packaged.setdefault(included, code)
                if included not in codes:
                    brought.setdefault(included, code)
                    pending.append(included)
        elif code in options:
            for extra in options[code][1].brings:
                if extra not in codes:
                    brought.setdefault(extra, code)
                    pending.append(extra)

    touched = {options[code][0].id for code in codes if code in options}
    defaulted: set[str] = set()
    waiting = [group for group in catalog.groups if group.id not in touched and group.default]
    while waiting:
        # A group under an option (a feature tree's) takes its defaults only once that
        # option is in the car: defaults never bring back a parent the buyer left out.
        later = [g for g in waiting if g.under is not None and g.under not in codes]
        if len(later) == len(waiting):
            break
        for group in waiting:
            if group.under is None or group.under in codes:
                for code in group.default:
                    defaulted.add(code)
                    pending.append(code)
        # Defaults may bring options too (rare, but the meaning must not depend on it).
        while pending:
            code = pending.pop()
            if code in codes:
                continue
            codes.add(code)
            for extra in options[code][1].brings if code in options else ():
                if extra not in codes:
                    brought.setdefault(extra, code)
                    pending.append(extra)
        waiting = later

    return Selection(
        codes=frozenset(codes),
        chosen=chosen,
        defaulted=frozenset(defaulted),
        brought=brought,
        packaged=packaged,
    )
