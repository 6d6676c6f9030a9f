"""Chart geometry for the HTML audit: numbers in, rectangles out; the template draws the SVG.

Charts are inline SVG (no script, no network): horizontal bars for counts, and the retry window
of every retrying job on a log time axis against the ``max-retry-window`` threshold, since
windows range from seconds to weeks and "unbounded" must still be drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from retrylint.policy_math import format_duration
from retrylint.reporters.audit.model import Audit

WIDTH = 570  # two bar charts side by side on a laptop screen
WIDE = 1180  # the retry-window chart spans the page
LABEL_WIDTH = 230  # the retry-window chart's job names
BAR_LABEL_WIDTH = 150  # rule families, frameworks
VALUE_WIDTH = 90
ROW = 20
BAR = 13
TOP = 8
AXIS = 28  # room under the bars for tick labels
LABEL_CHARS = 34  # longer labels keep their end (the distinctive part) after an ellipsis

# Log-axis ticks: the durations a person thinks in.
TICKS = (
    (1.0, "1 s"),
    (10.0, "10 s"),
    (60.0, "1 min"),
    (600.0, "10 min"),
    (3600.0, "1 h"),
    (6 * 3600.0, "6 h"),
    (86400.0, "1 d"),
    (7 * 86400.0, "1 wk"),
    (30 * 86400.0, "30 d"),
    (365 * 86400.0, "1 yr"),
)


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    css: str  # the series: high, medium, low, bar, ok, over, unbounded
    title: str  # tooltip


@dataclass(frozen=True)
class Row:
    label: str
    full_label: str
    y: float
    segments: tuple[Segment, ...]
    value: str
    value_x: float
    href: str | None = None


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    rows: tuple[Row, ...]
    height: float
    ticks: tuple[Tick, ...] = ()
    threshold: Tick | None = None
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    legend: tuple[tuple[str, str], ...] = ()  # (css, label)
    bottom: float = field(default=0.0)  # y of the axis line


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else "…" + label[-(LABEL_CHARS - 1) :]


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, Sequence[tuple[str, int]]]],
    unit: str,
    legend: tuple[tuple[str, str], ...] = (),
) -> Chart:
    """Horizontal bars, each made of (series, count) segments laid end to end."""
    span = WIDTH - BAR_LABEL_WIDTH - VALUE_WIDTH
    largest = max((sum(count for _, count in parts) for _, parts in rows), default=0) or 1
    laid = []
    for position, (label, parts) in enumerate(rows):
        y = TOP + position * ROW
        x = float(BAR_LABEL_WIDTH)
        segments = []
        for css, count in parts:
            if count <= 0:
                continue
            width = max(span * count / largest, 2.0)
            series = "" if css == "bar" else f" {css}"
            segments.append(Segment(x, width, css, f"{label}: {count}{series} {unit}"))
            x += width
        total = sum(count for _, count in parts)
        laid.append(Row(_short(label), label, y, tuple(segments), str(total), x + 6))
    height = TOP + len(rows) * ROW + 6
    return Chart(
        title, tuple(laid), height, legend=legend, bottom=height, label_width=BAR_LABEL_WIDTH
    )


def _log_x(seconds: float, low: float, high: float) -> float:
    span = WIDE - LABEL_WIDTH - VALUE_WIDTH
    clamped = min(max(seconds, low), high)
    return LABEL_WIDTH + span * (math.log10(clamped) - math.log10(low)) / (
        math.log10(high) - math.log10(low)
    )


def window_chart(audit: Audit) -> Chart:
    """Each retrying job's worst-case retry window on a log axis, the threshold as a line."""
    entries = audit.retrying
    threshold = audit.max_retry_window
    known = [e.window.seconds for e in entries if e.window and e.window.seconds]
    high = max(7 * 86400.0, 2 * threshold, 1.5 * max(known, default=0.0))
    low = 1.0
    right = float(WIDE - VALUE_WIDTH)
    rows = []
    for position, entry in enumerate(entries):
        window = entry.window
        assert window is not None
        y = TOP + position * ROW
        if window.unbounded:
            segment = Segment(LABEL_WIDTH, right - LABEL_WIDTH, "unbounded", "retries forever")
            segments: tuple[Segment, ...] = (segment,)
        elif window.seconds is None:
            segments = ()
        else:
            end = _log_x(window.seconds, low, high) if window.seconds >= low else LABEL_WIDTH + 2.0
            css = "over" if window.seconds > threshold else "ok"
            title = f"{entry.title}: at most {window.text} of retrying"
            segments = (Segment(LABEL_WIDTH, max(end - LABEL_WIDTH, 2.0), css, title),)
        value_x = (segments[0].x + segments[0].width + 6) if segments else LABEL_WIDTH + 6.0
        rows.append(
            Row(
                _short(entry.title),
                entry.job.qualname,
                y,
                segments,
                window.text,
                min(value_x, right + 6),
                href=f"#{entry.anchor}",
            )
        )
    bottom = TOP + len(rows) * ROW + 4
    ticks = tuple(
        Tick(_log_x(seconds, low, high), text) for seconds, text in TICKS if seconds <= high
    )
    line = Tick(_log_x(threshold, low, high), f"max-retry-window {format_duration(threshold)}")
    legend = (
        ("ok", "within max-retry-window"),
        ("over", "longer"),
        ("unbounded", "retries forever"),
    )
    return Chart(
        "Worst-case retry window per job (log scale)",
        tuple(rows),
        bottom + AXIS,
        ticks=ticks,
        threshold=line,
        width=WIDE,
        legend=legend,
        bottom=bottom,
    )


SEVERITY_LEGEND = (("high", "high"), ("medium", "medium"), ("low", "low"))


def family_chart(audit: Audit) -> Chart:
    rows = [
        (family, [(severity, counts.get(severity, 0)) for severity in ("high", "medium", "low")])
        for family, counts in audit.by_family.items()
    ]
    return bar_chart("Findings per rule family", rows, "findings", SEVERITY_LEGEND)


def framework_chart(audit: Audit) -> Chart:
    rows = [(framework, [("bar", count)]) for framework, count in audit.by_framework.items()]
    return bar_chart("Jobs per framework", rows, "jobs")
