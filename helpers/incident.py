"""Incident-2277: the evidence and the custom tools the agent calls on your laptop.

The cloud agent emits ``agent.custom_tool_use``; your loop calls :func:`run_tool` (or :func:`handle_tool`)
here, and sends the text back as ``user.custom_tool_result``::

    from helpers import incident

    agent = client.beta.agents.create(..., tools=[*incident.CUSTOM_TOOLS])
    ...
    result = incident.run_tool(event.name, event.input)      # never raises
    client.beta.sessions.events.send(session_id, events=[result.event(event.id)])

The four tools (see :data:`CUSTOM_TOOLS` for what the model reads):

* ``query_logs``   filter ``app.log`` (service, level, status, route/message text, time range): count,
  breakdowns, a timeline and a few sample lines.
* ``get_metrics``  one metric of one service (rpm, p50/p95/p99 latency, failure rate): summary, a coarse
  series, and a before/after comparison around a moment you name.
* ``list_deploys`` the deploys in a time range, optionally for one service.
* ``get_diff``     the code change behind a deploy id or commit sha.

Where the evidence comes from is one small interface, :class:`IncidentSource`; the default
:class:`FileSource` reads ``data/``. Swap it with :func:`set_source` (the slide's "swap
``json.load('data/metrics.json')`` for a Datadog client and it is the same wire protocol": the tools, their
schemas and the session events do not change).

For notebooks and the dashboard: :func:`logs`, :func:`metrics_frame`, :func:`deploys_frame` give the current
source's evidence as pandas frames.

Import is cheap (no pandas, no numpy). The first tool call loads numpy and parses ``app.log`` once, with one
regular expression, into numpy arrays (:class:`LogColumns`) that every later query filters in a millisecond
or two; pandas loads only when a frame is asked for (or for sources that hand over a frame).
"""
from __future__ import annotations

import json
import math
import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

from .events import custom_tool_result

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CUSTOM_TOOLS", "TOOL_NAMES", "SERVICES", "LEVELS", "METRICS", "LOG_COLUMNS",
    "IncidentSource", "FileSource", "MemorySource", "get_source", "set_source",
    "ToolResult", "run_tool", "handle_tool",
    "query_logs", "get_metrics", "list_deploys", "get_diff",
    "logs", "metrics_frame", "deploys_frame", "parse_log_text", "logs_frame", "LogColumns", "log_columns", "validate",
    "ToolError",
    "MAX_RESULT_CHARS", "MAX_LIMIT",
]

SERVICES = ("auth", "cart", "catalog", "checkout", "payments", "search")
LEVELS = ("INFO", "WARN", "ERROR")
METRICS = ("rpm", "p50_ms", "p95_ms", "p99_ms", "failure_rate")
LOG_COLUMNS = ("ts", "level", "service", "route", "status", "latency_ms", "trace_id", "msg", "db_queries")
STEPS = {"1m": 1, "5m": 5, "15m": 15, "1h": 60}

#: A tool result longer than this is cut down (samples dropped, diff truncated) with a note saying so.
MAX_RESULT_CHARS = 8000
#: Most sample lines query_logs returns.
MAX_LIMIT = 50


# =========================================================================== data sources

