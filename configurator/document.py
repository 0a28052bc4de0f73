"""What the buyer reads: a :class:`QuoteDocument` built from a quote and its catalog.

The document is the quote laid out for a buyer: names in the document's language (with the
other language's name beside them where the catalog has one), package lines with their
contents, the reference and validity of the offer, who it is for and from whom, and the
estimated delivery date. Every amount is the quote's own :class:`~decimal.Decimal`, untouched:
the document adds no arithmetic but dates. Renderers (``configurator.render.html``) lay it
out; nothing here knows about HTML.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from configurator.errors import UsageError
from configurator.quote import Conversion, LineKind, ProgrammeProgress, Quote, Threshold

if TYPE_CHECKING:  # the schema imports pydantic; only the builder needs the catalog
    from configurator.catalog.schema import Catalog, Market

Language = Literal["en", "zh-CN"]
LANGUAGES: tuple[Language, ...] = ("en", "zh-CN")
DEFAULT_VALID_DAYS = 30
MAX_VALID_DAYS = 366


@dataclass(frozen=True, kw_only=True)
class Name:
    """A name in the document's language, and in the other language where one exists."""

    text: str
    other: str | None = None  # e.g. the Chinese name in an English document


@dataclass(frozen=True, kw_only=True)
class PackageItem:
    """An option a package includes, at no extra cost."""

    code: str
    name: Name
    value: str | None = None
    swatch: str | None = None


