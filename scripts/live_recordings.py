"""Check the recordings against the live API, and refresh them from live runs (a maintainer step).

    ANTHROPIC_API_KEY=... .venv/bin/python scripts/live_recordings.py            # run 03 and 04 live, compare
    ANTHROPIC_API_KEY=... .venv/bin/python scripts/live_recordings.py --refresh  # ... and rewrite the recordings

Notebooks 03 and 04 (their solutions) run live under papermill (``MODE="live"``). Every session they create carries
the workshop's metadata, so afterwards the script finds them (created since the run began), and for each one
compares the sequence of event types of its history with that of the recording the offline stub would replay for
it (``metadata["recording"]``, else the first recording whose keywords its first message contains, else
``incident-2277``: the stub's own rule). ``--refresh`` then records each compared session with
``helpers/recorder.py`` over that recording (``"source": "live"``, its title, description and keywords kept).
Review ``git diff data/recordings``, re-execute the solutions (``scripts/make_notebooks.py --execute NAME``) and run
the suite before committing. ``pytest -m live`` runs the same comparison as a test.

A live run differs from a recording in how many tool calls and messages it makes, so the comparison is on the
shape (:func:`compare`): the same first and last event types and stop reason, no event type the recording lacks,
and each kind of step the recording takes (a custom tool round trip, a sandbox command, a message) taken live too.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOTEBOOKS = ("03_session_and_stream", "04_custom_tools")
#: Event types a live run may have or lack whatever the recording does (model- and service-dependent).
OPTIONAL = frozenset({"agent.thinking", "session.usage", "span.model_request_start", "span.model_request_end",
                      "session.status_rescheduled", "session.error", "agent.message"})


def types_of(events: Iterable[Any]) -> list[str]:
    return [ev["type"] if isinstance(ev, dict) else ev.type for ev in events]


def _stop(events: Sequence[Any]) -> str | None:
    for ev in reversed(list(events)):
        t = ev["type"] if isinstance(ev, dict) else ev.type
        if t == "session.status_idle":
            sr = ev["stop_reason"] if isinstance(ev, dict) else ev.stop_reason
            return sr["type"] if isinstance(sr, dict) else sr.type
    return None


def compare(live: Sequence[Any], recorded: Sequence[Any]) -> list[str]:
    """Where the live history's event types depart from the recording's shape; [] when they agree."""
    lt, rt = types_of(live), types_of(recorded)
    problems = []
    if not lt:
        return ["the live session has no events"]
    if lt[:2] != rt[:2]:
        problems.append(f"it starts {lt[:2]}, the recording {rt[:2]}")
    if lt[-1] != rt[-1]:
        problems.append(f"it ends with {lt[-1]}, the recording with {rt[-1]}")
    if _stop(live) != _stop(recorded):
        problems.append(f"its last stop reason is {_stop(live)!r}, the recording's {_stop(recorded)!r}")
    extra = sorted(set(lt) - set(rt) - OPTIONAL)
    if extra:
        problems.append(f"event types the recording never has: {extra}")
    missing = sorted(set(rt) - set(lt) - OPTIONAL)
    if missing:
        problems.append(f"event types the recording has and the live run lacks: {missing}")
    return problems


def shape(types: Sequence[str]) -> list[str]:
    """Consecutive repeats collapsed (``a a b`` -> ``a b``): a readable summary for a report."""
    return [t for i, t in enumerate(types) if i == 0 or types[i - 1] != t]


def recording_for(session: Any, events: Sequence[Any], recordings_dir: Any = None) -> Any:
    """The recording the stub would replay for this session (its rule 1, see docs/design.md)."""
    from helpers.stub.recordings import Library

    lib = Library(recordings_dir)
    name = (getattr(session, "metadata", None) or {}).get("recording")
    if name and lib.get(name):
        return lib.get(name)
    text = " ".join(block.text for ev in events if ev.type in ("user.message", "user.define_outcome")
                    for block in (getattr(ev, "content", None) or []) if getattr(block, "type", "") == "text")
    text += " ".join(getattr(ev, "description", "") or "" for ev in events if ev.type == "user.define_outcome")
    return next((r for r in lib.all() if r.matches(text)), None) or lib.get("incident-2277")


def run_notebook(name: str, out_dir: Path, api_key: str, timeout: int = 900) -> None:
    """Execute solutions/NAME.ipynb live (papermill); the key goes to the kernel's environment only."""
    import papermill as pm

    env_backup = dict(os.environ)
    os.environ.update({"ANTHROPIC_API_KEY": api_key, "WORKSHOP_MODE": "live"})
    try:
        src = ROOT / "solutions" / f"{name}.ipynb"
        pm.execute_notebook(str(src), str(out_dir / f"{name}.live.ipynb"), parameters={"MODE": "live"},
                            cwd=str(src.parent), kernel_name="python3", progress_bar=False,
                            execution_timeout=timeout)
    finally:
        os.environ.clear()
        os.environ.update(env_backup)


def workshop_sessions(client: Any, since: datetime) -> list[Any]:
    from helpers.resources import is_mine

    return [s for s in client.beta.sessions.list(created_at_gte=since.isoformat(), order="asc", limit=100)
            if is_mine(s)]


def check_live(api_key: str, notebooks: Sequence[str] = NOTEBOOKS, out_dir: Path | None = None,
               refresh: bool = False) -> list[tuple[Any, Any, list[str], list[str], list[str]]]:
    """Run the notebooks live; return (session, recording, problems, live types, recorded types) per session."""
    import anthropic

    from helpers.recorder import record_session

    client = anthropic.Anthropic(api_key=api_key)
    since = datetime.now(timezone.utc).replace(microsecond=0)
    time.sleep(1)
    out_dir = Path(out_dir or tempfile.mkdtemp(prefix="live-notebooks-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in notebooks:
        run_notebook(name, out_dir, api_key)
    results = []
    for s in workshop_sessions(client, since):
        events = list(client.beta.sessions.events.list(s.id, order="asc"))
        rec = recording_for(s, events)
        recorded = [ln.event for ln in rec.lines if not ln.when]
        results.append((s, rec, compare(events, recorded), types_of(events), types_of(recorded)))
        if refresh and rec.path is not None:
            record_session(client, s.id, rec.name, title=rec.title, description=rec.description,
                           keywords=rec.keywords, path=rec.path, overwrite=True)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--refresh", action="store_true", help="record each live session over its recording")
    ap.add_argument("--notebook", action="append", help=f"run only these (default: {', '.join(NOTEBOOKS)})")
    ap.add_argument("--out", type=Path, help="where the executed notebooks go (default: a temporary directory)")
    args = ap.parse_args(argv)
    key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
    if not key:
        print("ANTHROPIC_API_KEY is not set: this step runs the notebooks against the live API.", file=sys.stderr)
        return 2
    results = check_live(key, args.notebook or NOTEBOOKS, args.out, args.refresh)
    bad = 0
    for s, rec, problems, live, recorded in results:
        print(f"{s.id} ({s.title}) vs recording {rec.name}: {'OK' if not problems else 'DIFFERS'}")
        for p in problems:
            print("   ", p)
        if problems:
            bad += 1
            print("    live:    ", " ".join(shape(live)))
            print("    recorded:", " ".join(shape(recorded)))
    if args.refresh:
        print("Recordings rewritten: review `git diff data/recordings`, re-execute the solutions, run the suite.")
    return 1 if bad or not results else 0


if __name__ == "__main__":
    raise SystemExit(main())