@runtime_checkable
class IncidentSource(Protocol):
    """Where the evidence comes from. Four methods; the tools need nothing else.

    * ``logs()``     -> ``pandas.DataFrame`` with columns :data:`LOG_COLUMNS`: ``ts`` (datetime64, UTC),
      ``level``, ``service``, ``route``, ``msg`` (str or category), ``status``, ``latency_ms`` (int),
      ``trace_id`` (str), ``db_queries`` (nullable int; only checkout lines have it). Build it from raw
      records with :func:`logs_frame`.
    * ``metrics()``  -> the ``metrics.json`` structure: ``{"window": {...}, "timestamps": [ISO minute
      starts], "services": {service: {"rpm": [...], "p50_ms": [...], "p95_ms": [...], "p99_ms": [...],
      "failure_rate": [...]}}}`` (see ``data/README.md``).
    * ``deploys()``  -> list of ``{"id", "service", "version", "author", "timestamp", "commit",
      "description"}``.
    * ``diff(commit)`` -> ``git show`` text of that commit (a sha prefix of at least 7 hex digits);
      raises ``KeyError`` (with a helpful message) if the source has no such commit.

    A Datadog-backed source is the same four methods over HTTP; a sketch (not shipped, not tested)::

        class DatadogSource:
            def __init__(self, api, start, end):          # api: datadog_api_client.ApiClient
                self.api, self.start, self.end = api, start, end

            def logs(self):
                # LogsApi(self.api).list_logs(body={"filter": {"from": start, "to": end, "query": "env:prod"}})
                # paginate, map each event's attributes to LOG_COLUMNS, then: return logs_frame(records)
                ...

            def metrics(self):
                # MetricsApi(self.api).query_metrics(start, end, "p99:trace.http.request{service:checkout}.rollup(60)")
                # once per service and metric, reshaped into the metrics.json structure
                ...

            def deploys(self):
                # EventsApi(self.api).list_events(start, end, tags="deployment") -> the deploy dicts
                ...

            def diff(self, commit):
                # your Git host's API, e.g. GET /repos/{owner}/{repo}/commits/{sha} with Accept: diff
                ...

        incident.set_source(DatadogSource(api, start, end))

    (A production source would push the filters down to the vendor's query API instead of returning
    every line; the tools' schemas and results would not change.)
    """

    def logs(self) -> pd.DataFrame: ...

    def metrics(self) -> dict: ...

    def deploys(self) -> list[dict]: ...

    def diff(self, commit: str) -> str: ...


_LINE_RE = re.compile(
    r'\{"ts":"([^"\\]*)","level":"([^"\\]*)","service":"([^"\\]*)","route":"([^"\\]*)",'
    r'"status":(\d+),"latency_ms":(\d+),"trace_id":"([^"\\]*)","msg":"([^"\\]*)"'
    r'(?:,"db_queries":(\d+))?\}\n'
)


def parse_log_text(text: str) -> pd.DataFrame:
    """Parse ``app.log`` text (JSON Lines) into the :func:`logs_frame` shape."""
    return LogColumns.from_text(text).to_frame()


def logs_frame(records: list[dict]) -> pd.DataFrame:
    """Normalise log records (dicts with the app.log keys) into the frame :meth:`IncidentSource.logs` returns."""
    import pandas as pd

    frame = pd.DataFrame.from_records(list(records), columns=list(LOG_COLUMNS))
    frame["ts"] = pd.to_datetime(frame["ts"], format="ISO8601", utc=True)
    for col in ("level", "service", "route", "msg"):
        frame[col] = frame[col].astype(str).astype("category")
    for col in ("status", "latency_ms"):
        frame[col] = frame[col].astype("int64")
    frame["trace_id"] = frame["trace_id"].astype(str).astype("string")
    frame["db_queries"] = frame["db_queries"].astype("Int64")
    return frame


_CAT_COLUMNS = ("level", "service", "route", "msg")


