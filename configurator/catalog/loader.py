"""Load catalogs and markets from YAML: positions, includes, validation, caching.

Every problem is collected (not just the first) and raised together as a
:class:`~configurator.errors.CatalogError`, each naming ``file:line:column``. When part of a
file fails the schema, the parts that pass are still checked for meaning (unknown codes,
defaults, expressions), so one run reports both kinds of mistake.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import types
import typing
from array import array
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from configurator import __version__
from configurator.catalog.files import (
    CatalogFiles,
    Sources,
    cache_dir,
    cache_load,
    cache_store,
    catalog_root,
)
from configurator.catalog.files import default_catalog_root as default_catalog_root
from configurator.catalog.files import digest as _digest
from configurator.catalog.schema import (
    CODE_PATTERN,
    SLUG_PATTERN,
    Catalog,
    Discount,
    Fragment,
    Group,
    Market,
    Option,
    OptionSet,
    Package,
    PriceRule,
    Programme,
    Rule,
    Sections,
    Strict,
    TableRule,
)
from configurator.catalog.yamlpos import ParsedYaml, Spots, gc_paused, read_yaml_file
from configurator.errors import (
    CatalogError,
    Location,
    Problem,
    UsageError,
    did_you_mean,
)

M = TypeVar("M", bound=BaseModel)
Path_ = tuple[str | int, ...]

_PYDANTIC_CODES = {
    "extra_forbidden": "unknown-key",
    "missing": "missing-key",
    "string_pattern_mismatch": "bad-format",
    "literal_error": "bad-value",
    "enum": "bad-value",
    "too_short": "too-short",
    "too_long": "too-long",
    "string_too_long": "too-long",
    "string_too_short": "too-short",
    "greater_than_equal": "out-of-range",
    "less_than_equal": "out-of-range",
    "greater_than": "out-of-range",
    "less_than": "out-of-range",
    "value_error": "invalid-value",
    "model_type": "wrong-type",
    "model_attributes_type": "wrong-type",
    "dict_type": "wrong-type",
    "list_type": "wrong-type",
}

_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "date_type": "a date (YYYY-MM-DD)",
    "decimal_type": "an amount",
}

_PATTERN_HINTS = {
    CODE_PATTERN: "a code: upper-case letters, digits, '-' and '_'",
    SLUG_PATTERN: "an id: lower-case letters, digits and '-'",
    r"^#[0-9a-fA-F]{6}$": "a colour '#rrggbb'",
    r"^[A-Z]{3}$": "a three-letter currency code such as CNY",
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$": "a language tag such as zh-CN",
}


def _code_for(error_type: str) -> str:
    if error_type in _PYDANTIC_CODES:
        return _PYDANTIC_CODES[error_type]
    if error_type.endswith("_type") or error_type.endswith("_parsing"):
        return "wrong-type"
    return error_type.replace("_", "-")


def describe_value(value: Any) -> str:
    """How a YAML value looks to its author: 'a number (12)', 'text ('NO')', 'a list'."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ('{value}')" if len(value) <= 40 else "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, dt.date):
        return f"a date ({value.isoformat()})"
    return type(value).__name__


