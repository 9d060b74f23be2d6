"""Shared pytest fixtures."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Tests never go live, whatever the environment says.
os.environ["WORKSHOP_MODE"] = "replay"
os.environ.pop("ANTHROPIC_API_KEY", None)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests keep artefacts (screenshots, executed notebooks): test-output/."""
    out = ROOT / "test-output"
    out.mkdir(exist_ok=True)
    return out


def pytest_terminal_summary(terminalreporter) -> None:
    """CI (.ci/run) sets WORKSHOP_CI_STARTED (epoch seconds) before it makes .venv: say how long clone to green took."""
    started = os.environ.get("WORKSHOP_CI_STARTED")
    if started:
        import time

        total = time.time() - float(started)
        terminalreporter.write_line(f"[ci] fresh clone to green (.ci/run: chromium, .venv, the suite): {total:.0f} s")
