"""Where things are. Every path comes from the project root, never from the current directory."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REFERENCE_DIR = PACKAGE_DIR / "reference"


def project_root() -> Path:
    """The checkout the package runs from.

    ``PEEL_ROOT`` overrides it (useful when the package is installed elsewhere); otherwise it is
    the folder above ``src/`` that holds ``pyproject.toml``.
    """
    env = os.environ.get("PEEL_ROOT")
    if env:
        return Path(env).resolve()
    root = PACKAGE_DIR.parent.parent
    if (root / "pyproject.toml").is_file():
        return root
    return Path.cwd().resolve()


def data_dir() -> Path:
    """Default national data folder (``data/``)."""
    return project_root() / "data"


def params_dir() -> Path:
    """Default per-force inspection inputs folder (``params/``)."""
    return project_root() / "params"


def notebooks_dir() -> Path:
    """Default notebooks folder (``notebooks/``)."""
    return project_root() / "notebooks"


def outputs_dir() -> Path:
    """Default build output folder (``outputs/``, git-ignored)."""
    return project_root() / "outputs"
