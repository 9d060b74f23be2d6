#!/usr/bin/env python3
"""Write the authored recordings: data/recordings/*.jsonl (format: docs/design.md, "Recordings").

    python scripts/make_recordings.py             # writes data/recordings/*.jsonl
    python scripts/make_recordings.py --out DIR   # writes DIR/*.jsonl (the tests use this)
    python scripts/make_recordings.py --check     # writes nothing; exit 1 if data/recordings is out of date

The recordings are *authored* from the docs, not captured: every header says ``"source": "authored"`` until a
live capture (``helpers/recorder.py``, ``scripts/live_recordings.py --refresh``) replaces the file with
``"source": "live"``. They are honest in everything else. Each event is a full event as
``client.beta.sessions.events.list`` returns it and validates strictly against the SDK's
``BetaManagedAgentsSessionEvent``. The agent works as a live one does on this task: it reads a few lines of the
log with ``read``, searches it with ``grep``, counts with ``bash`` pipelines, finds files with ``glob``, and calls
the custom tools (the tools and inputs the cookbook's live runs show, with the inputs the SDK's
``BetaManagedAgentsAgentToolset20260401*Input`` types define). Every number the agent states is computed here from
the evidence files in ``data/``. Every custom tool result is the real output of ``helpers.incident.handle_tool``
for the recorded input. Every built-in tool result is what that call really gives on ``data/app.log``, mounted
where the sandbox has it (``helpers.sandbox.LOG_PATH``, in a scratch copy of the sandbox's ``/mnt/session/``):
``bash`` runs the command with ``LC_ALL=C`` (so ``sort`` is stable); ``read``, ``grep`` and ``glob`` run the SDK's
reference implementations of those tools (``anthropic.lib.tools.agent_toolset``; the hosted tools' output
format is not documented, so that the two agree is an inference).

Token counts are an *estimate* where no live figure is published: see ``prompt_overhead_tokens``.

Deterministic: fixed ids (``sevt_01<CODE><n>``), a fixed timeline starting 2026-11-18T14:52:00Z, and no
clock or randomness except ``random.Random(<recording name>)``. Re-running it on the same ``data/`` reproduces
the files byte for byte (tests/test_recordings.py checks this). Re-run it whenever ``data/`` or
``helpers/incident/`` changes.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from helpers.events import EVENT_IDS_WINDOW  # noqa: E402
from helpers.sandbox import LOG_PATH, OUTPUTS_DIR, UPLOADS_DIR  # noqa: E402
from helpers.settings import DATA_DIR, DEFAULT_MODEL  # noqa: E402

FORMAT = 1
START = datetime(2026, 11, 18, 14, 52, 0, tzinfo=timezone.utc)
ONSET = "2026-11-18T14:07:00Z"

# --------------------------------------------------------------------------- the sandbox's tools, run here

#: Where the agent reads the log, and the report it writes under OUTPUTS_DIR, which makes it a session output
#: (files.list(scope_id=session.id)).
LOG = LOG_PATH
REPORT_PATH = f"{OUTPUTS_DIR}/report.md"
#: The sandbox's /mnt/session/ and what a session of the workshop mounts there: only app.log.
SESSION_ROOT = "/mnt/session/"


class Sandbox:
    """A scratch copy of the sandbox's ``/mnt/session/`` (``uploads/app.log`` and an empty ``outputs/``), where the
    recorded built-in tool calls run: each result is what the call really gives on the evidence."""

    def __init__(self, data_dir: Path | str = DATA_DIR):
        self._tmp = tempfile.TemporaryDirectory(prefix="workshop-sandbox-")
        self.root = Path(self._tmp.name)
        uploads = self.root / UPLOADS_DIR.lstrip("/")
        uploads.mkdir(parents=True)
        (self.root / OUTPUTS_DIR.lstrip("/")).mkdir(parents=True)
        try:
            os.link(Path(data_dir) / "app.log", uploads / "app.log")
        except OSError:  # another file system: a copy
            shutil.copyfile(Path(data_dir) / "app.log", uploads / "app.log")

    def local(self, text: str) -> str:
        return text.replace(SESSION_ROOT, f"{self.root}{SESSION_ROOT}")

    def sandboxed(self, text: str) -> str:
        return text.replace(f"{self.root}{SESSION_ROOT}", SESSION_ROOT)

    def run(self, name: str, tool_input: dict) -> str:
        """What the built-in tool ``name`` returns for ``tool_input`` (it must succeed: the stories use what works)."""
        if name == "bash":
            return self.sandboxed(self._bash(tool_input["command"]))
        local = {k: self.local(v) if isinstance(v, str) else v for k, v in tool_input.items()}
        return self.sandboxed(asyncio.run(self._sdk_tool(name, local)))

    def _bash(self, command: str) -> str:
        env = {"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        proc = subprocess.run(["bash", "-c", self.local(command)], capture_output=True, env=env, check=False)
        if proc.returncode or proc.stderr:
            raise RuntimeError(f"{command!r} failed: {proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode("utf-8")

    async def _sdk_tool(self, name: str, tool_input: dict) -> str:
        from anthropic.lib.tools import agent_toolset as ts

        tool = {"read": ts.beta_read_tool, "grep": ts.beta_grep_tool, "glob": ts.beta_glob_tool}[name]
        result = await tool(ts.AgentToolContext(workdir=str(self.root))).call(tool_input)
        assert isinstance(result, str), f"{name} returned {type(result).__name__}, not text"
        return result

    def close(self) -> None:
        self._tmp.cleanup()


def handle_tool(name: str, tool_input: dict) -> str:
    """The learner's side of a custom tool call: the real ``helpers.incident.handle_tool``."""
    from helpers import incident

    return incident.handle_tool(name, tool_input)


# --------------------------------------------------------------------------- the evidence, as numbers


class Facts:
    """The fixed facts the stories' texts name, read from data/ (never typed in by hand), and the claims about them
    that the texts make, checked once here.

    Derives: ``deploys`` (data/deploys.json) and ``diff`` (data/diff.txt); ``culprit``, ``herring_before`` and
    ``herring_after``, the deploys ``dep_4820``, ``dep_4819`` and ``dep_4822``; ``nplus1_line``, the query the
    N+1 runs per item, cut from its line in the diff; ``flag_guards_query``, whether the feature flag the commit
    names appears in ``order_summary.py``'s part of the diff (it does not, and the report says so). Keeps
    ``sandbox``, where the stories' built-in tool calls run.

    Asserts (a change in data/ that breaks one stops the generator): the culprit is checkout ``v2.14.0``, commit
    ``9c41e7b``, deployed at ``2026-11-18T14:05:30Z``; the diff holds the N+1 line. What it does not hold: every
    number an agent states is parsed from a tool output it saw, and each story asserts what it claims in words
    (``investigate`` and its steps)."""

    def __init__(self, data_dir: Path, sandbox: Sandbox):
        self.data_dir = Path(data_dir)
        self.sandbox = sandbox
        self.deploys = json.loads((self.data_dir / "deploys.json").read_text())["deploys"]
        self.diff = (self.data_dir / "diff.txt").read_text()
        by_id = {d["id"]: d for d in self.deploys}
        self.culprit = by_id["dep_4820"]
        self.herring_before = by_id["dep_4819"]
        self.herring_after = by_id["dep_4822"]
        c = self.culprit
        assert (c["service"], c["version"], c["commit"], c["timestamp"]) == (
            "checkout", "v2.14.0", "9c41e7b", "2026-11-18T14:05:30Z"), c
        nplus1 = "reservation = db.query(InventoryReservation).filter_by(sku=item.sku).first()"
        assert nplus1 in self.diff, "diff.txt no longer has the N+1 line"
        self.nplus1_line = nplus1.split(" = ", 1)[1]
        # Does the flag named in the commit message guard the query? (In this diff it does not.)
        self.flag_guards_query = "show_inventory_reservation" in self._file_diff("services/checkout/order_summary.py")

    def _file_diff(self, path: str) -> str:
        parts = self.diff.split("diff --git ")
        return "".join(p for p in parts if p.startswith(f"a/{path} "))


