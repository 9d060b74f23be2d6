"""Notebook 09 stores a status page's token in a vault, uses it, rotates it: the token shows in none of its outputs.

The notebook runs offline (papermill) with a known STATUSPAGE_TOKEN; every output of every cell is searched for it
(and for its rotated successor's prefix). A cell appended to the run proves the notebook did use that token. The
stub's side (no response body, listing, error or log line holds a secret) is tests/test_stub_vaults.py's.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

import pytest

from support.scripts import script

ROOT = Path(__file__).resolve().parent.parent
mk = script("make_notebooks")

NB09 = ROOT / "solutions" / "09_team_of_investigators.ipynb"

pytestmark = pytest.mark.notebooks


def leaks(nb: dict, secret: str) -> list[str]:
    """Where ``secret`` appears in the notebook's outputs (as JSON, so any encoding of a cell's output counts)."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            text = json.dumps(output, ensure_ascii=False)
            if secret in text or json.dumps(secret)[1:-1] in text:
                found.append(f"cell {i}: {text[:160]}")
    return found


def test_the_search_finds_a_printed_secret():
    nb = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "stream", "text": "token=tok-123\n"}]}]}
    assert leaks(nb, "tok-123") and not leaks(nb, "tok-456")


def test_notebook_09_never_shows_the_token(monkeypatch, tmp_path):
    import nbformat
    import papermill as pm

    token = "sp-" + secrets.token_urlsafe(24)
    monkeypatch.setenv("STATUSPAGE_TOKEN", token)
    monkeypatch.setenv("WORKSHOP_MODE", "replay")
    monkeypatch.setenv("WORKSHOP_REPLAY_SPEED", "instant")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    nb = nbformat.read(NB09, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(  # the positive control: the notebook used this token
        "import hashlib\nprint('used:', hashlib.sha256(statuspage_token().encode()).hexdigest())"))
    path = tmp_path / NB09.name
    nbformat.write(nb, path)
    executed = pm.execute_notebook(str(path), None, parameters=dict(mk.OFFLINE_PARAMETERS), cwd=str(NB09.parent),
                                   execution_timeout=120, **mk.EXECUTE_OPTIONS)
    control = "".join(o.get("text", "") for o in executed["cells"][-1]["outputs"])
    assert f"used: {hashlib.sha256(token.encode()).hexdigest()}" in control, control
    assert not leaks(executed, token), leaks(executed, token)
    assert not leaks(executed, "rotated-"), "the rotated token (or its prefix) was shown"
