"""The field tables of docs/catalog-format.md, generated from the pydantic models.

The prose of the format document is written by hand; each model's table of fields sits
between ``<!-- fields: Model -->`` and ``<!-- /fields -->`` and is generated here, so the
documentation cannot drift from ``schema.py`` (a test compares them). Regenerate with::

    python -m configurator.catalog.reference docs/catalog-format.md
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import inspect
import re
import sys
import types
import typing
from collections.abc import Sequence
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from configurator.catalog import schema

_BLOCK = re.compile(r"(<!-- fields: (\w+) -->\n)(.*?)(<!-- /fields -->)", re.DOTALL)

_PATTERNS = {
    schema.CODE_PATTERN: "code",
    schema.SLUG_PATTERN: "id",
    r"^#[0-9a-fA-F]{6}$": "colour `#rrggbb`",
    r"^[A-Z]{3}$": "currency code",
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$": "language tag",
}
_VALIDATORS = {
    "parse_money": "amount",
    "_parse_price": "price",
    "parse_rate": "rate",
    "_parse_choose": "choice",
}


@functools.cache
def _docstrings() -> dict[str, dict[str, str]]:
    """Class name -> field name -> the docstring written under the field in schema.py."""
    tree = ast.parse(inspect.getsource(schema))
    found: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields: dict[str, str] = {}
        for before, after in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(before, ast.AnnAssign)
                and isinstance(before.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                fields[before.target.id] = inspect.cleandoc(after.value.value)
        found[node.name] = fields
    return found


def field_doc(model: type[BaseModel], name: str) -> str | None:
    """The docstring of a field, looked up along the model's bases ("" when there is none)."""
    for cls in model.__mro__:
        doc = _docstrings().get(cls.__name__, {}).get(name)
        if doc and cls.__module__ == schema.__name__:
            return doc
    return None


def describe_fields(json_schema: dict[str, Any], models: Sequence[type[BaseModel]]) -> None:
    """Put each field's docstring into a generated JSON Schema as its ``description``."""
    definitions = json_schema.get("$defs", {})
    for model in models:
        target = definitions.get(model.__name__)
        if target is None and json_schema.get("title") == model.__name__:
            target = json_schema
        if target is None:
            continue
        for name, info in model.model_fields.items():
            doc = field_doc(model, name)
            entry = target.get("properties", {}).get(info.alias or name)
            if doc and entry is not None:
                entry["description"] = doc


def schema_models() -> list[type[schema.Strict]]:
    """Every model of the catalog format (the classes of schema.py)."""
    return [
        obj
        for obj in vars(schema).values()
        if isinstance(obj, type)
        and issubclass(obj, schema.Strict)
        and obj not in (schema.Strict, schema.Sections)
        and obj.__module__ == schema.__name__
    ]


def _split(annotation: Any) -> tuple[Any, list[Any]]:
    """The bare type and every piece of metadata around it (Annotated, FieldInfo)."""
    metadata: list[Any] = []
    while typing.get_origin(annotation) is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        for item in extra:
            metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        annotation = base
    return annotation, metadata


def _bounds(metadata: list[Any]) -> str:
    words = []
    for item in metadata:
        for attribute, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(item, attribute, None)
            if value is not None:
                words.append(f"{symbol} {value}")
    return f" {', '.join(words)}" if words else ""


def type_words(annotation: Any, metadata: list[Any] | None = None) -> str:
    """A field's type as the format document names it: 'list of code', 'price'."""
    annotation, extra = _split(annotation)
    metadata = [*(metadata or []), *extra]
    for item in metadata:
        name = getattr(getattr(item, "func", None), "__name__", "")
        if name in _VALIDATORS:
            return _VALIDATORS[name]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_words(a) for a in args if a is not type(None))
    if origin is list:
        return f"list of {type_words(args[0])}"
    if origin is dict:
        return f"mapping of {type_words(args[0])} to {type_words(args[1])}"
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(f"`{member.value}`" for member in annotation)
    if annotation is str:
        pattern = next(
            (getattr(m, "pattern", None) for m in metadata if getattr(m, "pattern", None)), None
        )
        return _PATTERNS.get(pattern or "", "text")
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer" + _bounds(metadata)
    if annotation is dt.date:
        return "date"
    if annotation is Decimal:
        return "decimal"
    return getattr(annotation, "__name__", str(annotation))


def _default_words(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        return "optional, empty"
    if info.default is None:
        return "optional"
    value = info.default
    if isinstance(value, Enum):
        value = value.value
    return f"default `{value}`"


_EXPRESSIONS = {"requires", "if", "then", "when"}


def field_table(model: type[BaseModel]) -> str:
    """A markdown table of a model's fields: key, type, required or default, meaning.

    A catalog's or fragment's own keys come before the sections it shares with the other.
    """
    lines = ["| key | type | required | meaning |", "|---|---|---|---|"]
    shared = set(schema.Sections.model_fields) if issubclass(model, schema.Sections) else set()
    fields = sorted(model.model_fields.items(), key=lambda item: item[0] in shared)
    for name, info in fields:
        key = info.alias or name
        meaning = (field_doc(model, name) or "").replace("\n", " ").replace("``", "`")
        meaning = meaning.replace("|", "\\|")
        kind = type_words(info.annotation, list(info.metadata)).replace("|", "\\|")
        if key in _EXPRESSIONS:
            kind = "[expression](#rule-expressions)"
        lines.append(f"| `{key}` | {kind} | {_default_words(info)} | {meaning} |")
    return "\n".join(lines) + "\n"


def update_docs(text: str) -> str:
    """The document with every generated field table brought up to date."""

    def replace(match: re.Match[str]) -> str:
        model = getattr(schema, match.group(2))
        return f"{match.group(1)}{field_table(model)}{match.group(4)}"

    return _BLOCK.sub(replace, text)


def documented_models(text: str) -> list[str]:
    """The model names that have a generated table in the document."""
    return [match.group(2) for match in _BLOCK.finditer(text)]


def main(argv: list[str]) -> int:
    """Rewrite the field tables of the given document(s) in place."""
    for name in argv:
        path = Path(name)
        path.write_text(update_docs(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
