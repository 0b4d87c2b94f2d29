"""A synthetic figure says so where it is shown: in the sentences, the chart's source line and the table's caption.

The demonstration dataset is synthetic apart from the Metropolitan Police Service's published figures
(``source`` column of national.csv); the real dataset has no synthetic figure, so it carries no marker.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from peel.analysis.comparison import compare
from peel.analysis.numbered_figure import table_record
from peel.analysis.provenance import SEE_NOTICE, figure_source, table_marker
from peel.analysis.trend import trend_record
from peel.analysis.wording import measure_sentence_parts
from peel.inputs.dataset import load_dataset

REPO = Path(__file__).resolve().parents[1]
PUBLICATION = "PEEL 2023–2025: An inspection of the Metropolitan Police Service"


@pytest.fixture(scope="module")
def demo():
    return load_dataset(REPO / "data")


@pytest.fixture(scope="module")
def real():
    return load_dataset(REPO / "data" / "real")


def test_a_synthetic_force_figure_is_marked_after_its_sentences(demo):
    for mid in demo.catalogue:
        parts = measure_sentence_parts(compare(demo, mid), "kent")
        assert parts[-1][1].endswith(f"synthetic demonstration figures, not published statistics ({SEE_NOTICE}).]"), mid
        assert sum("[Synthetic" in text for _, text in parts) == 1, mid


def test_a_published_figure_names_its_publication_and_the_synthetic_comparison(demo):
    parts = dict(measure_sentence_parts(compare(demo, "stop_search_rate"), "metropolitan"))
    assert "[Synthetic" not in parts["value"]  # 19.8 is the published figure
    assert f"the force’s figure is as published in {PUBLICATION}" in parts["comparison"]
    assert "England and Wales average and the lines, are synthetic" in parts["comparison"]
    # A measure judged against a standard has no lines to call synthetic.
    standard = dict(measure_sentence_parts(compare(demo, "calls_999_answered_10s"), "metropolitan"))
    assert "and so the England and Wales average, are synthetic" in standard["comparison"]


def test_chart_source_and_table_caption_say_which_figures_are_synthetic(demo):
    cmp = compare(demo, "cps_file_quality")
    source = figure_source(cmp, "metropolitan")
    # Synthetic first, with the source the figures stand in for, then the force's published figure.
    assert source == (f"synthetic demonstration figures ({SEE_NOTICE}) in place of {cmp.measure.source}. "
                      f"The Metropolitan Police Service’s figure is as published in {PUBLICATION}")
    assert table_record(cmp, "metropolitan")["marker"] == (
        f"synthetic figures, apart from the Metropolitan Police Service’s figure, which is published; {SEE_NOTICE}")
    # Over three months only the last is published: the trend's source and caption name that month.
    trend = trend_record(cmp, "metropolitan")
    assert "The Metropolitan Police Service’s figure for November 2023 is as published in" in trend["source"]
    assert "figure for November 2023, which is published" in trend["marker"]
    # A force none of whose figures is published gets no publication.
    assert table_marker(cmp, "kent") == f"synthetic figures ({SEE_NOTICE})"
    assert figure_source(cmp, "kent") == (f"synthetic demonstration figures ({SEE_NOTICE}) "
                                          f"in place of {cmp.measure.source}")


def test_published_data_carries_its_source_and_no_marker(real):
    for mid in real.catalogue:
        cmp = compare(real, mid)
        # The catalogue's source, then the editions the figures come from (peel.analysis.provenance.editions_shown).
        source = figure_source(cmp, "kent")
        assert source.startswith(cmp.measure.source) and "ynthetic" not in source, mid
        assert table_marker(cmp, "kent") is None
        assert not any("[Synthetic" in text for _, text in measure_sentence_parts(cmp, "kent")), mid
