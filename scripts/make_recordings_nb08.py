"""Notebook 08's authored recordings and recorded dream, written by ``scripts/make_recordings.py`` (which imports
this module; the format and the generator's promises are the same: docs/design.md, data/recordings/README.md).

* ``runbook-2277``: Incident-2277 investigated by the book. The agent reads its ``incident-runbooks`` skill where
  the platform puts it (``/workspace/skills/incident-runbooks/``), follows the latency runbook's steps, reports, and
  writes the lesson into the on-call team's memory store (the ``write`` tool, under ``/mnt/memory/sre-on-call/``).
* ``incident-2291-cold`` and ``incident-2291-memory``: Incident-2291 (data/incident-2291/) a week later, without
  and with that memory mounted. Without it the agent explores (the runbooks, which service, the onset...); with it,
  it reads the lesson first and goes straight to the deploys, the queries per request and the diff.
* ``dreams/oncall-lessons.json``: a dream over that store and the two sessions: what it wrote into its output store.

Every tool result is what the call gives here, in a scratch copy of the sandbox (``NB08Sandbox``, the generator's
``Sandbox`` with more mounted): ``/mnt/session/uploads/`` holds app.log and Incident-2291's evidence
(``incident-2291/``), ``/workspace/skills/`` the skill in data/skills/, and ``/mnt/memory/`` what the recordings
wrote there before; the ``write`` tool is the SDK's own (``anthropic.lib.tools.agent_toolset``), like read, grep and
glob. ``tests/test_nb08_recordings.py`` re-runs them the same way. These are authored from the docs: no live run of
these features is public.
"""
from __future__ import annotations

import asyncio
import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import make_recordings as mr

ROOT = Path(__file__).resolve().parent.parent
SKILLS_DIR = ROOT / "data" / "skills"
SKILL = "/workspace/skills/incident-runbooks"  # helpers.stub.skills.SKILLS_ROOT
MEMORY = "/mnt/memory/sre-on-call"  # the mount of a store named "SRE on-call" (helpers.stub.memory_stores)
LESSON_PATH = "/incidents/2277-checkout-n-plus-one.md"
#: Where notebook 08 mounts Incident-2291's evidence (mount_path "/incident-2291/<name>" lands under the uploads).
INCIDENT_2291 = f"{mr.UPLOADS_DIR}/incident-2291"
EVIDENCE_2291 = ("app.log", "metrics.json", "deploys.json", "diff.txt")
LOG_2291 = f"{INCIDENT_2291}/app.log"
ONSET_2291 = "2026-11-25T10:04:00Z"
#: The second incident's recordings start a week later, 18 minutes into it (the first's start 45 minutes in).
START_2291 = datetime(2026, 11, 25, 10, 22, 0, tzinfo=timezone.utc)

RUNBOOK_MESSAGE = (
    "Incident-2277, by the book: checkout latency is about 10x its baseline since 14:07Z. Follow the team's "
    "incident runbooks (your incident-runbooks skill) step by step: the metrics, the deploys, the app log in your "
    f"sandbox ({mr.LOG}) and the suspect diff. Report the root cause and the fix, then write the lesson for next "
    "time into the team's memory."
)
ALERT_2291 = (
    "Incident-2291: the cart p99 latency is about 15x its baseline since 10:04Z on 2026-11-25. The evidence is in "
    f"your sandbox under {INCIDENT_2291}/ (app.log, metrics.json, deploys.json, diff.txt; the laptop tools only "
    "know Incident-2277). Find the root cause and the fix."
)
COLD_NOTE = " (This run has no memory mounted.)"
MEMORY_NOTE = f" (The team's memory is mounted at {MEMORY}: look there first.)"

