"""The year report's charts: PNG images drawn with matplotlib, each with its text alternative.

matplotlib is imported here only, inside the functions, and draws on its Agg canvas (no display,
no pyplot): the shell and the bot start without it. The palette is Okabe and Ito's, safe for the
common kinds of colour blindness, and every chart labels its data directly (numbers and names on
the marks) so nothing depends on telling colours apart.
"""

from __future__ import annotations

import functools
import struct
import textwrap
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from handlers.year_figures import STATE_WORDS, STATES, MonthFigures, Scope, percent

# Okabe & Ito (2008): distinguishable with any common colour vision deficiency.
OKABE_ITO = {
    "blue": "#0072B2",
    "sky": "#56B4E9",
    "orange": "#E69F00",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "yellow": "#F0E442",
    "purple": "#CC79A7",
    "black": "#000000",
    "grey": "#BBBBBB",
}
STATE_COLOURS = {
    "member": OKABE_ITO["blue"],
    "deputy": OKABE_ITO["sky"],
    "apologies": OKABE_ITO["orange"],
    "absent": OKABE_ITO["vermillion"],
}
# Text on each colour: white on the dark ones, black on the light ones.
STATE_INK = {"member": "white", "deputy": "black", "apologies": "black", "absent": "white"}
STATE_LETTERS = {"member": "M", "deputy": "D", "apologies": "A", "absent": "X"}
# Charts are drawn at the size they are printed: as wide as the Word page's picture (16 cm) at 150
# dots per inch, plenty for print. The PDF widens them a little to its text width (18.2 cm), so the
# labels' 9 pt print at 9 pt in Word and about 10 pt in the PDF.
WIDTH_IN = 16 / 2.54
DPI = 150
LABEL_PT = 9
TITLE_PT = 11


@dataclass(frozen=True)
class Chart:
    name: str  # file name stem: "board-engagement"
    title: str
    alt: str  # the text alternative: what the chart shows, in words and numbers
    png: bytes


@dataclass(frozen=True)
class Plan:
    """A chart before it is drawn: what the documents say of it, and its size in pixels. The PDF is
    laid out from plans while another process draws the charts (handlers/year_report_worker.py)."""

    name: str
    title: str
    alt: str
    width: int
    height: int

    @property
    def head(self) -> bytes:
        """How its PNG will start: everything before the pixels."""
        return png_head(self.width, self.height, DPI)


def _pixels(inches: float) -> int:
    """A figure's size in pixels as Agg makes it: the inches times the resolution, cut to a whole."""
    return int(inches * DPI)


def _chart(plan: Plan, fig: Any) -> Chart:
    return Chart(plan.name, plan.title, plan.alt, _png(fig))


@functools.cache
def _canvas_class() -> type:
    """matplotlib's Agg canvas, with a renderer that rasterises each text once per report.

    Agg lays a text out and renders it glyph by glyph every time it is measured or drawn: a chart's
    agency names, dates and numbers are measured three times and drawn once each, in every chart of
    the report. The renderer keeps each text's size and grey bitmap (by text, font, size, resolution,
    hinting and antialiasing, everything FreeType's result depends on) and stamps the same bitmap
    where Agg would have drawn it anew: the same pixels, a fraction of the time.
    """
    from math import cos, radians, sin

    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag

    class TextKeepingRenderer(RendererAgg):
        texts: dict[tuple[Any, ...], Any]

        def get_text_width_height_descent(self, s: str, prop: Any, ismath: Any) -> Any:
            if ismath:
                return super().get_text_width_height_descent(s, prop, ismath)
            key = ("size", s, hash(prop), self.dpi, get_hinting_flag())
            size = self.texts.get(key)
            if size is None:
                size = self.texts[key] = super().get_text_width_height_descent(s, prop, ismath)
            return size

        def draw_text(
            self,
            gc: Any,
            x: float,
            y: float,
            s: str,
            prop: Any,
            angle: float,
            ismath: Any = False,
            mtext: Any = None,
        ) -> None:
            if ismath:
                return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            key = ("image", s, hash(prop), self.dpi, get_hinting_flag(), gc.get_antialiased())
            kept = self.texts.get(key)
            if kept is None:
                # As RendererAgg.draw_text does, the bitmap and its offsets kept.
                font = self._prepare_font(prop)
                font.set_text(s, 0, flags=get_hinting_flag())
                font.draw_glyphs_to_bitmap(antialiased=gc.get_antialiased())
                xo, yo = font.get_bitmap_offset()
                image = np.array(font.get_image(), dtype=np.uint8)
                kept = self.texts[key] = (image, font.get_descent() / 64, xo / 64, yo / 64)
            image, descent, xo, yo = kept
            x = round(x + xo + descent * sin(radians(angle)))
            y = round(y + yo + descent * cos(radians(angle)))
            self._renderer.draw_text_image(image, x, y + 1, angle, gc)
            return None

    class TextKeepingCanvas(FigureCanvasAgg):
        texts: dict[tuple[Any, ...], Any]

        def get_renderer(self) -> Any:
            w, h = self.figure.bbox.size
            key = w, h, self.figure.dpi
            if self._lastKey != key:
                self.renderer = TextKeepingRenderer(w, h, self.figure.dpi)
                self.renderer.texts = self.texts
                self._lastKey = key
            return self.renderer

    return TextKeepingCanvas