def hhmm(ts: str) -> str:
    """'2026-11-18T14:05:30Z' -> '14:05:30Z'."""
    return ts.split("T", 1)[1]


# --------------------------------------------------------------------------- the recording builder


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


# --------------------------------------------------------------------------- what every model request starts with
# What the platform puts before the session's first message: the first model request writes it to the prompt cache,
# every later one reads it from there. No live figure is published (the cookbook's live runs print no usage), so the
# platform's own parts are *estimates*; the agent's own parts are counted (4 characters a token, like _tokens).

#: The system prompt the API adds when tools are present: 346 tokens for the Claude 4.5 models with tool_choice
#: auto (docs: agents-and-tools/tool-use/overview, "Pricing"); that claude-sonnet-4-6 adds the same is an inference.
TOOL_USE_SYSTEM_PROMPT_TOKENS = 346
#: The harness's own system prompt (working in the sandbox, its paths, its rules): unpublished. An *estimate*, of
#: the order of Claude Code's main system prompt.
HARNESS_PROMPT_TOKENS_ESTIMATE = 3000
#: The definitions of the built-in tools the agent enables (helpers.resources.agent_tools: bash, read, grep, glob):
#: unpublished. An *estimate*: Claude Code's descriptions of its Bash, Read, Grep and Glob tools (1,074, 439, 300 and
#: 122 tokens, as counted by Piebald-AI/claude-code-system-prompts), which the docs' one-line descriptions of the
#: toolset resemble, plus ~50 tokens for each input schema (the SDK's BetaManagedAgentsAgentToolset20260401*Input).
BUILTIN_TOOL_TOKENS_ESTIMATE = {"bash": 1074 + 50, "read": 439 + 50, "grep": 300 + 50, "glob": 122 + 50}


def prompt_overhead_tokens() -> int:
    """The tokens before the first message: the platform's (estimated) and the agent's (counted from helpers)."""
    from helpers import incident, resources

    return (TOOL_USE_SYSTEM_PROMPT_TOKENS + HARNESS_PROMPT_TOKENS_ESTIMATE + sum(BUILTIN_TOOL_TOKENS_ESTIMATE.values())
            + _tokens(resources.SYSTEM_PROMPT) + _tokens(json.dumps(incident.CUSTOM_TOOLS)))


