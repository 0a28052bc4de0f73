"""`catalog diff`: what changed between two catalog trees, and what it does to cars and orders.

For every model that changed: options and packages added, removed and repriced; changes to
groups (cardinality, defaults, membership), packages, rules and variant tables, price rules
and discounts, programmes, and the taxes of the model's market. Then the exact effect on the
solution space: how many valid configurations each version has (the count ``catalog stats``
gives) and how many were lost and gained, with one example of each.

A configuration is the set of option and package codes chosen. One valid in the old version
and not in the new is *lost* (this includes every configuration with a removed code); one
valid in the new version and not in the old is *gained*. So ``old - lost + gained = new``, and
the configurations both versions accept use only codes both know. The counts come from the
two compiled solution spaces: both diagrams are rebuilt in one CUDD manager over the codes
(the price auxiliaries existentially quantified away), and ``old and not new``, ``new and not
old`` are counted exactly (Python integers, not CUDD's floating-point count).

:func:`classify_orders` prices a file of orders (any ``batch`` input) under both trees with
the batch engine itself and says, row by row, whether the order is unchanged, repriced, or
invalid under the new catalogs (with its error code and explanation).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from configurator.catalog.loader import CatalogTree
from configurator.catalog.schema import Catalog, Market, Option, Package, Strict
from configurator.errors import CatalogError, UsageError
from configurator.money import money_json


@dataclass(frozen=True)
class Repriced:
    """A code whose price changed (``base_price`` for the car's base price)."""

    code: str
    old: Decimal
    new: Decimal

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "old": money_json(self.old), "new": money_json(self.new)}


@dataclass(frozen=True)
class Changes:
    """Items of one kind (rules, groups, ...) added, removed and changed, by id."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    details: tuple[str, ...] = ()  # one sentence per change, for people

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": list(self.changed),
            "details": list(self.details),
        }


@dataclass(frozen=True)
class Counts:
    """Valid configurations before and after, and how many were lost and gained."""

    old: int
    new: int
    lost: int
    gained: int
    lost_example: tuple[str, ...] | None = None  # a whole configuration, catalog order
    gained_example: tuple[str, ...] | None = None
    lost_summary: str = ""  # the example against the defaults: "ROOF-CARBON, SEAT-MASSAGE"
    gained_summary: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Counts as decimal strings (they outgrow JSON numbers)."""
        return {
            "old": str(self.old),
            "new": str(self.new),
            "lost": str(self.lost),
            "gained": str(self.gained),
            "lost_example": list(self.lost_example) if self.lost_example is not None else None,
            "gained_example": (
                list(self.gained_example) if self.gained_example is not None else None
            ),
            "lost_summary": self.lost_summary,
            "gained_summary": self.gained_summary,
        }


ModelStatus = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class ModelDiff:
    """Everything that changed in one model."""

    model: str
    status: ModelStatus
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    repriced: tuple[Repriced, ...] = ()
    options: Changes = field(default_factory=Changes)  # other changes to options
    groups: Changes = field(default_factory=Changes)
    packages: Changes = field(default_factory=Changes)
    rules: Changes = field(default_factory=Changes)
    price_rules: Changes = field(default_factory=Changes)  # price rules and discounts
    programmes: Changes = field(default_factory=Changes)
    taxes: Changes = field(default_factory=Changes)
    other: tuple[str, ...] = ()  # identity, lead time, dates, history...
    configurations: Counts | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "status": self.status,
            "added": list(self.added),
            "removed": list(self.removed),
            "repriced": [r.as_dict() for r in self.repriced],
            "options": self.options.as_dict(),
            "groups": self.groups.as_dict(),
            "packages": self.packages.as_dict(),
            "rules": self.rules.as_dict(),
            "price_rules": self.price_rules.as_dict(),
            "programmes": self.programmes.as_dict(),
            "taxes": self.taxes.as_dict(),
            "other": list(self.other),
            "configurations": (
                self.configurations.as_dict() if self.configurations is not None else None
            ),
        }


OrderStatus = Literal["unchanged", "repriced", "invalid", "now-valid"]


