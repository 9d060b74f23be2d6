"""The recordings in data/recordings/ keep the contract of docs/design.md ("Recordings").

Every file: a well-formed header, every event strictly valid for the SDK, ids unique, references to earlier
events, requires_action idles listing exactly the pending calls, a clean end on every path, built-in tool inputs
valid for the SDK's toolset input types, and every path they read a mounted one. Authored files also: built-in tool
results that re-run byte for byte on data/app.log (bash here; read, grep and glob with the SDK's reference
implementations), custom tool results equal to helpers.incident.handle_tool, and scripts/make_recordings.py
reproducing them byte for byte.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent
from pydantic import BaseModel, TypeAdapter

from helpers.events import EVENT_IDS_WINDOW
from support.fixtures import sdk_client
from support.recordings import REC_DIR, load, paths
from support.recordings import events as _events
from support.replay import Replayer
from support.sandbox import rerun

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
FILES = sorted(REC_DIR.glob("*.jsonl"))
ADAPTER = TypeAdapter(BetaManagedAgentsSessionEvent)

HEADER_KEYS = ["recording", "name", "title", "description", "keywords", "custom_tools", "source"]
REQUIRED = {"incident-2277", "interrupt", "permission-policy", "fault-rescheduled", "fault-retries-exhausted",
            "fault-terminated", "outcome", "parallel-sweep", "alert-2277",
            "budget-reached", "incident-team", "statuspage-update"}
OUTCOME_RESULTS = {"satisfied", "needs_revision", "max_iterations_reached", "failed", "interrupted"}
#: Event fields that name an earlier event, and the types that event may have.
REFERENCES = {
    ("agent.tool_result", "tool_use_id"): {"agent.tool_use"},
    ("user.tool_confirmation", "tool_use_id"): {"agent.tool_use", "agent.mcp_tool_use"},
    ("user.tool_result", "tool_use_id"): {"agent.tool_use"},
    ("user.custom_tool_result", "custom_tool_use_id"): {"agent.custom_tool_use"},
    ("agent.mcp_tool_result", "mcp_tool_use_id"): {"agent.mcp_tool_use"},
    ("span.model_request_end", "model_request_start_id"): {"span.model_request_start"},
    ("span.outcome_evaluation_end", "outcome_evaluation_start_id"): {"span.outcome_evaluation_start"},
}


def first_text(lines: list[dict]) -> str | None:
    for ln in lines:
        ev = ln["event"]
        if ev["type"] == "user.message":
            return " ".join(b.get("text", "") for b in ev["content"])
    return None


def extras(obj, where="event") -> list[str]:
    """Fields the SDK models do not know (its models allow extras, so strict validation alone misses them)."""
    found = []
    if isinstance(obj, BaseModel):
        found += [f"{where}.{k}" for k in (obj.model_extra or {})]
        for name in type(obj).model_fields:
            found += extras(getattr(obj, name), f"{where}.{name}")
    elif isinstance(obj, (list, tuple)):
        for i, x in enumerate(obj):
            found += extras(x, f"{where}[{i}]")
    elif isinstance(obj, dict):
        for k, x in obj.items():
            found += extras(x, f"{where}.{k}")
    return found


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """A scratch /mnt/session/ as a workshop session has it: app.log in uploads/ (helpers.sandbox.LOG_PATH), and an
    empty outputs/."""
    from helpers.sandbox import LOG_PATH, OUTPUTS_DIR

    root = tmp_path_factory.mktemp("sandbox")
    log = root / LOG_PATH.lstrip("/")
    log.parent.mkdir(parents=True)
    (root / OUTPUTS_DIR.lstrip("/")).mkdir(parents=True)
    try:
        os.link(DATA_DIR / "app.log", log)
    except OSError:
        log.write_bytes((DATA_DIR / "app.log").read_bytes())
    return root


def _nb08_mounts(use: dict) -> bool:
    """A call of notebook 08's recordings on what only its sessions mount (its skill, its memory store, the second
    incident's evidence) or its write into the store: tests/test_nb08_recordings.py re-runs those in a sandbox
    that has them."""
    text = json.dumps(use["input"])
    return use["name"] == "write" or any(root in text for root in _nb08_roots())


def _nb08_roots() -> tuple[str, ...]:
    """Where notebook 08's sessions have more than app.log: the skill, the memory mount, Incident-2291's files."""
    from helpers.sandbox import UPLOADS_DIR
    from helpers.stub.memory_stores import MOUNT_ROOT
    from helpers.stub.skills import SKILLS_ROOT

    return f"{SKILLS_ROOT}/", f"{MOUNT_ROOT}/", f"{UPLOADS_DIR}/incident-2291/"


@pytest.fixture(scope="module", params=FILES, ids=[p.stem for p in FILES])
def rec(request):
    header, lines = load(request.param)
    return request.param, header, lines


class TestFiles:
    """Each file: the recordings the notebooks need exist, a well-formed header, lines of the contract's shape, every
    event strictly the SDK's, ids unique."""

    def test_required_recordings_exist(self):
        assert REQUIRED <= {p.stem for p in FILES}

    def test_header(self, rec):
        path, header, lines = rec
        assert list(header) == HEADER_KEYS
        assert header["recording"] == 1
        assert header["name"] == path.stem
        assert isinstance(header["title"], str) and header["title"].strip()
        assert isinstance(header["description"], str) and header["description"].strip()
        assert isinstance(header["keywords"], list) and all(isinstance(k, str) and k.strip() for k in header["keywords"])
        assert isinstance(header["custom_tools"], list) and all(isinstance(k, str) for k in header["custom_tools"])
        assert header["source"] in ("authored", "live")
        assert lines, "no events"

    def test_lines_shape(self, rec):
        _, _, lines = rec
        for ln in lines:
            assert set(ln) <= {"event", "when", "thread"}, ln.keys()
            assert isinstance(ln["event"], dict)
            if "when" in ln:
                assert ln["when"] in ({"confirmation": "allow"}, {"confirmation": "deny"}), ln["when"]

    def test_events_validate_strictly(self, rec):
        _, header, lines = rec
        for i, ln in enumerate(lines, start=2):
            ev = ln["event"]
            model = ADAPTER.validate_json(json.dumps(ev), strict=True)
            assert model.type == ev["type"], f"line {i}: parsed as {model.type}"
            assert ev.get("id") and ev.get("processed_at"), f"line {i}: id and processed_at are required here"
            if header["source"] == "authored":
                assert not extras(model), f"line {i}: fields the SDK does not know: {extras(model)}"

    def test_ids_unique(self, rec):
        _, _, lines = rec
        ids = [ln["event"]["id"] for ln in lines]
        assert len(ids) == len(set(ids))


