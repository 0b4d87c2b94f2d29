"""Drawing and encoding the all-forces chart at a third of matplotlib's usual cost, with its pixels.

Most of a chart's drawing time was text: 43 rotated force names, the legend, the ticks, about 900
glyphs a chart, each laid out by FreeType and rasterised at :data:`peel.analysis.charts.CHART_DPI`.
Every force's chart of a measure draws almost the same words at the same places, so
:class:`CachingCanvas` keeps, for the life of the process:

* the glyphs a string is made of (FreeType's layout of the string: font, glyph, offset), keyed on the
  string, the font files, the size and the resolution;
* each glyph's bitmap, keyed on everything FreeType is given to draw it: the font, size, resolution,
  glyph, rotation, hinting and the glyph's position within its pixel (in FreeType's 1/64 pixel
  units). A glyph drawn a whole number of pixels away is the same bitmap moved by those pixels;
* each font's height metrics at a size and resolution;
* one Agg renderer of the chart's size, cleared before each drawing (as an interactive canvas reuses
  its renderer), so that matplotlib's own cache of text sizes, kept per renderer, serves every chart.

The rest: :class:`ChartLayout` places the legend and the axes from their measured sizes, without
constrained layout's solver; :func:`draw_bars_together` draws the bars of one look as one shape
(Agg rasterises a hatch tile per shape drawn); :func:`encode_png` writes unfiltered rows with
``zlib``; :func:`collector_paused` keeps Python's garbage collector from walking a chart's objects
while they are made.

Each entry is a pure function of its key, so a chart's pixels never depend on what was drawn before
it, in which order forces are built, or in which process: ``tests/test_charts_speed.py`` compares the
pixels with matplotlib's own drawing and the bytes across orders and processes. Matplotlib is pinned
(``requirements.lock``) because this uses the Agg renderer's private text methods, which that test
would catch changing.
"""

from __future__ import annotations

import gc
import math
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import fontManager, get_font
from matplotlib.ft2font import RenderMode
from matplotlib.layout_engine import LayoutEngine
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.transforms import Bbox

#: Bounds on the caches: one process drawing all 43 reports' charts keeps about 18,000 glyphs (a few
#: MB); past the bound a cache is emptied and refilled (its entries are pure, so emptying it changes
#: time, never pixels).
MAX_GLYPHS = 60_000
MAX_LAYOUTS = 20_000

_GLYPHS: dict[tuple[Any, ...], tuple[np.ndarray, int, int]] = {}
_LAYOUTS: dict[tuple[Any, ...], tuple[tuple[Any, int, float, float], ...]] = {}
_RENDERERS: dict[tuple[Any, ...], RendererAgg] = {}
_HEIGHTS: dict[tuple[Any, ...], Any] = {}


