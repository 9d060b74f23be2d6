"""Record a real session's history as a replayable recording (``data/recordings/NAME.jsonl``).

    from helpers.recorder import record_session
    path = record_session(client, session.id, "incident-2277", title="...", keywords=["checkout", "p99"])

The file has the format of ``docs/design.md`` ("Recordings"): a header line with ``"source": "live"``, then one
``{"event": ...}`` line per event exactly as ``client.beta.sessions.events.list`` returned it (all pages, oldest first).
The header's ``custom_tools`` are the names of the ``agent.custom_tool_use`` events in the history, in order of first
appearance. Nothing about the client (API key, headers, base URL) is written.

A live recording has one path through it: it never has ``"when"`` lines (those are authored, see
``scripts/make_recordings.py``).

A client-side tool: it reads the history through the SDK (``events.list``), so it records from the live API or from any
server that speaks it (a stub included); nothing in the stub uses it.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .i18n import _

__all__ = ["record_session", "dump_line", "RECORDING_FORMAT"]

#: The value of the header's ``"recording"`` key.
RECORDING_FORMAT = 1


def dump_line(obj: dict) -> str:
    """One recording line: compact JSON, UTF-8 characters kept as they are, no trailing newline."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _type_first(obj: Any) -> Any:
    """Put ``type``, ``id`` and ``processed_at`` first in every object, so the file reads like the wire examples."""
    if isinstance(obj, dict):
        out = {k: _type_first(obj[k]) for k in ("type", "id", "processed_at") if k in obj}
        out.update((k, _type_first(v)) for k, v in obj.items() if k not in out)
        return out
    if isinstance(obj, list):
        return [_type_first(x) for x in obj]
    return obj


def _event_dict(event: Any) -> dict:
    """The event as the JSON the server sent: set fields only (no invented nulls), extra fields kept."""
    if isinstance(event, dict):
        return _type_first(dict(event))
    data = event.model_dump(mode="json", exclude_unset=True)
    data.setdefault("type", event.type)  # no default, so always set; make sure anyway
    return _type_first(data)


def _secrets(client: Any) -> list[str]:
    found = []
    for attr in ("api_key", "auth_token"):
        value = getattr(client, attr, None)
        if isinstance(value, str) and len(value) >= 8:
            found.append(value)
    return found


def record_session(
    client: Any,
    session_id: str,
    name: str,
    *,
    title: str | None = None,
    description: str | None = None,
    keywords: Iterable[str] = (),
    path: str | Path | None = None,
    overwrite: bool = False,
    page_size: int | None = None,
) -> Path:
    """Write the full event history of ``session_id`` as recording ``name``; return the file's path.

    ``path`` defaults to ``helpers.settings.RECORDINGS_DIR / f"{name}.jsonl"``. Its stem must be ``name`` (the
    stub finds recordings by file and by header name). An existing file is kept unless ``overwrite=True``
    (``FileExistsError``). ``page_size`` is the ``limit`` of each ``events.list`` page (default: the
    server's); every page is read either way. Raises ``ValueError`` if the history is empty or if any line
    would contain the client's API key.
    """
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(_("bad recording name {name}").format(name=repr(name)))
    if path is None:
        from helpers.settings import RECORDINGS_DIR

        path = RECORDINGS_DIR / f"{name}.jsonl"
    path = Path(path)
    if path.stem != name:
        raise ValueError(_("the file name must be {name}.jsonl, got {got}").format(name=name, got=path.name))
    if path.exists() and not overwrite:
        raise FileExistsError(_("{path} exists; pass overwrite=True to replace it").format(path=path))

    list_kwargs: dict = {"order": "asc"}
    if page_size is not None:
        list_kwargs["limit"] = page_size
    events = [_event_dict(ev) for ev in client.beta.sessions.events.list(session_id, **list_kwargs)]
    if not events:
        raise ValueError(_("session {session} has no events to record").format(session=session_id))

    custom_tools: list[str] = []
    for ev in events:
        if ev.get("type") == "agent.custom_tool_use" and ev.get("name") not in custom_tools:
            custom_tools.append(ev["name"])

    header = {
        "recording": RECORDING_FORMAT,
        "name": name,
        "title": title if title is not None else name,
        "description": description if description is not None else f"Recorded from live session {session_id}.",
        "keywords": [str(k) for k in keywords],
        "custom_tools": custom_tools,
        "source": "live",
    }
    lines = [dump_line(header)] + [dump_line({"event": ev}) for ev in events]
    text = "\n".join(lines) + "\n"
    for secret in _secrets(client):
        if secret in text:
            raise ValueError(_("refusing to write a recording that contains the client's API key"))

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    if path.exists() and not overwrite:  # created meanwhile
        tmp.unlink()
        raise FileExistsError(_("{path} exists; pass overwrite=True to replace it").format(path=path))
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.recorder SESSION_ID NAME [...]``: record a live session (or one on a stub)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m helpers.recorder", description=main.__doc__)
    parser.add_argument("session_id")
    parser.add_argument("name", help="recording name; the file is NAME.jsonl")
    parser.add_argument("--title")
    parser.add_argument("--description")
    parser.add_argument("--keyword", action="append", default=[], help="repeat for several keywords")
    parser.add_argument("--path", type=Path, help="output file (default: data/recordings/NAME.jsonl)")
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--base-url", help="record from this server (e.g. a stub) instead of the live API")
    args = parser.parse_args(argv)
    if args.base_url:
        import anthropic

        client = anthropic.Anthropic(api_key="recorder", base_url=args.base_url)
    else:
        from helpers import connect

        client = connect("live")
    path = record_session(client, args.session_id, args.name, title=args.title, description=args.description,
                          keywords=args.keyword, path=args.path, overwrite=args.overwrite)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