LESSON = """\
# Incident-2277: checkout p99 10x after dep_4820 (an N+1 query)

- Signature: p99 about 10x its baseline from one minute on (14:07Z), 90 s after a deploy to the same service.
- What found it fastest: db_queries per request (3-8 before, tens to hundreds after) and slow-query warnings on
  the routes that build the order summary, then a `db.query(...)` inside `for item in order.items:` in the
  deploy's diff.
- Not it: a deploy to another service just before (payments, dep_4819), one after the onset (cart, dep_4822).
- Fix: roll back first; then one batched query (`.in_(skus)` or `selectinload`) and a test that bounds queries
  per request.
- Next time: a latency step right after a deploy? Check the deploys, db_queries before and after the onset, and
  the suspect diff for a query in a loop, before anything else.
"""


# --------------------------------------------------------------------------- the sandbox, with more mounted
class NB08Sandbox(mr.Sandbox):
    """The generator's scratch sandbox, with what notebook 08's sessions also have: Incident-2291's evidence in
    the uploads, the skill under /workspace/skills/ and an empty memory mount (the recordings write into it, in
    story order); and the SDK's ``write`` tool."""

    PREFIXES = (mr.SESSION_ROOT, "/mnt/memory/", "/workspace/skills/")

    def __init__(self, data_dir: Path | str = mr.DATA_DIR):
        super().__init__(data_dir)
        evidence = self.root / INCIDENT_2291.lstrip("/")
        evidence.mkdir(parents=True)
        for name in EVIDENCE_2291:
            shutil.copyfile(Path(data_dir) / "incident-2291" / name, evidence / name)
        shutil.copytree(SKILLS_DIR / "incident-runbooks", self.root / SKILL.lstrip("/"))
        (self.root / MEMORY.lstrip("/")).mkdir(parents=True)
        self._local = re.compile("(?<![\\w.-])(" + "|".join(map(re.escape, self.PREFIXES)) + ")")

    def local(self, text: str) -> str:
        return self._local.sub(lambda m: f"{self.root}{m.group(1)}", text)

    def sandboxed(self, text: str) -> str:
        return text.replace(f"{self.root}/", "/")

    def run(self, name: str, tool_input: dict) -> str:
        if name != "write":
            return super().run(name, tool_input)
        from anthropic.lib.tools import agent_toolset as ts

        local = {**tool_input, "file_path": self.local(tool_input["file_path"])}
        result = asyncio.run(ts.beta_write_tool(ts.AgentToolContext(workdir=str(self.root))).call(local))
        return self.sandboxed(result)


class Recording(mr.Recording):
    """A recording whose agent may also write a file (a memory) with the built-in ``write`` tool."""

    def write_turn(self, message: str, file_path: str, content: str) -> str:
        """A model request that says ``message`` and writes ``content`` to ``file_path``; returns the result."""
        return self.tool_turn(message, "write", {"file_path": file_path, "content": content})