#: What a model request produces: these events lie inside its span (start ... end).
MODEL_OUTPUT = {"agent.message", "agent.thinking", "agent.tool_use", "agent.custom_tool_use", "agent.mcp_tool_use"}


class TestPaths:
    """Each path through a recording: in time order, references to earlier events, the waiting ids listed exactly, spans
    around the model's output, a clean end."""

    def test_processed_at_non_decreasing_on_every_path(self, rec):
        _, _, lines = rec
        for name, events in paths(lines).items():
            stamps = [ADAPTER.validate_json(json.dumps(ev)).processed_at for ev in events]
            assert stamps == sorted(stamps), f"path {name!r}"

    def test_references_point_to_earlier_events(self, rec):
        _, _, lines = rec
        for name, events in paths(lines).items():
            seen: dict[str, str] = {}
            outcomes: set[str] = set()
            for ev in events:
                for (etype, field), targets in REFERENCES.items():
                    if ev["type"] == etype:
                        assert seen.get(ev[field]) in targets, f"path {name!r}: {ev['id']}.{field} -> {ev[field]}"
                if ev["type"] == "session.status_idle" and ev["stop_reason"]["type"] == "requires_action":
                    for ref in ev["stop_reason"]["event_ids"]:
                        assert ref in seen, f"path {name!r}: {ev['id']} waits on unknown {ref}"
                if ev["type"].startswith("span.outcome_evaluation"):
                    assert ev["outcome_id"] in outcomes, f"path {name!r}: unknown outcome {ev['outcome_id']}"
                if ev["type"] == "user.define_outcome":
                    outcomes.add(ev["outcome_id"])
                seen[ev["id"]] = ev["type"]

    def test_requires_action_lists_exactly_the_pending_calls(self, rec):
        """Custom tool calls and ask-permission tool calls wait; each requires_action idle names exactly those."""
        _, _, lines = rec
        for name, events in paths(lines).items():
            pending: list[str] = []
            executed: set[str] = set()
            confirmed: dict[str, str] = {}
            for ev in events:
                t = ev["type"]
                if t == "agent.custom_tool_use" or (t in ("agent.tool_use", "agent.mcp_tool_use")
                                                    and ev.get("evaluated_permission") == "ask"):
                    pending.append(ev["id"])
                elif t == "user.custom_tool_result":
                    assert ev["custom_tool_use_id"] in pending, f"path {name!r}: answer to a call not pending"
                    pending.remove(ev["custom_tool_use_id"])
                elif t == "user.tool_confirmation":
                    assert ev["tool_use_id"] in pending, f"path {name!r}: confirmation of a call not pending"
                    pending.remove(ev["tool_use_id"])
                    confirmed[ev["tool_use_id"]] = name or ev["result"]
                elif t == "agent.tool_result":
                    executed.add(ev["tool_use_id"])
                elif t == "agent.mcp_tool_result":
                    executed.add(ev["mcp_tool_use_id"])
                elif t == "session.status_idle":
                    if ev["stop_reason"]["type"] == "requires_action":
                        # A window: the oldest pending ids, at most EVENT_IDS_WINDOW of them.
                        assert ev["stop_reason"]["event_ids"] == pending[:EVENT_IDS_WINDOW], f"path {name!r}: {ev['id']}"
                    else:
                        assert not pending, f"path {name!r}: idle {ev['stop_reason']['type']} with calls pending"
            # A built-in or MCP call runs (gets its result) unless it was denied.
            for ev in events:
                if ev["type"] in ("agent.tool_use", "agent.mcp_tool_use"):
                    denied = confirmed.get(ev["id"]) == "deny" or ev.get("evaluated_permission") == "deny"
                    assert (ev["id"] in executed) != denied, f"path {name!r}: {ev['id']} ran={ev['id'] in executed}"

    def test_every_path_ends_cleanly(self, rec):
        _, _, lines = rec
        for name, events in paths(lines).items():
            last = events[-1]
            if last["type"] == "session.status_idle":
                assert last["stop_reason"]["type"] in ("end_turn", "retries_exhausted", "budget_reached", "refusal")
            else:
                assert last["type"] == "session.status_terminated", f"path {name!r} ends with {last['type']}"

    def test_first_user_event(self, rec):
        _, _, lines = rec
        first = lines[0]["event"]
        assert first["type"] in ("user.message", "user.define_outcome")

    @pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
    def test_spans_wrap_what_the_model_produced(self, path):
        """span.model_request_start, then the request's output, then its span.model_request_end (which carries the
        usage); spans never overlap, every one is closed, and nothing the model writes falls outside one."""
        _, lines = load(path)
        for res, events in paths(lines).items():
            open_id = None
            for ev in events:
                where = f"{path.name} ({res or 'single path'}) {ev['id']} {ev['type']}"
                if ev["type"] == "span.model_request_start":
                    assert open_id is None, f"{where}: starts while {open_id} is open"
                    open_id = ev["id"]
                elif ev["type"] == "span.model_request_end":
                    assert ev["model_request_start_id"] == open_id, f"{where}: closes {ev['model_request_start_id']}"
                    open_id = None
                elif ev["type"] in MODEL_OUTPUT:
                    assert open_id is not None, f"{where}: model output outside a model request"
                elif ev["type"] in ("agent.tool_result", "session.status_idle", "user.custom_tool_result"):
                    assert open_id is None, f"{where}: while model request {open_id} is still open"
            assert open_id is None, f"{path.name}: {open_id} never closed"