@dataclass(frozen=True)
class OrderChange:
    """One order priced under both versions."""

    id: str
    model: str
    status: OrderStatus
    old_total: Decimal | None
    new_total: Decimal | None
    error_code: str | None = None  # under the new catalogs
    error: str | None = None
    old_error_code: str | None = None  # under the old catalogs

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model": self.model,
            "status": self.status,
            "old_total": money_json(self.old_total) if self.old_total is not None else None,
            "new_total": money_json(self.new_total) if self.new_total is not None else None,
            "error_code": self.error_code,
            "error": self.error,
            "old_error_code": self.old_error_code,
        }


@dataclass(frozen=True)
class TreeDiff:
    """The changed models (sorted by id) and, when asked, every order classified."""

    old: str
    new: str
    models: tuple[ModelDiff, ...]
    unchanged: tuple[str, ...]
    orders: tuple[OrderChange, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "models": [m.as_dict() for m in self.models],
            "unchanged": list(self.unchanged),
            "orders": [o.as_dict() for o in self.orders] if self.orders is not None else None,
        }


# --- structural comparison ----------------------------------------------------------------


def _dump(obj: Strict | None, skip: Sequence[str] = ()) -> dict[str, Any]:
    if obj is None:
        return {}
    data = obj.model_dump(mode="json", by_alias=True, exclude_defaults=False)
    return {k: v for k, v in data.items() if k not in skip}


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def _items(values: list[Any]) -> str:
    shown = ", ".join(_short(v) for v in values[:5])
    return shown + (f" and {len(values) - 5} more" if len(values) > 5 else "")


def _field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """'key: old -> new' for each key whose value differs; for lists (codes, table rows),
    the items added and removed."""
    found = []
    for key in dict.fromkeys([*old, *new]):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, list) and isinstance(after, list):
            keys_before = [json.dumps(v, sort_keys=True) for v in before]
            keys_after = [json.dumps(v, sort_keys=True) for v in after]
            plus = [v for v, k in zip(after, keys_after, strict=True) if k not in keys_before]
            minus = [v for v, k in zip(before, keys_before, strict=True) if k not in keys_after]
            parts = []
            if plus:
                parts.append(f"+ {_items(plus)}")
            if minus:
                parts.append(f"- {_items(minus)}")
            found.append(f"{key}: {'; '.join(parts) if parts else 'reordered'}")
            continue
        found.append(f"{key}: {_short(before)} -> {_short(after)}")
    return found


def _by_id(
    kind: str, old: Mapping[str, Strict], new: Mapping[str, Strict], skip: Sequence[str] = ()
) -> Changes:
    added = tuple(k for k in new if k not in old)
    removed = tuple(k for k in old if k not in new)
    changed: list[str] = []
    details = [f"{kind} '{k}' added" for k in added] + [f"{kind} '{k}' removed" for k in removed]
    for key in old:
        if key in new:
            differences = _field_changes(_dump(old[key], skip), _dump(new[key], skip))
            if differences:
                changed.append(key)
                details.append(f"{kind} '{key}': " + "; ".join(differences))
    return Changes(added, removed, tuple(changed), tuple(details))


def _groups(old: Catalog, new: Catalog) -> Changes:
    """Groups added, removed, and changed: cardinality, defaults, membership, names."""
    before = {g.id: g for g in old.groups}
    after = {g.id: g for g in new.groups}
    added = tuple(k for k in after if k not in before)
    removed = tuple(k for k in before if k not in after)
    details = [f"group '{k}' added" for k in added] + [f"group '{k}' removed" for k in removed]
    changed: list[str] = []
    for key, group in before.items():
        if key not in after:
            continue
        other = after[key]
        notes = []
        if (group.choose.min, group.choose.max) != (other.choose.min, other.choose.max):
            notes.append(f"choose {group.choose.describe()} -> {other.choose.describe()}")
        if group.default != other.default:
            notes.append(
                f"default {', '.join(group.default) or 'none'} -> "
                f"{', '.join(other.default) or 'none'}"
            )
        codes_before = [o.code for o in group.options]
        codes_after = [o.code for o in other.options]
        joined = [c for c in codes_after if c not in codes_before]
        left = [c for c in codes_before if c not in codes_after]
        if joined:
            notes.append(f"options in: {', '.join(joined)}")
        if left:
            notes.append(f"options out: {', '.join(left)}")
        if not joined and not left and codes_before != codes_after:
            notes.append("options reordered")
        skip = ("options", "choose", "default", "option_sets")
        notes += _field_changes(_dump(group, skip), _dump(other, skip))
        if notes:
            changed.append(key)
            details.append(f"group '{key}': " + "; ".join(notes))
    return Changes(added, removed, tuple(changed), tuple(details))