def _figure(width: float, height: float, texts: dict[tuple[Any, ...], Any] | None = None) -> tuple[Any, Any]:
    """A figure and its axes on the Agg canvas, without pyplot: no global state, no window manager
    (faster, and safe in a server's threads). `texts` keeps rendered texts for the figures sharing it."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    canvas = _canvas_class()(fig)
    canvas.texts = {} if texts is None else texts
    return fig, fig.subplots()


class Canvases:
    """One figure per kind of chart, cleared and drawn again for each scope of a report.

    A new figure costs a third of a chart's time: its axes, and the ticks and labels matplotlib makes
    at its first drawing. Cleared of its marks, the same figure draws the next scope's chart with what
    it has. Each chart sets its size, margins, limits, ticks and titles itself, so a chart drawn on a
    used figure is the one drawn on a new one, pixel for pixel (tests/test_year_report.py). One per
    report: figures are not shared between threads.
    """

    def __init__(self) -> None:
        self._held: dict[str, tuple[Any, Any]] = {}
        self._texts: dict[tuple[Any, ...], Any] = {}

    def figure(self, kind: str, width: float, height: float) -> tuple[Any, Any]:
        held = self._held.get(kind)
        if held is None:
            held = self._held[kind] = _figure(width, height, self._texts)
            return held
        fig, ax = held
        fig.set_size_inches(width, height)
        for artist in [*ax.patches, *ax.lines, *ax.images, *ax.texts, *ax.collections, *fig.texts]:
            artist.remove()
        ax.containers.clear()
        # Forget the removed marks' extent, and let the axes scale to the new ones again.
        ax.relim()
        ax.set_autoscale_on(True)
        return fig, ax


def _names(labels: list[str]) -> list[str]:
    """Agency names over two lines where they are long, so they fit beside a chart 16 cm wide."""
    return [textwrap.fill(x, 26, max_lines=2, placeholder="…") for x in labels]


def _key(extra: str = "") -> str:
    """The key in words under the chart, over two lines."""
    said = [f"{STATE_LETTERS[s]} = {STATE_WORDS[s]}" for s in STATES]
    return "   ".join(said[:2]) + "\n" + "   ".join(said[2:]) + extra


def _margins(fig: Any, labels: list[str], *, bottom: float = 0.9, top: float = 0.65) -> None:
    """Room for the longest label on the left, the title above and the key below, in inches: a
    fixed layout is much faster than matplotlib's "tight" one, which draws every chart twice."""
    width, height = fig.get_size_inches()
    longest = max((len(line) for x in labels for line in x.splitlines()), default=4)
    left = min(0.42, (0.2 + 0.08 * longest) / width)
    fig.subplots_adjust(left=left, right=0.97, bottom=bottom / height, top=1 - top / height)


