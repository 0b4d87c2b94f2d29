"""Reading YAML inputs: one place that turns every way a YAML file can be unreadable into a Problem.

Inputs are typed by people, so a file can be missing, not UTF-8, not YAML, or nested so deeply
that the parser runs out of stack. Each of these becomes a :class:`peel.errors.Problem` naming the
file (and the line, where the parser knows it) instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from peel.errors import Problem, problem
from peel.files import read_input_or_problem


class SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a date that does not exist (``2023-02-30``) is kept as text.

    PyYAML would raise a bare ValueError for it; as text, the file's schema names the key and the day.
    """


def _construct_timestamp(loader: SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

#: Digits beyond which a YAML number is not read as one: far above any count, amount, year or typed
#: precision, and far below Python's limit on converting text to an int (4,300 digits), past which PyYAML
#: raises a bare error (and a float typed with thousands of decimals breaks rounding later).
MAX_NUMBER_DIGITS = 40


class OversizedNumber(float):
    """A YAML number with too many digits to be a number any input holds: read as infinity, so every
    check of a number refuses it, and shown as ``a number 5,000 digits long`` in the message naming its key."""

    digits: int

    def __new__(cls, digits: int) -> OversizedNumber:
        value = super().__new__(cls, "inf")
        value.digits = digits
        return value

    def __repr__(self) -> str:
        return f"a number {self.digits:,} digits long"

    __str__ = __repr__


def oversized(node: yaml.ScalarNode) -> OversizedNumber | None:
    """The marker for a number scalar with more than :data:`MAX_NUMBER_DIGITS` digits, else ``None``."""
    digits = sum(c.isdigit() for c in str(node.value))
    return OversizedNumber(digits) if digits > MAX_NUMBER_DIGITS else None


def _construct_int(loader: SafeLoader, node: yaml.ScalarNode) -> Any:
    return oversized(node) or yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_float(loader: SafeLoader, node: yaml.ScalarNode) -> Any:
    return oversized(node) or yaml.SafeLoader.construct_yaml_float(loader, node)


SafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
SafeLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def read_yaml(path: Path, problems: list[Problem], expected: str,
              loader: type[yaml.SafeLoader] = SafeLoader) -> Any:
    """Parse ``path``; on failure append a problem and return ``None``.

    Parameters
    ----------
    path
        The YAML file.
    problems
        Where problems are collected.
    expected
        What the file should hold, said when it is missing (``"the measure catalogue"``).
    loader
        A :class:`yaml.SafeLoader` subclass (for example one that refuses duplicate keys).
    """
    raw = read_input_or_problem(path, problems, expected)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append(problem(path, f"byte {e.start}", "not UTF-8 text: save the file as UTF-8"))
        return None
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - always a SafeLoader (sub)class
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        said = " ".join(f"{getattr(e, 'context', None) or ''} {getattr(e, 'problem', None) or ''}".split())
        plain = explain_yaml_error(text, e)
        problems.append(problem(path, where, f"not valid YAML: {plain + '; ' if plain else ''}"
                                             f"the YAML reader said: {said or e}"))
        return None
    except RecursionError:
        problems.append(problem(path, "", "not valid YAML: nested too deeply; expected plain keys, "
                                          "values and lists"))
        return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _line_before(lines: list[str], n: int) -> str | None:
    """The nearest line above line ``n`` (0-based) with content (not blank, not only a comment)."""
    for line in reversed(lines[:n]):
        if line.strip() and not line.lstrip().startswith("#"):
            return line
    return None


def explain_yaml_error(text: str, error: yaml.YAMLError) -> str:
    """What is wrong on the line PyYAML stopped at, in the words of someone who edits the file.

    PyYAML reports its parser's state ("mapping values are not allowed here", "expected <block end>,
    but found '?'"); the usual causes in a hand-typed file are a tab, a line indented more (or less) than
    the key it belongs to, a ': ' inside an unquoted value, and a quote or bracket never closed. Returns
    ``""`` when none of these is what happened.
    """
    mark = getattr(error, "problem_mark", None)
    if mark is None:
        return ""
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    what = f"{getattr(error, 'context', None) or ''} {getattr(error, 'problem', None) or ''}"
    opened = getattr(error, "context_mark", None)
    if "\t" in line[:len(line) - len(line.lstrip())] or "'\\t'" in what:
        return "a tab character in the indentation; indent with spaces only"
    if "quoted scalar" in what and opened is not None:
        return f"a quote opened on line {opened.line + 1} is never closed"
    if "flow sequence" in what or "flow mapping" in what:
        bracket = "[" if "sequence" in what else "{"
        at = f" on line {opened.line + 1}" if opened is not None else ""
        return f"a '{bracket}'{at} is never closed"
    before = _line_before(lines, mark.line)
    if "mapping values are not allowed" in what:
        if before is not None and _indent(line) > _indent(before) and not before.rstrip().endswith(":"):
            return "this line is indented more than the one before it, so it cannot start a new key"
        return ("a ': ' inside an unquoted value (a colon followed by a space starts a key); put the value in "
                "quotes")
    if "expected <block end>" in what and before is not None:
        if _indent(line) > _indent(before):
            return "this line is indented more than the one before it, so it cannot start a new key"
        if _indent(line) < _indent(before):
            return ("this line is indented less than the one before it, but not as far back as any key above it, "
                    "so it belongs to none of them")
        if line.lstrip().startswith("-"):
            return "a list item ('- ') among keys at the same indentation; a list goes under its key, indented"
    return ""


class _ReadableDumper(yaml.SafeDumper):
    """A dumper whose output a person can edit: text with line breaks as ``|`` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        # Indent list items under their key, as people write them.
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # Paragraphs stay as typed (|); a long sentence is folded (>) at the line width instead of being
    # quoted and wrapped with blank lines. PyYAML falls back to quotes for text a block cannot hold.
    style = None
    if "\n" in text.rstrip("\n"):
        style = "|"
    elif len(text) > 80 and text.rstrip("\n") == text.strip():
        style = ">"
    elif text.endswith("\n"):
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ReadableDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any, width: int = 100) -> str:
    """YAML for a file people edit by hand: keys in the given order, text with line breaks as ``|``
    blocks, no escapes for non-ASCII characters. Loading the result and dumping it again gives the same
    text (round-trip stable).
    """
    return yaml.dump(data, Dumper=_ReadableDumper, sort_keys=False, allow_unicode=True, width=width,
                     default_flow_style=False)
