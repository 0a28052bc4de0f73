"""Printable HTML documents: the buyer's quote and the side-by-side comparison.

One self-contained file each: inline CSS, no script, nothing loaded from the network, fonts
from the system with CJK fallbacks. Every text that comes from data (catalog names, the buyer's
values, customer and dealer names) goes through :func:`html.escape`; colours are written only
when they are ``#RRGGBB``. The print stylesheet sets A4 pages with margins, keeps a line, a
package with its contents and the totals each on one page, and repeats the reference and page
number at the foot of every page.

Plain string building: the documents are a few fixed structures, and a template engine would
be a dependency that buys nothing here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

from configurator.document import DocumentLine, Language, Name, QuoteDocument
from configurator.money import format_money

if TYPE_CHECKING:
    from configurator.compare import Comparison

_HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")

LABELS: dict[str, dict[Language, str]] = {
    "quote": {"en": "Quote", "zh-CN": "报价单"},
    "comparison": {"en": "Comparison", "zh-CN": "配置对比"},
    "reference": {"en": "Reference", "zh-CN": "报价编号"},
    "issued": {"en": "Date", "zh-CN": "报价日期"},
    "valid_until": {"en": "Valid until", "zh-CN": "有效期至"},
    "valid_note": {
        "en": "Prices and taxes as on {issued}; this offer is valid for {days} days.",
        "zh-CN": "价格与税费按 {issued} 计算；本报价 {days} 天内有效。",
    },
    "customer": {"en": "Customer", "zh-CN": "客户"},
    "dealer": {"en": "Dealer", "zh-CN": "经销商"},
    "catalog": {"en": "Catalog", "zh-CN": "目录版本"},
    "market": {"en": "Market", "zh-CN": "市场"},
    "configuration": {"en": "Configuration", "zh-CN": "配置明细"},
    "group": {"en": "Group", "zh-CN": "类别"},
    "item": {"en": "Item", "zh-CN": "项目"},
    "base": {"en": "Base price", "zh-CN": "基础车价"},
    "package": {"en": "Package", "zh-CN": "套装"},
    "includes": {"en": "Includes", "zh-CN": "包含"},
    "price_rule": {"en": "Price rule", "zh-CN": "价格规则"},
    "discount": {"en": "Discount", "zh-CN": "优惠"},
    "subtotal": {"en": "Subtotal", "zh-CN": "小计"},
    "list_price_vat": {"en": "list price incl. VAT", "zh-CN": "含增值税的车辆售价"},
    "list_price": {"en": "list price", "zh-CN": "车辆售价"},
    "net": {"en": "Net", "zh-CN": "不含税价"},
    "vat": {"en": "VAT {rate}", "zh-CN": "增值税 {rate}"},
    "vat_contained": {"en": "contained in the subtotal", "zh-CN": "已含在小计中"},
    "vat_added": {"en": "added to the subtotal", "zh-CN": "另加于小计"},
    "taxes": {"en": "Taxes", "zh-CN": "税费"},
    "tax_basis": {
        "en": "base {base} ({kind}) × {rate}",
        "zh-CN": "计税基础 {base}（{kind}）× {rate}",
    },
    "net_kind": {"en": "without VAT", "zh-CN": "不含增值税"},
    "gross_kind": {"en": "with VAT", "zh-CN": "含增值税"},
    "total": {"en": "Total", "zh-CN": "合计"},
    "total_note": {"en": "what the buyer pays", "zh-CN": "购车总价"},
    "deposit": {"en": "Deposit due on order", "zh-CN": "下单定金"},
    "delivery": {"en": "Delivery", "zh-CN": "交付"},
    "delivery_text": {
        "en": "about {weeks} weeks from order (around {date} if ordered on {issued})",
        "zh-CN": "下单后约 {weeks} 周（若于 {issued} 下单，约 {date} 交付）",
    },
    "programme": {"en": "Programme", "zh-CN": "定制计划"},
    "programme_text": {
        "en": "{spend} of at least {minimum}",
        "zh-CN": "已选 {spend}，最低 {minimum}",
    },
    "programme_met": {"en": "minimum met", "zh-CN": "已达最低消费"},
    "programme_short": {"en": "{missing} short", "zh-CN": "还差 {missing}"},
    "programme_none": {"en": "no minimum spend", "zh-CN": "无最低消费"},
    "warnings": {"en": "Please note", "zh-CN": "注意事项"},
    "notes": {"en": "Notes", "zh-CN": "说明"},
    "code": {"en": "Configuration code", "zh-CN": "配置码"},
    "code_note": {
        "en": "Scan or type this code to open the same configuration: configurator quote --code",
        "zh-CN": "扫描或输入此配置码可重现同一配置：configurator quote --code",
    },
    "approx": {
        "en": "≈ {currency}: approximate, 1 {currency} = {rate} {base} (rate of {date})",
        "zh-CN": "≈ {currency}：仅供参考，1 {currency} = {rate} {base}（{date} 汇率）",
    },
    "standard": {"en": "standard", "zh-CN": "标准配置"},
    "differs": {"en": "differs", "zh-CN": "不同"},
    "not_offered": {"en": "not offered", "zh-CN": "无此项"},
}


def label(key: str, language: Language, **fields: str) -> str:
    """A fixed text of the documents in ``language`` (fields filled in, not escaped)."""
    text = LABELS[key][language]
    return text.format(**fields) if fields else text


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _money(amount: Decimal) -> str:
    return _e(format_money(amount))


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def swatch_chip(colour: str | None) -> str:
    """A small colour square as inline SVG (prints without 'background graphics')."""
    if not colour or not _HEX_COLOUR.match(colour):
        return '<span class="chip chip-none"></span>'
    return (
        '<svg class="chip" viewBox="0 0 10 10" width="10" height="10" aria-hidden="true">'
        f'<rect x="0.5" y="0.5" width="9" height="9" rx="1.5" fill="{colour.upper()}" '
        'stroke="#8a8a8a" stroke-width="0.6"/></svg>'
    )


def qr_svg(code: str) -> str:
    """The configuration code as an inline SVG QR code (segno; error correction M)."""
    import segno

    qr = segno.make(code, error="m", micro=False)
    svg: str = qr.svg_inline(border=2, dark="#000", light="#fff", title=code, omitsize=True)
    return svg.replace("<svg ", '<svg class="qr" role="img" aria-label="QR code" ', 1)


def _name_html(name: Name) -> str:
    out = f'<span class="name">{_e(name.text)}</span>'
    if name.other:
        out += f' <span class="alt">{_e(name.other)}</span>'
    return out


STYLE = """
:root { --ink: #1b1b1f; --muted: #5d5f66; --rule: #d7d8dc; --accent: #0b5cad; --warn: #8a4b00; }
* { box-sizing: border-box; }
html { background: #eceef1; }
body { margin: 0; color: var(--ink); font-size: 10pt; line-height: 1.35;
  font-family: "Noto Sans", "DejaVu Sans", "Helvetica Neue", Arial, "Noto Sans CJK SC",
    "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
    "WenQuanYi Micro Hei", sans-serif; }
.sheet:lang(zh-CN) { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
  "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans", "DejaVu Sans",
  sans-serif; }
.sheet { background: #fff; max-width: 210mm; margin: 8mm auto; padding: 12mm 14mm;
  box-shadow: 0 1px 4px rgba(0,0,0,.15); }
header.doc { display: flex; justify-content: space-between; align-items: flex-start;
  gap: 8mm; border-bottom: 2px solid var(--ink); padding-bottom: 2.5mm; margin-bottom: 3mm; }
.brand { font-size: 9pt; letter-spacing: .12em; text-transform: uppercase; color: var(--muted); }
h1 { font-size: 17pt; margin: 0; line-height: 1.2; }
h1 .alt { font-size: 11pt; font-weight: normal; color: var(--muted); }
h2 { font-size: 10pt; margin: 3.5mm 0 1mm; break-after: avoid; page-break-after: avoid;
  text-transform: uppercase; letter-spacing: .06em;
  color: var(--muted); }
header.doc > div { flex: 1 1 auto; min-width: 0; }
table.facts { width: auto; flex: 0 0 auto; font-size: 8.5pt; }
table.facts th { color: var(--muted); text-align: right; font-weight: normal; font-size: 8.5pt;
  border: none; padding: 0 1.5mm 0 0; }
table.facts td { margin: 0; font-weight: 600; white-space: nowrap; border: none; padding: 0; }
.parties { display: flex; gap: 10mm; margin: 0 0 1mm; font-size: 9.5pt; }
.parties .who { color: var(--muted); margin-right: 1.5mm; }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-size: 8pt; font-weight: 600; color: var(--muted);
  border-bottom: 1px solid var(--ink); padding: 1mm 1.5mm; }
td { padding: .8mm 1.5mm; border-bottom: 1px solid var(--rule); vertical-align: top; }
td.amount, th.amount { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.group { color: var(--muted); width: 22%; font-size: 9pt; }
.alt { color: var(--muted); font-size: 8.5pt; }
.code { font-family: "DejaVu Sans Mono", "Noto Sans Mono", Menlo, Consolas, monospace;
  font-size: 7.5pt; color: var(--muted); margin-left: 1.5mm; }
.note { color: var(--muted); font-size: 8pt; }
.note::before { content: " · "; }
.value { font-weight: 600; }
.chip { display: inline-block; width: 3mm; height: 3mm; vertical-align: -0.4mm;
  margin-right: 1.5mm; }
.chip-none { border: none; }
ul.contents { list-style: none; margin: .5mm 0 0; padding: 0 0 0 4.5mm; font-size: 8.5pt; }
ul.contents li { margin: .3mm 0; }
tr.line, tr.total-row, ul.contents li { break-inside: avoid; page-break-inside: avoid; }
.totals { break-inside: avoid; page-break-inside: avoid; margin-top: 2mm; }
.totals td { border-bottom: none; padding: .6mm 1.5mm; }
.totals tr.subtotal td { border-top: 1px solid var(--ink); font-weight: 600; padding-top: 1.5mm; }
.totals tr.total td { border-top: 2px solid var(--ink); font-size: 13pt; font-weight: 700;
  padding-top: 1.5mm; }
.totals tr.deposit td { font-weight: 600; }
.totals .explain { display: block; color: var(--muted); font-size: 8pt; font-weight: normal; }
.totals td.label { width: 70%; }
.terms { display: flex; gap: 6mm; align-items: flex-start; break-inside: avoid;
  page-break-inside: avoid; margin-top: 3mm; }
.terms .facts-col { flex: 1; }
.terms p { margin: 0 0 1.5mm; }
.progress { height: 2.2mm; background: #e3e5ea; border-radius: 1mm; overflow: hidden;
  margin: .8mm 0 .5mm; max-width: 80mm; }
.progress span { display: block; height: 100%; background: var(--accent);
  print-color-adjust: exact; -webkit-print-color-adjust: exact; }
.codebox { text-align: center; width: 40mm; }
.codebox .qr { width: 30mm; height: 30mm; display: block; margin: 0 auto 1mm; }
.codebox .codetext { font-family: "DejaVu Sans Mono", "Noto Sans Mono", Menlo, Consolas,
  monospace; font-size: 8pt; font-weight: 700; }
.codebox .explain { color: var(--muted); font-size: 7pt; }
.warnings { border-left: 3px solid var(--warn); padding: 1mm 3mm; margin-top: 3mm;
  break-inside: avoid; page-break-inside: avoid; }
.warnings h2 { color: var(--warn); margin-top: 0; }
.warnings ul, .notes ul { margin: 0; padding-left: 4mm; }
.notes { color: var(--muted); font-size: 8pt; margin-top: 3mm; }
.notes h2 { margin-top: 0; }
table.compare { table-layout: fixed; }
table.compare td { width: auto; overflow-wrap: anywhere; }
table.compare td.label, table.compare th.label { color: var(--muted); font-size: 9pt;
  width: 18%; }
table.compare tr.differs td { background: #fff6d6; print-color-adjust: exact;
  -webkit-print-color-adjust: exact; }
table.compare tr.differs td.label { color: var(--ink); font-weight: 600; }
table.compare tr.money td { font-variant-numeric: tabular-nums; }
table.compare tr.total td { border-top: 2px solid var(--ink); font-weight: 700; font-size: 11pt; }
table.compare .cell-amount { display: block; text-align: right; white-space: nowrap; }
table.compare th { vertical-align: bottom; }
table.compare tr { break-inside: avoid; page-break-inside: avoid; }
@page { size: A4; margin: 12mm 12mm 14mm;
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 7.5pt; color: #5d5f66;
    font-family: "Noto Sans", "DejaVu Sans", Arial, "Noto Sans CJK SC", sans-serif; }
  @bottom-left { font-size: 7.5pt; color: #5d5f66;
    font-family: "Noto Sans", "DejaVu Sans", Arial, "Noto Sans CJK SC", sans-serif; } }
@media print {
  html { background: #fff; }
  .sheet { box-shadow: none; margin: 0; padding: 0; max-width: none; }
  thead { display: table-header-group; }
}
"""


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string, safe inside <style> (no quote, backslash, ``<`` or
    control character survives unescaped)."""
    safe = []
    for char in text:
        if char.isalnum() or char in " .,:·-_/()" or ord(char) > 127 and char.isprintable():
            safe.append(char)
        else:
            safe.append(f"\\{ord(char):06x}")
    return '"' + "".join(safe) + '"'


def _page(language: Language, title: str, footer: str, body: str) -> str:
    lang = "zh-CN" if language == "zh-CN" else "en"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n"
        f"<style>{STYLE}"
        f"@page {{ @bottom-left {{ content: {css_string(footer)}; }} }}\n</style>\n"
        f'</head>\n<body>\n<main class="sheet" lang="{lang}">\n{body}</main>\n</body>\n</html>\n'
    )


def _group_label(line: DocumentLine, language: Language) -> str:
    if line.kind == "base":
        return _e(label("base", language))
    if line.kind == "package":
        return _e(label("package", language))
    if line.kind == "price_rule":
        return _e(label("price_rule", language))
    if line.kind == "discount":
        return _e(label("discount", language))
    if line.group_name is not None:
        return _e(line.group_name.text)
    return _e(line.group or "")


def _item_html(line: DocumentLine, language: Language) -> str:
    parts = [swatch_chip(line.swatch) if line.kind in ("option", "included") else ""]
    parts.append(_name_html(line.name))
    if line.value:
        parts.append(f': <span class="value">“{_e(line.value)}”</span>')
    if line.code:
        parts.append(f'<span class="code">{_e(line.code)}</span>')
    note = line.note
    if note == "standard":
        note = label("standard", language)
    elif line.kind == "base":
        note = None  # the group column already says "Base price"
    if note:
        parts.append(f'<span class="note">{_e(note)}</span>')
    if line.contents:
        items = []
        for item in line.contents:
            value = f': <span class="value">“{_e(item.value)}”</span>' if item.value else ""
            items.append(
                f"<li>{swatch_chip(item.swatch)}{_name_html(item.name)}{value}"
                f'<span class="code">{_e(item.code)}</span></li>'
            )
        parts.append(
            f'<ul class="contents" aria-label="{_e(label("includes", language))}">'
            + "".join(items)
            + "</ul>"
        )
    return "".join(parts)


def _amount_row(
    css: str, text: str, amount: Decimal, explain: str = "", converted: Decimal | None = None
) -> str:
    extra = f'<span class="explain">{explain}</span>' if explain else ""
    conv = "" if converted is None else f'<td class="amount alt">{_money(converted)}</td>'
    return (
        f'<tr class="{css}"><td class="label">{text}{extra}</td>'
        f'<td class="amount">{_money(amount)}</td>{conv}</tr>\n'
    )


def quote_html(document: QuoteDocument) -> str:
    """The buyer's quote as one self-contained, printable HTML page."""
    lang = document.language
    conversion = document.conversions[0] if document.conversions else None
    title = f"{document.model_name.text} · {label('quote', lang)} {document.reference}"
    out: list[str] = []
    facts = [
        (label("reference", lang), document.reference),
        (label("issued", lang), document.issued.isoformat()),
        (label("valid_until", lang), document.valid_until.isoformat()),
        (label("catalog", lang), document.catalog_version),
        (label("market", lang), f"{document.market} · {document.currency}"),
    ]
    fact_html = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts)
    out.append(
        '<header class="doc">\n<div>'
        f'<div class="brand">{_e(document.brand)} · {_e(label("quote", lang))}</div>'
        f"<h1>{_name_html(document.model_name)}</h1>"
        f'<div class="alt">{_e(document.model)}</div>'
        f'</div>\n<table class="facts">{fact_html}</table>\n</header>\n'
    )
    parties = []
    if document.customer:
        parties.append(
            f'<div><span class="who">{_e(label("customer", lang))}</span>'
            f'<strong class="customer">{_e(document.customer)}</strong></div>'
        )
    if document.dealer:
        parties.append(
            f'<div><span class="who">{_e(label("dealer", lang))}</span>'
            f'<strong class="dealer">{_e(document.dealer)}</strong></div>'
        )
    if parties:
        out.append(f'<section class="parties">{"".join(parties)}</section>\n')

    conv_head = (
        f'<th class="amount">≈ {_e(conversion.currency)}</th>' if conversion is not None else ""
    )
    out.append(
        f'<section class="lines">\n<h2>{_e(label("configuration", lang))}</h2>\n'
        '<table class="lines">\n<thead><tr>'
        f"<th>{_e(label('group', lang))}</th><th>{_e(label('item', lang))}</th>"
        f'<th class="amount">{_e(document.currency)}</th>{conv_head}</tr></thead>\n<tbody>\n'
    )
    index = 0
    for line in document.lines:
        converted = ""
        if conversion is not None:
            converted = f'<td class="amount alt">{_money(conversion.lines[index])}</td>'
        index += 1 + len(line.contents)
        out.append(
            f'<tr class="line {line.kind}"><td class="group">{_group_label(line, lang)}</td>'
            f'<td class="item">{_item_html(line, lang)}</td>'
            f'<td class="amount">{_money(line.amount)}</td>{converted}</tr>\n'
        )
    out.append("</tbody>\n</table>\n</section>\n")

    out.append('<section class="totals">\n<table class="totals">\n')
    listed = label("list_price_vat" if document.prices_include_vat else "list_price", lang)
    out.append(
        _amount_row(
            "subtotal",
            _e(label("subtotal", lang)),
            document.subtotal,
            _e(listed),
            conversion.subtotal if conversion else None,
        )
    )
    vat = label("vat", lang, rate=_percent(document.vat_rate))
    vat_note = label("vat_contained" if document.prices_include_vat else "vat_added", lang)
    out.append(
        _amount_row(
            "net", _e(label("net", lang)), document.net, "", conversion.net if conversion else None
        )
    )
    out.append(
        _amount_row(
            "vat", _e(vat), document.vat, _e(vat_note), conversion.vat if conversion else None
        )
    )
    for tax_index, tax in enumerate(document.taxes):
        # The engine explains each tax in English; a Chinese document adds the basis in Chinese.
        explain = _e(tax.explanation)
        if lang != "en":
            basis = label(
                "tax_basis",
                lang,
                base=format_money(tax.base),
                kind=label(f"{tax.base_kind}_kind", lang),
                rate=_percent(tax.rate) if tax.rate is not None else "—",
            )
            explain = f"{_e(basis)} · {explain}"
        out.append(
            _amount_row(
                f"tax tax-{_e(tax.id)}",
                _name_html(tax.name),
                tax.amount,
                explain,
                conversion.taxes[tax_index] if conversion else None,
            )
        )
    out.append(
        _amount_row(
            "total",
            _e(label("total", lang)),
            document.total,
            _e(label("total_note", lang)),
            conversion.total if conversion else None,
        )
    )
    if document.deposit:
        names = ", ".join(p.name.text for p in document.programmes)
        out.append(
            _amount_row(
                "deposit",
                _e(label("deposit", lang)),
                document.deposit,
                _e(names),
                conversion.deposit if conversion else None,
            )
        )
    out.append("</table>\n</section>\n")

    out.append('<section class="terms">\n<div class="facts-col">\n')
    delivery = label(
        "delivery_text",
        lang,
        weeks=str(document.delivery_weeks),
        date=document.delivery_estimate.isoformat(),
        issued=document.issued.isoformat(),
    )
    out.append(
        f'<p class="delivery"><strong>{_e(label("delivery", lang))}:</strong> {_e(delivery)}</p>\n'
    )
    for programme in document.programmes:
        progress = programme.progress
        if not progress.minimum:
            state = label("programme_none", lang)
            text = format_money(progress.spend)
        else:
            state = (
                label("programme_met", lang)
                if progress.met
                else label("programme_short", lang, missing=format_money(progress.missing))
            )
            text = label(
                "programme_text",
                lang,
                spend=format_money(progress.spend),
                minimum=format_money(progress.minimum),
            )
        width = f"{(programme.fraction * 100).quantize(Decimal('0.1'))}%"
        out.append(
            f'<div class="programme"><strong>{_e(label("programme", lang))}:</strong> '
            f"{_name_html(programme.name)} · {_e(text)} ({_e(state)})"
            f'<div class="progress"><span style="width: {width}"></span></div></div>\n'
        )
    out.append(
        f'<p class="validity">{_e(label("valid_note", lang, issued=document.issued.isoformat(), days=str(document.valid_days)))}</p>\n'  # noqa: E501
    )
    if conversion is not None:
        for item in document.conversions:
            note = label(
                "approx",
                lang,
                currency=item.currency,
                rate=f"{item.rate:f}",
                base=document.currency,
                date=item.rate_date.isoformat(),
            )
            out.append(f'<p class="conversion alt">{_e(note)}</p>\n')
    out.append(
        '</div>\n<div class="codebox">'
        f"{qr_svg(document.code)}"
        f'<div class="codetext">{_breakable_code(document.code)}</div>'
        f'<div class="explain">{_e(label("code", lang))}</div>'
        "</div>\n</section>\n"
    )
    warnings = [t.message for t in document.thresholds if t.message] + [
        w for w in document.warnings if w not in {t.message for t in document.thresholds}
    ]
    if warnings:
        out.append(_list_section("warnings", label("warnings", lang), warnings))
    notes = [note for note in document.notes if note not in warnings]
    notes.append(label("code_note", lang))
    out.append(_list_section("notes", label("notes", lang), notes))
    footer = f"{document.model_name.text} · {document.reference}"
    return _page(lang, title, footer, "".join(out))