@dataclass(frozen=True, kw_only=True)
class DocumentLine:
    """One priced line: the car, an option, a package (with its contents), a price rule or a
    discount. Lines of options a package includes are the package's ``contents``."""

    kind: LineKind
    group: str | None  # group id of an option
    group_name: Name | None
    code: str | None  # option or package code; the rule or discount id otherwise
    name: Name
    value: str | None  # what the buyer supplied (a custom badge's text)
    swatch: str | None  # "#RRGGBB"
    note: str | None
    amount: Decimal
    contents: tuple[PackageItem, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DocumentTax:
    """A tax the buyer owes, with its explanation from the pricing engine."""

    id: str
    name: Name
    kind: str
    base: Decimal
    base_kind: Literal["net", "gross"]
    rate: Decimal | None
    amount: Decimal
    explanation: str


@dataclass(frozen=True, kw_only=True)
class DocumentProgramme:
    """Progress towards a programme's minimum spend."""

    name: Name
    progress: ProgrammeProgress

    @property
    def fraction(self) -> Decimal:
        """Spend over minimum, capped at 1 (1 when there is no minimum)."""
        if not self.progress.minimum:
            return Decimal(1)
        return min(Decimal(1), self.progress.spend / self.progress.minimum)


@dataclass(frozen=True, kw_only=True)
class QuoteDocument:
    """A quote for a buyer: everything the terminal quote shows, and the offer's terms."""

    language: Language
    reference: str
    issued: dt.date
    valid_until: dt.date
    valid_days: int
    customer: str | None
    dealer: str | None
    brand: str
    model: str
    model_name: Name
    catalog_version: str
    market: str
    currency: str
    lines: tuple[DocumentLine, ...]
    subtotal: Decimal
    net: Decimal
    vat: Decimal
    vat_rate: Decimal
    prices_include_vat: bool
    taxes: tuple[DocumentTax, ...]
    total: Decimal
    deposit: Decimal
    delivery_weeks: int
    delivery_estimate: dt.date
    programmes: tuple[DocumentProgramme, ...]
    thresholds: tuple[Threshold, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    conversions: tuple[Conversion, ...] = field(default=())
    code: str

    @property
    def taxes_owed(self) -> Decimal:
        """The taxes added to the subtotal."""
        return sum((tax.amount for tax in self.taxes), Decimal(0))


def quote_reference(quote: Quote) -> str:
    """A reference for the offer, from its date and code: ``Q-20260301-7K2M9XQ4``.

    The same configuration priced on the same day has the same reference, so a reprinted
    document is the same document.
    """
    compact = quote.code.replace("-", "")
    return f"Q-{quote.date:%Y%m%d}-{compact[:8]}"


def _name(text: str, names: dict[str, str] | None, language: Language) -> Name:
    translated = (names or {}).get("zh-CN")
    if language == "zh-CN":
        if translated:
            return Name(text=translated, other=text if translated != text else None)
        return Name(text=text)
    return Name(text=text, other=translated if translated and translated != text else None)


def _check_text(label: str, value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if not cleaned:
        return None
    if len(cleaned) > 200:
        raise UsageError(f"{label} is {len(cleaned)} characters long: at most 200, please")
    return cleaned


def build_document(
    quote: Quote,
    catalog: Catalog,
    market: Market,
    *,
    language: Language = "en",
    valid_days: int = DEFAULT_VALID_DAYS,
    customer: str | None = None,
    dealer: str | None = None,
) -> QuoteDocument:
    """Lay out ``quote`` (priced from ``catalog`` in ``market``) for a buyer.

    ``valid_days`` (1 to 366) counts from the quote's date; customer and dealer names are the
    buyer's and dealer's text, kept as given (whitespace collapsed, at most 200 characters).
    A :class:`~configurator.errors.UsageError` for anything else.
    """
    if language not in LANGUAGES:
        raise UsageError(
            f"--lang '{language}' is not a document language: choose {' or '.join(LANGUAGES)}"
        )
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise UsageError(
            f"--valid-days {valid_days}: an offer is valid for 1 to {MAX_VALID_DAYS} days"
        )
    options = catalog.option_index()
    groups = {group.id: group for group in catalog.groups}
    programme_names = {p.id: p.names for p in catalog.programmes}
    tax_names = {tax.id: tax.names for tax in market.taxes}

    def option_name(code: str | None, fallback: str) -> Name:
        found = options.get(code or "")
        return _name(fallback, found[1].names if found else None, language)

    lines: list[DocumentLine] = []
    for line in quote.lines:
        if line.kind == "included" and lines and lines[-1].kind == "package":
            package = lines[-1]
            item = PackageItem(
                code=line.code or "",
                name=option_name(line.code, line.name),
                value=line.value,
                swatch=line.swatch,
            )
            lines[-1] = _with_contents(package, (*package.contents, item))
            continue
        group = groups.get(line.group or "")
        if line.kind == "base":
            name = _name(line.name, catalog.names, language)
        elif line.kind in ("option", "included"):
            name = option_name(line.code, line.name)
        else:
            name = Name(text=line.name)
        lines.append(
            DocumentLine(
                kind=line.kind,
                group=line.group,
                group_name=_name(group.name, group.names, language) if group else None,
                code=line.id if line.kind in ("discount", "price_rule") else line.code,
                name=name,
                value=line.value,
                swatch=line.swatch,
                note=line.note,
                amount=line.amount,
            )
        )
    owed = [tax for tax in quote.taxes if tax.paid_by_buyer]
    return QuoteDocument(
        language=language,
        reference=quote_reference(quote),
        issued=quote.date,
        valid_until=quote.date + dt.timedelta(days=valid_days),
        valid_days=valid_days,
        customer=_check_text("--customer", customer),
        dealer=_check_text("--dealer", dealer),
        brand=quote.brand,
        model=quote.model,
        model_name=_name(quote.model_name, catalog.names, language),
        catalog_version=quote.catalog_version,
        market=quote.market,
        currency=quote.currency,
        lines=tuple(lines),
        subtotal=quote.subtotal,
        net=quote.net,
        vat=quote.vat,
        vat_rate=quote.vat_rate,
        prices_include_vat=quote.prices_include_vat,
        taxes=tuple(
            DocumentTax(
                id=tax.id,
                name=_name(tax.name, tax_names.get(tax.id), language),
                kind=tax.kind,
                base=tax.base,
                base_kind=tax.base_kind,
                rate=tax.rate,
                amount=tax.amount,
                explanation=tax.explanation,
            )
            for tax in owed
        ),
        total=quote.total,
        deposit=quote.deposit,
        delivery_weeks=quote.delivery_weeks,
        delivery_estimate=quote.date + dt.timedelta(weeks=quote.delivery_weeks),
        programmes=tuple(
            DocumentProgramme(name=_name(p.name, programme_names.get(p.id), language), progress=p)
            for p in quote.programmes
        ),
        thresholds=tuple(quote.thresholds),
        warnings=tuple(quote.warnings),
        notes=tuple(quote.notes),
        conversions=tuple(quote.conversions),
        code=quote.code,
    )


def _with_contents(line: DocumentLine, contents: tuple[PackageItem, ...]) -> DocumentLine:
    from dataclasses import replace

    return replace(line, contents=contents)
