"""Write the fingerprints of the published report's ten-word runs (run by hand, not by the tests).

The tests check that the project's own sentences copy no run of ten words from the published report
without keeping the report's prose in the repository: each run of ten words (lower case, letters and
digits only) is kept as an 8-byte BLAKE2b digest, one per line, sorted.

Usage: python tests/reference/make_fingerprints.py PATH/TO/peel-2023-25-metropolitan-police-service.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from reference_text import fingerprints  # noqa: E402


def main(source: str) -> None:
    text = Path(source).read_text(encoding="utf-8")
    lines = sorted(fingerprints(text))
    (HERE / "seed-runs.txt").write_text("\n".join(lines) + "\n", encoding="ascii")
    print(f"{len(lines)} fingerprints written")


if __name__ == "__main__":
    main(sys.argv[1])
