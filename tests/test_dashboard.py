"""helpers.dashboard without a browser: the panels' data, the SRE Agent panel's state machine,
escaping, and the widget tree.

Counts are checked against the raw app.log text (plain string tests on each line), not against pandas,
so the filters are tested by something independent of them.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import pytest

from helpers import dashboard as d
from helpers.dashboard import agent_panel, charts, data
from helpers.settings import DATA_DIR, ROOT
from helpers.timestamps import parse_iso
from support.recordings import sdk_events


@pytest.fixture(scope="module")
def raw_lines() -> list[str]:
    return (DATA_DIR / "app.log").read_text().splitlines()


@pytest.fixture(scope="module")
def raw_records(raw_lines) -> list[dict]:
    return [json.loads(line) for line in raw_lines]


def _ts(text: str):
    return parse_iso(text)


class TestLogs:
    """The Logs panel's data: the whole log as a frame, each filter checked against the raw lines, paging."""

    def test_all_logs_frame_has_every_line(self, raw_lines):
        df = d.all_logs_frame()
        assert len(df) == len(raw_lines) == 70_000
        assert str(df["ts"].dt.tz) == "UTC"
        page, total = d.filter_logs()
        assert total == 70_000 and len(page) == 50

    @pytest.mark.parametrize("service", d.SERVICES)
    def test_filter_by_service(self, raw_lines, service):
        page, total = d.filter_logs(service=service, page_size=200)
        assert total == sum(f'"service":"{service}"' in line for line in raw_lines) > 0
        assert set(page["service"]) == {service}

    @pytest.mark.parametrize("level", ["INFO", "WARN", "ERROR"])
    def test_filter_by_level(self, raw_lines, level):
        page, total = d.filter_logs(level=level.lower(), page_size=100)  # case-insensitive
        assert total == sum(f'"level":"{level}"' in line for line in raw_lines) > 0
        assert set(page["level"]) == {level}

    def test_filter_by_status(self, raw_records):
        _, total = d.filter_logs(status=504)
        assert total == sum(r["status"] == 504 for r in raw_records) > 0
        assert d.filter_logs(status="504")[1] == total
        page, total_5xx = d.filter_logs(status="5xx", page_size=500)
        assert total_5xx == sum(500 <= r["status"] < 600 for r in raw_records) > total
        assert page["status"].between(500, 599).all()
        assert d.filter_logs(status=[500, 504])[1] == sum(r["status"] in (500, 504) for r in raw_records)

    def test_filter_by_text_is_a_case_insensitive_substring(self, raw_lines):
        page, total = d.filter_logs(text="SLOW QUERY: select * FROM inventory_reservations")
        assert total == sum("slow query: SELECT * FROM inventory_reservations" in line for line in raw_lines) > 0
        assert page["msg"].str.startswith("slow query").all()
        # Regex characters are literal.
        assert d.filter_logs(text="sku = ?")[1] == total
        assert d.filter_logs(text="no such message anywhere")[1] == 0

    def test_filter_by_text_matches_the_route_too(self, raw_records):
        _, total = d.filter_logs(text="/CHECKOUT/summary")
        assert total == sum("/checkout/summary" in r["route"] or "/checkout/summary" in r["msg"] for r in raw_records) > 0

    def test_filter_by_time_range_is_half_open(self, raw_records):
        start, end = "2026-11-18T14:07:00Z", "2026-11-18T14:08:00Z"
        expected = sum(start[:-1] <= r["ts"][:19] < end[:-1] for r in raw_records)
        page, total = d.filter_logs(start=start, end=end, page_size=10_000)
        assert total == expected > 0
        assert page["ts"].min() >= _ts(start) and page["ts"].max() < _ts(end)
        # A line's own timestamp: included as start, excluded as end.
        ts = raw_records[1000]["ts"]
        assert d.filter_logs(start=ts, end=ts)[1] == 0
        first, _ = d.filter_logs(start=ts, page_size=1)
        assert first["ts"][0] == _ts(ts)
        # datetime objects work as well as strings.
        assert d.filter_logs(start=_ts(start), end=_ts(end))[1] == total

    def test_combined_filters(self, raw_records):
        page, total = d.filter_logs(
            service="checkout", level="WARN", text="slow query", start="2026-11-18T14:00:00Z", page_size=1000
        )
        expected = sum(
            r["service"] == "checkout" and r["level"] == "WARN" and "slow query" in r["msg"] and r["ts"] >= "2026-11-18T14:00"
            for r in raw_records
        )
        assert total == expected > 0
        # The N+1 evidence: checkout slow-query lines after the deploy carry tens to hundreds of queries.
        assert page["db_queries"].min() >= 10
        assert d.filter_logs(service="checkout", text="slow query", end="2026-11-18T14:05:30Z")[1] == 0

    def test_paging_boundaries_and_totals(self):
        size = 50
        _, total = d.filter_logs(service="checkout", status="5xx", page_size=size)
        assert total > size  # several pages
        pages = -(-total // size)
        seen = []
        for p in range(pages):
            page, t = d.filter_logs(service="checkout", status="5xx", page=p, page_size=size)
            assert t == total
            assert len(page) == (size if p < pages - 1 else total - size * (pages - 1))
            seen.extend(page["trace_id"])
        whole, _ = d.filter_logs(service="checkout", status="5xx", page_size=10_000)
        assert seen == list(whole["trace_id"])  # pages are disjoint, in order, and cover everything
        # Out-of-range pages are clamped.
        last, _ = d.filter_logs(service="checkout", status="5xx", page=pages + 5, page_size=size)
        assert list(last["trace_id"]) == seen[size * (pages - 1):]
        first, _ = d.filter_logs(service="checkout", status="5xx", page=-3, page_size=size)
        assert list(first["trace_id"]) == seen[:size]
        empty, t = d.filter_logs(text="no such message anywhere", page=2)
        assert t == 0 and len(empty) == 0

    @pytest.mark.parametrize("filters", [
        {}, {"service": "checkout"}, {"level": "warn"}, {"status": "5xx"}, {"status": [500, 504]}, {"status": ">=500"},
        {"text": "SLOW QUERY"}, {"text": "/checkout/summary", "level": "all"},
        {"start": "2026-11-18T14:07:00Z", "end": "2026-11-18T14:08:00Z"},
        {"service": "checkout", "level": "WARN", "text": "slow query", "start": "2026-11-18T14:00:00Z"},
        {"service": "cart", "status": 999},
    ])
    @pytest.mark.parametrize("page", [0, 3, 10_000])
    def test_the_logs_panel_rows_are_filter_logs_rows(self, filters, page):
        """The Logs panel reads log_records (plain rows, no pandas); filter_logs (a DataFrame) selects with the same
        code (_log_selection), so this checks the rows, the table and the clamped page, not the selection: the filter tests
        above check filter_logs against the raw text of app.log."""
        frame, total = d.filter_logs(**filters, page=page, page_size=25)
        rows, total_rows, clamped = d.log_records(**filters, page=page, page_size=25)
        assert total_rows == total and len(rows) == len(frame)
        assert clamped == (min(page, max(0, (total - 1) // 25)))
        assert d.logs_table_html(rows, total, clamped, 25) == d.logs_table_html(frame, total, clamped, 25)
        if rows:
            assert [r["trace_id"] for r in rows] == list(frame["trace_id"])
            assert rows[0]["ts"] == frame["ts"][0]


class TestMetricsChart:
    """The Metrics panel: one service's frame in a window, the chart's PNG, its labels, its cache, the shipped charts."""

    def test_service_metrics_frame_one_service_in_window(self):
        df = d.service_metrics_frame("checkout", "2026-11-18T13:00:00Z", "2026-11-18T14:00:00Z")
        assert len(df) == 60 and set(df["service"]) == {"checkout"}
        assert {"ts", "p99_ms", "failure_rate"} <= set(df.columns)
        assert df["ts"].min() == _ts("2026-11-18T13:00:00Z") and df["ts"].max() == _ts("2026-11-18T13:59:00Z")
        assert len(d.service_metrics_frame(None, "2026-11-18T13:00:00Z", "2026-11-18T13:10:00Z")) == 10 * len(d.SERVICES)

    def test_metrics_show_the_spike_after_onset(self):
        before = d.service_metrics_frame("checkout", "2026-11-18T13:07:00Z", "2026-11-18T14:07:00Z")["p99_ms"].median()
        after = d.service_metrics_frame("checkout", "2026-11-18T14:07:00Z", "2026-11-18T15:07:00Z")["p99_ms"].median()
        assert after > 5 * before

    def test_metrics_chart_is_a_png(self, monkeypatch):
        monkeypatch.setenv("WORKSHOP_CACHE_DIR", "off")  # draw every time (no chart cache hit)
        png = d.render_metrics_png("checkout", "2026-11-18T13:30:00Z", "2026-11-18T14:30:00Z", highlight="dep_4820")
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
        assert d.render_metrics_png("all")[:4] == b"\x89PNG"
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert d.render_metrics_png("cart", "2026-11-18T14:00:00Z", "2026-11-18T14:00:00Z")[:4] == b"\x89PNG"

    @pytest.mark.parametrize("service, start, minutes", [
        ("checkout", None, None), ("all", None, None), ("payments", None, None),
        ("auth", "2026-11-18T13:00:00Z", 30), ("search", "2026-11-18T15:00:00Z", 30),
        ("checkout", "2026-11-18T14:05:00Z", 5), ("all", "2026-11-18T12:10:00Z", 5), ("cart", "2026-11-18T14:00:00Z", 5),
    ])
    def test_metrics_chart_labels_fit_the_figure(self, service, start, minutes):
        """The chart's fixed margins hold every label (tick labels of both axes, axis labels, title) inside the figure:
        the widest y tick label may be the failure rate's ("0.00", "-0.04") in a narrow or quiet window."""
        if start is None:
            s, e = data._ts(d.WINDOW[0]), data._ts(d.WINDOW[1])
        else:
            s = data._ts(start)
            e = s + data._pd().Timedelta(minutes=minutes)
        width, height = 10.0, 6.5
        fig = d.metrics_figure(d.service_metrics_frame(service, s, e), d.deploy_markers(s, e), service, s, e, None,
                               width, height, 80)
        box = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, (service, start, minutes, box.bounds)

    def test_metrics_chart_cache(self, monkeypatch, tmp_path):
        monkeypatch.setenv("WORKSHOP_CACHE_DIR", "off")
        args = ("checkout", "2026-11-18T13:30:00Z", "2026-11-18T14:30:00Z")
        drawn = d.render_metrics_png(*args, highlight="dep_4820")
        assert not list(tmp_path.iterdir())
        monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
        assert d.render_metrics_png(*args, highlight="dep_4820") == drawn  # a miss draws the same pixels, and stores them
        (stored,) = tmp_path.glob("chart-*.png")
        assert stored.read_bytes() == drawn
        stored.write_bytes(b"\x89PNG\r\n\x1a\n a stand-in")  # a hit is read back, not drawn again
        assert d.render_metrics_png(*args, highlight="dep_4820") == stored.read_bytes()
        assert d.render_metrics_png(*args, highlight=None) != drawn  # other arguments, another key
        assert d.render_metrics_png(args[0], args[1], "2026-11-18T14:31:00Z", highlight="dep_4820") != drawn
        assert len(list(tmp_path.glob("chart-*.png"))) == 3
        stored.write_bytes(b"not a png")  # a corrupt file: drawn again
        assert d.render_metrics_png(*args, highlight="dep_4820") == drawn

    def test_the_series_views_come_from_the_shipped_charts(self, tmp_path):
        """The dashboard opens, and highlights the culprit of 04's report, with the charts drawn in advance in
        helpers/charts/ (scripts/make_figures.py; tests/test_series_content.py checks they are what would be drawn): a fresh
        kernel imports neither matplotlib nor pandas (the panels read the parsed log and the deploys as plain rows) and
        caches nothing. Another view is drawn (and cached) as before."""
        code = """if True:
        import sys
        from helpers import dashboard as d
        dash = d.Dashboard()
        opening = bytes(dash.chart.value)
        dash.highlight_deploy("dep_4820")
        highlighted = bytes(dash.chart.value)
        static = dash._repr_mimebundle_()["text/html"]
        assert "matplotlib" not in sys.modules, "a shipped view was drawn"
        assert "pandas" not in sys.modules, "the dashboard opened with pandas"
        assert "70,000 matching lines" in dash.log_table.value and "dep_4820" in static
        shipped = {p.read_bytes() for p in d.SHIPPED_CHARTS.glob("chart-*.png")}
        assert {opening, highlighted} == shipped and opening != highlighted
        dash.highlight_deploy("dep_4819")
        assert "matplotlib" in sys.modules and bytes(dash.chart.value) not in shipped
        print("ok")
    """
        env = {**os.environ, "WORKSHOP_CACHE_DIR": str(tmp_path)}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
        assert len(list(tmp_path.glob("chart-*.png"))) == 1  # only the view that was not shipped

    def test_a_chart_is_renamed_when_its_drawing_changes(self, monkeypatch):
        """A chart's name hashes the drawing functions' source: edit them and no stored PNG (shipped or cached) matches."""
        args = ("checkout", "2026-11-18T12:00:00Z", "2026-11-18T16:00:00Z", None, 10.0, 6.5, 80)
        name = d.chart_name(*args)
        assert name and name == d.chart_name(*args)
        drawing = charts._drawing_source()
        monkeypatch.setattr(charts, "_drawing_source", lambda: drawing + b"# an edit")
        assert d.chart_name(*args) not in (None, name)
        monkeypatch.setattr(charts, "_drawing_source", lambda: None)  # no source files: no name, always drawn
        assert d.chart_name(*args) is None


class TestDeploysAndDiff:
    """The Deploys and Diff panels: markers in a window, the culprit highlighted, deploy ids in a text, the diff's HTML."""

    def test_the_panels_menus_and_rows_come_without_pandas(self):
        levels, statuses = d.log_choices()
        frame = d.all_logs_frame()
        assert levels[:3] == ["INFO", "WARN", "ERROR"] and set(levels) == set(frame["level"].astype(str))
        assert statuses == [str(s) for s in sorted(frame["status"].unique())]
        rows = d.deploy_rows()
        assert [r["id"] for r in rows] == list(d.all_deploys_frame()["id"])
        assert [r["timestamp"] for r in rows] == list(d.all_deploys_frame()["timestamp"])

    def test_deploy_markers_in_a_window(self):
        ids = [m["id"] for m in d.deploy_markers("2026-11-18T13:58:40Z", "2026-11-18T14:31:10Z")]
        assert ids[0] == "dep_4819" and "dep_4820" in ids and "dep_4822" not in ids  # half-open window
        culprit = next(m for m in d.deploy_markers("2026-11-18T14:00:00Z", "2026-11-18T14:10:00Z") if m["id"] == "dep_4820")
        assert culprit["service"] == "checkout" and culprit["commit"] == "9c41e7b"
        assert culprit["timestamp"] == _ts("2026-11-18T14:05:30Z")
        assert [m["id"] for m in d.deploy_markers(service="cart", start="2026-11-18T14:00:00Z", end="2026-11-18T15:00:00Z")] == [
            "dep_4822"
        ]
        all_markers = d.deploy_markers()
        assert [m["timestamp"] for m in all_markers] == sorted(m["timestamp"] for m in all_markers)
        assert d.deploy_markers("2026-11-18T14:06:00Z", "2026-11-18T14:07:00Z") == []

    def test_deploys_highlight_the_culprit(self):
        plain = d.deploys_html(None)
        assert 'class="culprit"' not in plain and "dep_4820" in plain
        marked = d.deploys_html("dep_4820")
        assert marked.count('class="culprit"') == 1
        assert '<tr class="culprit" data-deploy="dep_4820">' in marked

    def test_find_deploy_ids_prefers_the_most_named(self):
        text = "Root cause: dep_4820 (checkout v2.14.0, commit 9c41e7b). Not dep_4819 (payments). Revert dep_4820."
        assert d.find_deploy_ids(text) == ["dep_4820", "dep_4819"]
        # With the known deploys, a commit sha names its deploy.
        assert d.find_deploy_ids("The culprit is 9c41e7b; dep_4819 is unrelated.", d.deploy_markers()) == ["dep_4820", "dep_4819"]
        assert d.find_deploy_ids("The culprit is 9c41e7b; dep_4819 is unrelated.") == ["dep_4819"]
        assert d.find_deploy_ids("", None) == [] and d.find_deploy_ids(None) == []

    def test_diff_html_colours_and_escapes(self):
        out = d.diff_html()
        assert '<span class="add">+' in out and '<span class="del">-' in out and '<span class="hunk">@@' in out
        assert "for item in order.items:" in out
        hostile = d.diff_html('+<script>alert(1)</script>\n-\x1b[31mred\x1b[0m\n context & "q"')
        assert "<script>" not in hostile and "&lt;script&gt;" in hostile
        assert "\x1b" not in hostile and "&amp;" in hostile

    def test_a_deploy_without_a_time_is_listed_last_and_marked_nowhere(self):
        """A source whose deploy lacks a timestamp (pandas made it NaT): the dashboard still opens; the deploy is the last
        row of the Deploys table and in no window of the chart."""
        from helpers import incident

        deploys = [{"id": "dep_2", "service": "cart", "version": "v2", "author": "b", "timestamp": None, "commit": "1234567",
                    "description": "no time"},
                   {"id": "dep_1", "service": "checkout", "version": "v1", "author": "a",
                    "timestamp": "2026-11-18T13:59:00Z", "commit": "abcdef1", "description": "x"}]
        metrics = {"timestamps": ["2026-11-18T14:00:00Z"], "services": {"checkout": {"p99_ms": [10.0], "failure_rate": [0.0]}}}
        previous = incident.set_source(incident.MemorySource([], metrics, deploys))
        try:
            assert [r["id"] for r in d.deploy_rows()] == ["dep_1", "dep_2"]
            assert [m["id"] for m in d.deploy_markers("2026-11-18T12:00:00Z", "2026-11-18T16:00:00Z")] == ["dep_1"]
            assert "dep_2" in d.deploys_html(None)
        finally:
            incident.set_source(previous)


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>\x1b[31mRED\x1b[0m\x07\x00\u202e & done'


class TestEscaping:
    """Nothing from the evidence or the session reaches the page as markup, ANSI or control characters."""

    def test_esc_removes_markup_ansi_and_controls(self):
        out = d.esc(HOSTILE)
        assert "<script" not in out and "<img" not in out and "&lt;img" in out
        assert "\x1b" not in out and "[31m" not in out and "RED" in out
        assert "\x07" not in out and "\x00" not in out and "\\x07" in out and "\\u202e" in out
        assert d.clean_text("a\r\nb\tc") == "a\nb\tc"

    def test_markdown_is_safe(self):
        out = d.markdown_html(
            "# Report\n\n" + HOSTILE + "\n\n[click](javascript:alert(1)) **dep_4820** ![pixel](http://tracker.example/p.png)"
        )
        assert "<h1>" in out and "<strong>dep_4820</strong>" in out and "[image: pixel]" in out
        assert "<script" not in out and "<img" not in out and "javascript:" not in out and "\x1b" not in out
        assert "tracker.example" not in out

    def test_logs_table_escapes_hostile_lines(self):
        import pandas as pd

        page = pd.DataFrame(
            [{"ts": pd.Timestamp("2026-11-18T14:07:00Z"), "level": "WARN", "service": "checkout<b>",
              "route": "GET /<i>", "status": 504, "latency_ms": 9000, "msg": HOSTILE, "db_queries": 120.0}]
        )
        out = d.logs_table_html(page, 1)
        assert "<script" not in out and "<img" not in out and "checkout<b>" not in out and "<i>" not in out
        assert "\x1b" not in out and "checkout&lt;b&gt;" in out
        assert "1 matching lines" in out and "14:07:00.000" in out and ">120<" in out

    def test_agent_panel_escapes_hostile_events(self):
        panel = d.AgentPanel()
        on_event = panel.attach("sesn_hostile")
        on_event(_ev("session.status_running", "e1"))
        on_event(_ev("agent.custom_tool_use", "e2", name="query_logs<svg>", input={"pattern": HOSTILE}))
        on_event(_ev("user.custom_tool_result", "e3", custom_tool_use_id="e2", content=[{"type": "text", "text": HOSTILE}]))
        on_event(_ev("agent.message", "e4", content=[{"type": "text", "text": HOSTILE}]))
        on_event(_ev("session.status_idle", "e5", stop_reason={"type": "end_turn"}))
        assert panel.render_error is None
        html = _panel_html(panel)
        assert "<script" not in html and "<img" not in html and "<svg" not in html and "\x1b" not in html
        assert "&lt;script&gt;" in html


def _ev(type_: str, id_: str, **fields) -> dict:
    return {"type": type_, "id": id_, "processed_at": "2026-11-18T15:00:00Z", **fields}


def _sdk(event: dict):
    """An event dict as the SDK's pydantic object (validated, like the stream's events)."""
    from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent
    from pydantic import TypeAdapter

    return TypeAdapter(BetaManagedAgentsSessionEvent).validate_python(event)


def _recorded_events(name: str = "incident-2277") -> list:
    """A recording's events (the "allow" branch), each parsed with the SDK's event TypeAdapter."""
    return sdk_events(name)


def _panel_html(panel) -> str:
    return panel.header.value + panel.report.value + "".join(c.value for c in panel.timeline.children)


FAULTS = [
    _ev("user.message", "f0", content=[{"type": "text", "text": "Investigate Incident-2277"}]),
    _ev("session.status_running", "f1"),
    _ev("agent.message", "f2", content=[{"type": "text", "text": "Looking at the logs first."}]),
    _ev("agent.tool_use", "f3", name="bash", input={"command": "grep -c checkout data/app.log"}),
    _ev("session.error", "f4", error={"type": "model_overloaded_error", "message": "Overloaded",
                                      "retry_status": {"type": "retrying"}}),
    _ev("session.status_rescheduled", "f5"),
    _ev("session.status_running", "f6"),
    _ev("agent.tool_result", "f7", tool_use_id="f3", content=[{"type": "text", "text": "15402"}]),
    _ev("agent.custom_tool_use", "f8", name="get_metrics", input={"service": "checkout"}),
    _ev("session.status_idle", "f9", stop_reason={"type": "requires_action", "event_ids": ["f8"]}),
    _ev("user.custom_tool_result", "f10", custom_tool_use_id="f8", is_error=True,
        content=[{"type": "text", "text": "boom"}]),
    _ev("session.status_running", "f11"),
    _ev("session.error", "f12", error={"type": "model_overloaded_error", "message": "Overloaded",
                                       "retry_status": {"type": "exhausted"}}),
    _ev("session.status_terminated", "f13"),
]


class TestAgentPanelState:
    """The SRE Agent panel's state machine over recorded and hand-made event sequences."""

    def test_state_over_the_recorded_investigation(self):
        events = _recorded_events()
        state = d.AgentPanelState()
        assert state.status == "offline" and not state.online
        state.attach("sesn_recorded")
        assert state.status == "idle"
        statuses = []
        for ev in events:
            state.apply(ev)
            statuses.append(state.status)
        assert "running" in statuses
        assert state.status == "idle" and state.stop_reason == "end_turn"
        # Tool calls matched to their results by id.
        assert state.tool_calls
        for call in state.tool_calls.values():
            assert call.name != "?" and call.done, call
        used = {ev.id for ev in events if ev.type in ("agent.custom_tool_use", "agent.tool_use", "agent.mcp_tool_use")}
        assert set(state.tool_calls) == used
        custom = {c.name for c in state.tool_calls.values() if c.kind == "custom"}
        assert custom and custom <= {"query_logs", "get_metrics", "list_deploys", "get_diff"}
        # The final report is the last agent.message before the end_turn idle, and names the culprit.
        last_message = [ev for ev in events if ev.type == "agent.message"][-1]
        assert state.final_report == agent_panel._blocks_text(last_message.content)
        assert "dep_4820" in state.final_report and state.culprit == "dep_4820"
        assert state.error is None
        # Replaying the same events (a reconnect) changes nothing.
        before = (state.events, len(state.timeline), len(state.messages))
        for ev in events:
            assert state.apply(ev) is None
        assert (state.events, len(state.timeline), len(state.messages)) == before

    def test_state_accepts_dicts_like_objects(self):
        events = _recorded_events()
        a, b = d.AgentPanelState(), d.AgentPanelState()
        for ev in events:
            a.apply(ev)
            b.apply(ev.model_dump(mode="json"))
        assert (a.status, a.final_report, a.messages, list(a.tool_calls)) == (
            b.status, b.final_report, b.messages, list(b.tool_calls))
        assert [c.result for c in a.tool_calls.values()] == [c.result for c in b.tool_calls.values()]

    def test_state_keeps_the_last_usage_snapshot_out_of_the_timeline(self):
        """A session.usage (the session's totals, right before each idle) updates the header's cost, not the
        timeline."""
        state = d.AgentPanelState()
        state.attach("sesn_usage")
        first = _ev("session.usage", "u1", usage={"input_tokens": 5, "list_cost": {"amount": "3", "currency": "USD"},
                                                 "active_seconds": 12.4})
        assert state.apply(first) == "usage" and state.timeline == []
        assert d.usage_summary(state) == "list cost $0.03 · 12 s active"
        state.apply(_ev("session.usage", "u2", usage={"list_cost": {"amount": "1250", "currency": "USD"}}))
        assert d.usage_summary(state) == "list cost $12.50" and state.events == 2
        assert d.usage_summary(d.AgentPanelState()) == ""

    def test_state_over_a_fault_sequence(self):
        state = d.AgentPanelState()
        state.attach("sesn_faults")
        seen = []
        for raw in FAULTS:
            state.apply(_sdk(raw))
            seen.append((state.status, state.stop_reason))
        assert [s for s, _ in seen] == [
            "idle", "running", "running", "running", "running", "rescheduling", "running", "running", "running",
            "idle", "idle", "running", "running", "terminated",
        ]
        assert seen[9] == ("idle", "requires_action")
        assert state.tool_calls["f3"].result == "15402" and state.tool_calls["f3"].kind == "agent"
        assert state.tool_calls["f8"].is_error and state.tool_calls["f8"].result == "boom"
        assert state.error == "model_overloaded_error: Overloaded (retry: exhausted)"
        assert state.final_report is None  # never reached an end_turn
        kinds = [k for k, _ in state.timeline]
        assert kinds[0] == "user" and kinds.count("error") == 2 and ("status", "session terminated") in state.timeline

    @pytest.mark.parametrize(
        "name, statuses, final, error",
        [
            ("fault-rescheduled", ["running", "rescheduling", "running", "idle", "running", "idle", "running", "idle"],
             ("idle", "end_turn"), "retrying"),
            ("fault-terminated", ["running", "idle", "running", "terminated"], ("terminated", None), "terminal"),
            ("fault-retries-exhausted", ["running", "rescheduling", "running", "rescheduling", "running", "idle"],
             ("idle", "retries_exhausted"), "exhausted"),
        ],
    )
    def test_state_over_recorded_faults(self, name, statuses, final, error):
        state = d.AgentPanelState()
        state.attach(f"sesn_{name}")
        changes = []
        for ev in _recorded_events(name):
            state.apply(ev)
            if not changes or changes[-1] != state.status:
                changes.append(state.status)
        assert changes == ["idle", *statuses]
        assert (state.status, state.stop_reason) == final
        assert state.error and state.error.endswith(f"(retry: {error})")
        assert all(call.done for call in state.tool_calls.values())
        if final[1] == "end_turn":
            assert state.final_report
        else:
            assert state.final_report is None

    def test_final_report_needs_end_turn_and_follows_the_last_message(self):
        state = d.AgentPanelState()
        msg = lambda i, text: _ev("agent.message", i, content=[{"type": "text", "text": text}])  # noqa: E731
        state.apply(msg("m1", "thinking about dep_4819"))
        state.apply(_ev("session.status_idle", "i1", stop_reason={"type": "requires_action", "event_ids": []}))
        assert state.final_report is None
        state.apply(msg("m2", "Root cause: dep_4820"))
        state.apply(_ev("session.status_idle", "i2", stop_reason={"type": "end_turn"}))
        assert state.final_report == "Root cause: dep_4820" and state.culprit == "dep_4820"
        # A new turn keeps the old report until the next end_turn with a message.
        state.apply(_ev("user.message", "u1", content=[{"type": "text", "text": "thanks"}]))
        state.apply(_ev("session.status_idle", "i3", stop_reason={"type": "end_turn"}))
        assert state.final_report == "Root cause: dep_4820"

    def test_tool_waiting_for_confirmation(self):
        panel = d.AgentPanel()
        on_event = panel.attach("sesn_confirm")
        on_event(_sdk(_ev("agent.tool_use", "t1", name="bash", input={"command": "rm -rf /tmp/x"},
                          evaluated_permission="ask")))
        assert "waiting for your confirmation" in _panel_html(panel)
        on_event(_sdk(_ev("user.tool_confirmation", "c1", tool_use_id="t1", result="deny")))
        assert panel.state.tool_calls["t1"].confirmation == "deny"
        html = _panel_html(panel)
        assert "waiting for your confirmation" not in html and "· deny" in html

    def test_result_before_use_is_matched(self):
        state = d.AgentPanelState()
        state.apply(_ev("user.custom_tool_result", "r1", custom_tool_use_id="t1", content=[{"type": "text", "text": "ok"}]))
        state.apply(_ev("agent.custom_tool_use", "t1", name="get_diff", input={}))
        assert list(state.tool_calls) == ["t1"] and state.tool_calls["t1"].name == "get_diff"
        assert state.tool_calls["t1"].result == "ok"

    def test_on_event_never_raises(self):
        panel = d.AgentPanel()
        on_event = panel.attach({"id": "sesn_x"})
        on_event(object())  # not an event at all
        on_event({"type": "agent.message", "id": "z", "content": "plain string content"})
        on_event({"type": "something.new", "id": "n"})
        assert panel.state.session_id == "sesn_x"


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from _walk(child)


class TestWidgets:
    """The widget tree, its controls, what the panels read, and the dashboard following a session (the stub's)."""

    def test_show_builds_the_widget_tree(self):
        import ipywidgets as w

        dash = d.show()
        assert isinstance(dash, d.Dashboard) and isinstance(dash.widget, w.VBox)
        tree = list(_walk(dash.widget))
        assert dash.chart in tree and dash.log_table in tree and dash.agent.widget in tree
        assert [dash.tabs.get_title(i) for i in range(4)] == ["Metrics", "Logs", "Deploys", "Diff"]
        assert dash.chart.value[:4] == b"\x89PNG"
        assert "70,000 matching lines" in dash.log_table.value
        assert "offline" in dash.agent.header.value and dash.state.status == "offline"
        # How to bring it online is how 04's loop does it (walkthroughs 5 and 6: not a loop.run keyword on the path)
        assert "<code>on_event(event)</code> for each event your loop reads" in dash.agent.header.value
        assert "on_event(event)" in (ROOT / "solutions" / "04_custom_tools.ipynb").read_text()
        # The widget state serialises (what the front end receives).
        for widget in tree:
            widget.get_state()

    def test_dashboard_controls(self):
        dash = d.Dashboard(page_size=20)
        dash.log_service.value = "checkout"
        dash.log_level.value = "WARN"
        expected = d.filter_logs(service="checkout", level="WARN")[1]
        assert dash.total == expected and f"{expected:,} matching lines" in dash.log_table.value
        assert dash.prev_btn.disabled and not dash.next_btn.disabled
        dash.next_btn.click()
        assert dash.page == 1 and "page 2 of" in dash.log_table.value
        dash.log_text.value = "slow query"  # a filter change goes back to page 1
        assert dash.page == 0
        before = dash.chart.value
        dash.service.value = "payments"
        assert dash.chart.value != before
        assert dash.diff_pick.value == "dep_4820" and '<span class="add">' in dash.diff.value  # the stored change
        dash.diff_pick.value = "dep_4819"
        assert "No diff stored for dep_4819" in dash.diff.value
        dash.highlight_deploy("dep_4820")
        assert 'data-deploy="dep_4820"' in dash.deploys.value and 'class="culprit"' in dash.deploys.value
        assert dash.diff_pick.value == "dep_4820" and "order_summary.py" in dash.diff.value

    def test_panels_read_the_incident_source(self):
        """The dashboard reads helpers.incident's source, so swapping it (set_source) swaps the panels' data."""
        from helpers import incident

        logs = [
            {"ts": "2026-11-18T14:00:00.000Z", "level": "INFO", "service": "cart", "route": "GET /cart", "status": 200,
             "latency_ms": 5, "trace_id": "0" * 16, "msg": "cart loaded"},
            {"ts": "2026-11-18T14:01:00.000Z", "level": "ERROR", "service": "checkout", "route": "POST /checkout/submit",
             "status": 504, "latency_ms": 9000, "trace_id": "1" * 16, "msg": "upstream timeout", "db_queries": 210},
        ]
        deploys = [{"id": "dep_1", "service": "checkout", "version": "v1", "author": "a", "timestamp": "2026-11-18T13:59:00Z",
                    "commit": "abcdef1", "description": "x"}]
        metrics = {"timestamps": ["2026-11-18T14:00:00Z"], "services": {"checkout": {"p99_ms": [10.0], "failure_rate": [0.0]}}}
        previous = incident.set_source(incident.MemorySource(logs, metrics, deploys, {"abcdef1": "commit abcdef1\n+x\n"}))
        try:
            assert d.filter_logs()[1] == 2 and d.filter_logs(status="5xx")[1] == 1
            assert [m["id"] for m in d.deploy_markers()] == ["dep_1"]
            assert len(d.service_metrics_frame("checkout")) == 1
            assert d.diff_for(None) == ("dep_1", "commit abcdef1\n+x\n")
            rows, total, _ = d.log_records(status="5xx")
            assert total == 1 and rows[0]["db_queries"] == 210 and rows[0]["latency_ms"] == 9000
            assert d.log_records(service="cart")[0][0]["db_queries"] is None
        finally:
            incident.set_source(previous)
        assert d.filter_logs()[1] == 70_000

    def test_dashboard_on_the_loop_through_the_stub(self):
        """The real thing, offline: helpers.connect() (the SDK against the stub), the loop, on_event=dash.attach(session)."""
        import helpers
        from helpers import incident, loop, resources

        dash = d.Dashboard()
        client = helpers.connect("replay")
        session = resources.new_session(client, title="dashboard test")
        on_event = dash.attach(session)
        assert dash.state.session_id == session.id and dash.state.status == "idle"
        result = loop.run(
            client, session.id, "Incident-2277: checkout p99 is 10x since 14:07Z. Find the root cause.",
            handle_tool=incident.handle_tool, on_event=on_event, render=False, timeout=60,
        )
        assert result.stop_reason == "end_turn"
        assert dash.agent.render_error is None
        assert (dash.state.status, dash.state.stop_reason) == ("idle", "end_turn")
        assert dash.state.final_report == result.text and "dep_4820" in dash.agent.report.value
        assert dash.highlighted == "dep_4820"
        custom = [c for c in dash.state.tool_calls.values() if c.kind == "custom"]
        assert [c.id for c in custom] == [c.id for c in result.tool_calls]
        assert [c.result for c in custom] == [c.result for c in result.tool_calls]  # the results the loop sent

    def test_dashboard_follows_the_recorded_investigation(self):
        events = _recorded_events()
        dash = d.Dashboard()
        on_event = dash.attach("sesn_recorded")
        assert "idle" in dash.agent.header.value
        for ev in events:
            on_event(ev)
        assert dash.agent.render_error is None
        assert "dep_4820" in dash.agent.report.value and "final-report" in dash.agent.report.value
        assert dash.highlighted == "dep_4820"  # named in the final report: highlighted automatically
        assert '<tr class="culprit" data-deploy="dep_4820">' in dash.deploys.value
        assert len(dash.agent.timeline.children) == len(dash.state.timeline)
        assert "<details>" in _panel_html(dash.agent)

    def test_static_copy_beside_the_widget_view(self):
        """The dashboard's display bundle carries the widget view and a static HTML copy (chart, deploys, agent panel)."""
        from helpers import dashboard

        dash = dashboard.Dashboard()
        bundle = dash._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle
        static = bundle["text/html"]
        assert 'class="metrics-chart"' in static and "data:image/png;base64," in static
        assert "dep_4820" in static and "SRE Agent" in static and "offline" in static
        on_event = dash.attach("sesn_static")
        assert on_event == dash.on_event
        assert "0 sandbox tool calls · 0 custom tool calls (0 answered)" in dash.static_html()


class TestTimes:
    """The dashboard's times: its pandas-free parsing reads what pandas reads, in UTC."""

    @pytest.mark.parametrize("value", [
        "2026-11-18T14:07:00Z", "2026-11-18T14:07:00z", "2026-11-18T14:07:00.123Z", "2026-11-18T14:07:00.123456+00:00",
        "2026-11-18 14:07", "2026-11-18T16:07:00+02:00", "2026-11-18", datetime(2026, 11, 18, 14, 7),
        datetime.fromisoformat("2026-11-18T15:07:00+01:00"), "2026-11-18T14:07:00.5Z", "18 Nov 2026 14:07",
    ])
    def test_utc_reads_what_pandas_reads(self, value):
        """The dashboard's pandas-free time parsing agrees with pandas' (data._ts: naive = UTC; an offset is converted); what
        datetime cannot read goes through pandas."""
        assert data._utc(value) == data._ts(value) and data._utc(value).utcoffset().total_seconds() == 0
        assert data._utc(data._ts(value)) == data._ts(value)  # a pandas Timestamp too
        assert data._utc(None) is None and data._utc("") is None
