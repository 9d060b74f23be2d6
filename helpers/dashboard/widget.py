"""The dashboard's widgets (ipywidgets, imported when one is built): ``AgentPanel``, the SRE Agent panel's view of an
``AgentPanelState``, and ``Dashboard``, the Metrics, Logs, Deploys and Diff tabs beside it, with the static HTML copy
its display bundle carries; ``show()``.
"""
from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from typing import Any

from ..events import as_dict, get
from ..i18n import _
from .agent_panel import (
    AgentPanelState,
    final_report_html,
    status_badge_html,
    timeline_entry_html,
    tool_calls_summary,
    usage_summary,
)
from .charts import render_metrics_png
from .data import (
    SERVICES,
    WINDOW,
    _minute_options,
    deploy_markers,
    deploy_rows,
    diff_for,
    find_deploy_ids,
    log_choices,
    log_records,
)
from .html import CSS, deploys_html, diff_html, esc, logs_table_html

__all__ = ["AgentPanel", "Dashboard", "show"]


# --------------------------------------------------------------------------------------------
# SRE Agent panel: the widget view
# --------------------------------------------------------------------------------------------


class AgentPanel:
    """The SRE Agent panel widget: offline until attached, then a live view of an ``AgentPanelState``."""

    def __init__(self, on_report: Callable[[str | None], None] | None = None):
        import ipywidgets as w

        self._w = w
        self.state = AgentPanelState()
        self._on_report = on_report
        self._lock = threading.RLock()
        self.header = w.HTML(layout=w.Layout(width="100%"))
        self.report = w.HTML(layout=w.Layout(width="100%"))
        self.timeline = w.VBox(layout=w.Layout(width="100%", max_height="480px", overflow="auto"))
        self._entries: dict[str, Any] = {}
        self.widget = w.VBox(
            [self.header, self.report, self.timeline],
            layout=w.Layout(width="100%", border="1px solid #cfd8dc", padding="6px"),
        )
        self.widget.add_class("sre-agent-panel")
        self.render_error: str | None = None
        self._render_header()

    def attach(self, session: Any) -> Callable[[Any], None]:
        """Bring the panel online for ``session`` (object, dict or id); returns ``on_event``."""
        sid = session if isinstance(session, str) or session is None else get(session, "id")
        with self._lock:
            self.state = AgentPanelState()
            self.state.attach(sid)
            self._entries.clear()
            self.timeline.children = ()
            self.report.value = ""
            self._render_header()
        return self.on_event

    def on_event(self, event: Any) -> None:
        """Fold one session event into the panel. Never raises (the loop must keep going)."""
        try:
            with self._lock:
                n_before = len(self.state.timeline)
                change = self.state.apply(event)
                if change is None:
                    return
                new = self.state.timeline[n_before:]
                for kind, payload in new:
                    self._add_entry(kind, payload)
                if change in ("result", "tool"):
                    ev = as_dict(event)
                    tid = next(
                        (str(ev.get(k)) for k in ("custom_tool_use_id", "tool_use_id", "mcp_tool_use_id") if ev.get(k)),
                        str(ev.get("id")),
                    )
                    box = self._entries.get(tid)
                    if box is not None and tid in self.state.tool_calls:
                        box.value = timeline_entry_html(self.state, "tool", tid)
                self._render_header()
                if change == "report":
                    self.report.value = final_report_html(self.state.final_report, self.state.culprit)
                    if self._on_report is not None:
                        self._on_report(self.state.culprit)
        except Exception as exc:  # a display problem must never break the investigation
            self.render_error = f"{type(exc).__name__}: {exc}"

    __call__ = on_event

    def _add_entry(self, kind: str, payload: Any) -> None:
        box = self._w.HTML(timeline_entry_html(self.state, kind, payload), layout=self._w.Layout(width="100%"))
        if kind == "tool":
            self._entries[payload] = box
        self.timeline.children = (*self.timeline.children, box)

    def _render_header(self) -> None:
        s = self.state
        if not s.online:
            body = '<div class="muted">' + _(
                "The SRE Agent is offline. Bring it online with <code>on_event = dash.attach(session)</code> and call "
                "<code>on_event(event)</code> for each event your loop reads.") + "</div>"
        else:
            counts = _("session {session} · {events} events · {tools} · {messages} messages").format(
                session=f"<code>{esc(s.session_id or '?')}</code>", events=s.events, tools=tool_calls_summary(s),
                messages=len(s.messages))
            usage = usage_summary(s)
            body = f'<div class="muted">{counts}{" · " + usage if usage else ""}</div>'
            if s.error:
                error = esc(_("error"))
                body += (f'<div class="msg-error"><span class="who" style="background:#c62828">{error}</span>'
                         f"{esc(s.error)}</div>")
        self.header.value = (
            f'{CSS}<div class="i2277"><div style="display:flex;align-items:center;gap:8px">'
            f'<b style="font-size:15px">SRE Agent</b> {status_badge_html(s.status, s.stop_reason)}</div>{body}</div>'
        )