# --------------------------------------------------------------------------- the stories
def rec_runbook(f: mr.Facts) -> Recording:
    r = Recording("runbook-2277", "RBOK", f, title="Incident-2277 by the runbook, then the "
                  "lesson into memory",
                  description="The agent reads its incident-runbooks skill (SKILL.md, then the latency runbook) "
                              "under /workspace/skills/, follows its steps (metrics, deploys, queries per request, slow "
                              "queries, the diff), reports, and writes the lesson into the team's memory store. "
                              "Authored from the docs: no live run of skills or memory is public.",
                  keywords=["incident-2277", "runbooks"])
    r.user_message(RUNBOOK_MESSAGE)
    r.running()
    skill = r.bash_turn("The team's runbooks first: my incident-runbooks skill.", f"cat {SKILL}/SKILL.md", think=True)
    assert "runbooks/latency.md" in skill and "Latency after a deploy" in skill
    runbook = r.bash_turn("A latency step right after 14:07Z is the signature \"Latency after a deploy\". Its "
                          "runbook:", f"cat {SKILL}/runbooks/latency.md")
    assert "Queries per request" in runbook
    cb, ca, ratio = mr.comparison(r.custom_turn("Step 1, the onset: checkout p99 per interval, compared around 14:07Z.",
                                                "get_metrics", mr.METRICS_INPUT, think=True))
    deploys = json.loads(r.custom_turn(
        f"Checkout p99 {mr.ms(cb)} → {mr.ms(ca)} ({ratio:.1f}x) at 14:07Z. Step 2, the suspects: the deploys "
        "around the onset.", "list_deploys", mr.DEPLOYS_INPUT))["deploys"]
    c, h1, h2 = f.culprit, f.herring_before, f.herring_after
    assert [d["id"] for d in deploys if d["service"] == "checkout"] == [c["id"]]
    heavy = mr.hourly(r.bash_turn(
        f"Only `{c['id']}` (checkout `{c['version']}`, {mr.hhmm(c['timestamp'])}) reached checkout in the 10 minutes "
        f"before; `{h1['id']}` is {h1['service']}, `{h2['id']}` came after. Step 3, queries per request:",
        mr.CMD_HEAVY_PER_HOUR))
    assert set(heavy) == {"14", "15"}, heavy
    slow = mr.uniq_counts(r.bash_turn(
        f"None before 14:00, {sum(heavy.values()):,} since: an N+1. Step 4, slow-query warnings by route:",
        mr.CMD_SLOW_BY_ROUTE))
    n_slow = sum(slow.values())
    diff = r.custom_turn(f"{n_slow:,} warnings, all on checkout's order-summary routes. Step 5, the diff of "
                         f"`{c['id']}`:", "get_diff", mr.DIFF_INPUT)
    assert f.nplus1_line in diff
    report = (f"## Incident-2277: root cause (runbook: latency after a deploy)\n\n"
              f"**Onset** 14:07Z. **Culprit** `{c['id']}`, checkout `{c['version']}`, commit `{c['commit']}`.\n\n"
              f"**Mechanism** an N+1: `{f.nplus1_line}` inside `for item in order.items:` in "
              "`services/checkout/order_summary.py`.\n\n"
              f"**Evidence** p99 {mr.ms(cb)} → {mr.ms(ca)} ({ratio:.1f}x); {sum(heavy.values()):,} requests with ≥ 10 "
              f"queries, none before 14:00; {n_slow:,} slow-query warnings.\n\n"
              f"**Not it** `{h1['id']}` ({h1['service']}), `{h2['id']}` (after the onset).\n\n"
              f"**Act** roll back `{c['id']}`; then one batched query (`.in_(skus)` or `selectinload`) and a test "
              "that bounds the queries per summary.\n\nNow the lesson, into the team's memory.")
    r.write_turn(report, f"{MEMORY}{LESSON_PATH}", LESSON)
    r.model_request([("message", f"Saved: {MEMORY}{LESSON_PATH}. The next investigator starts from it.")])
    r.end_turn()
    return r


def _explore_2291(r: Recording) -> dict:
    """The cold start: the runbooks, which service, when. Returns what it found."""
    skill = r.bash_turn("No memory here, so the team's runbooks first.", f"cat {SKILL}/SKILL.md", think=True)
    assert "Latency after a deploy" in skill
    by_service = mr.uniq_counts(r.bash_turn(
        "The runbooks want the signature first. Which service has the slow requests (1 s or more)?",
        f"grep -E '\"latency_ms\":[0-9]{{4,}}' {LOG_2291} | cut -d, -f3 | sort | uniq -c", think=True))
    assert max(by_service, key=by_service.get) == '"service":"cart"', by_service
    n_cart = by_service['"service":"cart"']
    tens = mr.uniq_counts(r.bash_turn(
        f"Cart: {n_cart} of them. When did they start? Per 10 minutes:",
        f"grep '\"service\":\"cart\"' {LOG_2291} | grep -E '\"latency_ms\":[0-9]{{4,}}' | cut -c8-22 | sort | uniq -c"))
    assert min(tens) >= "2026-11-25T10:0", tens
    r.bash_turn("From the 10:00 block on: a latency step. The runbook for that signature:",
                f"cat {SKILL}/runbooks/latency.md")
    first = json.loads(r.bash_turn("Step 1, the onset: the first slow cart request.",
                                   f"grep '\"service\":\"cart\"' {LOG_2291} | grep -m1 -E '\"latency_ms\":[0-9]{{4,}}'"))
    assert first["ts"] >= ONSET_2291[:16], first
    return {"first": first}


