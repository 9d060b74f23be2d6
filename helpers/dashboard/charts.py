"""The Metrics chart: matplotlib (object API with the Agg canvas: no pyplot, no backend needed), its PNG cache in the
workshop's cache folder, and the charts shipped drawn in ``helpers/charts/`` (the views the series shows), all looked
up by a hash of what is drawn (:func:`chart_name`).
"""
from __future__ import annotations

import functools
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..cache import write_atomic
from .data import WINDOW, _cached, _incident, _minute_options, _ts, _utc, deploy_markers, service_metrics_frame

__all__ = [
    "SHIPPED_CHARTS",
    "SHIPPED_CHART_VIEWS",
    "chart_name",
    "metrics_figure",
    "render_metrics_png",
    "shipped_chart_args",
]


#: render_metrics_png's default size (the dashboard's, and the shipped charts').
_CHART_SIZE = {"width": 10.0, "height": 6.5, "dpi": 80}


def render_metrics_png(
    service: str | None = "checkout",
    start: Any = None,
    end: Any = None,
    highlight: str | None = None,
    width: float = _CHART_SIZE["width"],
    height: float = _CHART_SIZE["height"],
    dpi: int = _CHART_SIZE["dpi"],
) -> bytes:
    """PNG of p99 latency and failure rate of ``service`` (``None``/"all" = every service) with deploy lines.

    Looked up by a hash of everything drawn (:func:`chart_name`) among the charts shipped beside this module
    (:data:`SHIPPED_CHARTS`), then in the cache beside the parsed log (``helpers.incident.columns_cache_dir``:
    ``WORKSHOP_CACHE_DIR`` moves it, ``off`` disables it), where a drawn chart is kept. A hit skips matplotlib
    altogether (its import and the render, ~0.3-1.2 s in a fresh kernel); any problem with a stored file falls back to
    drawing."""
    start = _utc(start) or _utc(WINDOW[0])
    end = _utc(end) or _utc(WINDOW[1])
    if end <= start:  # an empty window (both slider handles on one tick): show the next five minutes
        end = start + timedelta(minutes=5)
    name = chart_name(service, start, end, highlight, width, height, dpi)
    folder = _incident().columns_cache_dir()
    for place in (SHIPPED_CHARTS, folder):
        png = _read_png(place / name) if name and place is not None else None
        if png is not None:
            return png
    start, end = _ts(start), _ts(end)
    df = service_metrics_frame(service, start, end)
    markers = deploy_markers(start, end)
    png = _draw_metrics_png(df, markers, service, start, end, highlight, width, height, dpi)
    if name and folder is not None:
        try:
            write_atomic(folder / name, png)
        except OSError:  # an unwritable cache: the next kernel draws it again
            pass
    return png


#: Bump when the chart changes without an edit to the drawing functions (e.g. a style they read); old chart files are
#: then simply never hit (and scripts/make_figures.py --check, run by the tests, says the shipped ones must be drawn
#: again). An edit to the drawing functions renames the charts by itself (:func:`_drawing_source`).
_CHART_CACHE_FORMAT = "metrics-png-4"

#: Charts drawn in advance, committed in helpers/charts/: the views the series shows (:data:`SHIPPED_CHART_VIEWS`,
#: written by ``scripts/make_figures.py``, whose ``--check`` fails when one is stale or missing). Looked up by the same
#: name as the cache, so a learner's first dashboard (notebooks 01 and 04) needs neither matplotlib's import nor a
#: render, ~0.3-1.2 s of a fresh kernel; any other view is drawn, then cached.
SHIPPED_CHARTS = Path(__file__).resolve().parent.parent / "charts"

#: (service, highlight) of the shipped views, over the dashboard's whole window: how it opens, and how it looks once
#: the report of notebook 04 names the culprit.
SHIPPED_CHART_VIEWS = (("checkout", None), ("checkout", "dep_4820"))


def chart_name(service: str | None, start: datetime, end: datetime, highlight: str | None, width: float, height: float,
               dpi: int) -> str | None:
    """``chart-<sha1>.png``: a hash of everything the chart is drawn from (the source's metrics and deploys, the
    arguments, the drawing code itself and the versions of matplotlib, pandas and numpy), computed without pandas or
    matplotlib; ``None`` if a version or the drawing's source is unknown."""
    import hashlib
    from importlib import metadata

    try:
        versions = [metadata.version(name) for name in ("matplotlib", "pandas", "numpy")]
    except metadata.PackageNotFoundError:
        return None
    digest = hashlib.sha1(_CHART_CACHE_FORMAT.encode(), usedforsecurity=False)
    digest.update(repr((versions, service, _utc(start).isoformat(), _utc(end).isoformat(), highlight, float(width),
                        float(height), int(dpi))).encode())
    digest.update(_evidence_digest())
    drawing = _drawing_source()
    if drawing is None:
        return None
    digest.update(drawing)
    return f"chart-{digest.hexdigest()}.png"


