"""Rendering of the editor's workbench: lint findings, catalog diffs, golden case results."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.text import Text

from configurator.workbench.cases import CaseReport
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
    if not report.findings:
        return f"{models}: no findings"
    return f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')} in {models}"


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