class LogColumns:
    """The log as numpy arrays, sorted by time: what the tools filter (no pandas needed).

    ``ts_ns`` int64 ns since the epoch (UTC); ``status`` int64; ``latency`` float64 ms; ``db`` float64
    (NaN where the line has no db_queries); ``trace_id`` str array; ``cats[col] = (codes, categories)``
    for level, service, route, msg.
    """

    def __init__(self, ts_ns, status, latency, db, trace_id, cats):
        import numpy as np

        if len(ts_ns) > 1 and bool((np.diff(ts_ns) < 0).any()):
            order = np.argsort(ts_ns, kind="stable")
            ts_ns, status, latency, db = ts_ns[order], status[order], latency[order], db[order]
            trace_id = np.asarray(trace_id, dtype=str)[order]
            cats = {k: (codes[order], categories) for k, (codes, categories) in cats.items()}
        self.ts_ns, self.status, self.latency, self.db = ts_ns, status, latency, db
        # A numpy str array, not a list: a kernel loads it from the cache without making 70,000 str objects (~6 ms).
        self.trace_id, self.cats = np.asarray(trace_id, dtype=str), cats
        self.n = len(ts_ns)
        self._frame = None

    @classmethod
    def from_text(cls, text: str) -> LogColumns:
        """Parse app.log text. Fast path: one regular expression over the whole text, valid for lines in
        the documented format (compact separators, fixed key order, no escapes in strings), about 3x
        faster than ``json.loads`` per line. Text that does not match line for line goes through
        ``json.loads``."""
        import numpy as np

        if text and not text.endswith("\n"):
            text += "\n"
        rows = _LINE_RE.findall(text)
        if len(rows) != text.count("\n"):  # not exactly the documented format: the general path
            return cls.from_frame(logs_frame([json.loads(line) for line in text.splitlines() if line.strip()]))
        n = len(rows)
        cols = list(zip(*rows, strict=True)) if rows else [()] * 9
        ts_ns = np.array([t.rstrip("Zz") for t in cols[0]], dtype="datetime64[ns]").astype(np.int64)
        cats = {}
        for i, col in ((1, "level"), (2, "service"), (3, "route"), (7, "msg")):
            seen: dict[str, int] = {}
            codes = np.fromiter((seen.setdefault(x, len(seen)) for x in cols[i]), np.int32, n)
            cats[col] = (codes, list(seen))
        status = np.fromiter(map(int, cols[4]), np.int64, n)
        latency = np.fromiter(map(float, cols[5]), np.float64, n)
        db = np.fromiter((float(x) if x else np.nan for x in cols[8]), np.float64, n)
        return cls(ts_ns, status, latency, db, list(cols[6]), cats)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> LogColumns:
        """From a frame shaped like :meth:`IncidentSource.logs` (any source)."""
        import numpy as np
        import pandas as pd

        missing = [c for c in LOG_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"the logs frame lacks column(s) {', '.join(missing)}")
        ts = pd.to_datetime(frame["ts"], utc=True, format="ISO8601" if frame["ts"].dtype == object else None)
        ts_ns = ts.dt.tz_localize(None).to_numpy().astype("datetime64[ns]").astype(np.int64)
        cats = {}
        for col in _CAT_COLUMNS:
            cat = frame[col].astype(str).astype("category").cat
            cats[col] = (cat.codes.to_numpy().astype(np.int32), [str(c) for c in cat.categories])
        db = pd.to_numeric(frame["db_queries"], errors="coerce").astype("Float64").to_numpy(
            dtype=np.float64, na_value=np.nan)
        return cls(ts_ns, frame["status"].to_numpy(dtype=np.int64), frame["latency_ms"].to_numpy(dtype=np.float64),
                   db, [str(t) for t in frame["trace_id"]], cats)

    def to_frame(self) -> pd.DataFrame:
        """The :meth:`IncidentSource.logs` frame (built once)."""
        if self._frame is None:
            import numpy as np
            import pandas as pd

            data = {"ts": pd.Series(self.ts_ns.astype("datetime64[ns]").astype("datetime64[ms]")).dt.tz_localize("UTC")}
            for col in ("level", "service", "route"):
                codes, categories = self.cats[col]
                data[col] = pd.Categorical.from_codes(codes, categories=categories)
            data["status"] = self.status
            data["latency_ms"] = self.latency.astype(np.int64)
            data["trace_id"] = pd.array(self.trace_id, dtype="string")
            codes, categories = self.cats["msg"]
            data["msg"] = pd.Categorical.from_codes(codes, categories=categories)
            missing = np.isnan(self.db)
            data["db_queries"] = pd.arrays.IntegerArray(np.where(missing, 0, self.db).astype(np.int64), missing)
            self._frame = pd.DataFrame(data, columns=list(LOG_COLUMNS))
        return self._frame

    def codes_where(self, col: str, pred) -> list[int]:
        return [i for i, c in enumerate(self.cats[col][1]) if pred(c)]

    def line(self, i: int) -> dict:
        """Row ``i`` as its app.log object (same key order)."""
        obj = {"ts": _iso_ns(int(self.ts_ns[i]), ms=True)}
        for col in ("level", "service", "route"):
            codes, categories = self.cats[col]
            obj[col] = categories[codes[i]]
        obj["status"] = int(self.status[i])
        obj["latency_ms"] = _num(self.latency[i])
        obj["trace_id"] = str(self.trace_id[i])
        codes, categories = self.cats["msg"]
        obj["msg"] = categories[codes[i]]
        if not math.isnan(self.db[i]):
            obj["db_queries"] = int(self.db[i])
        return obj


