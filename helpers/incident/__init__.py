"""Incident-2277: the evidence and the custom tools the agent calls on your laptop.

The cloud agent emits ``agent.custom_tool_use``; your loop calls :func:`run_tool` (or :func:`handle_tool`)
here, and sends the text back as ``user.custom_tool_result``::

    from helpers import incident

    agent = client.beta.agents.create(..., tools=[*incident.CUSTOM_TOOLS])
    ...
    result = incident.run_tool(event.name, event.input)      # never raises
    client.beta.sessions.events.send(session_id, events=[result.event(event.id)])

The four tools (see :data:`CUSTOM_TOOLS` for what the model reads):

* ``query_logs``   filter ``app.log`` (service, level, status, route/message text, time range): count,
  breakdowns, a timeline and a few sample lines.
* ``get_metrics``  one metric of one service (rpm, p50/p95/p99 latency, failure rate): summary, a coarse
  series, and a before/after comparison around a moment you name.
* ``list_deploys`` the deploys in a time range, optionally for one service.
* ``get_diff``     the code change behind a deploy id or commit sha.

Where the evidence comes from is one small interface, :class:`IncidentSource`; the default
:class:`FileSource` reads ``data/``. Swap it with :func:`set_source` (the slide's "swap
``json.load('data/metrics.json')`` for a Datadog client and it is the same wire protocol": the tools, their
schemas and the session events do not change).

For notebooks and the dashboard: :func:`logs`, :func:`metrics_frame`, :func:`deploys_frame` give the current
source's evidence as pandas frames.

Import is cheap (no pandas, no numpy). The first tool call loads numpy and parses ``app.log`` once, with one
regular expression, into numpy arrays (:class:`LogColumns`) that every later query filters in a millisecond
or two; pandas loads only when a frame is asked for (or for sources that hand over a frame).

One file per role, each importing only the ones before it (docs/design.md): ``validator`` (the tools' input
checks, ``ToolError``), ``evidence`` (the sources, the parsed log and its cache), ``tools`` (the schemas, the four
tools, ``run_tool``, ``handle_tool``). Import the names from here.
"""
from __future__ import annotations

from .evidence import (
    LEVELS,
    LOG_COLUMNS,
    METRICS,
    SERVICES,
    FileSource,
    IncidentSource,
    LogColumns,
    MemorySource,
    columns_cache_dir,
    deploys_frame,
    get_source,
    load_log_columns,
    log_columns,
    log_columns_cache_file,
    logs,
    logs_frame,
    metrics_frame,
    set_source,
    split_commits,
)
from .tools import (
    CUSTOM_TOOLS,
    GET_DIFF,
    GET_METRICS,
    LIST_DEPLOYS,
    MAX_LIMIT,
    MAX_RESULT_CHARS,
    QUERY_LOGS,
    STEPS,
    TOOL_NAMES,
    ToolResult,
    get_diff,
    get_metrics,
    handle_tool,
    list_deploys,
    query_logs,
    run_tool,
)
from .validator import ToolError, validate

__all__ = [
    "CUSTOM_TOOLS", "TOOL_NAMES", "SERVICES", "LEVELS", "METRICS", "LOG_COLUMNS",
    "IncidentSource", "FileSource", "MemorySource", "get_source", "set_source",
    "ToolResult", "run_tool", "handle_tool",
    "query_logs", "get_metrics", "list_deploys", "get_diff",
    "logs", "metrics_frame", "deploys_frame", "logs_frame", "LogColumns", "log_columns", "validate",
    "ToolError",
    "MAX_RESULT_CHARS", "MAX_LIMIT",
    "QUERY_LOGS", "GET_METRICS", "LIST_DEPLOYS", "GET_DIFF", "STEPS",
    "load_log_columns", "log_columns_cache_file", "columns_cache_dir", "split_commits",
]
