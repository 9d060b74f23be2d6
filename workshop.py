#!/usr/bin/env python3
"""One entry point for the workshop, needing nothing but python3.

    python3 workshop.py open     # make .venv if needed, then open JupyterLab (offline replay unless a key is set)
    python3 workshop.py test     # make .venv if needed, then run the test suite (extra args go to pytest)

The virtual environment lives in .venv next to this file. It is rebuilt
automatically when requirements.txt changes (a hash is kept in .venv).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / "requirements.sha256"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def say(msg: str) -> None:
    print(f"[workshop] {msg}", flush=True)


def ensure_venv() -> None:
    """Create .venv and install requirements.txt, unless it is already up to date."""
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV.name}/ ...")
        try:
            venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
        except Exception as exc:  # e.g. Debian without python3-venv
            sys.exit(
                f"[workshop] could not create a virtual environment: {exc}\n"
                "           On Debian/Ubuntu install it with: sudo apt-get install python3-venv"
            )
    say("installing requirements (first run takes a minute or two) ...")
    cmd = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(REQUIREMENTS)]
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        sys.exit("[workshop] pip install failed; see the messages above. Re-run the same command to retry.")
    STAMP.write_text(wanted + "\n")


def run(args: list[str]) -> int:
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(VENV)
    return subprocess.run(args, cwd=ROOT, env=env).returncode


def cmd_open(extra: list[str]) -> int:
    ensure_venv()
    mode = os.environ.get("WORKSHOP_MODE") or ("live" if os.environ.get("ANTHROPIC_API_KEY") else "replay")
    say(f"mode: {mode} (set WORKSHOP_MODE=replay or live to choose; see README)")
    say("opening JupyterLab on notebooks/00_mental_model.ipynb; stop it with Ctrl+C")
    start = "notebooks/00_mental_model.ipynb"
    target = [start] if (ROOT / start).exists() else ["notebooks"]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        say("running as root (a container?): passing --allow-root to JupyterLab")
        extra = ["--allow-root", *extra]
    return run([str(BIN / "jupyter"), "lab", *target, *extra])


def cmd_test(extra: list[str]) -> int:
    ensure_venv()
    return run([str(PYTHON), "-m", "pytest", *extra])


def main(argv: list[str]) -> int:
    commands = {"open": cmd_open, "test": cmd_test}
    if not argv or argv[0] not in commands:
        print(__doc__.strip())
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
