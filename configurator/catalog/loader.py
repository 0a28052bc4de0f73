"""Load catalogs and markets from YAML: positions, includes, validation, caching.

Every problem is collected (not just the first) and raised together as a
:class:`~configurator.errors.CatalogError`, each naming ``file:line:column``.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from configurator import __version__
from configurator.catalog.schema import Catalog, Fragment, Market, Option, Strict
from configurator.catalog.yamlpos import ParsedYaml, read_yaml_file
from configurator.errors import CatalogError, Location, Problem, did_you_mean

M = TypeVar("M", bound=BaseModel)

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
    "dict_type": "wrong-type",
    "list_type": "wrong-type",
}


def _code_for(error_type: str) -> str:
    if error_type in _PYDANTIC_CODES:
        return _PYDANTIC_CODES[error_type]
    if error_type.endswith("_type") or error_type.endswith("_parsing"):
        return "wrong-type"
    return error_type.replace("_", "-")


def _model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model class that validates the mapping at ``loc`` (for key suggestions)."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            if isinstance(part, int):
                return None
            field = next(
                (f for name, f in current.model_fields.items() if (f.alias or name) == part),
                None,
            )
            if field is None:
                return None
            current = field.annotation
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


def validation_problems(
    error: ValidationError, parsed: ParsedYaml, model: type[BaseModel]
) -> list[Problem]:
    """Turn pydantic's errors into problems with positions and did-you-mean suggestions."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        code = _code_for(item["type"])
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        field = next((p for p in reversed(loc) if isinstance(p, str)), None)
        if item["type"] == "extra_forbidden":
            location = parsed.locate(loc, key=True)
            owner = _model_at(model, loc[:-1])
            hint = did_you_mean(str(loc[-1]), _keys_of(owner)) if owner else None
            message = f"unknown key '{loc[-1]}'" + (f": {hint}" if hint else "")
            if owner:
                message += f" (allowed: {', '.join(_keys_of(owner))})"
        elif item["type"] == "missing":
            location = parsed.locate(loc[:-1])
            message = f"missing required key '{loc[-1]}'"
        else:
            location = parsed.locate(loc)
            if field and not message.startswith(f"'{field}'"):
                message = f"'{field}': {message}"
        problems.append(Problem(location, code, message))
    return problems


def _record_positions(obj: Any, path: tuple[str | int, ...], parsed: ParsedYaml) -> None:
    """Set ``_where`` and ``_spots`` on every catalog object from the parsed positions."""
    if isinstance(obj, Strict):
        obj._where = parsed.locate(path)
        spots: dict[tuple[str | int, ...], Location] = {}
        for name, field in type(obj).model_fields.items():
            key = field.alias or name
            value = getattr(obj, name)
            sub = (*path, key)
            if isinstance(value, Strict):
                _record_positions(value, sub, parsed)
            elif isinstance(value, list):
                spots[(key,)] = _spot(parsed, sub)
                for i, item in enumerate(value):
                    if isinstance(item, Strict):
                        _record_positions(item, (*sub, i), parsed)
                    elif (*sub, i) in parsed.values:
                        spots[(key, i)] = _spot(parsed, (*sub, i))
            elif isinstance(value, dict):
                spots[(key,)] = _spot(parsed, sub)
                for k, item in value.items():
                    if isinstance(item, Strict):
                        _record_positions(item, (*sub, k), parsed)
                    else:
                        spots[(key, k)] = _spot(parsed, (*sub, k))
            elif sub in parsed.values:
                spots[(key,)] = _spot(parsed, sub)
        obj._spots = spots


def _spot(parsed: ParsedYaml, path: tuple[str | int, ...]) -> Location:
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
            Problem(parsed.locate(()), "wrong-type", "the file must hold a mapping of keys")
        ]
    try:
        result = model.model_validate(parsed.data)
    except ValidationError as exc:
        return None, validation_problems(exc, parsed, model)
    _record_positions(result, (), parsed)
    return result, []


@dataclass(frozen=True)
class SourceFile:
    path: Path
    display: str
    digest: str


