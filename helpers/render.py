"""One readable line per Managed Agents session event.

    from helpers import render
    render.line(event)   # -> "agent.tool_use        bash  grep -c '\"service\":\"checkout\"' /mnt/session/uploads/app.log"
    render.show(event)   # colour HTML in Jupyter, plain text in a terminal

Works with the SDK's event objects (``BetaManagedAgents...Event``) and with plain dicts
(what ``events.list`` returns as JSON, or a line of a recording). Agent output is untrusted
text: ANSI escape sequences are stripped and other control characters escaped, so a
``printf '\\x1b[2J'`` in a tool result cannot clear your screen, and long text is truncated.
Ids and timestamps are left out on purpose: the line says *what happened*, which is the same
on every run. The line's own words (labels, summaries) are in the learner's language (``helpers.i18n``); event types,
statuses, stop reasons, field names and what the event carries stay as the API has them.
"""
from __future__ import annotations

import html
import json
import re
import sys
from typing import Any

from .events import as_dict, text_of, waits_for_confirmation
from .i18n import N_, _, ngettext

__all__ = ["line", "show", "as_dict", "text_of", "clean", "DOMAIN_COLOURS", "WIDTH"]

#: Default maximum length of a rendered line (characters).
WIDTH = 160
#: Width of the left column that holds the event type.
TYPE_COLUMN = 26

#: One colour per event domain (the part before the dot).
DOMAIN_COLOURS = {
    "user": "#1f6feb",      # blue: what you sent
    "agent": "#1a7f37",     # green: what Claude did
    "session": "#9a6700",   # amber: the session's status
    "span": "#6e7781",      # grey: timing and token accounting
    "system": "#8250df",    # purple
    "workflow_run": "#8250df",
    "event_start": "#6e7781",
    "event_delta": "#6e7781",
    "error": "#cf222e",     # red: anything that went wrong
}

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"          # CSI: colours, cursor moves, clear screen
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"   # DCS, SOS, PM, APC strings
    r"|\x1b[@-Z\\-_]"                   # other two-byte escapes
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"[ \t]+")


# --------------------------------------------------------------------------- text helpers
def clean(text: Any, width: int | None = WIDTH) -> str:
    """Make untrusted text safe for one line: strip ANSI, escape control characters, fold
    newlines into ``⏎``, squeeze runs of blanks, truncate to ``width`` with ``…``."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ⏎ ").replace("\t", " ")
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)
    text = _SPACE.sub(" ", text).strip()
    if width is not None and len(text) > width:
        text = text[: max(width - 1, 0)].rstrip() + "…"
    return text


def _compact(value: Any) -> str:
    """Tool input as ``key=value`` pairs, or compact JSON."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _tokens(usage: dict | None) -> str:
    """A request's ``model_usage`` or a session's cumulative ``usage`` (cache writes as one figure or by TTL)."""
    usage = usage or {}
    bits = [f"in={usage.get('input_tokens') or 0}", f"out={usage.get('output_tokens') or 0}"]
    cache_read = usage.get("cache_read_input_tokens")
    if cache_read:
        bits.append(f"cache_read={cache_read}")
    by_ttl = usage.get("cache_creation")
    cache_write = usage.get("cache_creation_input_tokens") or (
        sum(v or 0 for v in by_ttl.values()) if isinstance(by_ttl, dict) else 0)
    if cache_write:
        bits.append(f"cache_write={cache_write}")
    return _("tokens {counts}").format(counts=" ".join(bits))


def _dollars(cents: Any) -> str:
    """An amount in cents (the API's string) as dollars."""
    text = str(cents)
    if text.isascii() and text.isdigit() and len(text) < 16:
        return f"${int(text) / 100:,.2f}"
    return _("{amount} cents").format(amount=text[:20])


def _usage_snapshot(ev: dict) -> str:
    """``session.usage``: the session's totals so far (it comes right before each idle): tokens, list cost (against
    the budget, if any), active time."""
    usage = ev.get("usage") or {}
    bits = [_("so far: {tokens}").format(tokens=_tokens(usage))]
    cost = (usage.get("list_cost") or {}).get("amount")
    if cost is not None:
        cap = ((ev.get("budget") or {}).get("max_list_cost") or {}).get("amount")
        bits.append(_("list cost {cost} of a {cap} budget").format(cost=_dollars(cost), cap=_dollars(cap))
                    if cap is not None else _("list cost {cost}").format(cost=_dollars(cost)))
    if usage.get("active_seconds") is not None:
        bits.append(_("{seconds:.1f} s active").format(seconds=usage["active_seconds"]))
    return " · ".join(bits)


# --------------------------------------------------------------------------- one line per type
#: What a tool use that waits for your user.tool_confirmation says at its end (kept when a long line is cut); in the
#: learner's language when drawn (``_(_ASKS)``).
_ASKS = N_("  [waiting for your confirmation]")


