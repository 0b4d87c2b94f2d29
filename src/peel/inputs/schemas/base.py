"""What the four input schemas share: strict models, checked scalar types, and ONE translation of
pydantic's errors into peel's problems.

Each input file (``notebooks/report.yaml``, ``data/measures.yaml``, ``data/dataset.yaml``,
``params/<force>.yaml``) is declared as a pydantic model in this package. A model refuses unknown
keys (``extra="forbid"``), and its scalar types (:func:`text`, :data:`Flag`, :func:`number`,
:func:`choice`) say in peel's words what was wrong with a value. :func:`problems_from` turns a
:class:`pydantic.ValidationError` into :class:`peel.errors.Problem` objects naming the file, the key
path (``areas.police_powers.findings[0].figures[0].k``) and what was expected, with "did you mean"
for a misspelt key or choice, so every input's messages read alike.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import types
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import GroupedMetadata
from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError, WithJsonSchema, WrapValidator
from pydantic_core import PydanticCustomError

from peel.errors import Problem, problem
from peel.inputs.yamlfile import OversizedNumber

#: Largest magnitude any number in an input may have: far above any real count or amount (a force's
#: budget is about 10^10 pounds), far below where float arithmetic loses whole units (2^53).
MAX_NUMBER = 1e15

#: Error type of every check written in peel's words; ``ctx`` holds the message and, optionally, the key
#: below the current location that the message is about (``key``) or several problems (``problems``).
PEEL_ERROR = "peel"


class StrictModel(BaseModel):
    """A mapping in an input file: only its declared keys, values never coerced, frozen once read."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=False,
                              hide_input_in_errors=True)

    #: What the mapping is, in words, for "expected ... (a mapping with keys ...)".
    what: typing.ClassVar[str] = "a mapping"
    #: What its keys are called in the file's documentation ("key", or "field" in the catalogue).
    key_word: typing.ClassVar[str] = "key"


Key = str | int | tuple[str | int, ...] | None


def fail(message: str, key: Key = None) -> PydanticCustomError:
    """An error in peel's words, optionally about ``key`` (a key, or a tuple of keys and indices) below the
    current location."""
    ctx: dict[str, Any] = {"message": message}
    if key is not None:
        ctx["key"] = key
    return PydanticCustomError(PEEL_ERROR, "{message}", ctx)


def fail_many(problems: Sequence[tuple[Key, str]]) -> PydanticCustomError:
    """Several errors at once, each ``(key below the current location or None, message)``."""
    return PydanticCustomError(PEEL_ERROR, "{message}", {"message": "; ".join(m for _k, m in problems),
                                                         "problems": list(problems)})


# -------------------------------------------------------------------------------------------------
# Words


def describe(value: Any) -> str:
    """A value as a message shows it: ``'true'``, ``the text 'abc'``, ``a list``, ``nothing``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def suggest(word: Any, choices: Iterable[Any]) -> str:
    """`` (did you mean 'x'?)`` for a close match among ``choices`` (also ignoring case), else ``""``."""
    options = [str(c) for c in choices]
    hint = difflib.get_close_matches(str(word), options, n=1)
    if not hint:
        lower = {c.lower(): c for c in options}
        if str(word).strip().lower() in lower:
            hint = [lower[str(word).strip().lower()]]
    return f" (did you mean '{hint[0]}'?)" if hint else ""


# -------------------------------------------------------------------------------------------------
# Scalar types: each checks in peel's words and declares its JSON Schema


def placeholder_format_problem(name: str, spec: str | None, conversion: str | None) -> str:
    """Why a sentence's ``{placeholder}`` may not carry a format or conversion (``{value:.2f}``): peel
    writes every number at its published precision, which a format could only contradict."""
    return (f"placeholder {{{name}}} has a format ('{spec or f'!{conversion}'}'): expected a plain "
            f"{{{name}}}; numbers are written at their published precision")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be written to a report (NUL, a lone surrogate), or ``None``."""
    if "\x00" in value:
        return f"contains a NUL character at position {value.index(chr(0))}: expected plain text"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        return (f"contains a character that is not valid Unicode (a lone surrogate, \\u{ord(value[e.start]):04x}, "
                f"at position {e.start}): expected text that can be saved as UTF-8")
    return None


_PLAIN_TEXT = {"not": {"pattern": "[\\u0000\\ud800-\\udfff]"}}


class Checked(GroupedMetadata):
    """A check written in peel's words and the JSON Schema it ships with, as ``Annotated`` metadata:
    ``Annotated[str, text(300)]`` reads as a type to mypy and as a validator to pydantic."""

    def __init__(self, *metadata: Any) -> None:
        self.metadata = metadata

    def __iter__(self) -> typing.Iterator[Any]:
        return iter(self.metadata)


