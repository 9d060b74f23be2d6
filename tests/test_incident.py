"""helpers.incident: the custom tools state the incident's facts, fail with clear errors, never raise."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from anthropic.types.beta import agent_create_params
from anthropic.types.beta.beta_managed_agents_custom_tool_params import BetaManagedAgentsCustomToolParams
from anthropic.types.beta.sessions.beta_managed_agents_user_custom_tool_result_event_params import (
    BetaManagedAgentsUserCustomToolResultEventParams,
)
from pydantic import TypeAdapter

from helpers import incident
from helpers.incident import CUSTOM_TOOLS, MemorySource, evidence, handle_tool, run_tool

ROOT = Path(__file__).resolve().parent.parent
APP_LOG = ROOT / "data" / "app.log"
N_PLUS_ONE = "db.query(InventoryReservation).filter_by(sku=item.sku).first()"


@pytest.fixture(autouse=True)
def default_source():
    """Every test starts and ends on the default data/ files."""
    incident.set_source(None)
    yield
    incident.set_source(None)


@pytest.fixture(scope="module")
def raw_lines() -> list[str]:
    return APP_LOG.read_text(encoding="utf-8").splitlines()


def ok(name, args) -> dict:
    result = run_tool(name, args)
    assert not result.is_error, result.text
    return json.loads(result.text) if name != "get_diff" else result.text


def err(name, args) -> str:
    result = run_tool(name, args)
    assert result.is_error, result.text
    assert result.text.startswith("Error: ")
    assert handle_tool(name, args) == result.text
    return result.text


# --------------------------------------------------------------------------- the tool definitions

def test_custom_tools_validate_as_the_sdk_param():
    adapter = TypeAdapter(BetaManagedAgentsCustomToolParams)
    assert [t["name"] for t in CUSTOM_TOOLS] == ["query_logs", "get_metrics", "list_deploys", "get_diff"]
    for tool in CUSTOM_TOOLS:
        assert adapter.validate_python(tool) == tool
        assert set(tool) == {"type", "name", "description", "input_schema"}
        assert tool["type"] == "custom" and re.fullmatch(r"[A-Za-z0-9_-]{1,128}", tool["name"])
        assert len(tool["description"]) > 150
        schema = tool["input_schema"]
        assert schema["type"] == "object"
        assert set(schema["required"]) <= set(schema["properties"])
        for prop in schema["properties"].values():
            assert prop["type"] in {"string", "integer"} and len(prop["description"]) > 10
    # what client.beta.agents.create(tools=...) accepts, as plain JSON
    assert TypeAdapter(list[agent_create_params.Tool]).validate_python(CUSTOM_TOOLS) == CUSTOM_TOOLS
    assert json.loads(json.dumps(CUSTOM_TOOLS)) == CUSTOM_TOOLS


def test_tool_result_event_validates_as_the_sdk_param():
    adapter = TypeAdapter(BetaManagedAgentsUserCustomToolResultEventParams)
    for result in (run_tool("list_deploys", {}), run_tool("nope", {})):
        event = result.event("sevt_123")
        adapter.validate_python(event)
        assert event["is_error"] is result.is_error and event["content"][0]["text"] == result.text


def test_import_is_cheap_and_does_not_load_pandas():
    code = "import sys, helpers.incident; assert 'pandas' not in sys.modules and 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


# --------------------------------------------------------------------------- the facts

def test_list_deploys_around_onset_shows_dep_4820():
    out = ok("list_deploys", {"start": "2026-11-18T13:50:00Z", "end": "2026-11-18T14:10:00Z"})
    ids = [d["id"] for d in out["deploys"]]
    assert ids == ["dep_4819", "dep_4820"]
    dep = out["deploys"][1]
    assert (dep["service"], dep["timestamp"], dep["commit"], dep["version"]) == (
        "checkout", "2026-11-18T14:05:30Z", "9c41e7b", "v2.14.0")
    checkout = ok("list_deploys", {"service": "checkout"})
    assert [d["id"] for d in checkout["deploys"]] == ["dep_4814", "dep_4820"]
    later = ok("list_deploys", {"start": "2026-11-18T14:07:00Z"})
    assert "dep_4822" in [d["id"] for d in later["deploys"]] and "dep_4820" not in [d["id"] for d in later["deploys"]]
    everything = ok("list_deploys", {})
    assert everything["count"] == len(everything["deploys"]) >= 8
    none = ok("list_deploys", {"start": "2026-11-19T00:00:00Z"})
    assert none["count"] == 0 and "note" in none


def test_get_diff_by_deploy_and_by_commit():
    by_deploy = ok("get_diff", {"ref": "dep_4820"})
    assert by_deploy.startswith("commit 9c41e7b")
    assert N_PLUS_ONE in by_deploy and "for item in order.items:" in by_deploy
    assert ok("get_diff", {"ref": "9c41e7b"}) == by_deploy
    assert ok("get_diff", {"ref": "9C41E7B4A2D86F1035E9C7B2D4F8A61E3C5B9D70"}) == by_deploy
    only = ok("get_diff", {"ref": "DEP_4820", "path": "order_summary.py"})
    files = re.findall(r"^diff --git a/(\S+)", only, re.MULTILINE)
    assert files == ["services/checkout/order_summary.py", "services/checkout/tests/test_order_summary.py"]
    assert only.startswith("commit 9c41e7b")  # the header stays
    assert N_PLUS_ONE in ok("get_diff", {"ref": "dep_4820", "path": "checkout/order_summary.py"})


def test_query_logs_shows_the_slow_queries_after_the_deploy(raw_lines):
    out = ok("query_logs", {"service": "checkout", "level": "WARN", "contains": "slow query", "limit": 3})
    expected = sum(1 for line in raw_lines if '"level":"WARN","service":"checkout"' in line and "slow query" in line)
    assert out["matched"] == expected > 100
    assert out["first_ts"] >= "2026-11-18T14:05:30Z"
    assert out["db_queries"]["min"] >= 10 and out["db_queries"]["max"] >= 100
    assert len(out["samples"]) == 3
    for sample in out["samples"]:
        assert sample["msg"] == "slow query: SELECT * FROM inventory_reservations WHERE sku = ?"
        assert json.dumps(sample, separators=(",", ":")) in raw_lines  # samples are the file's own lines
    assert sum(out["timeline"]["counts"].values()) == expected
    assert all(v == 0 for k, v in out["timeline"]["counts"].items() if k < "14:00")


def test_query_logs_counts_match_the_raw_file(raw_lines):
    cases = [
        ({"status": 504}, lambda ln: '"status":504,' in ln),
        ({"status": 500}, lambda ln: '"status":500,' in ln),
        ({"status": 200, "service": "cart"}, lambda ln: '"status":200,' in ln and '"service":"cart"' in ln),
        ({"service": "checkout"}, lambda ln: '"service":"checkout"' in ln),
        ({"status_class": "5xx", "service": "payments"},
         lambda ln: '"service":"payments"' in ln and re.search(r'"status":5\d\d,', ln)),
        ({"contains": "UPSTREAM timeout"}, lambda ln: "upstream timeout" in ln),
        ({"contains": "/checkout/summary", "level": "error"}, lambda ln: "/checkout/summary" in ln and '"level":"ERROR"' in ln),
        ({"start": "2026-11-18T14:07:00Z", "end": "2026-11-18T14:08:00Z"},
         lambda ln: "2026-11-18T14:07:" in ln),
    ]
    for args, pred in cases:
        out = ok("query_logs", args)
        assert out["matched"] == sum(1 for line in raw_lines if pred(line)), args
        assert sum(out["by_status"].values()) == out["matched"]
    assert ok("query_logs", {})["matched"] == 70_000


def test_query_logs_before_and_after_db_queries():
    before = ok("query_logs", {"service": "checkout", "end": "2026-11-18T14:05:30Z", "limit": 0})
    after = ok("query_logs", {"service": "checkout", "contains": "summary", "start": "2026-11-18T14:07:00Z"})
    assert before["db_queries"]["min"] >= 3 and before["db_queries"]["max"] <= 8
    assert after["db_queries"]["p50"] >= 10 and after["db_queries"]["max"] >= 100
    assert before["samples"] == []
    assert "db_queries" not in ok("query_logs", {"service": "auth"})


def test_get_metrics_shows_the_ten_fold_p99_jump():
    out = ok("get_metrics", {"service": "checkout", "metric": "p99_ms", "compare_at": "2026-11-18T14:07:00Z"})
    assert 9 <= out["comparison"]["ratio"] <= 11
    assert out["comparison"]["before"]["window"] == ["2026-11-18T13:07:00Z", "2026-11-18T14:07:00Z"]
    assert out["unit"] == "ms" and out["series"]["step"] == "5m" and len(out["series"]["values"]) == 48
    assert out["peak"]["ts"] >= "2026-11-18T14:07:00Z"
    hourly = ok("get_metrics", {"service": "checkout", "metric": "p99_ms", "step": "1h"})["series"]["values"]
    assert len(hourly) == 4 and hourly[3] > 5 * hourly[1]
    fails = ok("get_metrics", {"service": "checkout", "metric": "failure_rate", "compare_at": "2026-11-18T14:07:00Z"})
    assert fails["comparison"]["ratio"] > 3
    window = ok("get_metrics", {"service": "payments", "metric": "rpm", "start": "2026-11-18T14:00:00Z",
                                "end": "2026-11-18T14:30:00Z", "step": "1m"})
    assert window["window"] == ["2026-11-18T14:00:00Z", "2026-11-18T14:30:00Z"]
    assert len(window["series"]["values"]) == 30 and window["summary"]["points"] == 30
    calm = ok("get_metrics", {"service": "cart", "metric": "p99_ms", "compare_at": "2026-11-18T14:31:10Z"})
    assert 0.7 < calm["comparison"]["ratio"] < 1.4  # the cart deploy is a red herring


def test_results_stay_small():
    for name, args in [("query_logs", {"limit": 5}), ("get_metrics", {"service": "checkout", "metric": "rpm", "step": "1m"}),
                       ("list_deploys", {}), ("get_diff", {"ref": "dep_4820"})]:
        assert len(handle_tool(name, args)) < incident.MAX_RESULT_CHARS, name


# --------------------------------------------------------------------------- errors

def test_unknown_tool():
    text = err("grep_logs", {})
    assert "unknown tool 'grep_logs'" in text
    for name in ("query_logs", "get_metrics", "list_deploys", "get_diff"):
        assert name in text


@pytest.mark.parametrize("name, args, expected", [
    ("get_metrics", {"service": "checkout"}, "needs argument(s) metric"),
    ("get_diff", {}, "needs argument(s) ref"),
    ("get_diff", {"ref": None}, "needs argument(s) ref"),
    ("query_logs", {"servce": "checkout"}, "unknown argument(s) 'servce' for query_logs; valid arguments: service"),
    ("list_deploys", {"service": "cart", "limit": 3}, "unknown argument(s) 'limit'"),
    ("query_logs", {"limit": "5"}, "limit must be an integer"),
    ("query_logs", {"limit": True}, "limit must be an integer"),
    ("query_logs", {"limit": 2.5}, "limit must be an integer"),
    ("query_logs", {"status": "504"}, "status must be an integer"),
    ("query_logs", {"service": 7}, "service must be a string"),
    ("get_metrics", {"service": "checkout", "metric": ["p99_ms"]}, "metric must be a string"),
    ("query_logs", {"service": "chekout"},
     "unknown service 'chekout'; valid values: auth, cart, catalog, checkout, payments, search"),
    ("get_metrics", {"service": "checkout", "metric": "p98_ms"}, "valid values: rpm, p50_ms, p95_ms, p99_ms, failure_rate"),
    ("query_logs", {"level": "DEBUG"}, "valid values: INFO, WARN, ERROR"),
    ("query_logs", {"start": "yesterday"}, "start 'yesterday' is not an ISO 8601 time; use e.g. 2026-11-18T13:30:00Z"),
    ("get_metrics", {"service": "checkout", "metric": "rpm", "compare_at": "14h07"}, "compare_at '14h07' is not an ISO 8601"),
    ("list_deploys", {"start": "2026-11-18T15:00:00Z", "end": "2026-11-18T14:00:00Z"},
     "start 2026-11-18T15:00:00Z is not before end"),
    ("query_logs", {"start": "2026-11-18T14:00:00Z", "end": "2026-11-18T14:00:00Z"}, "is not before end"),
    ("query_logs", {"limit": 500}, "limit must be at most 50, got 500; narrow the filters"),
    ("query_logs", {"limit": -1}, "limit must be at least 0"),
    ("query_logs", {"contains": "x" * 201}, "contains is too long (201 characters; at most 200)"),
    ("get_diff", {"ref": "dep_9999"}, "unknown deploy 'dep_9999'; known deploys: dep_4814"),
    ("get_diff", {"ref": "dep_4819"}, "no diff available for deploy dep_4819 (commit c18d4f9): no diff stored"),
    ("get_diff", {"ref": "9c41"}, "too short: give at least 7 hex digits"),
    ("get_diff", {"ref": "HEAD~1"}, "neither a deploy id"),
    ("get_diff", {"ref": "dep_4820", "path": "payments.py"}, "no file in this change matches path 'payments.py'; files: "),
    # the edges of the calendar: a clear error, not Python's "year 10000 is out of range" / OverflowError
    ("get_metrics", {"service": "checkout", "metric": "p99_ms", "compare_at": "9999-12-31T23:59:59Z"},
     "compare_at '9999-12-31T23:59:59Z' is at the edge of the calendar; use a time between 0001-01-02 and 9999-12-30"),
    ("get_metrics", {"service": "checkout", "metric": "p99_ms", "compare_at": "0001-01-01T00:00:00Z"},
     "is at the edge of the calendar"),
    ("query_logs", {"start": "9999-12-31T23:59:59-05:00"}, "start '9999-12-31T23:59:59-05:00' is at the edge"),
    ("list_deploys", {"end": "0001-01-01T00:00:00+05:00"}, "end '0001-01-01T00:00:00+05:00' is at the edge"),
])
def test_bad_arguments_give_clear_errors(name, args, expected):
    assert expected in err(name, args)


def test_times_far_from_the_incident_still_answer():
    """Inside the calendar any time works: a far future end, or a comparison point in 1900 (a negative epoch time,
    which datetime.fromtimestamp refuses on Windows)."""
    assert ok("query_logs", {"end": "9999-12-30T00:00:00Z", "limit": 0})["matched"] == 70_000
    far = ok("get_metrics", {"service": "checkout", "metric": "p99_ms", "compare_at": "1900-01-01T00:00:00Z"})
    assert far["comparison"]["before"]["window"] == ["1899-12-31T23:00:00Z", "1900-01-01T00:00:00Z"]


def test_lenient_where_unambiguous():
    assert ok("query_logs", {"service": "Checkout", "level": "warn", "limit": 1.0})["filters"]["service"] == "checkout"
    assert ok("query_logs", {"start": "2026-11-18T14:07:00+00:00", "end": "2026-11-18 14:08"})["matched"] > 0
    assert ok("query_logs", {"service": None})["matched"] == 70_000  # null means not given


def test_over_large_results_are_cut_with_a_note():
    out = ok("query_logs", {"limit": 50})  # 50 full lines would exceed the cap
    assert len(json.dumps(out)) < incident.MAX_RESULT_CHARS + 500
    assert 0 < len(out["samples"]) < 50 and "narrow the filters or lower limit" in out["note"]
    big = "diff --git a/big.txt b/big.txt\n--- a/big.txt\n+++ b/big.txt\n@@ -0,0 +1,5000 @@\n" + "+x = 1\n" * 5000
    incident.set_source(MemorySource(deploys=[{"id": "dep_1", "service": "cart", "timestamp": "2026-11-18T12:00:00Z",
                                               "commit": "abcdef1"}],
                                     diffs={"abcdef1": "commit abcdef1\n\n    big\n\n" + big}))
    text = ok("get_diff", {"ref": "dep_1"})
    assert len(text) <= incident.MAX_RESULT_CHARS + 300
    assert "[truncated: showing" in text and "path=<file>" in text and "big.txt" in text.splitlines()[-1]


def test_handle_tool_never_raises():
    hostile_names = [None, 7, "", "x" * 100_000, ["query_logs"], {"name": "query_logs"}]
    hostile_inputs = [None, [], "service=checkout", 5, b"{}", {1: 2}, {"service": None}, {"service": ["checkout"]},
                      {"limit": 10 ** 100}, {"limit": float("nan")}, {"limit": float("inf")}, {"start": "x" * 1_000_000},
                      {"start": "2026-13-45T99:99:99Z"}, {"contains": "\x00\u202e"}, {"contains": {"$regex": ".*"}},
                      {"service": "checkout", "nested": {"a": [1, {"b": None}]}}, {"ref": "dep_4820" * 100},
                      {"service": "x" * 1_000_000}]
    for name in hostile_names:
        assert handle_tool(name, {}).startswith("Error: unknown tool")
    for name in ("query_logs", "get_metrics", "list_deploys", "get_diff"):
        for args in hostile_inputs:
            result = run_tool(name, args)
            assert isinstance(result.text, str) and len(result.text) < 10_000, (name, args)
            if result.is_error:
                assert result.text.startswith("Error: "), result.text
            elif name != "get_diff":
                json.loads(result.text)


# --------------------------------------------------------------------------- swapping the source

class TinySource:
    """Implements IncidentSource without subclassing it (a Datadog client would look like this)."""

    def __init__(self):
        self.log_calls = 0

    def logs(self):
        self.log_calls += 1
        return incident.logs_frame([
            {"ts": "2026-01-02T10:00:05.000Z", "level": "ERROR", "service": "search", "route": "GET /search",
             "status": 500, "latency_ms": 900, "trace_id": "00000000000000aa", "msg": "index on fire"},
            {"ts": "2026-01-02T10:00:01.000Z", "level": "INFO", "service": "checkout", "route": "GET /checkout/summary",
             "status": 200, "latency_ms": 80, "trace_id": "00000000000000bb", "msg": "ok", "db_queries": 4},
        ])

    def metrics(self):
        return {"timestamps": ["2026-01-02T10:00:00Z", "2026-01-02T10:01:00Z"],
                "services": {"search": {"rpm": [10, 10], "p99_ms": [100.0, 300.0]}}}

    def deploys(self):
        return [{"id": "dep_1", "service": "search", "version": "v1", "author": "a", "timestamp": "2026-01-02T09:59:00Z",
                 "commit": "1234567", "description": "turn it up to eleven"}]

    def diff(self, commit):
        if commit != "1234567":
            raise KeyError("only 1234567 here")
        return "commit 1234567\n\n    turn it up\n"


def test_swapping_the_source():
    src = TinySource()
    assert isinstance(src, incident.IncidentSource)
    incident.set_source(src)
    assert incident.get_source() is src
    out = ok("query_logs", {})
    assert out["matched"] == 2 and out["first_ts"] == "2026-01-02T10:00:01.000Z"  # sorted by time
    assert out["samples"][1]["msg"] == "index on fire" and "db_queries" not in out["samples"][1]
    assert out["samples"][0]["db_queries"] == 4
    assert ok("query_logs", {"service": "search", "status_class": "5xx"})["matched"] == 1
    assert ok("query_logs", {"service": "auth"})["matched"] == 0
    metric = ok("get_metrics", {"service": "search", "metric": "p99_ms", "step": "1m"})
    assert metric["series"]["values"] == [100, 300] and metric["peak"]["value"] == 300
    assert "no metrics stored for service 'cart'" in err("get_metrics", {"service": "cart", "metric": "rpm"})
    assert "no failure_rate series" in err("get_metrics", {"service": "search", "metric": "failure_rate"})
    assert [d["id"] for d in ok("list_deploys", {})["deploys"]] == ["dep_1"]
    assert ok("get_diff", {"ref": "dep_1"}).startswith("commit 1234567")
    assert "only 1234567 here" in err("get_diff", {"ref": "7654321"})
    incident.set_source(None)
    assert isinstance(incident.get_source(), incident.FileSource)
    assert ok("query_logs", {"limit": 0})["matched"] == 70_000


def test_memory_source_and_file_source_agree(tmp_path):
    frame = incident.get_source().logs()
    assert list(frame.columns) == list(incident.LOG_COLUMNS) and len(frame) == 70_000
    incident.set_source(MemorySource(logs=frame, metrics=incident.get_source().metrics()))
    assert ok("query_logs", {"service": "checkout", "contains": "slow query"})["matched"] > 100


def test_file_source_falls_back_to_json_for_other_formatting(tmp_path):
    rec = {"ts": "2026-11-18T12:00:00.000Z", "level": "INFO", "service": "cart", "route": "GET /cart",
           "status": 200, "latency_ms": 3, "trace_id": "ab", "msg": 'said "hi"'}
    (tmp_path / "app.log").write_text(json.dumps(rec) + "\n" + json.dumps(dict(rec, ts="2026-11-18T12:00:01.000Z")))
    incident.set_source(incident.FileSource(tmp_path))
    out = ok("query_logs", {"contains": '"hi"'})
    assert out["matched"] == 2 and out["samples"][0]["msg"] == 'said "hi"'


def test_broken_source_is_an_error_not_an_exception():
    class Broken(TinySource):
        def logs(self):
            raise ConnectionError("datadog is down")

    incident.set_source(Broken())
    text = err("query_logs", {})
    assert "ConnectionError: datadog is down" in text
    with pytest.raises(TypeError):
        incident.set_source(object())


def test_frames_for_notebooks_and_the_dashboard():
    m = incident.metrics_frame()
    assert list(m.columns) == ["ts", "service", "rpm", "p50_ms", "p95_ms", "p99_ms", "failure_rate"]
    assert len(m) == 6 * 240 and str(m["ts"].dt.tz) == "UTC"
    checkout = m[m["service"] == "checkout"].set_index("ts")["p99_ms"]
    ratio = checkout["2026-11-18 14:07":"2026-11-18 15:06"].mean() / checkout["2026-11-18 13:07":"2026-11-18 14:06"].mean()
    assert 9 <= ratio <= 11
    d = incident.deploys_frame()
    culprit = d[d["id"] == "dep_4820"].iloc[0]
    assert culprit["timestamp"].isoformat() == "2026-11-18T14:05:30+00:00" and culprit["commit"] == "9c41e7b"
    frame = incident.logs()
    assert frame["db_queries"].notna().sum() == (frame["service"] == "checkout").sum()


# ----------------------------------------------------------------------------------------------- parsed-log cache
def _big_log(path: Path, status: int = 200) -> Path:
    """A log over the cache's 1 MB threshold: 6,000 records, the first one's status given."""
    rec = {"ts": "2026-11-18T12:00:00.000Z", "level": "INFO", "service": "cart", "route": "GET /cart", "status": 200,
           "latency_ms": 3, "trace_id": "ab", "msg": "x" * 120}
    lines = [json.dumps(dict(rec, status=status if i == 0 else 200)) for i in range(6000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > evidence._COLUMNS_CACHE_MIN_BYTES
    return path


def _count_hashes(monkeypatch) -> list:
    calls: list = []
    real = evidence._digest
    monkeypatch.setattr(evidence, "_digest", lambda data: calls.append(len(data)) or real(data))
    return calls


def test_log_cache_remembers_the_hash_of_an_unchanged_file(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(evidence, "_RACY_NS", 0)  # written a moment ago: trusted at once here (the rule: below)
    log = _big_log(tmp_path / "app.log")
    hashes = _count_hashes(monkeypatch)
    first = incident.load_log_columns(log)
    assert first.n == 6000 and len(hashes) == 1
    memo = json.loads((tmp_path / "cache" / evidence._DIGESTS_FILE).read_text())
    assert list(memo["files"]) == [str(log.resolve())]
    assert incident.load_log_columns(log).n == 6000 and len(hashes) == 1  # stat() unchanged: not read, not hashed
    digest = memo["files"][str(log.resolve())]["digest"]
    assert incident.log_columns_cache_file(log) == tmp_path / "cache" / f"applog-{digest}.npz"
    assert len(hashes) == 1


def test_log_cache_hashes_again_a_file_rewritten_with_the_same_size_and_time(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(evidence, "_RACY_NS", 0)
    log = _big_log(tmp_path / "app.log", status=200)
    assert incident.load_log_columns(log).status[0] == 200
    mtime = log.stat().st_mtime_ns
    _big_log(log, status=500)  # same size; a coarse clock, or touch -r, keeps the modification time
    import os

    os.utime(log, ns=(mtime, mtime))
    assert log.stat().st_mtime_ns == mtime
    assert incident.load_log_columns(log).status[0] == 500  # the change time moved: hashed again, parsed again


def test_log_cache_does_not_trust_a_hash_taken_right_after_a_change(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path / "cache"))
    log = _big_log(tmp_path / "app.log")  # just written: within one tick of a coarse clock of its hash
    hashes = _count_hashes(monkeypatch)
    incident.load_log_columns(log)
    incident.load_log_columns(log)
    assert len(hashes) == 2  # racy: hashed again (then remembered with a later time)
    monkeypatch.setattr(evidence, "_RACY_NS", 0)  # as if two seconds had passed
    incident.load_log_columns(log)
    assert len(hashes) == 2


def test_log_cache_survives_a_corrupt_memo(monkeypatch, tmp_path):
    cache = tmp_path / "cache"
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(cache))
    log = _big_log(tmp_path / "app.log")
    cache.mkdir()
    for junk in ("{not json", '{"format": "logcolumns-1", "files": []}', json.dumps(
            {"format": evidence._COLUMNS_CACHE_FORMAT,
             "files": {str(log.resolve()): {"stat": "x", "hashed_at_ns": None, "digest": "../../etc/passwd"}}})):
        (cache / evidence._DIGESTS_FILE).write_text(junk)
        assert incident.load_log_columns(log).n == 6000
    memo = json.loads((cache / evidence._DIGESTS_FILE).read_text())
    assert re.fullmatch(r"[0-9a-f]{40}", memo["files"][str(log.resolve())]["digest"])
    with pytest.raises(FileNotFoundError):
        incident.load_log_columns(tmp_path / "missing.log")
