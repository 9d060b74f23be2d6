"""The recordings of notebook 09 (a team of investigators, an MCP server): ``incident-team`` and
``statuspage-update``. ``scripts/make_recordings.py`` writes them with the others (``build_all``); this module keeps
them apart from the series' earlier stories.

Authored, like the rest (``"source": "authored"``): written from the docs and the SDK's types, never captured live.
Every number is computed from ``data/`` and from what the recorded tools printed; the MCP server's answers (a status
page at ``https://mcp.status.example/mcp``, a reserved example domain) are authored, since no such server exists.

Each agent's conversation starts with its own prompt: the investigator threads with the series' estimate
(``make_recordings.prompt_overhead_tokens``), the lead and the comms agent with theirs (:func:`prompt_tokens`: the
same published and estimated platform parts, their own system prompts counted, and an *estimate* for the tools the
platform gives them, unpublished: the lead's thread tools, the status page's two MCP tool definitions).

A multiagent recording holds each event once, where it happened: lines without ``"thread"`` are the primary thread's
(the session-level stream); a line with ``"thread": <recorded id>`` is that child thread's own event. The stub
cross-posts to the primary stream what the docs say it shows (thread status changes, and a subagent's tool calls
that wait on the client), so the recording does not repeat them.
"""
from __future__ import annotations

import json
from contextlib import contextmanager

import make_recordings as mr

__all__ = ["build", "TeamRecording", "LEAD_MESSAGE", "FOLLOWUP_MESSAGE", "COMMS_MESSAGE", "STATUS_URL", "SUBAGENT"]

#: The subagent every investigator thread runs (helpers.resources.AGENT_NAME: notebook 02's investigator).
SUBAGENT = "sre-investigator"
#: The recorded ids of the primary thread and of the three investigator threads.
PRIMARY, CHECKOUT, PAYMENTS, CART = "sthr_01TEAMLEAD00", "sthr_01TEAMCHECKOUT", "sthr_01TEAMPAYMENTS", "sthr_01TEAMCART0"
#: The status page's MCP server (notebook 09 declares it on its comms agent; a vault holds its token).
STATUS_SERVER, STATUS_URL = "statuspage", "https://mcp.status.example/mcp"

LEAD_MESSAGE = (
    "Incident-2277: checkout latency has been about 10x its baseline since 14:07Z. Three deploys are suspects: checkout "
    "dep_4820 (14:05:30Z), payments dep_4819 (13:58:40Z) and cart dep_4822 (14:31:10Z). Give each suspect its own "
    "investigator thread, then merge their findings into one root-cause report."
)
FOLLOWUP_MESSAGE = ("Ask the checkout investigator: at most how many database queries did one checkout request run "
                    "after the deploy?")
CMD_MAX_QUERIES = f"grep -o '\"db_queries\":[0-9]*' {mr.LOG} | cut -d: -f2 | sort -n | tail -1"

#: The system prompts of notebook 09's lead and comms agent (a test keeps them equal to the notebook's).
LEAD_SYSTEM = ("You lead an incident investigation. Give each suspect deploy its own investigator thread, stop waiting "
               "for threads the user stops, and merge the investigators' findings into one root-cause report.")
COMMS_SYSTEM = "You keep customers informed during incidents through the status page. Never name internal details."
#: The tools the platform gives an agent that spawns and messages threads: unpublished. An *estimate*, of the order
#: of one built-in tool's definition (make_recordings.BUILTIN_TOOL_TOKENS_ESTIMATE) for each of spawn and message.
THREAD_TOOLS_TOKENS_ESTIMATE = 600
#: A status page MCP tool's definition as the server lists it: an *estimate* (a name, a description, a small schema).
MCP_TOOL_TOKENS_ESTIMATE = 150


def prompt_tokens(system: str, tools_tokens: int) -> int:
    """The tokens before a lead's or a comms agent's first message: the platform's parts (as for the investigator:
    published, and estimated), its system prompt (counted), its tools (``tools_tokens``, estimated)."""
    return (mr.TOOL_USE_SYSTEM_PROMPT_TOKENS + mr.HARNESS_PROMPT_TOKENS_ESTIMATE + mr._tokens(system)
            + tools_tokens)


