"""Checks of meaning that the schema alone cannot express: references, uniqueness, defaults.

Each check returns problems (never raises) so that one run reports every mistake.
"""

from __future__ import annotations

from collections.abc import Collection

from configurator.catalog.schema import Market, Sections, Strict, Tax, TaxPeriod
from configurator.errors import Location, Problem, did_you_mean
from configurator.expr import ExprSyntaxError, parse, variables

_UNKNOWN = Location("?")


def _at(obj: Strict, *subpath: str | int) -> Location:
    return obj.where_of(*subpath) or _UNKNOWN


class _Checker:
    def __init__(self, catalog: Sections, tolerate: Collection[str], references: bool) -> None:
        self.catalog = catalog
        self.tolerate = set(tolerate)
        self.references = references
        self.problems: list[Problem] = []
        self.option_codes = [o.code for g in catalog.groups for o in g.options]
        self.package_codes = [p.code for p in catalog.packages]
        self.all_codes = set(self.option_codes) | set(self.package_codes)

    def add(self, location: Location, code: str, message: str) -> None:
        self.problems.append(Problem(location, code, message))

    def unknown(self, location: Location, code: str, context: str) -> None:
        if not self.references or code in self.tolerate:
            return  # the code may be defined where we cannot see (a broken or absent part)
        hint = did_you_mean(code, self.all_codes)
        self.add(
            location,
            "unknown-code",
            f"{context} names unknown option code '{code}'" + (f": {hint}" if hint else ""),
        )

    def known(self, code: str, location: Location, context: str) -> None:
        if code not in self.all_codes:
            self.unknown(location, code, context)

    def expression(self, owner: Strict, field: str, text: str, context: str) -> None:
        try:
            expr = parse(text)
        except ExprSyntaxError as exc:
            where = owner.where_in(field, offset=exc.column) or _at(owner, field)
            self.add(where, "bad-expression", f"{context}: {exc.message}")
            return
        for var in variables(expr):
            if var.code not in self.all_codes:
                where = owner.where_in(field, offset=var.column) or _at(owner, field)
                self.unknown(where, var.code, context)

    def run(self) -> list[Problem]:
        self.uniqueness()
        self.groups()
        self.packages()
        self.rules()
        self.tables()
        self.prices()
        self.programmes()
        return self.problems

    def uniqueness(self) -> None:
        seen: dict[str, Location] = {}
        for group in self.catalog.groups:
            for option in group.options:
                self._once(seen, option.code, _at(option, "code"), "option code")
        for package in self.catalog.packages:
            self._once(seen, package.code, _at(package, "code"), "code")
        for kind, items in (
            ("group id", self.catalog.groups),
            ("rule id", [*self.catalog.rules, *self.catalog.tables]),
            ("price rule id", [*self.catalog.price_rules, *self.catalog.discounts]),
            ("programme id", self.catalog.programmes),
        ):
            ids: dict[str, Location] = {}
            for item in items:
                self._once(ids, item.id, _at(item, "id"), kind)  # type: ignore[attr-defined]

    def _once(self, seen: dict[str, Location], key: str, where: Location, kind: str) -> None:
        if key in seen:
            first = seen[key]
            self.add(
                where,
                "duplicate-code" if "code" in kind else "duplicate-id",
                f"duplicate {kind} '{key}' (first defined at {first})",
            )
        else:
            seen[key] = where

    def groups(self) -> None:
        for group in self.catalog.groups:
            if not group.options:
                if self.references and group.id not in self.tolerate:
                    self.add(_at(group), "empty-group", f"group '{group.id}' has no options")
                continue
            if group.under is not None:
                self.known(group.under, _at(group, "under"), f"group '{group.id}' under")
            own = {o.code for o in group.options}
            own_values = {o.code: o.value is not None for o in group.options}
            for index, code in enumerate(group.default):
                if code not in own:
                    where = _at(group, "default", index)
                    if code in self.all_codes and code not in self.tolerate:
                        self.add(
                            where,
                            "default-not-in-group",
                            f"default '{code}' of group '{group.id}' belongs to another group",
                        )
                    else:
                        self.unknown(where, code, f"default of group '{group.id}'")
            count = len(set(group.default))
            if not group.choose.allows(count):
                self.add(
                    _at(group, "default"),
                    "default-cardinality",
                    f"group '{group.id}' chooses {group.choose.describe()} but its defaults "
                    f"choose {count}: the standard car must be a complete configuration",
                )
            values = [code for code in group.default if code in own and own_values.get(code)]
            for code in values:
                self.add(
                    _at(group, "default", group.default.index(code)),
                    "default-needs-value",
                    f"default '{code}' of group '{group.id}' needs a value from the buyer, so it "
                    f"cannot be chosen by default",
                )
            for option in group.options:
                for index, code in enumerate(option.brings):
                    self.known(code, _at(option, "brings", index), f"option '{option.code}' brings")

    def packages(self) -> None:
        for package in self.catalog.packages:
            for index, code in enumerate(package.includes):
                where = _at(package, "includes", index)
                if code in self.package_codes:
                    self.add(where, "nested-package", "a package may not include a package")
                elif code not in self.option_codes:
                    self.unknown(where, code, f"package '{package.code}'")

    def rules(self) -> None:
        for rule in self.catalog.rules:
            context = f"rule '{rule.id}'"
            if rule.option is not None:
                self.known(rule.option, _at(rule, "option"), context)
            if rule.requires is not None:
                self.expression(rule, "requires", rule.requires, context)
            for index, code in enumerate(rule.excludes or []):
                self.known(code, _at(rule, "excludes", index), context)
            if rule.if_ is not None:
                self.expression(rule, "if", rule.if_, context)
            if rule.then is not None:
                self.expression(rule, "then", rule.then, context)

    def tables(self) -> None:
        groups = {g.id: g for g in self.catalog.groups}
        for table in self.catalog.tables:
            members: list[set[str] | None] = []
            for index, group_id in enumerate(table.groups):
                group = groups.get(group_id)
                if group is None:
                    members.append(None)
                    if not self.references or group_id in self.tolerate:
                        continue
                    hint = did_you_mean(group_id, groups)
                    self.add(
                        _at(table, "groups", index),
                        "unknown-group",
                        f"table '{table.id}' names unknown group '{group_id}'"
                        + (f": {hint}" if hint else ""),
                    )
                else:
                    members.append({o.code for o in group.options})
            reported = 0
            for row_index, row in enumerate(table.rows):
                if reported >= 20:
                    break  # a broken table of 50,000 rows is reported, not recited
                where = _at(table, "rows", row_index)
                if len(row) != len(table.groups):
                    self.add(
                        where,
                        "table-row-length",
                        f"table '{table.id}' row {row_index + 1} has {len(row)} codes "
                        f"for {len(table.groups)} groups",
                    )
                    reported += 1
                    continue
                for code, allowed, group_id in zip(row, members, table.groups, strict=True):
                    if allowed is not None and code not in allowed:
                        self.add(
                            where,
                            "table-code-not-in-group",
                            f"table '{table.id}' row {row_index + 1}: '{code}' is not an option "
                            f"of group '{group_id}'",
                        )
                        reported += 1

    def prices(self) -> None:
        for price_rule in self.catalog.price_rules:
            context = f"price rule '{price_rule.id}'"
            self.known(price_rule.option, _at(price_rule, "option"), context)
            self.expression(price_rule, "when", price_rule.when, context)
        for discount in self.catalog.discounts:
            context = f"discount '{discount.id}'"
            self.expression(discount, "when", discount.when, context)
            for index, code in enumerate(discount.of):
                self.known(code, _at(discount, "of", index), context)

    def programmes(self) -> None:
        members: dict[str, str] = {}
        for programme in self.catalog.programmes:
            for index, code in enumerate(programme.options):
                where = _at(programme, "options", index)
                self.known(code, where, f"programme '{programme.id}'")
                if code in members and members[code] != programme.id:
                    self.add(
                        where,
                        "programme-overlap",
                        f"option '{code}' is in programmes '{members[code]}' and "
                        f"'{programme.id}': an option belongs to one programme at most",
                    )
                members[code] = programme.id