def _model_at(model: type[BaseModel], loc: Path_) -> type[BaseModel] | None:
    """The pydantic model class that validates the mapping at ``loc`` (for key suggestions)."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            if isinstance(part, int):
                return None
            found = next(
                (f for name, f in current.model_fields.items() if (f.alias or name) == part),
                None,
            )
            if found is None:
                return None
            current = found.annotation
        current = _unwrap(current, part)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any, part: str | int) -> Any:
    """Strip Optional/Annotated and step into list/dict items when the path does."""
    for _ in range(6):
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation = args[0]
        elif origin in (typing.Union, types.UnionType):
            non_none = [a for a in args if a is not type(None)]
            annotation = non_none[0] if len(non_none) == 1 else None
        elif origin is list and isinstance(part, int):
            return args[0]
        elif origin is dict:
            return args[1]
        else:
            return annotation
    return annotation


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _message_for(item: Any, field_name: str | None) -> str:
    """A clear message for one pydantic error: what was found and what would be right."""
    kind = item["type"]
    message = item["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    found = item.get("input")
    if kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, got {describe_value(found)}"
    elif kind == "string_pattern_mismatch":
        pattern = (item.get("ctx") or {}).get("pattern", "")
        hint = _PATTERN_HINTS.get(pattern)
        if hint:
            message = f"'{found}' is not {hint}"
            if pattern == CODE_PATTERN and isinstance(found, str):
                fixed = re.sub(r"[^A-Z0-9_-]+", "-", found.upper()).strip("-")
                if re.match(CODE_PATTERN, fixed):
                    message += f" (e.g. '{fixed}')"
    elif kind in ("enum", "literal_error"):
        expected = re.findall(r"'([^']*)'", (item.get("ctx") or {}).get("expected", ""))
        hint = did_you_mean(str(found), expected) if expected else None
        message = f"'{found}' is not one of {', '.join(expected)}" + (f": {hint}" if hint else "")
    if field_name and not message.startswith(f"'{field_name}'"):
        message = f"'{field_name}': {message}"
    return message


def validation_problems(
    error: ValidationError, parsed: ParsedYaml, model: type[BaseModel], prefix: Path_ = ()
) -> list[Problem]:
    """Turn pydantic's errors into problems with positions and did-you-mean suggestions.

    Errors at a value the YAML reader already flagged (``NO`` read as a boolean) are left out:
    the YAML problem says it better. ``prefix`` is where ``model``'s data sits in the file.
    """
    problems = []
    for item in error.errors(include_url=False):
        loc = (*prefix, *item["loc"])
        if any(loc[:i] in parsed.flagged for i in range(len(prefix), len(loc) + 1)):
            continue
        code = _code_for(item["type"])
        field_name = next((p for p in reversed(loc) if isinstance(p, str)), None)
        if item["type"] == "extra_forbidden":
            location = parsed.locate(loc, key=True)
            owner = _model_at(model, tuple(item["loc"])[:-1])
            hint = did_you_mean(str(loc[-1]), _keys_of(owner)) if owner else None
            message = f"unknown key '{loc[-1]}'"
            if hint:
                message += f": {hint}"
            elif owner:
                message += f" (allowed: {', '.join(_keys_of(owner))})"
        elif item["type"] == "missing":
            location = parsed.locate(loc[:-1])
            message = f"missing required key '{loc[-1]}'"
        else:
            location = parsed.locate(loc)
            message = _message_for(item, field_name)
        problems.append(Problem(location, code, message))
    return problems


_PACKED_LIST = 64  # lists of plain values this long keep their items' positions packed


def _record_positions(obj: Any, path: Path_, parsed: ParsedYaml) -> None:
    """Set ``_where``, ``_spots`` and ``_texts`` on every catalog object from the positions."""
    if not isinstance(obj, Strict):
        return
    obj._where = parsed.locate(path)
    spots: dict[Path_, Location] = {}
    lists: dict[str | int, array[int]] = {}
    texts: dict[Path_, tuple[int, int, str]] = {}
    find, file, quoted, raw = parsed.values.find, parsed.file, parsed.quoted, parsed.raw

    def note(sub: Path_, at: Path_) -> None:  # what _spot() gives, with one look-up
        position = find(at)
        if position is None:
            return
        line, column = position
        spots[sub] = Location(file, line, column + 1 if at in quoted else column)
        source = raw.get(at)
        if source is not None:
            texts[sub] = (line, column, source)

    for name, info in type(obj).model_fields.items():
        key = info.alias or name
        value = getattr(obj, name, None)
        at = (*path, key)
        if isinstance(value, Strict):
            _record_positions(value, at, parsed)
        elif isinstance(value, list):
            note((key,), at)
            if len(value) >= _PACKED_LIST and not any(isinstance(i, Strict) for i in value):
                packed = _packed_items(parsed, at, len(value), key, texts)
                if packed is not None:
                    lists[key] = packed
                    continue
            for i, item in enumerate(value):
                if isinstance(item, Strict):
                    _record_positions(item, (*at, i), parsed)
                else:
                    note((key, i), (*at, i))
        elif isinstance(value, dict):
            note((key,), at)
            for k, item in value.items():
                if isinstance(item, Strict):
                    _record_positions(item, (*at, k), parsed)
                else:
                    note((key, k), (*at, k))
        else:
            note((key,), at)
    obj._spots = Spots(parsed.file, spots, lists) if lists else spots
    obj._texts = texts


def _packed_items(
    parsed: ParsedYaml, at: Path_, length: int, key: str, texts: dict[Path_, tuple[int, int, str]]
) -> array[int] | None:
    """The spots of a long list's items, packed as the parser recorded them (a quoted item's
    column moved in by one, as :func:`_spot` does); their source texts go into ``texts``."""
    items = parsed.values.items_of(at)
    if items is None:
        return None
    items = items[:length]  # a copy: the parser's array stays as it was
    quoted, sources = parsed.marked_items(at)
    for index in quoted:
        if index < len(items):
            items[index] += 1
    for index, source in sources.items():
        if index < len(items):
            line, column = parsed.values[(*at, index)]
            texts[(key, index)] = (line, column, source)
    return items


def _spot(parsed: ParsedYaml, path: Path_) -> Location:
    location = parsed.locate(path)
    if path in parsed.quoted:
        return Location(location.file, location.line, location.column + 1)
    return location


def _validate(parsed: ParsedYaml, model: type[M]) -> tuple[M | None, list[Problem]]:
    if parsed.data is None and not parsed.problems:
        return None, [Problem(Location(parsed.file, 1, 1), "empty-file", "the file is empty")]
    if parsed.data is None:
        return None, []
    if not isinstance(parsed.data, dict):
        return None, [
            Problem(
                parsed.locate(()),
                "wrong-type",
                f"the file must hold a mapping of keys, not {describe_value(parsed.data)}",
            )
        ]
    try:
        result = model.model_validate(parsed.data)
    except ValidationError as exc:
        return None, validation_problems(exc, parsed, model)
    _record_positions(result, (), parsed)
    return result, []


# --- checking what validated when the whole file did not ------------------------------------

_SECTION_MODELS: dict[str, type[Strict]] = {
    "groups": Group,
    "packages": Package,
    "rules": Rule,
    "tables": TableRule,
    "price_rules": PriceRule,
    "discounts": Discount,
    "programmes": Programme,
    "option_sets": OptionSet,
}
_INCLUDES = TypeAdapter(list[str], config=ConfigDict(defer_build=True))  # built at first use


def _names_in(raw: Any) -> set[str]:
    """Every code and id written in a part of a file (to excuse references to broken parts)."""
    found: set[str] = set()
    stack = [raw]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in ("code", "id") and isinstance(value, str):
                    found.add(value)
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _salvage_item(
    model: type[Strict], raw: Any, path: Path_, parsed: ParsedYaml, lost: set[str]
) -> Strict | None:
    """Validate one list item; a group's (or option set's) options one by one."""
    options_raw = raw.get("options") if isinstance(raw, dict) else None
    if model in (Group, OptionSet) and isinstance(options_raw, list):
        options: list[tuple[int, Option]] = []
        for index, option_raw in enumerate(options_raw):
            option = _salvage_item(Option, option_raw, (*path, "options", index), parsed, lost)
            if option is not None:
                options.append((index, option))  # type: ignore[arg-type]
        if len(options) < len(options_raw) and isinstance(raw.get("id"), str):
            lost.add(raw["id"])  # the group is incomplete: excuse what its lost options cause
        try:
            container = model.model_validate({**raw, "options": [o for _, o in options]})
        except ValidationError:
            lost |= _names_in(raw)
            return None
        _record_positions(container, path, parsed)
        for index, option in options:
            _record_positions(option, (*path, "options", index), parsed)
        return container
    try:
        item = model.model_validate(raw)
    except ValidationError:
        lost |= _names_in(raw)
        return None
    _record_positions(item, path, parsed)
    return item


@dataclass
class _Salvage:
    """The parts of an invalid file that validated on their own."""

    sections: Sections | None
    lost: set[str] = field(default_factory=set)
    blind: bool = False  # nothing can be said about which codes the file defines


def _salvage(parsed: ParsedYaml, model: type[Catalog] | type[Fragment]) -> _Salvage:
    data = parsed.data
    if not isinstance(data, dict):
        return _Salvage(None, blind=True)
    lost: set[str] = set()
    for key, value in data.items():
        if key not in model.model_fields:  # a misspelt section ('pakages:') may define codes
            lost |= _names_in(value)
    values: dict[str, Any] = {}
    for section, item_model in _SECTION_MODELS.items():
        if section not in model.model_fields:
            continue
        items = data.get(section)
        if not isinstance(items, list):
            if items is not None:
                return _Salvage(None, blind=True)
            continue
        kept = []
        for index, raw in enumerate(items):
            item = _salvage_item(item_model, raw, (section, index), parsed, lost)
            if item is not None:
                kept.append(item)
        values[section] = kept
    blind = False
    includes: list[str] = []
    try:
        includes = _INCLUDES.validate_python(data.get("includes", []), strict=True)
    except ValidationError:
        blind = True
    partial = model.model_construct(includes=includes, **values)
    partial._where = parsed.locate(())
    partial._spots = {
        ("includes", i): _spot(parsed, ("includes", i))
        for i in range(len(includes))
        if ("includes", i) in parsed.values
    }
    return _Salvage(partial, lost, blind)


@dataclass
class _Read:
    """One file read and validated: the model when valid, else what could be salvaged."""

    parsed: ParsedYaml
    valid: Sections | None
    partial: Sections | None
    problems: list[Problem]
    lost: set[str]
    blind: bool


def _read_model(parsed: ParsedYaml, model: type[Catalog] | type[Fragment]) -> _Read:
    valid, problems = _validate(parsed, model)
    problems = parsed.problems + problems
    if valid is not None:
        return _Read(parsed, valid, valid, problems, set(), False)
    salvage = _salvage(parsed, model)
    return _Read(parsed, None, salvage.sections, problems, salvage.lost, salvage.blind)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    display: str
    digest: str


class CatalogTree(CatalogFiles):
    """A catalog tree: ``<brand>/<model>.yaml``, ``<brand>/_<fragment>.yaml``, ``markets/``.

    Finding its files is :class:`~configurator.catalog.files.CatalogFiles`'s; this loads them.
    """

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._sources: dict[Path, Sources] = {}

    def sources_of(self, path: Path) -> Sources:
        """The files (path, sha256) a catalog or market loaded from ``path`` was read from:
        the file and its includes, as cache entries record them."""
        return list(self._sources[path])

    # --- loading --------------------------------------------------------------------------

    def load(self, model_id: str) -> Catalog:
        """Load and check one model's catalog (cached by content)."""
        return self.load_file(self.model_path(model_id))

    def load_all(self) -> list[Catalog]:
        """Every model of the tree, sorted by id; raise one CatalogError naming every problem."""
        catalogs: list[Catalog] = []
        problems: list[Problem] = []
        for path in self.model_files():
            try:
                catalogs.append(self.load_file(path))
            except CatalogError as error:
                problems += error.problems
        if problems:
            raise CatalogError(list(dict.fromkeys(problems)))
        return sorted(catalogs, key=lambda c: c.id)

    def load_file(self, path: Path) -> Catalog:
        """Load and check a catalog file; raise CatalogError listing every problem."""
        with gc_paused():  # every object made here lasts: collections would only walk them
            cached = _cache_get(path, self.display(path))
            if cached is not None and isinstance(cached[1], Catalog):
                self._sources[path] = cached[0]
                return cached[1]
            catalog, problems, sources = self._load_uncached(path)
            if problems or catalog is None:
                raise CatalogError(problems)
            self._sources[path] = _cache_put(path, self.display(path), sources, catalog)
            return catalog

    def problems_in(self, path: Path) -> list[Problem]:
        """Every problem of a file (model, fragment or market), without raising."""
        with gc_paused():
            return self._problems_in(path)

    def _problems_in(self, path: Path) -> list[Problem]:
        from configurator.catalog.checks import check_catalog, check_market

        kind = self.kind_of(path)
        if kind == "market":
            parsed = read_yaml_file(path, self.display(path))
            market, problems = _validate(parsed, Market)
            problems = parsed.problems + problems
            if market is not None:
                problems += check_market(market, expected_id=path.stem)
            return problems
        if kind == "fragment":
            read = _read_model(read_yaml_file(path, self.display(path)), Fragment)
            problems = list(read.problems)
            if read.partial is not None:
                problems += check_catalog(read.partial, tolerate=read.lost, references=False)
            return _ordered(problems)
        catalog, problems, _ = self._load_uncached(path)
        if catalog is not None:
            problems += self._market_problems(catalog)
        return _ordered(problems)

    def _market_problems(self, catalog: Sections) -> list[Problem]:
        """The catalog's market must exist in the tree and share its currency."""
        if not isinstance(catalog, Catalog) or not (self.root / "markets").is_dir():
            return []
        market_id = getattr(catalog, "market", None)
        if not isinstance(market_id, str):
            return []
        where = catalog.where_of("market") or Location("?")
        path = self.root / "markets" / f"{market_id}.yaml"
        if not path.is_file():
            hint = did_you_mean(market_id, [p.stem for p in self.market_files()])
            return [
                Problem(
                    where,
                    "unknown-market",
                    f"market '{market_id}' has no file {self.display(path)}"
                    + (f": {hint}" if hint else ""),
                )
            ]
        try:
            market = self.load_market(market_id)
        except CatalogError:
            return []  # reported when the market file itself is validated
        currency = getattr(catalog, "currency", None)
        if currency is not None and currency != market.currency:
            return [
                Problem(
                    catalog.where_of("currency") or where,
                    "currency-mismatch",
                    f"currency {currency} differs from market '{market_id}', which uses "
                    f"{market.currency}",
                )
            ]
        return []

    def _load_uncached(self, path: Path) -> tuple[Catalog | None, list[Problem], list[SourceFile]]:
        from configurator.catalog.checks import check_catalog

        sources: list[SourceFile] = []
        read = _read_model(self._read(path, sources), Catalog)
        problems = list(read.problems)
        if isinstance(read.valid, Catalog):
            expected = self.model_id_for(path)
            if read.valid.id != expected:
                problems.append(
                    Problem(
                        read.valid.where_of("id") or Location(read.parsed.file, 1, 1),
                        "id-mismatch",
                        f"id '{read.valid.id}' does not match the file: a catalog at "
                        f"{path.parent.name}/{path.name} must have id '{expected}'",
                    )
                )
        base = read.partial
        if base is None:
            return None, _ordered(problems), sources
        state = _IncludeState(lost=set(read.lost), blind=read.blind)
        includes = getattr(base, "includes", [])
        self._collect_includes(path, includes, base, [path], sources, problems, state)
        merged, merge_problems = merge_fragments(
            base, state.fragments, tolerate=state.lost, references=not state.blind
        )
        problems += merge_problems
        problems += check_catalog(merged, tolerate=state.lost, references=not state.blind)
        catalog = merged if isinstance(read.valid, Catalog) else None
        return catalog, _ordered(problems), sources

    def _read(self, path: Path, sources: list[SourceFile]) -> ParsedYaml:
        display = self.display(path)
        parsed = read_yaml_file(path, display)
        # The digest of the bytes parsed (not a second read, which could see a newer file).
        sources.append(SourceFile(path, display, parsed.digest or _digest(path)))
        return parsed

    def _collect_includes(
        self,
        path: Path,
        includes: list[str],
        owner: Strict,
        stack: list[Path],
        sources: list[SourceFile],
        problems: list[Problem],
        state: _IncludeState,
    ) -> None:
        """Read a file's includes, depth first, into ``sources``; every bad include becomes a
        problem at its ``includes`` entry and the rest are still read."""
        # Long on purpose: each way an include can be wrong (outside the tree, a loop, missing,
        # not a fragment) is a check followed by its message, in the order they apply.
        root = self.root.resolve()
        for index, include in enumerate(includes):
            where = owner.where_of("includes", index) or Location(self.display(path))
            target = (path.parent / include).resolve()
            if not target.is_relative_to(root):
                state.blind = True
                problems.append(
                    Problem(
                        where,
                        "include-outside-tree",
                        f"include '{include}' leaves the catalog tree ({self.display(root)}); "
                        f"shared fragments must live inside it",
                    )
                )
                continue
            if target in stack:
                chain = " -> ".join(self.display(p) for p in [*stack, target])
                problems.append(Problem(where, "include-loop", f"include loop: {chain}"))
                continue
            if not target.is_file():
                state.blind = True
                siblings = [p.name for p in target.parent.glob("*.yaml")]
                hint = did_you_mean(target.name, siblings)
                problems.append(
                    Problem(
                        where,
                        "include-missing",
                        f"include '{include}' does not exist" + (f": {hint}" if hint else ""),
                    )
                )
                continue
            if not target.name.startswith("_"):
                problems.append(
                    Problem(
                        where,
                        "include-not-fragment",
                        f"include '{include}' is not a fragment: shared fragments are named "
                        f"'_<name>.yaml'",
                    )
                )
                continue
            if target in (s.path for s in sources):
                continue  # included twice through different paths: merge once
            read = _read_model(self._read(target, sources), Fragment)
            problems += read.problems
            state.lost |= read.lost
            state.blind = state.blind or read.blind or read.partial is None
            if read.partial is None:
                continue
            state.fragments.append(read.partial)
            self._collect_includes(
                target,
                getattr(read.partial, "includes", []),
                read.partial,
                [*stack, target],
                sources,
                problems,
                state,
            )

    def load_market(self, market_id: str) -> Market:
        """Load and check a market file ``markets/<id>.yaml``."""
        from configurator.catalog.checks import check_market

        path = self.market_path(market_id)
        if not path.is_file():
            known = [p.stem for p in self.market_files()]
            raise UsageError(
                f"unknown market '{market_id}' (no {self.display(path)})",
                suggestion=did_you_mean(market_id, known),
            )
        cached = _cache_get(path, self.display(path))
        if cached is not None and isinstance(cached[1], Market):
            self._sources[path] = cached[0]
            return cached[1]
        sources: list[SourceFile] = []
        parsed = self._read(path, sources)
        market, problems = _validate(parsed, Market)
        problems = parsed.problems + problems
        if market is not None:
            problems += check_market(market, expected_id=market_id)
        if problems or market is None:
            raise CatalogError(problems)
        self._sources[path] = _cache_put(path, self.display(path), sources, market)
        return market


