"""The package uses no private name of a third-party library: a private name pins a version and breaks on upgrade.

:func:`private_uses` reads the source of ``src/peel`` (its syntax tree, resolving imports by name) and lists,
as ``file:line``, every use of a name with a single leading underscore that belongs to a third-party library:

* an attribute of something imported from one (``from matplotlib.font_manager import fontManager`` then
  ``fontManager._find_fonts_by_props``; ``import papermill`` then ``papermill._x``);
* in a class with a third-party ancestor: an attribute of ``self``, ``cls`` or ``super()`` that an ancestor
  has, and a method or class attribute that overrides one of the ancestor's (``_create_environment`` in a
  subclass of nbconvert's ``HTMLExporter``). An ancestor's names are read from the class itself and from
  the ``self.<name> = ...`` assignments in its source (its instance attributes);
* an attribute of any other value (a parameter, a call's result: ``fig._get_renderer()``) whose name the
  package defines nowhere, so it cannot be one of the package's own privates.

Not counted: the standard library (``os._exit`` is documented), names that end with an underscore too
(IPython's ``_repr_mimebundle_`` protocol), namedtuple's documented ``_replace``-style methods, and the
package's own privates (``dataset._cache``). Not caught: a private name of a library that the package also
happens to define for itself, used on a value the analysis cannot trace; and a private hook that no ancestor
defines but the library looks for (matplotlib's ``Text`` asks a renderer ``hasattr(renderer,
"_get_font_height_metrics")``) when a subclass defines it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "peel"
OWN = "peel"

#: Underscore names that are documented public API of the values they are used on (namedtuple's).
DOCUMENTED = frozenset({"_replace", "_asdict", "_fields", "_make", "_field_defaults"})


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and not name.endswith("_")


def is_third_party(module: str) -> bool:
    top = module.split(".")[0]
    return bool(top) and top != OWN and top not in sys.stdlib_module_names and top != "__future__"


def imports(tree: ast.Module) -> dict[str, str]:
    """Each name the module's imports bind, with the dotted path it stands for (relative imports left out)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def resolve(dotted: str) -> Any:
    """The object a dotted path names (a module, or an attribute of one), or ``None``."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def dotted_name(node: ast.expr, names: dict[str, str]) -> str | None:
    """``a.b.c`` of an expression made of names and attributes, its first name resolved through the imports."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value, names)
        return f"{base}.{node.attr}" if base else None
    return None


def third_party_names(cls: type) -> set[str]:
    """The private names the third-party classes among ``cls``'s ancestors have (class and instance attributes)."""
    found: set[str] = set()
    for ancestor in inspect.getmro(cls):
        if not is_third_party(ancestor.__module__ or ""):
            continue
        found.update(name for name in vars(ancestor) if is_private(name))
        try:
            source = textwrap.dedent(inspect.getsource(ancestor))
        except (OSError, TypeError):  # a class compiled from C: its attributes are in vars()
            continue
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                    and isinstance(node.value, ast.Name) and node.value.id == "self" and is_private(node.attr)):
                found.add(node.attr)
    return found


def own_private_names(trees: list[ast.Module]) -> set[str]:
    """Every private name the package defines: functions, classes, assignments, fields and parameters."""
    found: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                found.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                found.add(node.attr)
            elif isinstance(node, ast.arg):
                found.add(node.arg)
    return {name for name in found if is_private(name)}