#: The agent's built-in tools (helpers.resources.agent_tools) and the SDK type of each one's input.
TOOL_INPUTS = {"bash": "BetaManagedAgentsAgentToolset20260401BashInput",
               "read": "BetaManagedAgentsAgentToolset20260401ReadInput",
               "grep": "BetaManagedAgentsAgentToolset20260401GrepInput",
               "glob": "BetaManagedAgentsAgentToolset20260401GlobInput",
               "write": "BetaManagedAgentsAgentToolset20260401WriteInput"}  # notebook 08's agent writes memories


def _absolute_paths(text: str) -> list[str]:
    import re

    return re.findall(r"(?<![\w.-])/(?:mnt|workspace|tmp|data|home|root)[\w./-]*", text)


class TestToolCalls:
    """The tool calls: the custom tools the header names, inputs valid for their schemas and the SDK's types, paths that
    are mounted, results that re-run byte for byte."""

    def test_custom_tools_header_matches_calls(self, rec):
        _, header, lines = rec
        names: list[str] = []
        for ln in lines:
            ev = ln["event"]
            if ev["type"] == "agent.custom_tool_use" and ev["name"] not in names:
                names.append(ev["name"])
        assert header["custom_tools"] == names

    def test_custom_tool_inputs_and_results(self, rec):
        """Inputs satisfy helpers.incident's schemas; authored results are exactly what handle_tool returns."""
        import jsonschema

        from helpers import incident

        _, header, lines = rec
        schemas = {t["name"]: t["input_schema"] for t in incident.CUSTOM_TOOLS}
        calls = {}
        for ln in lines:
            ev = ln["event"]
            if ev["type"] == "agent.custom_tool_use":
                assert ev["name"] in schemas
                jsonschema.validate(ev["input"], schemas[ev["name"]])
                calls[ev["id"]] = ev
            elif ev["type"] == "user.custom_tool_result" and header["source"] == "authored":
                call = calls[ev["custom_tool_use_id"]]
                expected = incident.handle_tool(call["name"], call["input"])
                assert ev["content"] == [{"type": "text", "text": expected}], f"{ev['id']}: stale tool result"

    def test_builtin_tool_inputs_are_the_sdks_and_read_only_mounted_paths(self, rec):
        """Each agent.tool_use is a tool the workshop's agent enables, its input valid for the SDK's type (no unknown
        field), and every path it reads is where a workshop session has a file: app.log in the uploads directory, or
        the outputs directory it writes (docs: managed-agents/files, "File paths")."""
        import anthropic.types.beta as beta

        from helpers.sandbox import LOG_PATH, OUTPUTS_DIR, UPLOADS_DIR
        from helpers.stub.recordings import _MOUNTED

        _, header, lines = rec
        for ln in lines:
            ev = ln["event"]
            if ev["type"] != "agent.tool_use":
                continue
            assert ev["name"] in TOOL_INPUTS, ev["name"]
            model = getattr(beta, TOOL_INPUTS[ev["name"]]).model_validate(ev["input"], strict=True)
            assert not model.model_extra, f"{ev['id']}: {model.model_extra}"
            text = json.dumps(ev["input"])
            nb08 = _nb08_mounts(ev)  # notebook 08's sessions mount more: tests/test_nb08_recordings.py checks those
            assert nb08 or "/workspace" not in text, f"{ev['id']} reads outside the docs' paths: {text}"
            for path in _MOUNTED.findall(text):
                assert nb08 or path.rstrip("/") in (UPLOADS_DIR, LOG_PATH), f"{ev['id']} reads {path}: nothing is mounted there"
            if header["source"] == "authored":  # a live agent may look anywhere; the authored one stays in its mounts
                roots = (UPLOADS_DIR, OUTPUTS_DIR, *(_nb08_roots() if nb08 else ()))
                assert all(p.startswith(roots) for p in _absolute_paths(text)), text

    def test_builtin_tool_outputs_rerun_byte_for_byte(self, rec, sandbox):
        _, header, lines = rec
        if header["source"] != "authored":
            pytest.skip("live recordings hold what the real sandbox printed")
        uses = {}
        checked = skipped = 0
        for ln in lines:
            ev = ln["event"]
            if ev["type"] == "agent.tool_use":
                uses[ev["id"]] = ev
            elif ev["type"] == "agent.tool_result":
                use = uses[ev["tool_use_id"]]
                if _nb08_mounts(use):
                    skipped += 1  # notebook 08's mounts: tests/test_nb08_recordings.py re-runs those in its sandbox
                    continue
                want = rerun(use["name"], use["input"], sandbox)
                assert ev["content"] == [{"type": "text", "text": want}], use["input"]
                assert ev["is_error"] is False
                checked += 1
        if any(ev["event"]["type"] == "agent.tool_use" for ev in lines):
            assert checked or skipped


