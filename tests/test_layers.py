"""The package's declared layers hold, nothing imports in a circle, and imports sit at the top of their module.

The layers and the other import contracts are declared in ``pyproject.toml`` (``[tool.importlinter]``) and
checked here by import-linter, in this process. The cycles are also counted from the source with Python's
``ast``, every import included (those inside functions too), between the modules of ``src/peel`` and between
its parts (``peel.analysis``, ``peel.inputs``, ``peel.diff``, ...): both counts must be 0. Each check is also
shown to fail on a copy of the package with the fault put in.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from importlinter.cli import lint_imports

from peel.pipeline.cache import BUILD_SIDE

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "peel"
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]


# ---------------------------------------------------------------------------------------------
# The import graph, from the source
# ---------------------------------------------------------------------------------------------

def module_files(src: Path, package: str = "peel") -> dict[str, Path]:
    """``{dotted module name: file}`` of every module of ``package`` under ``src``."""
    out = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imported_names(tree: ast.Module, module: str, is_package: bool) -> Iterator[str]:
    """Every name an import statement anywhere in ``tree`` imports (a module, or a name from one)."""
    here = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = here.split(".")[:len(here.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(src: Path, package: str = "peel") -> dict[str, set[str]]:
    """``{module: modules of the package it imports}``, counting imports at any depth (in functions too)."""
    files = module_files(src, package)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = set()
        for name in imported_names(tree, module, path.name == "__init__.py"):
            while name and name not in files:  # "peel.numbers.format_value" is a name in peel.numbers
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (each one cycle or more), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        # Tarjan's algorithm; the graph has about a hundred nodes, so recursion is shallow enough.
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def part_graph(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """The graph between the package's parts: ``peel.analysis``, ``peel.inputs``, ``peel.diff``, ..."""
    def part(module: str) -> str:
        return ".".join(module.split(".")[:2])

    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        out.setdefault(part(module), set()).update(part(t) for t in targets if part(t) != part(module))
    return out


def all_cycles(src: Path, package: str = "peel") -> list[list[str]]:
    """The cycles between modules and between parts of the package under ``src``."""
    graph = import_graph(src, package)
    found = cycles(graph) + cycles(part_graph(graph))
    return sorted({tuple(c): c for c in found}.values())  # two top-level modules are also two parts


IMPORT = ("import ", "from ")


def late_imports(src: Path, package: str = "peel", skip: frozenset[str] = frozenset()) -> list[str]:
    """``"path:line"`` of each import inside a function or class with no comment saying why: on its line, or
    on the line above it or above the run of imports it is in."""
    out = []
    for path in sorted((src / package).rglob("*.py")):
        rel = path.relative_to(src / package).as_posix()
        if rel in skip:
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        tree = ast.parse(text, filename=str(path))
        top = {id(node) for node in tree.body}
        # Imports under `if TYPE_CHECKING:` / `try:` at module level are at the top of the module.
        for node in tree.body:
            if isinstance(node, ast.If | ast.Try):
                top.update(id(n) for n in ast.walk(node))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top:
                if "#" in lines[node.lineno - 1]:
                    continue
                # A comment above a run of imports (blank lines between them allowed) covers the run.
                above = node.lineno - 2
                while above >= 0 and (not lines[above].strip() or lines[above].lstrip().startswith(IMPORT)):
                    above -= 1
                if above < 0 or not lines[above].lstrip().startswith("#"):
                    out.append(f"{rel}:{node.lineno}")
    return out


