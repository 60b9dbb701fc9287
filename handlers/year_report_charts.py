"""The year report's charts: PNG images drawn with matplotlib, each with its text alternative.

matplotlib is imported here only, inside the functions, and draws on its Agg canvas (no display,
no pyplot): the shell and the bot start without it. The palette is Okabe and Ito's, safe for the
common kinds of colour blindness, and every chart labels its data directly (numbers and names on
the marks) so nothing depends on telling colours apart.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from handlers.year_report import STATE_WORDS, STATES, MonthFigures, Scope, percent

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
DPI = 100


@dataclass(frozen=True)
class Chart:
    name: str  # file name stem: "board-engagement"
    title: str
    alt: str  # the text alternative: what the chart shows, in words and numbers
    png: bytes


def _figure(width: float, height: float) -> tuple[Any, Any]:
    """A figure and its axes on the Agg canvas, without pyplot: no global state, no window manager
    (faster, and safe in a server's threads)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def _margins(fig: Any, labels: list[str], *, bottom: float = 0.9, top: float = 0.45) -> None:
    """Room for the longest label on the left and the key below, in inches: a fixed layout is much
    faster than matplotlib's "tight" one, which draws every chart twice."""
    width, height = fig.get_size_inches()
    left = min(0.45, (0.25 + 0.075 * max((len(x) for x in labels), default=4)) / width)
    fig.subplots_adjust(left=left, right=0.97, bottom=bottom / height, top=1 - top / height)


def _png(fig: Any) -> bytes:
    """The chart as an RGB PNG: without an alpha channel the PDF takes the image data as it is,
    where an RGBA one is decoded and compressed again (twice, the alpha as a mask)."""
    from PIL import Image

    fig.canvas.draw()
    width, height = fig.canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG", dpi=(DPI, DPI))
    return buf.getvalue()


def engagement_chart(scope: Scope) -> Chart | None:
    """A stacked bar per agency: meetings represented by a member, a deputy, apologies, absent."""
    rows = [a for a in scope.agencies if a.expected]
    if not scope.held or not rows:
        return None
    names = [a.name for a in rows]
    fig, ax = _figure(9, 1.8 + 0.45 * len(rows))
    _margins(fig, names)
    left = [0] * len(rows)
    for state in STATES:
        values = [a.count(state) for a in rows]
        bars = ax.barh(names, values, left=left, color=STATE_COLOURS[state], edgecolor="white")
        for bar, value in zip(bars, values, strict=True):
            if value:
                ax.text(
                    bar.get_x() + bar.get_width() / 2,
                    bar.get_y() + bar.get_height() / 2,
                    f"{STATE_LETTERS[state]} {value}",
                    ha="center",
                    va="center",
                    color=STATE_INK[state],
                    fontsize=8,
                )
        left = [x + v for x, v in zip(left, values, strict=True)]
    for y, a in enumerate(rows):
        ax.text(left[y] + 0.1, y, percent(a.rate), va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Meetings")
    ax.set_xlim(0, max(left) * 1.15 + 0.5)
    fig.suptitle(
        f"{scope.name}: attendance per agency ({scope.held} meetings)", fontsize=10, x=0.01, ha="left"
    )
    # The key is written out in words under the chart, each in its own colour (a direct label).
    key = "   ".join(f"{STATE_LETTERS[s]} = {STATE_WORDS[s]}" for s in STATES)
    fig.text(0.01, 0.02, key, fontsize=8, ha="left", va="bottom")
    ax.spines[["top", "right"]].set_visible(False)
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
    return Chart(f"{scope.key}-engagement", f"{scope.name}: attendance per agency", alt, _png(fig))


def heat_map(scope: Scope) -> Chart | None:
    """Agency × meeting: how each agency was there at each meeting, a letter in every cell."""
    rows = [a for a in scope.agencies if a.expected]
    if not scope.meetings or not rows:
        return None
    from matplotlib.colors import ListedColormap

    palette = [OKABE_ITO["grey"], *(STATE_COLOURS[s] for s in STATES)]
    codes = {state: i + 1 for i, state in enumerate(STATES)}
    grid = [[codes.get(m.states.get(a.key, ""), 0) for m in scope.meetings] for a in rows]
    names = [a.name for a in rows]
    fig, ax = _figure(9, 2.4 + 0.42 * len(rows))
    _margins(fig, names, bottom=1.5)
    ax.imshow(grid, cmap=ListedColormap(palette), vmin=0, vmax=len(palette) - 1, aspect="auto")
    for y, a in enumerate(rows):
        for x, m in enumerate(scope.meetings):
            state = m.states.get(a.key)
            ax.text(
                x,
                y,
                STATE_LETTERS[state] if state else "–",
                ha="center",
                va="center",
                fontsize=8,
                color=STATE_INK[state] if state else "black",
            )
    ax.set_yticks(range(len(rows)), [a.name for a in rows], fontsize=8)
    ax.set_xticks(
        range(len(scope.meetings)), [f"{m.day:%d %b %y}" for m in scope.meetings], fontsize=8, rotation=45
    )
    fig.suptitle(f"{scope.name}: each agency at each meeting", fontsize=10, x=0.01, ha="left")
    key = "   ".join(f"{STATE_LETTERS[s]} = {STATE_WORDS[s]}" for s in STATES) + "   – = no seat"
    fig.text(0.01, 0.02, key, fontsize=8, ha="left", va="bottom")
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
    return Chart(f"{scope.key}-meetings", f"{scope.name}: each agency at each meeting", alt, _png(fig))


def actions_chart(scope: Scope) -> Chart | None:
    """Per month: actions raised and closed (bars), and open at the month's end (a line)."""
    months: list[MonthFigures] = scope.months
    if not months:
        return None
    labels = [f"{m.month:%b %y}" for m in months]
    xs = list(range(len(months)))
    fig, ax = _figure(9, 4)
    fig.subplots_adjust(left=0.08, right=0.88, bottom=0.2, top=0.9)
    width = 0.38
    raised = ax.bar([x - width / 2 for x in xs], [m.raised for m in months], width, color=OKABE_ITO["orange"])
    closed = ax.bar([x + width / 2 for x in xs], [m.closed for m in months], width, color=OKABE_ITO["green"])
    for bars in (raised, closed):
        for bar in bars:
            if bar.get_height():
                ax.text(
                    bar.get_x() + bar.get_width() / 2,
                    bar.get_height(),
                    str(int(bar.get_height())),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
    ended = [(x, m.open_at_end) for x, m in zip(xs, months, strict=True) if m.open_at_end is not None]
    if ended:
        ax.plot(
            [x for x, _ in ended], [v for _, v in ended], color=OKABE_ITO["blue"], marker="o", linewidth=2
        )
        last_x, last_v = ended[-1]
        ax.annotate(
            f"open at month end: {last_v}",
            (last_x, last_v),
            textcoords="offset points",
            xytext=(-60, 8),
            color=OKABE_ITO["blue"],
            fontsize=8,
        )
    # Direct labels right of the last month's marks instead of a legend.
    last = xs[-1]
    for text, y, colour in (
        ("raised", months[-1].raised, OKABE_ITO["orange"]),
        ("closed", months[-1].closed, OKABE_ITO["green"]),
    ):
        ax.annotate(
            f"  {text}", (last + 0.45, y), fontsize=8, color="black", va="center", annotation_clip=False
        )
        ax.plot([last + 0.42], [y], marker="s", color=colour, clip_on=False, markersize=7)
    ax.set_xticks(xs, labels, fontsize=8, rotation=45)
    ax.set_ylabel("Actions")
    fig.suptitle(f"{scope.name}: actions raised, closed and open per month", fontsize=10, x=0.01, ha="left")
    ax.spines[["top", "right"]].set_visible(False)
    parts = [
        f"{m.month:%B %Y}: {m.raised} raised, {m.closed} closed"
        + (f", {m.open_at_end} open at the month's end" if m.open_at_end is not None else "")
        for m in months
    ]
    alt = f"Chart of {scope.name}'s actions per month. " + "; ".join(parts) + "."
    return Chart(f"{scope.key}-actions", f"{scope.name}: actions per month", alt, _png(fig))


def charts(scopes: list[Scope]) -> list[Chart]:
    """Every chart of the report: the partnership's first, then each series'."""
    out: list[Chart] = []
    for scope in scopes:
        for make in (engagement_chart, heat_map, actions_chart):
            chart = make(scope)
            if chart is not None:
                out.append(chart)
    return out
