"""Session outputs: files the agent writes under ``/mnt/session/outputs/`` become files scoped to its session.

As the service does (https://platform.claude.com/docs/en/managed-agents/files), what an agent writes there can be
listed with ``client.beta.files.list(scope_id=session.id)`` and downloaded with ``client.beta.files.download(id)``.
Offline there is no sandbox, so the stub reads the write from the recorded tool call itself: the built-in ``write``
tool (``file_path``, ``content``) or a ``bash`` here-document (``cat > /mnt/session/outputs/NAME <<'EOF' ... EOF``).
The file exists once the call's ``agent.tool_result`` reports success.
"""
from __future__ import annotations

import mimetypes
import re
from typing import Any

from ..sandbox import OUTPUTS_DIR

__all__ = ["written_file"]

_UNDER = OUTPUTS_DIR + "/"  # what a path written there starts with
_HEREDOC = re.compile(rf"^\s*cat\s*>\s*(?P<path>{re.escape(_UNDER)}[\w./-]+)\s*<<-?\s*(?P<q>['\"]?)(?P<tag>\w+)(?P=q)"
                      r"[ \t]*\n(?P<body>.*?)\n(?P=tag)\s*$", re.DOTALL)


def written_file(tool_use: dict[str, Any]) -> tuple[str, bytes, str] | None:
    """``(filename, content, mime type)`` when this ``agent.tool_use`` writes a session output, else None."""
    name, inp = tool_use.get("name"), tool_use.get("input") or {}
    path = content = None
    if name == "write" and isinstance(inp.get("file_path"), str) and isinstance(inp.get("content"), str):
        path, content = inp["file_path"], inp["content"]
    elif name == "bash" and isinstance(inp.get("command"), str):
        m = _HEREDOC.match(inp["command"])
        if m:
            path, content = m.group("path"), m.group("body") + "\n"
    if not path or not path.startswith(_UNDER) or path.endswith("/") or ".." in path.split("/"):
        return None
    filename = path.rsplit("/", 1)[-1]
    mime = mimetypes.guess_type(filename)[0] or "text/plain"
    if filename.endswith(".md"):
        mime = "text/markdown"
    return filename, content.encode("utf-8"), mime
