"""The SRE Agent panel, without widgets: its state machine (``AgentPanelState.apply(event)`` folds the session's
events, SDK objects or dicts, into status, messages, tool calls and the final report; pure Python) and the HTML of
that state (the status badge, a tool call, a timeline entry, the final report, the tool calls by kind).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..events import (
    RESULT_FIELDS,
    SESSION_STATUS,
    TERMINAL_EVENTS,
    TOOL_USE_KINDS,
    ToolCall,
    as_dict,
    text_of,
)
from ..i18n import N_, _
from .data import find_deploy_ids
from .html import CSS, _shorten, clean_text, esc, markdown_html

__all__ = [
    "AgentPanelState",
    "final_report_html",
    "status_badge_html",
    "timeline_entry_html",
    "tool_call_html",
    "tool_calls_summary",
    "usage_summary",
]


# --------------------------------------------------------------------------------------------
# SRE Agent panel: the state machine (pure Python)
# --------------------------------------------------------------------------------------------


def _blocks_text(content: Any) -> str:
    """Text of a list of content blocks, one block per line (a report's markdown keeps its shape)."""
    return text_of(content, sep="\n")


#: Timeline lines kept in English (msgids) in the state, translated when drawn (``timeline_entry_html``).
_STATUS_LINES = {
    "session.status_terminated": N_("session terminated"),
    "session.status_rescheduled": N_("session rescheduled (recovering from an error)"),
}


@dataclass
class AgentPanelState:
    """What the SRE Agent panel knows, folded from the session's events by ``apply``.

    ``timeline`` lists ``(kind, payload)`` in arrival order: ``("user", text)``, ``("message", text)``,
    ``("tool", tool_use_id)``, ``("error", text)``, ``("status", text)``. ``usage`` is the session's last
    ``session.usage`` snapshot (it comes right before each idle): its totals so far, for the header.
    """

    session_id: str | None = None
    status: str = "offline"
    stop_reason: str | None = None
    messages: list[str] = field(default_factory=list)
    tool_calls: dict[str, ToolCall] = field(default_factory=dict)
    timeline: list[tuple[str, Any]] = field(default_factory=list)
    final_report: str | None = None
    error: str | None = None
    events: int = 0
    thinking: int = 0
    usage: dict | None = None
    _seen: set = field(default_factory=set, repr=False)
    _turn_last_message: str | None = field(default=None, repr=False)

    @property
    def online(self) -> bool:
        return self.status != "offline"

    def attach(self, session_id: str | None) -> None:
        self.session_id = session_id
        if self.status == "offline":
            self.status = "idle"

    def apply(self, event: Any) -> str | None:
        """Fold one event in. Returns what changed ("status", "message", "tool", "result", "report", "error",
        "user", "usage", "other"), or ``None`` for a duplicate (same event id seen before)."""
        ev = as_dict(event)
        eid = ev.get("id")
        if eid is not None:
            if eid in self._seen:
                return None
            self._seen.add(eid)
        self.events += 1
        if self.status == "offline":
            self.status = "idle"
        kind = str(ev.get("type", ""))
        if kind in SESSION_STATUS or kind in TERMINAL_EVENTS:
            return self._apply_status(kind, ev)
        if kind in TOOL_USE_KINDS:
            return self._apply_tool_use(kind, ev)
        if kind in RESULT_FIELDS:
            return self._apply_result(kind, ev)
        if kind in ("session.error", "workflow_run.error"):
            return self._apply_error(ev)
        if kind == "agent.message":
            text = _blocks_text(ev.get("content"))
            self.messages.append(text)
            self.timeline.append(("message", text))
            self._turn_last_message = text
            return "message"
        if kind == "user.tool_confirmation":
            tid = str(ev.get("tool_use_id") or "")
            if tid not in self.tool_calls:
                return "other"
            self.tool_calls[tid].confirmation = str(ev.get("result") or "")
            return "tool"
        if kind == "user.message":
            self.timeline.append(("user", _blocks_text(ev.get("content"))))
            self._turn_last_message = None
            return "user"
        if kind == "user.interrupt":
            self.timeline.append(("status", N_("interrupted by the user")))
            return "user"
        if kind == "session.usage":  # the totals so far, not a step of the investigation: no timeline entry
            self.usage = as_dict(ev.get("usage") or {})
            return "usage"
        if kind == "agent.thinking":
            self.thinking += 1
        return "other"

    def _apply_status(self, kind: str, ev: dict) -> str:
        """A status event (a deleted session shows as terminated); an ``end_turn`` idle publishes the report."""
        self.status = SESSION_STATUS.get(kind, "terminated")
        self.stop_reason = None
        if kind == "session.status_idle":
            reason = ev.get("stop_reason") or {}
            reason = as_dict(reason) if not isinstance(reason, str) else {"type": reason}
            self.stop_reason = reason.get("type")
            if self.stop_reason == "end_turn" and self._turn_last_message is not None:
                self.final_report = self._turn_last_message
                self._turn_last_message = None
                return "report"
        if kind in _STATUS_LINES:
            self.timeline.append(("status", _STATUS_LINES[kind]))
        return "status"

    def _apply_tool_use(self, kind: str, ev: dict) -> str:
        tid = str(ev.get("id") or f"tool_{len(self.tool_calls)}")
        call = self.tool_calls.get(tid)
        if call is None:
            permission = ev.get("evaluated_permission")
            call = ToolCall(id=tid, name=str(ev.get("name", "?")), input=ev.get("input"), kind=TOOL_USE_KINDS[kind],
                            permission=permission if isinstance(permission, str) else None)
            self.tool_calls[tid] = call
            self.timeline.append(("tool", tid))
        else:  # a result arrived first
            call.name, call.input, call.kind = str(ev.get("name", "?")), ev.get("input"), TOOL_USE_KINDS[kind]
        return "tool"

    def _apply_result(self, kind: str, ev: dict) -> str:
        tid = str(ev.get(RESULT_FIELDS[kind]) or "")
        call = self.tool_calls.get(tid)
        if call is None:
            call = ToolCall(id=tid, name="?", input=None, kind="custom" if "custom" in kind else "agent")
            self.tool_calls[tid] = call
            self.timeline.append(("tool", tid))
        call.result = _blocks_text(ev.get("content"))
        call.is_error = bool(ev.get("is_error"))
        return "result"

    def _apply_error(self, ev: dict) -> str:
        err = ev.get("error") or {}
        err = as_dict(err) if not isinstance(err, str) else {"message": err}
        retry = err.get("retry_status") or {}
        retry = as_dict(retry) if not isinstance(retry, str) else {"type": retry}
        text = f"{err.get('type', 'error')}: {err.get('message', '')}"
        if retry.get("type"):
            text = _("{error} (retry: {retry})").format(error=text, retry=retry.get("type"))
        self.error = text
        self.timeline.append(("error", text))
        return "error"

    @property
    def culprit(self) -> str | None:
        """The deploy id the final report points at, if any."""
        ids = find_deploy_ids(self.final_report)
        return ids[0] if ids else None


# --------------------------------------------------------------------------------------------
# SRE Agent panel: its HTML
# --------------------------------------------------------------------------------------------

_BADGE_COLOURS = {
    "offline": "#9e9e9e",
    "idle": "#1565c0",
    "running": "#2e7d32",
    "rescheduling": "#ef6c00",
    "terminated": "#c62828",
}


def status_badge_html(status: str, stop_reason: str | None = None) -> str:
    colour = _BADGE_COLOURS.get(status, "#616161")
    extra = f' <span class="muted">({esc(stop_reason)})</span>' if stop_reason and status == "idle" else ""
    label = _("offline") if status == "offline" else status  # the session's statuses are the API's words
    return f'<span class="badge agent-status status-{esc(status)}" style="background:{colour}">{esc(label)}</span>{extra}'


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except Exception:
        return str(value)


def tool_call_html(call: ToolCall, result_limit: int = 4000) -> str:
    args = _json_text(call.input)
    short_args = clean_text(json.dumps(call.input, ensure_ascii=False, default=str) if call.input is not None else "")
    if len(short_args) > 90:
        short_args = short_args[:90] + "..."
    if call.waiting_for_confirmation:
        waiting = _("waiting for your confirmation")
        state = f'<b style="color:#ef6c00">{waiting}</b>'
        result = ""
    elif call.result is None:
        waiting = _("waiting for result...")
        state = f'<span class="muted">{waiting}</span>'
        result = ""
    else:
        error, done = _("error"), _("done")
        state = f'<b style="color:#c62828">{error}</b>' if call.is_error else f'<span style="color:#2e7d32">{done}</span>'
        label = _("result (error):") if call.is_error else _("result:")
        result = f"<div>{label}</div><pre>{esc(_shorten(call.result, result_limit))}</pre>"
    confirm = f" · {esc(call.confirmation)}" if call.confirmation else ""
    cls = "tool err" if call.is_error else "tool"
    where, colour = {"custom": (_("custom tool"), "#00838f"), "agent": (_("sandbox"), "#78909c"),
                     "mcp": ("mcp", "#8d6e63")}.get(call.kind, (_("tool"), "#78909c"))
    given = _("input:")
    return (
        f'<div class="{cls}" data-tool-id="{esc(call.id)}"><details><summary>'
        f'<span class="who" style="background:{colour}">{esc(where)}</span><b>{esc(call.name)}</b>'
        f" <code>{esc(short_args)}</code> · {state}{confirm}</summary>"
        f"<div>{given}</div><pre>{esc(args)}</pre>{result}</details></div>"
    )


def timeline_entry_html(state: AgentPanelState, kind: str, payload: Any) -> str:
    """One entry of the agent's timeline as HTML (the panel header carries the CSS once)."""
    if kind == "tool":
        return f'<div class="i2277">{tool_call_html(state.tool_calls[payload])}</div>'
    who = {"message": _("agent"), "user": _("you"), "error": _("error")}.get(kind)
    if kind == "message":
        return (f'<div class="i2277"><div class="msg-agent"><span class="who" style="background:#455a64">{who}</span>'
                f"{markdown_html(_shorten(payload, 6000))}</div></div>")
    if kind == "user":
        return (f'<div class="i2277"><div class="msg-user"><span class="who" style="background:#1565c0">{who}</span>'
                f"{esc(_shorten(payload, 2000))}</div></div>")
    if kind == "error":
        return (f'<div class="i2277"><div class="msg-error"><span class="who" style="background:#c62828">{who}</span>'
                f"{esc(payload)}</div></div>")
    line = _(payload)  # a status line the state keeps in English (N_ above)
    return f'<div class="i2277 muted">— {esc(line)}</div>'


def final_report_html(report: str | None, culprit: str | None = None) -> str:
    if not report:
        return ""
    named = _("culprit: {deploy}").format(deploy=esc(culprit)) if culprit else ""
    badge = f' <span class="badge" style="background:#c62828">{named}</span>' if culprit else ""
    title = _("Final report")
    return (f'{CSS}<div class="i2277"><div class="report final-report"><b>{title}</b>{badge}'
            f"{markdown_html(report)}</div></div>")


_TOOL_KINDS = (("agent", N_("{n} sandbox tool call"), N_("{n} sandbox tool calls"), N_("{done} ran")),  # the sandbox runs them
               ("custom", N_("{n} custom tool call"), N_("{n} custom tool calls"), N_("{done} answered")),
               ("mcp", N_("{n} MCP tool call"), N_("{n} MCP tool calls"), N_("{done} answered")))


def tool_calls_summary(state: AgentPanelState) -> str:
    """The tool calls by kind, e.g. "5 sandbox tool calls · 5 custom tool calls (5 answered)": the sandbox runs the
    built-in tools itself; your laptop answers the custom tools."""
    parts = []
    for kind, one, many, verb in _TOOL_KINDS:
        calls = [c for c in state.tool_calls.values() if c.kind == kind]
        if calls or kind != "mcp":
            done = sum(1 for c in calls if c.done)
            counted = _(verb).format(done=done)
            parts.append(_(one if len(calls) == 1 else many).format(n=len(calls))
                         + (f" ({counted})" if done != len(calls) or kind == "custom" else ""))
    return " · ".join(parts)


def usage_summary(state: AgentPanelState) -> str:
    """The session's cost so far, from its last ``session.usage`` (e.g. "list cost $0.07 · 41 s active"), or ""."""
    usage = state.usage or {}
    parts = []
    cents = str((usage.get("list_cost") or {}).get("amount", ""))
    if cents.isascii() and cents.isdigit() and len(cents) < 16:
        parts.append(_("list cost {cost}").format(cost=f"${int(cents) / 100:,.2f}"))
    if isinstance(usage.get("active_seconds"), (int, float)):
        parts.append(_("{seconds:.0f} s active").format(seconds=usage["active_seconds"]))
    return " · ".join(parts)
