"""peel: police inspection reports in the style of HMICFRS PEEL assessments.

The package holds all the logic; the notebooks in ``notebooks/`` only load, call and display.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("peel-reports")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
