"""Laying out, drawing and encoding the all-forces chart through matplotlib's public API.

:class:`ChartLayout` places the legend and the axes from their measured sizes, without constrained
layout's solver; :class:`ChartCanvas` draws the charts of one size on one renderer, which keeps the
measured sizes of their texts from chart to chart; :func:`draw_bars_together` draws the bars of one
look as one shape (Agg rasterises a hatch tile per shape drawn); :func:`encode_png` writes unfiltered
rows with ``zlib``; :func:`collector_paused` keeps Python's garbage collector from walking a chart's
objects while they are made. The pixels are matplotlib's own Agg drawing
(:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`, read with ``buffer_rgba``):
``tests/test_charts_speed.py`` compares them with the bars drawn one by one, and the bytes across
orders and processes.

Nothing here uses a private name of matplotlib (``tests/test_private_api.py``), so an upgrade of
matplotlib cannot break it silently; an earlier version rasterised each glyph once per process through
the Agg renderer's private text methods, about a third faster (``docs/speed.md``).
"""

from __future__ import annotations

import gc
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.transforms import Bbox


class ChartLayout(PlaceHolderLayoutEngine):
    """The all-forces chart's layout, without a solver: the legend at the top, the axes below.

    What ``layout="constrained"`` gave this chart (the same margins, to a tenth of a pixel), measured
    directly. The legend's top is ``borderaxespad`` below the figure's top, centred (matplotlib places
    a figure legend so). The axes, with their tick labels and axis label, fill the rest: :data:`PAD_PT`
    from the figure's edges and ``borderaxespad`` below the legend. They are measured and placed until
    they no longer move (the y ticks, and texts placed in data units, depend on the axes' height):
    two or three passes, of which only the first measures all 43 force names under the bars (the
    later ones measure the few names that reach furthest out, which the others cannot pass).

    A :class:`~matplotlib.layout_engine.PlaceHolderLayoutEngine` is the public base that takes the
    engine's two compatibility flags as arguments; its ``execute`` (which does nothing) is replaced.
    """

    def __init__(self) -> None:
        # Not compatible with subplots_adjust (the positions are measured), no colorbar gridspec.
        super().__init__(adjust_compatible=False, colorbar_gridspec=False)

    def execute(self, fig: Any) -> None:
        canvas = fig.canvas
        if not isinstance(canvas, FigureCanvasAgg):
            # A Figure made outside pyplot has the base canvas, which cannot measure text (as when
            # ``fig.draw_without_rendering()`` lays it out): give it the Agg canvas it is drawn by.
            canvas = ChartCanvas(fig)
        renderer = canvas.get_renderer()
        (ax,) = fig.axes
        width, height = fig.bbox.width, fig.bbox.height
        pad = PAD_PT / 72 * fig.dpi
        top = height
        for legend in fig.legends:
            gap = legend.borderaxespad * legend.prop.get_size_in_points() / 72 * fig.dpi
            top = min(top, legend.get_window_extent(renderer).y0 - gap)
        # The force names under the bars move together: all at the same height under the axes (so the
        # axes' height does not change how far they reach below), each at its bar (so, the bars a whole
        # bar apart and the names as wide as a line, the first and the last reach furthest out). Once
        # measured, the few names that bound them stand for all in the passes after the first.
        extras = ax.get_default_bbox_extra_artists()
        names = [a for a in extras if a.get_gid() == FORCE_NAME_GID]
        others = [a for a in extras if a.get_gid() != FORCE_NAME_GID]
        for n in range(MAX_LAYOUT_PASSES):
            ticks = tuple(ax.yaxis.get_majorticklocs())
            box = ax.bbox.frozen()
            if n == 0:
                tight, names = _tight_bounds(ax, renderer, others, names)
            else:
                tight = ax.get_tightbbox(renderer, for_layout_only=True, bbox_extra_artists=others + names)
            x0, y0 = pad + box.x0 - tight.x0, pad + box.y0 - tight.y0
            x1, y1 = width - pad - (tight.x1 - box.x1), top - (tight.y1 - box.y1)
            ax.set_position(Bbox.from_extents(x0 / width, y0 / height, x1 / width, y1 / height), which="both")
            # set_position marks the axes as placed by hand (out of the layout); they stay in it.
            ax.set_in_layout(True)
            # Measured again until nothing moves: what stands above or below the axes (the top y tick
            # label, the force's name above its bar, placed in data units) moves with its height.
            moved = max(abs(y1 - box.y1), abs(y0 - box.y0), abs(x0 - box.x0), abs(x1 - box.x1)) > 0.01
            if tuple(ax.yaxis.get_majorticklocs()) == ticks and not moved:
                break