class Recording:
    """Builds one recording: a header and a list of ``{"event": ...}`` lines on a deterministic timeline."""

    #: The first request's cache write: the prompt before the first message (``prompt_overhead_tokens``).
    SYSTEM_TOKENS = prompt_overhead_tokens()

    def __init__(self, name: str, code: str, facts: Facts, *, title: str, description: str, keywords: list[str]):
        self.name, self.code = name, code
        self.data_dir = facts.data_dir
        self.sandbox = facts.sandbox
        self.header = {"recording": FORMAT, "name": name, "title": title, "description": description,
                       "keywords": keywords, "custom_tools": [], "source": "authored"}
        self.lines: list[dict] = []
        self.n = 0
        self.t = START
        self.rng = random.Random(f"recording:{name}")
        self.when: str | None = None
        self.cached = 0
        self.pending = self.SYSTEM_TOKENS
        self.outputs: dict[str, str] = {}  # tool-use id -> the tool's output text

    # -- low level
    def new_id(self, prefix: str = "sevt") -> str:
        self.n += 1
        return f"{prefix}_01{self.code}{self.n:05d}"

    def advance(self, seconds: float) -> None:
        self.t += timedelta(milliseconds=round(seconds * 1000))

    def jitter(self, lo: float, hi: float) -> float:
        return round(self.rng.uniform(lo, hi), 3)

    def emit(self, type_: str, gap: float = 0.0, **fields) -> str:
        self.advance(gap)
        eid = self.new_id()
        ts = self.t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.t.microsecond // 1000:03d}Z"
        line: dict = {}
        if self.when is not None:
            line["when"] = {"confirmation": self.when}
        line["event"] = {"type": type_, "id": eid, "processed_at": ts, **fields}
        self.lines.append(line)
        if type_ == "agent.custom_tool_use" and fields["name"] not in self.header["custom_tools"]:
            self.header["custom_tools"].append(fields["name"])
        return eid

    @contextmanager
    def branch(self, confirmation: str):
        """Lines that apply only if the learner's latest ``user.tool_confirmation`` was ``confirmation``.

        Each branch starts from the same clock and context, so processed_at is non-decreasing along each
        path through the file (not across branches)."""
        saved = (self.t, self.cached, self.pending, self.rng.getstate())
        self.when = confirmation
        try:
            yield
        finally:
            self.when = None
            self.t, self.cached, self.pending = saved[:3]
            self.rng.setstate(saved[3])

    # -- user side (wait points on replay)
    def user_message(self, text: str, gap: float = 0.0) -> str:
        self.pending += _tokens(text)
        return self.emit("user.message", gap, content=[{"type": "text", "text": text}])

    def running(self, gap: float = 0.06) -> str:
        return self.emit("session.status_running", gap)

    # -- the agent's model requests
    def model_request(self, outputs: list, *, think: bool = False, extra_seconds: float = 0.0) -> list[str]:
        """One model request and what it produced.

        ``outputs`` items: ``("message", text)``, ``("custom", name, input)``, ``("bash", command)`` (optionally
        with ``{"ask": True}``), ``("tool", name, input)`` (a built-in ``read``, ``grep`` or ``glob``).
        Emits span.model_request_start, the request's output (agent.thinking, agent.message, agent.tool_use,
        agent.custom_tool_use) as the model produces it, then span.model_request_end with the usage: the span
        wraps what it produced. The sandbox then runs each built-in call (agent.tool_result) unless it waits for a
        confirmation. Returns the ids of the tool-use events, in order.
        """
        out_tokens = 18 + (self.rng.randint(60, 240) if think else 0)
        for item in outputs:
            if item[0] == "message":
                out_tokens += _tokens(item[1])
            elif item[0] in ("custom", "tool"):
                out_tokens += 22 + _tokens(json.dumps(item[2]))
            else:
                out_tokens += 26 + _tokens(item[1])
        start = self.emit("span.model_request_start", self.jitter(0.08, 0.25))
        duration = 1.1 + out_tokens / 58.0 + extra_seconds + self.jitter(0.0, 0.9)
        usage = {"input_tokens": self.rng.randint(3, 9), "output_tokens": out_tokens,
                 "cache_creation_input_tokens": self.pending, "cache_read_input_tokens": self.cached}
        self.cached += self.pending + out_tokens
        self.pending = 0
        remaining = duration
        if think:
            self.emit("agent.thinking", round(duration * 0.45, 3))
            remaining = duration - round(duration * 0.45, 3)
        ids, to_run = [], []
        for i, item in enumerate(outputs):
            gap = remaining if i == 0 else 0.006
            if item[0] == "message":
                self.emit("agent.message", gap, content=[{"type": "text", "text": item[1]}])
            elif item[0] == "custom":
                ids.append(self.emit("agent.custom_tool_use", gap, name=item[1], input=item[2]))
            else:
                name, tool_input = ("bash", {"command": item[1]}) if item[0] == "bash" else item[1:3]
                opts = item[2] if item[0] == "bash" and len(item) > 2 else {}
                ids.append(self.tool_use(name, tool_input, gap, **opts))
                if not opts.get("ask"):
                    to_run.append((ids[-1], name, tool_input))
        self.emit("span.model_request_end", 0.012, model_request_start_id=start, model_usage=usage)
        for tid, name, tool_input in to_run:
            self.tool_result(tid, name, tool_input)
        return ids

    def tool_use(self, name: str, tool_input: dict, gap: float, *, ask: bool = False) -> str:
        """The agent.tool_use of one built-in call (its result comes after the model request ends)."""
        fields: dict = {"name": name, "input": tool_input}
        if ask:
            fields.update(evaluated_permission="ask", evaluation={"type": "always_ask"})
        else:
            fields.update(evaluated_permission="allow", evaluation={"type": "always_allow"})
        return self.emit("agent.tool_use", gap, **fields)

    def tool_result(self, tool_use_id: str, name: str, tool_input: dict, gap: float | None = None) -> str:
        """The sandbox runs the call: its agent.tool_result holds what the call really gives on the evidence."""
        output = self.sandbox.run(name, tool_input)
        self.outputs[tool_use_id] = output
        self.pending += _tokens(output) + 10
        return self.emit("agent.tool_result", self.jitter(0.18, 0.65) if gap is None else gap,
                         tool_use_id=tool_use_id, content=[{"type": "text", "text": output}], is_error=False)

    # -- custom tools: the round trip through the learner's laptop
    def answer_custom(self, calls: list[tuple[str, str, dict]]) -> list[str]:
        """``calls``: (event id, name, input). Idle requires_action, the results, running again.

        Returns the results' texts."""
        # The service lists at most EVENT_IDS_WINDOW of the blocking ids at a time (a sliding window).
        self.emit("session.status_idle", 0.03, stop_reason={"type": "requires_action",
                                                            "event_ids": [c[0] for c in calls][:EVENT_IDS_WINDOW]})
        for eid, name, tool_input in calls:
            result = handle_tool(name, tool_input)
            self.outputs[eid] = result
            self.pending += _tokens(result) + 10
            self.emit("user.custom_tool_result", self.jitter(0.25, 0.6), custom_tool_use_id=eid,
                      content=[{"type": "text", "text": result}])
        self.running(0.05)
        return [self.outputs[c[0]] for c in calls]

    def custom_turn(self, message: str | None, name: str, tool_input: dict, *, think: bool = False) -> str:
        """A model request that says ``message`` and calls one custom tool; returns the tool's result."""
        outputs = ([("message", message)] if message else []) + [("custom", name, tool_input)]
        (eid,) = self.model_request(outputs, think=think)
        (result,) = self.answer_custom([(eid, name, tool_input)])
        return result

    def bash_turn(self, message: str | None, command: str, **kw) -> str:
        """A model request that says ``message`` and runs one bash command; returns what it printed."""
        return self.tool_turn(message, "bash", {"command": command}, **kw)

    def tool_turn(self, message: str | None, name: str, tool_input: dict, **kw) -> str:
        """A model request that says ``message`` and makes one built-in tool call; returns its result."""
        outputs = ([("message", message)] if message else []) + [("tool", name, tool_input)]
        (tid,) = self.model_request(outputs, **kw)
        return self.outputs[tid]

    def idle(self, stop_reason: dict, gap: float = 0.03) -> str:
        return self.emit("session.status_idle", gap, stop_reason=stop_reason)

    def end_turn(self) -> str:
        return self.idle({"type": "end_turn"})

    # -- output
    def text(self) -> str:
        rows = [self.header] + self.lines
        return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows)


# --------------------------------------------------------------------------- tool inputs (match helpers.incident's schemas)

METRICS_INPUT = {"service": "checkout", "metric": "p99_ms", "start": "2026-11-18T13:00:00Z",
                 "end": "2026-11-18T15:30:00Z", "step": "15m", "compare_at": ONSET}
PAYMENTS_METRICS_INPUT = {"service": "payments", "metric": "p99_ms", "start": "2026-11-18T13:00:00Z",
                          "end": "2026-11-18T15:00:00Z", "step": "15m", "compare_at": "2026-11-18T13:58:40Z"}
DEPLOYS_INPUT = {"start": "2026-11-18T13:30:00Z", "end": "2026-11-18T14:45:00Z"}
DIFF_INPUT = {"ref": "dep_4820"}
QUERY_LOGS_ERRORS_INPUT = {"service": "checkout", "level": "ERROR", "start": ONSET, "limit": 5}
QUERY_LOGS_SLOW_INPUT = {"contains": "slow query", "limit": 3}

CMD_HEAVY_PER_HOUR = f"grep '\"db_queries\":[0-9][0-9]' {LOG} | cut -c8-20 | sort | uniq -c"
CMD_HEAVY_FIRST = f"grep -m1 '\"db_queries\":[0-9][0-9]' {LOG}"
CMD_SLOW_BY_ROUTE = f"grep 'slow query' {LOG} | cut -d, -f3,4 | sort | uniq -c"
CMD_SLOW_PER_HOUR = f"grep 'slow query' {LOG} | cut -c8-20 | sort | uniq -c"
#: The built-in tools' inputs, as the SDK's BetaManagedAgentsAgentToolset20260401{Read,Grep,Glob}Input define them.
READ_HEAD = {"file_path": LOG, "view_range": [1, 3]}
GREP_TIMEOUTS = {"pattern": '"status":504', "path": UPLOADS_DIR}
GLOB_UPLOADS = {"pattern": "**/*", "path": UPLOADS_DIR}
CMD_CHECKOUT_ERRORS = (f"grep '\"service\":\"checkout\"' {LOG} | grep '\"level\":\"ERROR\"' | "
                       "grep -o '\"msg\":\"[^\"]*\"' | sort | uniq -c")

INCIDENT_MESSAGE = (
    "Incident-2277: the checkout p99 latency alert fired at 14:07Z; p99 is about 10x its baseline and customers "
    "are timing out at checkout. Find the root cause. Check the metrics, grep the app log in your sandbox "
    f"({LOG}), correlate with the deploys and read the suspicious diff. Report the culprit deploy, the "
    "evidence, what it is not, and a fix."
)