def check_catalog(
    catalog: Sections, *, tolerate: Collection[str] = (), references: bool = True
) -> list[Problem]:
    """Every problem of meaning in a merged catalog (or a fragment, or the valid part of one).

    ``tolerate`` lists codes and ids that exist but failed validation: references to them are
    not reported as unknown. ``references=False`` skips every check that needs to know all
    the codes (a fragment alone, or a catalog whose include is missing).
    """
    return _Checker(catalog, tolerate, references).run()


def check_market(market: Market, expected_id: str | None = None) -> list[Problem]:
    """Problems of meaning in a market file."""
    problems: list[Problem] = []
    if expected_id is not None and market.id != expected_id:
        problems.append(
            Problem(
                _at(market, "id"),
                "id-mismatch",
                f"market id '{market.id}' does not match its file name '{expected_id}.yaml'",
            )
        )
    ids: set[str] = set()
    for tax in market.taxes:
        if tax.id in ids:
            problems.append(Problem(_at(tax, "id"), "duplicate-id", f"duplicate tax id '{tax.id}'"))
        ids.add(tax.id)
    for tax in market.taxes:
        problems += _shadowed_periods(tax)
    dates = [rate.date for rate in market.exchange_rates]
    if len(dates) != len(set(dates)):
        problems.append(
            Problem(
                _at(market, "exchange_rates"), "duplicate-id", "two exchange rates share a date"
            )
        )
    return problems


def _covers_all_of(earlier: TaxPeriod, later: TaxPeriod) -> bool:
    """Whether every car and date ``later`` covers is covered by ``earlier`` first."""
    if earlier.from_ is not None and (later.from_ is None or later.from_ < earlier.from_):
        return False
    if earlier.until is not None and (later.until is None or later.until > earlier.until):
        return False
    if earlier.powertrains is not None and (
        later.powertrains is None or not set(later.powertrains) <= set(earlier.powertrains)
    ):
        return False
    return earlier.nev is None or earlier.nev == later.nev


def _shadowed_periods(tax: Tax) -> list[Problem]:
    """A warning for each period that never applies: an earlier period (the first that
    covers a car and a date wins) covers every car and date it covers."""
    found = []
    for index, period in enumerate(tax.periods):
        for earlier_index, earlier in enumerate(tax.periods[:index]):
            if _covers_all_of(earlier, period):
                written = earlier.where_of()
                line = written.line if written is not None else 0
                found.append(
                    Problem(
                        period.where_of() or _at(tax, "periods", index),
                        "shadowed-period",
                        f"period {index + 1} of tax '{tax.id}' never applies: period "
                        f"{earlier_index + 1}"
                        + (f" (line {line})" if line else "")
                        + " comes first and covers every car and date it covers",
                        severity="warning",
                    )
                )
                break
    return found
