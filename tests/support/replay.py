"""One driver for every test that replays a session as a client would, through the real SDK on the stub.

``run_turn(client, session_id, first)`` streams one turn: it sends ``first`` once the stream is open, answers what
the session waits on (a custom tool use with ``result(event)``, a tool use that asks with ``confirm``), either when
the ``requires_action`` idle lists it (``stop_reason.event_ids``, the default) or as soon as the use arrives
(``answer_on_use``, as ``helpers.loop`` does), sends a ``user.interrupt`` when the ``interrupt_at``-th model request
starts, and ends at the first idle that waits on nothing (or at termination).

``Replayer(client)`` replays a whole recording of ``data/recordings`` on that client's stub: a session whose agent
could have made it (the stub checks its built-in tools and their permission policies, and a budget that stops it
where the recording stops), ``app.log`` mounted where the agent reads it, the recording's first events sent, the
custom tools answered by ``helpers.incident.handle_tool``, the interrupt sent where the recording has it, and each
later ``user.message`` sent when the turn before it ends.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from helpers.settings import DEFAULT_MODEL

__all__ = ["Driver", "run_turn", "Replay", "Replayer", "MODEL"]

#: The agents' model: the workshop's default, at whose list price the budget drill is authored
#: (make_recordings.BUDGET_DRILL_PRICED_AT), so a session capped at a recording's recorded spend stops where it did.
MODEL = DEFAULT_MODEL


def _default_result(event: Any) -> str:
    return f"result of {event.name}"


class Driver:
    """A client of one session: what it streamed (``streamed``, every event of every turn), what it answered, and
    how many model requests it saw start (for ``interrupt_at``)."""

    def __init__(self, client: Any, session_id: str, *, confirm: str = "allow",
                 result: Callable[[Any], str] = _default_result, answer_on_use: bool = False,
                 interrupt_at: int | None = None) -> None:
        self.client, self.session_id = client, session_id
        self.confirm, self.result, self.answer_on_use, self.interrupt_at = confirm, result, answer_on_use, interrupt_at
        self.seen: dict[str, Any] = {}
        self.streamed: list[Any] = []
        self.answered: set[str] = set()
        self.model_requests = 0

    def send(self, events: list[dict]) -> None:
        self.client.beta.sessions.events.send(self.session_id, events=events)

    def answer(self, ids: list[str]) -> None:
        """Answer the tool uses ``ids`` not answered yet: a custom tool's result, or the confirmation."""
        answers = []
        for i in [i for i in ids if i not in self.answered]:
            src = self.seen[i]
            if src.type == "agent.custom_tool_use":
                answers.append({"type": "user.custom_tool_result", "custom_tool_use_id": i,
                                "content": [{"type": "text", "text": self.result(src)}]})
            else:
                answers.append({"type": "user.tool_confirmation", "tool_use_id": i, "result": self.confirm})
            self.answered.add(i)
        if answers:
            self.send(answers)

    def turn(self, first: dict | list[dict] | None = None, *, stop_on_idle: bool = True) -> list[Any]:
        """Stream one turn (sending ``first`` once the stream is open); returns the events it streamed."""
        out: list[Any] = []
        with self.client.beta.sessions.events.stream(self.session_id) as stream:
            if first is not None:
                self.send(first if isinstance(first, list) else [first])
            for ev in stream:
                out.append(ev)
                self.streamed.append(ev)
                self.seen[ev.id] = ev
                if self.answer_on_use and (ev.type == "agent.custom_tool_use" or (
                        ev.type == "agent.tool_use" and ev.evaluated_permission == "ask")):
                    self.answer([ev.id])
                if ev.type == "span.model_request_start":
                    self.model_requests += 1
                    if self.model_requests == self.interrupt_at:  # the recorded interrupt lands during this request
                        self.send([{"type": "user.interrupt"}])
                if ev.type == "session.status_idle":
                    if ev.stop_reason.type == "requires_action":
                        self.answer(ev.stop_reason.event_ids)
                    elif stop_on_idle:
                        break
                if ev.type == "session.status_terminated":
                    break
        return out