class CatalogTree:
    """A catalog tree: ``<brand>/<model>.yaml``, ``<brand>/_<fragment>.yaml``, ``markets/``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # --- discovery ------------------------------------------------------------------------

    def display(self, path: Path) -> str:
        """A path as shown in messages: relative to the working directory when possible."""
        try:
            return os.path.relpath(path)
        except ValueError:  # pragma: no cover - another drive on Windows
            return str(path)

    def model_files(self) -> list[Path]:
        """Every model catalog file, sorted (fragments start with '_' and are skipped)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p
            for p in self.root.glob("*/*.yaml")
            if not p.name.startswith("_") and p.parent.name not in ("markets", "schema")
        )

    def market_files(self) -> list[Path]:
        return sorted((self.root / "markets").glob("*.yaml"))

    def fragment_files(self) -> list[Path]:
        return sorted(self.root.glob("*/_*.yaml"))

    def model_ids(self) -> list[str]:
        return [self.model_id_for(p) for p in self.model_files()]

    def model_id_for(self, path: Path) -> str:
        """A model's id is its brand folder and file name: ``xiaomi/su7-ultra.yaml``."""
        return f"{path.parent.name}-{path.stem}"

    def model_path(self, model_id: str) -> Path:
        from configurator.errors import UnknownModelError

        for path in self.model_files():
            if self.model_id_for(path) == model_id:
                return path
        raise UnknownModelError(model_id, self.model_ids())

    # --- loading --------------------------------------------------------------------------

    def load(self, model_id: str) -> Catalog:
        """Load and check one model's catalog (cached by content)."""
        return self.load_file(self.model_path(model_id))

    def load_file(self, path: Path) -> Catalog:
        """Load and check a catalog file; raise CatalogError listing every problem."""
        cached = _cache_get(path)
        if cached is not None:
            return cached
        catalog, problems, sources = self._load_uncached(path)
        if problems or catalog is None:
            raise CatalogError(problems)
        _cache_put(path, sources, catalog)
        return catalog

    def problems_in(self, path: Path) -> list[Problem]:
        """Every problem of a file (model, fragment or market), without raising."""
        if path.parent.name == "markets":
            parsed = read_yaml_file(path, self.display(path))
            market, problems = _validate(parsed, Market)
            problems = parsed.problems + problems
            if market is not None:
                from configurator.catalog.checks import check_market

                problems += check_market(market, expected_id=path.stem)
            return problems
        if path.name.startswith("_"):
            parsed = read_yaml_file(path, self.display(path))
            _, problems = _validate(parsed, Fragment)
            return parsed.problems + problems
        _, problems, _ = self._load_uncached(path)
        return problems

    def _load_uncached(self, path: Path) -> tuple[Catalog | None, list[Problem], list[SourceFile]]:
        from configurator.catalog.checks import check_catalog

        sources: list[SourceFile] = []
        parsed = self._read(path, sources)
        catalog, problems = _validate(parsed, Catalog)
        problems = parsed.problems + problems
        if catalog is None:
            return None, problems, sources
        expected = self.model_id_for(path)
        if catalog.id != expected:
            problems.append(
                Problem(
                    catalog.where_of("id") or Location(parsed.file, 1, 1),
                    "id-mismatch",
                    f"id '{catalog.id}' does not match the file: a catalog at "
                    f"{path.parent.name}/{path.name} must have id '{expected}'",
                )
            )
        fragments: list[Fragment] = []
        self._collect_includes(path, catalog.includes, catalog, [path], fragments, sources, problems)
        merged, merge_problems = merge_fragments(catalog, fragments)
        problems += merge_problems
        if not problems:
            problems += check_catalog(merged)
        return merged, sorted(problems, key=_problem_order), sources

    def _read(self, path: Path, sources: list[SourceFile]) -> ParsedYaml:
        display = self.display(path)
        parsed = read_yaml_file(path, display)
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digest = ""
        sources.append(SourceFile(path, display, digest))
        return parsed

    def _collect_includes(
        self,
        path: Path,
        includes: list[str],
        owner: Strict,
        stack: list[Path],
        fragments: list[Fragment],
        sources: list[SourceFile],
        problems: list[Problem],
    ) -> None:
        root = self.root.resolve()
        for index, include in enumerate(includes):
            where = owner.where_of("includes", index) or Location(self.display(path))
            target = (path.parent / include).resolve()
            if not target.is_relative_to(root):
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
            if target in (s.path for s in sources):
                continue  # included twice through different paths: merge once
            parsed = self._read(target, sources)
            fragment, fragment_problems = _validate(parsed, Fragment)
            problems += parsed.problems + fragment_problems
            if fragment is None:
                continue
            fragments.append(fragment)
            self._collect_includes(
                target, fragment.includes, fragment, [*stack, target], fragments, sources, problems
            )

    def load_market(self, market_id: str) -> Market:
        """Load and check a market file ``markets/<id>.yaml``."""
        from configurator.catalog.checks import check_market
        from configurator.errors import UsageError

        path = self.root / "markets" / f"{market_id}.yaml"
        if not path.is_file():
            known = [p.stem for p in self.market_files()]
            raise UsageError(
                f"unknown market '{market_id}' (no {self.display(path)})",
                suggestion=did_you_mean(market_id, known),
            )
        cached = _cache_get(path)
        if cached is not None:
            return cached
        sources: list[SourceFile] = []
        parsed = self._read(path, sources)
        market, problems = _validate(parsed, Market)
        problems = parsed.problems + problems
        if market is not None:
            problems += check_market(market, expected_id=market_id)
        if problems or market is None:
            raise CatalogError(problems)
        _cache_put(path, sources, market)
        return market


