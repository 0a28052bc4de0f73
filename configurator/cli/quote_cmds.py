"""`configurator quote`: price one configuration (or a configuration code) on a date.

A quote is a one-shot command, so this module imports only Typer and the light helpers of
:mod:`configurator.cli.common` at load time; the engine, the renderers and rich are imported
when the command runs, and only those it needs.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from configurator.cli import app
from configurator.cli.common import (
    PRICE_DATE_HELP,
    atomic_output,
    chosen_catalogs,
    date_option,
    model_argument,
    option_codes_argument,
    parse_date,
    plan_output,
)
from configurator.errors import ConfiguratorError, UsageError

if TYPE_CHECKING:
    from configurator.configuration import Configuration
    from configurator.quote import Quote


class QuoteFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"
    pdf = "pdf"


class Completion(StrEnum):
    cheapest = "cheapest"
    dearest = "dearest"


def parse_values(items: list[str] | None) -> dict[str, str]:
    """``--value CODE=VALUE`` (repeatable) as a mapping of upper-case codes to values; a
    code given twice is a usage error (which one was meant?)."""
    values: dict[str, str] = {}
    for item in items or []:
        code, sep, value = item.partition("=")
        if not sep or not code.strip():
            raise UsageError(
                f"--value '{item}' is not CODE=VALUE, e.g. --value PAINT-TO-SAMPLE='Oak Green'"
            )
        code = code.strip().upper()
        if code in values:
            raise UsageError(f"--value {code}=... is given twice: give each option one value")
        values[code] = value
    return values


def document_settings(
    output_format: str,
    valid_days: str | None,
    customer: str | None,
    dealer: str | None,
    lang: str | None,
) -> dict[str, Any] | None:
    """The document options (--valid-days, --customer, --dealer, --lang) for ``build_document``;
    None for formats that are not documents (where giving one is a usage error)."""
    given = {
        "--valid-days": valid_days,
        "--customer": customer,
        "--dealer": dealer,
    }
    if output_format not in ("html", "pdf"):
        named = [name for name, value in given.items() if value is not None]
        if named:
            raise UsageError(
                f"{', '.join(named)} {'is' if len(named) == 1 else 'are'} for printed "
                "documents: add --format html (or pdf)"
            )
        return None
    settings: dict[str, Any] = {"customer": customer, "dealer": dealer}
    if valid_days is not None:
        try:
            settings["valid_days"] = int(valid_days.strip())
        except ValueError:
            raise UsageError(
                f"--valid-days '{valid_days}' is not a number of days, e.g. --valid-days 30"
            ) from None
    if lang is not None:
        languages = {"en": "en", "zh-cn": "zh-CN", "zh": "zh-CN"}
        chosen = languages.get(lang.strip().lower())
        if chosen is None:
            raise UsageError(f"--lang '{lang}' is not a document language: write en or zh-CN")
        settings["language"] = chosen
    return settings


def weasyprint_writer() -> Callable[[str], bytes]:
    """HTML text -> PDF bytes with WeasyPrint (the optional ``pdf`` extra), or a UsageError
    that says how to install it."""
    try:
        from weasyprint import HTML  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise UsageError(
            "--format pdf needs WeasyPrint, an optional extra: pip install 'configurator[pdf]'",
            suggestion="or write --format html and print it from a browser (the same page)",
        ) from None
    except OSError as error:  # WeasyPrint is installed but its system libraries (Pango) are not
        raise UsageError(
            f"--format pdf: WeasyPrint cannot load its system libraries ({error})",
            suggestion="install Pango (e.g. apt-get install libpango-1.0-0 libpangoft2-1.0-0) "
            "or write --format html and print it from a browser",
        ) from None

    def write(page: str) -> bytes:
        pdf: bytes = HTML(string=page).write_pdf()
        return pdf

    return write


@app.command("quote")
def quote(
    ctx: typer.Context,
    model: Annotated[
        str | None,
        model_argument("Model id, e.g. xiaomi-su7-ultra (optional with --code)."),
    ] = None,
    options: Annotated[
        list[str] | None,
        option_codes_argument(
            "Option and package codes the buyer chooses; untouched groups keep defaults."
        ),
    ] = None,
    value: Annotated[
        list[str] | None,
        typer.Option(
            "--value",
            help="A buyer-supplied value for an option, CODE=VALUE (repeatable).",
            metavar="CODE=VALUE",
            show_default=False,
        ),
    ] = None,
    code: Annotated[
        str | None,
        typer.Option(
            "--code",
            help="Price a configuration code (from an earlier quote) instead of options.",
            metavar="CODE",
            show_default=False,
        ),
    ] = None,
    date: Annotated[str | None, date_option(PRICE_DATE_HELP)] = None,
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency",
            help="Also show amounts in this currency (approximate, at the market's dated rate).",
            metavar="USD|EUR",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        QuoteFormat, typer.Option("--format", "-f", help="Output format.")
    ] = QuoteFormat.table,
    complete: Annotated[
        Completion | None,
        typer.Option(
            "--complete",
            help="Fill the groups you leave alone with the cheapest or dearest valid choice "
            "(rules engine) instead of the defaults.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to FILE (atomically) instead of stdout.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    valid_days: Annotated[
        str | None,
        typer.Option(
            "--valid-days",
            help="html/pdf: days the offer is valid from --date (default: 30).",
            metavar="DAYS",
            show_default=False,
        ),
    ] = None,
    customer: Annotated[
        str | None,
        typer.Option(
            "--customer",
            help="html/pdf: the buyer's name, printed on the quote.",
            metavar="NAME",
            show_default=False,
        ),
    ] = None,
    dealer: Annotated[
        str | None,
        typer.Option(
            "--dealer",
            help="html/pdf: the dealer's name, printed on the quote.",
            metavar="NAME",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Names in this language where the catalog gives them: en or zh-CN "
            "(table and markdown: default zh-CN under a zh_* locale, else en; html/pdf: the "
            "document's language, default en; JSON keeps the catalog's names).",
            metavar="LANG",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Price a configuration: lines, subtotal, VAT, taxes on the date, total and a code.

    Groups you leave alone keep their defaults. Taxes follow the market's rules in force on
    --date. The quote's code reproduces it with --code. Exit codes: 2 usage, 3 catalog
    invalid, 4 configuration invalid (a minimal explanation: the options involved and the
    rules, each with its id and file:line).

    Example: configurator quote xiaomi-su7-ultra HOOD-CARBON-DUCTS --date 2026-03-01

    Example: configurator quote porsche-taycan PAINT-TO-SAMPLE --value PAINT-TO-SAMPLE=Oak -f json

    Example: configurator quote xiaomi-su7-ultra BADGE-GOLD-24K --complete cheapest

    --format html writes a printable, self-contained page for the buyer (A4, with the code as
    a QR code); --format pdf prints the same page to PDF (needs the pdf extra: pip install
    'configurator[pdf]').

    Example: configurator quote --code CODE --format html --customer 'Li Wei' -o quote.html

    Example: configurator quote xiaomi-su7-ultra --format html --lang zh-CN -o quote.html
    """
    from configurator.catalog.files import catalog_root

    on = parse_date(date)
    destination = plan_output(output)  # a missing folder or a folder: said before the work
    document_options = document_settings(output_format.value, valid_days, customer, dealer, lang)
    pdf_writer = None
    if output_format is QuoteFormat.pdf:
        pdf_writer = weasyprint_writer()  # before any pricing: a missing extra is a quick error
        if output is None and sys.stdout.isatty():
            raise UsageError("--format pdf writes binary data: give -o FILE, e.g. -o quote.pdf")
    currencies = [currency.strip().upper()] if currency else []
    root = catalog_root(chosen_catalogs(ctx))  # a missing tree first
    if code is not None:
        from configurator.catalog.loader import CatalogTree

        catalogs = CatalogTree(root)
        if options or value or complete:
            raise UsageError(
                "--code carries the whole configuration: give no option codes, --value "
                "or --complete"
            )
        from configurator.pricing.engine import price_code

        result = price_code(catalogs, code, on, currencies=currencies)
        if model is not None and model != result.model:
            raise UsageError(f"code '{code}' is a code of {result.model}, not of {model}")
    else:
        if model is None:
            raise UsageError(
                "name a model (e.g. configurator quote xiaomi-su7-ultra) or give --code CODE"
            )
        from configurator.configuration import Configuration
        from configurator.pricing.stored import model_pricer

        # The model's compiled pricer, kept on disk: a repeated quote reads no catalog.
        pricer = model_pricer(model, root)
        configuration = Configuration.of(model, options or [], parse_values(value))
        if complete is not None:
            from configurator.catalog.loader import CatalogTree
            from configurator.rules.select import complete_configuration

            catalog = CatalogTree(root).load(model)
            configuration = complete_configuration(catalog, configuration, complete.value, on)
        from configurator.errors import MinimumSpendError

        try:
            result = pricer.price(configuration, on, currencies=currencies)
        except MinimumSpendError as error:
            raise _with_ways_to_finish(error, root, configuration, on) from None

    if output_format is not QuoteFormat.json:
        result = _as_buyer_reads(result, root, on)
    if document_options is not None:
        from configurator.catalog.loader import CatalogTree
        from configurator.document import build_document
        from configurator.render.html import quote_html

        documents = CatalogTree(root)
        catalog = documents.load(result.model)
        document = build_document(
            result, catalog, documents.load_market(catalog.market), **document_options
        )
        page = quote_html(document)
        with atomic_output(destination) as out:
            if pdf_writer is not None:
                out.flush()
                out.buffer.write(pdf_writer(page))  # type: ignore[attr-defined]
            else:
                out.write(page)
        return
    from configurator.lang import chosen_lang

    language = chosen_lang(lang)
    if language is not None and output_format is not QuoteFormat.json:
        from configurator.catalog.loader import CatalogTree
        from configurator.lang import localize_quote

        names_from = CatalogTree(root)
        catalog = names_from.load(result.model)
        result = localize_quote(result, catalog, names_from.load_market(catalog.market), language)
    with atomic_output(destination) as out:
        if output_format is QuoteFormat.json:
            out.write(result.to_json_text())  # no rendering package: JSON needs no rich
        elif output_format is QuoteFormat.markdown:
            from configurator.render.quote import quote_markdown
            from configurator.safetext import escape_controls

            out.write(escape_controls(quote_markdown(result)))
        else:
            from configurator.render.quote import print_quote

            if destination.mode == "stdout":
                from configurator.render import console

                print_quote(result, console())
            else:
                from configurator.render import SafeConsole

                print_quote(
                    result, SafeConsole(file=out, no_color=True, width=120, highlight=False)
                )