class TeamRecording(mr.Recording):
    """A recording whose lines may belong to a child thread (``with r.on(thread):``), each thread with its own
    conversation (its own prompt cache)."""

    def __init__(self, *args, prompt: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pending = prompt  # the primary thread's agent (the lead, the comms agent): its own prompt
        self.thread: str | None = None
        self.contexts: dict[str | None, tuple[int, int]] = {}

    def emit(self, type_: str, gap: float = 0.0, **fields) -> str:
        eid = super().emit(type_, gap, **fields)
        if self.thread is not None:
            self.lines[-1] = {"thread": self.thread, **self.lines[-1]}
        return eid

    @contextmanager
    def on(self, thread: str):
        """Lines of ``thread``'s own history, in its own conversation (a new thread starts with the system prompt)."""
        self.contexts[self.thread] = (self.cached, self.pending)
        self.thread = thread
        self.cached, self.pending = self.contexts.get(thread, (0, self.SYSTEM_TOKENS))
        try:
            yield
        finally:
            self.contexts[thread] = (self.cached, self.pending)
            self.thread = None
            self.cached, self.pending = self.contexts[None]

    # -- the team's events
    def spawn(self, thread: str, task: str) -> None:
        """The primary thread starts a child thread and hands it its task; the child takes it up and runs."""
        self.emit("session.thread_created", 0.2, session_thread_id=thread, agent_name=SUBAGENT)
        self.emit("agent.thread_message_sent", 0.05, to_session_thread_id=thread, to_agent_name=SUBAGENT,
                  content=[{"type": "text", "text": task}])
        with self.on(thread):
            self.pending += mr._tokens(task)
            self.emit("agent.thread_message_received", 0.05, from_session_thread_id=PRIMARY,
                      content=[{"type": "text", "text": task}])
            self.status("running")

    def status(self, status: str, gap: float = 0.05, **fields) -> str:
        return self.emit(f"session.thread_status_{status}", gap, session_thread_id=self.thread, agent_name=SUBAGENT,
                         **fields)

    def thread_custom_turn(self, message: str | None, name: str, tool_input: dict, think: bool = False) -> str:
        """On the current thread: a model request that calls one custom tool, the thread idle until the client
        answers, then running again. Returns the tool's result."""
        outputs = ([("message", message)] if message else []) + [("custom", name, tool_input)]
        (eid,) = self.model_request(outputs, think=think)
        self.status("idle", 0.03, stop_reason={"type": "requires_action", "event_ids": [eid]})
        result = mr.handle_tool(name, tool_input)
        self.outputs[eid] = result
        self.pending += mr._tokens(result) + 10
        self.emit("user.custom_tool_result", self.jitter(0.25, 0.6), custom_tool_use_id=eid,
                  content=[{"type": "text", "text": result}])
        self.status("running")
        return result

    def report(self, thread: str, text: str) -> None:
        """The thread sends its findings to the lead and goes idle; the lead receives them."""
        with self.on(thread):
            self.model_request([("message", "Sending my findings to the lead.")])
            self.emit("agent.thread_message_sent", 0.05, to_session_thread_id=PRIMARY,
                      content=[{"type": "text", "text": text}])
            self.status("idle", 0.03, stop_reason={"type": "end_turn"})
        self.pending += mr._tokens(text)
        self.emit("agent.thread_message_received", 0.05, from_session_thread_id=thread, from_agent_name=SUBAGENT,
                  content=[{"type": "text", "text": text}])

    def mcp_request(self, message: str, tool: str, tool_input: dict, *, ask: bool, result: dict | None) -> str:
        """A model request that says ``message`` and calls a tool of the status page's MCP server (with ``ask``:
        it waits for a user.tool_confirmation); the server's ``result`` follows at once unless it waits."""
        start = self.emit("span.model_request_start", self.jitter(0.08, 0.25))
        out_tokens = 18 + mr._tokens(message) + 24 + mr._tokens(json.dumps(tool_input))
        usage = {"input_tokens": self.rng.randint(3, 9), "output_tokens": out_tokens,
                 "cache_creation_input_tokens": self.pending, "cache_read_input_tokens": self.cached}
        self.cached += self.pending + out_tokens
        self.pending = 0
        self.emit("agent.message", 1.1 + out_tokens / 58.0, content=[{"type": "text", "text": message}])
        permission = ("ask", "always_ask") if ask else ("allow", "always_allow")
        eid = self.emit("agent.mcp_tool_use", 0.006, mcp_server_name=STATUS_SERVER, name=tool, input=tool_input,
                        evaluated_permission=permission[0], evaluation={"type": permission[1]})
        self.emit("span.model_request_end", 0.012, model_request_start_id=start, model_usage=usage)
        if result is not None and not ask:
            self.mcp_result(eid, result)
        return eid

    def mcp_result(self, eid: str, result: dict) -> None:
        text = json.dumps(result, separators=(", ", ": "))
        self.pending += mr._tokens(text) + 10
        self.emit("agent.mcp_tool_result", self.jitter(0.3, 0.8), mcp_tool_use_id=eid,
                  content=[{"type": "text", "text": text}], is_error=False)


# --------------------------------------------------------------------------- incident-team


def _tasks(f: mr.Facts) -> dict[str, str]:
    c, h1, h2 = f.culprit, f.herring_before, f.herring_after
    return {
        CHECKOUT: (f"Suspect {c['id']}: checkout {c['version']} (commit {c['commit']}) deployed at "
                   f"{mr.hhmm(c['timestamp'])}. Compare checkout's p99 before and after the 14:07Z onset, grep "
                   f"{mr.LOG} for requests with many DB queries, read the diff of {c['id']}, and report whether it "
                   "caused the spike."),
        PAYMENTS: (f"Suspect {h1['id']}: payments deployed at {mr.hhmm(h1['timestamp'])}, "
                   f"{mr._minutes(h1['timestamp'], mr.ONSET)} minutes before the onset. Compare payments' p99 before "
                   "and after its deploy and report whether it moved."),
        CART: (f"Suspect {h2['id']}: cart deployed at {mr.hhmm(h2['timestamp'])}. Audit cart's requests and errors "
               "hour by hour and report whether it is involved."),
    }


def _investigate_checkout(r: TeamRecording, f: mr.Facts) -> tuple[str, str]:
    """The checkout investigator's first steps (metrics, a grep); returns what it found so far and the diff."""
    c = f.culprit
    with r.on(CHECKOUT):
        cb, ca, ratio = mr.comparison(r.thread_custom_turn("Checkout's latency first, around the onset.",
                                                           "get_metrics", mr.METRICS_INPUT, think=True))
    with r.on(PAYMENTS):
        pb, pa, pratio = mr.comparison(r.thread_custom_turn("Payments' latency around its deploy.", "get_metrics",
                                                            mr.PAYMENTS_METRICS_INPUT, think=True))
        assert 0.8 < pratio < 1.25, pratio
    with r.on(CHECKOUT):
        heavy = mr.hourly(r.bash_turn(
            f"p99 {mr.ms(cb)} → {mr.ms(ca)} ({ratio:.1f}x) at {mr.hhmm(mr.ONSET)[:5]}. Do checkout requests run more "
            "DB queries since then?", mr.CMD_HEAVY_PER_HOUR))
        assert set(heavy) == {"14", "15"}, heavy
    h1 = f.herring_before
    r.report(PAYMENTS, f"{h1['id']} is not it. Payments p99 stayed flat around its deploy: {mr.ms(pb)} before, "
                       f"{mr.ms(pa)} after ({pratio:.2f}x). Checkout's spike comes from elsewhere.")
    with r.on(CHECKOUT):
        diff = r.thread_custom_turn(f"{sum(heavy.values()):,} requests ran 10 or more DB queries, none before 14:00. "
                                    f"Reading the diff of {c['id']}.", "get_diff", mr.DIFF_INPUT, think=True)
        assert f.nplus1_line in diff
    found = (f"{c['id']} caused it. Checkout p99 went from {mr.ms(cb)} to {mr.ms(ca)} ({ratio:.1f}x) at "
             f"{mr.hhmm(mr.ONSET)[:5]}, {mr._seconds(c['timestamp'], mr.ONSET)} seconds after the deploy; "
             f"{sum(heavy.values()):,} checkout requests ran 10 or more DB queries, none before 14:00. The diff adds "
             f"an N+1 query in services/checkout/order_summary.py: `{f.nplus1_line}` runs once per order item. Fix: "
             "roll back, then fetch the reservations in one query (`.in_(skus)` or `selectinload`).")
    return found, f"{mr.ms(cb)} → {mr.ms(ca)} ({ratio:.1f}x)"


def _merged(f: mr.Facts, p99: str) -> str:
    c, h1, h2 = f.culprit, f.herring_before, f.herring_after
    return f"""## Incident-2277: the team's findings

| suspect | verdict |
|---|---|
| checkout `{c['id']}` ({mr.hhmm(c['timestamp'])}) | **the cause**: p99 {p99}, an N+1 query |
| payments `{h1['id']}` ({mr.hhmm(h1['timestamp'])}) | not it: payments p99 stayed flat |
| cart `{h2['id']}` ({mr.hhmm(h2['timestamp'])}) | not investigated (you stopped that thread): it came \
{mr._minutes(mr.ONSET, h2['timestamp'])} minutes after the onset, so it cannot have started it |

**Root cause.** Deploy `{c['id']}` (checkout `{c['version']}`, commit `{c['commit']}`, {c['author']}) added an N+1 \
query to `services/checkout/order_summary.py`: `{f.nplus1_line}` runs once per order item.

**Fix.** Roll back `{c['id']}` now; then batch the lookup (`filter(InventoryReservation.sku.in_(skus))` or \
`selectinload`) and add a test that bounds the queries per order summary.
"""


def _followup(r: TeamRecording) -> None:
    """Turn 2: the lead asks the checkout investigator a follow-up, which it answers from the log."""
    r.user_message(FOLLOWUP_MESSAGE, gap=40.0)
    r.running()
    r.model_request([("message", "Asking the checkout investigator; it keeps its earlier findings.")])
    r.emit("agent.thread_message_sent", 0.05, to_session_thread_id=CHECKOUT, to_agent_name=SUBAGENT,
           content=[{"type": "text", "text": FOLLOWUP_MESSAGE.removeprefix("Ask the checkout investigator: ")
                     .capitalize()}])
    with r.on(CHECKOUT):
        r.emit("agent.thread_message_received", 0.05, from_session_thread_id=PRIMARY,
               content=[{"type": "text", "text": FOLLOWUP_MESSAGE.removeprefix("Ask the checkout investigator: ")
                         .capitalize()}])
        r.status("running")
        top = int(r.bash_turn("The largest db_queries value in the log:", CMD_MAX_QUERIES).strip())
    low, high = _queries_before_the_deploy(r.data_dir)
    answer = (f"At most {top} DB queries for one checkout request after the deploy ({low} to {high} before it): one "
              "query per order item, as the N+1 predicts.")
    r.report(CHECKOUT, answer)
    r.model_request([("message", f"The checkout investigator: {answer}")])
    r.end_turn()


def _queries_before_the_deploy(data_dir) -> tuple[int, int]:
    """The fewest and most DB queries a checkout request ran before dep_4820 (what the follow-up answer claims)."""
    counts = []
    with open(data_dir / "app.log", encoding="utf-8") as fh:
        for line in fh:
            if '"db_queries":' in line and line[7:26] < "2026-11-18T14:05:30":
                counts.append(json.loads(line)["db_queries"])
    return min(counts), max(counts)


def rec_team(f: mr.Facts) -> TeamRecording:
    r = TeamRecording("incident-team", "TEAM", f, title="A team of investigators: one thread per suspect deploy",
                      description="A lead agent (multiagent, the SRE investigator as its subagent) spawns one "
                                  "investigator thread per suspect deploy. The cart thread is stopped by a "
                                  "user.interrupt naming it (session_thread_id); the checkout and payments threads "
                                  "call their custom tools through the client, report to the lead, and the lead "
                                  "merges their findings. A second turn asks the checkout thread a follow-up.",
                      keywords=["investigator thread"], prompt=prompt_tokens(LEAD_SYSTEM, THREAD_TOOLS_TOKENS_ESTIMATE))
    r.user_message(LEAD_MESSAGE)
    r.running()
    h2 = f.herring_after
    r.model_request([("message", "Three suspects, three investigators: each deploy gets its own thread, and I merge "
                                 f"what they find. Cart's deploy came {mr._minutes(mr.ONSET, h2['timestamp'])} minutes "
                                 "after the onset, so it is the least likely.")], think=True)
    for thread, task in _tasks(f).items():
        r.spawn(thread, task)
    r.emit("user.interrupt", 2.5, session_thread_id=CART)
    with r.on(CART):
        r.status("idle", 0.1, stop_reason={"type": "end_turn"})
    found, p99 = _investigate_checkout(r, f)
    r.report(CHECKOUT, found)
    r.model_request([("message", _merged(f, p99))], think=True, extra_seconds=3.0)
    r.end_turn()
    _followup(r)
    return r


# --------------------------------------------------------------------------- statuspage-update


def comms_message(f: mr.Facts) -> str:
    c = f.culprit
    return (f"Post a status page update for Incident-2277: we found the cause of the slow checkouts since 14:07Z "
            f"(deploy {c['id']}) and are rolling it back. Keep it short and customer-facing.")


COMMS_MESSAGE = ("Post a status page update for Incident-2277: we found the cause of the slow checkouts since 14:07Z "
                 "(deploy dep_4820) and are rolling it back. Keep it short and customer-facing.")
STATUS_INCIDENT = {"id": "inc_2277", "title": "Slow checkout", "status": "investigating", "components": ["checkout"],
                   "started_at": "2026-11-18T14:07:00Z"}
STATUS_UPDATE = ("We found the cause of the slow checkouts that began at 14:07 UTC: a change released shortly before. "
                 "We are rolling it back now and will post again once checkout times are back to normal.")


def rec_statuspage(f: mr.Facts) -> TeamRecording:
    assert comms_message(f) == COMMS_MESSAGE  # notebook 09 sends this text; data/ must still agree with it
    r = TeamRecording("statuspage-update", "STAT", f, title="An MCP server: a status page update the learner approves",
                      description="The comms agent calls the status page's MCP server: list_incidents runs at once "
                                  "(always_allow), post_incident_update waits for a user.tool_confirmation "
                                  "(always_ask). allow: the update is published. deny: the agent leaves the draft "
                                  "to you. The server needs a credential: a vault on the session holds it.",
                      keywords=["status page"], prompt=prompt_tokens(COMMS_SYSTEM, 2 * MCP_TOOL_TOKENS_ESTIMATE))
    r.user_message(COMMS_MESSAGE)
    r.running()
    r.mcp_request("I'll look up the open incident on the status page first.", "list_incidents", {"status": "open"},
                  ask=False, result={"incidents": [STATUS_INCIDENT]})
    post = {"incident_id": STATUS_INCIDENT["id"], "status": "identified", "message": STATUS_UPDATE}
    eid = r.mcp_request(f"Found `{STATUS_INCIDENT['id']}` ({STATUS_INCIDENT['title']}, {STATUS_INCIDENT['status']}). "
                        "The update below is public, so it waits for your approval.", "post_incident_update", post,
                        ask=True, result=None)
    r.idle({"type": "requires_action", "event_ids": [eid]})
    r.emit("user.tool_confirmation", 12.0, tool_use_id=eid, result="allow")
    with r.branch("allow"):
        r.running(0.05)
        r.mcp_result(eid, {"incident_id": STATUS_INCIDENT["id"], "status": "identified", "update_id": "upd_2277_1",
                           "published": True})
        r.model_request([("message", f"Posted: `{STATUS_INCIDENT['id']}` is now *identified*, with this update:\n\n"
                                     f"> {STATUS_UPDATE}")])
        r.end_turn()
    with r.branch("deny"):
        r.running(0.05)
        r.model_request([("message", "Not posted: you denied it. Here is the draft, to post yourself or edit:\n\n"
                                     f"> {STATUS_UPDATE}")])
        r.end_turn()
    return r


def build(f: mr.Facts) -> list[TeamRecording]:
    return [rec_team(f), rec_statuspage(f)]