def _confirm_2291(r: Recording, lead: str) -> dict:
    """Deploys, queries per request, the diff: what both runs end with. Returns the facts of the report."""
    deploys = json.loads(r.bash_turn(lead, f"cat {INCIDENT_2291}/deploys.json"))["deploys"]
    culprit = [d for d in deploys if d["timestamp"] < ONSET_2291][-1]
    assert (culprit["id"], culprit["service"]) == ("dep_4871", "cart"), culprit
    heavy = mr.uniq_counts(r.bash_turn(
        f"`{culprit['id']}` deployed cart `{culprit['version']}` at {mr.hhmm(culprit['timestamp'])}, 80 seconds "
        "before the onset; the others are other services. Requests with 10 or more DB queries, per hour:",
        f"grep '\"db_queries\":[0-9][0-9]' {LOG_2291} | cut -c8-20 | sort | uniq -c"))
    assert list(heavy) == ["2026-11-25T10"], heavy
    diff = r.bash_turn(f"None before 10:00, {sum(heavy.values())} after: one query per cart line. The diff:",
                       f"cat {INCIDENT_2291}/diff.txt")
    line = "loyalty = db.query(LoyaltyPrice).filter_by(sku=line.sku, tier=customer.tier).first()"
    assert line in diff
    return {"culprit": culprit, "heavy": sum(heavy.values()), "line": line.split(" = ", 1)[1]}


def _report_2291(facts: dict) -> str:
    c = facts["culprit"]
    return (f"## Incident-2291: root cause\n\n**Onset** 10:04Z. **Culprit** `{c['id']}`, cart `{c['version']}`, "
            f"commit `{c['commit']}` ({c['author']}).\n\n**Mechanism** an N+1 query, as in Incident-2277: "
            f"`{facts['line']}` inside `for line in cart.lines:` in `services/cart/cart_view.py`.\n\n**Evidence** "
            f"{facts['heavy']} cart requests with ≥ 10 DB queries, none before 10:00.\n\n**Act** roll back "
            f"`{c['id']}`; then load the loyalty prices of all lines in one query (`.in_(skus)`).")


def rec_2291_cold(f: mr.Facts) -> Recording:
    r = Recording("incident-2291-cold", "C291", f, title="Incident-2291 without memory",
                  description="The second incident (data/incident-2291/) with no memory mounted: the agent reads the "
                              "runbooks, finds the service and the onset, then the deploys, the queries per request "
                              "and the diff. Eight commands. Authored from the docs.",
                  keywords=["incident-2291", "no memory mounted"])
    r.t = START_2291
    r.user_message(ALERT_2291 + COLD_NOTE)
    r.running()
    _explore_2291(r)
    facts = _confirm_2291(r, "Step 2, the suspects: the deploys.")
    r.model_request([("message", _report_2291(facts))], think=True)
    r.end_turn()
    return r


def rec_2291_memory(f: mr.Facts) -> Recording:
    r = Recording("incident-2291-memory", "M291", f, title="Incident-2291 with the team's "
                  "memory", description="The second incident with the on-call team's memory mounted read-only: the "
                                        "agent reads the lesson of Incident-2277 first and goes straight to the deploys, "
                                        "the queries per request and the diff. Five commands. Authored "
                                        "from the docs.",
                  keywords=["incident-2291", "memory is mounted"])
    r.t = START_2291
    r.user_message(ALERT_2291 + MEMORY_NOTE)
    r.running()
    listing = r.bash_turn("What does the team's memory hold?", f"cd {MEMORY} && ls -R", think=True)
    assert LESSON_PATH.rsplit("/", 1)[1] in listing
    lesson = r.bash_turn("A lesson from Incident-2277:", f"cat {MEMORY}{LESSON_PATH}")
    assert lesson == LESSON
    facts = _confirm_2291(r, "Same signature (a latency step right after a deploy), so the lesson's order: the "
                             "deploys, then the queries per request, then the diff.")
    r.model_request([("message", _report_2291(facts) + "\n\nThe lesson of Incident-2277 applied as written.")])
    r.end_turn()
    return r


