"""One exception family for every mistake a user can make, and the exit codes they map to.

The CLI catches :class:`ConfiguratorError` in one place (``configurator.cli.main``) and exits
with ``error.exit_code``; the core never prints and never exits.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, documented in the README."""

    OK = 0
    ERROR = 1  # an unexpected internal error (a bug: please report it)
    USAGE = 2  # bad command line: unknown model, bad option value, unreadable file
    CATALOG_INVALID = 3  # a catalog or market file is wrong
    CONFIGURATION_INVALID = 4  # the chosen options break the catalog's rules
    ROWS_FAILED = 5  # batch: some rows could not be priced
    INTERRUPTED = 130  # Ctrl-C


@dataclass(frozen=True)
class Location:
    """Where something was written: a file, a 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


@dataclass(frozen=True)
class Problem:
    """One catalog mistake: where, a stable code, a message and an optional suggestion."""

    location: Location
    code: str
    message: str
    severity: str = "error"  # or "warning": reported, but the file is still usable

    def __str__(self) -> str:
        return f"{self.location}: {self.message} [{self.code}]"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
        }


class ConfiguratorError(Exception):
    """Base of every error a user can cause. ``exit_code`` says how the CLI exits."""

    exit_code: ExitCode = ExitCode.ERROR
    error_code: str = "error"

    def __init__(self, message: str, *, suggestion: str | None = None) -> None:
        message = shorten_echoes(message)
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion

    def __str__(self) -> str:
        if self.suggestion:
            return f"{self.message} ({self.suggestion})"
        return self.message


class UsageError(ConfiguratorError):
    """The command line asks for something that does not exist or makes no sense."""

    exit_code = ExitCode.USAGE
    error_code = "usage"


class UnknownModelError(UsageError):
    """No catalog has this model id."""

    error_code = "unknown_model"

    def __init__(self, model: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown model '{model}'", suggestion=did_you_mean(model, known))
        self.model = model


class CatalogError(ConfiguratorError):
    """A catalog (or market) file has one or more problems; all of them are listed."""

    exit_code = ExitCode.CATALOG_INVALID
    error_code = "catalog_invalid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid catalog"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ConfigurationError(ConfiguratorError):
    """A configuration cannot be priced: unknown code, cardinality, rule, minimum spend."""

    exit_code = ExitCode.CONFIGURATION_INVALID
    error_code = "configuration_invalid"

    def __init__(
        self,
        message: str,
        *,
        suggestion: str | None = None,
        option_codes: Iterable[str] = (),
        rule_ids: Iterable[str] = (),
        explanation: Sequence[str] = (),
    ) -> None:
        super().__init__(message, suggestion=suggestion)
        self.option_codes = tuple(option_codes)
        self.rule_ids = tuple(rule_ids)
        self.explanation = tuple(explanation)

    def __str__(self) -> str:
        text = super().__str__()
        if self.explanation:
            text += "\n" + "\n".join(f"  {line}" for line in self.explanation)
        return text


class UnknownOptionError(ConfigurationError):
    error_code = "unknown_option"


class CardinalityError(ConfigurationError):
    error_code = "cardinality"


class RuleViolationError(ConfigurationError):
    error_code = "rule_violation"


class MinimumSpendError(ConfigurationError):
    error_code = "minimum_spend"


class BadValueError(ConfigurationError):
    """A buyer-supplied value is missing, not allowed, or given for an option without one."""

    error_code = "bad_value"


class CodeError(UsageError):
    """A configuration code is malformed or fails its checksum."""

    error_code = "bad_code"


class CompileBudgetExceeded(ConfiguratorError):
    """A catalog's rules could not be compiled into a decision diagram within the budget
    (:class:`configurator.rules.compile.CompileBudget`): too many diagram nodes, or too long.

    Nothing that needs only validity or explanations waits for compilation (they use the
    pricer's checks and the SAT solver); this is raised by what needs the compiled form
    (valid domains, counts, completions), so that a front end can fall back to a
    search-based engine or say so. ``limit`` is ``"nodes"`` or ``"seconds"``; ``reached`` is
    how far compilation got when it stopped.
    """

    exit_code = ExitCode.CATALOG_INVALID
    error_code = "compile_budget"

    def __init__(
        self, catalog_id: str, limit: str, budget: float, reached: float, seconds: float
    ) -> None:
        if limit == "nodes":
            what = f"its decision diagram reached {int(reached):,} nodes (budget {int(budget):,})"
        else:
            what = f"compiling needs more than its budget of {budget:g} s of processor time"
        if limit == "nodes":
            what += f", after {seconds:.1f} s"
        super().__init__(
            f"the rules of '{catalog_id}' are too complex to compile: {what}",
            suggestion="quotes and explanations still work; to allow more, set "
            "CONFIGURATOR_COMPILE_NODES or CONFIGURATOR_COMPILE_SECONDS",
        )
        self.catalog_id = catalog_id
        self.limit = limit
        self.budget = budget
        self.reached = reached
        self.seconds = seconds


class CacheWarning(UserWarning):
    """The on-disk cache cannot be trusted or used; work goes on without it. The CLI prints
    these as ``warning: ...`` on stderr, once each."""


#: The most characters of a user's input a message repeats (a 20 KB value is not echoed whole).
MAX_ECHO = 80


def shorten(text: str, limit: int = MAX_ECHO) -> str:
    """User input as a message repeats it: whole when short, else its start and its length."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({len(text):,} characters)"


#: The longest message an error carries (the end of a longer one is cut, with a mark).
MAX_MESSAGE = 2_000

_QUOTED = re.compile(rf"'([^'\n]{{{MAX_ECHO + 1},}})'")
_LONG_WORD = re.compile(rf"[^\s']{{{2 * MAX_ECHO + 1},}}")  # no real word is this long


def shorten_echoes(message: str) -> str:
    """A message with every quoted echo of user input (``'...'``), and any unquoted run of
    over 160 characters without a space, shortened to :data:`MAX_ECHO` characters; the
    whole to :data:`MAX_MESSAGE`."""
    if len(message) <= MAX_ECHO:
        return message
    message = _QUOTED.sub(lambda found: f"'{shorten(found.group(1))}'", message)
    message = _LONG_WORD.sub(lambda found: shorten(found.group()), message)
    return shorten(message, MAX_MESSAGE)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """Return 'did you mean X?' for the closest candidate, or None when nothing is close."""
    pool = list(candidates)
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not matches:
        upper = {c.upper(): c for c in pool}
        matches = difflib.get_close_matches(word.upper(), list(upper), n=1, cutoff=0.6)
        matches = [upper[m] for m in matches]
    return f"did you mean '{matches[0]}'?" if matches else None