class TestTheSet:
    """The recordings together: each one's first message selects it, and the generator writes the authored ones byte for
    byte."""

    def test_keywords_select_the_recording(self):
        """Rule 1: a recording's own first user.message selects it, and no other recording's keywords match."""
        recs = {p.stem: load(p) for p in FILES}

        def matching(text: str) -> list[str]:
            low = text.lower()
            return [n for n, (h, _) in sorted(recs.items()) if h["keywords"] and all(k.lower() in low for k in h["keywords"])]

        for name, (_header, lines) in recs.items():
            text = first_text(lines)
            if text is None:  # outcome: starts with user.define_outcome; its keywords match the description instead
                text = lines[0]["event"]["description"]
            assert matching(text) == [name], f"{name}: {matching(text)}"

    def test_generator_reproduces_the_files(self, tmp_path):
        proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_recordings.py"), "--out", str(tmp_path)],
                              capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        generated = {p.name: p.read_bytes() for p in tmp_path.glob("*.jsonl")}
        authored = {p.name: p.read_bytes() for p in FILES if load(p)[0]["source"] == "authored"}
        assert set(authored) <= set(generated), "authored files the generator does not write"
        for name, data in authored.items():
            assert generated[name] == data, f"{name} differs: run python scripts/make_recordings.py"