def _market_changes(old: Market | None, new: Market | None) -> Changes:
    if old is None or new is None:
        return Changes()
    changes = _by_id("tax", {t.id: t for t in old.taxes}, {t.id: t for t in new.taxes})
    extra = _field_changes(
        _dump(old, ("taxes", "exchange_rates", "source", "note", "name")),
        _dump(new, ("taxes", "exchange_rates", "source", "note", "name")),
    )
    if not extra:
        return changes
    return Changes(
        changes.added,
        changes.removed,
        (*changes.changed, "market"),
        (*changes.details, f"market '{new.id}': " + "; ".join(extra)),
    )


_OWN = ("groups", "packages", "rules", "tables", "price_rules", "discounts", "programmes")


def compare_models(
    old: Catalog | None,
    new: Catalog | None,
    old_market: Market | None = None,
    new_market: Market | None = None,
) -> ModelDiff | None:
    """The structural differences between two versions of a model (None: no difference)."""
    if old is None and new is None:
        raise ValueError("compare_models needs at least one catalog")
    if old is None or new is None:
        present = new if new is not None else old
        assert present is not None
        codes = tuple(sorted(present.codes()))
        return ModelDiff(
            model=present.id,
            status="added" if old is None else "removed",
            added=codes if old is None else (),
            removed=codes if new is None else (),
        )
    old_options = {o.code: o for g in old.groups for o in g.options}
    new_options = {o.code: o for g in new.groups for o in g.options}
    old_packages = old.package_index()
    new_packages = new.package_index()
    old_codes: dict[str, Option | Package] = {**old_options, **old_packages}
    new_codes: dict[str, Option | Package] = {**new_options, **new_packages}
    added = tuple(c for c in new_codes if c not in old_codes)
    removed = tuple(c for c in old_codes if c not in new_codes)
    repriced = [
        Repriced(code, old_codes[code].price, new_codes[code].price)
        for code in old_codes
        if code in new_codes and old_codes[code].price != new_codes[code].price
    ]
    if old.base_price != new.base_price:
        repriced.insert(0, Repriced("base_price", old.base_price, new.base_price))
    options = _by_id(
        "option",
        {c: o for c, o in old_options.items() if c in new_options},
        {c: o for c, o in new_options.items() if c in old_options},
        skip=("price",),
    )
    packages = _by_id(
        "package",
        {c: p for c, p in old_packages.items() if c in new_packages},
        {c: p for c, p in new_packages.items() if c in old_packages},
        skip=("price",),
    )
    rules = _by_id(
        "rule",
        {**{r.id: r for r in old.rules}, **{t.id: t for t in old.tables}},
        {**{r.id: r for r in new.rules}, **{t.id: t for t in new.tables}},
    )
    price_rules = _by_id(
        "price rule",
        {**{r.id: r for r in old.price_rules}, **{d.id: d for d in old.discounts}},
        {**{r.id: r for r in new.price_rules}, **{d.id: d for d in new.discounts}},
    )
    programmes = _by_id(
        "programme", {p.id: p for p in old.programmes}, {p.id: p for p in new.programmes}
    )
    other = tuple(
        _field_changes(
            _dump(old, (*_OWN, "base_price", "includes")),
            _dump(new, (*_OWN, "base_price", "includes")),
        )
    )
    diff = ModelDiff(
        model=new.id,
        status="changed",
        added=added,
        removed=removed,
        repriced=tuple(repriced),
        options=options,
        groups=_groups(old, new),
        packages=packages,
        rules=rules,
        price_rules=price_rules,
        programmes=programmes,
        taxes=_market_changes(old_market, new_market),
        other=other,
    )
    parts = (diff.options, diff.groups, diff.packages, diff.rules, diff.price_rules)
    if added or removed or repriced or other or any(parts) or diff.programmes or diff.taxes:
        return diff
    return None


# --- the solution spaces --------------------------------------------------------------------


