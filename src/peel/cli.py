"""The ``peel`` command: a thin wrapper over the package's Python API.

Errors the user can fix (:class:`peel.errors.PeelError`) are printed without a traceback and end
with exit status 2; ``--debug`` shows the traceback. Any other exception is a bug and is shown.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from peel import __version__
from peel.errors import PeelError
from peel.paths import data_dir, notebooks_dir, outputs_dir, params_dir


def _cmd_forces(args: argparse.Namespace) -> int:
    # Imported when the command runs, so each command loads only its own libraries (the build's take seconds).
    from peel.inputs.forces import all_forces

    width = max(len(f.id) for f in all_forces())
    for f in all_forces():
        print(f"{f.id:<{width}}  {f.ons_code}  {f.country:<7}  {f.name}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    # Imported when the command runs, so each command loads only its own libraries (the build's take seconds).
    from peel.inputs.validate import validate_all

    summary = validate_all(data_dir=args.data, params_dir=args.params)  # raises InputError listing all problems
    print(summary)
    return 0


def _cmd_demo_data(args: argparse.Namespace) -> int:
    # Imported when the command runs, so each command loads only its own libraries (the build's take seconds).
    from peel.demo import write_demo

    result = write_demo(data_dir=args.data, params_dir=args.params, force=args.force)
    for p in result.written:
        print(f"wrote {p}")
    if result.unchanged:
        print(f"{len(result.unchanged)} files already held the demonstration data and were left as they were")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    # Imported when the command runs, so each command loads only its own libraries (the build's take seconds).
    from peel.pipeline import build
    from peel.pipeline.options import make_options

    opts = make_options(forces=args.forces, all_forces=args.all, to=args.to, jobs=args.jobs,
                        timeout=args.timeout, data=args.data, params=args.params, out=args.out,
                        notebooks=args.notebooks, param=args.param, scheduler=args.scheduler, force=args.force)
    return build(opts).exit_status


def _cmd_status(args: argparse.Namespace) -> int:
    # Imported when the command runs, so each command loads only its own libraries (the build's take seconds).
    from peel.pipeline.status import folder_status

    status = folder_status(args.out, data_dir=args.data, params_dir=args.params, notebooks_dir=args.notebooks)
    print("\n".join(status.lines()))
    return 1 if args.strict and not status.all_current else 0


def _cmd_watch(args: argparse.Namespace) -> int:
    # Imported when the command runs, so each command loads only its own libraries (the build's take seconds).
    from peel.pipeline.options import make_options
    from peel.pipeline.watch import watch

    opts = make_options(forces=args.forces, to=args.to, timeout=args.timeout, data=args.data, params=args.params,
                        out=args.out, notebooks=args.notebooks, param=args.param, force=args.force)
    watch(opts, debug=args.debug)  # returns only by an exception: a signal, or a kernel that cannot start
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    # Imported when the command runs, so each command loads only its own libraries (the build's take seconds).
    from peel.ingest import import_table

    if args.strict:  # the default since imports check totals; the option is kept only to say so
        print("peel import: warning: --strict is no longer needed and will be removed: a difference from a "
              "published total is an error by default (--warn-totals makes it a warning); drop --strict",
              file=sys.stderr)
    # Each kind of table has its own options: one given to the other kind is a mistake, said rather than ignored.
    own = {"--source": args.source, "--licence": args.licence, "--publication": args.publication,
           "--official or --not-official": args.official, "--column": args.column}
    published = {"--lookup": args.lookup, "--year": args.year, "--expect-total": args.expect_total,
                 "--exclude": args.exclude, "--only-with-population": args.only_with_population or None,
                 "--warn-totals": args.warn_totals or None, "--edition": args.edition, "--table-id": args.table_id,
                 "--current": args.current or None}
    wrong = [k for k, v in (published if args.table == "csv" else own).items() if v is not None]
    if wrong:
        raise PeelError(f"{', '.join(wrong)}: not an option of the {args.table} table: expected "
                        f"{'the options of your own table' if args.table == 'csv' else 'them with csv only'} "
                        "(peel import --help)")
    if args.table == "csv":
        # Imported when the command runs, so each command loads only its own libraries.
        from peel.ingest.own_table import import_own_table

        if len(args.measure or []) != 1:
            raise PeelError("--measure: expected one measure id (--measure ID), the measure the table's figures "
                            "are of")
        lines = import_own_table(args.file, args.data, measure=args.measure[0], source=args.source,
                                 licence=args.licence, official=args.official, publication=args.publication,
                                 columns=args.column, force=args.force, dry_run=args.dry_run)
        print("\n".join(lines))
        return 0
    lines = import_table(args.table, args.file, args.data, measures=args.measure, lookup=args.lookup, year=args.year,
                         expect_total=args.expect_total, strict=not args.warn_totals, force=args.force,
                         dry_run=args.dry_run, exclude=args.exclude, only_with_population=args.only_with_population,
                         edition=args.edition, table_id=args.table_id, current=args.current)
    print("\n".join(lines))
    return 0


def _cmd_editions(args: argparse.Namespace) -> int:
    # Imported when the command runs, so each command loads only its own libraries (the build's take seconds).
    from peel.ingest.editions import editions_text, revisions, revisions_csv, revisions_text
    from peel.ingest.reading import fail

    if args.old is None:
        sys.stdout.write(editions_text(args.data))
        return 0
    if args.new is None:
        raise fail("NEW", f"only {args.old!r} given: expected two editions, OLD and NEW (source ids listed by "
                          "'peel editions --data DIR')")
    found = revisions(args.data, args.old, args.new)
    sys.stdout.write(revisions_csv(found) if args.format == "csv" else revisions_text(args.data, found))
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    # Imported when the command runs, so each command loads only its own libraries (the build's take seconds).
    from peel.diff import diff_builds, diff_csv, diff_markdown, diff_text, write_outputs
    from peel.render.diff_page import render_diff

    changes = diff_builds(args.old, args.new)
    out = args.out or (args.new if args.new.is_dir() else Path.cwd())
    old, new = str(args.old), str(args.new)
    written = write_outputs(out, {"diff.csv": diff_csv(changes), "diff.html": render_diff(changes, old, new)},
                            force=args.force)
    shown = {"text": lambda: diff_text(changes, old, new), "markdown": lambda: diff_markdown(changes, old, new),
             "csv": lambda: diff_csv(changes)}[args.format]()
    sys.stdout.write(shown)
    # The Markdown and CSV on standard output are records to keep as they are: the note goes to standard error.
    print(f"wrote {' and '.join(str(p) for p in written)}", file=sys.stdout if args.format == "text" else sys.stderr)
    return 1 if changes else 0


def make_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed so that tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="peel",
        description="Build PEEL-style police inspection reports from parameterised notebooks.",
    )
    parser.add_argument("--version", action="version", version=f"peel {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks for errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("forces", help="list the 43 territorial forces and their ids")
    p.set_defaults(func=_cmd_forces)

    def add_inputs(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", type=Path, default=data_dir(), metavar="DIR",
                       help="national data folder (default: %(default)s)")
        p.add_argument("--params", type=Path, default=params_dir(), metavar="DIR",
                       help="per-force inspection inputs folder (default: %(default)s)")

    p = sub.add_parser("validate", help="check the data and inspection inputs against the data contract")
    add_inputs(p)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("demo-data", help="regenerate the demonstration dataset (deterministic)")
    add_inputs(p)
    p.add_argument("--force", action="store_true",
                   help="replace files that differ from the demonstration (your edits are lost)")
    p.set_defaults(func=_cmd_demo_data)

    def add_build(p: argparse.ArgumentParser) -> None:
        """The options ``peel build`` and ``peel watch`` share."""
        p.add_argument("--to", default="html,pdf", metavar="FORMATS",
                       help="comma-separated: html, pdf (default: %(default)s)")
        add_inputs(p)
        p.add_argument("--out", type=Path, default=outputs_dir(), metavar="DIR",
                       help="output folder (default: %(default)s)")
        p.add_argument("--notebooks", type=Path, default=notebooks_dir(), metavar="DIR",
                       help="area notebooks and report.yaml (default: %(default)s)")
        p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="pass a parameter to every notebook; refused unless each notebook declares it")
        p.add_argument("--force", action="store_true",
                       help="write into an output folder that holds files no peel build wrote (they are kept; "
                       "files with the names of the build's, such as index.html, are replaced)")
        p.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                       help="stop a notebook that runs longer than this many seconds: any number above 0, such as "
                       "30.5 (the per-cell limit behind it, a whole number, is rounded up; default: %(default)s)")

    p = sub.add_parser("build", help="build force reports (HTML and PDF)")
    p.add_argument("forces", nargs="*", metavar="FORCE_ID", help="force ids (see 'peel forces')")
    p.add_argument("--all", action="store_true", help="build all 43 forces")
    add_build(p)
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="parallel workers (default: one per core)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the forces on a Dask cluster: a scheduler's address (tcp://HOST:8786), or local:N "
                   "for a local cluster of N workers (needs the dask extra; default: the local worker pool)")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("status", help="list every report in an output folder: current, stale and why, failed",
                       description="One line per force with a report in the output folder: current; stale and why "
                       "(its data, inspection inputs, notebooks, package or template changed since it was built); "
                       "failed; or a format missing. Judged against the folders the last build used (recorded in "
                       "build.json) unless --data, --params or --notebooks say otherwise. Ends with the command "
                       "that refreshes the stale reports.")
    p.add_argument("out", type=Path, nargs="?", default=outputs_dir(), metavar="OUT",
                   help="the output folder (default: %(default)s)")
    p.add_argument("--data", type=Path, default=None, metavar="DIR", help="national data folder (default: the build's)")
    p.add_argument("--params", type=Path, default=None, metavar="DIR",
                   help="per-force inspection inputs folder (default: the build's)")
    p.add_argument("--notebooks", type=Path, default=None, metavar="DIR",
                   help="area notebooks and report.yaml (default: the build's)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when any report is not current")
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser("watch", help="build force reports, then rebuild them each time their inputs are saved",
                       description="Build the reports of the forces named, as 'peel build' does, then watch their "
                       "inspection inputs, the data, the notebooks and report.yaml, and rebuild on every save with "
                       "one Jupyter kernel kept warm (only what an edit touches runs again). The HTML is written "
                       "before the PDF is laid out. Ctrl-C ends it.")
    p.add_argument("forces", nargs="+", metavar="FORCE_ID", help="force ids (see 'peel forces')")
    add_build(p)
    p.set_defaults(func=_cmd_watch)

    p = sub.add_parser("diff", help="what changed between two builds, statement by statement and word by word",
                       description="Compare two builds (output folders, or statements.csv files): their "
                                   "statements, and between folders every word of each force's report. Exit "
                                   "status 0 when nothing changed, 1 when something did.")
    p.add_argument("old", type=Path, metavar="OLD", help="the earlier output folder or statements.csv")
    p.add_argument("new", type=Path, metavar="NEW", help="the later output folder or statements.csv")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="where to write diff.html and diff.csv (default: NEW when it is a folder, else here)")
    p.add_argument("--format", choices=("text", "markdown", "csv"), default="text",
                   help="what to print: text (default), markdown (changed words ~~struck~~ and **bold**, "
                        "for a sign-off record) or csv (one row per change, as diff.csv)")
    p.add_argument("--force", action="store_true",
                   help="replace a diff.html or diff.csv in the --out folder that peel diff did not write")
    p.set_defaults(func=_cmd_diff)

    p = sub.add_parser("import", help="import an official Home Office or ONS table, or your own table, into a "
                                      "dataset of published figures",
                       description="Import a published table, or your own table of one measure (csv), into a dataset "
                                   "folder whose dataset.yaml declares demonstration: false (see README, 'Importing "
                                   "the official tables' and 'Importing your own table'). Nothing is "
                                   "written unless every cell, row and total passes. Files over 256 MiB (or "
                                   "spreadsheets expanding to over 2 GiB) are refused.")
    p.add_argument("table", choices=("population", "recorded-crime", "outcomes", "workforce", "stop-search", "csv"),
                   metavar="TABLE", help="population, recorded-crime, outcomes, workforce, stop-search, or csv: "
                   "your own table of one measure by force and period (CSV, XLSX or ODS; README, 'Importing your "
                   "own table')")
    p.add_argument("file", type=Path, metavar="FILE", help="the file (ODS, XLSX, XLS, CSV, CSV.GZ)")
    p.add_argument("--data", type=Path, required=True, metavar="DIR",
                   help="the dataset folder to write (required; such as data/real: never the demonstration data)")
    p.add_argument("--measure", action="append", metavar="[KIND=]ID",
                   help="measure id to write (default: the table's; csv: required, declared in measures.yaml)")
    p.add_argument("--lookup", type=Path, metavar="CSV", help="population: the ONS LAD to police force area lookup")
    p.add_argument("--year", type=int, metavar="YEAR", help="population: the mid-year, if the file does not say")
    p.add_argument("--expect-total", type=float, metavar="N", help="the publication's headline total (latest period)")
    # No longer needed (totals are checked strictly by default): accepted with a warning, not listed.
    p.add_argument("--strict", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--warn-totals", action="store_true",
                   help="a difference from a published total is a warning, not an error")
    p.add_argument("--exclude", action="append", metavar="FORCE:PERIOD=REASON",
                   help="write that force's figure for that period (2019/20, or an ISO interval) as not available, "
                        "with REASON as its note; recorded in the source entry")
    p.add_argument("--only-with-population", action="store_true",
                   help="leave out rows whose period has no ONS population estimate in the dataset; recorded in the "
                        "source entry")
    p.add_argument("--source", metavar="NAME", help="csv: who publishes or holds the figures (required)")
    p.add_argument("--licence", metavar="TEXT", help="csv: the licence or terms of use of the figures (required)")
    said = p.add_mutually_exclusive_group()
    said.add_argument("--official", dest="official", action="store_const", const=True, default=None,
                      help="csv: the figures are official statistics (this or --not-official is required)")
    said.add_argument("--not-official", dest="official", action="store_const", const=False,
                      help="csv: the figures are not official statistics; every chart and table of them says so")
    p.add_argument("--publication", metavar="TITLE", help="csv: the publication's or dataset's title, if any")
    p.add_argument("--column", action="append", metavar="KEY=HEADER",
                   help="csv: read the file's column HEADER as KEY (force, period, value, numerator or denominator), "
                        "such as numerator=Arrests")
    p.add_argument("--edition", metavar="YYYY-MM-DD",
                   help="the date this edition was published (default: the date the file's name ends with, -DDMMYY)")
    p.add_argument("--table-id", metavar="ID", help="the table's name across its editions (default: the file's name "
                                                    "less its edition date)")
    p.add_argument("--current", action="store_true",
                   help="make this edition's figures current even where a later edition supplies them")
    p.add_argument("--force", action="store_true", help="replace rows that came from another source")
    p.add_argument("--dry-run", action="store_true", help="say what would change; write nothing")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("editions", help="list the editions of the imported tables, or the revisions between two",
                       description="With no OLD and NEW: every edition of every table imported into the dataset "
                                   "(its date, file, SHA-256, and whether its figures are current). With OLD and NEW "
                                   "(source ids): every figure the later edition revised, per force, measure and "
                                   "period, with the old value, the new one and the change.")
    p.add_argument("old", nargs="?", metavar="OLD", help="the earlier edition (a source id)")
    p.add_argument("new", nargs="?", metavar="NEW", help="the later edition (a source id)")
    p.add_argument("--data", type=Path, required=True, metavar="DIR", help="the dataset folder")
    p.add_argument("--format", choices=("text", "csv"), default="text",
                   help="text (default), or csv: one row per figure and field revised")
    p.set_defaults(func=_cmd_editions)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``peel`` command; returns the exit status."""
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PeelError as e:
        if args.debug:
            raise
        print(f"peel {args.command}: error: {e}", file=sys.stderr)
        return int(getattr(e, "exit_status", 2))
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM/SIGHUP during a build or watch (peel.errors.BuildStopped)
        status = int(getattr(e, "exit_status", 130))
        print(f"peel {args.command}: {'interrupted' if status == 130 else f'stopped by signal {status - 128}'}",
              file=sys.stderr)
        return status
    except BrokenPipeError:  # output piped into head or less, which closed early
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
