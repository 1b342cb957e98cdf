"""What every settings section shares: the base Struct, the check error, and the paths of msgspec's errors.

A section's checks that msgspec cannot express raise ``Invalid`` in ``__post_init__``;
``validation_error_path`` turns msgspec's error into the dotted key path and a detail that says how to fix it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import types
import typing
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from fxbot.errors import ConfigError
from fxbot.pairs import get_pair

UNKNOWN_KEY = "unknown key; check its spelling against configs/default.yaml"


class Invalid(ValueError):
    """A ``__post_init__`` check failed; ``key`` is the field it concerns (None: the whole section).

    msgspec turns it into a ValidationError at the section's path and keeps it as ``__cause__``,
    from which ``validation_error_path`` takes ``key`` (appended to the path) and ``detail``.
    """

    def __init__(self, key: str | None, detail: str) -> None:
        super().__init__(f"{key}: {detail}" if key else detail)
        self.key = key
        self.detail = detail


def pair_code(name: str, key: str) -> str:
    """A pair's code; an unknown pair is an ``Invalid`` error naming ``key``, the field that holds it."""
    try:
        return get_pair(name).code
    except ConfigError as exc:
        raise Invalid(key, str(exc)) from None


@functools.cache
def _nested_sections(cls: type[Struct]) -> tuple[tuple[str, type[Section]], ...]:
    """The fields of ``cls`` that are sections themselves, read from its annotations (nothing to register)."""
    out = []
    for info in msgspec.structs.fields(cls):
        kind = info.type
        if typing.get_origin(kind) is Annotated:
            kind = typing.get_args(kind)[0]
        if isinstance(kind, type) and issubclass(kind, Section):
            out.append((info.name, kind))
    return tuple(out)


class Section(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of every settings section: immutable, keyword-only, unknown keys rejected."""

    def _sections(self) -> None:
        """Validate nested sections given as mappings in code (``Settings(data={"dir": ...})``)."""
        if not any(isinstance(getattr(self, name), dict) for name in self.__struct_fields__):
            return  # the usual case (defaults, a file): no annotations to read, which costs about a millisecond
        for name, section in _nested_sections(type(self)):
            value = getattr(self, name)
            if isinstance(value, dict):
                try:
                    converted = msgspec.convert(value, section, dec_hook=decode_hook)
                except msgspec.ValidationError as exc:
                    path, detail = validation_error_path(exc, section, value)
                    raise Invalid(name if path == "(top level)" else f"{name}.{path}", detail) from None
                msgspec.structs.force_setattr(self, name, converted)


def key_bounds(section: type[Struct], key: str) -> tuple[type, Meta]:
    """The number type and the ``Meta`` (ge/gt/le/lt) of ``section.key``: a command-line option shares them."""
    hint = typing.get_type_hints(section, include_extras=True)[key]
    kind, *extras = typing.get_args(hint)
    meta = next(m for m in extras if isinstance(m, Meta))
    return kind, meta


def decode_hook(type_: type, obj: object) -> object:
    """``dec_hook`` for ``msgspec.convert``: builds the ``Path`` fields from strings (or paths)."""
    if type_ is Path:
        if isinstance(obj, str | PurePath):
            return Path(obj)
        raise TypeError(f"Expected `str`, got `{'null' if obj is None else type(obj).__name__}`")
    raise TypeError(f"Unsupported type {type_!r}")


def _bare(tp: Any) -> Any:
    """``tp`` without its ``Annotated`` metadata."""
    return typing.get_args(tp)[0] if typing.get_origin(tp) is Annotated else tp


def _field_type(root: type, path: list[str]) -> Any:
    """The declared type at ``path`` below the Struct ``root`` (None if the path leaves the schema)."""
    tp: Any = root
    for key in path:
        tp = _bare(tp)
        if isinstance(tp, type) and issubclass(tp, Struct):
            tp = next((f.type for f in msgspec.structs.fields(tp) if f.name == key), None)
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) is list:
            tp = typing.get_args(tp)[0]
        else:
            return None
    return None if tp is None else _bare(tp)


def _hint(tp: Any) -> str:
    """How to fix a value of type ``tp``: the allowed choices, or the date format."""
    options = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
    for option in options:
        if typing.get_origin(option) is Literal:
            return "; use one of " + ", ".join(repr(v) for v in typing.get_args(option))
        if option is dt.date:
            return "; write dates as YYYY-MM-DD" + (" or null" if type(None) in options else "")
    return ""


def validation_error_path(
    exc: msgspec.ValidationError, root: type, raw: object, unknown_key: str = UNKNOWN_KEY
) -> tuple[str, str]:
    """The dotted key path (``data.provder``, ``pairs.1``) and the detail of a msgspec error.

    ``root`` is the Struct type and ``raw`` the data that failed to convert into it; they resolve
    what msgspec leaves out: the key of a bad mapping value (``$.account.leverage[...]``) and the
    allowed values of a choice. ``unknown_key`` is the detail for a key the schema does not have.
    """
    message = str(exc)
    detail, at, where = message.rpartition(" - at `")
    if not at:
        detail, where = message, ""
    is_key = where.startswith("key` in `")
    path = [a or b for a, b in re.findall(r"\.([^.\[`]+)|\[([^\]]*)\]", where.removeprefix("key` in `"))]
    cause = exc.__cause__
    unknown = re.fullmatch(r"Object contains unknown field `(.*)`", detail)
    missing = re.fullmatch(r"Object missing required field `(.*)`", detail)
    if unknown:
        path.append(unknown.group(1))
        detail = unknown_key
    elif missing:
        path.append(missing.group(1))
        detail = "required key is missing"
    elif isinstance(cause, Invalid):
        path += [cause.key] if cause.key else []
        detail = cause.detail
    elif is_key:
        detail = f"a key: {detail}"
    if "..." in path:
        path = _resolve_mapping_key(root, raw, path)
    if not (unknown or missing or is_key or isinstance(cause, Invalid)):
        detail += _hint(_field_type(root, path))
    return ".".join(path) or "(top level)", detail


def _resolve_mapping_key(root: type, raw: object, path: list[str]) -> list[str]:
    """Replace the ``...`` that msgspec writes for a mapping's key by the first key whose value fails."""
    cut = path.index("...")
    container: Any = raw
    for key in path[:cut]:
        if isinstance(container, dict):
            container = container.get(key)
        elif isinstance(container, list) and key.isdigit() and int(key) < len(container):
            container = container[int(key)]
        else:
            return path
    value_type = _field_type(root, [*path[:cut], "..."])
    if not isinstance(container, dict) or value_type is None:
        return path
    for key, value in container.items():
        try:
            msgspec.convert(value, value_type, dec_hook=decode_hook)
        except msgspec.ValidationError:
            return [*path[:cut], str(key), *path[cut + 1 :]]
    return path