# =========================================================================== parsed-log cache
#
# Every notebook that touches the log (01, 04, 05, 06, the dashboard) runs in a fresh kernel, and parsing the
# 13 MB app.log costs ~0.3-0.5 s each time. The parsed columns are a pure function of the file's bytes, so
# they are kept on disk, keyed by a hash of those bytes (and of the format below): a changed file is a new key,
# never a stale hit. Loading them back costs ~15 ms. Any problem with the cache (unwritable, corrupt,
# disabled) falls back to parsing.
#
# Reading and hashing the 13 MB costs ~20 ms more in every kernel, so the hash is remembered beside the cache
# (_DIGESTS_FILE), with what stat() said about the file when it was hashed: a file whose size, modification and
# change times, inode and device are unchanged is not hashed again. As git does for its index, an entry is only
# trusted when the file had changed well before it was hashed (_RACY_NS): a file rewritten within one tick of a
# coarse filesystem clock keeps its times, and would otherwise be taken for unchanged.

#: Bump when LogColumns.from_text's output changes; old cache files are then simply never hit.
_COLUMNS_CACHE_FORMAT = "logcolumns-1"
#: Smaller files parse in a few milliseconds: not worth a cache file.
_COLUMNS_CACHE_MIN_BYTES = 1 << 20
#: The remembered hashes, in the cache folder: {"format": ..., "files": {path: {"stat", "hashed_at_ns", "digest"}}}.
_DIGESTS_FILE = "applog-digests.json"
_DIGESTS_KEPT = 32
#: A remembered hash is trusted only for a file modified at least this long before it was hashed (FAT's clock
#: ticks every 2 s; ext4's, APFS's and NTFS's far more often).
_RACY_NS = 2_000_000_000


def columns_cache_dir() -> Path | None:
    """Where parsed logs are cached: the workshop's cache folder (:func:`helpers.settings.cache_dir`; ``None`` when
    ``WORKSHOP_CACHE_DIR=off``)."""
    from .settings import cache_dir

    return cache_dir()


def _digest(data: bytes) -> str:
    import hashlib

    digest = hashlib.sha1(_COLUMNS_CACHE_FORMAT.encode(), usedforsecurity=False)
    digest.update(_LINE_RE.pattern.encode())
    digest.update(data)
    return digest.hexdigest()


def _columns_cache_file(data: bytes) -> Path | None:
    if len(data) < _COLUMNS_CACHE_MIN_BYTES:
        return None
    folder = columns_cache_dir()
    if folder is None:
        return None
    return folder / f"applog-{_digest(data)}.npz"


def _stat_key(st: Any) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _read_digests(folder: Path) -> dict[str, Any]:
    try:
        memo = json.loads((folder / _DIGESTS_FILE).read_text(encoding="utf-8"))
        files = memo["files"] if memo.get("format") == _COLUMNS_CACHE_FORMAT else {}
        return files if isinstance(files, dict) else {}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _remembered_digest(folder: Path, path: Path, st: Any) -> str | None:
    """The hash remembered for ``path`` if its stat() is the one it was hashed with, and not racy."""
    entry = _read_digests(folder).get(str(path))
    try:
        changed_ns = max(st.st_mtime_ns, st.st_ctime_ns)
        if entry["stat"] == _stat_key(st) and changed_ns + _RACY_NS <= entry["hashed_at_ns"]:
            digest = entry["digest"]
            return digest if isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{40}", digest) else None
    except (TypeError, KeyError):
        pass
    return None