def _tight_bounds(ax: Any, renderer: Any, others: list[Any], names: list[Any]) -> tuple[Bbox, list[Any]]:
    """The axes' tight box with ``others`` and ``names`` around it, and the names that bound the names.

    The same box as ``ax.get_tightbbox(renderer, for_layout_only=True)`` (which measures every extra
    artist and keeps the finite, non-empty boxes), with each name measured once here.
    """
    tight = ax.get_tightbbox(renderer, for_layout_only=True, bbox_extra_artists=others)
    boxes = [(name, name.get_tightbbox(renderer)) for name in names]
    boxes = [(name, b) for name, b in boxes
             if b is not None and np.isfinite(b.extents).all() and (b.width != 0 or b.height != 0)]
    if not boxes:
        return tight, []
    # The leftmost, rightmost, lowest and highest name (often the same few), each once, in that order.
    picks = (min(boxes, key=lambda nb: nb[1].x0), max(boxes, key=lambda nb: nb[1].x1),
             min(boxes, key=lambda nb: nb[1].y0), max(boxes, key=lambda nb: nb[1].y1))
    bounding = list({id(name): name for name, _ in picks}.values())
    return Bbox.union([tight, *(b for _, b in boxes)]), bounding


#: The gid of the force names written under the bars (plain texts where x tick labels would be).
FORCE_NAME_GID = "force-name"

#: At most this many measuring passes (two for most charts: one to place the axes, one to see that
#: nothing moved; three when a text moves with the axes' height).
MAX_LAYOUT_PASSES = 4

#: The space kept between a chart's texts and the figure's edges, in points (constrained layout's pad).
PAD_PT = 3.0


class ChartCanvas(FigureCanvasAgg):
    """matplotlib's Agg canvas, drawing on a renderer kept for every chart of the same size in a thread.

    matplotlib remembers the measured size of each text (:meth:`~matplotlib.text.Text.get_window_extent`
    asks the renderer, once per text, font and resolution) for as long as the renderer lives. A new
    canvas makes a new renderer, so each chart measured its 56 texts again, although the 43 force
    names, the legend and most tick labels are the same from chart to chart. Drawing every chart of
    a size and resolution on one renderer (cleared before each drawing, as a canvas drawn twice
    is) keeps those measurements: about a tenth of a chart's drawing. The pixels are the same: the
    measurement of a text does not depend on what was drawn before it (``tests/test_charts_speed.py``
    compares bytes across orders and processes).

    The renderers are kept per thread (a renderer is one image being drawn) and by the hinting
    settings too, which the measurements depend on; at most :data:`KEPT_RENDERERS` of them, each
    an image's worth of memory (5.5 MB for an all-forces chart).
    """

    def get_renderer(self) -> RendererAgg:
        width, height = self.get_width_height(physical=True)
        dpi = self.figure.dpi
        key = (width, height, dpi, matplotlib.rcParams["text.hinting"],
               matplotlib.rcParams["text.hinting_factor"])
        kept: OrderedDict[tuple[Any, ...], RendererAgg] = getattr(_renderers, "kept", None) or OrderedDict()
        _renderers.kept = kept
        renderer = kept.get(key)
        if renderer is None:
            renderer = kept[key] = RendererAgg(width, height, dpi)
            while len(kept) > KEPT_RENDERERS:
                kept.popitem(last=False)
        kept.move_to_end(key)
        self.renderer = renderer
        return renderer


#: How many renderers (sizes of chart) each thread keeps: the all-forces chart, the trend chart and
#: the overview's charts, with room to spare.
KEPT_RENDERERS = 4

_renderers = threading.local()


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
