"""Which files of an output folder a build may write: its own, never the user's.

A build writes into a folder the user names (``--out``), so before it writes anything it looks at what
is there. An empty or missing folder is the build's. A folder an earlier build made is recognised by its
manifest (``build.json``) or its lock file (``.build.lock``, written first by every build), and holds
only files with the names a build gives its files (:func:`is_build_file`): the index, the overview,
the statements, the records, and per force its reports, workbook, statements and executed notebooks.
Anything else in it (the user's ``notes.txt``, or an ``index.html`` in a folder no build made) is the
user's: the build is refused, naming those files, unless ``--force`` is given (the build then writes its
own files beside them, replacing any with the same names, and deletes none of them).

A symbolic link where the build would write (a force's folder, its ``notebooks`` folder, or a file with
a build's name) is refused even with ``--force``: a build makes no links, and writing through one would
write, or replace files, wherever it points.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from peel.errors import OutputFolderError, display_path

#: Files a build (or ``peel diff``, whose default output folder is a build's) writes at the top of the folder.
TOP_FILES = frozenset({
    "build.json", ".build.lock", ".validated.json", "index.html", "overview.html", "overview.pdf",
    ".overview.json", ".seals.json", "statements.csv", "statements.parquet", "diff.html", "diff.csv",
})

#: Files a build writes in each force's folder, and the kinds of file in its ``notebooks`` folder.
FORCE_FILES = frozenset({"report.html", "report.pdf", "report.key", "statements.json", "figures.xlsx"})
NOTEBOOK_SUFFIXES = (".ipynb", ".key")
NOTEBOOKS = "notebooks"

#: A temporary file of a build, renamed into place when whole: ``.NAME.XXXX.tmp`` beside ``NAME``.
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[^./]+\.tmp$")

#: How many of the user's files a refusal names (then how many more there are).
SHOWN = 10


def _own_name(name: str, where: str) -> bool:
    """Whether ``name`` is a file a build writes in a folder of the kind ``where`` (top, force, notebooks)."""
    if where == "top":
        return name in TOP_FILES
    if where == "force":
        return name in FORCE_FILES
    return name.endswith(NOTEBOOK_SUFFIXES) and not name.startswith(".")


def is_build_temporary(name: str, where: str) -> bool:
    """Whether ``name`` is a build's temporary file in a folder of the kind ``where`` (top, force, notebooks)."""
    m = _TEMPORARY.match(name)
    return m is not None and _own_name(m.group("name"), where)


def is_build_file(name: str, where: str) -> bool:
    """Whether a build writes files named ``name`` (or their temporaries) in a folder of the kind ``where``."""
    return _own_name(name, where) or is_build_temporary(name, where)


def made_by_a_build(out_dir: Path) -> bool:
    """Whether ``out_dir`` was made by a build: it has a build's manifest or its lock file."""
    manifest = Path(out_dir) / "build.json"
    if manifest.is_file() and not manifest.is_symlink():
        try:
            doc = json.loads(manifest.read_bytes()[:1 << 20] or b"null")
        except ValueError:
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("project"), dict) \
                and doc["project"].get("name") == "peel-reports":
            return True
    lock = Path(out_dir) / ".build.lock"
    return lock.is_file() and not lock.is_symlink()


def _link(path: Path) -> str:
    try:
        return f"{display_path(path)} (a symbolic link to {os.readlink(path)})"
    except OSError:
        return f"{display_path(path)} (a symbolic link)"


def survey(out_dir: Path, force_ids: Iterable[str]) -> tuple[list[Path], list[Path]]:
    """The user's files and the symbolic links in the way of a build into ``out_dir``.

    Returns ``(foreign, links)``: entries no build wrote (a folder of them counts as one, and is not
    looked into), and links at paths the build writes. Only the folder, the forces' folders and their
    ``notebooks`` folders are read, so a large folder given by mistake costs one listing.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return [], []
    forces = set(force_ids)
    ours = made_by_a_build(out_dir)
    foreign: list[Path] = []
    links: list[Path] = []

    def look(folder: Path, where: str) -> None:
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            path = Path(entry.path)
            is_force = where == "top" and entry.name in forces
            is_notebooks = where == "force" and entry.name == NOTEBOOKS
            named = is_force or is_notebooks or is_build_file(entry.name, where)
            if entry.is_symlink():
                (links if named else foreign).append(path)
            elif not ours or not named:
                foreign.append(path)
            elif is_force or is_notebooks:
                if entry.is_dir(follow_symlinks=False):
                    look(path, "force" if is_force else "notebooks")
                else:
                    foreign.append(path)
            elif not entry.is_file(follow_symlinks=False):
                foreign.append(path)  # a folder (or a FIFO) with the name of one of the build's files

    look(out_dir, "top")
    return foreign, links


def check_output_folder(out_dir: Path, force_ids: Iterable[str], *, force: bool = False) -> None:
    """Refuse a build into ``out_dir`` when it holds files no build wrote (unless ``force``), or a
    symbolic link where the build would write (always); see the module docstring.

    Raises
    ------
    OutputFolderError
        Naming the files or links, and what to do; nothing has been written.
    """
    try:
        foreign, links = survey(out_dir, force_ids)
    except OSError as e:
        raise OutputFolderError(f"{display_path(out_dir)}: the output folder cannot be read "
                                f"({e.strerror or e}); choose another with --out") from None
    if links:
        shown = "; ".join(_link(p) for p in links[:SHOWN])
        more = f" and {len(links) - SHOWN} more" if len(links) > SHOWN else ""
        raise OutputFolderError(
            f"{display_path(out_dir)}: a build never writes through a symbolic link it did not make, and the "
            f"output folder has links where it would write: {shown}{more}. Nothing was written: remove the "
            "links, or build into another folder with --out")
    if foreign and not force:
        shown = ", ".join(display_path(p) for p in foreign[:SHOWN])
        more = f" and {len(foreign) - SHOWN} more" if len(foreign) > SHOWN else ""
        made = "holds files no peel build wrote" if made_by_a_build(out_dir) else \
            "is not a folder a peel build made (it has no build.json) and is not empty"
        raise OutputFolderError(
            f"{display_path(out_dir)}: the output folder {made}: {shown}{more}. Nothing was written: build into "
            "an empty or new folder with --out, or give --force to write the build's files beside them "
            "(a file with the name of one of the build's, such as index.html, is then replaced)")