def _png(fig: Any) -> bytes:
    """The chart drawn, as an 8-bit RGB PNG: without an alpha channel, so the PDF takes its data as
    it is (handlers/pdf_png.py)."""
    import numpy as np

    fig.canvas.draw()
    width, height = fig.canvas.get_width_height()
    return png_rgb(width, height, np.asarray(fig.canvas.buffer_rgba())[:, :, :3], DPI)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_rgb(width: int, height: int, rgb: Any, dpi: int) -> bytes:
    """RGB pixels (bytes, rows top to bottom, or an array height × width × 3) as a PNG, each row
    unfiltered and the whole compressed at level 1. Pillow tries every row filter on every row,
    which took 12 ms a chart; a chart's flat colours compress as well without, in a third of the
    time. The rows are laid out with their filter byte in one copy of the pixels, a colour at a time
    (numpy copies one byte of three or four a few times faster than three of four at once)."""
    import numpy as np

    rows = np.empty((height, 1 + width * 3), dtype=np.uint8)
    rows[:, 0] = 0
    pixels = np.frombuffer(rgb, dtype=np.uint8) if isinstance(rgb, bytes | bytearray) else rgb
    pixels = pixels.reshape(height, width, -1)
    for colour in range(3):
        rows[:, 1 + colour :: 3] = pixels[:, :, colour]
    return png_head(width, height, dpi) + _chunk(b"IDAT", zlib.compress(rows.data, 1)) + _chunk(b"IEND", b"")


def png_head(width: int, height: int, dpi: int) -> bytes:
    """An 8-bit RGB PNG's signature, size and resolution: what comes before its pixels."""
    per_metre = round(dpi / 0.0254)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1))
    )


@functools.lru_cache(maxsize=512)
def _stamp(text: str, size: float = LABEL_PT) -> tuple[Any, float, float, float]:
    """`text` as a marker centred on its point, the marker size that prints it at `size` points, and
    its half width and half height in points.

    A label drawn as a marker is rasterised once per chart and stamped at every place it goes,
    where a Text artist is laid out and rendered glyph by glyph each time: the heat map's letter
    in every cell and the bars' counts cost a fraction of what they did as text.
    """
    import numpy as np
    from matplotlib.font_manager import FontProperties
    from matplotlib.markers import MarkerStyle
    from matplotlib.path import Path
    from matplotlib.textpath import TextPath

    glyphs = TextPath((0, 0), text, size=size, prop=FontProperties(family="DejaVu Sans"))
    vertices = np.array(glyphs.vertices, dtype=float)
    codes = glyphs.codes
    real = codes != Path.CLOSEPOLY if codes is not None else np.ones(len(vertices), dtype=bool)
    low, high = vertices[real].min(axis=0), vertices[real].max(axis=0)
    vertices -= (low + high) / 2
    vertices[~real] = 0  # a CLOSEPOLY's vertex is ignored when drawing, but counts in the marker's size
    reach = float(np.abs(vertices).max())
    half_width, half_height = (high - low) / 2
    # MarkerStyle scales a path to fit ±0.5 of the marker size: twice the reach keeps it at `size`.
    return MarkerStyle(Path(vertices, codes)), 2 * reach, float(half_width), float(half_height)


def _labels(
    ax: Any,
    places: Sequence[tuple[float, float, str, str]],
    *,
    size: float = LABEL_PT,
    anchor: str = "center",
    gap: float = 2.0,
) -> None:
    """Write each (x, y, text, colour) at its point, one marker line per text and colour: centred
    on it, or starting `gap` points right of it (anchor "left"), or `gap` points above it ("bottom")."""
    from matplotlib.transforms import ScaledTranslation

    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for x, y, text, colour in places:
        groups.setdefault((text, colour), []).append((x, y))
    for (text, colour), points in groups.items():
        marker, markersize, half_width, half_height = _stamp(text, size)
        dx = half_width + gap if anchor == "left" else 0.0
        dy = half_height + gap if anchor == "bottom" else 0.0
        ax.plot(
            [x for x, _ in points],
            [y for _, y in points],
            linestyle="none",
            marker=marker,
            markersize=markersize,
            markeredgewidth=0,
            color=colour,
            clip_on=False,
            transform=ax.transData + ScaledTranslation(dx / 72, dy / 72, ax.figure.dpi_scale_trans),
        )


