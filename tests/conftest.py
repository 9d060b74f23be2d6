"""Shared pytest fixtures."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Tests never go live, whatever the environment says; only the opt-in live tests (pytest -m live) get the key.
os.environ["WORKSHOP_MODE"] = "replay"
LIVE_API_KEY = os.environ.pop("ANTHROPIC_API_KEY", None)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests keep artefacts (screenshots, executed notebooks): test-output/."""
    out = ROOT / "test-output"
    out.mkdir(exist_ok=True)
    return out
