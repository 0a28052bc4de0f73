"""The engine's explanations in Chinese, for a ``--lang zh-CN`` document.

The pricing engine explains taxes, cliffs and line notes in English. A Chinese document
builds the same statements here from the quote's structured fields (a tax line's kind, base,
rate and amount; a threshold's price, headroom, cost and culprit; the catalog's programmes
and price rules), never from the English text. Figures are the quote's own, formatted with
:func:`configurator.money.format_money`; the only amounts computed here are those the English
explanation also states (rate x base, rounded to the cent half up as the engine does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from configurator.money import format_money, percent_of
from configurator.pricing.taxes import PeriodWords, covering_period, percent_text, period_text
from configurator.quote import Quote, QuoteLine, TaxLine, Threshold

if TYPE_CHECKING:
    from configurator.catalog.schema import Catalog, Market, Period, TaxPeriod

BASE_LABEL_ZH = {"net": "不含增值税价格", "gross": "含增值税价格"}

NameOf = Callable[[str], str]


CHINESE_PERIOD = PeriodWords(
    nev="新能源汽车",
    non_nev="非新能源汽车",
    between="{} 至 {}",
    since="自 {} 起",
    until="至 {}",
    joiner="，",
)


def period_text_zh(period: TaxPeriod) -> str:
    """When and for which cars a period applies: ``新能源汽车，2026-01-01 至 2027-12-31``."""
    return period_text(period, CHINESE_PERIOD)


def span_zh(period: Period) -> str:
    """A catalog's period of validity: ``2026-01-01 至 ...``."""
    return f"{period.from_ or '...'} 至 {period.until or '...'}"


def tax_period(quote: Quote, catalog: Catalog, market: Market, tax_id: str) -> TaxPeriod | None:
    """The market period that priced ``tax_id`` on the quote's date (None for VAT)."""
    tax = next((t for t in market.taxes if t.id == tax_id), None)
    if tax is None:
        return None
    return covering_period(tax, quote.date, catalog.powertrain, catalog.nev)


def tax_explanation_zh(tax: TaxLine, period: TaxPeriod | None) -> str:
    """Why the buyer owes ``tax``, in Chinese, for every tax kind."""
    if tax.kind == "vat":
        assert tax.rate is not None
        return f"不含增值税价格 {format_money(tax.base)} 的 {percent_text(tax.rate)}，另加于标价"
    when = period_text_zh(period) if period is not None else ""
    suffix = f"（{when}）" if when else ""
    of = f"{BASE_LABEL_ZH[tax.base_kind]} {format_money(tax.base)}"
    if tax.kind == "exempt":
        return f"免征{suffix}"
    rate = percent_text(tax.rate) if tax.rate is not None else "—"
    if tax.kind == "cliff":
        limit = format_money(period.threshold) if period and period.threshold else "—"
        return f"全额{of} 的 {rate}：已达到 {limit} 的起征点，无边际减免{suffix}"
    if tax.kind == "percentage":
        return f"{of} 的 {rate}{suffix}"
    full = percent_of(tax.base, tax.rate) if tax.rate is not None else tax.amount
    cap = format_money(period.cap) if period and period.cap is not None else "—"
    if tax.kind == "exempt-up-to":
        return f"{of} 的 {rate} = {format_money(full)}，减免至多 {cap}{suffix}"
    fraction = percent_text(period.fraction) if period and period.fraction is not None else "—"
    return (
        f"{of} 的 {rate} = {format_money(full)}，减征其 {fraction}，减征额至多 {cap}"
        f"（减征 {format_money(full - tax.amount)}）{suffix}"
    )