def renamed_copy(tmp_path: Path, name: str) -> Path:
    """The package's modules copied under ``tmp_path/name`` with every ``peel`` import renamed to ``name``,
    so a fault can be put in without touching the package this process imported."""
    copy = tmp_path / name
    for path in PACKAGE.rglob("*.py"):
        target = copy / path.relative_to(PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = re.sub(r"\b(from|import) peel\b", rf"\1 {name}", path.read_text(encoding="utf-8"))
        target.write_text(text, encoding="utf-8")
    return tmp_path


def add_line(path: Path, after: str, line: str) -> None:
    """Put ``line`` after the first line of ``path`` that starts with ``after`` (the fault)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, text in enumerate(lines) if text.startswith(after))
    lines.insert(at + 1, line + "\n")
    path.write_text("".join(lines), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# import-linter, in this process
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def linter(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``lint-imports`` on a config file from ``cwd``; give its exit status and its report.

    It configures logging with :func:`logging.config.dictConfig` (which disables every logger made before)
    and puts the working folder on ``sys.path``: both are put back afterwards.
    """
    monkeypatch.setattr(sys, "path", list(sys.path))
    loggers = {name: logger.disabled for name, logger in logging.Logger.manager.loggerDict.items()
               if isinstance(logger, logging.Logger)}

    def run(config: Path, cwd: Path) -> tuple[int, str]:
        monkeypatch.chdir(cwd)
        status = lint_imports(config_filename=str(config), no_cache=True, no_logo=True)
        return status, capsys.readouterr().out

    yield run
    for name, disabled in loggers.items():
        logging.getLogger(name).disabled = disabled


def toml_config(contracts: Mapping[str, Any], rename: str | None = None) -> str:
    """``[tool.importlinter]`` as TOML text, with ``peel`` renamed in every module name when asked."""
    def line(key: str, v: object) -> str:
        text = json.dumps(v, ensure_ascii=False)  # a JSON string or list of strings is TOML
        if rename is not None and key not in ("id", "name", "type"):
            text = re.sub(r"\bpeel\b", rename, text)
        return f"{key} = {text}"

    out = ["[tool.importlinter]", *(line(k, v) for k, v in contracts.items() if k != "contracts"), ""]
    for contract in contracts["contracts"]:
        out += ["[[tool.importlinter.contracts]]", *(line(k, v) for k, v in contract.items()), ""]
    return "\n".join(out)


def test_the_declared_import_contracts_hold(linter) -> None:
    status, report = linter(ROOT / "pyproject.toml", ROOT)
    assert status == 0, report
    assert f"Contracts: {len(CONTRACTS['contracts'])} kept, 0 broken." in report, report


def test_lint_imports_fails_on_an_import_against_the_layers(linter, tmp_path: Path) -> None:
    src = renamed_copy(tmp_path, "peelfault")
    # The inputs reaching up into the build: against the layers and the notebook side's contract.
    add_line(src / "peelfault" / "inputs" / "forces.py", "from __future__", "import peelfault.pipeline.options")
    config = tmp_path / "contracts.toml"
    config.write_text(toml_config(CONTRACTS, rename="peelfault"), encoding="utf-8")
    status, report = linter(config, tmp_path)
    assert status == 1, report
    text = " ".join(report.split())
    assert "Layers: each part imports only the parts below it BROKEN" in text, report
    assert "peelfault.inputs.forces -> peelfault.pipeline.options" in text, report


def test_lint_imports_fails_on_a_cycle_inside_analysis(linter, tmp_path: Path) -> None:
    src = renamed_copy(tmp_path, "peelcycle")
    # present imports markup; markup importing present, even inside a function, closes a cycle.
    add_line(src / "peelcycle" / "analysis" / "markup.py", "def slug(", "    import peelcycle.analysis.present")
    config = tmp_path / "contracts.toml"
    config.write_text(toml_config(CONTRACTS, rename="peelcycle"), encoding="utf-8")
    status, report = linter(config, tmp_path)
    assert status == 1, report
    (acyclic,) = [c["name"] for c in CONTRACTS["contracts"] if c["id"] == "acyclic"]
    text = " ".join(report.split())
    assert f"{acyclic} BROKEN" in text, report
    assert "Layers: each part imports only the parts below it KEPT" in text, report


def test_the_build_side_of_the_cache_key_is_what_the_notebook_side_may_not_import() -> None:
    (forbidden,) = [c for c in CONTRACTS["contracts"] if c["id"] == "notebook-side"]
    assert {m.removeprefix("peel.") for m in forbidden["forbidden_modules"]} == {
        name.removesuffix(".py") for name in BUILD_SIDE}


# ---------------------------------------------------------------------------------------------
# Cycles, counted from the source
# ---------------------------------------------------------------------------------------------

def test_nothing_in_the_package_imports_in_a_circle() -> None:
    assert all_cycles(PACKAGE.parent) == []


def test_the_cycle_count_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    src = renamed_copy(tmp_path, "peelcycle")
    add_line(src / "peelcycle" / "method.py", "def round_half_up(", "    from peelcycle.numbers import format_number")
    assert all_cycles(src, "peelcycle") == [["peelcycle.method", "peelcycle.numbers"]]


def test_the_cycle_count_sees_a_cycle_between_parts(tmp_path: Path) -> None:
    src = renamed_copy(tmp_path, "peelcycle")
    add_line(src / "peelcycle" / "render" / "built.py", "from __future__", "import peelcycle.pipeline.records")
    found = all_cycles(src, "peelcycle")
    assert ["peelcycle.pipeline", "peelcycle.render"] in found, found


def test_the_graph_resolves_relative_imports_and_names_from_modules(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg.sub.b import f\n")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("from . import b\n")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("def f():\n    from ..a import x\n")
    assert import_graph(tmp_path, "pkg") == {"pkg": set(), "pkg.a": {"pkg.sub.b"}, "pkg.sub": {"pkg.sub.b"},
                                             "pkg.sub.b": {"pkg.a"}}
    assert all_cycles(tmp_path, "pkg") == [["pkg.a", "pkg.sub"], ["pkg.a", "pkg.sub.b"]]


# ---------------------------------------------------------------------------------------------
# Imports at the top
# ---------------------------------------------------------------------------------------------

def test_imports_are_at_module_top_unless_a_comment_says_why() -> None:
    assert late_imports(PACKAGE.parent) == []


def test_an_import_inside_a_function_without_a_reason_is_found(tmp_path: Path) -> None:
    src = renamed_copy(tmp_path, "peellate")
    add_line(src / "peellate" / "numbers.py", "def format_number(", "    import decimal")
    found = late_imports(src, "peellate")
    assert len(found) == 1 and found[0].startswith("numbers.py:"), found


# ---------------------------------------------------------------------------------------------
# One name, one place
# ---------------------------------------------------------------------------------------------

def re_exports(src: Path, package: str = "peel", skip: frozenset[str] = frozenset()) -> list[str]:
    """Names a module passes on from another: ``import x as x``, an import kept with ``noqa: F401``, or a
    name in ``__all__`` that the module imports rather than defines."""
    out = []
    for path in sorted((src / package).rglob("*.py")):
        rel = path.relative_to(src / package).as_posix()
        if rel in skip:
            continue
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    if alias.asname is not None and alias.asname == alias.name.rpartition(".")[2]:
                        out.append(f"{rel}:{node.lineno}: {alias.name} as {alias.asname}")
                    imported.add(alias.asname or alias.name.partition(".")[0])
        out += [f"{rel}:{n}: noqa F401" for n, line in enumerate(text.splitlines(), 1) if "noqa: F401" in line]
        assignments = [node for node in tree.body if isinstance(node, ast.Assign)]
        for node in assignments:
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
                names = ast.literal_eval(node.value)
                out += [f"{rel}:{node.lineno}: {name} in __all__ is imported" for name in names if name in imported]
    return out


def test_no_module_passes_on_a_name_it_imports() -> None:
    assert re_exports(PACKAGE.parent) == []


def test_a_re_export_is_found(tmp_path: Path) -> None:
    src = renamed_copy(tmp_path, "peelshim")
    add_line(src / "peelshim" / "analysis" / "wording.py", "from __future__",
             "from peelshim.analysis.phrases import join_names as join_names")
    add_line(src / "peelshim" / "inputs" / "periods.py", "from __future__",
             "from peelshim.inputs.forces import all_forces\n__all__ = ['all_forces']")
    found = re_exports(src, "peelshim")
    assert [f.split(": ", 1)[1] for f in found] == ["join_names as join_names", "all_forces in __all__ is imported"]