def text(cap: int, nonempty: bool = False, what: str = "text") -> Checked:
    """``Annotated[str, text(...)]``: a string of at most ``cap`` characters, UTF-8 encodable, no NUL; not
    blank when ``nonempty``."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise fail(f"expected {what}, found {describe(value)}")
        if nonempty and not value.strip():
            raise fail(f"expected non-empty {what}")
        if len(value) > cap:
            raise fail(f"text is {len(value):,} characters long: expected at most {cap:,} "
                       f"(split long text into several findings)")
        bad = text_problem(value)
        if bad:
            raise fail(bad)
        return value

    schema: dict[str, Any] = {"type": "string", "maxLength": cap, **_PLAIN_TEXT}
    if nonempty:
        schema["pattern"] = "\\S"
    return Checked(PlainValidator(check), WithJsonSchema(schema))


def _check_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise fail(f"expected true or false, found {describe(value)}")
    return value


#: ``true`` or ``false`` (YAML's ``yes``/``no`` strings are not flags here).
Flag = Annotated[bool, PlainValidator(_check_flag), WithJsonSchema({"type": "boolean"})]


def number(whole: bool = False, positive: bool = False, maximum: float = MAX_NUMBER) -> Checked:
    """``Annotated[float, number(...)]`` (``int`` when ``whole``): a finite number from 0 to ``maximum``
    (above 0 when ``positive``), kept as typed (``94.0`` stays a float that remembers its one decimal place)."""
    kind = "a whole number" if whole else "a number"

    def check(value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(f"expected {kind}, found {describe(value)}")
        if isinstance(value, OversizedNumber):
            raise fail(f"expected {kind} of at most {maximum:g}, found {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise fail(f"expected {kind}, found {value!r} (a number too large to hold, or not a number)")
        if whole and not isinstance(value, int):
            raise fail(f"expected a whole number, found {value!r}")
        if value < 0:
            raise fail(f"must not be negative: found {value!r}")
        if positive and value == 0:
            raise fail("expected a number greater than 0, found 0")
        if value > maximum:
            raise fail(f"{value:g} is out of range: expected at most {maximum:g}")
        return value

    schema: dict[str, Any] = {"type": "integer" if whole else "number", "maximum": maximum}
    schema["exclusiveMinimum" if positive else "minimum"] = 0
    return Checked(PlainValidator(check), WithJsonSchema(schema))


def choice(options: Any, template: str = "{found} is not one of the choices") -> Checked:
    """``Annotated[options, choice(options, ...)]``: one of a ``Literal``'s values; ``template`` says what a
    wrong value is (``{found}`` is the value)."""
    values = get_args(options)

    def check(value: Any, handler: Any) -> Any:
        if isinstance(value, str) and value in values:
            return handler(value)
        found = repr(value) if isinstance(value, str) else describe(value)
        raise fail(f"{template.format(found=found)}{suggest(value, values)}: expected one of "
                   f"{', '.join(map(str, values))}")

    return Checked(WrapValidator(check))


def real_date(value: Any, expected: str) -> _dt.date | None:
    """``value`` (a YAML date, or ``YYYY-MM-DD`` text) as a date; PydanticCustomError naming a day that
    does not exist (2023-02-30) or text that is not a date."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            raise fail(f"{value!r} is not a date that exists: {expected}") from None
    raise fail(f"{expected}, found {describe(value)}")


# -------------------------------------------------------------------------------------------------
# From pydantic's errors to peel's problems


def _unwrap(tp: Any) -> Any:
    """The model, list, dict or union inside ``Annotated`` and ``Optional``."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        if get_origin(tp) in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _tag_member(tp: Any, tag: str) -> Any:
    """The member of a discriminated union (or the inner union) whose discriminator value is ``tag``."""
    for member in get_args(tp):
        m = _unwrap(member)
        if get_origin(m) in (Union, types.UnionType):
            if _tag_member(m, tag) is not None:
                return m
        elif isinstance(m, type) and issubclass(m, BaseModel) and any(
                get_origin(f.annotation) is Literal and tag in get_args(f.annotation) for f in m.model_fields.values()):
            return m
    return None


def _walk(root: type[BaseModel], loc: Sequence[str | int]) -> tuple[list[str | int], Any]:
    """The key path without the tags of discriminated unions, and the type found at its end."""
    path: list[str | int] = []
    tp: Any = root
    for part in loc:
        if part == "[key]":  # pydantic's marker for a problem with a mapping's key rather than its value
            continue
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            path.append(part)
            field = next((f for name, f in tp.model_fields.items() if (f.alias or name) == part), None)
            tp = field.annotation if field is not None else None
        elif get_origin(tp) in (list, tuple) or get_origin(tp) is Sequence:
            path.append(part)
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            path.append(part)
            tp = get_args(tp)[1]
        elif get_origin(tp) in (Union, types.UnionType) and isinstance(part, str):
            tp = _tag_member(tp, part)  # a discriminator's value: not a key in the file
        else:
            path.append(part)
            tp = None
    return path, tp


def key_path(parts: Iterable[str | int]) -> str:
    """``["areas", "x", "findings", 0, "k"]`` -> ``areas.x.findings[0].k``."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _keys(tp: Any) -> list[str]:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or name for name, f in tp.model_fields.items()]
    return []


