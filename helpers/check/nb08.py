"""The checks of notebook 08, *The investigator learns*: the skill's upload (8.1), the effort of a session (8.2), the
memory race (8.3), the dream (8.4). Its own helpers are prefixed ``_nb08_``."""
from __future__ import annotations

from typing import Any

from ..events import attr
from ..i18n import N_, _
from .runs import _TODO_OF_CHECK, _callable, need
from .verdicts import CheckFailed, fail, ok

__all__ = ["skill_upload", "effort", "race", "dream"]

#: The exercise each check judges: what a NameError in its cell points back to (``runs._TODO_OF_CHECK``).
_TODO_OF_CHECK.update({"skill_upload": "8.1", "effort": "8.2", "race": "8.3", "dream": "8.4"})


def _nb08_call(fn: Any, name: str, *args: Any, hint: str) -> Any:
    """``fn(*args)``, or a ❌ naming the exception it raised (its message says what the API refused)."""
    __tracebackhide__ = True
    try:
        return fn(*args)
    except CheckFailed:
        raise
    except Exception as exc:
        fail(_("{name}(...) raised {error}: {detail}").format(name=name, error=type(exc).__name__,
                                                              detail=str(exc)[:300]), hint)


def skill_upload(upload_skill: Any, client: Any, skill_dir: Any) -> None:
    """08 (exercise 8.1): ``upload_skill(paths)`` makes a skill whose files sit under the folder's name, SKILL.md at
    the root, titled SKILL_TITLE (the learner's id in it: skills keep no metadata). The check uploads SKILL.md and one
    runbook, looks at what arrived, and deletes its copy."""
    __tracebackhide__ = True
    import io
    import zipfile

    from ..resources import learner_name

    fn = _callable(upload_skill, "upload_skill", "8.1", _("a function upload_skill(paths)"))
    paths = [skill_dir / "SKILL.md", skill_dir / "runbooks" / "latency.md"]
    made = _nb08_call(fn, "upload_skill", paths, hint=_("read the message: it says what the upload lacks (each file's "
                                                        "name must be 'incident-runbooks/<path inside the folder>')."))
    if attr(made, "type") != "skill":
        fail(_("upload_skill returned {kind}, not a skill.").format(kind=type(made).__name__),
             _("return what client.beta.skills.create(...) returns."))
    try:
        data = client.beta.skills.versions.download(attr(made, "latest_version_id"), skill_id=attr(made, "id")).read()
        names = sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())
    finally:
        client.beta.skills.delete(attr(made, "id"))  # the check's copy
    want = ["incident-runbooks/SKILL.md", "incident-runbooks/runbooks/latency.md"]
    if names != want:
        fail(_("the skill holds {names}, not {want}.").format(names=names, want=want),
             _("name each file by its path inside the folder, after the folder's name: "
               "f\"{SKILL_DIR.name}/{p.relative_to(SKILL_DIR).as_posix()}\"."))
    title = learner_name(skill_dir.name)
    if attr(made, "display_name") != title:
        fail(_("the skill's display name is {name!r}, not SKILL_TITLE ({title!r}): skills keep no metadata, so the "
               "next cell (and every later run) finds your skill by that title, with your learner id.").format(
                 name=attr(made, "display_name"), title=title),
             _("pass display_name=SKILL_TITLE to client.beta.skills.create(...)."))
    ok(_("upload_skill made skill {name!r} from {n} files, SKILL.md at its root (the check deleted its copy).").format(
        name=attr(made, "display_name"), n=len(paths)))


def _nb08_effort(client: Any, session_id: str) -> dict:
    out = {"tool calls": 0, "model requests": 0, "output tokens": 0}
    for ev in client.beta.sessions.events.list(session_id, limit=1000):
        t = attr(ev, "type")
        out["tool calls"] += t in ("agent.tool_use", "agent.custom_tool_use")
        out["model requests"] += t == "span.model_request_start"
        if t == "span.model_request_end":
            out["output tokens"] += attr(ev, "model_usage.output_tokens") or 0
    return out


def effort(effort_fn: Any, client: Any, cold_id: str, warm_id: str) -> None:
    """08 (exercise 8.2): ``effort(session_id)`` counts a session's tool calls, model requests and output tokens."""
    __tracebackhide__ = True
    fn = _callable(effort_fn, "effort", "8.2", _("a function effort(session_id) -> dict"))
    for label, sid in ((N_("without memory"), cold_id), (N_("with memory"), warm_id)):
        got = _nb08_call(fn, "effort", sid, hint=_("iterate over client.beta.sessions.events.list(session_id, "
                                                   "limit=100)."))
        want = _nb08_effort(client, sid)
        if not isinstance(got, dict) or set(got) != set(want):
            fail(_("effort(...) returned {got}, not a dict with the keys {keys}.").format(got=str(got)[:120],
                                                                                         keys=sorted(want)),
                 _("return {\"tool calls\": ..., \"model requests\": ..., \"output tokens\": ...}."))
        for key in want:
            if got[key] != want[key]:
                how = {"tool calls": _("count agent.tool_use and agent.custom_tool_use events"),
                       "model requests": _("count span.model_request_start events (one per turn of the model)"),
                       "output tokens": _("add up model_usage.output_tokens of the span.model_request_end events")}[key]
                fail(_("for the session {label}, {key} is {got}; the history says {want}.").format(
                         label=_(label), key=key, got=got[key], want=want[key]),
                     _("{how}, over every page of the history (iterate over the list: the SDK fetches the "
                       "pages).").format(how=how))
    cold, warm = _nb08_effort(client, cold_id), _nb08_effort(client, warm_id)
    ok(_("effort() counts right: {cold_calls} tool calls and {cold_requests} model requests without memory, "
         "{warm_calls} and {warm_requests} with it.").format(
        cold_calls=cold["tool calls"], cold_requests=cold["model requests"], warm_calls=warm["tool calls"],
        warm_requests=warm["model requests"]))