class CachingRenderer(RendererAgg):
    """:class:`RendererAgg` whose plain text draws from the process's glyph and layout caches."""

    def draw_text(self, gc: Any, x: float, y: float, s: str, prop: Any, angle: float,
                  ismath: Any = False, mtext: Any = None) -> None:
        if ismath:
            super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
            return
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        flags = get_hinting_flag()
        size = prop.get_size_in_points()
        key = (tuple(fontManager._find_fonts_by_props(prop)), size, self.dpi, s, flags,
               tuple(features) if features is not None else None, language, threading.get_ident())
        items = _LAYOUTS.get(key)
        if items is None:
            font = self._prepare_font(prop)
            items = tuple((item.ft_object, item.glyph_index, item.x, item.y)
                          for item in font._layout(s, flags=flags, features=features, language=language))
            if len(_LAYOUTS) >= MAX_LAYOUTS:
                _LAYOUTS.clear()
            _LAYOUTS[key] = items
        self._draw_glyphs(gc, x, y, angle, size, items)

    def _get_font_height_metrics(self, prop: Any) -> tuple[float, float, float] | tuple[None, None, None]:
        # What matplotlib.text.Text._get_layout reads from the font's tables for each text it lays
        # out (ascent, descent and line gap at the text's size), once per font, size and resolution.
        key = (tuple(fontManager._find_fonts_by_props(prop)), prop.get_size_in_points(), self.dpi)
        metrics = _HEIGHTS.get(key)
        if metrics is None:
            metrics = (None, None, None)
            font: Any = get_font(list(key[0]))  # its tables are read by name, as matplotlib does
            for table_name, gap_key, ascent_key, descent_key in (
                    ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                    ("hhea", "lineGap", "ascent", "descent")):
                table = font.get_sfnt_table(table_name)
                if table is None:
                    continue
                scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * key[1] * self.dpi / 72
                metrics = (table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale)
                break
            _HEIGHTS[key] = metrics
        return metrics

    def _draw_glyphs(self, gc: Any, x: float, y: float, angle: float, size: float,
                     items: tuple[tuple[Any, int, float, float], ...]) -> None:
        # What RendererAgg._draw_text_glyphs_and_boxes does for a plain string (no slant, no stretch),
        # with the rasterising of each glyph looked up instead of repeated.
        cos = math.cos(math.radians(angle))
        sin = math.sin(math.radians(angle))
        load_flags = get_hinting_flag()
        matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int)
        matrix_key = tuple(int(v) for v in matrix.ravel())
        antialiased = bool(gc.get_antialiased())
        mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
        height = self.height
        for font, glyph_index, dx, dy in items:
            # FreeType positions in 1/64 pixel: the whole pixels move the bitmap, the rest shapes it.
            ix, fx = divmod(round(0x40 * (x + dx * cos - dy * sin)), 0x40)
            iy, fy = divmod(round(0x40 * (height - y + dx * sin + dy * cos)), 0x40)
            key = (font, size, self.dpi, glyph_index, matrix_key, fx, fy, load_flags, antialiased)
            glyph = _GLYPHS.get(key)
            if glyph is None:
                font.set_size(size, self.dpi)
                font._set_transform(matrix, [fx, fy])
                bitmap = font._render_glyph(glyph_index, load_flags, mode)
                buffer = np.array(bitmap.buffer)
                if not antialiased:
                    buffer *= 0xff
                glyph = (buffer, bitmap.left, bitmap.top)
                if len(_GLYPHS) >= MAX_GLYPHS:
                    _GLYPHS.clear()
                _GLYPHS[key] = glyph
            buffer, left, top = glyph
            self._renderer.draw_text_image(buffer, left + ix, int(height) - (top + iy) + buffer.shape[0], 0, gc)


class CachingCanvas(FigureCanvasAgg):
    """An Agg canvas drawing with the process's :class:`CachingRenderer` of its size and resolution."""

    def get_renderer(self) -> RendererAgg:
        w, h = self.get_width_height(physical=True)
        key = (w, h, self.figure.dpi, threading.get_ident())
        renderer = _RENDERERS.get(key)
        if renderer is None:
            if len(_RENDERERS) >= 4:
                _RENDERERS.clear()
            renderer = _RENDERERS[key] = CachingRenderer(w, h, self.figure.dpi)
        self.renderer = renderer
        self._lastKey = key[:3]
        return renderer


class ChartLayout(LayoutEngine):
    """The all-forces chart's layout, without a solver: the legend at the top, the axes below.

    What ``layout="constrained"`` gave this chart (the same margins, to a tenth of a pixel), measured
    directly. The legend's top is ``borderaxespad`` below the figure's top, centred (matplotlib places
    a figure legend so). The axes, with their tick labels and axis label, fill the rest: :data:`PAD_PT`
    from the figure's edges and ``borderaxespad`` below the legend. They are measured and placed until
    they no longer move (the y ticks, and texts placed in data units, depend on the axes' height):
    two or three passes.
    """

    _adjust_compatible = False
    _colorbar_gridspec = False

    def execute(self, fig: Any) -> None:
        renderer = fig._get_renderer()
        (ax,) = fig.axes
        width, height = fig.bbox.width, fig.bbox.height
        pad = PAD_PT / 72 * fig.dpi
        top = height
        for legend in fig.legends:
            gap = legend.borderaxespad * legend._fontsize / 72 * fig.dpi
            top = min(top, legend.get_window_extent(renderer).y0 - gap)
        for _ in range(MAX_LAYOUT_PASSES):
            ticks = tuple(ax.yaxis.get_majorticklocs())
            box, tight = ax.bbox.frozen(), ax.get_tightbbox(renderer, for_layout_only=True)
            x0, y0 = pad + box.x0 - tight.x0, pad + box.y0 - tight.y0
            x1, y1 = width - pad - (tight.x1 - box.x1), top - (tight.y1 - box.y1)
            ax._set_position(Bbox.from_extents(x0 / width, y0 / height, x1 / width, y1 / height), which="both")
            # Measured again until nothing moves: what stands above or below the axes (the top y tick
            # label, the force's name above its bar, placed in data units) moves with its height.
            moved = max(abs(y1 - box.y1), abs(y0 - box.y0), abs(x0 - box.x0), abs(x1 - box.x1)) > 0.01
            if tuple(ax.yaxis.get_majorticklocs()) == ticks and not moved:
                break