def problems_from(error: ValidationError, file: str | Path, root: type[BaseModel],
                  place: Any = None) -> list[Problem]:
    """Translate pydantic's errors into peel's problems, in the order of the file.

    Parameters
    ----------
    error
        Raised by ``root.model_validate``.
    file
        The file that was read.
    root
        The model the file was validated against (to name the keys a mapping may have).
    place
        Optional ``(path parts) -> str`` that writes a key path, for files whose list items are
        better named by an id (``areas[3] (police_powers)``); :func:`key_path` by default.
    """
    write = place or key_path
    out: list[Problem] = []
    for e in error.errors(include_url=False):
        path, tp = _walk(root, e["loc"])
        kind, ctx = e["type"], e.get("ctx") or {}
        if kind == PEEL_ERROR:
            for key, message in ctx.get("problems") or [(ctx.get("key"), ctx["message"])]:
                below = [] if key is None else list(key) if isinstance(key, tuple) else [key]
                out.append(problem(file, write(path + below), message))
            continue
        parent = _unwrap(_walk(root, e["loc"][:-1])[1]) if e["loc"] else None
        word = getattr(parent, "key_word", "key")
        if kind == "extra_forbidden":
            allowed = _keys(parent)
            message = f"unknown {word}{suggest(path[-1], allowed)}: expected one of {', '.join(allowed)}"
        elif kind == "missing":
            message = f"missing required {word} '{path[-1]}'"
        elif kind in ("model_type", "model_attributes_type", "dataclass_type"):
            model = _unwrap(tp)
            what = getattr(model, "what", "a mapping")
            message = f"expected {what} (a mapping with keys {', '.join(_keys(model))}), found {describe(e['input'])}"
        elif kind == "dict_type":
            message = f"expected a mapping, found {describe(e['input'])}"
        elif kind in ("list_type", "tuple_type"):
            message = f"expected a list, found {describe(e['input'])}"
        elif kind == "union_tag_invalid":
            key = str(ctx.get("discriminator", "")).strip("'")
            tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
            given = e.get("input")
            found = given.get(key) if isinstance(given, dict) and key in given else ctx.get("tag")
            shown = repr(found) if isinstance(found, str) else describe(found)
            path = path + [key]
            message = f"{shown} is not a {key}{suggest(found, tags)}: expected one of {', '.join(tags)}"
        elif kind == "union_tag_not_found":
            key = str(ctx.get("discriminator", "")).strip("'")
            path = path + [key]
            message = f"missing required key '{key}'"
        elif kind in ("too_short", "too_long"):
            n = ctx.get("min_length", ctx.get("max_length"))
            message = f"expected {'at least' if kind == 'too_short' else 'at most'} {n} " \
                      f"{'entry' if n == 1 else 'entries'}, found {ctx.get('actual_length')}"
        else:  # a check not written in peel's words: still name the key and pydantic's reason
            message = f"{e['msg']}, found {describe(e.get('input'))}"
        out.append(problem(file, write(path), message))
    return out


# -------------------------------------------------------------------------------------------------
# Containers that say what they hold


def items_of(what: str) -> WrapValidator:
    """A list (``None``, an empty ``key:``, is an empty list) that says what it holds when it is not one."""

    def check(value: Any, handler: Any) -> Any:
        if value is None:
            value = []
        if not isinstance(value, list):
            raise fail(f"expected a list of {what}, found {describe(value)}")
        return handler(value)

    return WrapValidator(check)


def mapping_of(what: str) -> WrapValidator:
    """A mapping (``None`` is an empty one) that says what it holds when it is not one."""

    def check(value: Any, handler: Any) -> Any:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise fail(f"expected a mapping of {what}, found {describe(value)}")
        return handler(value)

    return WrapValidator(check)


def one_mapping(what: str) -> WrapValidator:
    """A single mapping (such as one figure of a union of kinds) that says what it is when it is not one."""

    def check(value: Any, handler: Any) -> Any:
        if not isinstance(value, dict):
            raise fail(f"expected {what}, found {describe(value)}")
        return handler(value)

    return WrapValidator(check)
