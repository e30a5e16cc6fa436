"""Charts as plain geometry for server-rendered SVG: no chart library, no script, and no style
attribute (the CSP forbids them) — sizes are SVG attributes, colours come from charts.css by class."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 240
LEFT, BOTTOM, TOP, RIGHT = 44, 28, 10, 24  # room for the axis labels


@dataclass(frozen=True)
class Bar:
    code: str
    label: str
    value: int
    percent: float  # of the largest bar (or of the given whole): the rect's width in a 0..100 viewBox


def bars(items: Sequence[tuple[str, str, int]], *, whole: int | None = None) -> list[Bar]:
    """Horizontal bars of (code, label, value), scaled to `whole`, else to the largest value."""
    scale = whole if whole else max((value for _, _, value in items), default=0)
    return [Bar(code, label, value, round(100 * value / scale, 2) if scale else 0.0) for code, label, value in items]


@dataclass(frozen=True)
class Tick:
    at: float
    text: str


@dataclass(frozen=True)
class Series:
    index: int
    code: str
    label: str
    points: list[tuple[float, float]]  # only where there is a value
    path: str  # an SVG path; a gap where a period has no value


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    left: int = LEFT
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return round(LEFT + (span * index / (count - 1) if count > 1 else span / 2), 1)


def _y(value: float, top: float) -> float:
    return round(HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * (value / top if top else 0), 1)


def _x_ticks(labels: Sequence[str]) -> list[Tick]:
    step = max(1, -(-len(labels) // 8))  # at most about eight labels under the axis
    return [Tick(_x(i, len(labels)), label) for i, label in enumerate(labels) if i % step == 0]


def _y_ticks(top: float, suffix: str) -> list[Tick]:
    return [Tick(_y(top * part / 4, top), f"{round(top * part / 4):g}{suffix}") for part in range(5)]


def lines(labels: Sequence[str], series: Mapping[str, tuple[str, Sequence[float | None]]], *,
          top: float = 100.0, suffix: str = " %") -> LineChart:
    """One line per series of (label, values per period); a period without a value leaves a gap."""
    drawn = []
    for index, (code, (label, values)) in enumerate(series.items()):
        points: list[tuple[float, float]] = []
        path: list[str] = []
        gap = True
        for i, value in enumerate(values):
            if value is None:
                gap = True
                continue
            point = (_x(i, len(labels)), _y(value, top))
            points.append(point)
            path.append(f"{'M' if gap else 'L'}{point[0]},{point[1]}")
            gap = False
        drawn.append(Series(index, code, label, points, " ".join(path)))
    return LineChart(WIDTH, HEIGHT, drawn, _x_ticks(labels), _y_ticks(top, suffix))


@dataclass(frozen=True)
class Segment:
    index: int  # the stack's series, for its colour
    code: str
    y: float
    height: float
    value: int


@dataclass(frozen=True)
class Column:
    x: float
    width: float
    label: str
    total: int
    segments: list[Segment]


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    columns: list[Column]
    legend: list[tuple[int, str, str]]  # (index, code, label)
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    rows: list[tuple[str, list[int]]]  # the figures as a table: period -> value per series, for the text alternative
    left: int = LEFT
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM


def columns(labels: Sequence[str], stacks: Mapping[str, tuple[str, Sequence[int]]]) -> ColumnChart:
    """Stacked columns, one per period, of (label, counts per period) per series."""
    totals = [sum(values[i] for _, values in stacks.values()) for i in range(len(labels))]
    top = float(_nice(max(totals, default=0)))
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    width = round(min(slot * 0.7, 48), 1)
    drawn = []
    for i, label in enumerate(labels):
        base = float(HEIGHT - BOTTOM)
        segments = []
        for index, (code, (_, values)) in enumerate(stacks.items()):
            if not values[i]:
                continue
            height = round((HEIGHT - BOTTOM - TOP) * values[i] / top, 1)
            base = round(base - height, 1)
            segments.append(Segment(index, code, base, height, values[i]))
        drawn.append(Column(round(LEFT + slot * i + (slot - width) / 2, 1), width, label, totals[i], segments))
    legend = [(index, code, label) for index, (code, (label, _)) in enumerate(stacks.items())]
    ticks = [Tick(round(column.x + column.width / 2, 1), column.label) for column in drawn]
    step = max(1, -(-len(ticks) // 8))
    rows = [(label, [values[i] for _, values in stacks.values()]) for i, label in enumerate(labels)]
    return ColumnChart(WIDTH, HEIGHT, drawn, legend, ticks[::step], _y_ticks(top, ""), rows)


def _nice(value: int) -> int:
    """A round top for the axis at or above `value`: 4, 8, 12, 20, 40, 80 … (its quarters are whole numbers)."""
    decade = 1
    while True:
        for top in (4 * decade, 8 * decade, 12 * decade, 20 * decade):
            if top >= value:
                return top
        decade *= 10
