"""The Incident-2277 evidence in data/ tells the story in docs/design.md, recomputed from the files."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from helpers.timestamps import parse_iso

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
KEYS = ["ts", "level", "service", "route", "status", "latency_ms", "trace_id", "msg"]
SERVICES = {"checkout", "payments", "cart", "catalog", "search", "auth"}
WINDOW = (datetime(2026, 11, 18, 12, tzinfo=timezone.utc), datetime(2026, 11, 18, 16, tzinfo=timezone.utc))
ONSET = datetime(2026, 11, 18, 14, 7, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
TS_RE = re.compile(r"^2026-11-18T\d\d:\d\d:\d\d\.\d{3}Z$")
SLOW = "slow query: SELECT * FROM inventory_reservations WHERE sku = ?"


def when(text: str) -> datetime:
    return parse_iso(text)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return (DATA / "app.log").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def records(lines) -> list[dict]:
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def checkout(records):
    """Checkout lines as arrays: ts (datetime64[ms]), latency, db_queries, status, route, level, msg."""
    rows = [r for r in records if r["service"] == "checkout"]
    return {
        "ts": np.array([r["ts"][:-1] for r in rows], dtype="datetime64[ms]"),
        "latency": np.array([r["latency_ms"] for r in rows], dtype=float),
        "db": np.array([r["db_queries"] for r in rows]),
        "status": np.array([r["status"] for r in rows]),
        "route": np.array([r["route"] for r in rows]),
        "level": np.array([r["level"] for r in rows]),
        "msg": np.array([r["msg"] for r in rows]),
    }


@pytest.fixture(scope="module")
def metrics() -> dict:
    return json.loads((DATA / "metrics.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def deploys() -> list[dict]:
    return json.loads((DATA / "deploys.json").read_text(encoding="utf-8"))["deploys"]


@pytest.fixture(scope="module")
def diff() -> str:
    return (DATA / "diff.txt").read_text(encoding="utf-8")


def np_time(dt: datetime) -> np.datetime64:
    return np.datetime64(dt.replace(tzinfo=None), "ms")


def in_hour(ts: np.ndarray, start: datetime) -> np.ndarray:
    return (ts >= np_time(start)) & (ts < np_time(start + HOUR))


# --------------------------------------------------------------------------- app.log

def test_log_has_70000_compact_lines_with_the_documented_keys(lines, records):
    assert len(lines) == 70_000
    for line, rec in zip(lines, records, strict=True):
        assert isinstance(rec, dict)
        expected = KEYS + (["db_queries"] if rec["service"] == "checkout" else [])
        assert list(rec) == expected, line
        assert json.dumps(rec, separators=(",", ":")) == line  # compact separators, nothing else on the line
        assert TS_RE.match(rec["ts"]), rec["ts"]
        assert isinstance(rec["status"], int) and isinstance(rec["latency_ms"], int)
        assert re.fullmatch(r"[0-9a-f]{16}", rec["trace_id"])
    assert (DATA / "app.log").read_bytes().endswith(b"\n")


def test_log_is_sorted_in_the_window_with_realistic_variety(records):
    stamps = [r["ts"] for r in records]
    assert stamps == sorted(stamps)
    assert WINDOW[0] <= when(stamps[0]) and when(stamps[-1]) < WINDOW[1]
    assert {r["service"] for r in records} == SERVICES
    assert {r["level"] for r in records} == {"INFO", "WARN", "ERROR"}
    classes = {r["status"] // 100 for r in records}
    assert classes == {2, 4, 5}
    for svc in SERVICES:
        assert len({r["route"] for r in records if r["service"] == svc}) >= 2, svc
    assert len({r["msg"] for r in records}) >= 20
    size = (DATA / "app.log").stat().st_size
    assert 2_000_000 < size < 16_000_000


def test_levels_match_statuses(records):
    for r in records:
        if r["status"] >= 500:
            assert r["level"] == "ERROR", r
        elif r["status"] >= 400:
            assert r["level"] == "WARN", r


def test_checkout_db_queries_jump_after_the_deploy(checkout):
    before = checkout["ts"] < np_time(ONSET)
    db = checkout["db"]
    assert db[before].min() >= 3 and db[before].max() <= 8
    n_plus_one = np.isin(checkout["route"], ["GET /checkout/summary", "POST /checkout/submit"])
    after = ~before & n_plus_one
    assert np.median(db[after]) >= 10  # tens ...
    assert db[after].max() >= 100  # ... to hundreds
    assert np.median(db[after]) > 4 * np.median(db[before])


def test_slow_query_warnings_and_504s_only_after_the_deploy(checkout):
    deploy = np_time(datetime(2026, 11, 18, 14, 5, 30, tzinfo=timezone.utc))
    slow = (checkout["msg"] == SLOW) & (checkout["level"] == "WARN")
    timeouts = (checkout["status"] == 504) & (checkout["msg"] == "upstream timeout")
    assert slow.sum() >= 100 and timeouts.sum() >= 3
    assert checkout["ts"][slow].min() >= deploy
    assert checkout["ts"][timeouts].min() >= deploy
    assert checkout["db"][slow].min() >= 10


def test_p99_ratio_from_the_log(checkout):
    p99_before = np.percentile(checkout["latency"][in_hour(checkout["ts"], ONSET - HOUR)], 99)
    p99_after = np.percentile(checkout["latency"][in_hour(checkout["ts"], ONSET)], 99)
    assert 9 <= p99_after / p99_before <= 11, (p99_before, p99_after)


# --------------------------------------------------------------------------- metrics.json

def metric_hour(metrics, service, name, start) -> np.ndarray:
    ts = np.array([t[:-1] for t in metrics["timestamps"]], dtype="datetime64[ms]")
    values = np.array(metrics["services"][service][name], dtype=float)
    return values[in_hour(ts, start)]


def test_metrics_structure(metrics):
    assert metrics["window"] == {"start": "2026-11-18T12:00:00Z", "end": "2026-11-18T16:00:00Z", "step_seconds": 60}
    assert metrics["onset"] == "2026-11-18T14:07:00Z"
    assert len(metrics["timestamps"]) == 240
    assert metrics["timestamps"][0] == "2026-11-18T12:00:00Z" and metrics["timestamps"][-1] == "2026-11-18T15:59:00Z"
    assert set(metrics["services"]) == SERVICES
    for svc, series in metrics["services"].items():
        assert set(series) == {"rpm", "p50_ms", "p95_ms", "p99_ms", "failure_rate"}, svc
        for name, values in series.items():
            assert len(values) == 240 and all(v is not None for v in values), (svc, name)
        assert all(0 <= f <= 1 for f in series["failure_rate"])
        assert all(a <= b <= c for a, b, c in zip(series["p50_ms"], series["p95_ms"], series["p99_ms"], strict=True))


def test_p99_ratio_from_metrics_agrees_with_the_log(metrics, checkout):
    ratio_metrics = (metric_hour(metrics, "checkout", "p99_ms", ONSET).mean()
                     / metric_hour(metrics, "checkout", "p99_ms", ONSET - HOUR).mean())
    assert 9 <= ratio_metrics <= 11
    ratio_log = (np.percentile(checkout["latency"][in_hour(checkout["ts"], ONSET)], 99)
                 / np.percentile(checkout["latency"][in_hour(checkout["ts"], ONSET - HOUR)], 99))
    assert abs(ratio_metrics - ratio_log) / ratio_log <= 0.15, (ratio_metrics, ratio_log)


def test_metrics_are_the_per_minute_aggregates_of_the_log(metrics, records):
    counts: dict[str, list[int]] = {s: [0] * 240 for s in SERVICES}
    lat: dict[int, list[int]] = {}
    for r in records:
        minute = (int(r["ts"][11:13]) - 12) * 60 + int(r["ts"][14:16])
        counts[r["service"]][minute] += 1
        if r["service"] == "checkout":
            lat.setdefault(minute, []).append(r["latency_ms"])
    for svc in SERVICES:
        assert metrics["services"][svc]["rpm"] == counts[svc], svc
    for minute in (0, 126, 127, 200):
        assert metrics["services"]["checkout"]["p99_ms"][minute] == pytest.approx(np.percentile(lat[minute], 99), abs=0.06)


def test_failure_rate_rises_visibly_and_other_services_stay_flat(metrics):
    before = metric_hour(metrics, "checkout", "failure_rate", ONSET - HOUR).mean()
    after = metric_hour(metrics, "checkout", "failure_rate", ONSET).mean()
    assert after > 4 * before and after >= 0.005
    for svc in SERVICES - {"checkout"}:
        ratio = metric_hour(metrics, svc, "p99_ms", ONSET).mean() / metric_hour(metrics, svc, "p99_ms", ONSET - HOUR).mean()
        assert 0.7 < ratio < 1.4, (svc, ratio)


# --------------------------------------------------------------------------- deploys.json

def test_deploys_fields_and_window(deploys):
    fields = ["id", "service", "version", "author", "timestamp", "commit", "description"]
    assert len(deploys) >= 6
    assert len({d["id"] for d in deploys}) == len(deploys)
    assert len({d["service"] for d in deploys}) >= 4
    for d in deploys:
        assert list(d) == fields
        assert d["service"] in SERVICES and re.fullmatch(r"dep_\d+", d["id"]) and re.fullmatch(r"[0-9a-f]{7}", d["commit"])
        assert WINDOW[0] <= when(d["timestamp"]) < WINDOW[1]
    stamps = [d["timestamp"] for d in deploys]
    assert stamps == sorted(stamps)


def test_exactly_one_checkout_deploy_just_before_onset_is_dep_4820(deploys):
    near = [d for d in deploys if d["service"] == "checkout"
            and ONSET - timedelta(minutes=2) <= when(d["timestamp"]) < ONSET]
    assert [d["id"] for d in near] == ["dep_4820"]
    assert near[0] == {
        "id": "dep_4820", "service": "checkout", "version": "v2.14.0", "author": "priya.raman",
        "timestamp": "2026-11-18T14:05:30Z", "commit": "9c41e7b",
        "description": "Order summary: show inventory reservation per line item",
    }


def test_red_herrings(deploys):
    by_id = {d["id"]: d for d in deploys}
    assert (by_id["dep_4819"]["service"], by_id["dep_4819"]["timestamp"]) == ("payments", "2026-11-18T13:58:40Z")
    assert (by_id["dep_4822"]["service"], by_id["dep_4822"]["timestamp"]) == ("cart", "2026-11-18T14:31:10Z")
    assert when(by_id["dep_4819"]["timestamp"]) < ONSET < when(by_id["dep_4822"]["timestamp"])


# --------------------------------------------------------------------------- diff.txt

def file_sections(diff: str) -> dict[str, str]:
    parts = re.split(r"(?m)^diff --git a/(\S+) b/\S+\n", diff)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_diff_header(diff):
    head = diff.split("\ndiff --git", 1)[0]
    assert re.match(r"commit 9c41e7b[0-9a-f]{33}\n", head)
    assert "Author: Priya Raman <priya.raman@" in head
    assert "Date:   Wed Nov 18" in head and "2026" in head
    assert "Order summary: show inventory reservation per line item" in head


def test_diff_hunks_are_well_formed(diff):
    sections = file_sections(diff)
    assert len(sections) >= 3  # the culprit plus unrelated hunks
    for path, body in sections.items():
        lines = body.splitlines()
        assert lines[0].startswith("index ") and lines[1] == f"--- a/{path}" and lines[2] == f"+++ b/{path}"
        i = 3
        while i < len(lines):
            m = re.match(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@", lines[i])
            assert m, (path, lines[i])
            old, new = int(m.group(1) or 1), int(m.group(2) or 1)
            i += 1
            while old or new:
                tag = lines[i][:1]
                assert tag in " +-", (path, lines[i])
                old -= tag in " -"
                new -= tag in " +"
                i += 1
            assert old == 0 and new == 0, path


def test_diff_adds_a_query_inside_the_loop_over_order_items(diff):
    body = file_sections(diff)["services/checkout/order_summary.py"]
    new_side = [(line[0], line[1:]) for line in body.splitlines()[3:] if line[:1] in " +"]
    loop = next(i for i, (_, text) in enumerate(new_side) if text.strip() == "for item in order.items:")
    indent = len(new_side[loop][1]) - len(new_side[loop][1].lstrip())
    added_in_loop = []
    for tag, text in new_side[loop + 1:]:
        if text.strip() and len(text) - len(text.lstrip()) <= indent:
            break  # left the loop body
        if tag == "+":
            added_in_loop.append(text.strip())
    assert any(re.search(r"db\.query\(InventoryReservation\)\.filter_by\(sku=item\.sku\)\.first\(\)", t)
               for t in added_in_loop), added_in_loop
    assert not any(line.startswith("-") and "db.query" in line for line in body.splitlines()[3:])


# --------------------------------------------------------------------------- generator and README

def test_generator_reproduces_the_files_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_data.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, timeout=120)
    for name in ("app.log", "metrics.json", "deploys.json", "diff.txt", "README.md"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_readme_describes_every_file_and_field():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for word in ["app.log", "metrics.json", "deploys.json", "diff.txt", *KEYS, "db_queries", "rpm", "p50_ms",
                 "p95_ms", "p99_ms", "failure_rate", "timestamps", "version", "author", "commit", "description"]:
        assert f"`{word}`" in readme or word in readme, word
