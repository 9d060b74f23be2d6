"""The evidence of Incident-2277 and where it comes from.

Where the evidence comes from is one small interface, :class:`IncidentSource`; the default :class:`FileSource` reads
``data/``. Swap it with :func:`set_source`. :func:`logs`, :func:`metrics_frame`, :func:`deploys_frame` give the
current source's evidence as pandas frames; :func:`log_columns` gives its log as numpy arrays (:class:`LogColumns`),
what ``query_logs`` and the dashboard's Logs panel filter. ``app.log`` is parsed once, with one regular expression,
and the parsed columns are kept in the workshop's cache folder (:func:`load_log_columns`), so later kernels load them
instead. numpy and pandas are imported where they are used.
"""
from __future__ import annotations

import json
import math
import re
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "SERVICES", "LEVELS", "METRICS", "LOG_COLUMNS",
    "IncidentSource", "FileSource", "MemorySource", "get_source", "set_source",
    "logs", "metrics_frame", "deploys_frame", "logs_frame", "LogColumns", "log_columns",
    "load_log_columns", "log_columns_cache_file", "columns_cache_dir", "split_commits",
]

SERVICES = ("auth", "cart", "catalog", "checkout", "payments", "search")
LEVELS = ("INFO", "WARN", "ERROR")
METRICS = ("rpm", "p50_ms", "p95_ms", "p99_ms", "failure_rate")
LOG_COLUMNS = ("ts", "level", "service", "route", "status", "latency_ms", "trace_id", "msg", "db_queries")


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
    from ..settings import cache_dir

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
    from ..cache import write_atomic

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

    from ..cache import write_atomic

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
            from ..settings import DATA_DIR

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


# =========================================================================== the app.log form of times and numbers


def _iso_ns(ns: int, ms: bool = False) -> str:
    """ns since the epoch -> ISO 8601 UTC; ``ms=True`` always shows milliseconds (the app.log form)."""
    when = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=ns // 1_000_000_000)  # any year, any OS
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    milli = (ns % 1_000_000_000) // 1_000_000
    return f"{text}.{milli:03d}Z" if ms or milli else text + "Z"


def _num(x: float, digits: int = 1):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < 1e15 else round(x, digits)
