"""The "About the data" area of a report: sources, method, forces left out, data not supplied.

The prose is in ``templates/about_the_data.html.j2``, which an analyst edits; this module gathers
what the template lists for one force's report: the sources of the measures shown, the forces left
out of some comparisons and why, and the forces that did not supply data.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup

from peel.analysis.context import NotebookContext
from peel.analysis.phrases import in_sentence, join_names
from peel.analysis.provenance import (
    POPULATION_BREAK_NOTE,
    cited_not_available,
    dataset_population_break,
    published_sources,
    published_sources_intro,
)
from peel.analysis.templating import render
from peel.inputs.forces import EXCLUDED_FROM_ENGLAND_AND_WALES, all_forces
from peel.inputs.inspection_figures import SampleCountFigure, SampleEstimateFigure
from peel.inputs.provenance import Notice, attributions


def source_items(measures: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The "Sources" list: ``(source, what it is used for)`` per source, from ``(source, measure title)`` pairs.

    The source is written before a colon, so a source ending with a full stop ("... Open Government
    Licence v3.0.") loses it there ("Licence v3.0: stop and searches ...", not "v3.0.: ...").
    """
    by_source: dict[str, list[str]] = {}
    for source, title in measures:
        by_source.setdefault(str(source).rstrip().removesuffix("."), []).append(title)
    return [(src, "; ".join(in_sentence(t) for t in titles)) for src, titles in by_source.items()]


def _names(ids: Iterable[str]) -> list[str]:
    by_id = {f.id: f.name for f in all_forces()}
    return [by_id.get(i, i) for i in ids]


def inspection_samples(ctx: NotebookContext) -> tuple[list[dict[str, str | bool]], int | None]:
    """The samples of records behind the inspection figures, and the number of case files the victim
    service assessment reviewed (``None`` when the inputs do not give it).

    Each sample is ``area`` (its title), ``what`` it counts, ``n`` records, ``period`` ("" when not given)
    and ``estimate`` (true for a proportion estimated with a confidence interval, false for a count).
    """
    samples: list[dict[str, str | bool]] = []
    files: int | None = None
    for area_id, area in ctx.inputs.areas.items():
        title = ctx.report.area(area_id).title
        for finding in area.findings:
            for f in finding.figures:
                if isinstance(f, (SampleEstimateFigure, SampleCountFigure)):
                    samples.append({"area": title, "what": f.what or "records", "n": f"{f.n:,}",
                                    "period": f.period or "", "estimate": isinstance(f, SampleEstimateFigure)})
                elif area_id == "victim_service_assessment" and f.kind == "reported" and files is None:
                    # The assessment's case files are a figure the inspectors name "files".
                    number = f.values().get("files")
                    files = int(number) if number is not None else None
    return samples, files


def about_the_data_html(ctx: NotebookContext, banner: str, notice: Notice | None) -> Markup:
    """The "About the data" area: what ``templates/about_the_data.html.j2`` lists, gathered for a force.

    Parameters
    ----------
    ctx
        The force's :class:`peel.analysis.context.NotebookContext`.
    banner
        The demonstration banner (HTML made by the templates) or ``""``.
    notice
        The report's notice about its data (:func:`peel.inputs.provenance.report_notice`), stated in the
        area's last section, or ``None``.
    """
    measures = [ctx.comparison(mid) for mid in ctx.measures_in_report()]
    excluded: dict[str, list[tuple[str, str]]] = {}
    for c in measures:
        for fid, reason in c.excluded.items():
            if fid in EXCLUDED_FROM_ENGLAND_AND_WALES:
                continue
            excluded.setdefault(fid, []).append((c.measure.title, reason))
    exclusions = []
    for fid, items in excluded.items():
        reasons: dict[str, list[str]] = {}
        for title, reason in items:
            reasons.setdefault(reason, []).append(title)
        exclusions += [(_names([fid])[0], join_names([in_sentence(t) for t in titles]), reason)
                       for reason, titles in reasons.items()]
    samples, vsa_files = inspection_samples(ctx)
    return render(
        "about_the_data.html.j2",
        title=ctx.report.area("about_the_data").title,
        banner=banner,
        # every measure shown, grouped by source
        sources=source_items((c.measure.source, c.measure.title) for c in measures),
        exclusions=exclusions,
        missing=[(c.measure.title, join_names(_names([f for f in c.missing if f in c.not_supplied])))
                 for c in measures if any(f in c.not_supplied for f in c.missing)],
        not_in_data=[(c.measure.title, join_names(_names([f for f in c.missing if f not in c.not_supplied])))
                     for c in measures if any(f not in c.not_supplied for f in c.missing)],
        published=published_sources(ctx.dataset),
        published_intro=published_sources_intro(ctx.dataset),
        attributions=attributions(ctx.dataset.info) if published_sources(ctx.dataset) else [],
        not_available=cited_not_available(
            ctx.dataset, [m for a in ctx.inputs.areas.values() for f in a.findings for m in f.measures]),
        notice=notice,
        demonstration_inputs=bool(ctx.inputs.demonstration),
        demonstration_data=bool(ctx.dataset.info.demonstration),
        samples=samples,
        vsa=ctx.area_inputs("victim_service_assessment") is not None,
        vsa_files=f"{vsa_files:,}" if vsa_files is not None else None,
        groups=_groups(measures),
        population_break=POPULATION_BREAK_NOTE if dataset_population_break(ctx.dataset) else "",
    )


def _groups(measures: list) -> dict[str, object] | None:
    """What "About the data" says of the most similar groups, when a measure shown compares with one."""
    grouped = [c for c in measures if c.group is not None]
    if not grouped:
        return None
    c = grouped[0]
    entry = c.dataset.info.sources.get(c.groups.source, {}) if c.dataset is not None else {}
    return {"measures": join_names([in_sentence(g.measure.title) for g in grouped]), "group": c.group_label,
            "members": join_names(_names(c.group_members)), "title": c.groups.title,
            "illustrative": c.groups.illustrative,
            "source": entry.get("publication") or entry.get("publisher") or c.groups.source}