def _problem_order(problem: Problem) -> tuple[str, int, int]:
    return (problem.location.file, problem.location.line, problem.location.column)


def merge_fragments(
    catalog: Catalog, fragments: Iterable[Fragment]
) -> tuple[Catalog, list[Problem]]:
    """Append the fragments' sections to the catalog and pull option sets into groups."""
    fragments = list(fragments)
    problems: list[Problem] = []
    option_sets: dict[str, list[Option]] = {}
    for fragment in fragments:
        for option_set in fragment.option_sets:
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
        return catalog, problems
    return catalog.model_copy(update=update), problems


# --- cache ----------------------------------------------------------------------------------


def cache_dir() -> Path | None:
    """Where loaded catalogs and compiled rules are cached; None disables the cache."""
    configured = os.environ.get("CONFIGURATOR_CACHE_DIR")
    if configured == "":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "configurator"


def _cache_file(path: Path) -> Path | None:
    directory = cache_dir()
    if directory is None:
        return None
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    return directory / f"catalog-{__version__}-{digest[:32]}.pickle"


def _cache_get(path: Path) -> Any:
    target = _cache_file(path)
    if target is None or not target.is_file():
        return None
    try:
        with target.open("rb") as handle:
            sources, value = pickle.load(handle)
        for source_path, digest in sources:
            if hashlib.sha256(Path(source_path).read_bytes()).hexdigest() != digest:
                return None
        return value
    except Exception:  # a stale or corrupt cache entry is simply ignored
        return None


def _cache_put(path: Path, sources: list[SourceFile], value: Any) -> None:
    target = _cache_file(path)
    if target is None:
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(
                ([(str(s.path), s.digest) for s in sources], value),
                handle,
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        os.replace(temporary, target)
    except OSError:
        pass  # the cache is an optimisation; a read-only home must not break quoting


# --- finding the tree -------------------------------------------------------------------------


def default_catalog_root() -> Path:
    """The shipped catalogs: inside the installed package, or the repository's ``catalogs/``."""
    package_dir = Path(__file__).resolve().parent.parent
    packaged = package_dir / "catalogs"
    if packaged.is_dir():
        return packaged
    return package_dir.parent / "catalogs"


def catalog_root(override: str | os.PathLike[str] | None = None) -> Path:
    """``--catalogs DIR``, else ``$CONFIGURATOR_CATALOGS``, else the shipped catalogs."""
    from configurator.errors import UsageError

    chosen = override or os.environ.get("CONFIGURATOR_CATALOGS")
    if chosen:
        root = Path(chosen)
        if not root.is_dir():
            raise UsageError(f"catalog directory '{chosen}' does not exist")
        return root
    return default_catalog_root()


def open_tree(override: str | os.PathLike[str] | None = None) -> CatalogTree:
    return CatalogTree(catalog_root(override))


def load_catalog(model_id: str, catalogs: str | os.PathLike[str] | None = None) -> Catalog:
    """Load one model's catalog from the shipped tree (or ``catalogs``)."""
    return open_tree(catalogs).load(model_id)