def _sent_detail(t: str, ev: dict) -> str | None:
    """What you send: user events and system messages."""
    if t in ("user.message", "system.message"):
        return text_of(ev.get("content"))
    if t in ("user.custom_tool_result", "user.tool_result"):
        result = _("→ result error: {text}") if ev.get("is_error") else _("→ result {text}")
        return result.format(text=text_of(ev.get("content")))
    if t == "user.tool_confirmation":
        extra = f" ({ev['deny_message']})" if ev.get("deny_message") else ""
        return f"{ev.get('result', '?')}{extra}"
    if t == "user.interrupt":
        thread = ev.get("session_thread_id")
        return _("(interrupt: stop thread {thread})").format(thread=thread) if thread else _("(interrupt: stop now)")
    if t == "user.define_outcome":
        return _("outcome: {description}").format(description=ev.get("description", ""))
    return None


#: What follows an agent.custom_tool_use on its line (in the learner's language when drawn).
_ANSWERS = N_("  ← your laptop answers this")


def _agent_detail(t: str, ev: dict) -> str | None:
    """What Claude does."""
    if t == "agent.message":
        return text_of(ev.get("content"))
    if t == "agent.thinking":
        return "…"
    if t in ("agent.tool_use", "agent.mcp_tool_use"):
        where = f"{ev.get('mcp_server_name')}/" if t == "agent.mcp_tool_use" else ""
        name = ev.get("name", "?")
        inp = ev.get("input") or {}
        if name == "bash" and isinstance(inp, dict) and "command" in inp:
            args = inp["command"]
        elif isinstance(inp, dict) and len(inp) == 1 and isinstance(next(iter(inp.values())), str):
            args = next(iter(inp.values()))
        else:
            args = _compact(inp)
        ask = _(_ASKS) if waits_for_confirmation(ev) else ""
        denied = _("  [denied by policy]") if ev.get("evaluated_permission") == "deny" else ""
        return f"{where}{name}  {args}{ask}{denied}"
    if t == "agent.custom_tool_use":
        answers = _(_ANSWERS)
        call = clean(f"{ev.get('name', '?')}({_compact(ev.get('input') or {})})", width=WIDTH - TYPE_COLUMN - len(answers))
        return call + answers  # the arguments are cut, never the note, however long the call
    if t in ("agent.tool_result", "agent.mcp_tool_result"):
        result = _("error: {text}") if ev.get("is_error") else _("ok: {text}")
        return result.format(text=text_of(ev.get("content")) or _("(no output)"))
    if t == "agent.thread_message_sent":  # no agent name: to the primary thread (the SDK's docstring)
        return _("to {agent}: {text}").format(agent=ev.get("to_agent_name") or _("the primary thread"),
                                              text=text_of(ev.get("content")))
    if t == "agent.thread_message_received":
        return _("from {agent}: {text}").format(agent=ev.get("from_agent_name") or _("the primary thread"),
                                                text=text_of(ev.get("content")))
    if t == "agent.thread_context_compacted":
        return _("context compacted")
    return None


def _session_detail(t: str, ev: dict) -> str | None:
    """The session's status, errors, usage and threads."""
    if t == "session.status_idle":
        sr = ev.get("stop_reason") or {}
        kind = sr.get("type", "?")
        if kind == "requires_action":
            n = len(sr.get("event_ids") or [])
            return ngettext("idle: requires_action (waiting on {n} event)", "idle: requires_action (waiting on {n} events)",
                            n).format(n=n)
        if kind == "refusal":
            details = ev.get("stop_details") or {}
            why = ": ".join(x for x in (details.get("category"), details.get("explanation")) if x)
            return f"idle: refusal{' (' + why + ')' if why else ''}"
        return f"idle: {kind}"
    if t == "session.status_running":
        return "running"
    if t == "session.status_rescheduled":
        return _("rescheduling (a transient error; the platform retries)")
    if t == "session.status_terminated":
        return "terminated"
    if t == "session.deleted":
        return _("deleted")
    if t == "session.error":
        err = ev.get("error") or {}
        retry = (err.get("retry_status") or {}).get("type", "?")
        return _("{error}: {message} (retry: {retry})").format(error=err.get("type", "error"),
                                                               message=err.get("message", ""), retry=retry)
    if t == "session.usage":
        return _usage_snapshot(ev)
    if t == "session.updated":
        changed = [k for k in ("agent", "budget", "metadata", "title") if ev.get(k) is not None]
        return _("updated {fields}").format(fields=", ".join(changed)) if changed else _("updated")
    if t == "session.thread_created":
        return _("thread for {agent}").format(agent=ev.get("agent_name", "?"))
    if t.startswith("session.thread_status_"):
        status = t.removeprefix("session.thread_status_")
        sr = (ev.get("stop_reason") or {}).get("type")
        return f"{ev.get('agent_name', '?')}: {status}{' ' + sr if sr else ''}"
    return None