class _Space:
    """One CUDD manager holding both versions' solution spaces over the codes."""

    def __init__(self, old_names: Sequence[str], new_names: Sequence[str]) -> None:
        import dd.cudd as cudd

        self.bdd = cudd.BDD()
        self.bdd.configure(reordering=True)
        self.ids: dict[str, str] = {}
        for name in [*old_names, *new_names]:
            if name not in self.ids:
                self.ids[name] = f"v{len(self.ids)}"
        self.bdd.declare(*self.ids.values())

    def rebuild(self, diagram: Any, rename: Mapping[str, str]) -> Any:
        """A compiled :class:`~configurator.rules.compile.Diagram` as a BDD of this manager
        (its variables renamed by ``rename``, default: kept)."""
        bdd = self.bdd
        nodes: list[Any] = [bdd.false, bdd.true] + [None] * (len(diagram.level) - 2)
        level, low, high, names = diagram.level, diagram.low, diagram.high, diagram.names
        for index in range(len(diagram.level) - 1, 1, -1):
            name = names[int(level[index])]
            var = bdd.var(self.ids[rename.get(name, name)])
            nodes[index] = bdd.ite(var, nodes[int(high[index])], nodes[int(low[index])])
        return nodes[diagram.root]

    def none_of(self, codes: Sequence[str]) -> Any:
        result = self.bdd.true
        for code in codes:
            result &= ~self.bdd.var(self.ids[code])
        return result

    def count(self, u: Any) -> int:
        """Satisfying assignments over every declared variable, exactly."""
        bdd = self.bdd
        total = len(bdd.vars)
        false, true = bdd.false, bdd.true
        memo: dict[int, int] = {}

        def level_of(v: Any) -> int:
            return total if v in (false, true) else int(v.level)

        def go(v: Any) -> int:
            if v == false:
                return 0
            if v == true:
                return 1
            key = int(v)
            if key in memo:
                return memo[key]
            low, high = v.low, v.high
            if v.negated:  # dd.cudd gives the children of the regular node
                low, high = ~low, ~high
            here = int(v.level)
            result = (go(low) << (level_of(low) - here - 1)) + (
                go(high) << (level_of(high) - here - 1)
            )
            memo[key] = result
            return result

        return go(u) << level_of(u)

    def example(
        self, u: Any, codes: Sequence[str], preferred: frozenset[str]
    ) -> tuple[str, ...] | None:
        """The member of ``u`` closest to ``preferred`` (the defaults): fewest codes chosen
        or left out against them, found as a shortest path; codes in ``codes``' order."""
        bdd = self.bdd
        if u == bdd.false:
            return None
        name_at = {int(bdd.level_of_var(vid)): name for name, vid in self.ids.items()}
        best: dict[int, tuple[float, Any, bool]] = {}  # node -> (cost, next node, value)

        def cost(v: Any) -> float:
            if v == bdd.false:
                return float("inf")
            if v == bdd.true:
                return 0.0
            key = int(v)
            if key not in best:
                low, high = v.low, v.high
                if v.negated:
                    low, high = ~low, ~high
                wanted = name_at[int(v.level)] in preferred
                via_low = cost(low) + (1 if wanted else 0)
                via_high = cost(high) + (0 if wanted else 1)
                best[key] = (via_high, high, True) if via_high < via_low else (via_low, low, False)
            return best[key][0]

        cost(u)
        chosen = {code for code in preferred if code in self.ids}
        v = u
        while v not in (bdd.false, bdd.true):
            _, following, value = best[int(v)]
            name = name_at[int(v.level)]
            if value:
                chosen.add(name)
            else:
                chosen.discard(name)
            v = following
        return tuple(code for code in codes if code in chosen)