def threshold_message_zh(
    item: Threshold,
    *,
    tax_name: str,
    base_kind: str,
    rate: Decimal | None,
    subtotal: Decimal,
    name_of: NameOf,
) -> str:
    """Where the car stands against a cliff tax, in Chinese (the engine's message's facts)."""
    base_label = BASE_LABEL_ZH[base_kind]
    rate_text = percent_text(rate) if rate is not None else "—"
    at = f"标价 {format_money(item.threshold_price)}"
    if not item.crossed:
        headroom = item.headroom if item.headroom is not None else Decimal(0)
        return (
            f"{tax_name}：标价再增加 {format_money(headroom)} 即达到起征点（{at}，"
            f"即{base_label} {format_money(item.threshold)}），届时须按全额{base_label}的 "
            f"{rate_text} 缴纳（至少 {format_money(item.cost)}）"
        )
    message = (
        f"须缴{tax_name}：{base_label} {format_money(item.base)} 已达到 "
        f"{format_money(item.threshold)} 的起征点（{at}），须按全额{base_label}的 {rate_text} "
        f"缴纳 {format_money(item.cost)}（无边际减免：按全价计税）"
    )
    if item.culprit is None or item.culprit_amount is None:
        return message + "；不加任何选装，车辆已达到起征点"
    culprit = f"{name_of(item.culprit)}（{item.culprit}）"
    if item.culprit_enough:
        return message + (
            f"；{culprit}（{format_money(item.culprit_amount)}）使其越过起征点：去掉它，"
            f"标价为 {format_money(subtotal - item.culprit_amount)}，低于起征点"
        )
    return message + (
        f"；去掉任何单一选装都回不到起征点以下：您所选最贵的是 {culprit}"
        f"（{format_money(item.culprit_amount)}），标价超出起征点 "
        f"{format_money(subtotal - item.threshold_price)}"
    )


def line_note_zh(line: QuoteLine, quote: Quote, catalog: Catalog, name_of: NameOf) -> str | None:
    """A line's note in Chinese: the base price, a price rule, a discount, what brought an
    option, the package that includes it ("standard" the renderer translates itself)."""
    if line.note is None or line.note == "standard":
        return line.note
    if line.kind == "base":
        return "基本价格"
    if line.kind == "price_rule":
        rule = next((r for r in catalog.price_rules if r.id == line.id), None)
        if rule is None:
            return line.note
        listed = next(
            (o.price for g in catalog.groups for o in g.options if o.code == rule.option),
            Decimal(0),
        )
        return f"{name_of(rule.option)}：{format_money(rule.price)}（原价 {format_money(listed)}）"
    if line.kind == "discount":
        discount = next((d for d in catalog.discounts if d.id == line.id), None)
        if discount is None:
            return line.note
        if discount.amount is not None:
            return f"优惠 {format_money(discount.amount)}"
        assert discount.percent is not None
        chosen = sorted(set(discount.of) & set(_codes(quote)))
        what = "、".join(chosen) if discount.of else "整车"
        return f"{what} 的 {percent_text(discount.percent / 100)}"
    if line.kind == "option" and line.code:
        bringer = next(
            (
                o.code
                for g in catalog.groups
                for o in g.options
                if line.code in o.brings and o.code in quote.choices
            ),
            None,
        )
        return f"随 {name_of(bringer)} 附带" if bringer else line.note
    return line.note


def _codes(quote: Quote) -> list[str]:
    return [line.code for line in quote.lines if line.code]


def in_force_warning_zh(catalog: Catalog, on: dt.date, model_name: str) -> str | None:
    """The Chinese warning for a catalog version not in force on ``on`` (None when it is)."""
    effective = catalog.effective
    if effective is None or effective.contains(on):
        return None
    return (
        f"{model_name} 目录版本 {catalog.version} 的有效期为 {span_zh(effective)}，"
        f"不含 {on.isoformat()}：其价格可能不适用"
    )


def capacity_note_zh(name: str, monthly_capacity: int, deposit: Decimal) -> str:
    """A programme's monthly capacity and deposit, in Chinese."""
    return f"{name}：每月至多 {monthly_capacity} 台；定金 {format_money(deposit)}"