def _span_detail(t: str, ev: dict) -> str | None:
    """Spans: timing and tokens."""
    if t == "span.model_request_start":
        return _("model request…")
    if t == "span.model_request_end":
        tokens = _tokens(ev.get("model_usage"))
        return _("{tokens} (failed)").format(tokens=tokens) if ev.get("is_error") else tokens
    if t in ("span.outcome_evaluation_start", "span.outcome_evaluation_ongoing"):
        return _("grading outcome, iteration {iteration}").format(iteration=ev.get("iteration", "?"))
    if t == "span.outcome_evaluation_end":
        return _("outcome {result} (iteration {iteration}): {explanation}").format(
            result=ev.get("result", "?"), iteration=ev.get("iteration", "?"), explanation=ev.get("explanation", ""))
    return None


def _preview_detail(t: str, ev: dict) -> str | None:
    """Stream previews (only with ``event_deltas=[...]``)."""
    if t == "event_start":
        return _("preview of {type}").format(type=(ev.get("event") or {}).get("type", "?"))
    if t == "event_delta":
        delta = ev.get("delta") or {}
        return text_of([delta.get("content") or {}])
    return None


def _other_detail(t: str, ev: dict) -> str:
    """Workflows, and anything newer than this file (its fields, compact)."""
    if t.startswith("workflow_run."):
        return " ".join(str(ev[k]) for k in ("name", "result", "error") if ev.get(k)) or t.split(".", 1)[1]
    rest = {k: v for k, v in ev.items() if k not in ("type", "id", "processed_at")}
    return _compact(rest) if rest else ""


_DETAILS = (_sent_detail, _agent_detail, _session_detail, _span_detail, _preview_detail)


def _detail(ev: dict) -> str:
    """What ``ev`` says, without its type: one function per family of event types."""
    t = ev.get("type", "?")
    for family in _DETAILS:
        text = family(t, ev)
        if text is not None:
            return text
    return _other_detail(t, ev)


def line(event: Any, width: int | None = WIDTH) -> str:
    """One readable, single-line, control-character-free description of ``event``."""
    ev = as_dict(event)
    t = clean(ev.get("type", "?"), width=60)
    try:
        detail = _detail(ev)
    except Exception as exc:  # a malformed event must never break the rendering of a run
        detail = _("(could not render: {error})").format(error=type(exc).__name__)
    text = f"{t:<{TYPE_COLUMN - 1}} {clean(detail, width=None)}".rstrip()
    if width is not None and len(text) > width:
        mark = " " + _(_ASKS).strip()  # as clean() left it (one blank)
        keep = mark if waits_for_confirmation(ev) and text.endswith(mark) and width > 2 * len(mark) else ""
        text = text[: max(width - 1 - len(keep), 0)].rstrip() + "…" + keep
    return text


def _domain(event_type: str) -> str:
    return event_type.split(".", 1)[0]


def _is_error(ev: dict) -> bool:
    t = ev.get("type", "")
    if t == "session.error" or t == "session.status_terminated" or ev.get("is_error"):
        return True
    if t == "session.status_idle":
        return (ev.get("stop_reason") or {}).get("type") in ("retries_exhausted", "refusal", "budget_reached")
    return False


class Line:
    """A rendered event that shows as colour HTML in Jupyter and as plain text elsewhere."""

    def __init__(self, event: Any, width: int | None = WIDTH):
        self.event = as_dict(event)
        self.text = line(self.event, width=width)

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        t = self.event.get("type", "?")
        colour = DOMAIN_COLOURS["error"] if _is_error(self.event) else DOMAIN_COLOURS.get(_domain(t), "#57606a")
        # the type is the first word; a type longer than the column stays whole (never cut mid-word)
        head, _blank, tail = self.text.partition(" ")
        tail = tail.lstrip(" ")
        weight = "bold" if t in ("agent.message", "session.status_idle") else "normal"
        return (
            '<div style="font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;white-space:pre-wrap;'
            'margin:0;padding:0 0 0 4px;border-left:3px solid {c}">'
            '<span style="color:{c};font-weight:{w}">{h:<{n}}</span>{b}</div>'
        ).format(c=colour, w=weight, h=html.escape(head), n=max(TYPE_COLUMN, len(head) + 1), b=html.escape(tail))


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def show(event: Any, width: int | None = WIDTH) -> None:
    """Display one event: colour HTML (escaped) in Jupyter, a plain line anywhere else."""
    rendered = Line(event, width=width)
    if _in_notebook():
        from IPython.display import display

        display(rendered)
    else:
        print(rendered.text, flush=True)