def _axis_labels(ax: Any, below: str = "") -> None:
    """`below` as the x axis' label, at a fixed place under a row of horizontal 9 pt tick labels
    (tick 3.5 pt, pad 3.5 pt, the line 9.1 pt, label pad 4 pt), and no label on the y axis.

    Placed by matplotlib, an axis' label costs every tick label measured twice more and the ticks
    worked out twice more at each drawing, even with no label to place: a fifth of a chart's time.
    """
    from matplotlib.transforms import ScaledTranslation

    drop = ScaledTranslation(0, -20.1 / 72, ax.figure.dpi_scale_trans)
    ax.xaxis.set_label_coords(0.5, 0, transform=ax.transAxes + drop)
    ax.yaxis.set_label_coords(0, 0.5)
    ax.set_xlabel(below)


def _bars(
    ax: Any,
    boxes: Sequence[tuple[float, float, float, float]],
    colour: str,
    *,
    edge: str = "none",
    autoscale: bool = False,
) -> None:
    """Bars of one colour as one collection of (left, bottom, width, height) boxes: matplotlib's own
    bars are a patch each, every one added, measured and drawn on its own (a third of a chart's
    time). With `autoscale`, the axes take in the bars with their base line at 0, as `bar` does."""
    from matplotlib.collections import PolyCollection

    boxes = [b for b in boxes if b[2] and b[3]]
    bars = PolyCollection(
        [[(x, y), (x, y + h), (x + w, y + h), (x + w, y)] for x, y, w, h in boxes],
        facecolors=colour,
        edgecolors=edge,
    )
    if autoscale:
        cast("list[float]", bars.sticky_edges.y).append(0)
    ax.add_collection(bars, autolim=autoscale)


def _engagement_rows(scope: Scope) -> list[Any]:
    return [a for a in scope.agencies if a.expected] if scope.held else []


def _engagement_height(rows: list[Any]) -> float:
    return 1.9 + 0.36 * len(rows)


def engagement_plan(scope: Scope) -> Plan | None:
    rows = _engagement_rows(scope)
    if not rows:
        return None
    lines = [
        f"{a.name}: {a.member} by a member, {a.deputy} by a deputy, {a.apologies} apologies, "
        f"{a.absent} absent without apologies (attended {percent(a.rate)})"
        for a in rows
    ]
    alt = (
        f"Bar chart of attendance per agency at {scope.name}'s {scope.held} meetings. "
        + "; ".join(lines)
        + "."
    )
    title = f"{scope.name}: attendance per agency"
    return Plan(f"{scope.key}-engagement", title, alt, _pixels(WIDTH_IN), _pixels(_engagement_height(rows)))


def engagement_chart(scope: Scope, canvases: Canvases | None = None) -> Chart | None:
    """A stacked bar per agency: meetings represented by a member, a deputy, apologies, absent."""
    plan = engagement_plan(scope)
    if plan is None:
        return None
    rows = _engagement_rows(scope)
    names = _names([a.name for a in rows])
    fig, ax = (canvases or Canvases()).figure("engagement", WIDTH_IN, _engagement_height(rows))
    _margins(fig, names, bottom=1.0)
    ys = range(len(rows))
    left = [0] * len(rows)
    places: list[tuple[float, float, str, str]] = []
    for state in STATES:
        values = [a.count(state) for a in rows]
        _bars(
            ax,
            [(x, y - 0.4, v, 0.8) for x, y, v in zip(left, ys, values, strict=True)],
            STATE_COLOURS[state],
            edge="white",
        )
        places += [
            (x + value / 2, y, f"{STATE_LETTERS[state]} {value}", STATE_INK[state])
            for y, (x, value) in enumerate(zip(left, values, strict=True))
            if value
        ]
        left = [x + v for x, v in zip(left, values, strict=True)]
    _labels(ax, places)
    _labels(ax, [(left[y], y, percent(a.rate), "black") for y, a in enumerate(rows)], anchor="left")
    # Rows by number, named by their ticks (not matplotlib's categories, which a used figure keeps);
    # the first agency at the top.
    ax.set_yticks(ys, names)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.tick_params(labelsize=LABEL_PT)
    _axis_labels(ax, "Meetings")
    ax.set_xlim(0, max(left) * 1.2 + 0.5)
    fig.suptitle(
        f"{scope.name}:\nattendance per agency ({scope.held} meetings)", fontsize=TITLE_PT, x=0.01, ha="left"
    )
    # The key is written out in words under the chart, each in its own colour (a direct label).
    key = _key()
    fig.text(0.01, 0.02, key, fontsize=LABEL_PT, ha="left", va="bottom")
    ax.spines[["top", "right"]].set_visible(False)
    return _chart(plan, fig)


