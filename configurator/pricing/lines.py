"""What each line of a quote costs: the base price, options at their list price, packages
with the options they include at 0, price rules (the difference they make) and discounts
(negative), in that order; the subtotal is their sum.

Sums of catalog prices are exact; only a percentage discount is rounded
(:func:`configurator.money.percent_of`: to the cent, half up). A discount never takes the
running total below zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from configurator.configuration import Selection
from configurator.money import ZERO, format_money, percent_of
from configurator.pricing.taxes import percent_text
from configurator.pricing.validity import Predicate, compile_sources, expr_source
from configurator.quote import QuoteLine, construct

if TYPE_CHECKING:
    from configurator.catalog.schema import Catalog


class OptionFacts(NamedTuple):
    group: str
    group_name: str
    name: str
    price: Decimal
    swatch: str | None


class PackageFacts(NamedTuple):
    name: str
    price: Decimal
    includes: tuple[str, ...]


class DiscountFacts(NamedTuple):
    id: str
    reason: str
    amount: Decimal | None
    percent: Decimal | None


class PricedLines(NamedTuple):
    """The lines of a selection, what each of its codes is charged, and their sum."""

    lines: list[QuoteLine]
    charged: dict[str, Decimal]  # options (0 inside a package, a price rule's price) and packages
    subtotal: Decimal


# A price rule as data: (source of its condition, the price it sets, its quote line).
PriceRuleSpec = tuple[str, Decimal, QuoteLine]
# A discount as data: (its facts, source of its condition, the codes it applies to).
DiscountSpec = tuple[DiscountFacts, str, frozenset[str]]


def _quote_line(kind: str, name: str, amount: Decimal, **fields: Any) -> QuoteLine:
    found: dict[str, Any] = dict.fromkeys(
        ("code", "id", "group", "group_name", "value", "swatch", "note")
    )
    found.update(fields)
    return construct(QuoteLine, kind=kind, name=name, amount=amount, **found)


class LineBook:
    """A catalog's lines, prebuilt where they do not depend on the buyer, and its price
    rules and discounts with compiled conditions. Plain data once pickled."""

    def __init__(
        self, catalog: Catalog, names: Mapping[str, str], group_of: Mapping[str, str]
    ) -> None:
        from configurator.expr import parse  # imported when a book is built, not loaded

        self._names = names
        self.options: dict[str, OptionFacts] = {}
        for group in catalog.groups:
            for option in group.options:
                self.options[option.code] = OptionFacts(
                    group.id, group.name, option.name, option.price, option.swatch
                )
        self.packages = {
            package.code: PackageFacts(package.name, package.price, tuple(package.includes))
            for package in catalog.packages
        }
        self._rule_specs: dict[str, list[PriceRuleSpec]] = {}
        for rule in catalog.price_rules:
            list_price = self.options[rule.option].price if rule.option in self.options else ZERO
            line = _quote_line(
                "price_rule",
                rule.reason,
                rule.price - list_price,
                code=rule.option,
                id=rule.id,
                group=group_of.get(rule.option),
                note=f"{names.get(rule.option, rule.option)}: {format_money(rule.price)} "
                f"instead of {format_money(list_price)}",
            )
            self._rule_specs.setdefault(rule.option, []).append(
                (expr_source(parse(rule.when)), rule.price, line)
            )
        self._discount_specs: list[DiscountSpec] = [
            (
                DiscountFacts(d.id, d.reason, d.amount, d.percent),
                expr_source(parse(d.when)),
                frozenset(d.of),
            )
            for d in catalog.discounts
        ]
        self._line_cache: dict[tuple[str, str, str | None], QuoteLine] = {}
        self._list_price = {code: facts.price for code, facts in self.options.items()}
        self._list_price.update((code, facts.price) for code, facts in self.packages.items())
        self._base_line = _quote_line(
            "base",
            f"{catalog.name} ({catalog.model_year})",
            catalog.base_price,
            note="base price",
        )
        self._compile()

    def _compile(self) -> None:
        """Compile the conditions (a pickled book carries their source, not the functions)."""
        rule_items = [
            (code, when, rule_price, line)
            for code, specs in self._rule_specs.items()
            for when, rule_price, line in specs
        ]
        conditions = compile_sources(
            [item[1] for item in rule_items] + [spec[1] for spec in self._discount_specs]
        )
        self._price_rules: dict[str, list[tuple[Predicate, Decimal, QuoteLine]]] = {}
        for (code, _, rule_price, line), holds in zip(rule_items, conditions, strict=False):
            self._price_rules.setdefault(code, []).append((holds, rule_price, line))
        # an option's line when chosen, and as a default ("standard"), without a value
        self._chosen_lines: dict[str, QuoteLine] = {}
        self._standard_lines: dict[str, QuoteLine] = {}
        discount_conditions = conditions[len(rule_items) :]
        self._discounts = [
            (facts, holds, of)
            for (facts, _, of), holds in zip(self._discount_specs, discount_conditions, strict=True)
        ]

    @property
    def base_price(self) -> Decimal:
        """The catalog's base price."""
        return self._base_line.amount

    @property
    def list_prices(self) -> Mapping[str, Decimal]:
        """Each option's and package's list price."""
        return self._list_price

    @property
    def price_rules(self) -> Mapping[str, list[tuple[Predicate, Decimal, QuoteLine]]]:
        """Per option, its price rules in catalog order: condition, price, quote line."""
        return self._price_rules

    @property
    def price_rule_sources(self) -> Mapping[str, list[tuple[str, Decimal]]]:
        """Per option, its price rules in catalog order: the source of the condition
        (:func:`~configurator.pricing.validity.expr_source`) and the price it sets."""
        return {
            code: [(when, rule_price) for when, rule_price, _ in specs]
            for code, specs in self._rule_specs.items()
        }

    @property
    def discount_specs(self) -> list[DiscountSpec]:
        """Each discount in catalog order: its facts, the source of its condition and the
        codes it applies to (none: the whole car)."""
        return list(self._discount_specs)

    @property
    def discount_conditions(self) -> list[Predicate]:
        """The condition of each discount, in catalog order."""
        return [holds for _, holds, _ in self._discounts]

    def __getstate__(self) -> dict[str, Any]:
        made = ("_price_rules", "_discounts", "_chosen_lines", "_standard_lines")
        return {k: v for k, v in self.__dict__.items() if k not in made}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._compile()

    def priced(
        self, selection: Selection, ordered: list[str], values: Mapping[str, str]
    ) -> PricedLines:
        """The lines of a complete selection (``ordered``: its codes in catalog order)."""
        lines = [self._base_line]
        charged: dict[str, Decimal] = {}
        self._item_lines(selection, ordered, values, lines, charged)
        self._price_rule_lines(selection, ordered, lines, charged)
        subtotal = self._discount_lines(selection.codes, lines, charged)
        return PricedLines(lines, charged, subtotal)

    def _item_lines(
        self,
        selection: Selection,
        ordered: list[str],
        values: Mapping[str, str],
        lines: list[QuoteLine],
        charged: dict[str, Decimal],
    ) -> None:
        """Options in catalog order, then each package followed by the options it includes."""
        chosen, packaged, brought = selection.chosen, selection.packaged, selection.brought
        packages: list[str] = []
        chosen_lines, standard_lines = self._chosen_lines, self._standard_lines
        package_facts = self.packages
        for code in ordered:
            if code in package_facts:
                packages.append(code)
                continue
            if packaged and code in packaged:
                charged[code] = ZERO
                continue
            value = values.get(code) if values else None
            if code in chosen:
                line = chosen_lines.get(code) if value is None else None
                if line is None:
                    line = self._line("option", code, None, value)
                    if value is None:
                        chosen_lines[code] = line
            elif code in brought:
                line = self._line("option", code, f"comes with {self._names[brought[code]]}", value)
            else:
                line = standard_lines.get(code) if value is None else None
                if line is None:
                    line = self._line("option", code, "standard", value)
                    if value is None:
                        standard_lines[code] = line
            lines.append(line)
            charged[code] = line.amount
        for code in packages:
            package = self.packages[code]
            lines.append(self._line("package", code, None, None))
            charged[code] = package.price
            note = f"included in {package.name}"
            for included in package.includes:
                if packaged.get(included) == code:
                    lines.append(self._line("included", included, note, values.get(included)))

    def _price_rule_lines(
        self,
        selection: Selection,
        ordered: list[str],
        lines: list[QuoteLine],
        charged: dict[str, Decimal],
    ) -> None:
        """The first price rule of each option (not inside a package) whose condition holds."""
        for code, rule_price, rule_line in self.applied_rules(selection, ordered):
            lines.append(rule_line)
            charged[code] = rule_price

    def applied_rules(
        self, selection: Selection, codes: Iterable[str]
    ) -> Iterator[tuple[str, Decimal, QuoteLine]]:
        """For each of ``codes`` (an option not inside a package) with a price rule whose
        condition holds, the first such rule: the code, its price and its quote line."""
        chosen, packaged = selection.codes, selection.packaged
        for code in codes:
            rules = self._price_rules.get(code)
            if rules is None or code in packaged:
                continue
            for holds, rule_price, rule_line in rules:
                if holds(chosen):
                    yield code, rule_price, rule_line
                    break

    def charges(self, selection: Selection) -> tuple[dict[str, Decimal], Decimal]:
        """What each code of a complete selection is charged, and the subtotal: the figures
        of :meth:`priced` without its lines (batch pricing writes only the figures; tests
        check they agree). Sums of catalog prices are exact, so their order does not
        matter."""
        packaged = selection.packaged
        list_price = self._list_price
        if packaged:  # what a package includes is charged 0 (the package is charged)
            packages = self.packages
            charged = {
                code: ZERO if code in packaged and code not in packages else list_price[code]
                for code in selection.codes
            }
        else:
            charged = {code: list_price[code] for code in selection.codes}
        running = sum(charged.values(), self._base_line.amount)
        if self._price_rules:
            for code, rule_price, rule_line in self.applied_rules(selection, selection.codes):
                running += rule_line.amount
                charged[code] = rule_price
        return charged, self._discounted(selection.codes, running, charged, None)

    def _discount_lines(
        self, codes: frozenset[str], lines: list[QuoteLine], charged: dict[str, Decimal]
    ) -> Decimal:
        """Each discount whose condition holds, in catalog order; return the subtotal."""
        running = sum((line.amount for line in lines), ZERO)
        return self._discounted(codes, running, charged, lines)

    def _discounted(
        self,
        codes: frozenset[str],
        running: Decimal,
        charged: dict[str, Decimal],
        lines: list[QuoteLine] | None,
    ) -> Decimal:
        """The subtotal after each discount whose condition holds (in catalog order), each
        appended to ``lines`` when given."""
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
            if lines is not None:
                lines.append(
                    _quote_line("discount", discount.reason, -reduction, id=discount.id, note=how)
                )
        return running

    def _line(self, kind: str, code: str, note: str | None, value: str | None) -> QuoteLine:
        key = (kind, code, note)
        if value is None:
            cached = self._line_cache.get(key)
            if cached is not None:
                return cached
        if code in self.packages:
            package = self.packages[code]
            line = _quote_line(kind, package.name, package.price, code=code, note=note)
        else:
            option = self.options[code]
            line = _quote_line(
                kind,
                option.name,
                ZERO if kind == "included" else option.price,
                code=code,
                group=option.group,
                group_name=option.group_name,
                value=value,
                swatch=option.swatch,
                note=note,
            )
        if value is None:
            self._line_cache[key] = line
        return line
