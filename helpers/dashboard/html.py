"""The dashboard's HTML: escaping (everything from the agent or the evidence goes through :func:`esc`, ANSI and
control characters included, before it becomes HTML), markdown made safe, the CSS, and the HTML of the evidence panels
(the Logs table, the Deploys table, the Diff).
"""
from __future__ import annotations

import functools
import html
import re
from typing import Any

from ..i18n import _
from .data import deploy_rows, diff_text

__all__ = [
    "CSS",
    "clean_text",
    "deploys_html",
    "diff_html",
    "esc",
    "logs_table_html",
    "markdown_html",
]

# ---------------------------------------------------------------------------------------------
# Escaping: everything from the agent or the evidence goes through esc() before it becomes HTML.
# ---------------------------------------------------------------------------------------------

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), and two-character escapes.
_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
# C0 controls except \t and \n, DEL, C1 controls, bidi overrides/isolates, zero-width no-break etc.
_CTRL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_text(value: Any) -> str:
    """``value`` as text without ANSI sequences; other control characters shown as ``\\xNN``."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r\n", "\n")
    text = _ANSI_RE.sub("", text)

    def _visible(m: re.Match) -> str:
        code = ord(m.group(0))
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CTRL_RE.sub(_visible, text)


def esc(value: Any) -> str:
    """HTML-escape ``value`` (quotes included) after ``clean_text``."""
    return html.escape(clean_text(value), quote=True)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + "\n" + _("... [{n:,} more characters]").format(n=len(text) - limit)


def markdown_html(text: Any) -> str:
    """Markdown to safe HTML: raw HTML in the text is escaped, harmful links are neutralised."""
    cleaned = clean_text(text)
    try:
        import mistune

        md = _markdown_renderer(mistune)
        return md(cleaned)
    except Exception:  # no mistune, or it choked: fall back to preformatted text
        return f'<pre style="white-space:pre-wrap">{html.escape(cleaned)}</pre>'


@functools.lru_cache(maxsize=1)
def _markdown_renderer(mistune):
    class _Renderer(mistune.HTMLRenderer):
        """Raw HTML escaped (escape=True), harmful link protocols neutralised (mistune's safe_url), and
        images shown as their alt text: agent text never makes the browser fetch anything."""

        def image(self, text: str, url: str, title=None) -> str:
            return _("[image: {text}]").format(text=text)

    return mistune.create_markdown(renderer=_Renderer(escape=True), plugins=["table", "strikethrough"])


# --------------------------------------------------------------------------------------------
# HTML for the panels
# --------------------------------------------------------------------------------------------

_LEVEL_COLOURS = {"ERROR": "#c62828", "WARN": "#ef6c00", "WARNING": "#ef6c00", "INFO": "#2e7d32", "DEBUG": "#757575"}

CSS = """
<style>
.i2277 { font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px; line-height: 1.4;
  color: var(--jp-ui-font-color1, #222); overflow-wrap: anywhere; }
.incident-dashboard .jupyter-widget-html-content, .incident-dashboard .widget-html-content,
.sre-agent-panel .jupyter-widget-html-content, .sre-agent-panel .widget-html-content { min-width: 0; max-width: 100%; }
.i2277 { max-width: 100%; box-sizing: border-box; }
.i2277 .report { overflow-x: auto; }
.i2277 p { margin: 4px 0; }
.i2277 td, .i2277 th { overflow-wrap: normal; white-space: nowrap; }
.i2277 td.msg, .i2277 td.desc { white-space: normal; overflow-wrap: break-word; min-width: 200px; }
.i2277 td.route { white-space: normal; overflow-wrap: break-word; min-width: 90px; }
.i2277 ul, .i2277 ol { margin: 4px 0; padding-left: 20px; }
.i2277 .who { display: inline-block; font-size: 11px; font-weight: bold; color: white; border-radius: 3px;
  padding: 0 5px; margin-right: 4px; }
.i2277 table { border-collapse: collapse; width: 100%; }
.i2277 th, .i2277 td { border-bottom: 1px solid #e0e0e0; padding: 2px 6px; text-align: left; vertical-align: top; }
.i2277 th { background: #f5f5f5; position: sticky; top: 0; }
.i2277 td.msg { font-family: var(--jp-code-font-family, monospace); font-size: 12px; word-break: break-word; }
.i2277 td.ts { white-space: nowrap; font-family: var(--jp-code-font-family, monospace); font-size: 12px; }
.i2277 tr.culprit td { background: #ffebee; font-weight: bold; }
.i2277 .badge { display: inline-block; border-radius: 10px; padding: 1px 10px; color: white; font-weight: bold; }
.i2277 .diff { font-family: var(--jp-code-font-family, monospace); font-size: 12px; white-space: pre; overflow-x: auto;
  border: 1px solid #e0e0e0; padding: 4px; line-height: 1.35; }
.i2277 .diff .add { background: #e6ffec; color: #116329; display: block; }
.i2277 .diff .del { background: #ffebe9; color: #82071e; display: block; }
.i2277 .diff .hunk { color: #0550ae; background: #ddf4ff; display: block; }
.i2277 .diff .meta { color: #57606a; font-weight: bold; display: block; }
.i2277 .diff .ctx { display: block; }
.i2277 .report { border: 2px solid #2e7d32; border-radius: 6px; padding: 6px 12px; background: #f1f8e9; }
.i2277 .report h1, .i2277 .report h2, .i2277 .report h3 { margin: 6px 0; }
.i2277 pre { white-space: pre-wrap; word-break: break-word; }
.i2277 .report pre { background: #fff; padding: 4px; font-size: 12px; white-space: pre; overflow-x: auto; overflow-wrap: normal; }
.i2277 .tool { border-left: 3px solid #90a4ae; margin: 3px 0; padding-left: 6px; }
.i2277 .tool.err { border-left-color: #c62828; }
.i2277 .tool pre { max-height: 240px; overflow: auto; background: #fafafa; margin: 2px 0; font-size: 11px; }
.i2277 .msg-agent { margin: 4px 0; padding: 4px 8px; background: #f5f5f5; border-radius: 4px; }
.i2277 .msg-user { margin: 4px 0; padding: 4px 8px; background: #e3f2fd; border-radius: 4px; }
.i2277 .msg-error { margin: 4px 0; padding: 4px 8px; background: #ffebee; color: #b71c1c; border-radius: 4px; }
.i2277 .muted { color: #757575; }
</style>
"""


def _missing(value: Any) -> bool:
    """None, NaN or pandas' NA (without importing pandas)."""
    return value is None or type(value).__name__ == "NAType" or (isinstance(value, float) and value != value)


def logs_table_html(page_df, total: int, page: int = 0, page_size: int = 50) -> str:
    """One page of log lines as an escaped HTML table: ``page_df`` is :func:`filter_logs`'s frame or
    :func:`log_records`'s rows."""
    page_rows = page_df.to_dict("records") if hasattr(page_df, "to_dict") else page_df
    pages = max(1, -(-total // max(1, page_size)))
    rows = []
    for rec in page_rows:
        level = str(rec.get("level", ""))
        colour = _LEVEL_COLOURS.get(level, "#333")
        ts = rec.get("ts")
        ts_text = ts.strftime("%H:%M:%S.%f")[:-3] if hasattr(ts, "strftime") else str(ts)
        dbq = rec.get("db_queries")
        dbq_text = "" if _missing(dbq) else str(int(dbq))
        status = rec.get("status")
        status_colour = "#c62828" if isinstance(status, (int,)) and status >= 500 else "inherit"
        rows.append(
            "<tr>"
            f'<td class="ts">{esc(ts_text)}</td>'
            f'<td style="color:{colour};font-weight:bold">{esc(level)}</td>'
            f"<td>{esc(rec.get('service', ''))}</td>"
            f"<td class=\"route\">{esc(rec.get('route', ''))}</td>"
            f'<td style="color:{status_colour}">{esc(status)}</td>'
            f"<td>{esc(rec.get('latency_ms', ''))}</td>"
            f"<td>{esc(dbq_text)}</td>"
            f'<td class="msg">{esc(rec.get("msg", ""))}</td>'
            "</tr>"
        )
    none, time, message = _("No matching lines."), _("time (UTC)"), _("message")
    body = "".join(rows) or f'<tr><td colspan="8" class="muted">{none}</td></tr>'
    count = _("{total:,} matching lines").format(total=total)
    where = _("page {page} of {pages}").format(page=page + 1, pages=pages)
    return (
        f'{CSS}<div class="i2277 logs">'
        f'<div class="count"><b>{count}</b> · {where}</div>'
        f'<table class="logs-table"><thead><tr><th>{time}</th><th>level</th><th>service</th><th>route</th>'
        f"<th>status</th><th>ms</th><th title=\"db_queries\">db q</th><th>{message}</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def deploys_html(highlight: str | None = None) -> str:
    """The deploys as an escaped HTML table; the ``highlight`` deploy is marked as the culprit."""
    cols = ("id", "timestamp", "service", "version", "commit", "author", "description")
    time, suspect = _("time (UTC)"), _("suspect")
    head = "".join(f"<th>{esc(time if c == 'timestamp' else c)}</th>" for c in cols)
    rows = []
    for rec in deploy_rows():
        culprit = highlight is not None and rec.get("id") == highlight
        cells = []
        for c in cols:
            v = rec.get(c)
            if c == "timestamp" and hasattr(v, "strftime"):
                v = v.strftime("%H:%M:%S") + "Z"  # all on 2026-11-18 (the header says so)
            cells.append(f'<td class="desc">{esc(v)}</td>' if c == "description" else f"<td>{esc(v)}</td>")
        if culprit:
            cells[0] = cells[0].replace("</td>", f' <span class="badge" style="background:#c62828">{suspect}</span></td>')
        cls = ' class="culprit"' if culprit else ""
        rows.append(f'<tr{cls} data-deploy="{esc(rec.get("id"))}">' + "".join(cells) + "</tr>")
    note = (
        "<p>" + _("The investigation points at {deploy}.").format(deploy=f"<b>{esc(highlight)}</b>") + "</p>"
        if highlight
        else '<p class="muted">' + _("No deploy highlighted yet; the SRE Agent's final report will name one.") + "</p>"
    )
    table = f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    return f'{CSS}<div class="i2277 deploys">{note}{table}</div>'


def diff_html(text: str | None = None) -> str:
    """A unified diff as escaped HTML, added lines green, removed lines red."""
    if text is None:
        text = diff_text()
    out = []
    for line in clean_text(text).split("\n"):
        if line.startswith(("+++", "---", "diff ", "index ", "commit ", "Author:", "Date:")):
            cls = "meta"
        elif line.startswith("@@"):
            cls = "hunk"
        elif line.startswith("+"):
            cls = "add"
        elif line.startswith("-"):
            cls = "del"
        else:
            cls = "ctx"
        out.append(f'<span class="{cls}">{html.escape(line) or " "}</span>')
    return f'{CSS}<div class="i2277"><div class="diff">{"".join(out)}</div></div>'
