"""The Incident-2277 dashboard: Metrics, Logs, Deploys, Diff and the SRE Agent panel.

In a notebook::

    import helpers
    dash = helpers.dashboard.show()            # displays the dashboard, returns a Dashboard
    on_event = dash.attach(session)            # the SRE Agent panel comes online
    helpers.loop.run(client, session.id, "...", handle_tool=..., on_event=on_event)

    dash.highlight_deploy("dep_4820")         # also automatic when the final report names a deploy

The panels' data are plain functions (no widgets needed), used by the tests and the notebooks::

    metrics_frame("checkout", "2026-11-18T13:00:00Z", "2026-11-18T15:00:00Z")
    page, total = filter_logs(service="checkout", level="WARN", page=0, page_size=50)
    deploy_markers("2026-11-18T14:00:00Z", "2026-11-18T15:00:00Z")

They read the evidence through ``helpers.incident.get_source()`` (the same source the agent's custom tools
read; ``incident.set_source`` swaps both), cached per source. Time windows are ``start <= ts < end``.

The SRE Agent panel is split in two: ``AgentPanelState`` (pure Python; ``apply(event)`` folds the
session's events, SDK objects or dicts, into status, messages, tool calls and the final report)
and ``AgentPanel`` (the ipywidgets view of that state). Everything that came from the agent or the
evidence is escaped before it becomes HTML (``esc``), ANSI and control characters included.

pandas, matplotlib and ipywidgets are imported lazily, so ``import helpers.dashboard`` is cheap; the panels read the
parsed log (numpy) and the deploys as plain rows, and the charts of the series' views ship drawn (``SHIPPED_CHARTS``),
so ``show()`` needs neither pandas nor matplotlib until a filter asks for a frame or a new chart is drawn.
"""
from __future__ import annotations

import base64
import functools
import html
import io
import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .cache import write_atomic
from .events import (
    RESULT_FIELDS,
    SESSION_STATUS,
    TERMINAL_EVENTS,
    TOOL_USE_KINDS,
    ToolCall,
    as_dict,
    get,
    text_of,
)

__all__ = [
    "AgentPanel",
    "AgentPanelState",
    "Dashboard",
    "tool_calls_summary",
    "ToolCall",
    "clean_text",
    "deploy_markers",
    "deploy_rows",
    "deploys_frame",
    "deploys_html",
    "diff_for",
    "diff_html",
    "diff_text",
    "esc",
    "filter_logs",
    "find_deploy_ids",
    "log_choices",
    "log_records",
    "logs_frame",
    "logs_table_html",
    "markdown_html",
    "metrics_frame",
    "render_metrics_png",
    "show",
    "SERVICES",
    "WINDOW",
]

SERVICES = ("checkout", "payments", "cart", "catalog", "search", "auth")
WINDOW = ("2026-11-18T12:00:00Z", "2026-11-18T16:00:00Z")

