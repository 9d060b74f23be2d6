"""Shared pytest fixtures.

The stub's tests share one stub per test module: ``server`` (a running ``helpers.stub``) and ``client`` (the real
SDK on it, strict). A module configures its stub by overriding ``stub_options`` (the keyword arguments of
``helpers.stub.start``).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from support.fixtures import sdk_client

ROOT = Path(__file__).resolve().parent.parent
# Tests never go live, whatever the environment says; only the opt-in live tests (pytest -m live) get the key.
os.environ["WORKSHOP_MODE"] = "replay"
# The suite reads English messages, whatever the machine's locale (helpers/i18n.py); a notebook in notebooks/ja/ or
# solutions/ja/ still speaks Japanese in its kernel (its folder decides), and the tests of the Japanese edition ask
# for Japanese where they need it.
os.environ["WORKSHOP_LANG"] = "en"
LIVE_API_KEY = os.environ.pop("ANTHROPIC_API_KEY", None)
# Every cache the series keeps (the parsed log, charts, the stub's validators) goes to a folder of this run, for the
# tests and every kernel and process they start: a stale file in the developer's ~/.cache cannot change a result,
# and the run leaves nothing there. (Tests of the caches themselves set their own folder.)
_TEST_CACHE = tempfile.mkdtemp(prefix="workshop-test-cache-")
os.environ["WORKSHOP_CACHE_DIR"] = _TEST_CACHE


def pytest_unconfigure(config) -> None:
    shutil.rmtree(_TEST_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests keep artefacts (screenshots, executed notebooks): test-output/."""
    out = ROOT / "test-output"
    out.mkdir(exist_ok=True)
    return out


@pytest.fixture(scope="module")
def stub_options() -> dict:
    """The keyword arguments of ``helpers.stub.start`` for this module's ``server`` (override it in a module)."""
    return {}


@pytest.fixture(scope="module")
def server(stub_options):
    """A stub running for the whole test module."""
    from helpers import stub

    with stub.start(**stub_options) as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    """The real SDK (strict validation) on the module's stub."""
    return sdk_client(server)


def pytest_terminal_summary(terminalreporter) -> None:
    """CI (.ci/run) sets WORKSHOP_CI_STARTED (epoch seconds) before it makes .venv: say how long clone to green took."""
    started = os.environ.get("WORKSHOP_CI_STARTED")
    if started:
        import time

        total = time.time() - float(started)
        terminalreporter.write_line(f"[ci] fresh clone to green (.ci/run: chromium, .venv, the suite): {total:.0f} s")
