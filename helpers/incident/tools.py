"""The custom tools the agent calls on your laptop: their schemas (:data:`CUSTOM_TOOLS`, what the model reads),
the four tools notebook 04 teaches (``query_logs``, ``get_metrics``, ``list_deploys``, ``get_diff``), and
:func:`run_tool` / :func:`handle_tool`, which never raise. They read the evidence through
``evidence.get_source()`` and check their inputs with ``validator.validate``.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, NamedTuple

from ..events import custom_tool_result
from ..timestamps import parse_iso
from .evidence import LEVELS, METRICS, SERVICES, LogColumns, _iso_ns, _num, get_source, log_columns
from .validator import ToolError, _short, validate

__all__ = [
    "CUSTOM_TOOLS", "TOOL_NAMES", "QUERY_LOGS", "GET_METRICS", "LIST_DEPLOYS", "GET_DIFF", "STEPS",
    "ToolResult", "run_tool", "handle_tool",
    "query_logs", "get_metrics", "list_deploys", "get_diff",
    "MAX_RESULT_CHARS", "MAX_LIMIT",
]
STEPS = {"1m": 1, "5m": 5, "15m": 15, "1h": 60}

#: A tool result longer than this is cut down (samples dropped, diff truncated) with a note saying so.
MAX_RESULT_CHARS = 8000
#: Most sample lines query_logs returns.
MAX_LIMIT = 50


# =========================================================================== results: their text, times, JSON

class ToolResult(NamedTuple):
    """What a tool call produced: the text to send back and whether it is an error."""

    text: str
    is_error: bool = False

    def event(self, custom_tool_use_id: str) -> dict:
        """The ``user.custom_tool_result`` event answering the ``agent.custom_tool_use`` with this id."""
        return custom_tool_result(custom_tool_use_id, self.text, self.is_error)


def _parse_time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        when = parse_iso(value.strip())
    except ValueError:
        raise ToolError(f"{name} {_short(value)} is not an ISO 8601 time; use e.g. 2026-11-18T13:30:00Z") from None
    try:  # an offset can carry the first or last day of the calendar past its end (OverflowError)
        when = when.astimezone(timezone.utc)
    except OverflowError:
        when = None
    if when is None or not _EARLIEST <= when <= _LATEST:  # the tools add an hour to compare_at, a step to end
        raise ToolError(f"{name} {_short(value)} is at the edge of the calendar; use a time between "
                        "0001-01-02 and 9999-12-30, e.g. 2026-11-18T13:30:00Z") from None
    return when


#: The times the tools accept: a day inside Python's calendar on each side, so adding an hour never overflows.
_EARLIEST = datetime(1, 1, 2, tzinfo=timezone.utc)
_LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=timezone.utc)


def _time_range(args: dict) -> tuple[datetime | None, datetime | None]:
    start, end = _parse_time(args.get("start"), "start"), _parse_time(args.get("end"), "end")
    if start is not None and end is not None and start >= end:
        raise ToolError(f"start {_iso(start)} is not before end {_iso(end)}")
    return start, end


def _iso(when: datetime) -> str:
    when = when.astimezone(timezone.utc)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += f".{when.microsecond // 1000:03d}"
    return text + "Z"


def _ns(when: datetime) -> int:
    return int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000


def _compact(value: Any, tight: bool = False) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str,
                      separators=(",", ":") if tight else (", ", ": "))


def _dump(obj: dict) -> str:
    """JSON text, one top-level key per line; lists of objects one object per line (log samples in the
    app.log form). Valid JSON and easy to read for the model and for people."""
    lines = ["{"]
    items = list(obj.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            lines.append(f" {_compact(key)}: [")
            for j, item in enumerate(value):
                lines.append("  " + _compact(item, tight=key == "samples") + ("," if j < len(value) - 1 else ""))
            lines.append(" ]" + comma)
        else:
            lines.append(f" {_compact(key)}: {_compact(value)}{comma}")
    lines.append("}")
    return "\n".join(lines)


# =========================================================================== the tools

_TIME_HELP = "ISO 8601 UTC, e.g. 2026-11-18T14:00:00Z"

QUERY_LOGS = {
    "type": "custom",
    "name": "query_logs",
    "description": (
        "Search the application request log (app.log: one JSON line per HTTP request from the services "
        "auth, cart, catalog, checkout, payments, search; evidence window 2026-11-18 12:00Z to 16:00Z). "
        "All filters are optional and combine with AND. Returns: the number of matching lines; breakdowns by "
        "status, level, route (and service when not filtered); latency and db_queries statistics of the "
        "matches (db_queries is logged by checkout only: SQL queries per request); a timeline of match counts "
        "per time bucket, which shows when something started; and up to `limit` raw sample lines spread "
        "evenly over the matches. Use it like grep: e.g. service=cart with level=WARN for one service's "
        "warnings, status_class=5xx for server errors, contains='timeout' for a message."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "service": {"type": "string", "enum": list(SERVICES), "description": "Only lines from this service."},
            "level": {"type": "string", "enum": list(LEVELS), "description": "Only lines with this log level."},
            "status": {"type": "integer", "minimum": 100, "maximum": 599,
                       "description": "Only lines with exactly this HTTP status, e.g. 504."},
            "status_class": {"type": "string", "enum": ["2xx", "3xx", "4xx", "5xx"],
                             "description": "Only lines whose HTTP status is in this class."},
            "contains": {"type": "string", "maxLength": 200,
                         "description": "Case-insensitive text that the line's msg or route must contain, "
                                        "e.g. 'timeout' or '/cart/items'."},
            "start": {"type": "string", "maxLength": 40,
                      "description": f"Only lines at or after this time ({_TIME_HELP})."},
            "end": {"type": "string", "maxLength": 40,
                    "description": f"Only lines before this time ({_TIME_HELP})."},
            "limit": {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT,
                      "description": f"How many sample lines to return (default 5, at most {MAX_LIMIT})."},
        },
        "required": [],
    },
}

GET_METRICS = {
    "type": "custom",
    "name": "get_metrics",
    "description": (
        "Read one per-minute metric of one service from the metrics store (metrics.json; evidence window "
        "2026-11-18 12:00Z to 16:00Z). Metrics: rpm (requests per minute), p50_ms / p95_ms / p99_ms "
        "(latency percentiles, ms), failure_rate (fraction of requests with status >= 500). Returns summary "
        "statistics over the window, the peak, a coarse series averaged per `step` (default 5m), and, if "
        "you give `compare_at`, the average over the hour before that moment vs the hour after it with their "
        "ratio (e.g. compare_at = the time a spike began or a deploy landed, to size a regression)."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "service": {"type": "string", "enum": list(SERVICES), "description": "The service."},
            "metric": {"type": "string", "enum": list(METRICS), "description": "The metric."},
            "start": {"type": "string", "maxLength": 40, "description": f"Window start ({_TIME_HELP}); default: evidence start."},
            "end": {"type": "string", "maxLength": 40,
                    "description": f"Window end, exclusive ({_TIME_HELP}); default: evidence end."},
            "step": {"type": "string", "enum": list(STEPS), "description": "Bucket size of the returned series (default 5m)."},
            "compare_at": {"type": "string", "maxLength": 40,
                           "description": f"A moment ({_TIME_HELP}): compare the hour before it with the hour after it."},
        },
        "required": ["service", "metric"],
    },
}

LIST_DEPLOYS = {
    "type": "custom",
    "name": "list_deploys",
    "description": (
        "List production deploys (id, service, version, author, timestamp = deploy start, commit, "
        "description), oldest first, optionally only in a time range and/or for one service. Use it to find "
        "what changed shortly before a regression started; then read the change with get_diff."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "service": {"type": "string", "enum": list(SERVICES), "description": "Only deploys of this service."},
            "start": {"type": "string", "maxLength": 40, "description": f"Only deploys at or after this time ({_TIME_HELP})."},
            "end": {"type": "string", "maxLength": 40, "description": f"Only deploys before this time ({_TIME_HELP})."},
        },
        "required": [],
    },
}

GET_DIFF = {
    "type": "custom",
    "name": "get_diff",
    "description": (
        "Show the code change behind a deploy: `git show` output (commit header, message, unified diff of "
        "every file touched). Give a deploy id from list_deploys (e.g. dep_4820) or a commit sha (at least 7 "
        "hex digits). Optional `path` narrows the diff to files whose path contains that text."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "ref": {"type": "string", "maxLength": 64, "description": "A deploy id (dep_NNNN) or a commit sha."},
            "path": {"type": "string", "maxLength": 200,
                     "description": "Only the files whose path contains this text, e.g. order_summary.py."},
        },
        "required": ["ref"],
    },
}

#: The custom tool definitions, ready for ``client.beta.agents.create(tools=[...])``.
CUSTOM_TOOLS: list[dict] = [QUERY_LOGS, GET_METRICS, LIST_DEPLOYS, GET_DIFF]
TOOL_NAMES = tuple(t["name"] for t in CUSTOM_TOOLS)
_SCHEMAS = {t["name"]: t["input_schema"] for t in CUSTOM_TOOLS}


def _nice_bucket_minutes(span_ns: int, max_buckets: int = 16) -> int:
    minutes = span_ns / 60e9
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 240, 720, 1440):
        if minutes / step <= max_buckets:
            return step
    return 1440


def query_logs(service=None, level=None, status=None, status_class=None, contains=None,
               start=None, end=None, limit=5) -> str:
    """Filter the log; see :data:`QUERY_LOGS` for the contract. Returns JSON text."""
    args = dict(service=service, level=level, status=status, status_class=status_class, contains=contains,
                start=start, end=end, limit=limit)
    args = validate(QUERY_LOGS["input_schema"], args, "query_logs")
    t0, t1 = _time_range(args)
    ix = log_columns()
    rows = _matching_rows(ix, args, t0, t1)
    matched = int(len(rows))
    filters = {k: v for k, v in args.items() if k != "limit"}
    result: dict[str, Any] = {"matched": matched, "of_lines": ix.n, "filters": filters}
    if ix.n:
        result["evidence_window"] = [_iso_ns(int(ix.ts_ns[0]), ms=True), _iso_ns(int(ix.ts_ns[-1]), ms=True)]
    if matched == 0:
        result["note"] = "no line matches; widen the filters or check the time range against evidence_window"
        return _dump(result)
    result.update(_breakdown(ix, rows, by_service="service" not in args))
    first, last = int(ix.ts_ns[rows[0]]), int(ix.ts_ns[rows[-1]])
    result["first_ts"], result["last_ts"] = _iso_ns(first, ms=True), _iso_ns(last, ms=True)
    result["timeline"] = _timeline(ix, rows, t0, t1)
    return _with_samples(result, ix, rows, int(args.get("limit", 5)))


def _matching_rows(ix: LogColumns, args: dict, t0: Any, t1: Any):
    """The row numbers of the log lines that match ``args`` in ``t0 <= ts < t1`` (a numpy array, in time order)."""
    import numpy as np

    lo = 0 if t0 is None else int(np.searchsorted(ix.ts_ns, _ns(t0), side="left"))
    hi = ix.n if t1 is None else int(np.searchsorted(ix.ts_ns, _ns(t1), side="left"))
    hi = max(hi, lo)
    masks = []
    for col in ("service", "level"):
        if col in args:
            codes = ix.codes_where(col, lambda c, v=args[col]: c == v)
            masks.append(ix.cats[col][0][lo:hi] == (codes[0] if codes else -2))
    if "status" in args:
        masks.append(ix.status[lo:hi] == args["status"])
    if "status_class" in args:
        base = int(args["status_class"][0]) * 100
        s = ix.status[lo:hi]
        masks.append((s >= base) & (s < base + 100))
    if args.get("contains"):
        needle = args["contains"].lower()
        m = np.zeros(hi - lo, dtype=bool)
        for col in ("msg", "route"):
            codes = ix.codes_where(col, lambda c: needle in c.lower())
            if codes:
                m |= np.isin(ix.cats[col][0][lo:hi], codes)
        masks.append(m)
    if not masks:
        return np.arange(lo, hi)
    mask = masks[0]
    for m in masks[1:]:
        mask = mask & m
    return lo + np.flatnonzero(mask)


def _breakdown(ix: LogColumns, rows: Any, by_service: bool) -> dict:
    """Counts by status, level (service) and route, latency and db_queries percentiles of the matched rows."""
    import numpy as np

    def counts(col):
        codes, categories = ix.cats[col]
        c = np.bincount(codes[rows], minlength=len(categories))
        order = np.argsort(-c, kind="stable")
        return {categories[i]: int(c[i]) for i in order if c[i]}

    out: dict[str, Any] = {}
    s_vals, s_counts = np.unique(ix.status[rows], return_counts=True)
    out["by_status"] = {str(int(v)): int(c) for v, c in zip(s_vals, s_counts, strict=True)}
    out["by_level"] = counts("level")
    if by_service:
        out["by_service"] = counts("service")
    routes = counts("route")
    if len(routes) > 8:
        top = dict(list(routes.items())[:8])
        top["(other routes)"] = sum(list(routes.values())[8:])
        routes = top
    out["by_route"] = routes
    lat = ix.latency[rows]
    out["latency_ms"] = {"p50": _num(np.percentile(lat, 50)), "p99": _num(np.percentile(lat, 99)),
                         "max": _num(lat.max())}
    db = ix.db[rows]
    db = db[~np.isnan(db)]
    if len(db):
        out["db_queries"] = {"lines": int(len(db)), "min": _num(db.min()), "p50": _num(np.percentile(db, 50)),
                             "p99": _num(np.percentile(db, 99)), "max": _num(db.max())}
    return out


def _timeline(ix: LogColumns, rows: Any, t0: Any, t1: Any) -> dict:
    """Matched lines per time bucket (a "nice" bucket size for the span asked or covered)."""
    import numpy as np

    span_lo = max(_ns(t0), int(ix.ts_ns[0])) if t0 is not None else int(ix.ts_ns[0])
    span_hi = min(_ns(t1), int(ix.ts_ns[-1]) + 1) if t1 is not None else int(ix.ts_ns[-1]) + 1
    step = _nice_bucket_minutes(span_hi - span_lo)
    step_ns = step * 60_000_000_000
    origin = span_lo - span_lo % step_ns
    buckets = np.bincount((ix.ts_ns[rows] - origin) // step_ns, minlength=int((span_hi - 1 - origin) // step_ns) + 1)
    one_day = _iso_ns(origin)[:10] == _iso_ns(origin + (len(buckets) - 1) * step_ns)[:10]
    key = slice(11, 16) if one_day else slice(0, 16)  # "14:05", or "2026-11-18T14:05" across days
    return {"bucket_minutes": step, "counts": {_iso_ns(origin + i * step_ns)[key]: int(c) for i, c in enumerate(buckets)}}


def _with_samples(result: dict, ix: LogColumns, rows: Any, limit: int) -> str:
    """``result`` with up to ``limit`` sample lines spread over the matches, as JSON text under MAX_RESULT_CHARS."""
    import numpy as np

    matched = len(rows)
    k = min(limit, matched)
    picks = np.unique(np.linspace(0, matched - 1, k).round().astype(int)) if k else []
    samples = [ix.line(int(rows[p])) for p in picks]
    result["samples"] = samples
    text = _dump(result)
    while len(text) > MAX_RESULT_CHARS and result["samples"]:
        result["samples"] = result["samples"][: len(result["samples"]) // 2]
        dropped = len(samples) - len(result["samples"])
        result["note"] = (f"{dropped} of {len(samples)} sample lines dropped to keep this result under "
                          f"{MAX_RESULT_CHARS} characters; narrow the filters or lower limit")
        text = _dump(result)
    if len(text) > MAX_RESULT_CHARS:
        raise ToolError(f"the result is too large ({len(text)} characters, limit {MAX_RESULT_CHARS}); narrow the filters")
    return text


def get_metrics(service=None, metric=None, start=None, end=None, step="5m", compare_at=None) -> str:
    """One metric of one service; see :data:`GET_METRICS`. Returns JSON text."""
    import numpy as np

    args = validate(GET_METRICS["input_schema"], dict(service=service, metric=metric, start=start, end=end,
                                                      step=step, compare_at=compare_at), "get_metrics")
    t0, t1 = _time_range(args)
    at = _parse_time(args.get("compare_at"), "compare_at")
    data = get_source().metrics()
    svc, name = args["service"], args["metric"]
    series = (data.get("services") or {}).get(svc)
    if series is None:
        known = ", ".join(sorted(data.get("services") or {})) or "none"
        raise ToolError(f"no metrics stored for service {svc!r}; services with metrics: {known}")
    if name not in series:
        raise ToolError(f"no {name} series for {svc}; stored metrics: {', '.join(series)}")
    stamps = [_parse_time(t, "timestamp") for t in data.get("timestamps", [])]
    ts = np.array([_ns(t) for t in stamps], dtype=np.int64)
    values = np.array([np.nan if v is None else v for v in series[name]], dtype=np.float64)
    weights = np.array([0 if v is None else v for v in series.get("rpm", [1] * len(values))], dtype=np.float64)
    if len(ts) != len(values):
        raise ToolError(f"the {svc} {name} series does not line up with the timestamps in the metrics source")
    win = np.ones(len(ts), dtype=bool)
    if t0 is not None:
        win &= ts >= _ns(t0)
    if t1 is not None:
        win &= ts < _ns(t1)

    def avg(sel):
        v, w = values[sel], weights[sel]
        ok = ~np.isnan(v)
        if not ok.any():
            return None
        if name == "failure_rate" and w[ok].sum() > 0:  # a rate: weight each minute by its requests
            return float(np.average(v[ok], weights=w[ok]))
        return float(v[ok].mean())

    digits = 4 if name == "failure_rate" else 1
    unit = (data.get("units") or {}).get(name, "ms" if name.endswith("_ms") else "")
    result: dict[str, Any] = {"service": svc, "metric": name, "unit": unit}
    if "window" in data:
        result["evidence_window"] = [data["window"].get("start"), data["window"].get("end")]
    if not win.any() or np.isnan(values[win]).all():
        result["note"] = "no data points in this window; check start/end against evidence_window"
        return _dump(result)
    w_ts, w_vals = ts[win], values[win]
    step_s = int((data.get("window") or {}).get("step_seconds") or 60)
    result["window"] = [_iso_ns(int(w_ts[0])), _iso_ns(int(w_ts[-1]) + step_s * 1_000_000_000)]
    ok = ~np.isnan(w_vals)
    peak = int(np.nanargmax(w_vals))
    result["summary"] = {"points": int(ok.sum()), "min": _num(np.nanmin(w_vals), digits),
                         "median": _num(np.nanmedian(w_vals), digits), "mean": _num(avg(win), digits),
                         "max": _num(np.nanmax(w_vals), digits)}
    result["peak"] = {"ts": _iso_ns(int(w_ts[peak])), "value": _num(w_vals[peak], digits)}
    minutes = STEPS[args.get("step", "5m")]
    step_ns = minutes * 60_000_000_000
    origin = int(w_ts[0]) - int(w_ts[0]) % step_ns
    bucket = (ts - origin) // step_ns
    n_buckets = int((int(w_ts[-1]) - origin) // step_ns) + 1
    result["series"] = {"start": _iso_ns(origin), "step": args.get("step", "5m"),
                        "aggregation": "rpm-weighted mean" if name == "failure_rate" else "mean of the per-minute values",
                        "values": [_num(avg(win & (bucket == b)), digits) for b in range(n_buckets)]}
    if at is not None:
        hour = 3_600_000_000_000
        a = _ns(at)
        before, after = avg((ts >= a - hour) & (ts < a)), avg((ts >= a) & (ts < a + hour))
        comparison = {"at": _iso(at),
                      "before": {"window": [_iso_ns(a - hour), _iso(at)], "mean": _num(before, digits)},
                      "after": {"window": [_iso(at), _iso_ns(a + hour)], "mean": _num(after, digits)}}
        if before and after is not None:
            comparison["ratio"] = round(after / before, 2)
        result["comparison"] = comparison
    text = _dump(result)
    if len(text) > MAX_RESULT_CHARS:
        raise ToolError(f"the result is too large ({len(text)} characters); use a coarser step or a shorter window")
    return text


def list_deploys(service=None, start=None, end=None) -> str:
    """The deploys in a window; see :data:`LIST_DEPLOYS`. Returns JSON text."""
    args = validate(LIST_DEPLOYS["input_schema"], dict(service=service, start=start, end=end), "list_deploys")
    t0, t1 = _time_range(args)
    picked = []
    for dep in get_source().deploys():
        when = _parse_time(str(dep.get("timestamp")), "deploy timestamp")
        if "service" in args and dep.get("service") != args["service"]:
            continue
        if (t0 is not None and when < t0) or (t1 is not None and when >= t1):
            continue
        picked.append((when, dep))
    picked.sort(key=lambda p: p[0])
    keys = ("id", "service", "version", "author", "timestamp", "commit", "description")
    deploys = [{k: dep.get(k) for k in keys} for _, dep in picked]
    result: dict[str, Any] = {"filters": args, "count": len(deploys), "deploys": deploys}
    if not deploys:
        result["note"] = "no deploy matches; widen the time range or drop the service filter"
    text = _dump(result)
    while len(text) > MAX_RESULT_CHARS and result["deploys"]:
        result["deploys"] = result["deploys"][: len(result["deploys"]) // 2]
        result["note"] = (f"only the first {len(result['deploys'])} of {len(deploys)} deploys shown "
                          f"(result limit {MAX_RESULT_CHARS} characters); narrow the time range")
        text = _dump(result)
    return text


_DEPLOY_ID_RE = re.compile(r"^dep_\w+$", re.IGNORECASE)
_SHA_RE = re.compile(r"^[0-9a-fA-F]{4,40}$")


def get_diff(ref=None, path=None) -> str:
    """The change behind a deploy or commit; see :data:`GET_DIFF`. Returns the diff text."""
    args = validate(GET_DIFF["input_schema"], dict(ref=ref, path=path), "get_diff")
    ref = args["ref"].strip()
    src = get_source()
    deploy = None
    if _DEPLOY_ID_RE.match(ref):
        deploys = src.deploys()
        found = [d for d in deploys if str(d.get("id", "")).lower() == ref.lower()]
        if not found:
            known = ", ".join(str(d.get("id")) for d in deploys) or "none"
            raise ToolError(f"unknown deploy {ref!r}; known deploys: {known}")
        deploy = found[0]
        commit = str(deploy.get("commit", ""))
    elif _SHA_RE.match(ref):
        commit = ref
    else:
        raise ToolError(f"ref {_short(ref)} is neither a deploy id (dep_4820) nor a commit sha (9c41e7b)")
    try:
        text = src.diff(commit)
    except KeyError as exc:
        what = f"deploy {deploy['id']} (commit {commit})" if deploy else f"commit {commit}"
        raise ToolError(f"no diff available for {what}: {exc.args[0] if exc.args else exc}") from None
    if args.get("path"):
        text = _filter_diff(text, args["path"])
    if len(text) > MAX_RESULT_CHARS:
        cut = text.rfind("\n", 0, MAX_RESULT_CHARS - 300) + 1 or MAX_RESULT_CHARS - 300
        files = re.findall(r"^diff --git a/(\S+)", text, re.MULTILINE)
        text = (text[:cut] + f"\n[truncated: showing {cut} of {len(text)} characters. Files in this change: "
                + ", ".join(files) + ". Ask again with path=<file> to see one file.]\n")
    return text


def _filter_diff(text: str, needle: str) -> str:
    parts = re.split(r"(?m)^(?=diff --git )", text)
    header, files = parts[0], parts[1:]
    keep = [f for f in files if needle.lower() in f.splitlines()[0].lower()]
    if not keep:
        names = re.findall(r"^diff --git a/(\S+)", text, re.MULTILINE)
        raise ToolError(f"no file in this change matches path {_short(needle)}; files: {', '.join(names)}")
    return header + "".join(keep)


_HANDLERS = {"query_logs": query_logs, "get_metrics": get_metrics, "list_deploys": list_deploys, "get_diff": get_diff}


def run_tool(name: Any, input: Any = None) -> ToolResult:  # `input`: the name the SDK uses
    """Run custom tool ``name`` with the model's ``input``. Never raises: failures come back as
    ``ToolResult("Error: ...", is_error=True)``, ready for ``user.custom_tool_result``."""
    try:
        handler = _HANDLERS.get(name) if isinstance(name, str) else None
        if handler is None:
            return ToolResult(f"Error: unknown tool {_short(name)}; known tools: {', '.join(TOOL_NAMES)}", True)
        if input is None:
            input = {}
        if not isinstance(input, dict):
            return ToolResult(f"Error: {name} input must be a JSON object of arguments, got {type(input).__name__}", True)
        # validate here too so unknown keys are reported before Python's own TypeError would be
        validate(_SCHEMAS[name], input, name)
        return ToolResult(handler(**input), False)
    except ToolError as exc:
        return ToolResult(f"Error: {exc}", True)
    except Exception as exc:  # a bug or a broken data source: still an answer the model can read
        detail = str(exc) if len(str(exc)) <= 300 else str(exc)[:297] + "..."
        return ToolResult(f"Error: tool {name} failed: {type(exc).__name__}: {detail}", True)


def handle_tool(name: Any, input: Any = None) -> str:
    """Run custom tool ``name``; return the result text ("Error: ..." on failure). Never raises.

    Use :func:`run_tool` when you also need ``is_error`` (to send failures back with ``is_error: true``).
    """
    return run_tool(name, input).text