def race(edit_memory: Any, client: Any, store_id: str, memory_id: str, edit: Any, meanwhile: Any) -> None:
    """08 (exercise 8.3): ``edit_memory(memory_id, edit)`` loses the first race (a 409 on its precondition), reads
    again and keeps both changes. The check runs it; ``edit`` lets ``meanwhile`` (the teammate) in, once."""
    __tracebackhide__ = True
    fn = _callable(edit_memory, "edit_memory", "8.3", _("a function edit_memory(memory_id, edit)"))
    if hasattr(meanwhile, "done"):
        meanwhile.done = False  # the teammate edits once per run of the check
    before = len(client.beta.memory_stores.memory_versions.list(store_id, memory_id=memory_id, limit=100).data)
    got = _nb08_call(fn, "edit_memory", memory_id, edit, hint=_("catch anthropic.ConflictError (the 409 of a failed "
                                                                "precondition), read the memory again and re-apply "
                                                                "your edit."))
    if not (isinstance(got, tuple) and len(got) == 2):
        fail(_("edit_memory returned {kind}, not (memory, attempts).").format(kind=type(got).__name__),
             _("return updated, attempt."))
    memory, attempts = got
    text = client.beta.memory_stores.memories.retrieve(memory_id, memory_store_id=store_id).content
    theirs, yours = "Owner: checkout team", edit("").strip()
    if theirs not in text:
        fail(_("the teammate's line is gone: your update overwrote it."),
             _("send precondition={{\"type\": \"content_sha256\", \"content_sha256\": {read}}}: the API then "
               "refuses a write over a change you have not seen.").format(read=_("<the hash you read>")))
    if yours not in text:
        fail(_("your line is not in the memory."),
             _("after a ConflictError, read the memory again and apply edit() to it."))
    after = client.beta.memory_stores.memory_versions.list(store_id, memory_id=memory_id, limit=100).data
    if attempts != 2 or len(after) - before != 2:
        fail(_("edit_memory took {attempts} attempt(s) and added {versions} version(s); the race should cost exactly "
               "one retry (2 attempts: the teammate's version, then yours).").format(attempts=attempts,
                                                                                    versions=len(after) - before),
             _("call edit() after you read and before you update (it is where the teammate gets in), and count the "
               "attempts from 1."))
    ok(_("The first update lost the race (409, memory_precondition_failed_error); the second, on a fresh read, kept "
         "both lines ({n} bytes, 2 new versions).").format(n=attr(memory, "content_size_bytes")))


def dream(done: Any, client: Any, store_id: str) -> None:
    """08 (exercise 8.4): ``wait_for`` returned the dream once it stopped; it completed into a new store."""
    __tracebackhide__ = True
    need(done, "done", "8.4", _("the dream wait_for returned"))
    if attr(done, "type") != "dream":
        fail(_("wait_for returned {kind}, not a dream.").format(kind=type(done).__name__),
             _("return the dream you retrieved last."))
    status = attr(done, "status")
    if status in ("pending", "running"):
        fail(_("wait_for returned while the dream was {status}.").format(status=status),
             _("keep polling until the status is completed, failed or canceled."))
    if status != "completed":
        fail(_("the dream ended {status}: {error}.").format(status=status,
                                                           error=attr(done, "error.message") or _("no error given")),
             _("read done.error; create the dream again."))
    outputs = attr(done, "outputs") or []
    out = attr(outputs[0], "memory_store_id") if outputs else None
    if not out or out == store_id:
        fail(_("the dream names no new output store."),
             _("create it with the default output_behavior (create_new)."))
    made = [attr(m, "path") for m in client.beta.memory_stores.memories.list(out, limit=100)]
    since = [v for v in client.beta.memory_stores.memory_versions.list(store_id, limit=100)
             if attr(v, "created_at") > attr(done, "created_at")]
    if since:
        fail(_("the input store changed {n} time(s) since the dream started.").format(n=len(since)),
             _("a create_new dream writes only its own store: leave output_behavior out."))
    ok(_("The dream completed: its new store holds {n} memories; the input store has not changed since the dream "
         "began.").format(n=len(made)))