#: At most this many measuring passes (two for most charts: one to place the axes, one to see that
#: nothing moved; three when a text moves with the axes' height).
MAX_LAYOUT_PASSES = 4

#: The space kept between a chart's texts and the figure's edges, in points (constrained layout's pad).
PAD_PT = 3.0


def encode_png(rgba: Any, compress_level: int) -> bytes:
    """An opaque 8-bit RGB PNG of an ``(height, width, 4)`` uint8 RGBA array, dropping its alpha.

    Every row is stored unfiltered (filter type 0) and the rows are deflated at ``compress_level``.
    For a chart (mostly white, long runs of one colour) that is about as small as Pillow's choice of
    a filter per row, in half the time. No chunk holds a time or the software: the same pixels give
    the same bytes.
    """
    pixels = np.asarray(rgba)
    height, width = pixels.shape[:2]
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 0  # each row's filter type: none
    rgb = rows[:, 1:].reshape(height, width, 3)
    for channel in range(3):  # a channel at a time: several times faster than copying [..., :3] at once
        rgb[:, :, channel] = pixels[:, :, channel]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB, deflate, no interlace
    return b"".join((_PNG_SIGNATURE, _chunk(b"IHDR", header),
                     _chunk(b"IDAT", zlib.compress(rows.data, compress_level)), _chunk(b"IEND", b"")))


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


#: The gid of a shape that draws several bars (each bar keeps its own ``bar-<force>`` gid, undrawn).
BARS_GID = "bars"


def draw_bars_together(ax: Any, patches: list[Any]) -> None:
    """Draw the bars that look alike as one shape, so that Agg draws each hatch tile once, not per bar.

    Agg draws a patch's hatch by rasterising the pattern's tile (an inch square, about 44,000 pixels
    at the chart's resolution, with dozens of dots or stripes) and filling the patch with it; doing
    that for each dotted bar was the largest single cost of drawing a chart. The bars of one look
    (fill, hatch, hatch colour, outline and its width) become one compound path drawn in their place
    (one path to rasterise, not one for each bar): the pattern is anchored to the image, not to the
    shape, and the bars do not touch, so every pixel is what the bars drawn one by one give
    (``tests/test_charts_speed.py``). The bars stay in the axes, not drawn (``set_visible(False)``),
    as the record of each bar (its height, colours, hatch, gid).
    """
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for patch in patches:
        key = (tuple(patch.get_facecolor()), patch.get_hatch(), tuple(patch.get_hatchcolor()),
               tuple(patch.get_edgecolor()), patch.get_linewidth(), patch.get_zorder())
        groups.setdefault(key, []).append(patch)
    for members in groups.values():
        if len(members) < 2:
            continue
        first = members[0]
        path = Path.make_compound_path(*(p.get_path().transformed(p.get_patch_transform()) for p in members))
        shape = PathPatch(path, facecolor=first.get_facecolor(), edgecolor=first.get_edgecolor(),
                          linewidth=first.get_linewidth(), hatch=first.get_hatch(),
                          hatchcolor=first.get_hatchcolor(), zorder=first.get_zorder(), label="_nolegend_",
                          gid=BARS_GID)
        ax.add_artist(shape)  # not add_patch: the axes' limits are the chart's, not the shape's
        for p in members:
            p.set_visible(False)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a chart is made, and restore it after.

    A chart makes tens of thousands of small objects that live until it is written; the collector
    would otherwise walk them (and everything else the process holds) many times over while they
    are made, about a tenth of a chart's time. Their garbage is collected as usual afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