# --------------------------------------------------------------------------------------------
# The dashboard
# --------------------------------------------------------------------------------------------


def _choices(values: Any, every_last: bool = False) -> list[tuple[str, Any]]:
    """A filter's (label, value) options: the values as they are, and "all" (its label in the learner's language)."""
    every = [(_("all"), "all")]
    pairs = [(str(v), v) for v in values]
    return pairs + every if every_last else every + pairs


class Dashboard:
    """The Incident-2277 dashboard: Metrics, Logs, Deploys, Diff tabs and the SRE Agent panel."""

    def __init__(self, page_size: int = 25):
        import ipywidgets as w

        self._w = w
        self.page_size = page_size
        self.highlighted: str | None = None
        self._handle: Any = None  # the display handle, once shown: its static copy is updated in place
        self.agent = AgentPanel(on_report=self._on_report)
        self._build_metrics()
        self._build_logs()
        self.deploys = w.HTML(deploys_html(None), layout=w.Layout(width="100%"))
        self.deploys.add_class("deploys-panel")
        self.deploys_box = w.Box([self.deploys], layout=w.Layout(overflow="auto"))
        self._build_diff()
        self.tabs = w.Tab(children=[self.metrics_box, self.logs_box, self.deploys_box, self.diff_box])
        for i, title in enumerate((_("Metrics"), _("Logs"), _("Deploys"), _("Diff"))):
            self.tabs.set_title(i, title)
        self.tabs.layout = w.Layout(flex="0 0 60%", min_width="0")
        self.agent.widget.layout.flex = "1 1 0%"
        self.agent.widget.layout.min_width = "0"
        self.agent.widget.layout.width = "auto"
        self.agent.widget.layout.margin = "0 0 0 8px"
        what, onset = _("checkout p99 spikes 10x after a deploy"), _("(onset 2026-11-18 14:07 UTC)")
        title = w.HTML(
            f'{CSS}<div class="i2277" style="font-size:16px"><b>Incident-2277</b> · {what} '
            f'<span class="muted">{onset}</span></div>'
        )
        self.widget = w.VBox([title, w.HBox([self.tabs, self.agent.widget], layout=w.Layout(width="100%"))])
        self.widget.add_class("incident-dashboard")

    # ---- Metrics
    def _build_metrics(self) -> None:
        w = self._w
        self.service = w.Dropdown(options=_choices(SERVICES, every_last=True), value="checkout", description=_("service"))
        opts = _minute_options(*WINDOW)
        self.window = w.SelectionRangeSlider(
            options=opts, index=(0, len(opts) - 1), description=_("window"), continuous_update=False,
            layout=w.Layout(width="520px"),
        )
        self.chart = w.Image(format="png", layout=w.Layout(width="100%", max_width="900px"))
        self.chart.add_class("metrics-chart")
        self.service.observe(lambda _c: self.refresh_metrics(), names="value")
        self.window.observe(lambda _c: self.refresh_metrics(), names="value")
        self.metrics_box = w.VBox([w.HBox([self.service, self.window]), self.chart])
        self.refresh_metrics()

    def refresh_metrics(self) -> None:
        start, end = self.window.value
        self.chart.value = render_metrics_png(self.service.value, start, end, highlight=self.highlighted)

    # ---- Logs
    def _build_logs(self) -> None:
        w = self._w
        lay = w.Layout(width="165px")
        self.log_service = w.Dropdown(options=_choices(SERVICES), value="all", description=_("service"), layout=lay)
        levels, statuses = log_choices()
        self.log_level = w.Dropdown(options=_choices(levels), value="all", description=_("level"), layout=lay)
        self.log_status = w.Dropdown(
            options=_choices(["2xx", "4xx", "5xx", *statuses]), value="all", description=_("status"), layout=lay,
        )
        self.log_text = w.Text(placeholder=_("text in message"), description=_("text"), continuous_update=False,
                               layout=w.Layout(width="230px"))
        opts = _minute_options(*WINDOW)
        self.log_window = w.SelectionRangeSlider(
            options=opts, index=(0, len(opts) - 1), description=_("time"), continuous_update=False,
            layout=w.Layout(width="520px"),
        )
        self.prev_btn = w.Button(description=_("◀ prev"), layout=w.Layout(width="80px"))
        self.next_btn = w.Button(description=_("next ▶"), layout=w.Layout(width="80px"))
        self.page = 0
        self.log_table = w.HTML(layout=w.Layout(width="100%"))
        self.log_table.add_class("logs-panel")
        for ctl in (self.log_service, self.log_level, self.log_status, self.log_text, self.log_window):
            ctl.observe(self._logs_filter_changed, names="value")
        self.prev_btn.on_click(lambda _b: self.refresh_logs(self.page - 1))
        self.next_btn.on_click(lambda _b: self.refresh_logs(self.page + 1))
        self.logs_box = w.VBox(
            [
                w.HBox([self.log_service, self.log_level, self.log_status, self.log_text]),
                w.HBox([self.log_window, self.prev_btn, self.next_btn]),
                w.Box([self.log_table], layout=w.Layout(max_height="900px", overflow="auto")),
            ]
        )
        self.refresh_logs(0)

    def _logs_filter_changed(self, _change=None) -> None:
        self.refresh_logs(0)

    def log_filters(self) -> dict:
        start, end = self.log_window.value
        return {
            "service": self.log_service.value,
            "level": self.log_level.value,
            "status": self.log_status.value,
            "text": self.log_text.value,
            "start": start,
            "end": end,
        }

    def refresh_logs(self, page: int = 0) -> None:
        rows, total, self.page = log_records(**self.log_filters(), page=page, page_size=self.page_size)
        pages = max(1, -(-total // self.page_size))
        self.total = total
        self.prev_btn.disabled = self.page <= 0
        self.next_btn.disabled = self.page >= pages - 1
        self.log_table.value = logs_table_html(rows, total, self.page, self.page_size)

    # ---- Diff
    def _build_diff(self) -> None:
        w = self._w
        opts = [
            (f"{r['id']} · {r['service']} {r['version']} ({r['commit']})", r["id"])
            for r in deploy_rows()
        ]
        first, _text = diff_for(None)
        self.diff_pick = w.Dropdown(options=opts, value=first if first in dict(opts).values() else None,
                                    description=_("deploy"), layout=w.Layout(width="420px"))
        self.diff = w.HTML(layout=w.Layout(width="100%"))
        self.diff.add_class("diff-panel")
        self.diff_pick.observe(lambda _c: self.refresh_diff(), names="value")
        self.diff_box = w.VBox([self.diff_pick, w.Box([self.diff], layout=w.Layout(max_height="900px", overflow="auto"))])
        self.refresh_diff()

    def refresh_diff(self) -> None:
        dep = self.diff_pick.value
        _dep, text = diff_for(dep) if dep else (None, None)
        if text is None:
            missing = _("No diff stored for {deploy}.").format(deploy=esc(dep or _("this deploy")))
            self.diff.value = f'{CSS}<div class="i2277 muted">{missing}</div>'
        else:
            self.diff.value = diff_html(text)

    # ---- Deploys / agent
    def highlight_deploy(self, deploy_id: str | None) -> None:
        """Mark ``deploy_id`` as the suspect in the Deploys table and on the Metrics chart; show its diff."""
        self.highlighted = deploy_id
        self.deploys.value = deploys_html(deploy_id)
        self.refresh_metrics()
        self.refresh_static()
        if deploy_id in {v for _label, v in self.diff_pick.options}:
            self.diff_pick.value = deploy_id

    def _on_report(self, _culprit: str | None) -> None:
        """The final report arrived: highlight the (known) deploy it points at."""
        known = deploy_markers()
        ids = {m["id"] for m in known}
        named = [i for i in find_deploy_ids(self.agent.state.final_report, known) if i in ids]
        if named:
            self.highlight_deploy(named[0])

    def attach(self, session: Any) -> Callable[[Any], None]:
        """Bring the SRE Agent panel online for ``session``; pass the result as the loop's ``on_event=``."""
        self.agent.attach(session)
        self.refresh_static()
        return self.on_event

    @property
    def state(self) -> AgentPanelState:
        return self.agent.state

    def on_event(self, event: Any) -> None:
        """The SRE Agent panel's event callback (what ``attach`` returns); the static copy follows each stop (a run
        may end at any of them: a loop that leaves a requires_action unanswered stops there)."""
        self.agent.on_event(event)
        if as_dict(event).get("type") in ("session.status_idle", "session.status_terminated"):
            self.refresh_static()

    # ---- the static rendering: what GitHub, nbconvert and a kernel-less JupyterLab show
    def static_html(self) -> str:
        """The dashboard as plain HTML (no widgets, no kernel): the Metrics chart with its deploy markers, the deploys
        table, and the SRE Agent panel (its header, the final report and the timeline)."""
        s = self.agent.state
        start, end = self.window.value
        # The chart widget already holds this PNG (refresh_metrics follows service, window and highlight): reuse it
        # rather than render it again on every refresh of the static copy (a render each, 6-8 per investigation).
        chart = bytes(self.chart.value) or render_metrics_png(self.service.value, start, end, highlight=self.highlighted)
        png = base64.b64encode(chart).decode()
        entries = "".join(timeline_entry_html(s, kind, payload) for kind, payload in s.timeline)
        metrics = _("{service}, deploys as dashed lines").format(service=esc(self.service.value))
        what, static = _("checkout p99 spikes 10x after a deploy"), _(
            "(a static copy of the dashboard; run the notebook for the live one)")
        alt, metrics_title, deploys_title = _("Metrics chart with deploy markers"), _("Metrics"), _("Deploys")
        timeline = _("timeline ({n} entries)").format(n=len(s.timeline))
        return (
            f'{CSS}<div class="i2277 static-dashboard" style="border:1px solid #cfd8dc;padding:6px">'
            f'<div style="font-size:16px"><b>Incident-2277</b> · {what} '
            f'<span class="muted">{static}</span></div>'
            f'<div class="static-metrics"><b>{metrics_title}</b> · {metrics}'
            f'<br><img class="metrics-chart" alt="{esc(alt)}" '
            f'style="max-width:900px;width:100%" src="data:image/png;base64,{png}"></div>'
            f'<div class="static-deploys"><b>{deploys_title}</b>{deploys_html(self.highlighted)}</div>'
            f'<div class="static-agent">{self.agent.header.value}{self.agent.report.value}'
            + (f"<details><summary>{timeline}</summary>{entries}</details>" if entries else "")
            + "</div></div>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        """The widget view (live, with a kernel) and a static HTML copy beside it (without one)."""
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.static_html()
        bundle["text/plain"] = _("Incident-2277 dashboard (a widget: run the notebook to see it live)")
        return bundle

    def refresh_static(self) -> None:
        """Re-render the static copy in the cell that displayed the dashboard (Jupyter's display update)."""
        if self._handle is not None:
            try:
                self._handle.update(self._repr_mimebundle_(), raw=True)
            except Exception:  # never break the investigation for a display copy
                pass

    def display(self) -> Dashboard:
        from IPython.display import display

        self._handle = display(self._repr_mimebundle_(), raw=True, display_id=True)
        return self

    def __repr__(self) -> str:
        return f"<Dashboard Incident-2277, SRE Agent {self.agent.state.status}>"


def show(page_size: int = 25) -> Dashboard:
    """Build the dashboard, display it, and return it (``dash = helpers.dashboard.show()``)."""
    return Dashboard(page_size=page_size).display()