@dataclass
class _IncludeState:
    fragments: list[Sections] = field(default_factory=list)
    lost: set[str] = field(default_factory=set)
    blind: bool = False


def _ordered(problems: Iterable[Problem]) -> list[Problem]:
    """Problems without repeats, by file, line and column."""
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.location.file, p.location.line, p.location.column))


def merge_fragments(
    catalog: Catalog | Sections,
    fragments: Iterable[Fragment | Sections],
    *,
    tolerate: Collection[str] = (),
    references: bool = True,
) -> tuple[Catalog, list[Problem]]:
    """Append the fragments' sections to the catalog and pull option sets into groups.

    ``tolerate`` names option sets that exist but failed validation (not reported unknown);
    ``references=False`` reports no unknown option set at all (an include is missing).
    """
    fragments = list(fragments)
    problems: list[Problem] = []
    option_sets: dict[str, list[Option]] = {}
    for fragment in fragments:
        for option_set in getattr(fragment, "option_sets", []):
            option_sets[option_set.id] = option_set.options
    sections = ("groups", "packages", "rules", "tables", "price_rules", "discounts", "programmes")
    update: dict[str, list[Any]] = {name: list(getattr(catalog, name)) for name in sections}
    for fragment in fragments:
        for name in sections:
            update[name].extend(getattr(fragment, name))
    groups = []
    for group in update["groups"]:
        if not group.option_sets:
            groups.append(group)
            continue
        options = list(group.options)
        for index, set_id in enumerate(group.option_sets):
            if set_id not in option_sets:
                if set_id in tolerate or not references:
                    continue
                hint = did_you_mean(set_id, option_sets)
                problems.append(
                    Problem(
                        group.where_of("option_sets", index) or Location("?"),
                        "unknown-option-set",
                        f"group '{group.id}' uses option set '{set_id}', which no included "
                        f"fragment defines" + (f": {hint}" if hint else ""),
                    )
                )
                continue
            options.extend(option_sets[set_id])
        merged_group = group.model_copy(update={"options": options})
        groups.append(merged_group)
    update["groups"] = groups
    if not fragments and all(not g.option_sets for g in catalog.groups):
        return catalog, problems  # type: ignore[return-value]
    return catalog.model_copy(update=update), problems  # type: ignore[return-value]


