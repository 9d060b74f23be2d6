"""The Incident-2277 dashboard: Metrics, Logs, Deploys, Diff and the SRE Agent panel.

In a notebook::

    import helpers
    dash = helpers.dashboard.show()            # displays the dashboard, returns a Dashboard
    on_event = dash.attach(session)            # the SRE Agent panel comes online
    helpers.loop.run(client, session.id, "...", handle_tool=..., on_event=on_event)

    dash.highlight_deploy("dep_4820")         # also automatic when the final report names a deploy

The panels' data are plain functions (no widgets needed), used by the tests and the notebooks::

    service_metrics_frame("checkout", "2026-11-18T13:00:00Z", "2026-11-18T15:00:00Z")
    page, total = filter_logs(service="checkout", level="WARN", page=0, page_size=50)
    deploy_markers("2026-11-18T14:00:00Z", "2026-11-18T15:00:00Z")

They read the evidence through ``helpers.incident.get_source()`` (the same source the agent's custom tools
read; ``incident.set_source`` swaps both), cached per source. Time windows are ``start <= ts < end``.

The SRE Agent panel is split in two: ``AgentPanelState`` (pure Python; ``apply(event)`` folds the
session's events, SDK objects or dicts, into status, messages, tool calls and the final report)
and ``AgentPanel`` (the ipywidgets view of that state). Everything that came from the agent or the
evidence is escaped before it becomes HTML (``esc``), ANSI and control characters included.

pandas, matplotlib and ipywidgets are imported lazily, so ``import helpers.dashboard`` is cheap; the panels read the
parsed log (numpy) and the deploys as plain rows, and the charts of the series' views ship drawn (``SHIPPED_CHARTS``),
so ``show()`` needs neither pandas nor matplotlib until a filter asks for a frame or a new chart is drawn.

One file per role, each importing only the ones before it (docs/design.md): ``data`` (the evidence as the panels read
it), ``html`` (escaping, CSS, the evidence panels' HTML), ``charts`` (the Metrics chart and its PNGs),
``agent_panel`` (``AgentPanelState`` and its HTML), ``widget`` (``AgentPanel``, ``Dashboard``, ``show``). Import the
names from here.
"""
from __future__ import annotations

from ..events import ToolCall
from .agent_panel import (
    AgentPanelState,
    final_report_html,
    status_badge_html,
    timeline_entry_html,
    tool_call_html,
    tool_calls_summary,
    usage_summary,
)
from .charts import SHIPPED_CHART_VIEWS, SHIPPED_CHARTS, chart_name, metrics_figure, render_metrics_png, shipped_chart_args
from .data import (
    SERVICES,
    WINDOW,
    all_deploys_frame,
    all_logs_frame,
    deploy_markers,
    deploy_rows,
    diff_for,
    diff_text,
    filter_logs,
    find_deploy_ids,
    log_choices,
    log_records,
    service_metrics_frame,
)
from .html import CSS, clean_text, deploys_html, diff_html, esc, logs_table_html, markdown_html
from .widget import AgentPanel, Dashboard, show

__all__ = [
    "AgentPanel",
    "AgentPanelState",
    "Dashboard",
    "tool_calls_summary",
    "usage_summary",
    "ToolCall",
    "clean_text",
    "deploy_markers",
    "deploy_rows",
    "all_deploys_frame",
    "deploys_html",
    "diff_for",
    "diff_html",
    "diff_text",
    "esc",
    "filter_logs",
    "find_deploy_ids",
    "log_choices",
    "log_records",
    "all_logs_frame",
    "logs_table_html",
    "markdown_html",
    "service_metrics_frame",
    "render_metrics_png",
    "show",
    "SERVICES",
    "WINDOW",
    "CSS",
    "SHIPPED_CHARTS",
    "SHIPPED_CHART_VIEWS",
    "chart_name",
    "final_report_html",
    "metrics_figure",
    "shipped_chart_args",
    "status_badge_html",
    "timeline_entry_html",
    "tool_call_html",
]