def _heat_rows(scope: Scope) -> list[Any]:
    return [a for a in scope.agencies if a.expected] if scope.meetings else []


def _heat_height(rows: list[Any]) -> float:
    return 2.1 + 0.36 * len(rows)


def heat_plan(scope: Scope) -> Plan | None:
    rows = _heat_rows(scope)
    if not rows:
        return None
    lines = []
    for a in rows:
        # Each agency in a sentence: how often it was represented, and the meetings it missed.
        said = [f"represented at {a.represented} of {a.expected} (by a deputy at {a.deputy})"]
        for state in ("apologies", "absent"):
            days = [f"{m.day.day} {m.day:%b %Y}" for m in scope.meetings if m.states.get(a.key) == state]
            if days:
                said.append(f"{STATE_WORDS[state]} on {', '.join(days)}")
        lines.append(f"{a.name}: {'; '.join(said)}")
    alt = f"Grid of {scope.name}'s {len(scope.meetings)} meetings by agency. " + ". ".join(lines) + "."
    title = f"{scope.name}: each agency at each meeting"
    return Plan(f"{scope.key}-meetings", title, alt, _pixels(WIDTH_IN), _pixels(_heat_height(rows)))


def heat_map(scope: Scope, canvases: Canvases | None = None) -> Chart | None:
    """Agency × meeting: how each agency was there at each meeting, a letter in every cell."""
    plan = heat_plan(scope)
    if plan is None:
        return None
    rows = _heat_rows(scope)
    from matplotlib.colors import ListedColormap

    palette = [OKABE_ITO["grey"], *(STATE_COLOURS[s] for s in STATES)]
    codes = {state: i + 1 for i, state in enumerate(STATES)}
    grid = [[codes.get(m.states.get(a.key, ""), 0) for m in scope.meetings] for a in rows]
    names = _names([a.name for a in rows])
    fig, ax = (canvases or Canvases()).figure("meetings", WIDTH_IN, _heat_height(rows))
    _margins(fig, names, bottom=1.35)
    ax.imshow(grid, cmap=ListedColormap(palette), vmin=0, vmax=len(palette) - 1, aspect="auto")
    places = []
    for y, a in enumerate(rows):
        for x, m in enumerate(scope.meetings):
            state = m.states.get(a.key)
            places.append((x, y, STATE_LETTERS[state], STATE_INK[state]) if state else (x, y, "–", "black"))
    _labels(ax, places)
    ax.set_yticks(range(len(rows)), names, fontsize=LABEL_PT)
    ax.set_xticks(
        range(len(scope.meetings)),
        [f"{m.day:%d %b %y}" for m in scope.meetings],
        fontsize=LABEL_PT,
        rotation=45,
    )
    _axis_labels(ax)
    fig.suptitle(f"{scope.name}:\neach agency at each meeting", fontsize=TITLE_PT, x=0.01, ha="left")
    key = _key("   – = no seat")
    fig.text(0.01, 0.02, key, fontsize=LABEL_PT, ha="left", va="bottom")
    return _chart(plan, fig)


ACTIONS_HEIGHT_IN = 3.8