def configuration_counts(old: Catalog, new: Catalog, on: dt.date | None = None) -> Counts:
    """Exact counts of valid configurations in each version, and of those lost and gained."""
    from configurator.rules.compile import compile_catalog

    old_compiled = compile_catalog(old, on)
    new_compiled = compile_catalog(new, on)
    old_codes = [*old_compiled.problem.options, *old_compiled.problem.packages]
    new_codes = [*new_compiled.problem.options, *new_compiled.problem.packages]
    old_aux = {a.name: f"old {a.name}" for a in old_compiled.problem.aux}
    new_aux = {a.name: f"new {a.name}" for a in new_compiled.problem.aux}
    space = _Space([*old_codes, *old_aux.values()], [*new_codes, *new_aux.values()])
    bdd = space.bdd
    old_root = space.rebuild(old_compiled.diagram, old_aux)
    new_root = space.rebuild(new_compiled.diagram, new_aux)
    old_root = bdd.exist({space.ids[n] for n in old_aux.values()}, old_root)
    new_root = bdd.exist({space.ids[n] for n in new_aux.values()}, new_root)
    known_old, known_new = set(old_codes), set(new_codes)
    old_root &= space.none_of([c for c in new_codes if c not in known_old])
    new_root &= space.none_of([c for c in old_codes if c not in known_new])
    lost = old_root & ~new_root
    gained = new_root & ~old_root
    scale = len(old_aux) + len(new_aux)  # quantified away: every count has them free
    codes = list(dict.fromkeys([*old_codes, *new_codes]))
    lost_example = space.example(lost, codes, _defaults(old))
    gained_example = space.example(gained, codes, _defaults(new))
    return Counts(
        old=space.count(old_root) >> scale,
        new=space.count(new_root) >> scale,
        lost=space.count(lost) >> scale,
        gained=space.count(gained) >> scale,
        lost_example=lost_example,
        gained_example=gained_example,
        lost_summary=against_defaults(lost_example, old),
        gained_summary=against_defaults(gained_example, new),
    )


def against_defaults(example: Sequence[str] | None, catalog: Catalog) -> str:
    """A configuration as its differences from the standard car: the codes chosen beyond the
    defaults, then 'without' the defaults left out ('' when there is no example)."""
    if example is None:
        return ""
    defaults = _defaults(catalog)
    chosen = set(example)
    extra = [code for code in example if code not in defaults]
    missing = [
        code
        for group in catalog.groups
        for code in group.default
        if code not in chosen
        and not any(o.code in chosen for o in group.options if o.code not in defaults)
    ]
    parts = []
    if extra:
        parts.append(", ".join(extra))
    if missing:
        parts.append("without " + ", ".join(missing))
    return "; ".join(parts) or "the standard car"


def _defaults(catalog: Catalog) -> frozenset[str]:
    return frozenset(code for group in catalog.groups for code in group.default)


# --- trees --------------------------------------------------------------------------------


def _load(tree: CatalogTree, model: str) -> Catalog | None:
    try:
        path = tree.model_path(model)
    except UsageError:
        return None
    return tree.load_file(path)


def _market(tree: CatalogTree, catalog: Catalog | None) -> Market | None:
    if catalog is None or not tree.market_path(catalog.market).is_file():
        return None
    return tree.load_market(catalog.market)


def diff_trees(
    old: CatalogTree,
    new: CatalogTree,
    models: Sequence[str] | None = None,
    on: dt.date | None = None,
    counts: bool = True,
) -> TreeDiff:
    """Compare every model (or ``models``) of two trees; count configurations of those that
    changed. A broken catalog in either tree raises one CatalogError naming every problem."""
    ids = list(models) if models else sorted(set(old.model_ids()) | set(new.model_ids()))
    if models:
        known = set(old.model_ids()) | set(new.model_ids())
        for model in models:
            if model not in known:
                new.model_path(model)  # raises UnknownModelError with suggestions
    problems = []
    loaded: dict[str, tuple[Catalog | None, Catalog | None]] = {}
    for model in ids:
        pair: list[Catalog | None] = []
        for tree in (old, new):
            try:
                pair.append(_load(tree, model))
            except CatalogError as error:
                problems += error.problems
                pair.append(None)
        loaded[model] = (pair[0], pair[1])
    if problems:
        raise CatalogError(list(dict.fromkeys(problems)))
    changed: list[ModelDiff] = []
    unchanged: list[str] = []
    for model, (before, after) in loaded.items():
        found = compare_models(before, after, _market(old, before), _market(new, after))
        if found is None:
            unchanged.append(model)
            continue
        if counts:
            found = _with_counts(found, before, after, on)
        changed.append(found)
    return TreeDiff(
        old=old.display(old.root),
        new=new.display(new.root),
        models=tuple(changed),
        unchanged=tuple(unchanged),
    )


def _with_counts(
    found: ModelDiff, before: Catalog | None, after: Catalog | None, on: dt.date | None
) -> ModelDiff:
    from dataclasses import replace

    from configurator.rules.engine import RulesEngine

    if before is not None and after is not None:
        counts = configuration_counts(before, after, on)
    else:
        present = after if after is not None else before
        assert present is not None
        total = RulesEngine(present, on).count()
        counts = Counts(
            old=total if before is not None else 0,
            new=total if after is not None else 0,
            lost=total if after is None else 0,
            gained=total if before is None else 0,
        )
    return replace(found, configurations=counts)


