"""Seals on the build's cache records, so that a record edited outside the build is never trusted.

An executed notebook is reused when its record (``notebooks/<area>.key``) says it was made from the
same inputs and the notebook's bytes still match the hash in that record; a report is kept on the
same terms (``report.key``). Both records sit in the output folder, where anyone who can edit a
notebook can also recompute its hash. So each record the build writes is also *sealed*: an
HMAC-SHA256 of its content under a key kept outside the output folder, in the user's state folder
(``platformdirs.user_state_path("peel-reports")/build-seal.key``, made on first use, readable by
the user alone). The seals are kept in ``OUT/.seals.json``; a record whose seal does not match is
not trusted and its notebook is executed again (or its report rendered again).

The seals, being key-dependent, are kept out of every other file: the reports, executed notebooks
and records are the same bytes for the same inputs whoever builds them; only ``.seals.json``
differs between users (and a folder built by another user is executed again once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from platformdirs import user_state_path

from peel.errors import BuildError
from peel.files import atomic_write, read_input

#: The seals of an output folder's records, ``{record path relative to the folder: seal}``.
SEALS_NAME = ".seals.json"
#: The key's file name in the user's state folder.
KEY_NAME = "build-seal.key"


def key_path() -> Path:
    """Where the user's seal key is kept (outside any output folder)."""
    return user_state_path("peel-reports") / KEY_NAME


@cache
def _key_at(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        # Written whole under another name, then linked into place: two builds starting at once
        # cannot read a half-written key, and the first one's key wins.
        tmp = path.with_name(f".{KEY_NAME}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise BuildError(f"{path}: the build's seal key must be readable by you alone (mode 600, found "
                         f"{mode:o}); run: chmod 600 {path}")
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise BuildError(f"{path}: expected the build's seal key (64 hex digits); delete the file and the "
                         "next build makes a new one (and executes every notebook again)")
    return key


def seal(name: str, record: Mapping[str, Any]) -> str:
    """The seal of a record: HMAC-SHA256, under the user's key, of its path in the folder and its content."""
    text = json.dumps([name, record], sort_keys=True, ensure_ascii=False)
    return hmac.new(_key_at(key_path()), text.encode("utf-8"), hashlib.sha256).hexdigest()


def sealed(seals: Mapping[str, str], name: str, record: Mapping[str, Any] | None) -> bool:
    """Whether ``record`` (as read from the folder) is the one the build sealed under ``name``."""
    expected = seals.get(name)
    return record is not None and expected is not None and hmac.compare_digest(expected, seal(name, record))


def read_seals(out_dir: Path) -> dict[str, str]:
    """The seals of the records in ``out_dir`` (empty when there are none or they cannot be read)."""
    try:
        doc = json.loads(read_input(Path(out_dir) / SEALS_NAME).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in doc.items()} if isinstance(doc, dict) else {}


def write_seals(out_dir: Path, seals: Mapping[str, str]) -> None:
    """Write ``OUT/.seals.json`` atomically."""
    atomic_write(Path(out_dir) / SEALS_NAME, json.dumps(dict(sorted(seals.items())), indent=1) + "\n")
