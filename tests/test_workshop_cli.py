"""The README's two commands: `python3 workshop.py open` and `python3 workshop.py test`.

`test` is what CI runs (so this suite itself proves it). These check `open` down to the JupyterLab it
starts, without leaving a server running (`--version` makes JupyterLab print its version and exit).
"""
from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("workshop", Path(__file__).resolve().parent.parent / "workshop.py")
workshop = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(workshop)


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "workshop.py", *args], cwd=workshop.ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_no_command_prints_usage_and_fails():
    out = run_cli()
    assert out.returncode == 2
    assert "workshop.py open" in out.stdout and "workshop.py test" in out.stdout


def test_open_reaches_the_pinned_jupyterlab():
    wanted = hashlib.sha256(workshop.REQUIREMENTS.read_bytes()).hexdigest()
    if not (workshop.STAMP.exists() and workshop.STAMP.read_text().strip() == wanted):
        pytest.skip(".venv was not made by workshop.py (run the suite with `python3 workshop.py test`)")
    out = run_cli("open", "--version")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "mode: replay" in out.stdout  # offline by default (the tests unset the key)
    assert out.stdout.strip().splitlines()[-1] == "4.6.6"  # the JupyterLab pinned in requirements.txt