# --- cache ----------------------------------------------------------------------------------


def _cache_file(path: Path, display: str, content: str | None = None) -> Path | None:
    """The cache entry of a file: keyed by its content, where it is and how it is shown.

    The place matters as well as the content: a catalog's id must match its file name, and
    its recorded positions name the file as shown from the working directory. ``content`` is
    the file's sha256 when known (else it is read and hashed).
    """
    directory = cache_dir()
    if directory is None:
        return None
    if content is None:
        content = _digest(path)
    if not content:
        return None
    place = f"{__version__}\0{path.resolve()}\0{display}\0{content}".encode()
    return directory / f"catalog-{__version__}-{hashlib.sha256(place).hexdigest()[:40]}.pickle"


def _cache_get(path: Path, display: str) -> tuple[Sources, Any] | None:
    return cache_load(_cache_file(path, display))


def _cache_put(path: Path, display: str, sources: list[SourceFile], value: Any) -> Sources:
    """Store ``value`` made from ``sources`` (the first is ``path``, as it was parsed)."""
    recorded = [(str(s.path), s.digest) for s in sources]
    content = sources[0].digest if sources and sources[0].path == path else None
    cache_store(_cache_file(path, display, content), recorded, value)
    return recorded


# --- finding the tree -------------------------------------------------------------------------


def open_tree(override: str | os.PathLike[str] | None = None) -> CatalogTree:
    """The catalog tree chosen by ``override``, ``$CONFIGURATOR_CATALOGS`` or the shipped one."""
    return CatalogTree(catalog_root(override))


def load_catalog(model_id: str, catalogs: str | os.PathLike[str] | None = None) -> Catalog:
    """Load one model's catalog from the shipped tree (or ``catalogs``)."""
    return open_tree(catalogs).load(model_id)