class TestStories:
    """What each story shows: the report, the interrupt, allow and deny, the faults, the outcome, the alert's report,
    the budget's stop."""

    def test_incident_report(self):
        events = _events("incident-2277")
        report = [ev for ev in events if ev["type"] == "agent.message"][-1]["content"][0]["text"]
        for needle in ("dep_4820", "9c41e7b", "v2.14.0", "14:05:30Z", "N+1", "order_summary.py",
                       "inventory_reservations", "dep_4819", "dep_4822", ".in_(", "roll back"):
            assert needle in report, needle
        assert events[-1]["type"] == "session.status_idle" and events[-1]["stop_reason"] == {"type": "end_turn"}
        assert {ev["name"] for ev in events if ev["type"] == "agent.custom_tool_use"} == {
            "query_logs", "get_metrics", "list_deploys", "get_diff"}
        # the built-in tools a live agent uses on this task (the cookbook's live runs): read a few lines, grep, count in bash
        assert {ev["name"] for ev in events if ev["type"] == "agent.tool_use"} == {"read", "grep", "bash"}
        reads = [ev["input"] for ev in events if ev["type"] == "agent.tool_use" and ev["name"] == "read"]
        assert all(r.get("view_range") for r in reads), "the log is 13 MB: a live agent reads a range, not the file"

    def test_interrupt_story(self):
        events = _events("interrupt")
        types = [ev["type"] for ev in events]
        i = types.index("user.interrupt")
        assert types.count("agent.tool_use") >= 10 and types[:i].count("agent.tool_use") >= 10
        assert [ev["name"] for ev in events if ev["type"] == "agent.tool_use"][:2] == ["glob", "read"]
        # the interrupted model request produces no output; its span.model_request_end closes it, then idle
        assert types[i - 1] == "span.model_request_start"
        assert types[i + 1:] == ["span.model_request_end", "session.status_idle"]
        assert events[i + 1]["model_request_start_id"] == events[i - 1]["id"]
        assert events[-1]["stop_reason"] == {"type": "end_turn"}
        start = ADAPTER.validate_json(json.dumps(events[0])).processed_at
        at = ADAPTER.validate_json(json.dumps(events[i])).processed_at
        assert (at - start).total_seconds() >= 90

    def test_permission_story(self):
        header, lines = load(REC_DIR / "permission-policy.jsonl")
        ask = [ln["event"] for ln in lines if ln["event"]["type"] == "agent.tool_use"][0]
        assert ask["evaluated_permission"] == "ask" and ask["evaluation"] == {"type": "always_ask"}
        p = paths(lines)
        assert set(p) == {"allow", "deny"}
        assert any(ev["type"] == "agent.tool_result" for ev in p["allow"])
        assert not any(ev["type"] == "agent.tool_result" for ev in p["deny"])
        assert "denied" in " ".join(ev["content"][0]["text"] for ev in p["deny"] if ev["type"] == "agent.message")

    def test_fault_stories(self):
        all_events = {p.stem: _events(p.stem) for p in FILES if p.stem.startswith("fault-")}
        flat = [ev for evs in all_events.values() for ev in evs]
        assert any(ev["type"] == "session.error" for ev in flat)
        # rescheduled, then running again, then a normal end
        res = all_events["fault-rescheduled"]
        types = [ev["type"] for ev in res]
        i = types.index("session.status_rescheduled")
        assert "session.error" in types[:i + 1] and "session.status_running" in types[i:]
        assert res[-1]["type"] == "session.status_idle" and res[-1]["stop_reason"]["type"] == "end_turn"
        ex = all_events["fault-retries-exhausted"]
        statuses = [ev["error"]["retry_status"]["type"] for ev in ex if ev["type"] == "session.error"]
        assert statuses[-1] == "exhausted" and "retrying" in statuses
        assert ex[-1]["stop_reason"] == {"type": "retries_exhausted"}
        term = all_events["fault-terminated"]
        assert term[-1]["type"] == "session.status_terminated"
        assert [ev["error"]["retry_status"]["type"] for ev in term if ev["type"] == "session.error"] == ["terminal"]

    def test_outcome_story(self):
        events = _events("outcome")
        assert events[0]["type"] == "user.define_outcome"
        ends = [ev for ev in events if ev["type"] == "span.outcome_evaluation_end"]
        assert [e["result"] for e in ends] == ["needs_revision", "satisfied"]
        assert all(e["result"] in OUTCOME_RESULTS for e in ends)
        assert [e["iteration"] for e in ends] == [0, 1]
        assert any(ev["type"] == "span.outcome_evaluation_ongoing" for ev in events)
        assert events[-1]["stop_reason"] == {"type": "end_turn"}

    def test_alert_story(self):
        """The deployed investigation writes its report to /mnt/session/outputs/report.md and replies with it."""
        from helpers.stub import outputs

        events = _events("alert-2277")
        writes = [outputs.written_file(ev) for ev in events if ev["type"] == "agent.tool_use"]
        writes = [w for w in writes if w]
        assert [w[0] for w in writes] == ["report.md"]
        final = [ev for ev in events if ev["type"] == "agent.message"][-1]["content"][0]["text"]
        assert writes[0][1].decode() == final
        assert "dep_4820" in final and "9c41e7b" in final
        assert events[-1]["stop_reason"] == {"type": "end_turn"}

    def test_budget_story(self):
        """The drill stops with budget_reached once its list cost reaches the cap, not a request earlier; priced at the
        workshop's default model, the cap lets a few requests run (not one: the first request's cache write alone is
        ~5 cents there, which a 3-cent cap made the whole drill) and the spend ends a little past it."""
        from decimal import Decimal

        from helpers.settings import DEFAULT_MODEL
        from helpers.stub import pricing
        from support.scripts import script

        gen = script("make_recordings")
        assert gen.BUDGET_DRILL_PRICED_AT == DEFAULT_MODEL
        events = _events("budget-reached")
        cap = Decimal(gen.BUDGET_DRILL_CENTS) / 100
        costs = [pricing.cost_usd(DEFAULT_MODEL, ev["model_usage"]) for ev in events
                 if ev["type"] == "span.model_request_end"]
        assert sum(costs) >= cap > sum(costs[:-1])
        assert len(costs) >= 3 and costs[0] < cap  # a few requests, the first well under the cap
        assert int(pricing.to_minor_units(sum(costs))) > gen.BUDGET_DRILL_CENTS  # list_cost shows it: a little past
        assert sum(costs) - cap < costs[-1]  # by less than the request in flight
        assert events[-1]["type"] == "session.status_idle" and events[-1]["stop_reason"] == {"type": "budget_reached"}