# --------------------------------------------------------------------------- parsing what the agent saw


def uniq_counts(output: str) -> dict[str, int]:
    """``sort | uniq -c`` output -> {value: count}."""
    out = {}
    for line in output.splitlines():
        count, value = line.strip().split(" ", 1)
        out[value] = int(count)
    return out


def hourly(output: str) -> dict[str, int]:
    """``cut -c8-20 | sort | uniq -c`` output -> {"14": count} (hour of day)."""
    return {k[-2:]: v for k, v in uniq_counts(output).items()}


def comparison(metrics_result: str) -> tuple[float, float, float]:
    """get_metrics' before/after comparison -> (before, after, ratio)."""
    c = json.loads(metrics_result)["comparison"]
    return c["before"]["mean"], c["after"]["mean"], c["ratio"]


def ms(x: float) -> str:
    return f"{x:,.0f} ms"


# --------------------------------------------------------------------------- the stories


def _seconds(a: str, b: str) -> int:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return round((datetime.strptime(b, fmt) - datetime.strptime(a, fmt)).total_seconds())


def _minutes(a: str, b: str) -> int:
    return round(_seconds(a, b) / 60)


def rec_incident(f: Facts) -> Recording:
    r = Recording("incident-2277", "INCD", f, title="Incident-2277: find the root cause",
                  description="The full investigation: checkout metrics, greps of the log in the sandbox, the "
                              "errors via query_logs, the deploys around the onset, a check of the payments red "
                              "herring, the diff of dep_4820, and a markdown report naming the N+1 query.",
                  keywords=["checkout", "p99"])
    r.user_message(INCIDENT_MESSAGE)
    r.running()
    report = investigate(r, f)
    r.model_request([("message", report)], think=True, extra_seconds=4.0)
    r.end_turn()
    return r


def investigate(r: Recording, f: Facts) -> str:
    """The investigation's tool calls, from the checkout metrics to the diff; returns the report it leads to. Each
    step's text names what the step before it found, so the steps pass along ``found`` (what the calls showed)."""
    found = SimpleNamespace()
    _when_it_began(r, found)
    _what_fails(r, found)
    _what_changed(r, f, found)
    return incident_report(f, found)


def _when_it_began(r: Recording, found: SimpleNamespace) -> None:
    """The checkout metrics (how big, since when), the log's first lines, the heavy requests per hour, the first."""
    found.cb, found.ca, found.ratio = comparison(r.custom_turn(
        "I'll start with the checkout latency metrics to pin down when the spike began and how big it is.",
        "get_metrics", METRICS_INPUT, think=True))

    head = r.tool_turn(
        f"Checkout p99 averaged {ms(found.cb)} in the hour before {hhmm(ONSET)[:5]} and {ms(found.ca)} in the hour "
        f"after ({found.ratio:.1f}x). Something changed at that minute. Before searching 13 MB of log, its first lines:",
        "read", READ_HEAD)
    assert [json.loads(x)["ts"] < ONSET for x in head.splitlines()] == [True] * 3, head

    heavy = hourly(r.bash_turn(
        "One JSON object per line, in time order. The checkout lines also carry `db_queries`, so let me count "
        "requests with 10 or more queries per hour.", CMD_HEAVY_PER_HOUR, think=True))
    assert set(heavy) == {"14", "15"}, heavy
    found.n_heavy = sum(heavy.values())

    found.first = json.loads(r.bash_turn(
        f"None before 14:00, then {heavy['14']:,} in the 14:00 hour and {heavy['15']:,} in the 15:00 hour. "
        "When is the first one?", CMD_HEAVY_FIRST))


def _what_fails(r: Recording, found: SimpleNamespace) -> None:
    """Where the slow queries are, which errors checkout returned after the onset, and the timed-out requests."""
    first = found.first
    slow = uniq_counts(r.bash_turn(
        f"The first is at {hhmm(first['ts'])} on `{first['route']}` with {first['db_queries']} queries: right at "
        "the onset. Which routes log the slow-query warnings?", CMD_SLOW_BY_ROUTE))
    found.slow_routes = [k.split('"route":"')[1].rstrip('"') for k in slow]
    assert all('"service":"checkout"' in k for k in slow), slow
    found.n_slow = sum(slow.values())

    errors = found.errors = json.loads(r.custom_turn(
        f"All {found.n_slow:,} are on checkout, on the two routes that build the order summary: "
        + " and ".join(f"`{x}`" for x in found.slow_routes) + ". What errors did checkout return after the onset?",
        "query_logs", QUERY_LOGS_ERRORS_INPUT))
    found.n504, found.n500 = errors["by_status"].get("504", 0), errors["by_status"].get("500", 0)
    assert "db connection pool exhausted" in json.dumps(errors["samples"]), errors["samples"]

    timeouts = [json.loads(x.split(":", 2)[2]) for x in r.tool_turn(
        f"{errors['matched']} errors since {hhmm(ONSET)[:5]}: {found.n504} × 504 upstream timeout and {found.n500} × "
        "500, the samples showing `db connection pool exhausted`. The timed-out requests themselves:",
        "grep", GREP_TIMEOUTS).splitlines()]
    assert len(timeouts) == found.n504 and all(t["service"] == "checkout" for t in timeouts), timeouts
    found.q_min, found.q_max = min(t["db_queries"] for t in timeouts), max(t["db_queries"] for t in timeouts)
    assert found.q_min >= 100, found.q_min


def _what_changed(r: Recording, f: Facts, found: SimpleNamespace) -> None:
    """The deploys around the onset, the payments metrics that rule out the deploy before it, and the culprit's diff."""
    c, h1, h2 = f.culprit, f.herring_before, f.herring_after
    deploys = json.loads(r.custom_turn(
        f"Each of the {found.n504} ran {found.q_min} to {found.q_max} DB queries before timing out: the database is "
        "the bottleneck. Which deploys landed around the onset?", "list_deploys", DEPLOYS_INPUT, think=True))["deploys"]
    assert [d["id"] for d in deploys if d["service"] == "checkout"] == [c["id"]], deploys
    assert h1 in deploys and h2 in deploys

    found.pb, found.pa, found.pratio = comparison(r.custom_turn(
        f"`{c['id']}` deployed checkout `{c['version']}` at {hhmm(c['timestamp'])}, "
        f"{_seconds(c['timestamp'], ONSET)} seconds before the onset. `{h1['id']}` ({h1['service']}, "
        f"{hhmm(h1['timestamp'])}) is close too, so let me rule it out: payments latency around its deploy.",
        "get_metrics", PAYMENTS_METRICS_INPUT))
    assert 0.8 < found.pratio < 1.25, found.pratio

    diff = r.custom_turn(
        f"Payments p99 barely moved ({ms(found.pb)} → {ms(found.pa)}, {found.pratio:.2f}x): not `{h1['id']}`. Now the "
        "checkout change.", "get_diff", DIFF_INPUT, think=True)
    assert f.nplus1_line in diff