# --- a tree at a git revision ------------------------------------------------------------------


def _git(args: Sequence[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise UsageError("--rev needs git, which is not installed") from None
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        raise UsageError(f"git {' '.join(args)}: {message}")
    return done.stdout


@contextmanager
def tree_at_revision(root: Path, revision: str) -> Iterator[CatalogTree]:
    """The catalog tree ``root`` as it was at a git revision, checked out into a temporary
    folder (removed afterwards). Usage errors: not in a git repository, unknown revision."""
    root = root.resolve()
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], root).strip())
    except UsageError:
        raise UsageError(
            f"'{root}' is not in a git repository: --rev compares a tree with its state at a "
            f"revision of its repository (or give two trees, OLD and NEW)"
        ) from None
    inside = root.relative_to(top.resolve()).as_posix()
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], root)
    except UsageError:
        raise UsageError(
            f"unknown git revision '{revision}' (e.g. main, HEAD~1, a commit id or a tag)"
        ) from None
    listed = _git(["ls-tree", "-r", "-z", "--name-only", revision, "--", inside or "."], top)
    folder = Path(tempfile.mkdtemp(prefix="configurator-rev-"))
    try:
        base = folder / "catalogs"
        base.mkdir()
        for name in filter(None, listed.split("\0")):
            relative = Path(name).relative_to(inside) if inside else Path(name)
            target = base / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            content = subprocess.run(
                ["git", "show", f"{revision}:{name}"], cwd=top, capture_output=True, check=True
            ).stdout
            target.write_bytes(content)
        yield CatalogTree(base)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- orders ----------------------------------------------------------------------------------


def _batch_rows(
    tree: CatalogTree, path: str, input_format: str | None, on: dt.date
) -> list[dict[str, Any]]:
    from configurator.batch import (
        Settings,
        Summary,
        input_format_for,
        market_tax_ids,
        run_batch,
    )

    kind = input_format_for(path, input_format)
    settings = Settings(
        catalogs=str(tree.root),
        default_date=on,
        tax_ids=market_tax_ids(tree.root),
        output_format="jsonl",
    )
    sink = io.StringIO()
    try:
        source = open(path, encoding="utf-8", newline="")  # noqa: SIM115 - closed below
    except OSError as error:
        raise UsageError(f"cannot read '{path}': {error.strerror}") from None
    with source:
        run_batch(source, sink, input_format=kind, settings=settings, summary=Summary(), name=path)
    return [json.loads(line) for line in sink.getvalue().splitlines() if line.strip()]


def _amount(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def classify_orders(
    old: CatalogTree,
    new: CatalogTree,
    path: str,
    input_format: str | None = None,
    on: dt.date | None = None,
) -> tuple[OrderChange, ...]:
    """Price every order of a batch input under both trees and classify it: ``unchanged``,
    ``repriced`` (old and new totals), ``invalid`` under the new catalogs (error code and
    explanation; ``old_error_code`` says whether it already was), or ``now-valid``."""
    day = on or dt.date.today()
    before = _batch_rows(old, path, input_format, day)
    after = _batch_rows(new, path, input_format, day)
    result = []
    for row_old, row_new in zip(before, after, strict=True):
        old_ok = row_old["status"] == "ok"
        new_ok = row_new["status"] == "ok"
        old_total, new_total = _amount(row_old.get("total")), _amount(row_new.get("total"))
        status: OrderStatus
        if not new_ok:
            status = "invalid"
        elif not old_ok:
            status = "now-valid"
        else:
            status = "unchanged" if old_total == new_total else "repriced"
        result.append(
            OrderChange(
                id=str(row_new.get("id") or row_old.get("id") or ""),
                model=str(row_new.get("model") or ""),
                status=status,
                old_total=old_total,
                new_total=new_total,
                error_code=None if new_ok else row_new.get("error_code"),
                error=None if new_ok else row_new.get("error"),
                old_error_code=None if old_ok else row_old.get("error_code"),
            )
        )
    return tuple(result)


def describe_counts(counts: Counts) -> str:
    """'2,765,664 -> 2,397,888 (367,776 lost, 0 gained)'."""
    return f"{counts.old:,} -> {counts.new:,} ({counts.lost:,} lost, {counts.gained:,} gained)"