def _remember_digest(folder: Path, path: Path, st: Any, digest: str, hashed_at_ns: int) -> None:
    from .cache import write_atomic

    files = _read_digests(folder)
    files.pop(str(path), None)
    files[str(path)] = {"stat": _stat_key(st), "hashed_at_ns": hashed_at_ns, "digest": digest}
    kept = dict(list(files.items())[-_DIGESTS_KEPT:])  # the most recently hashed files
    write_atomic(folder / _DIGESTS_FILE, json.dumps({"format": _COLUMNS_CACHE_FORMAT, "files": kept}).encode())


def _cache_file_of(path: Path) -> tuple[Path | None, bytes | None]:
    """(the cache file for the log at ``path``, the bytes read to find it or None when its hash was remembered).
    The remembered hash is used on POSIX only: Windows' st_ctime is the creation time, which a rewrite in place
    keeps."""
    import logging
    import os
    import time

    folder = columns_cache_dir()
    st = path.stat()
    if folder is None or st.st_size < _COLUMNS_CACHE_MIN_BYTES:
        return None, None
    remember = os.name == "posix"  # Windows: st_ctime is the creation time
    digest = _remembered_digest(folder, path, st) if remember else None
    if digest is not None:
        return folder / f"applog-{digest}.npz", None
    hashed_at_ns = time.time_ns()
    data = path.read_bytes()
    digest = _digest(data)
    if remember and _stat_key(path.stat()) == _stat_key(st):  # not rewritten while it was read
        try:
            _remember_digest(folder, path, st, digest, hashed_at_ns)
        except Exception:  # an unwritable cache folder: hash again next time
            logging.getLogger("helpers.incident").debug("could not remember the hash of %s", path, exc_info=True)
    return folder / f"applog-{digest}.npz", data


def _save_columns(cols: LogColumns, target: Path) -> None:
    import io

    import numpy as np

    from .cache import write_atomic

    arrays = {"ts_ns": cols.ts_ns, "status": cols.status, "latency": cols.latency, "db": cols.db,
              "trace_id": np.array(cols.trace_id, dtype=str)}
    for col, (codes, categories) in cols.cats.items():
        arrays[f"codes_{col}"] = codes
        arrays[f"categories_{col}"] = np.array(categories, dtype=str)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomic(target, buffer.getvalue())


def _load_columns(source: Path) -> LogColumns:
    import numpy as np

    with np.load(source, allow_pickle=False) as z:
        cats = {col: (z[f"codes_{col}"], z[f"categories_{col}"].tolist()) for col in _CAT_COLUMNS}
        cols = LogColumns(z["ts_ns"], z["status"], z["latency"], z["db"], z["trace_id"], cats)
    n = cols.n
    if not all(len(a) == n for a in (cols.status, cols.latency, cols.db, cols.trace_id)) or \
            not all(len(codes) == n for codes, _ in cats.values()):
        raise ValueError(f"{source}: inconsistent cached columns")
    return cols


def log_columns_cache_file(path: str | Path) -> Path | None:
    """Where :func:`load_log_columns` keeps the parsed columns of the log file at ``path`` (which must exist; the
    cache file may not exist yet); ``None`` when it keeps none (the cache is off, or the log is too small to be worth
    it)."""
    return _cache_file_of(Path(path).resolve())[0]


