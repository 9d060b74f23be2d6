#!/usr/bin/env python3
"""Draw the series' static figures: docs/ (the notebooks show them as images in markdown cells) and the dashboard's
shipped charts (helpers/charts/).

    python scripts/make_figures.py           # (re)write docs/brain-left-the-box.png and helpers/charts/*.png
    python scripts/make_figures.py --check   # fail if a committed figure differs from what would be drawn

The dashboard's Metrics chart is drawn by helpers.dashboard and looked up by a hash of what it draws; the views the
series shows (``dashboard.SHIPPED_CHART_VIEWS``: the opening view, and the culprit highlighted by 04's report) are
drawn here in advance, so a learner's first dashboard pays neither matplotlib's import nor a render. ``--check`` also
fails on a chart file that no view names any more (a stale one, after the drawing or the data changed).

A diagram is prose, not an exercise: a markdown image shows in the learner notebook before anything runs (and on
GitHub, and without a kernel), where a drawing cell showed nothing until it ran ~60 lines of matplotlib and paid
pyplot's import (~0.6-1 s of notebook 00). Drawn with matplotlib's object API (no pyplot, no backend) and saved
without metadata, so the same versions draw the same bytes.
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BRAIN = DOCS / "brain-left-the-box.png"
CHARTS = ROOT / "helpers" / "charts"  # helpers.dashboard.SHIPPED_CHARTS


def _box(ax, x, y, w, h, text, colour, size=9, style="round,pad=0.02"):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle=style, fc=colour, ec="#444", lw=1))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size)


def _arrow(ax, x1, y1, x2, y2, text=""):
    ax.annotate("", xy=(x2, y2), xytext=(x1, y1), arrowprops=dict(arrowstyle="<->", color="#555", lw=1))
    if text:
        ax.text((x1 + x2) / 2, (y1 + y2) / 2 + 0.03, text, ha="center", fontsize=7, color="#555")


def brain_left_the_box() -> bytes:
    """Notebook 00, section 3: one container per session (before) against one managed loop with sandboxes and your
    laptop as its hands (now). PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    before, now = fig.subplots(1, 2)
    for ax, title in ((before, "Before: the brain in the box"), (now, "Now: the brain left the box")):
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")
        ax.set_title(title, fontsize=12, weight="bold")

    # Before: one container per session, loop and tools together
    for i, x in enumerate((0.05, 0.37, 0.69)):
        _box(before, x, 0.25, 0.26, 0.55, "", "#f6f8fa")
        before.text(x + 0.13, 0.74, f"container {i + 1}", ha="center", fontsize=8, color="#555")
        _box(before, x + 0.03, 0.48, 0.20, 0.17, "agent loop\n+ context", "#ffd8b5", 8)
        _box(before, x + 0.03, 0.29, 0.20, 0.15, "tools", "#c8e1ff", 8)
    before.text(0.5, 0.1, "the box dies: the brain dies with it", ha="center", fontsize=9, color="#cf222e")

    # Now: one managed loop, many sessions, sandboxes on demand, your laptop for custom tools
    _box(now, 0.40, 0.62, 0.46, 0.26, "Anthropic-managed agent loop\n(the brain: one service,\nmany sessions, "
         "survives crashes)", "#ffd8b5", 8)
    for i, x in enumerate((0.02, 0.24)):
        _box(now, x, 0.12, 0.19, 0.2, f"sandbox {i + 1}\n(bash, grep, read)", "#c8e1ff", 7)
        _arrow(now, x + 0.1, 0.32, 0.48 + 0.06 * i, 0.62)
    _box(now, 0.46, 0.12, 0.2, 0.2, "sandbox …\non demand", "#e6edf3", 7)
    _box(now, 0.74, 0.12, 0.24, 0.2, "your laptop\nholds the stream,\nanswers custom tools", "#d2f4d3", 7)
    _arrow(now, 0.86, 0.32, 0.78, 0.62, "events over SSE\n(one long-lived HTTP GET)")
    for s, x in enumerate((0.02, 0.12, 0.22)):
        _box(now, x, 0.70, 0.07, 0.12, f"sesn\n{s + 1}", "#f6f8fa", 7)
    now.text(0.15, 0.88, "many sessions", ha="center", fontsize=8, color="#555")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


FIGURES = {BRAIN: brain_left_the_box}


def dashboard_charts(folder: Path) -> dict[Path, bytes]:
    """``{folder/<name>: PNG}`` for each shipped view, drawn now (no stored chart is read)."""
    sys.path.insert(0, str(ROOT))
    from helpers.dashboard import charts, data

    out = {}
    for kw in charts.shipped_chart_args():
        size = (kw["width"], kw["height"], kw["dpi"])
        name = charts.chart_name(kw["service"], kw["start"], kw["end"], kw["highlight"], *size)
        start, end = data._ts(kw["start"]), data._ts(kw["end"])
        df, markers = data.service_metrics_frame(kw["service"], start, end), data.deploy_markers(start, end)
        if name is None:
            raise SystemExit("matplotlib, pandas or numpy is not installed: run this with the workshop's .venv/bin/python")
        out[folder / name] = charts._draw_metrics_png(df, markers, kw["service"], start, end, kw["highlight"], *size)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a committed figure differs from a fresh drawing")
    args = parser.parse_args(argv)
    stale = []
    charts = dashboard_charts(CHARTS)
    drawn = {path: draw() for path, draw in FIGURES.items()} | charts
    leftover = sorted(set(CHARTS.glob("chart-*.png")) - set(charts))
    for path, png in drawn.items():
        rel = path.relative_to(ROOT)
        if args.check:
            if not path.is_file() or path.read_bytes() != png:
                stale.append(str(rel))
            continue
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(png)
        print(f"wrote {rel} ({len(png):,} bytes)")
    for path in leftover:
        if args.check:
            stale.append(f"{path.relative_to(ROOT)} (no view draws it)")
        else:
            path.unlink()
            print(f"removed {path.relative_to(ROOT)} (no view draws it)")
    if stale:
        print(f"out of date: {', '.join(stale)}; run: python scripts/make_figures.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
