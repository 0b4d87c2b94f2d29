"""Content hashes, and the one rule that decides whether a kept output is reused.

An output kept between builds (an executed notebook, a report, the national overview) is kept beside a
small record of the hashes it was made from (its *components*) and of the files it consists of.
:func:`reuse_decision` reuses it when every component is unchanged and every file is still there,
unedited; otherwise it gives the reason in words. The build's cache (:mod:`peel.pipeline.cache`) and
the overview (:mod:`peel.render.overview`) both decide with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from peel.files import InputFileError


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, in hex (a FIFO or a device is refused, never read: :func:`peel.files.read_input`)."""
    h = hashlib.sha256()
    if not Path(path).is_file():  # follows symlinks: a FIFO, a device or a folder is not a file
        raise InputFileError(f"{path} is not a regular file")
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    """SHA-256 of a text's UTF-8 bytes, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_id(doc: Any) -> str:
    """A short, stable id of a JSON-able value (the first 12 hex digits of its SHA-256)."""
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def reuse_decision(components: Mapping[str, str], record: Mapping[str, Any] | None,
                   produced: Sequence[tuple[str, Path, str | None]], words: Mapping[str, str],
                   no_record: str) -> tuple[bool, str]:
    """Whether a kept output must be made again, and why: ``(True, reason)`` or ``(False, "unchanged")``.

    Parameters
    ----------
    components
        The hashes the output would be made from now.
    record
        The record kept beside the output (``None`` when there is none).
    produced
        ``(name, path, sha256 in the record or None)`` of each file the output consists of.
    words
        How each component is named in the reason (``"data"`` -> ``"data changed"``).
    no_record
        The reason when there is no record.
    """
    if record is None:
        return True, no_record
    old = record.get("components", {})
    changed = [name for name in components if old.get(name) != components[name]]
    if changed:
        return True, ", ".join(words.get(n, f"{n} changed") for n in changed)
    for name, path, expected in produced:
        if expected is None:
            return True, f"{name} not built before"
        if not path.is_file() or sha256_file(path) != expected:
            return True, f"{name} missing or edited"
    return False, "unchanged"