def load_log_columns(path: str | Path) -> LogColumns:
    """``LogColumns.from_text`` of the file at ``path``, through the on-disk cache (see :func:`columns_cache_dir`)."""
    import io
    import logging

    path = Path(path).resolve()
    cached = data = None
    try:
        cached, data = _cache_file_of(path)
        if cached is not None and cached.is_file():
            return _load_columns(cached)
    except Exception:  # a corrupt or unreadable cache file: parse instead (and rewrite it below)
        if not path.is_file():
            raise  # no log there: say so
        logging.getLogger("helpers.incident").debug("ignoring log cache %s", cached, exc_info=True)
    if data is None or cached is None:
        data = path.read_bytes()
        try:
            cached = _columns_cache_file(data)  # the hash of the bytes parsed (the file may have changed since its stat)
        except Exception:
            cached = None
    # Same text as Path.read_text(encoding="utf-8") (universal newlines), from the bytes that were hashed.
    cols = LogColumns.from_text(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read())
    if cached is not None:
        try:
            _save_columns(cols, cached)
        except Exception:
            logging.getLogger("helpers.incident").debug("could not write log cache %s", cached, exc_info=True)
    return cols


_COMMIT_RE = re.compile(r"^commit ([0-9a-f]{7,40})\b", re.MULTILINE)


def split_commits(text: str) -> dict[str, str]:
    """``git show``/``git log -p`` text -> {full or short sha: that commit's text}."""
    starts = [(m.start(), m.group(1)) for m in _COMMIT_RE.finditer(text)]
    out = {}
    for i, (pos, sha) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        out[sha] = text[pos:end]
    return out


def _find_commit(diffs: dict[str, str], commit: str) -> str:
    want = commit.strip().lower()
    hits = [sha for sha in diffs if sha.startswith(want) or want.startswith(sha)] if len(want) >= 7 else []
    if len(hits) == 1:
        return diffs[hits[0]]
    known = ", ".join(sha[:7] for sha in diffs) or "none"
    if len(want) < 7:
        raise KeyError(f"commit {commit!r} is too short: give at least 7 hex digits (stored commits: {known})")
    raise KeyError(f"no diff stored for commit {commit!r} (stored commits: {known})")


class FileSource:
    """The evidence in a directory: ``app.log``, ``metrics.json``, ``deploys.json``, ``diff.txt``.

    Each file is read and parsed once, on first use (thread-safe), then kept.
    """

    def __init__(self, data_dir: str | Path | None = None):
        if data_dir is None:
            from .settings import DATA_DIR

            data_dir = DATA_DIR
        self.data_dir = Path(data_dir)
        self._lock = threading.RLock()
        self._cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"FileSource({str(self.data_dir)!r})"

    def _once(self, key: str, build):
        if key not in self._cache:
            with self._lock:
                if key not in self._cache:
                    self._cache[key] = build()
        return self._cache[key]

    def log_columns(self) -> LogColumns:
        """The log as numpy arrays (what the tools filter; parsed once, without pandas, and kept in the
        on-disk cache of :func:`load_log_columns` so later kernels skip the parse)."""
        return self._once("columns", lambda: load_log_columns(self.data_dir / "app.log"))

    def logs(self) -> pd.DataFrame:
        return self._once("logs", lambda: self.log_columns().to_frame())

    def metrics(self) -> dict:
        return self._once("metrics", lambda: json.loads((self.data_dir / "metrics.json").read_text(encoding="utf-8")))

    def deploys(self) -> list[dict]:
        def build():
            data = json.loads((self.data_dir / "deploys.json").read_text(encoding="utf-8"))
            return data["deploys"] if isinstance(data, dict) else data

        return self._once("deploys", build)

    def diff(self, commit: str) -> str:
        diffs = self._once("diffs", lambda: split_commits((self.data_dir / "diff.txt").read_text(encoding="utf-8")))
        return _find_commit(diffs, commit)