# ---------------------------------------------------------------------------------------------
# Escaping: everything from the agent or the evidence goes through esc() before it becomes HTML.
# ---------------------------------------------------------------------------------------------

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), and two-character escapes.
_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
# C0 controls except \t and \n, DEL, C1 controls, bidi overrides/isolates, zero-width no-break etc.
_CTRL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_text(value: Any) -> str:
    """``value`` as text without ANSI sequences; other control characters shown as ``\\xNN``."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r\n", "\n")
    text = _ANSI_RE.sub("", text)

    def _visible(m: re.Match) -> str:
        code = ord(m.group(0))
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CTRL_RE.sub(_visible, text)


def esc(value: Any) -> str:
    """HTML-escape ``value`` (quotes included) after ``clean_text``."""
    return html.escape(clean_text(value), quote=True)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... [{len(text) - limit:,} more characters]"


def markdown_html(text: Any) -> str:
    """Markdown to safe HTML: raw HTML in the text is escaped, harmful links are neutralised."""
    cleaned = clean_text(text)
    try:
        import mistune

        md = _markdown_renderer(mistune)
        return md(cleaned)
    except Exception:  # no mistune, or it choked: fall back to preformatted text
        return f'<pre style="white-space:pre-wrap">{html.escape(cleaned)}</pre>'


@functools.lru_cache(maxsize=1)
def _markdown_renderer(mistune):
    class _Renderer(mistune.HTMLRenderer):
        """Raw HTML escaped (escape=True), harmful link protocols neutralised (mistune's safe_url), and
        images shown as their alt text: agent text never makes the browser fetch anything."""

        def image(self, text: str, url: str, title=None) -> str:
            return f"[image: {text}]"

    return mistune.create_markdown(renderer=_Renderer(escape=True), plugins=["table", "strikethrough"])


# ---------------------------------------------------------------------------------------------
# Data: the evidence as plain rows and pandas frames (cached), loaded through helpers.incident.
# ---------------------------------------------------------------------------------------------


def _pd():
    import pandas as pd

    return pd


def _ts(value: Any):
    """A UTC ``pandas.Timestamp`` from a string, datetime or Timestamp (``None`` stays ``None``)."""
    if value is None or value == "":
        return None
    pd = _pd()
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert("UTC")


def _utc(value: Any) -> datetime | None:
    """A UTC ``datetime`` from an ISO string (``...Z`` too), a datetime or a pandas Timestamp (``None``/"" stay
    ``None``), without pandas for those; anything else goes through :func:`_ts`."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        except ValueError:
            return _ts(text)
    if not isinstance(value, datetime):
        return _ts(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _in_window(ts: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    """``start <= ts < end`` (either bound may be ``None``); a missing ``ts`` is in no window."""
    return ts is not None and (start is None or ts >= start) and (end is None or ts < end)


def _incident():
    from . import incident

    return incident


def _source():
    """The evidence source helpers.incident's tools read (``get_source()``), so both always agree."""
    return _incident().get_source()


_cache: dict[str, tuple[Any, Any]] = {}
_cache_lock = threading.RLock()


def _cached(key: str, build: Callable[[Any], Any]):
    """``build(source)``, cached per source object (``incident.set_source`` invalidates it)."""
    src = _source()
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] is src:
            return hit[1]
        value = build(src)
        _cache[key] = (src, value)
        return value


def _utc_col(series):
    return _pd().to_datetime(series, utc=True)


def logs_frame():
    """All of app.log as the source's DataFrame (``ts`` UTC datetimes), cached by the source; do not modify."""

    def build(src):
        df = src.logs()
        if str(getattr(df["ts"].dtype, "tz", None)) != "UTC":
            df = df.assign(ts=_utc_col(df["ts"]))
        return df

    return _cached("logs", build)


def _metrics_long():
    """metrics as a long frame (``helpers.incident.metrics_frame``): ts, service, rpm, p50_ms, p95_ms, p99_ms,
    failure_rate; one row per service and minute."""

    def build(_src):
        df = _incident().metrics_frame()
        return df.sort_values(["service", "ts"]).reset_index(drop=True)

    return _cached("metrics", build)


def deploys_frame():
    """The deploys as a DataFrame sorted by time (``helpers.incident.deploys_frame``), cached."""
    return _cached("deploys", lambda _src: _incident().deploys_frame())


_DEPLOY_FIELDS = ("id", "service", "version", "author", "timestamp", "commit", "description")


def deploy_rows() -> list[dict]:
    """The deploys as dicts (:data:`_DEPLOY_FIELDS`, ``timestamp`` a UTC datetime), oldest first, cached: what the
    panels read (no pandas: the dashboard opens without it); do not modify."""

    def build(src):
        rows = [{k: dict(d).get(k) for k in _DEPLOY_FIELDS} for d in src.deploys()]
        for row in rows:
            row["timestamp"] = _utc(row["timestamp"])
        # oldest first, stable; a deploy without a time last (pandas' NaT sorted there too)
        return sorted(rows, key=lambda r: (r["timestamp"] is None, r["timestamp"] or _EPOCH))

    return _cached("deploy-rows", build)


def diff_for(deploy_id: str | None = None) -> tuple[str | None, str | None]:
    """``(deploy_id, git show text)`` of a deploy's commit; with no id, the first deploy that has a diff.

    ``(deploy_id, None)`` when the source holds no diff for that deploy's commit.
    """
    rows = deploy_rows()
    if deploy_id is not None:
        rows = [r for r in rows if r["id"] == deploy_id]
    for row in rows:
        try:
            return row["id"], _source().diff(str(row["commit"]))
        except (KeyError, ValueError, TypeError):
            continue
    return deploy_id, None


def diff_text() -> str:
    """The stored change (diff.txt): the diff of the first deploy that has one."""
    return diff_for(None)[1] or ""


def _metric_columns(df) -> tuple[str, str]:
    """(latency column, failure-rate column) of the metrics frame."""
    lat = next(c for c in ("p99_ms", "p99_latency_ms", "latency_p99_ms", "p99") if c in df.columns)
    err = next(c for c in ("failure_rate", "error_rate", "err_rate", "errors") if c in df.columns)
    return lat, err


def metrics_frame(service: str | None = "checkout", start: Any = None, end: Any = None):
    """Metrics of one service (``None`` = all) in ``start <= ts < end``.

    Columns: ts, service, p99_ms, failure_rate (a fraction), and the other metrics."""
    df = _metrics_long()
    lat, err = _metric_columns(df)
    mask = _time_mask(df["ts"], start, end)
    if service not in (None, "", "all"):
        mask &= df["service"] == service
    out = df.loc[mask].rename(columns={lat: "p99_ms", err: "failure_rate"})
    return out.reset_index(drop=True)


def _time_mask(col, start, end):
    mask = col.notna()
    s, e = _ts(start), _ts(end)
    if s is not None:
        mask &= col >= s
    if e is not None:
        mask &= col < e
    return mask


def _status_mask(col, status):
    """status: an int (504), a class string ("5xx"), a digit string ("504"), ">=500", or a list of ints."""
    import numpy as np

    if isinstance(status, (list, tuple, set)):
        return np.isin(col, [int(s) for s in status])
    text = str(status).strip().lower()
    m = re.fullmatch(r"([1-5])xx", text)
    if m:
        low = int(m.group(1)) * 100
        return (col >= low) & (col < low + 100)
    if text.startswith(">="):
        return col >= int(text[2:])
    return col == int(text)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _ns(t: datetime) -> int:
    return (t - _EPOCH) // timedelta(microseconds=1) * 1000


def _category_mask(cols, column: str, keep: Callable[[str], bool]):
    """Lines whose ``column`` (a categorical of the parsed log) is a category that ``keep`` accepts."""
    import numpy as np

    codes, categories = cols.cats[column]
    return np.isin(codes, [i for i, c in enumerate(categories) if keep(str(c))])


def _log_selection(service=None, level=None, status=None, text=None, start=None, end=None):
    """``(columns, indices)``: the parsed log (``helpers.incident``'s ``LogColumns``, what ``query_logs`` reads) and
    the positions of the lines that match, in time order. The filters of :func:`filter_logs`, on numpy arrays."""
    import numpy as np

    cols = _incident().log_columns()
    mask = np.ones(cols.n, dtype=bool)
    s, e = _utc(start), _utc(end)
    if s is not None:
        mask &= cols.ts_ns >= _ns(s)
    if e is not None:
        mask &= cols.ts_ns < _ns(e)
    if service not in (None, "", "all"):
        mask &= _category_mask(cols, "service", lambda c: c == service)
    if level not in (None, "", "all"):
        mask &= _category_mask(cols, "level", lambda c: c == str(level).upper())
    if status not in (None, "", "all"):
        mask &= _status_mask(cols.status, status)
    if text:
        needle = str(text).lower()  # a case-insensitive literal substring of the message or the route

        def hit(c: str) -> bool:
            return needle in c.lower()

        mask &= _category_mask(cols, "msg", hit) | _category_mask(cols, "route", hit)
    return cols, np.flatnonzero(mask)


def _page_of(indices, page: int, page_size: int):
    """``(the indices on page, total, the page clamped to the last one)``."""
    total = int(len(indices))
    page_size = max(1, int(page_size))
    page = min(max(0, int(page)), max(0, (total - 1) // page_size))
    return indices[page * page_size : (page + 1) * page_size], total, page


def filter_logs(
    service: str | None = None,
    level: str | None = None,
    status: Any = None,
    text: str | None = None,
    start: Any = None,
    end: Any = None,
    page: int = 0,
    page_size: int = 50,
):
    """Filter app.log; returns ``(page_df, total)``.

    Each filter is optional (``None``, ``""`` or ``"all"`` = any). ``text`` is a case-insensitive
    substring of ``msg`` or ``route`` (like the ``query_logs`` tool's ``contains``); ``status`` is ``504``,
    ``"5xx"``, ``"504"``, ``">=500"`` or a list; time is
    ``start <= ts < end``. ``page`` is 0-based and clamped to the last page; ``total`` is the
    number of matching lines. The lines are selected on the parsed log (:func:`log_records` selects the same ones),
    and the page is cut from its frame (``LogColumns.to_frame``): for the file source, the very frame ``logs()``
    gives; for another source, its lines in time order with the columns of :data:`helpers.incident.LOG_COLUMNS`.
    """
    cols, indices = _log_selection(service, level, status, text, start, end)
    on_page, total, _ = _page_of(indices, page, page_size)
    return cols.to_frame().iloc[on_page].reset_index(drop=True), total


def log_records(service=None, level=None, status=None, text=None, start=None, end=None, page: int = 0,
                page_size: int = 50) -> tuple[list[dict], int, int]:
    """:func:`filter_logs` as plain dicts, without pandas: ``(rows, total, page)`` (the page clamped); each row has
    ts (UTC datetime), level, service, route, status, latency_ms, trace_id, msg, db_queries (``None`` if absent)."""
    cols, indices = _log_selection(service, level, status, text, start, end)
    on_page, total, page = _page_of(indices, page, page_size)
    cat = {name: (codes, categories) for name, (codes, categories) in cols.cats.items()}
    rows = []
    for i in on_page.tolist():
        db = float(cols.db[i])
        rows.append({
            "ts": _EPOCH + timedelta(microseconds=int(cols.ts_ns[i]) // 1000),
            **{name: str(categories[codes[i]]) for name, (codes, categories) in cat.items()},
            "status": int(cols.status[i]), "latency_ms": int(cols.latency[i]), "trace_id": str(cols.trace_id[i]),
            "db_queries": None if db != db else int(db),
        })
    return rows, total, page


def log_choices() -> tuple[list[str], list[str]]:
    """``(levels, statuses)`` present in the log, for the Logs panel's menus (INFO, WARN, ERROR first)."""
    import numpy as np

    cols = _incident().log_columns()
    codes, categories = cols.cats["level"]
    present = {str(categories[c]) for c in np.unique(codes).tolist()}
    levels = [lv for lv in ("INFO", "WARN", "ERROR") if lv in present]
    return levels + sorted(present - set(levels)), [str(s) for s in np.unique(cols.status).tolist()]


def deploy_markers(start: Any = None, end: Any = None, service: str | None = None) -> list[dict]:
    """Deploys in ``start <= timestamp < end`` (optionally of one service), oldest first.

    Each marker: ``{"id", "service", "version", "commit", "timestamp" (UTC datetime), "label"}``.
    """
    s, e = _utc(start), _utc(end)
    out = []
    for row in deploy_rows():
        if not _in_window(row["timestamp"], s, e) or (service not in (None, "", "all") and row["service"] != service):
            continue
        out.append(
            {
                "id": row.get("id"),
                "service": row.get("service"),
                "version": row.get("version"),
                "commit": row.get("commit"),
                "timestamp": row["timestamp"],
                "label": f"{row.get('id')} {row.get('service')}",
            }
        )
    return out


def find_deploy_ids(text: str | None, known: list[dict] | None = None) -> list[str]:
    """Deploy ids named in ``text``, most-mentioned first (ties: first mentioned first).

    A deploy's commit sha counts as a mention of it when ``known`` deploys are given.
    """
    if not text:
        return []
    counts: Counter = Counter()
    first: dict[str, int] = {}
    for m in re.finditer(r"\bdep_\d+\b", text):
        counts[m.group(0)] += 1
        first.setdefault(m.group(0), m.start())
    for dep in known or []:
        commit = str(dep.get("commit") or "")
        if len(commit) >= 7:
            for m in re.finditer(re.escape(commit[:7]), text):
                counts[dep["id"]] += 1
                first.setdefault(dep["id"], m.start())
    return sorted(counts, key=lambda d: (-counts[d], first[d]))


# --------------------------------------------------------------------------------------------
# HTML for the panels
# --------------------------------------------------------------------------------------------

_LEVEL_COLOURS = {"ERROR": "#c62828", "WARN": "#ef6c00", "WARNING": "#ef6c00", "INFO": "#2e7d32", "DEBUG": "#757575"}

CSS = """
<style>
.i2277 { font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px; line-height: 1.4;
  color: var(--jp-ui-font-color1, #222); overflow-wrap: anywhere; }
.incident-dashboard .jupyter-widget-html-content, .incident-dashboard .widget-html-content,
.sre-agent-panel .jupyter-widget-html-content, .sre-agent-panel .widget-html-content { min-width: 0; max-width: 100%; }
.i2277 { max-width: 100%; box-sizing: border-box; }
.i2277 .report { overflow-x: auto; }
.i2277 p { margin: 4px 0; }
.i2277 td, .i2277 th { overflow-wrap: normal; white-space: nowrap; }
.i2277 td.msg, .i2277 td.desc { white-space: normal; overflow-wrap: break-word; min-width: 200px; }
.i2277 td.route { white-space: normal; overflow-wrap: break-word; min-width: 90px; }
.i2277 ul, .i2277 ol { margin: 4px 0; padding-left: 20px; }
.i2277 .who { display: inline-block; font-size: 11px; font-weight: bold; color: white; border-radius: 3px;
  padding: 0 5px; margin-right: 4px; }
.i2277 table { border-collapse: collapse; width: 100%; }
.i2277 th, .i2277 td { border-bottom: 1px solid #e0e0e0; padding: 2px 6px; text-align: left; vertical-align: top; }
.i2277 th { background: #f5f5f5; position: sticky; top: 0; }
.i2277 td.msg { font-family: var(--jp-code-font-family, monospace); font-size: 12px; word-break: break-word; }
.i2277 td.ts { white-space: nowrap; font-family: var(--jp-code-font-family, monospace); font-size: 12px; }
.i2277 tr.culprit td { background: #ffebee; font-weight: bold; }
.i2277 .badge { display: inline-block; border-radius: 10px; padding: 1px 10px; color: white; font-weight: bold; }
.i2277 .diff { font-family: var(--jp-code-font-family, monospace); font-size: 12px; white-space: pre; overflow-x: auto;
  border: 1px solid #e0e0e0; padding: 4px; line-height: 1.35; }
.i2277 .diff .add { background: #e6ffec; color: #116329; display: block; }
.i2277 .diff .del { background: #ffebe9; color: #82071e; display: block; }
.i2277 .diff .hunk { color: #0550ae; background: #ddf4ff; display: block; }
.i2277 .diff .meta { color: #57606a; font-weight: bold; display: block; }
.i2277 .diff .ctx { display: block; }
.i2277 .report { border: 2px solid #2e7d32; border-radius: 6px; padding: 6px 12px; background: #f1f8e9; }
.i2277 .report h1, .i2277 .report h2, .i2277 .report h3 { margin: 6px 0; }
.i2277 pre { white-space: pre-wrap; word-break: break-word; }
.i2277 .report pre { background: #fff; padding: 4px; font-size: 12px; white-space: pre; overflow-x: auto; overflow-wrap: normal; }
.i2277 .tool { border-left: 3px solid #90a4ae; margin: 3px 0; padding-left: 6px; }
.i2277 .tool.err { border-left-color: #c62828; }
.i2277 .tool pre { max-height: 240px; overflow: auto; background: #fafafa; margin: 2px 0; font-size: 11px; }
.i2277 .msg-agent { margin: 4px 0; padding: 4px 8px; background: #f5f5f5; border-radius: 4px; }
.i2277 .msg-user { margin: 4px 0; padding: 4px 8px; background: #e3f2fd; border-radius: 4px; }
.i2277 .msg-error { margin: 4px 0; padding: 4px 8px; background: #ffebee; color: #b71c1c; border-radius: 4px; }
.i2277 .muted { color: #757575; }
</style>
"""


def _missing(value: Any) -> bool:
    """None, NaN or pandas' NA (without importing pandas)."""
    return value is None or type(value).__name__ == "NAType" or (isinstance(value, float) and value != value)


def logs_table_html(page_df, total: int, page: int = 0, page_size: int = 50) -> str:
    """One page of log lines as an escaped HTML table: ``page_df`` is :func:`filter_logs`'s frame or
    :func:`log_records`'s rows."""
    page_rows = page_df.to_dict("records") if hasattr(page_df, "to_dict") else page_df
    pages = max(1, -(-total // max(1, page_size)))
    rows = []
    for rec in page_rows:
        level = str(rec.get("level", ""))
        colour = _LEVEL_COLOURS.get(level, "#333")
        ts = rec.get("ts")
        ts_text = ts.strftime("%H:%M:%S.%f")[:-3] if hasattr(ts, "strftime") else str(ts)
        dbq = rec.get("db_queries")
        dbq_text = "" if _missing(dbq) else str(int(dbq))
        status = rec.get("status")
        status_colour = "#c62828" if isinstance(status, (int,)) and status >= 500 else "inherit"
        rows.append(
            "<tr>"
            f'<td class="ts">{esc(ts_text)}</td>'
            f'<td style="color:{colour};font-weight:bold">{esc(level)}</td>'
            f"<td>{esc(rec.get('service', ''))}</td>"
            f"<td class=\"route\">{esc(rec.get('route', ''))}</td>"
            f'<td style="color:{status_colour}">{esc(status)}</td>'
            f"<td>{esc(rec.get('latency_ms', ''))}</td>"
            f"<td>{esc(dbq_text)}</td>"
            f'<td class="msg">{esc(rec.get("msg", ""))}</td>'
            "</tr>"
        )
    body = "".join(rows) or '<tr><td colspan="8" class="muted">No matching lines.</td></tr>'
    return (
        f'{CSS}<div class="i2277 logs">'
        f'<div class="count"><b>{total:,} matching lines</b> · page {page + 1} of {pages}</div>'
        '<table class="logs-table"><thead><tr><th>time (UTC)</th><th>level</th><th>service</th><th>route</th>'
        "<th>status</th><th>ms</th><th title=\"db_queries\">db q</th><th>message</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def deploys_html(highlight: str | None = None) -> str:
    """The deploys as an escaped HTML table; the ``highlight`` deploy is marked as the culprit."""
    cols = ("id", "timestamp", "service", "version", "commit", "author", "description")
    head = "".join(f"<th>{esc('time (UTC)' if c == 'timestamp' else c)}</th>" for c in cols)
    rows = []
    for rec in deploy_rows():
        culprit = highlight is not None and rec.get("id") == highlight
        cells = []
        for c in cols:
            v = rec.get(c)
            if c == "timestamp" and hasattr(v, "strftime"):
                v = v.strftime("%H:%M:%S") + "Z"  # all on 2026-11-18 (the header says so)
            cells.append(f'<td class="desc">{esc(v)}</td>' if c == "description" else f"<td>{esc(v)}</td>")
        if culprit:
            cells[0] = cells[0].replace("</td>", ' <span class="badge" style="background:#c62828">suspect</span></td>')
        cls = ' class="culprit"' if culprit else ""
        rows.append(f'<tr{cls} data-deploy="{esc(rec.get("id"))}">' + "".join(cells) + "</tr>")
    note = (
        f'<p>The investigation points at <b>{esc(highlight)}</b>.</p>'
        if highlight
        else '<p class="muted">No deploy highlighted yet; the SRE Agent\'s final report will name one.</p>'
    )
    table = f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    return f'{CSS}<div class="i2277 deploys">{note}{table}</div>'


def diff_html(text: str | None = None) -> str:
    """A unified diff as escaped HTML, added lines green, removed lines red."""
    if text is None:
        text = diff_text()
    out = []
    for line in clean_text(text).split("\n"):
        if line.startswith(("+++", "---", "diff ", "index ", "commit ", "Author:", "Date:")):
            cls = "meta"
        elif line.startswith("@@"):
            cls = "hunk"
        elif line.startswith("+"):
            cls = "add"
        elif line.startswith("-"):
            cls = "del"
        else:
            cls = "ctx"
        out.append(f'<span class="{cls}">{html.escape(line) or " "}</span>')
    return f'{CSS}<div class="i2277"><div class="diff">{"".join(out)}</div></div>'


# --------------------------------------------------------------------------------------------
# Metrics chart (matplotlib, object API with the Agg canvas: no pyplot, no backend needed)
# --------------------------------------------------------------------------------------------


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
    df = metrics_frame(service, start, end)
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

#: Charts drawn in advance, committed beside this module: the views the series shows (:data:`SHIPPED_CHART_VIEWS`,
#: written by ``scripts/make_figures.py``, whose ``--check`` fails when one is stale or missing). Looked up by the same
#: name as the cache, so a learner's first dashboard (notebooks 01 and 04) needs neither matplotlib's import nor a
#: render, ~0.3-1.2 s of a fresh kernel; any other view is drawn, then cached.
SHIPPED_CHARTS = Path(__file__).resolve().parent / "charts"

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


# --------------------------------------------------------------------------------------------
# SRE Agent panel: the state machine (pure Python)
# --------------------------------------------------------------------------------------------


def _blocks_text(content: Any) -> str:
    """Text of a list of content blocks, one block per line (a report's markdown keeps its shape)."""
    return text_of(content, sep="\n")


_STATUS_LINES = {
    "session.status_terminated": "session terminated",
    "session.status_rescheduled": "session rescheduled (recovering from an error)",
}


@dataclass
class AgentPanelState:
    """What the SRE Agent panel knows, folded from the session's events by ``apply``.

    ``timeline`` lists ``(kind, payload)`` in arrival order: ``("user", text)``, ``("message", text)``,
    ``("tool", tool_use_id)``, ``("error", text)``, ``("status", text)``.
    """

    session_id: str | None = None
    status: str = "offline"
    stop_reason: str | None = None
    messages: list[str] = field(default_factory=list)
    tool_calls: dict[str, ToolCall] = field(default_factory=dict)
    timeline: list[tuple[str, Any]] = field(default_factory=list)
    final_report: str | None = None
    error: str | None = None
    events: int = 0
    thinking: int = 0
    _seen: set = field(default_factory=set, repr=False)
    _turn_last_message: str | None = field(default=None, repr=False)

    @property
    def online(self) -> bool:
        return self.status != "offline"

    def attach(self, session_id: str | None) -> None:
        self.session_id = session_id
        if self.status == "offline":
            self.status = "idle"

    def apply(self, event: Any) -> str | None:
        """Fold one event in. Returns what changed ("status", "message", "tool", "result", "report", "error",
        "user", "other"), or ``None`` for a duplicate (same event id seen before)."""
        ev = as_dict(event)
        eid = ev.get("id")
        if eid is not None:
            if eid in self._seen:
                return None
            self._seen.add(eid)
        self.events += 1
        if self.status == "offline":
            self.status = "idle"
        kind = str(ev.get("type", ""))
        if kind in SESSION_STATUS or kind in TERMINAL_EVENTS:
            return self._apply_status(kind, ev)
        if kind in TOOL_USE_KINDS:
            return self._apply_tool_use(kind, ev)
        if kind in RESULT_FIELDS:
            return self._apply_result(kind, ev)
        if kind in ("session.error", "workflow_run.error"):
            return self._apply_error(ev)
        if kind == "agent.message":
            text = _blocks_text(ev.get("content"))
            self.messages.append(text)
            self.timeline.append(("message", text))
            self._turn_last_message = text
            return "message"
        if kind == "user.tool_confirmation":
            tid = str(ev.get("tool_use_id") or "")
            if tid not in self.tool_calls:
                return "other"
            self.tool_calls[tid].confirmation = str(ev.get("result") or "")
            return "tool"
        if kind == "user.message":
            self.timeline.append(("user", _blocks_text(ev.get("content"))))
            self._turn_last_message = None
            return "user"
        if kind == "user.interrupt":
            self.timeline.append(("status", "interrupted by the user"))
            return "user"
        if kind == "agent.thinking":
            self.thinking += 1
        return "other"

    def _apply_status(self, kind: str, ev: dict) -> str:
        """A status event (a deleted session shows as terminated); an ``end_turn`` idle publishes the report."""
        self.status = SESSION_STATUS.get(kind, "terminated")
        self.stop_reason = None
        if kind == "session.status_idle":
            reason = ev.get("stop_reason") or {}
            reason = as_dict(reason) if not isinstance(reason, str) else {"type": reason}
            self.stop_reason = reason.get("type")
            if self.stop_reason == "end_turn" and self._turn_last_message is not None:
                self.final_report = self._turn_last_message
                self._turn_last_message = None
                return "report"
        if kind in _STATUS_LINES:
            self.timeline.append(("status", _STATUS_LINES[kind]))
        return "status"

    def _apply_tool_use(self, kind: str, ev: dict) -> str:
        tid = str(ev.get("id") or f"tool_{len(self.tool_calls)}")
        call = self.tool_calls.get(tid)
        if call is None:
            permission = ev.get("evaluated_permission")
            call = ToolCall(id=tid, name=str(ev.get("name", "?")), input=ev.get("input"), kind=TOOL_USE_KINDS[kind],
                            permission=permission if isinstance(permission, str) else None)
            self.tool_calls[tid] = call
            self.timeline.append(("tool", tid))
        else:  # a result arrived first
            call.name, call.input, call.kind = str(ev.get("name", "?")), ev.get("input"), TOOL_USE_KINDS[kind]
        return "tool"

    def _apply_result(self, kind: str, ev: dict) -> str:
        tid = str(ev.get(RESULT_FIELDS[kind]) or "")
        call = self.tool_calls.get(tid)
        if call is None:
            call = ToolCall(id=tid, name="?", input=None, kind="custom" if "custom" in kind else "agent")
            self.tool_calls[tid] = call
            self.timeline.append(("tool", tid))
        call.result = _blocks_text(ev.get("content"))
        call.is_error = bool(ev.get("is_error"))
        return "result"

    def _apply_error(self, ev: dict) -> str:
        err = ev.get("error") or {}
        err = as_dict(err) if not isinstance(err, str) else {"message": err}
        retry = err.get("retry_status") or {}
        retry = as_dict(retry) if not isinstance(retry, str) else {"type": retry}
        text = f"{err.get('type', 'error')}: {err.get('message', '')}"
        if retry.get("type"):
            text += f" (retry: {retry.get('type')})"
        self.error = text
        self.timeline.append(("error", text))
        return "error"

    @property
    def culprit(self) -> str | None:
        """The deploy id the final report points at, if any."""
        ids = find_deploy_ids(self.final_report)
        return ids[0] if ids else None


# --------------------------------------------------------------------------------------------
# SRE Agent panel: the widget view
# --------------------------------------------------------------------------------------------

_BADGE_COLOURS = {
    "offline": "#9e9e9e",
    "idle": "#1565c0",
    "running": "#2e7d32",
    "rescheduling": "#ef6c00",
    "terminated": "#c62828",
}


def status_badge_html(status: str, stop_reason: str | None = None) -> str:
    colour = _BADGE_COLOURS.get(status, "#616161")
    extra = f' <span class="muted">({esc(stop_reason)})</span>' if stop_reason and status == "idle" else ""
    return f'<span class="badge agent-status status-{esc(status)}" style="background:{colour}">{esc(status)}</span>{extra}'


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except Exception:
        return str(value)


def tool_call_html(call: ToolCall, result_limit: int = 4000) -> str:
    args = _json_text(call.input)
    short_args = clean_text(json.dumps(call.input, ensure_ascii=False, default=str) if call.input is not None else "")
    if len(short_args) > 90:
        short_args = short_args[:90] + "..."
    if call.waiting_for_confirmation:
        state = '<b style="color:#ef6c00">waiting for your confirmation</b>'
        result = ""
    elif call.result is None:
        state = '<span class="muted">waiting for result...</span>'
        result = ""
    else:
        state = '<b style="color:#c62828">error</b>' if call.is_error else '<span style="color:#2e7d32">done</span>'
        result = f"<div>result{' (error)' if call.is_error else ''}:</div><pre>{esc(_shorten(call.result, result_limit))}</pre>"
    confirm = f" · {esc(call.confirmation)}" if call.confirmation else ""
    cls = "tool err" if call.is_error else "tool"
    where, colour = {"custom": ("custom tool", "#00838f"), "agent": ("sandbox", "#78909c"), "mcp": ("mcp", "#8d6e63")}.get(
        call.kind, ("tool", "#78909c")
    )
    return (
        f'<div class="{cls}" data-tool-id="{esc(call.id)}"><details><summary>'
        f'<span class="who" style="background:{colour}">{esc(where)}</span><b>{esc(call.name)}</b>'
        f" <code>{esc(short_args)}</code> · {state}{confirm}</summary>"
        f"<div>input:</div><pre>{esc(args)}</pre>{result}</details></div>"
    )


def timeline_entry_html(state: AgentPanelState, kind: str, payload: Any) -> str:
    """One entry of the agent's timeline as HTML (the panel header carries the CSS once)."""
    if kind == "tool":
        return f'<div class="i2277">{tool_call_html(state.tool_calls[payload])}</div>'
    if kind == "message":
        return (f'<div class="i2277"><div class="msg-agent"><span class="who" style="background:#455a64">agent</span>'
                f"{markdown_html(_shorten(payload, 6000))}</div></div>")
    if kind == "user":
        return (f'<div class="i2277"><div class="msg-user"><span class="who" style="background:#1565c0">you</span>'
                f"{esc(_shorten(payload, 2000))}</div></div>")
    if kind == "error":
        return (f'<div class="i2277"><div class="msg-error"><span class="who" style="background:#c62828">error</span>'
                f"{esc(payload)}</div></div>")
    return f'<div class="i2277 muted">— {esc(payload)}</div>'


def final_report_html(report: str | None, culprit: str | None = None) -> str:
    if not report:
        return ""
    badge = (
        f' <span class="badge" style="background:#c62828">culprit: {esc(culprit)}</span>' if culprit else ""
    )
    return (f'{CSS}<div class="i2277"><div class="report final-report"><b>Final report</b>{badge}'
            f"{markdown_html(report)}</div></div>")


_TOOL_KINDS = (("agent", "sandbox tool call", "sandbox tool calls", "ran"),   # bash, read, grep, glob: the sandbox runs them
               ("custom", "custom tool call", "custom tool calls", "answered"),
               ("mcp", "MCP tool call", "MCP tool calls", "answered"))


def tool_calls_summary(state: AgentPanelState) -> str:
    """The tool calls by kind, e.g. "5 sandbox tool calls · 5 custom tool calls (5 answered)": the sandbox runs the
    built-in tools itself; your laptop answers the custom tools."""
    parts = []
    for kind, one, many, verb in _TOOL_KINDS:
        calls = [c for c in state.tool_calls.values() if c.kind == kind]
        if calls or kind != "mcp":
            done = sum(1 for c in calls if c.done)
            parts.append(f"{len(calls)} {one if len(calls) == 1 else many}"
                         + (f" ({done} {verb})" if done != len(calls) or kind == "custom" else ""))
    return " · ".join(parts)


class AgentPanel:
    """The SRE Agent panel widget: offline until attached, then a live view of an ``AgentPanelState``."""

    def __init__(self, on_report: Callable[[str | None], None] | None = None):
        import ipywidgets as w

        self._w = w
        self.state = AgentPanelState()
        self._on_report = on_report
        self._lock = threading.RLock()
        self.header = w.HTML(layout=w.Layout(width="100%"))
        self.report = w.HTML(layout=w.Layout(width="100%"))
        self.timeline = w.VBox(layout=w.Layout(width="100%", max_height="480px", overflow="auto"))
        self._entries: dict[str, Any] = {}
        self.widget = w.VBox(
            [self.header, self.report, self.timeline],
            layout=w.Layout(width="100%", border="1px solid #cfd8dc", padding="6px"),
        )
        self.widget.add_class("sre-agent-panel")
        self.render_error: str | None = None
        self._render_header()

    def attach(self, session: Any) -> Callable[[Any], None]:
        """Bring the panel online for ``session`` (object, dict or id); returns ``on_event``."""
        sid = session if isinstance(session, str) or session is None else get(session, "id")
        with self._lock:
            self.state = AgentPanelState()
            self.state.attach(sid)
            self._entries.clear()
            self.timeline.children = ()
            self.report.value = ""
            self._render_header()
        return self.on_event

    def on_event(self, event: Any) -> None:
        """Fold one session event into the panel. Never raises (the loop must keep going)."""
        try:
            with self._lock:
                n_before = len(self.state.timeline)
                change = self.state.apply(event)
                if change is None:
                    return
                new = self.state.timeline[n_before:]
                for kind, payload in new:
                    self._add_entry(kind, payload)
                if change in ("result", "tool"):
                    ev = as_dict(event)
                    tid = next(
                        (str(ev.get(k)) for k in ("custom_tool_use_id", "tool_use_id", "mcp_tool_use_id") if ev.get(k)),
                        str(ev.get("id")),
                    )
                    box = self._entries.get(tid)
                    if box is not None and tid in self.state.tool_calls:
                        box.value = timeline_entry_html(self.state, "tool", tid)
                self._render_header()
                if change == "report":
                    self.report.value = final_report_html(self.state.final_report, self.state.culprit)
                    if self._on_report is not None:
                        self._on_report(self.state.culprit)
        except Exception as exc:  # a display problem must never break the investigation
            self.render_error = f"{type(exc).__name__}: {exc}"

    __call__ = on_event

    def _add_entry(self, kind: str, payload: Any) -> None:
        box = self._w.HTML(timeline_entry_html(self.state, kind, payload), layout=self._w.Layout(width="100%"))
        if kind == "tool":
            self._entries[payload] = box
        self.timeline.children = (*self.timeline.children, box)

    def _render_header(self) -> None:
        s = self.state
        if not s.online:
            body = (
                '<div class="muted">The SRE Agent is offline. Bring it online with '
                "<code>on_event = dash.attach(session)</code> and pass <code>on_event=on_event</code> to the loop.</div>"
            )
        else:
            body = (
                f'<div class="muted">session <code>{esc(s.session_id or "?")}</code> · {s.events} events · '
                f"{tool_calls_summary(s)} · {len(s.messages)} messages</div>"
            )
            if s.error:
                body += f'<div class="msg-error"><span class="who" style="background:#c62828">error</span>{esc(s.error)}</div>'
        self.header.value = (
            f'{CSS}<div class="i2277"><div style="display:flex;align-items:center;gap:8px">'
            f'<b style="font-size:15px">SRE Agent</b> {status_badge_html(s.status, s.stop_reason)}</div>{body}</div>'
        )


# --------------------------------------------------------------------------------------------
# The dashboard
# --------------------------------------------------------------------------------------------


def _minute_options(start: Any, end: Any, step_minutes: int = 5) -> list[tuple[str, datetime]]:
    """``("HH:MM", UTC datetime)`` every ``step_minutes`` from ``start`` up to ``end`` included (a slider's ticks)."""
    t, end = _utc(start), _utc(end)
    out = []
    while t <= end:
        out.append((t.strftime("%H:%M"), t))
        t += timedelta(minutes=step_minutes)
    return out


class Dashboard:
    """The Incident-2277 dashboard: Metrics, Logs, Deploys, Diff tabs and the SRE Agent panel."""

    def __init__(self, page_size: int = 25):
        import ipywidgets as w

        self._w = w
        self.page_size = page_size
        self.highlighted: str | None = None
        self._handle: Any = None  # the display handle, once shown: its static copy is updated in place
        self.agent = AgentPanel(on_report=self._on_report)
        self._build_metrics()
        self._build_logs()
        self.deploys = w.HTML(deploys_html(None), layout=w.Layout(width="100%"))
        self.deploys.add_class("deploys-panel")
        self.deploys_box = w.Box([self.deploys], layout=w.Layout(overflow="auto"))
        self._build_diff()
        self.tabs = w.Tab(children=[self.metrics_box, self.logs_box, self.deploys_box, self.diff_box])
        for i, title in enumerate(("Metrics", "Logs", "Deploys", "Diff")):
            self.tabs.set_title(i, title)
        self.tabs.layout = w.Layout(flex="0 0 60%", min_width="0")
        self.agent.widget.layout.flex = "1 1 0%"
        self.agent.widget.layout.min_width = "0"
        self.agent.widget.layout.width = "auto"
        self.agent.widget.layout.margin = "0 0 0 8px"
        title = w.HTML(
            f'{CSS}<div class="i2277" style="font-size:16px"><b>Incident-2277</b> · checkout p99 spikes 10x after a deploy '
            '<span class="muted">(onset 2026-11-18 14:07 UTC)</span></div>'
        )
        self.widget = w.VBox([title, w.HBox([self.tabs, self.agent.widget], layout=w.Layout(width="100%"))])
        self.widget.add_class("incident-dashboard")

    # ---- Metrics
    def _build_metrics(self) -> None:
        w = self._w
        self.service = w.Dropdown(options=[*SERVICES, "all"], value="checkout", description="service")
        opts = _minute_options(*WINDOW)
        self.window = w.SelectionRangeSlider(
            options=opts, index=(0, len(opts) - 1), description="window", continuous_update=False,
            layout=w.Layout(width="520px"),
        )
        self.chart = w.Image(format="png", layout=w.Layout(width="100%", max_width="900px"))
        self.chart.add_class("metrics-chart")
        self.service.observe(lambda _c: self.refresh_metrics(), names="value")
        self.window.observe(lambda _c: self.refresh_metrics(), names="value")
        self.metrics_box = w.VBox([w.HBox([self.service, self.window]), self.chart])
        self.refresh_metrics()

    def refresh_metrics(self) -> None:
        start, end = self.window.value
        self.chart.value = render_metrics_png(self.service.value, start, end, highlight=self.highlighted)

    # ---- Logs
    def _build_logs(self) -> None:
        w = self._w
        lay = w.Layout(width="165px")
        self.log_service = w.Dropdown(options=["all", *SERVICES], value="all", description="service", layout=lay)
        levels, statuses = log_choices()
        self.log_level = w.Dropdown(options=["all", *levels], value="all", description="level", layout=lay)
        self.log_status = w.Dropdown(
            options=["all", "2xx", "4xx", "5xx", *statuses], value="all", description="status", layout=lay,
        )
        self.log_text = w.Text(placeholder="text in message", description="text", continuous_update=False,
                               layout=w.Layout(width="230px"))
        opts = _minute_options(*WINDOW)
        self.log_window = w.SelectionRangeSlider(
            options=opts, index=(0, len(opts) - 1), description="time", continuous_update=False,
            layout=w.Layout(width="520px"),
        )
        self.prev_btn = w.Button(description="◀ prev", layout=w.Layout(width="80px"))
        self.next_btn = w.Button(description="next ▶", layout=w.Layout(width="80px"))
        self.page = 0
        self.log_table = w.HTML(layout=w.Layout(width="100%"))
        self.log_table.add_class("logs-panel")
        for ctl in (self.log_service, self.log_level, self.log_status, self.log_text, self.log_window):
            ctl.observe(self._logs_filter_changed, names="value")
        self.prev_btn.on_click(lambda _b: self.refresh_logs(self.page - 1))
        self.next_btn.on_click(lambda _b: self.refresh_logs(self.page + 1))
        self.logs_box = w.VBox(
            [
                w.HBox([self.log_service, self.log_level, self.log_status, self.log_text]),
                w.HBox([self.log_window, self.prev_btn, self.next_btn]),
                w.Box([self.log_table], layout=w.Layout(max_height="900px", overflow="auto")),
            ]
        )
        self.refresh_logs(0)

    def _logs_filter_changed(self, _change=None) -> None:
        self.refresh_logs(0)

    def log_filters(self) -> dict:
        start, end = self.log_window.value
        return {
            "service": self.log_service.value,
            "level": self.log_level.value,
            "status": self.log_status.value,
            "text": self.log_text.value,
            "start": start,
            "end": end,
        }

    def refresh_logs(self, page: int = 0) -> None:
        rows, total, self.page = log_records(**self.log_filters(), page=page, page_size=self.page_size)
        pages = max(1, -(-total // self.page_size))
        self.total = total
        self.prev_btn.disabled = self.page <= 0
        self.next_btn.disabled = self.page >= pages - 1
        self.log_table.value = logs_table_html(rows, total, self.page, self.page_size)

    # ---- Diff
    def _build_diff(self) -> None:
        w = self._w
        opts = [
            (f"{r['id']} · {r['service']} {r['version']} ({r['commit']})", r["id"])
            for r in deploy_rows()
        ]
        first, _ = diff_for(None)
        self.diff_pick = w.Dropdown(options=opts, value=first if first in dict(opts).values() else None,
                                    description="deploy", layout=w.Layout(width="420px"))
        self.diff = w.HTML(layout=w.Layout(width="100%"))
        self.diff.add_class("diff-panel")
        self.diff_pick.observe(lambda _c: self.refresh_diff(), names="value")
        self.diff_box = w.VBox([self.diff_pick, w.Box([self.diff], layout=w.Layout(max_height="900px", overflow="auto"))])
        self.refresh_diff()

    def refresh_diff(self) -> None:
        dep = self.diff_pick.value
        _, text = diff_for(dep) if dep else (None, None)
        if text is None:
            self.diff.value = f'{CSS}<div class="i2277 muted">No diff stored for {esc(dep or "this deploy")}.</div>'
        else:
            self.diff.value = diff_html(text)

    # ---- Deploys / agent
    def highlight_deploy(self, deploy_id: str | None) -> None:
        """Mark ``deploy_id`` as the suspect in the Deploys table and on the Metrics chart; show its diff."""
        self.highlighted = deploy_id
        self.deploys.value = deploys_html(deploy_id)
        self.refresh_metrics()
        self.refresh_static()
        if deploy_id in {v for _, v in self.diff_pick.options}:
            self.diff_pick.value = deploy_id

    def _on_report(self, _culprit: str | None) -> None:
        """The final report arrived: highlight the (known) deploy it points at."""
        known = deploy_markers()
        ids = {m["id"] for m in known}
        named = [i for i in find_deploy_ids(self.agent.state.final_report, known) if i in ids]
        if named:
            self.highlight_deploy(named[0])

    def attach(self, session: Any) -> Callable[[Any], None]:
        """Bring the SRE Agent panel online for ``session``; pass the result as the loop's ``on_event=``."""
        self.agent.attach(session)
        self.refresh_static()
        return self.on_event

    @property
    def state(self) -> AgentPanelState:
        return self.agent.state

    def on_event(self, event: Any) -> None:
        """The SRE Agent panel's event callback (what ``attach`` returns); the static copy follows each stop (a run
        may end at any of them: a loop that leaves a requires_action unanswered stops there)."""
        self.agent.on_event(event)
        if as_dict(event).get("type") in ("session.status_idle", "session.status_terminated"):
            self.refresh_static()

    # ---- the static rendering: what GitHub, nbconvert and a kernel-less JupyterLab show
    def static_html(self) -> str:
        """The dashboard as plain HTML (no widgets, no kernel): the Metrics chart with its deploy markers, the deploys
        table, and the SRE Agent panel (its header, the final report and the timeline)."""
        s = self.agent.state
        start, end = self.window.value
        # The chart widget already holds this PNG (refresh_metrics follows service, window and highlight): reuse it
        # rather than render it again on every refresh of the static copy (a render each, 6-8 per investigation).
        chart = bytes(self.chart.value) or render_metrics_png(self.service.value, start, end, highlight=self.highlighted)
        png = base64.b64encode(chart).decode()
        entries = "".join(timeline_entry_html(s, kind, payload) for kind, payload in s.timeline)
        return (
            f'{CSS}<div class="i2277 static-dashboard" style="border:1px solid #cfd8dc;padding:6px">'
            '<div style="font-size:16px"><b>Incident-2277</b> · checkout p99 spikes 10x after a deploy '
            '<span class="muted">(a static copy of the dashboard; run the notebook for the live one)</span></div>'
            f'<div class="static-metrics"><b>Metrics</b> · {esc(self.service.value)}, deploys as dashed lines'
            f'<br><img class="metrics-chart" alt="Metrics chart with deploy markers" style="max-width:900px;width:100%" '
            f'src="data:image/png;base64,{png}"></div>'
            f'<div class="static-deploys"><b>Deploys</b>{deploys_html(self.highlighted)}</div>'
            f'<div class="static-agent">{self.agent.header.value}{self.agent.report.value}'
            + (f'<details><summary>timeline ({len(s.timeline)} entries)</summary>{entries}</details>' if entries else "")
            + "</div></div>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        """The widget view (live, with a kernel) and a static HTML copy beside it (without one)."""
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.static_html()
        bundle["text/plain"] = "Incident-2277 dashboard (a widget: run the notebook to see it live)"
        return bundle

    def refresh_static(self) -> None:
        """Re-render the static copy in the cell that displayed the dashboard (Jupyter's display update)."""
        if self._handle is not None:
            try:
                self._handle.update(self._repr_mimebundle_(), raw=True)
            except Exception:  # never break the investigation for a display copy
                pass

    def display(self) -> Dashboard:
        from IPython.display import display

        self._handle = display(self._repr_mimebundle_(), raw=True, display_id=True)
        return self

    def __repr__(self) -> str:
        return f"<Dashboard Incident-2277, SRE Agent {self.agent.state.status}>"


def show(page_size: int = 25) -> Dashboard:
    """Build the dashboard, display it, and return it (``dash = helpers.dashboard.show()``)."""
    return Dashboard(page_size=page_size).display()