def private_uses(source: str, filename: str, own_names: set[str]) -> list[str]:
    """``file:line: what`` for each use of a third-party private name in ``source`` (see the module's docstring).

    ``own_names`` are the private names the package defines itself (:func:`own_private_names`).
    """
    tree = ast.parse(source, filename)
    names = imports(tree)
    found: list[str] = []

    def class_names(cls_node: ast.ClassDef) -> set[str]:
        inherited: set[str] = set()
        for base in cls_node.bases:
            dotted = dotted_name(base, names)
            obj = resolve(dotted) if dotted else None
            if isinstance(obj, type):
                inherited |= third_party_names(obj)
        return inherited

    def visit(node: ast.AST, inherited: set[str]) -> None:
        if isinstance(node, ast.ClassDef):
            inherited = class_names(node)
            for item in node.body:
                defined = []
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    defined = [item.name]
                elif isinstance(item, (ast.Assign, ast.AnnAssign)):
                    targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                    defined = [t.id for t in targets if isinstance(t, ast.Name)]
                for name in defined:
                    if name in inherited:
                        found.append(f"{filename}:{item.lineno}: {node.name}.{name} overrides a private "
                                     "attribute of a third-party base class")
        elif isinstance(node, ast.Attribute) and is_private(node.attr) and node.attr not in DOCUMENTED:
            value = node.value
            dotted = dotted_name(value, names)
            is_super = (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                        and value.func.id == "super")
            if isinstance(value, ast.Name) and value.id in ("self", "cls") or is_super:
                if node.attr in inherited:
                    found.append(f"{filename}:{node.lineno}: .{node.attr} of a third-party base class")
            elif dotted is not None:
                if is_third_party(dotted):
                    found.append(f"{filename}:{node.lineno}: {dotted}.{node.attr}")
            elif isinstance(value, ast.Name) and value.id in names:
                pass  # a module or object of the standard library or of the package
            elif node.attr not in own_names:
                found.append(f"{filename}:{node.lineno}: .{node.attr}, defined nowhere in the package "
                             "(a third-party private)")
        for child in ast.iter_child_nodes(node):
            visit(child, inherited)

    visit(tree, set())
    return found


@pytest.fixture(scope="module")
def package_sources() -> dict[str, str]:
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in sorted(PACKAGE.rglob("*.py"))}


@pytest.fixture(scope="module")
def own_names(package_sources) -> set[str]:
    return own_private_names([ast.parse(source) for source in package_sources.values()])


def test_the_package_uses_no_private_name_of_a_third_party_library(package_sources, own_names):
    found = [use for filename, source in package_sources.items() for use in private_uses(source, filename, own_names)]
    assert not found, "private names of third-party libraries:\n" + "\n".join(found)


# What the package did before it kept to public names, one kind of use per line.
FORMER_USES = '''
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import fontManager
from matplotlib.layout_engine import LayoutEngine
from jupyter_client.asynchronous import AsyncKernelClient
from nbconvert.exporters import HTMLExporter
import papermill
import os
from peel.pipeline.kernel import WarmKernel


class CachingRenderer(RendererAgg):
    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        fonts = fontManager._find_fonts_by_props(prop)
        font = self._prepare_font(prop)
        items = font._layout(s)
        self._renderer.draw_text_image(items, x, y, angle, gc)
        self._cache = {}

    def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
        return None


class ChartLayout(LayoutEngine):
    _adjust_compatible = False

    def execute(self, fig):
        renderer = fig._get_renderer()


class WarmClient(AsyncKernelClient):
    async def _async_wait_for_ready(self, timeout=None):
        await super()._async_wait_for_ready(timeout=timeout)


class ReportExporter(HTMLExporter):
    def _create_environment(self):
        return super()._create_environment()


class StoppableKernel(WarmKernel):
    def _start_once(self):
        super()._start_once()


engines = papermill._engines
os._exit(1)
'''


def test_each_kind_of_private_use_is_found_by_file_and_line(own_names):
    found = private_uses(FORMER_USES, "former.py", own_names)
    lines = {int(use.split(":")[1]) for use in found}
    text = FORMER_USES.splitlines()
    flagged = {text[line - 1].strip() for line in lines}
    assert flagged == {
        "fonts = fontManager._find_fonts_by_props(prop)",
        "font = self._prepare_font(prop)",
        "items = font._layout(s)",
        "self._renderer.draw_text_image(items, x, y, angle, gc)",
        "def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):",
        "_adjust_compatible = False",
        "renderer = fig._get_renderer()",
        "async def _async_wait_for_ready(self, timeout=None):",
        "await super()._async_wait_for_ready(timeout=timeout)",
        "def _create_environment(self):",
        "return super()._create_environment()",
        "engines = papermill._engines",
    }
    # Not flagged: the package's own privates (self._cache on its own subclass, WarmKernel._start_once)
    # and the standard library's documented os._exit.
    assert all(use.startswith("former.py:") for use in found)