class MemorySource:
    """Evidence held in memory (tests, notebooks experimenting with their own data).

    ``logs``: list of app.log-style dicts (or a ready DataFrame); ``metrics``: the metrics.json structure;
    ``deploys``: list of deploy dicts; ``diffs``: {commit sha: git show text}.
    """

    def __init__(self, logs=(), metrics: dict | None = None, deploys=(), diffs: dict[str, str] | None = None):
        self._logs_in = logs
        self._logs = None
        self._metrics = metrics if metrics is not None else {"timestamps": [], "services": {}}
        self._deploys = list(deploys)
        self._diffs = dict(diffs or {})

    def logs(self) -> pd.DataFrame:
        if self._logs is None:
            import pandas as pd

            self._logs = self._logs_in if isinstance(self._logs_in, pd.DataFrame) else logs_frame(list(self._logs_in))
        return self._logs

    def metrics(self) -> dict:
        return self._metrics

    def deploys(self) -> list[dict]:
        return self._deploys

    def diff(self, commit: str) -> str:
        return _find_commit(self._diffs, commit)


_source: IncidentSource | None = None
_default: FileSource | None = None
_source_lock = threading.Lock()


def get_source() -> IncidentSource:
    """The source the tools read (a :class:`FileSource` over ``helpers.settings.DATA_DIR`` by default)."""
    global _source, _default
    if _source is None:
        with _source_lock:
            if _source is None:
                if _default is None:
                    _default = FileSource()
                _source = _default
    return _source


def set_source(source: IncidentSource | None) -> IncidentSource | None:
    """Make the tools read ``source`` (``None``: back to the default files, parsed at most once per process).

    Returns the previous source.
    """
    global _source
    missing = [m for m in ("logs", "metrics", "deploys", "diff") if not callable(getattr(source, m, None))]
    if source is not None and missing:
        raise TypeError(f"{source!r} is not an IncidentSource: missing {', '.join(missing)}()")
    with _source_lock:
        previous, _source = _source, source
    _indexes.clear()
    return previous


def logs() -> pd.DataFrame:
    """The current source's log as a DataFrame (columns :data:`LOG_COLUMNS`)."""
    return get_source().logs()


def metrics_frame() -> pd.DataFrame:
    """The current source's metrics as a tidy DataFrame: ``ts`` (UTC), ``service``, then one column per
    metric (``rpm``, ``p50_ms``, ``p95_ms``, ``p99_ms``, ``failure_rate``), one row per service and minute."""
    import pandas as pd

    data = get_source().metrics()
    ts = pd.to_datetime(pd.Series(data.get("timestamps", []), dtype=object), format="ISO8601", utc=True)
    parts = []
    for service, series in (data.get("services") or {}).items():
        part = pd.DataFrame({"ts": ts, "service": service})
        for name in METRICS:
            if name in series:
                part[name] = pd.to_numeric(pd.Series(series[name], dtype=object), errors="coerce")
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["ts", "service", *METRICS])
    frame = pd.concat(parts, ignore_index=True)
    frame["service"] = frame["service"].astype("category")
    return frame


def deploys_frame() -> pd.DataFrame:
    """The current source's deploys as a DataFrame, ``timestamp`` parsed (UTC), oldest first."""
    import pandas as pd

    frame = pd.DataFrame(list(get_source().deploys()),
                         columns=["id", "service", "version", "author", "timestamp", "commit", "description"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="ISO8601", utc=True)
    return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)


# =========================================================================== the log index

_indexes: dict[int, tuple[Any, LogColumns]] = {}
_index_lock = threading.Lock()


def log_columns() -> LogColumns:
    """The current source's log as :class:`LogColumns`: what ``query_logs`` and the dashboard's Logs panel filter
    (sources with ``log_columns()`` skip pandas)."""
    src = get_source()
    fast = getattr(src, "log_columns", None)
    if callable(fast):
        return fast()
    frame = src.logs()
    hit = _indexes.get(id(frame))
    if hit is not None and hit[0] is frame:
        return hit[1]
    with _index_lock:
        hit = _indexes.get(id(frame))
        if hit is None or hit[0] is not frame:
            _indexes.clear()
            hit = _indexes[id(frame)] = (frame, LogColumns.from_frame(frame))
        return hit[1]


