"""Every conformance test cites its source: a docs page, an SDK docstring, or a public live run's output."""
from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: What a citation names: a docs page (its URL) or the installed SDK's own docstrings or code.
CITES = ("https://platform.claude.com/docs/", "SDK")


def conformance_tests() -> dict[str, str]:
    """``{module::test name: docstring}`` of every test of the suite but this file's."""
    found = {}
    for path in sorted(HERE.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found[f"{path.stem}::{node.name}"] = ast.get_docstring(node) or ""
    return found


def test_every_conformance_test_cites_its_source():
    tests = conformance_tests()
    assert len(tests) >= 15, sorted(tests)
    uncited = [name for name, doc in tests.items()
               if not doc.startswith("Source: ") or not any(c in doc for c in CITES) or '"' not in doc]
    assert not uncited, f"tests with no 'Source: ...' citing a docs page or the SDK, with a quote: {uncited}"


def test_the_checker_sees_a_test_without_a_source(tmp_path):
    bad = "def test_x():\n    '''It works.'''\n"
    doc = ast.get_docstring(ast.parse(bad).body[0])
    assert not doc.startswith("Source: ")