def _as_buyer_reads(result: Quote, root: Path, on: dt.date | None) -> Quote:
    """The quote without a tax threshold that no car of its model reaches (as ``configure``
    shows it); the rules engine is asked only when the quote is under some threshold."""
    if all(threshold.crossed for threshold in result.thresholds):
        return result
    from configurator.catalog.loader import CatalogTree
    from configurator.repairs import dearest_list_price, without_unreachable
    from configurator.rules.select import engine_for

    catalog = CatalogTree(root).load(result.model)
    return without_unreachable(result, dearest_list_price(engine_for(catalog, on)))


def _with_ways_to_finish(
    error: ConfiguratorError, root: Path, configuration: Configuration, on: dt.date
) -> ConfiguratorError:
    """A minimum spend not reached: the same error, with the cheapest additions that would
    complete the car (from the rules engine) and the ``--complete cheapest`` hint."""
    from configurator.catalog.loader import CatalogTree
    from configurator.errors import MinimumSpendError
    from configurator.money import format_money
    from configurator.pricing.engine import pricer as make_pricer
    from configurator.repairs import ways_to_finish
    from configurator.rules.select import engine_for

    assert isinstance(error, MinimumSpendError)
    tree = CatalogTree(root)
    catalog = tree.load(configuration.model)
    engine = engine_for(catalog, on)
    ways = ways_to_finish(
        engine,
        make_pricer(catalog, tree.load_market(catalog.market)),
        on,
        configuration.choices,
        configuration.values,
    )
    lines = list(error.explanation)
    if ways:
        lines.append("the cheapest additions that complete it (the total once added):")
        for way in ways:
            asks = [f"--value {code}=..." for code in way.needs_values]
            added = " ".join([*way.add, *asks])
            lines.append(f"  {format_money(way.total):>14}  + {added}")
    words = " ".join(["configurator quote", configuration.model, *configuration.choices])
    lines.append(f"or let the rules engine fill the rest: {words} --complete cheapest")
    return MinimumSpendError(
        error.message,
        option_codes=error.option_codes,
        rule_ids=error.rule_ids,
        explanation=lines,
    )