# =========================================================================== tool errors and validation

class ToolError(Exception):
    """A problem the caller (the model) can fix: becomes an ``Error: ...`` result with is_error=True."""


class ToolResult(NamedTuple):
    """What a tool call produced: the text to send back and whether it is an error."""

    text: str
    is_error: bool = False

    def event(self, custom_tool_use_id: str) -> dict:
        """The ``user.custom_tool_result`` event answering the ``agent.custom_tool_use`` with this id."""
        return custom_tool_result(custom_tool_use_id, self.text, self.is_error)


def _short(value: Any, n: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."


_JSON_TYPES = {"string": "a string", "integer": "an integer", "number": "a number",
               "boolean": "true or false", "object": "an object", "array": "an array"}


def validate(schema: dict, args: Any, tool: str = "tool") -> dict:
    """Check ``args`` against a tool's ``input_schema`` (type, required, enum, bounds, no unknown keys).

    Returns a cleaned copy (enum values normalised to their canonical case, integral floats to int);
    raises :class:`ToolError` with a message meant for the model.
    """
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ToolError(f"{tool} input must be a JSON object of arguments, got {type(args).__name__}")
    props = schema.get("properties") or {}
    unknown = [k for k in args if k not in props]
    if unknown:
        names = ", ".join(_short(k, 40) for k in unknown[:5])
        raise ToolError(f"unknown argument(s) {names} for {tool}; valid arguments: {', '.join(props)}")
    missing = [k for k in schema.get("required", []) if args.get(k) is None]
    if missing:
        raise ToolError(f"{tool} needs argument(s) {', '.join(missing)}")
    clean = {}
    for key, value in args.items():
        if value is None:  # an explicit null means "not given"
            continue
        spec = props[key]
        kind = spec.get("type")
        if kind == "integer":
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ToolError(f"{key} must be {_JSON_TYPES[kind]}, got {_short(value)}")
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ToolError(f"{key} must be {_JSON_TYPES[kind]}, got {_short(value)}")
        elif kind == "string":
            if not isinstance(value, str):
                raise ToolError(f"{key} must be {_JSON_TYPES[kind]}, got {_short(value)}")
            if "maxLength" in spec and len(value) > spec["maxLength"]:
                raise ToolError(f"{key} is too long ({len(value)} characters; at most {spec['maxLength']})")
        elif kind == "boolean" and not isinstance(value, bool):
            raise ToolError(f"{key} must be {_JSON_TYPES[kind]}, got {_short(value)}")
        if "enum" in spec:
            if value not in spec["enum"]:
                folded = [e for e in spec["enum"] if isinstance(value, str) and isinstance(e, str)
                          and e.lower() == value.strip().lower()]
                if len(folded) != 1:
                    raise ToolError(f"unknown {key} {_short(value)}; valid values: {', '.join(map(str, spec['enum']))}")
                value = folded[0]
        if "minimum" in spec and value < spec["minimum"]:
            raise ToolError(f"{key} must be at least {spec['minimum']}, got {value}")
        if "maximum" in spec and value > spec["maximum"]:
            raise ToolError(f"{key} must be at most {spec['maximum']}, got {value}; narrow the filters instead")
        clean[key] = value
    return clean


def _parse_time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ToolError(f"{name} {_short(value)} is not an ISO 8601 time; use e.g. 2026-11-18T13:30:00Z") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


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


def _iso_ns(ns: int, ms: bool = False) -> str:
    """ns since the epoch -> ISO 8601 UTC; ``ms=True`` always shows milliseconds (the app.log form)."""
    when = datetime.fromtimestamp(ns // 1_000_000_000, tz=timezone.utc)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    milli = (ns % 1_000_000_000) // 1_000_000
    return f"{text}.{milli:03d}Z" if ms or milli else text + "Z"


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


def _num(x: float, digits: int = 1):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < 1e15 else round(x, digits)


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