def incident_report(f: Facts, found: SimpleNamespace) -> str:
    """The agent's report: every figure from what the calls showed (``found``), the names from ``f``."""
    c, h1, h2 = f.culprit, f.herring_before, f.herring_after
    first, errors = found.first, found.errors
    flag = "" if f.flag_guards_query else " (the `show_inventory_reservation` flag does not guard the query)"
    # The system prompt (helpers/resources.py) asks for a report in under 200 words.
    report = f"""## Incident-2277: root cause

**Onset:** {hhmm(ONSET)}. **Culprit:** deploy `{c['id']}`, {c['service']} `{c['version']}`, commit `{c['commit']}` \
({c['author']}), started {hhmm(c['timestamp'])}.

**Mechanism: an N+1 query.** In `services/checkout/order_summary.py`, `build_order_summary()` now runs \
`{f.nplus1_line}` inside `for item in order.items:`, one `SELECT * FROM inventory_reservations WHERE sku = ?` \
per line item.

**Evidence**
* Checkout p99 {ms(found.cb)} → {ms(found.ca)} ({found.ratio:.1f}x), hour before vs hour after {hhmm(ONSET)[:5]}.
* {found.n_heavy:,} checkout requests ran ≥ 10 DB queries, none before 14:00; the first at {hhmm(first['ts'])}.
* {found.n_slow:,} slow-query warnings, all on {' and '.join(f'`{x}`' for x in found.slow_routes)}.
* {errors['matched']} checkout errors since the onset: {found.n504} × 504 ({found.q_min}–{found.q_max} queries each), \
{found.n500} × 500 (mostly pool exhausted).

**Not it:** `{h1['id']}` ({h1['service']}, {hhmm(h1['timestamp'])}) is another service and payments p99 stayed \
flat ({ms(found.pb)} → {ms(found.pa)}); `{h2['id']}` ({h2['service']}, {hhmm(h2['timestamp'])}) came \
{_minutes(ONSET, h2['timestamp'])} minutes after the onset.

**Fix:** roll back `{c['id']}` now{flag}. Then batch the lookup:
```python
skus = [item.sku for item in order.items]
reservations = {{r.sku: r for r in db.query(InventoryReservation)
                .filter(InventoryReservation.sku.in_(skus))}}
```
(or `selectinload`), plus a test that bounds the queries per summary.
"""
    assert len(report.split()) < 200, len(report.split())
    return report


# --------------------------------------------------------------------------- the deployed investigation (notebook 07)

#: The text notebook 07's alert rule sends as the deployment's initial user.message (keywords: alert, report.md).
ALERT_MESSAGE = (
    "ALERT checkout-latency firing since 2026-11-18T14:07Z: checkout's 99th-percentile latency stayed above 5x its "
    "baseline (3,827 ms vs 369 ms) for 5 minutes. Find the root cause: check the metrics, grep the app log in your "
    f"sandbox ({LOG}), correlate with the deploys and read the suspicious diff. Write your report in markdown to "
    f"{REPORT_PATH}, then reply with it."
)


def heredoc(path: str, text: str) -> str:
    """A bash command that writes ``text`` to ``path`` (how the agent saves a session output)."""
    assert "\nEOF\n" not in text
    return f"cat > {path} <<'EOF'\n{text.rstrip(chr(10))}\nEOF"


def rec_alert(f: Facts) -> Recording:
    r = Recording("alert-2277", "ALRT", f, title="Incident-2277, deployed: the alert's investigation",
                  description="What a deployment's run does when the checkout latency alert fires: the full "
                              f"investigation, then the report written to {REPORT_PATH} (a "
                              "session output) and given as the final message.",
                  keywords=["alert", "report.md"])
    r.user_message(ALERT_MESSAGE)
    r.running()
    report = investigate(r, f)
    r.model_request([("message", f"Writing the report to {REPORT_PATH}."),
                     ("bash", heredoc(REPORT_PATH, report))], think=True, extra_seconds=4.0)
    r.model_request([("message", report)])
    r.end_turn()
    return r


#: Notebook 07's budget drill: its deployment caps each session at this many cents of list cost. Chosen from the drill's
#: per-request costs at BUDGET_DRILL_PRICED_AT: the first request writes the ~7,000-token prompt to the cache (about
#: 4.95 cents at claude-opus-4-7's list price), each next one reads it (0.6-0.9 cents), so a few requests run (5.0,
#: 5.6, 6.5 cents) before the cap stops the next, and the spend ends a little past it (6.5 cents: $0.07 of $0.06).
BUDGET_DRILL_CENTS = 6
BUDGET_MESSAGE = (
    "Budget drill: investigate the checkout latency spike that began at 14:07Z, starting with the checkout metrics "
    f"and the app log in your sandbox ({LOG}). Report the culprit deploy and the fix."
)


#: The model whose list price the budget drill was authored at: the workshop's default model (the quickstart's), so
#: the drill stops where it would for a learner who changed nothing. The stub prices a session at its own model's: a
#: dearer one stops earlier (the recording fits: helpers/stub/budgets.unfit), a cheaper one would not reach the cap
#: where the recording stops, and is refused with the budget that fits. DEFAULT_MODEL, not settings.MODEL: the file
#: must not change with WORKSHOP_MODEL.
BUDGET_DRILL_PRICED_AT = DEFAULT_MODEL


def rec_budget(f: Facts) -> Recording:
    """The investigation under a small budget: it stops with budget_reached once its list cost reaches the cap."""
    from decimal import Decimal

    from helpers.stub import pricing

    r = Recording("budget-reached", "BUDG", f, title=f"Incident-2277 on a {BUDGET_DRILL_CENTS}-cent budget",
                  description=f"A session capped at {BUDGET_DRILL_CENTS} cents (list price of {BUDGET_DRILL_PRICED_AT}): the "
                              "investigation starts, and once its list cost reaches the cap no new model request "
                              "starts: session.status_idle with stop_reason budget_reached.",
                  keywords=["budget drill"])
    r.user_message(BUDGET_MESSAGE)
    r.running()
    cap = Decimal(BUDGET_DRILL_CENTS) / 100
    steps = [
        lambda: r.custom_turn("Checkout latency first: when did the spike begin, and how big is it?",
                              "get_metrics", METRICS_INPUT, think=True),
        lambda: r.tool_turn("A tenfold jump at 14:07. The log's first lines, to see its fields:", "read", READ_HEAD),
        lambda: r.bash_turn("Checkout lines carry db_queries. Do checkout requests run more of them since 14:07?",
                            CMD_HEAVY_PER_HOUR, think=True),
        lambda: r.bash_turn("Thousands of heavy requests from 14:00 on. When is the first one?", CMD_HEAVY_FIRST),
        lambda: r.bash_turn("Right at the onset. Which routes log the slow-query warnings?", CMD_SLOW_BY_ROUTE),
        lambda: r.custom_turn("Both order-summary routes. What errors did checkout return after the onset?",
                              "query_logs", QUERY_LOGS_ERRORS_INPUT),
        lambda: r.custom_turn("Pool exhaustion. Which deploys landed around the onset?", "list_deploys",
                              DEPLOYS_INPUT, think=True),
    ]

    def spent() -> Decimal:
        return sum((pricing.cost_usd(BUDGET_DRILL_PRICED_AT, ln["event"]["model_usage"]) for ln in r.lines
                    if ln["event"]["type"] == "span.model_request_end"), Decimal(0))

    for step in steps:
        step()
        if spent() >= cap:
            break
    assert spent() >= cap, f"the drill never reaches its {BUDGET_DRILL_CENTS}-cent cap ({spent()})"
    r.idle({"type": "budget_reached"})
    return r