def actions_plan(scope: Scope) -> Plan | None:
    months: list[MonthFigures] = scope.months
    if not months:
        return None
    parts = [
        f"{m.month:%B %Y}: {m.raised} raised, {m.closed} closed"
        + (f", {m.open_at_end} open at the month's end" if m.open_at_end is not None else "")
        for m in months
    ]
    alt = f"Chart of {scope.name}'s actions per month. " + "; ".join(parts) + "."
    title = f"{scope.name}: actions per month"
    return Plan(f"{scope.key}-actions", title, alt, _pixels(WIDTH_IN), _pixels(ACTIONS_HEIGHT_IN))


def actions_chart(scope: Scope, canvases: Canvases | None = None) -> Chart | None:
    """Per month: actions raised and closed (bars), and open at the month's end (a line)."""
    plan = actions_plan(scope)
    if plan is None:
        return None
    from matplotlib.transforms import ScaledTranslation

    months: list[MonthFigures] = scope.months
    labels = [f"{m.month:%b %y}" for m in months]
    xs = list(range(len(months)))
    fig, ax = (canvases or Canvases()).figure("actions", WIDTH_IN, ACTIONS_HEIGHT_IN)
    fig.subplots_adjust(left=0.1, right=0.85, bottom=0.2, top=0.83)
    width = 0.38
    bars = [
        (x + shift, value)
        for shift, counts in (
            (-width / 2, [m.raised for m in months]),
            (width / 2, [m.closed for m in months]),
        )
        for x, value in zip(xs, counts, strict=True)
    ]
    _bars(ax, [(x - width / 2, 0, width, v) for x, v in bars[: len(xs)]], OKABE_ITO["orange"], autoscale=True)
    _bars(ax, [(x - width / 2, 0, width, v) for x, v in bars[len(xs) :]], OKABE_ITO["green"], autoscale=True)
    _labels(
        ax,
        [(x, value, str(value), "black") for x, value in bars if value],
        size=LABEL_PT - 1,
        anchor="bottom",
    )
    ended = [(x, m.open_at_end) for x, m in zip(xs, months, strict=True) if m.open_at_end is not None]
    if ended:
        ax.plot(
            [x for x, _ in ended], [v for _, v in ended], color=OKABE_ITO["blue"], marker="o", linewidth=2
        )
        last_x, last_v = ended[-1]
        ax.text(
            last_x,
            last_v,
            f"open at month end: {last_v}",
            color=OKABE_ITO["blue"],
            fontsize=LABEL_PT,
            transform=ax.transData + ScaledTranslation(-60 / 72, 8 / 72, fig.dpi_scale_trans),
        )
    # Direct labels right of the last month's marks instead of a legend, clear of their counts.
    last = xs[-1]
    for text, y, colour in (
        ("raised", months[-1].raised, OKABE_ITO["orange"]),
        ("closed", months[-1].closed, OKABE_ITO["green"]),
    ):
        ax.text(last + 0.78, y, f"  {text}", fontsize=LABEL_PT, va="center", clip_on=False)
        ax.plot([last + 0.75], [y], marker="s", color=colour, clip_on=False, markersize=7)
    ax.set_xticks(xs, labels, fontsize=LABEL_PT, rotation=45)
    _axis_labels(ax)
    fig.suptitle(
        f"{scope.name}:\nactions raised, closed and open per month", fontsize=TITLE_PT, x=0.01, ha="left"
    )
    ax.spines[["top", "right"]].set_visible(False)
    return _chart(plan, fig)


def chart_plans(scopes: list[Scope]) -> list[Plan]:
    """Every chart of the report, planned but not drawn, in the order `charts` draws them."""
    return [
        plan
        for scope in scopes
        for make in (engagement_plan, heat_plan, actions_plan)
        if (plan := make(scope)) is not None
    ]


def charts(scopes: list[Scope]) -> list[Chart]:
    """Every chart of the report: the partnership's first, then each series'."""
    out: list[Chart] = []
    canvases = Canvases()
    for scope in scopes:
        for make in (engagement_chart, heat_map, actions_chart):
            chart = make(scope, canvases)
            if chart is not None:
                out.append(chart)
    return out
