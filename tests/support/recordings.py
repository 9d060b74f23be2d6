"""A recording's file as the tests read it (data/recordings/NAME.jsonl, docs/design.md "Recordings"): independent
of the stub's own loader (helpers.stub.recordings), so the two can check each other."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["REC_DIR", "load", "events", "paths", "sdk_events"]

#: The recordings the workshop replays.
REC_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "recordings"


def load(path: Path | str) -> tuple[dict, list[dict]]:
    """``(header, lines)`` of a recording: a path, or the name of one in :data:`REC_DIR`."""
    path = Path(path) if isinstance(path, Path) or str(path).endswith(".jsonl") else REC_DIR / f"{path}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return rows[0], rows[1:]


def events(name: str) -> list[dict]:
    """Every event of the recording ``name``, each branch's included, in file order."""
    return [ln["event"] for ln in load(name)[1]]


def paths(lines: list[dict]) -> dict[str, list[dict]]:
    """The paths through a recording: one per tool-confirmation result if it has "when" lines, else one ("")."""
    results = {ln["when"]["confirmation"] for ln in lines if "when" in ln}
    if not results:
        return {"": [ln["event"] for ln in lines]}
    return {res: [ln["event"] for ln in lines if ln.get("when", {}).get("confirmation", res) == res]
            for res in sorted(results)}


def sdk_events(name: str, branch: str = "allow") -> list[Any]:
    """The events of ``name`` on the ``branch`` path ("allow" or "deny"), each parsed with the SDK's event type."""
    from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent
    from pydantic import TypeAdapter

    adapter = TypeAdapter(BetaManagedAgentsSessionEvent)
    header, lines = load(name)
    assert header.get("recording") == 1 and header.get("name") == name
    return [adapter.validate_python(ln["event"]) for ln in lines
            if ln.get("when", {}).get("confirmation", branch) == branch]