# --------------------------------------------------------------------------- interrupt

AUDIT_MESSAGE = (
    "Before we write anything up, audit the whole app log for me: go service by service, hour by hour, and "
    "break down request volume and error statuses. Be exhaustive, I want the full picture."
)
AUDIT_SERVICES = ["auth", "cart", "catalog", "checkout", "payments", "search"]


def rec_interrupt(f: Facts) -> Recording:
    r = Recording("interrupt", "INTR", f, title="A long audit, stopped by user.interrupt",
                  description="An exhaustive service-by-service audit of the log: a glob of the mounted files, "
                              "a read of the log's first lines, then many bash calls over several minutes. The "
                              "recorded user.interrupt lands mid-run; the session then goes idle (end_turn). On "
                              "replay an earlier interrupt skips ahead to it.",
                  keywords=["audit"])
    r.user_message(AUDIT_MESSAGE)
    r.running()
    files = r.tool_turn("First, what is mounted in the sandbox?", "glob", GLOB_UPLOADS, think=True)
    assert files == LOG, files
    head = r.tool_turn(f"One file, `{LOG}`. Its first lines, to see the fields:", "read", READ_HEAD)
    assert all('"service":' in x and '"status":' in x for x in head.splitlines()), head
    r.model_request([("message", "One JSON object per line, with `service`, `status` and a timestamp. I'll go service "
                                 "by service: requests per hour first, then the error statuses. Six services, two "
                                 "passes each.")], extra_seconds=3.0)  # a slow audit: 06 interrupts in this one
    for svc in AUDIT_SERVICES:
        per_hour = hourly(r.bash_turn(None, f"grep '\"service\":\"{svc}\"' {LOG} | cut -c8-20 | sort | uniq -c",
                                      extra_seconds=3.0))
        busiest = max(per_hour, key=lambda h: per_hour[h])
        statuses = uniq_counts(r.bash_turn(
            f"{svc}: {sum(per_hour.values()):,} requests over the four hours, the most in the {busiest}:00 hour "
            f"({per_hour[busiest]:,}). Now its error statuses.",
            f"grep '\"service\":\"{svc}\"' {LOG} | grep -o '\"status\":[45][0-9][0-9]' | sort | uniq -c",
            extra_seconds=3.0))
        n4 = sum(n for k, n in statuses.items() if k.split(":")[1].startswith("4"))
        n5 = sum(n for k, n in statuses.items() if k.split(":")[1].startswith("5"))
        assert n4 + n5 == sum(statuses.values()), statuses
        r.model_request([("message", f"{svc}: {n4:,} 4xx and {n5:,} 5xx responses.")], extra_seconds=2.5)
    r.model_request([
        ("message", "First pass done. Second pass: latency. I'll pull the slow-request warnings per service, "
                    "then go minute by minute through every hour."),
        ("bash", f"grep '\"level\":\"WARN\"' {LOG} | grep 'slow' | cut -d, -f3 | sort | uniq -c"),
    ], think=True, extra_seconds=3.0)
    for hour in ("12", "13"):
        r.model_request([("bash", f"grep '\"ts\":\"2026-11-18T{hour}:' {LOG} | cut -c8-23 | sort | uniq -c | "
                                  "sort -rn | head -5")], extra_seconds=3.0)
    start = r.emit("span.model_request_start", r.jitter(0.1, 0.2))
    r.emit("user.interrupt", 6.5)
    # The interrupted request produces no output event; its span.model_request_end closes it.
    r.emit("span.model_request_end", 0.3, model_request_start_id=start,
           model_usage={"input_tokens": 4, "output_tokens": 0, "cache_creation_input_tokens": r.pending,
                        "cache_read_input_tokens": r.cached})
    r.idle({"type": "end_turn"}, gap=0.1)
    return r


# --------------------------------------------------------------------------- permission policy


def rec_permission(f: Facts) -> Recording:
    r = Recording("permission-policy", "PERM", f, title="always_ask: the learner approves or denies bash",
                  description="The agent's bash tool has permission_policy always_ask. Its grep waits for a "
                              "user.tool_confirmation. allow: the command runs and the agent reports from it. "
                              "deny: the agent acknowledges and uses the query_logs custom tool instead.",
                  keywords=["approve"])
    r.user_message("Count the slow inventory_reservations query warnings in the app log, hour by hour. "
                   "I'll approve each shell command before it runs in your sandbox.")
    r.running()
    (tid,) = r.model_request([
        ("message", "I'll count the slow-query warnings per hour with grep. This needs your approval."),
        ("bash", CMD_SLOW_PER_HOUR, {"ask": True}),
    ], think=True)
    r.idle({"type": "requires_action", "event_ids": [tid]})
    r.emit("user.tool_confirmation", 9.0, tool_use_id=tid, result="allow")

    def per_hour_text(counts: dict[str, int]) -> str:
        return "\n".join(f"* {h}:00–{h}:59Z: {n:,}" for h, n in sorted(counts.items()))

    with r.branch("allow"):
        r.running(0.05)
        r.tool_result(tid, "bash", {"command": CMD_SLOW_PER_HOUR})
        counts = hourly(r.outputs[tid])
        assert min(counts) >= "14", counts
        r.model_request([("message",
            f"Thanks. {sum(counts.values()):,} slow-query warnings "
            "(`slow query: SELECT * FROM inventory_reservations WHERE sku = ?`), none before 14:00:\n\n"
            + per_hour_text(counts)
            + "\n\nThey start in the 14:00 hour, together with the latency spike. Next I'd look at which "
              "service and routes log them, and at the deploys shortly before.")])
        r.end_turn()

    with r.branch("deny"):
        r.running(0.05)
        (qid,) = r.model_request([
            ("message", "Understood: you denied the shell command, so I won't run grep in the sandbox. "
                        "I can search the log with the `query_logs` tool instead; it runs on your side."),
            ("custom", "query_logs", QUERY_LOGS_SLOW_INPUT),
        ], think=True)
        (result,) = r.answer_custom([(qid, "query_logs", QUERY_LOGS_SLOW_INPUT)])
        res = json.loads(result)
        counts: dict[str, int] = {}
        for bucket, n in res["timeline"]["counts"].items():
            if n:
                counts[bucket[:2]] = counts.get(bucket[:2], 0) + n
        assert counts == hourly(f.sandbox.run("bash", {"command": CMD_SLOW_PER_HOUR})), counts
        r.model_request([("message",
            f"`query_logs` gives the same answer without a shell: {res['matched']:,} slow-query warnings, "
            "none before 14:00:\n\n" + per_hour_text(counts)
            + f"\n\nThe first is at {hhmm(res['first_ts'])}, and all of them are on "
            + " and ".join(f"`{k}`" for k in res["by_route"]) + ".")])
        r.end_turn()
    return r


