"""Fingerprints of runs of words, to check our prose against the published report's without keeping it."""

from __future__ import annotations

import hashlib
import re

#: Length of the runs of words compared.
RUN = 10


def words(text: str) -> list[str]:
    """Lower-case words of letters and digits (curly apostrophes read as straight ones)."""
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'"))


def fingerprint(run: list[str] | tuple[str, ...]) -> str:
    """An 8-byte BLAKE2b digest of a run of words, as hex."""
    return hashlib.blake2b(" ".join(run).encode("utf-8"), digest_size=8).hexdigest()


def runs(text: str) -> list[list[str]]:
    """Every run of RUN consecutive words in a text."""
    w = words(text)
    return [w[i:i + RUN] for i in range(len(w) - RUN + 1)]


def fingerprints(text: str) -> set[str]:
    """The fingerprints of every run of RUN words in a text."""
    return {fingerprint(r) for r in runs(text)}