def _breakable_code(code: str) -> str:
    """A configuration code that wraps only after its dashes."""
    return "-<wbr>".join(_e(part) for part in code.split("-"))


def _list_section(css: str, heading: str, items: Iterable[str]) -> str:
    rows = "".join(f"<li>{_e(item)}</li>" for item in items)
    return f'<section class="{css}">\n<h2>{_e(heading)}</h2>\n<ul>{rows}</ul>\n</section>\n'


def comparison_html(comparison: Comparison, language: Language = "en") -> str:
    """The comparison as a printable HTML page, in the quote's style."""
    lang = language
    cars = comparison.configurations
    head = "".join(
        f'<th><span class="name">{_e(car.model_name)}</span>'
        f'<span class="code">{_e(car.code)}</span></th>'
        for car in cars
    )
    out = [
        '<header class="doc">\n<div>'
        f'<div class="brand">{_e(label("comparison", lang))}</div>'
        f"<h1>{_e(' · '.join(car.model_name for car in cars))}</h1></div>\n"
        f'<table class="facts"><tr><th>{_e(label("issued", lang))}</th>'
        f"<td>{_e(comparison.date.isoformat())}</td></tr></table>\n</header>\n",
        '<table class="compare">\n'
        f'<thead><tr><th class="label"></th>{head}</tr></thead>\n<tbody>\n',
    ]
    for row in comparison.rows:
        css = ["row", row.kind]
        if row.differs:
            css.append("differs")
        if row.label_key == "total":
            css.append("total")
        cells = []
        for car, cell in zip(cars, row.cells, strict=True):
            if cell is None:
                cells.append(f'<td class="none alt">{_e(label("not_offered", lang))}</td>')
                continue
            chip = swatch_chip(cell.swatch) if cell.swatch else ""
            text = f'<span class="text">{chip}{_e(cell.text)}</span>' if cell.text else ""
            amount = (
                f'<span class="cell-amount">{_money(cell.amount)} {_e(car.currency)}</span>'
                if cell.amount is not None
                else ""
            )
            cells.append(f"<td>{text}{amount}</td>")
        mark = (
            f' <span class="mark" title="{_e(label("differs", lang))}">≠</span>'
            if row.differs
            else ""
        )
        out.append(
            f'<tr class="{" ".join(css)}"><td class="label">{_e(row.label)}{mark}</td>'
            f"{''.join(cells)}</tr>\n"
        )
    out.append("</tbody>\n</table>\n")
    footer = f"{label('comparison', lang)} · {comparison.date.isoformat()}"
    title = f"{label('comparison', lang)}: {' · '.join(car.model_name for car in cars)}"
    return _page(lang, title, footer, "".join(out))
