"""The buyer's language: catalog names in another language (``--lang zh-CN``).

Catalogs give every name in English and, in ``names``, translations by language tag. A
name without a translation stays in English. Under a ``zh_*`` locale (``LC_ALL``,
``LC_MESSAGES`` or ``LANG``, in that order) the default is ``zh-CN``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from configurator.errors import UsageError

if TYPE_CHECKING:
    from configurator.catalog.schema import Catalog, Market
    from configurator.quote import Quote

LANGUAGES = ("en", "zh-CN")


def default_lang(environ: Mapping[str, str] | None = None) -> str | None:
    """``zh-CN`` under a Chinese locale, else None (English)."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "zh-CN" if value.lower().startswith("zh") else None
    return None


def chosen_lang(text: str | None) -> str | None:
    """``--lang``: a language tag (``en`` or ``zh-CN``, any case); the locale's by default."""
    if text is None:
        return default_lang()
    for tag in LANGUAGES:
        if text.strip().casefold() in (tag.casefold(), tag.casefold().replace("-", "_")):
            return None if tag == "en" else tag
    raise UsageError(f"--lang '{text}' is not a language of the catalogs: use en or zh-CN")


def pick(name: str, names: Mapping[str, str], lang: str | None) -> str:
    """The name in ``lang`` when the catalog gives one, else the catalog's name."""
    if lang is None:
        return name
    return names.get(lang) or name


def catalog_names(catalog: Catalog, lang: str | None) -> dict[str, str]:
    """Option, package, group and programme names in ``lang``, by code or id."""
    names: dict[str, str] = {}
    for group in catalog.groups:
        names[group.id] = pick(group.name, group.names, lang)
        for option in group.options:
            names[option.code] = pick(option.name, option.names, lang)
    for package in catalog.packages:
        names[package.code] = package.name
    for programme in catalog.programmes:
        names[programme.id] = pick(programme.name, programme.names, lang)
    return names


def localize_quote(quote: Quote, catalog: Catalog, market: Market, lang: str | None) -> Quote:
    """The quote with the catalog's and market's names in ``lang`` (figures unchanged)."""
    if lang is None:
        return quote
    names = catalog_names(catalog, lang)
    taxes = {t.id: pick(t.name, t.names, lang) for t in market.taxes}
    lines = [
        replace(
            line,
            name=names.get(line.code, line.name)
            if line.code and line.kind != "price_rule"
            else line.name,
            group_name=names.get(line.group, line.group_name) if line.group else line.group_name,
        )
        for line in quote.lines
    ]
    return replace(
        quote,
        model_name=pick(quote.model_name, catalog.names, lang),
        lines=lines,
        taxes=[replace(t, name=taxes.get(t.id, t.name)) for t in quote.taxes],
        programmes=[replace(p, name=names.get(p.id, p.name)) for p in quote.programmes],
    )
