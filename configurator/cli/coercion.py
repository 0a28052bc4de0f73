"""Plain command-line values without a pydantic validator per parameter.

Typer (0.29 and later) coerces every parameter of the command being run through a pydantic
``TypeAdapter`` that it builds on the spot, at every run: building those adapters pulls in
pydantic's schema machinery and its plugin loader (``importlib.metadata``), which cost a
one-shot command such as ``configurator quote`` more than Typer itself takes to import.

Our commands take text (``str``), lists of text and enum choices, whose coercion is the
identity or a lookup. :func:`lighten` gives such parameters a runtime coercion that does that
directly; any value it does not recognise as plainly valid (bytes, an unknown choice, ...) is
handed to Typer's own coercion, built then, so errors and edge cases read exactly as Typer's.
Other parameter types (numbers, paths, ...) and the subcommands of subgroups keep Typer's
coercion. With a Typer that does not work this way (older versions parse with Click's types)
nothing is changed.

This reaches into Typer's internals (``typer._coercion``, ``typer.core._TyperParameter``), so
it is made safe three ways: pyproject.toml bounds typer to the versions it is known to work
with; :func:`broken_assumptions` checks, once, everything used here, and when any of it has
changed :func:`lighten` changes nothing (Typer's own coercion: slower, still correct); and
tests/test_cli_typer_contract.py fails, naming this file, when an upgrade changed any of it.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import typing
from dataclasses import dataclass
from typing import Any

try:  # Typer's runtime coercion layer (0.29+); absent in older Typer versions
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer.core import _TyperParameter
    from typer.models import ParameterInfo
except ImportError:  # pragma: no cover - depends on the installed Typer
    RuntimeParam = None  # type: ignore[assignment,misc]

_MISSING = object()


def _plain_text(value: Any) -> Any:
    return value if type(value) is str else _MISSING


def _plain_flag(value: Any) -> Any:
    return value if type(value) is bool else _MISSING


def _plain_texts(value: Any) -> Any:
    if isinstance(value, list | tuple) and all(type(item) is str for item in value):
        return list(value)
    return _MISSING


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class _PlainParam(RuntimeParam):
        """Coerce plainly valid values directly; anything else the way Typer does."""

        kind: str = "text"  # "text", "texts", "flag" or "choice"

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.kind == "text":
                found = _plain_text(value)
            elif self.kind == "flag":
                found = _plain_flag(value)
            elif self.kind == "texts":
                found = _plain_texts(value)
            else:
                found = self._choice(value, ctx)
            if found is not _MISSING:
                return found
            typer_own = build_runtime_param(param.type_descriptor)
            return typer_own._coerce_value(value, param=param, ctx=ctx)

        def _choice(self, value: Any, ctx: Any) -> Any:
            # Typer compares normalised forms (case, ctx.token_normalize_func) and takes the
            # first member that matches; an exact match of the value's text is the same
            # answer when there is no normalisation at all.
            annotation = typing.cast(type[enum.Enum], self.annotation)
            if isinstance(value, annotation):
                return value
            if type(value) is not str or not self.parameter_info.case_sensitive:
                return _MISSING
            if ctx is not None and getattr(ctx, "token_normalize_func", None) is not None:
                return _MISSING
            for member in annotation:
                if str(member.value) == value:
                    return member
            return _MISSING


@functools.cache
def broken_assumptions() -> tuple[str, ...]:
    """What this module relies on in Typer and the installed Typer no longer provides, one
    entry per change (empty when all is there)."""
    if RuntimeParam is None:
        return ("typer._coercion (RuntimeParam, TypeDescriptor, build_runtime_param) is gone",)
    broken: list[str] = []

    def fields_of(cls: Any, names: set[str]) -> None:
        have = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
        if not names <= have:
            broken.append(f"{cls.__qualname__} lacks the fields {sorted(names - have)}")

    fields_of(RuntimeParam, {"parameter_info", "annotation"})
    fields_of(TypeDescriptor, {"annotation", "parameter_info", "file_annotation"})
    coerce = getattr(RuntimeParam, "_coerce_value", None)
    if coerce is None or list(inspect.signature(coerce).parameters) != [
        "self",
        "value",
        "param",
        "ctx",
    ]:
        broken.append("RuntimeParam._coerce_value(self, value, param, ctx) changed")
    if not callable(getattr(RuntimeParam, "coerce", None)):
        broken.append("RuntimeParam.coerce is gone")
    if not callable(getattr(_TyperParameter, "get_runtime_param", None)):
        broken.append("_TyperParameter.get_runtime_param (which reads _runtime_param) is gone")
    if "_runtime_param" not in getattr(_TyperParameter, "__annotations__", {}):
        broken.append("_TyperParameter._runtime_param is gone")
    info = set(inspect.signature(ParameterInfo.__init__).parameters)
    if not {"parser", "case_sensitive"} <= info:
        broken.append("ParameterInfo lacks parser or case_sensitive")
    return tuple(broken)


def _kind(param: Any) -> str | None:
    descriptor = param.type_descriptor
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or getattr(info, "parser", None) is not None:
        return None
    annotation = descriptor.annotation
    if annotation is str:
        return "text"
    if annotation is bool:
        return "flag"
    if typing.get_origin(annotation) is list and typing.get_args(annotation) == (str,):
        return "texts"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "choice"
    return None


def lighten(command: Any, ctx: Any, *, own_context: bool = False) -> None:
    """Give a command's text, flag and choice parameters (and its help option) direct coercion.

    ``ctx`` is the command's own context (``own_context``) or its parent's: with the parent's,
    the help option is made (and cached by the command) here only when the command does not
    set its own help option names, so that it is the option its own context would make.
    """
    if RuntimeParam is None or broken_assumptions():  # Typer's own coercion, unchanged
        return
    params = list(getattr(command, "params", ()))
    settings = getattr(command, "context_settings", None) or {}
    if own_context or "help_option_names" not in settings:
        help_option = command.get_help_option(ctx)
        if help_option is not None:
            params.append(help_option)
    for param in params:
        if not isinstance(param, _TyperParameter):
            continue
        if getattr(param, "_runtime_param", _MISSING) is not None:
            continue
        try:
            kind = _kind(param)
        except AttributeError:  # pragma: no cover - a Typer whose parameters look different
            continue
        if kind is not None:
            descriptor = param.type_descriptor
            param._runtime_param = _PlainParam(
                parameter_info=descriptor.parameter_info,
                annotation=descriptor.annotation,
                kind=kind,
            )