REPLAYS = [("incident-2277", None), ("interrupt", None), ("permission-policy", "allow"),
           ("permission-policy", "deny"), ("fault-rescheduled", None), ("fault-retries-exhausted", None),
           ("fault-terminated", None), ("outcome", None), ("alert-2277", None), ("budget-reached", None)]


@pytest.fixture(scope="module")
def stub_options():
    return {"speed": "instant", "recordings_dir": REC_DIR}


@pytest.fixture(scope="module")
def replayer(server):
    return Replayer(sdk_client(server, max_retries=0, timeout=30.0))


class TestReplayOnTheStub:
    """Each path replays on the stub through the SDK (tests/support/replay.py), to its recorded end."""

    @pytest.mark.parametrize("name,confirmation", REPLAYS, ids=[f"{n}-{c}" if c else n for n, c in REPLAYS])
    def test_replays_on_the_stub(self, replayer, name, confirmation):
        """A learner's loop that answers each call as it arrives (custom tools, confirmations) and interrupts where the
        recording does replays the recording's path to its recorded end, the client's events included."""
        _, lines = load(REC_DIR / f"{name}.jsonl")
        replay = replayer.replay(name, confirm=confirmation or "allow", answer_on_use=True)
        got = [e.type for e in replay.history if e.type != "session.usage"]  # the session's own, before each idle
        assert got == [e["type"] for e in paths(lines)[confirmation or ""]]  # (test_stub_recordings checks them)
