"""Rendering of the editor's workbench: lint findings, catalog diffs, golden case results."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.text import Text

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
