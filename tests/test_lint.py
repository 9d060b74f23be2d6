"""The linter runs with the tests: ``ruff check`` (configured in pyproject.toml) is clean on the whole repo."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PATHS = ["helpers", "scripts", "tests", "benchmarks", "workshop.py"]


def _ruff() -> str:
    """The ruff pinned in requirements-test.txt, from this interpreter's environment."""
    here = Path(sys.executable).parent / "ruff"
    found = str(here) if here.exists() else shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed: it is pinned in requirements-test.txt (python3 workshop.py test installs it)")
    return found


def test_ruff_check_is_clean():
    proc = subprocess.run([_ruff(), "check", "--no-cache", "--output-format", "concise", *PATHS],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"ruff check found problems (fix them, or `ruff check --fix`):\n{proc.stdout}{proc.stderr}"


def test_ruff_is_the_pinned_version():
    pinned = next(line.split("==", 1)[1].strip() for line in (ROOT / "requirements-test.txt").read_text().splitlines()
                  if line.startswith("ruff=="))
    version = subprocess.run([_ruff(), "--version"], capture_output=True, text=True, timeout=30).stdout.split()[-1]
    assert version == pinned, f"ruff {version} runs, requirements-test.txt pins {pinned}: refresh the venv"


def test_no_committed_file_holds_something_that_looks_like_an_api_key():
    """The project's rule (git grep finds no key prefix in the tree): a key, a placeholder or a test's fake key is
    written with helpers.settings.API_KEY_PREFIX, never as the prefix whole."""
    from helpers.settings import API_KEY_PREFIX

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    proc = subprocess.run(["git", "grep", "-nF", API_KEY_PREFIX], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and not proc.stdout, f"key-shaped strings in committed files:\n{proc.stdout}"
