"""The dashboard's data: the evidence as plain rows and pandas frames, read through ``helpers.incident.get_source()``
(the source the agent's custom tools read), cached per source; the Logs panel's filters on the parsed log; the deploy
markers; the deploy ids a text names. Time windows are ``start <= ts < end``. No widgets, no HTML; pandas only where a
frame is asked for.
"""
from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from ..timestamps import parse_iso

__all__ = [
    "SERVICES",
    "WINDOW",
    "all_deploys_frame",
    "all_logs_frame",
    "deploy_markers",
    "deploy_rows",
    "diff_for",
    "diff_text",
    "filter_logs",
    "find_deploy_ids",
    "log_choices",
    "log_records",
    "service_metrics_frame",
]

SERVICES = ("checkout", "payments", "cart", "catalog", "search", "auth")
WINDOW = ("2026-11-18T12:00:00Z", "2026-11-18T16:00:00Z")


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
            return parse_iso(text).astimezone(timezone.utc)
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
    from .. import incident

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


def all_logs_frame():
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


def all_deploys_frame():
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


def service_metrics_frame(service: str | None = "checkout", start: Any = None, end: Any = None):
    """Metrics of one service (``None`` = all) in ``start <= ts < end``: what the Metrics chart draws.

    Columns: ts, service, p99_ms, failure_rate (a fraction), and the other metrics. (``helpers.incident.metrics_frame()``
    is every service and minute of the source, under the source's column names.)"""
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


def _minute_options(start: Any, end: Any, step_minutes: int = 5) -> list[tuple[str, datetime]]:
    """``("HH:MM", UTC datetime)`` every ``step_minutes`` from ``start`` up to ``end`` included (a slider's ticks)."""
    t, end = _utc(start), _utc(end)
    out = []
    while t <= end:
        out.append((t.strftime("%H:%M"), t))
        t += timedelta(minutes=step_minutes)
    return out