# --------------------------------------------------------------------------- faults


def _fault_message(tag: str) -> str:
    return (f"Fault drill ({tag}): investigate Incident-2277, the latency spike that started at 14:07Z, and "
            "name the deploy that caused it.")


def _failed_request(r: Recording, seconds: float) -> None:
    start = r.emit("span.model_request_start", r.jitter(0.08, 0.2))
    r.emit("span.model_request_end", seconds, model_request_start_id=start, is_error=True,
           model_usage={"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                        "cache_read_input_tokens": r.cached})


OVERLOADED = "Overloaded: the model is temporarily unable to serve this request."


def rec_fault_rescheduled(f: Facts) -> Recording:
    r = Recording("fault-rescheduled", "RSCH", f, title="Fault: overloaded, rescheduled, recovered",
                  description="The first model request fails (model_overloaded_error, retry_status retrying); "
                              "the session is rescheduled, runs again and finishes the investigation (end_turn).",
                  keywords=["fault-rescheduled"])
    r.user_message(_fault_message("fault-rescheduled"))
    r.running()
    _failed_request(r, 2.4)
    r.emit("session.error", 0.02, error={"type": "model_overloaded_error", "message": OVERLOADED,
                                         "retry_status": {"type": "retrying"}})
    r.emit("session.status_rescheduled", 0.01)
    r.running(5.2)
    c = f.culprit
    r.custom_turn("I'll start with the deploys around the 14:07Z onset.", "list_deploys", DEPLOYS_INPUT,
                  think=True)
    r.custom_turn(f"`{c['id']}` (checkout `{c['version']}`) at {hhmm(c['timestamp'])} is the only checkout "
                  "deploy near the onset. Reading its diff.", "get_diff", DIFF_INPUT)
    r.model_request([("message",
        f"**Culprit: `{c['id']}`**, checkout `{c['version']}`, commit `{c['commit']}`, deployed "
        f"{hhmm(c['timestamp'])}. It added an N+1 query to `services/checkout/order_summary.py`: "
        f"`{f.nplus1_line}` runs once per order item. Fix: one batched query "
        "(`filter(InventoryReservation.sku.in_(skus))`) or roll the deploy back.")])
    r.end_turn()
    return r


def rec_fault_retries_exhausted(f: Facts) -> Recording:
    r = Recording("fault-retries-exhausted", "EXHS", f, title="Fault: retries exhausted",
                  description="Every model request fails with model_overloaded_error: twice retrying (each "
                              "followed by session.status_rescheduled), then exhausted; the turn ends with "
                              "session.status_idle, stop_reason retries_exhausted.",
                  keywords=["fault-retries-exhausted"])
    r.user_message(_fault_message("fault-retries-exhausted"))
    r.running()
    for wait in (4.0, 9.0):
        _failed_request(r, 2.1)
        r.emit("session.error", 0.02, error={"type": "model_overloaded_error", "message": OVERLOADED,
                                             "retry_status": {"type": "retrying"}})
        r.emit("session.status_rescheduled", 0.01)
        r.running(wait)
    _failed_request(r, 2.3)
    r.emit("session.error", 0.02, error={"type": "model_overloaded_error", "message": OVERLOADED,
                                         "retry_status": {"type": "exhausted"}})
    r.idle({"type": "retries_exhausted"}, gap=0.02)
    return r


def rec_fault_terminated(f: Facts) -> Recording:
    r = Recording("fault-terminated", "TERM", f, title="Fault: a terminal error ends the session",
                  description="The agent checks the metrics, then the session hits an unrecoverable error "
                              "(session.error with retry_status terminal) and ends with session.status_terminated.",
                  keywords=["fault-terminated"])
    r.user_message(_fault_message("fault-terminated"))
    r.running()
    r.custom_turn("Starting with the checkout latency metrics.", "get_metrics", METRICS_INPUT, think=True)
    _failed_request(r, 1.7)
    r.emit("session.error", 0.02, error={"type": "unknown_error",
                                         "message": "The session's execution environment failed and cannot be "
                                                    "recovered.",
                                         "retry_status": {"type": "terminal"}})
    r.emit("session.status_terminated", 0.05)
    return r


# --------------------------------------------------------------------------- parallel tool calls

SWEEP_SERVICES = ["auth", "cart", "catalog", "checkout", "payments", "search"]
SWEEP_MESSAGE = (
    "Latency sweep for Incident-2277: in one go, pull the p99 latency of all six services around 14:07Z, and the "
    "deploys of the last hours, then tell me which services moved and which deploy lines up."
)


def rec_parallel(f: Facts) -> Recording:
    """Seven custom tool calls from one model request: more than the window of EVENT_IDS_WINDOW ids."""
    r = Recording("parallel-sweep", "SWEP", f, title="Seven parallel custom tool calls",
                  description="One model request calls get_metrics for all six services and list_deploys at once: "
                              "seven custom tool calls in parallel. The requires_action idle lists the first five "
                              "(stop_reason.event_ids is a window of at most five ids), so a client keeps answering "
                              "across several idles. Then a short summary: only checkout moved, right after dep_4820.",
                  keywords=["sweep"])
    c = f.culprit
    r.user_message(SWEEP_MESSAGE)
    r.running()
    calls = [("custom", "get_metrics", {**METRICS_INPUT, "service": s}) for s in SWEEP_SERVICES]
    calls.append(("custom", "list_deploys", DEPLOYS_INPUT))
    ids = r.model_request([("message", "Fetching all six services' p99 and the deploys in parallel.")] + calls,
                          think=True)
    assert len(ids) == 7 > EVENT_IDS_WINDOW
    results = r.answer_custom([(eid, item[1], item[2]) for eid, item in zip(ids, calls, strict=True)])
    ratios = {s: comparison(res)[2] for s, res in zip(SWEEP_SERVICES, results[:-1], strict=True)}
    moved = [s for s, x in ratios.items() if x >= 2]
    assert moved == ["checkout"], ratios
    deploys = json.loads(results[-1])["deploys"]
    assert c in deploys, deploys
    flat = ", ".join(f"{s} {ratios[s]:.2f}x" for s in SWEEP_SERVICES if s != "checkout")
    r.model_request([("message", f"Only checkout moved: its p99 is {ratios['checkout']:.1f}x after "
                                 f"{hhmm(ONSET)[:5]} versus the hour before. The others stayed flat ({flat}). The "
                                 f"deploy that lines up is `{c['id']}` (checkout `{c['version']}`, "
                                 f"{hhmm(c['timestamp'])}), {_seconds(c['timestamp'], ONSET)} seconds before the "
                                 "onset. Next step: read its diff.")], extra_seconds=1.0)
    r.end_turn()
    return r


# --------------------------------------------------------------------------- outcome

OUTCOME_DESCRIPTION = (
    "A postmortem summary of Incident-2277 (checkout latency spike, alert at 14:07Z) in markdown: timeline, root cause naming "
    "the deploy and the code, customer impact in numbers, and a remediation."
)
OUTCOME_RUBRIC = """\
- Names the culprit deploy id, its commit and its timestamp.
- Explains the root cause in the code (file and the offending statement).
- Gives a timeline with the onset time.
- Quantifies customer impact: latency before/after and failed requests (5xx count).
- Proposes an immediate mitigation and a lasting fix.
"""


def rec_outcome(f: Facts) -> Recording:
    r = Recording("outcome", "OUTC", f, title="Outcome: a postmortem graded against a rubric",
                  description="user.define_outcome (description + text rubric) starts the work: the agent begins on "
                              "receipt, no user.message needed. "
                              "The first draft is graded "
                              "needs_revision (no impact numbers, no remediation); the agent greps the errors, "
                              "revises, and the second evaluation is satisfied (end_turn).",
                  keywords=["postmortem"])
    outcome_id = "outc_01OUTC00001"
    r.pending += _tokens(OUTCOME_DESCRIPTION + OUTCOME_RUBRIC)
    r.emit("user.define_outcome", description=OUTCOME_DESCRIPTION,
           rubric={"type": "text", "content": OUTCOME_RUBRIC}, max_iterations=3, outcome_id=outcome_id)
    r.running()
    c = f.culprit
    cb, ca, ratio = comparison(r.custom_turn(
        "I'll gather the evidence for the postmortem: checkout latency around the 14:07Z alert first.",
        "get_metrics", METRICS_INPUT, think=True))
    deploys = json.loads(r.custom_turn(
        f"Checkout p99 jumps at {hhmm(ONSET)[:5]} ({ms(cb)} → {ms(ca)} hourly mean). Which deploys landed around "
        "then?", "list_deploys", DEPLOYS_INPUT))["deploys"]
    assert [d["id"] for d in deploys if d["service"] == "checkout"] == [c["id"]], deploys
    diff = r.custom_turn(f"`{c['id']}` (checkout `{c['version']}`) at {hhmm(c['timestamp'])} is the only checkout "
                         "deploy. Reading its diff.", "get_diff", DIFF_INPUT)
    assert f.nplus1_line in diff
    draft = (f"# Postmortem: Incident-2277\n\n## Timeline\n"
             f"* {hhmm(c['timestamp'])}: `{c['id']}` starts: checkout `{c['version']}`, commit `{c['commit']}` by "
             f"{c['author']} (\"{c['description']}\").\n"
             f"* {hhmm(ONSET)}: onset. The new pods take traffic and checkout p99 leaves its baseline.\n"
             f"\n## Root cause\nAn N+1 query in `services/checkout/order_summary.py`: `build_order_summary()` runs "
             f"`{f.nplus1_line}` once per order item, so every order summary makes one "
             "`SELECT * FROM inventory_reservations WHERE sku = ?` per line item.\n")
    r.model_request([("message", draft)], think=True)

    def evaluate(iteration: int, result: str, explanation: str, seconds: float) -> None:
        start = r.emit("span.outcome_evaluation_start", 0.3, outcome_id=outcome_id, iteration=iteration)
        r.emit("span.outcome_evaluation_ongoing", seconds / 2, outcome_id=outcome_id, iteration=iteration)
        usage = {"input_tokens": r.rng.randint(1800, 2600), "output_tokens": r.rng.randint(180, 320),
                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        r.emit("span.outcome_evaluation_end", seconds / 2, outcome_id=outcome_id, iteration=iteration,
               outcome_evaluation_start_id=start, result=result, explanation=explanation, usage=usage)

    evaluate(0, "needs_revision",
             "Criteria 1-3 are met. Criterion 4 fails: no customer-impact numbers (latency before/after, failed "
             "requests). Criterion 5 fails: no mitigation and no lasting fix are proposed.", 9.0)
    r.pending += 60
    errors = uniq_counts(r.bash_turn(
        "The grader wants impact numbers and a remediation. Counting checkout's errors by message:",
        CMD_CHECKOUT_ERRORS, think=True))
    n_timeout = errors['"msg":"upstream timeout"']
    n_pool = errors['"msg":"db connection pool exhausted"']
    final = (draft
             + f"\n## Customer impact\n* Checkout p99 (hourly mean of the per-minute p99): {ms(cb)} before "
               f"{hhmm(ONSET)[:5]}, {ms(ca)} after: {ratio:.1f}x.\n"
               f"* {n_timeout} checkout requests timed out (504 upstream timeout) and {n_pool} failed with "
               "500 `db connection pool exhausted`.\n"
             + f"\n## Remediation\n* Mitigation: roll back `{c['id']}` to the previous checkout release.\n"
               "* Fix: fetch the reservations in one batched query "
               "(`filter(InventoryReservation.sku.in_(skus))` or `selectinload`), plus a test that bounds the "
               "number of queries per order summary.\n")
    r.model_request([("message", final)], extra_seconds=2.0)
    evaluate(1, "satisfied", "All five criteria are met.", 7.0)
    r.end_turn()
    return r


# --------------------------------------------------------------------------- output


def build_all(data_dir: Path = DATA_DIR) -> dict[str, str]:
    """name -> file text, for every authored recording."""
    sandbox = Sandbox(data_dir)
    try:
        f = Facts(data_dir, sandbox)
        recs = [rec_incident(f), rec_interrupt(f), rec_permission(f), rec_fault_rescheduled(f),
                rec_fault_retries_exhausted(f), rec_fault_terminated(f), rec_outcome(f), rec_parallel(f),
                rec_alert(f), rec_budget(f)]
        recs += _nb08().recordings(f)  # notebook 08's, in their own module
        recs += _nb09().build(f)  # notebook 09's (a team, an MCP server): scripts/recordings_team.py
    finally:
        sandbox.close()
    return {rec.name: rec.text() for rec in recs}


def _nb08():
    """scripts/make_recordings_nb08.py: notebook 08's recordings (skills, memory) and its recorded dream."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import make_recordings_nb08

    return make_recordings_nb08


def _nb09():
    """scripts/recordings_team.py: notebook 09's recordings (a team of investigators, an MCP server)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import recordings_team

    return recordings_team


def _is_live(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as fh:
            return json.loads(fh.readline()).get("source") == "live"
    except (OSError, ValueError, AttributeError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR / "recordings",
                        help="output directory (default: data/recordings/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file differs from what would be written")
    args = parser.parse_args(argv)
    if not args.check:
        args.out.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, text in build_all().items():
        path = args.out / f"{name}.jsonl"
        if _is_live(path):
            print(f"{path}  kept: recorded from live (delete it to go back to the authored one)")
            continue
        if args.check:
            if not path.exists() or path.read_bytes() != text.encode("utf-8"):
                stale.append(path)
                print(f"{path}  out of date: run python scripts/make_recordings.py")
            continue
        path.write_bytes(text.encode("utf-8"))
        print(f"{path}  {text.count(chr(10)) - 1} events")
    for rel, text in _nb08().extra_files().items():  # beside the recordings: notebook 08's recorded dream
        path = args.out / rel
        if args.check:
            if not path.exists() or path.read_bytes() != text.encode("utf-8"):
                stale.append(path)
                print(f"{path}  out of date: run python scripts/make_recordings.py")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        print(f"{path}  written")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
