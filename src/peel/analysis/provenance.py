""""About the data": the published tables a dataset was imported from, and the measures it lacks.

The sources are those ``peel import`` recorded in ``dataset.yaml`` (``sources:``); the measures a
dataset lacks are listed under ``not_available`` in its ``measures.yaml``
(:func:`peel.inputs.catalogue.load_not_available`). Nothing here names a source itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from peel.analysis.markup import escape
from peel.inputs.catalogue import load_not_available
from peel.inputs.dataset import CATALOGUE_FILE, Dataset
from peel.inputs.provenance import attributions, source_entries


def not_available_measures(dataset: Dataset) -> dict[str, tuple[str, str]]:
    """Measure id -> (title, reason) for the measures the dataset lists as not available."""
    key = "not_available"
    if key not in dataset._cache:
        dataset._cache[key] = load_not_available(dataset.root / CATALOGUE_FILE)
    return dataset._cache[key]


def sources_html(dataset: Dataset, cited: Iterable[str] = ()) -> str:
    """The published tables behind the figures, their licence and attribution, and measures not held.

    Parameters
    ----------
    dataset
        The national data.
    cited
        Measure ids the report's findings cite: those the dataset lists as not available are named,
        with the reason their charts are absent.

    Returns "" for a dataset with no recorded sources and no cited measure that is not available.
    """
    parts: list[str] = []
    # Only published tables: the demonstration's synthetic figures have no licence to state.
    entries = [e for e in source_entries(dataset.info) if e["licence"]]
    if entries:
        rows = []
        for e in entries:
            file = escape(e["file"]) + (f"<br>copy held by {escape(e['via'])}" if e["via"] else "")
            rows.append(f'<tr><th scope="row">{escape(e["publication"])}</th><td>{escape(e["publisher"])}</td>'
                        f"<td>{file}</td><td>{escape(e['licence'])}</td></tr>")
        intro = ("These published sources supply the dataset's real figures; the other figures are synthetic."
                 if dataset.info.demonstration else
                 "The national figures were imported from these published tables, unchanged apart from adding "
                 "up the rows of each force, year and measure.")
        parts.append('<h4 id="about-published-sources">Published tables</h4>'
                     f"<p>{escape(intro)}</p>"
                     '<table class="published-sources"><caption>Published tables the national figures come '
                     'from</caption><thead><tr><th scope="col">Publication</th><th scope="col">Publisher</th>'
                     '<th scope="col">File</th><th scope="col">Licence</th></tr></thead>'
                     f"<tbody>{''.join(rows)}</tbody></table>")
        parts.append("".join(f'<p class="attribution">{escape(a)}</p>' for a in attributions(dataset.info)))
    listed = not_available_measures(dataset)
    missing = {m: listed[m] for m in dict.fromkeys(cited) if m in listed}
    if missing:
        items = "".join(f"<li><strong>{escape(title)}</strong>: {escape(reason)}</li>"
                        for title, reason in missing.values())
        parts.append('<h4 id="about-not-available">Measures not in this dataset</h4>'
                     "<p>Some inspection findings in this report refer to national measures this dataset has "
                     "no published figures for, so they are shown without a chart.</p>"
                     f'<ul class="not-available">{items}</ul>')
    return "\n".join(parts)
