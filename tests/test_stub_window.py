"""More than 5 parallel custom tool calls (recording ``parallel-sweep``, 7 calls): ``stop_reason.event_ids`` is a window
of at most 5 of the pending ids, sliding as they are answered; every client the workshop teaches still finishes."""
from __future__ import annotations

import json
from pathlib import Path

import anthropic
import pytest

from helpers import check, incident, loop, render, resources, stub
from helpers.events import EVENT_IDS_WINDOW as WINDOW

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def client():
    with stub.start() as server:
        yield anthropic.Anthropic(api_key="k", base_url=server.url, _strict_response_validation=True, max_retries=0)


def _session(client):
    return resources.new_session(client, metadata={"recording": "parallel-sweep"})


def _answer(ev):
    return {"type": "user.custom_tool_result", "custom_tool_use_id": ev.id,
            "content": [{"type": "text", "text": incident.handle_tool(ev.name, ev.input)}]}


def test_a_client_answering_only_the_listed_ids_keeps_answering_across_idles(client):
    s = _session(client)
    calls, windows, answered = {}, [], []
    with client.beta.sessions.events.stream(s.id) as stream:
        client.beta.sessions.events.send(s.id, events=[{"type": "user.message", "content": [
            {"type": "text", "text": "Latency sweep, please."}]}])
        for ev in stream:
            if ev.type == "agent.custom_tool_use":
                calls[ev.id] = ev
            elif ev.type == "session.status_idle":
                if ev.stop_reason.type != "requires_action":
                    break
                ids = list(ev.stop_reason.event_ids)
                windows.append(ids)
                todo = [i for i in ids if i not in answered]
                client.beta.sessions.events.send(s.id, events=[_answer(calls[i]) for i in todo])
                answered += todo
    order = list(calls)
    assert len(order) == 7
    assert windows[0] == order[:WINDOW]  # the oldest five, not all seven
    assert all(len(w) <= WINDOW for w in windows)
    assert windows[1] == order[WINDOW:]  # answering the five re-emits idle with the remaining two
    assert sorted(answered) == sorted(order) and ev.stop_reason.type == "end_turn"


def test_the_window_slides_one_answer_at_a_time(client):
    s = _session(client)
    calls, windows = [], []
    with client.beta.sessions.events.stream(s.id) as stream:
        client.beta.sessions.events.send(s.id, events=[{"type": "user.message", "content": [
            {"type": "text", "text": "Latency sweep, please."}]}])
        for ev in stream:
            if ev.type == "agent.custom_tool_use":
                calls.append(ev)
            elif ev.type == "session.status_idle":
                if ev.stop_reason.type != "requires_action":
                    break
                windows.append(list(ev.stop_reason.event_ids))
                client.beta.sessions.events.send(s.id, events=[_answer(next(c for c in calls
                                                                            if c.id == ev.stop_reason.event_ids[0]))])
    ids = [c.id for c in calls]
    assert [w for w in windows] == [ids[i:i + WINDOW] for i in range(7)]


def test_loop_run_answers_all_seven(client):
    s = _session(client)
    result = loop.run(client, s.id, "Latency sweep, please.", handle_tool=incident.handle_tool, timeout=60)
    assert result.stop_reason == "end_turn", result
    sent = list(client.beta.sessions.events.list(s.id, types=["user.custom_tool_result"], limit=100))
    assert len(sent) == 7 == len({e.custom_tool_use_id for e in sent})


class _NoPanel:
    """Stands in for the dashboard of notebook 04 (its SRE Agent panel): follows nothing."""

    def attach(self, session):
        return lambda event: None


def _set_up_names(name: str, names: set[str]) -> str:
    """The assignments of ``names`` in a solution's set-up cell (the one that connects), as the solution writes them."""
    import ast

    nb = json.loads((ROOT / "solutions" / f"{name}.ipynb").read_text())
    setup = next("".join(c["source"]) for c in nb["cells"]
                 if c["cell_type"] == "code" and "helpers.connect(" in "".join(c["source"]))
    nodes = [n for n in ast.parse(setup).body if isinstance(n, ast.Assign)
             and {t.id for t in n.targets if isinstance(t, ast.Name)} & names]
    assert {t.id for n in nodes for t in n.targets} == names, names
    return ast.unparse(ast.Module(body=nodes, type_ignores=[]))


def test_the_04_solution_loop_and_its_check_handle_the_window(client):
    """The learner's loop of notebook 04 (the TODO 4.1 cell, run as written, on the 7-call recording, with the
    set-up cell's handle_tool, QUESTION and the message it builds) and check.investigation."""
    env, agent, log_file = resources.ensure_all(client)
    scope = {"client": client, "incident": incident, "render": render, "resources": resources,  # the set-up cell's
             "agent": agent, "env": env, "log_file": log_file, "dash": _NoPanel()}
    exec(compile(_set_up_names("04_custom_tools", {"handle_tool", "QUESTION", "message"}), "solutions/04", "exec"), scope)
    nb = json.loads((ROOT / "solutions" / "04_custom_tools.ipynb").read_text())
    cell = next("".join(c["source"]) for c in nb["cells"] if "### BEGIN SOLUTION 4.1 " in "".join(c["source"]))
    assert '"recording": "incident-2277"' in cell
    exec(compile(cell.replace('"recording": "incident-2277"', '"recording": "parallel-sweep"'), "solutions/04", "exec"),
         scope)
    events, answered, session = scope["events"], scope["answered"], scope["session"]
    assert events[-1].type == "session.status_idle" and events[-1].stop_reason.type == "end_turn"
    assert sum(e.type == "agent.custom_tool_use" for e in events) == 7 == len(answered)
    check.investigation(events, answered, client, session.id)  # raises (check.CheckFailed) when the loop went wrong