# --------------------------------------------------------------------------- the dream
DREAM_NAME = "oncall-lessons"
PATTERN = """\
# Pattern: an N+1 query shipped in a deploy

Seen twice in a week: Incident-2277 (checkout, 2026-11-18) and Incident-2291 (cart, 2026-11-25).

- Signature: the service's p99 steps up 10-15x within two minutes of a deploy to it; db_queries per request
  jump from single digits to tens or hundreds; slow-query warnings on the routes that render a list.
- Cause both times: an ORM lookup inside a loop over line items (`db.query(...).filter_by(sku=...).first()`).
- Fastest path: the deploys before the onset, db_queries before and after, the suspect diff. Skip the rest.
- Act: roll back, then batch the lookup (`.in_(skus)` / `selectinload`) with a test that bounds queries per
  request. Ask for such a test in review of any change that adds a query to a loop.
"""
INCIDENT_NOTES = {
    "/incidents/2026-11-18-checkout-2277.md": """\
# Incident-2277 (2026-11-18): checkout, dep_4820

N+1 on inventory reservations in `order_summary.py`. Rolled back; batched with `.in_(skus)`.
Pattern: /patterns/n-plus-one-after-deploy.md
""",
    "/incidents/2026-11-25-cart-2291.md": """\
# Incident-2291 (2026-11-25): cart, dep_4871

N+1 on loyalty prices in `cart_view.py`. Found in five commands from the Incident-2277 lesson.
Pattern: /patterns/n-plus-one-after-deploy.md
""",
}
INDEX = """\
# SRE on-call memory

- /patterns/: what keeps happening, and the fastest way to confirm it.
- /incidents/: one short note per incident, newest last, each linking its pattern.
"""


def dream_result() -> dict:
    """What the recorded dream does to its output store (a copy of the input): the lesson of 2277 becomes a
    pattern seen twice, one note per incident and an index."""
    return {"dream": 1, "name": DREAM_NAME, "source": "authored",
            "description": "A dream over the SRE on-call store (the lesson of Incident-2277) and the sessions of both "
                           "incidents: it merges what they share into one pattern, keeps a short note per incident, "
                           "and adds an index. Authored from the docs (dreams page): no live dream is public.",
            "input_paths": [LESSON_PATH], "pending_seconds": 8, "running_seconds": 150,
            "usage": {"input_tokens": 1840, "output_tokens": 2315, "cache_creation_input_tokens": 21480,
                      "cache_read_input_tokens": 64210},
            "write": {"/README.md": INDEX, "/patterns/n-plus-one-after-deploy.md": PATTERN, **INCIDENT_NOTES},
            "delete": [LESSON_PATH]}


# --------------------------------------------------------------------------- for make_recordings.py
def recordings(f: mr.Facts) -> list[Recording]:
    """Notebook 08's recordings, in story order (the lesson that runbook-2277 writes is what the memory run reads)."""
    sandbox = NB08Sandbox(f.data_dir)
    try:
        f8 = mr.Facts(f.data_dir, sandbox)
        return [rec_runbook(f8), rec_2291_cold(f8), rec_2291_memory(f8)]
    finally:
        sandbox.close()


def extra_files() -> dict[str, str]:
    """Files beside the recordings: ``{path under data/recordings/: text}``."""
    return {f"dreams/{DREAM_NAME}.json": json.dumps(dream_result(), indent=2, ensure_ascii=False) + "\n"}