def run_turn(client: Any, session_id: str, first: dict | list[dict] | None = None, *, stop_on_idle: bool = True,
             **kwargs: Any) -> list[Any]:
    """One turn of a fresh :class:`Driver` (``kwargs``: its ``confirm``, ``result``, ``answer_on_use``,
    ``interrupt_at``); returns the streamed events."""
    return Driver(client, session_id, **kwargs).turn(first, stop_on_idle=stop_on_idle)


class Replay(NamedTuple):
    """A replayed recording: the recording, its session, the ids streamed (in order) and the session's history."""

    rec: Any
    session: Any
    streamed: list[str]
    history: list[Any]


def _params(event: dict) -> dict:
    """A recorded client event as a client sends it (no id, time or server-assigned field)."""
    return {k: v for k, v in event.items() if k not in ("id", "processed_at", "outcome_id", "session_thread_id")}


class Replayer:
    """Replays recordings on ``client``'s stub (its recordings folder): one environment, an agent for each bash
    permission policy (with the incident's custom tools), and app.log mounted as a learner's session mounts it."""

    def __init__(self, client: Any) -> None:
        from helpers import incident, resources

        self.client = client
        self.environment_id = client.beta.environments.create(name="recordings").id
        self.agents = {policy: client.beta.agents.create(model=MODEL, name=f"sre-{policy}", tools=[
            {"type": "agent_toolset_20260401", "configs": [{"name": "bash", "permission_policy": {"type": policy}}]},
            *incident.CUSTOM_TOOLS]).id for policy in ("always_allow", "always_ask")}
        log_file = resources.ensure_log_file(client)
        self.mount = [{"type": "file", "file_id": log_file.id, "mount_path": resources.LOG_MOUNT_PATH}]

    def session(self, rec: Any) -> Any:
        """A session that could have made ``rec``: the agent with its bash policy, the budget it stops at."""
        from helpers.stub import budgets

        ask = "ask" in rec.builtin_tools().get("bash", set())
        spent = budgets.recorded_cost(rec.lines, MODEL)
        capped = {} if spent is None else {"budget": {"type": "limit", "max_list_cost": {
            "amount": str(int(spent * 100)), "currency": "USD"}}}
        return self.client.beta.sessions.create(agent=self.agents["always_ask" if ask else "always_allow"],
                                                environment_id=self.environment_id, metadata={"recording": rec.name},
                                                resources=self.mount, **capped)

    def replay(self, name: str, *, confirm: str = "allow", answer_on_use: bool = False) -> Replay:
        """Replay the recording ``name`` to its end, answering its confirmations with ``confirm``."""
        from helpers import incident
        from helpers.stub import recordings

        rec = recordings.load(name)
        script = [ln.event for ln in rec.lines if ln.client_side]
        # the events that start the work: a user.message, or a user.define_outcome (the agent begins on its receipt)
        starter = next(i for i, e in enumerate(script) if e["type"] in ("user.message", "user.define_outcome"))
        later = [_params(e) for e in script[starter + 1:] if e["type"] == "user.message"]  # later turns
        types = [ln.type for ln in rec.lines]
        interrupt_at = types[:types.index("user.interrupt")].count("span.model_request_start") \
            if "user.interrupt" in types else None
        s = self.session(rec)
        driver = Driver(self.client, s.id, confirm=confirm, answer_on_use=answer_on_use, interrupt_at=interrupt_at,
                        result=lambda ev: incident.handle_tool(ev.name, ev.input))
        last = driver.turn([_params(e) for e in script[:starter + 1]])
        for message in later:
            if last and last[-1].type == "session.status_terminated":
                break
            last = driver.turn(message)
        history = list(self.client.beta.sessions.events.list(s.id, order="asc", limit=1000))
        return Replay(rec, s, [e.id for e in driver.streamed], history)