@functools.cache
def _drawing_source() -> bytes | None:
    """The source of the functions that draw the chart: an edit to them renames every chart (no stale PNG is served,
    shipped or cached, even if :data:`_CHART_CACHE_FORMAT` is not bumped); ``None`` without the source files."""
    import inspect

    try:
        return "".join(inspect.getsource(f) for f in (_draw_metrics_png, metrics_figure, _fixed_margins)).encode()
    except (OSError, TypeError):
        return None


def _evidence_digest() -> bytes:
    """sha1 of the source's metrics and deploys (what any chart is drawn from), once per source."""

    def build(src):
        import hashlib

        text = json.dumps([src.metrics(), list(src.deploys())], sort_keys=True, default=str)
        return hashlib.sha1(text.encode(), usedforsecurity=False).digest()

    return _cached("evidence-digest", build)


def _read_png(path) -> bytes | None:
    """The PNG stored at ``path``, or ``None`` (missing, unreadable, or not a PNG: drawn again)."""
    try:
        png = path.read_bytes()
    except OSError:
        return None
    return png if png[:8] == b"\x89PNG\r\n\x1a\n" else None


def shipped_chart_args() -> list[dict]:
    """The keyword arguments of :func:`render_metrics_png` for each shipped view, with the window exactly as the
    dashboard's slider gives it and the default size."""
    opts = _minute_options(*WINDOW)
    start, end = opts[0][1], opts[-1][1]
    return [dict(service=s, start=start, end=end, highlight=h, **_CHART_SIZE) for s, h in SHIPPED_CHART_VIEWS]


def _fixed_margins(fig, axes, width: float, height: float) -> None:
    """Margins that hold the chart's labels, set without measuring them (``tight_layout()`` measures them with one more
    draw of the whole figure, ~0.2 s of each render). The left one follows the widest y tick label of either axis
    (the labels their formatters give the visible ticks, ~0.085 in a character at the default size) beside the axis
    label; the others are fixed (the title on top, the time axis below)."""
    chars = 3
    for ax in axes:
        lo, hi = sorted(ax.get_ylim())
        visible = [v for v in ax.yaxis.get_majorticklocs() if lo <= v <= hi]
        chars = max([chars, *(len(label) for label in ax.yaxis.get_major_formatter().format_ticks(visible))])
    left = 0.46 + 0.085 * chars
    fig.subplots_adjust(left=left / width, right=1 - 0.35 / width, bottom=0.59 / height, top=1 - 0.36 / height,
                        hspace=0.09)


def _draw_metrics_png(df, markers: list[dict], service, start, end, highlight, width, height, dpi) -> bytes:
    fig = metrics_figure(df, markers, service, start, end, highlight, width, height, dpi)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def metrics_figure(df, markers: list[dict], service, start, end, highlight, width, height, dpi):
    """The chart of :func:`render_metrics_png` as a matplotlib ``Figure`` (Agg canvas), for its PNG and the tests."""
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    services = [service] if service not in (None, "", "all") else sorted(df["service"].unique())
    for svc in services:
        part = df[df["service"] == svc]
        x = part["ts"].dt.tz_localize(None)
        ax1.plot(x, part["p99_ms"], label=svc, linewidth=1.4)
        ax2.plot(x, part["failure_rate"] * 100, label=svc, linewidth=1.4)
    ax1.set_ylabel("p99 latency (ms)")
    ax2.set_ylabel("failure rate (%)")
    title = f"{service} p99 latency and failure rate" if len(services) == 1 else "p99 latency and failure rate, all services"
    ax1.set_title(title, fontsize=11)
    if len(services) > 1:
        ax1.legend(fontsize=7, ncol=3, loc="upper left")
    for ax in (ax1, ax2):
        ax.grid(True, alpha=0.3)
    if len(df):
        ax1.set_ylim(0, float(df["p99_ms"].max()) * 1.5)  # head room for the deploy labels
    for dep in markers:
        x = dep["timestamp"].replace(tzinfo=None)  # a UTC datetime, drawn as naive UTC like the axis
        culprit = highlight is not None and dep["id"] == highlight
        own = dep["service"] == service
        colour = "#c62828" if culprit else ("#6a1b9a" if own else "#9e9e9e")
        for ax in (ax1, ax2):
            ax.axvline(x, color=colour, linestyle="-" if culprit else "--", linewidth=2.2 if culprit else 1.0, alpha=0.9)
        ax1.text(
            x, 0.97, f"{dep['id']} {dep['service']} ", color=colour, fontsize=7, rotation=90,
            va="top", ha="right", transform=ax1.get_xaxis_transform(),
            fontweight="bold" if culprit else "normal",
        )
    ax2.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    ax2.set_xlabel("time (UTC), 2026-11-18")
    ax2.set_xlim(start.tz_localize(None), end.tz_localize(None))
    _fixed_margins(fig, (ax1, ax2), width, height)
    return fig
