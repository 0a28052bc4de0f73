"""Rendering of the editor's workbench: lint findings, catalog diffs, golden case results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal

from rich.console import Console
from rich.text import Text

from configurator.money import format_money
from configurator.workbench.cases import CaseReport
from configurator.workbench.diff import (
    Changes,
    ModelDiff,
    OrderChange,
    TreeDiff,
    describe_counts,
)
from configurator.workbench.lint import Finding, LintReport

_SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow"}


def finding_line(finding: Finding) -> Text:
    """``file:line:column: warning: message [id]``, like validate's problem lines."""
    text = Text()
    text.append(str(finding.location), style="bold")
    text.append(": ")
    text.append(f"{finding.severity}:", style=_SEVERITY_STYLE.get(finding.severity, "bold"))
    text.append(f" {finding.message} ")
    text.append(f"[{finding.id}]", style="dim")
    return text


def print_findings(findings: Iterable[Finding], out: Console) -> None:
    """One line per finding, never wrapped (editors and scripts parse these lines)."""
    for finding in findings:
        out.print(finding_line(finding), soft_wrap=True)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def lint_summary(report: LintReport) -> str:
    """'2 errors, 1 warning in 4 models' or '4 models: no findings'."""
    models = _plural(len(report.models), "model")
    ignored = f" ({report.ignored} ignored)" if report.ignored else ""
    if not report.findings:
        return f"{models}: no findings{ignored}"
    counts = f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}"
    return f"{counts} in {models}{ignored}"


# --- golden cases ------------------------------------------------------------------------------


def print_case_failures(report: CaseReport, out: Console) -> None:
    """Each failing case: ``file:line: case 'name' failed`` and one indented line per
    difference, ``file:line:column: what: expected X, got Y``."""
    for result in report.failed:
        head = Text()
        head.append(f"{result.location.file}:{result.location.line}", style="bold")
        head.append(": ")
        head.append("FAIL", style="bold red")
        head.append(f" {result.model}: {result.name}")
        out.print(head, soft_wrap=True)
        for difference in result.differences:
            line = Text("  ")
            line.append(str(difference.location), style="bold")
            line.append(f": {difference.what}: expected {difference.expected}, got ")
            line.append(difference.got, style="red")
            out.print(line, soft_wrap=True)


def case_summary(report: CaseReport) -> str:
    """'24 cases in 4 files: all passed' or '2 of 24 cases failed (4 files)'."""
    files = _plural(len(report.files), "file")
    cases = _plural(len(report.results), "case")
    if not report.failed:
        return f"{cases} in {files}: all passed"
    return f"{len(report.failed)} of {cases} failed ({files})"


# --- catalog diff ------------------------------------------------------------------------------


def _changes_lines(label: str, changes: Changes) -> list[Text]:
    return [Text(f"  {label:<14} {detail}") for detail in changes.details]


def model_diff_lines(diff: ModelDiff) -> list[Text]:
    """One model's changes, one line each, then its configuration counts."""
    head = Text()
    head.append(diff.model, style="bold")
    head.append(f": {diff.status}")
    lines = [head]
    if diff.added:
        lines.append(Text(f"  {'added':<14} {', '.join(diff.added)}", style="green"))
    if diff.removed:
        lines.append(Text(f"  {'removed':<14} {', '.join(diff.removed)}", style="red"))
    for change in diff.repriced:
        lines.append(
            Text(
                f"  {'repriced':<14} {change.code} {format_money(change.old)} -> "
                f"{format_money(change.new)}"
            )
        )
    for label, changes in (
        ("options", diff.options),
        ("groups", diff.groups),
        ("packages", diff.packages),
        ("rules", diff.rules),
        ("price rules", diff.price_rules),
        ("programmes", diff.programmes),
        ("taxes", diff.taxes),
    ):
        lines += _changes_lines(label, changes)
    lines += [Text(f"  {'model':<14} {detail}") for detail in diff.other]
    counts = diff.configurations
    if counts is not None:
        lines.append(Text(f"  {'configurations':<14} {describe_counts(counts)}", style="bold"))
        if counts.lost_summary:
            lines.append(Text(f"  {'':<14} lost, e.g. {counts.lost_summary}"))
        if counts.gained_summary:
            lines.append(Text(f"  {'':<14} gained, e.g. {counts.gained_summary}"))
    return lines


def _money_or_dash(amount: Decimal | None) -> str:
    return format_money(amount) if amount is not None else "-"


def order_lines(orders: Sequence[OrderChange]) -> list[Text]:
    """A summary line, then one line per order that did not stay unchanged."""
    statuses = Counter(order.status for order in orders)
    summary = ", ".join(
        f"{statuses[s]} {s}"
        for s in ("unchanged", "repriced", "invalid", "now-valid")
        if statuses[s]
    )
    lines = [Text(f"orders: {_plural(len(orders), 'order')}" + (f": {summary}" if summary else ""))]
    for order in orders:
        if order.status == "unchanged":
            continue
        text = Text(f"  {order.id or '?'} {order.model}: ")
        if order.status == "repriced":
            change = (order.new_total or Decimal(0)) - (order.old_total or Decimal(0))
            sign = "+" if change > 0 else ""
            text.append(
                f"repriced {_money_or_dash(order.old_total)} -> "
                f"{_money_or_dash(order.new_total)} ({sign}{format_money(change)})"
            )
        elif order.status == "invalid":
            text.append(f"invalid [{order.error_code}]", style="red")
            if order.old_error_code:
                text.append(" (already invalid before)")
            if order.error:
                text.append(f": {order.error}")
        else:
            text.append(
                f"now valid at {_money_or_dash(order.new_total)} (was {order.old_error_code})"
            )
        lines.append(text)
    return lines


def diff_lines(diff: TreeDiff) -> list[Text]:
    """The whole diff for the terminal."""
    lines: list[Text] = []
    for model in diff.models:
        lines += model_diff_lines(model)
    if not diff.models:
        lines.append(Text("no model changed"))
    if diff.unchanged:
        lines.append(Text(f"unchanged: {', '.join(diff.unchanged)}", style="dim"))
    if diff.orders is not None:
        lines += order_lines(diff.orders)
    return lines
