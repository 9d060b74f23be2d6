"""Reading the committed notebooks for the tests, without a kernel: a notebook as JSON, a cell's source, its code and
markdown, the text of its outputs (as the offline run stored them), the exercises a cell holds."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.exercises import BEGIN

__all__ = ["ROOT", "SOLUTIONS", "NOTEBOOKS", "notebook", "source", "code", "markdown", "text_of_output", "outputs",
           "all_outputs", "cell_with", "exercise_numbers", "exercise_cell"]

ROOT = Path(__file__).resolve().parent.parent.parent
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"


def notebook(name: str, folder: Path = SOLUTIONS) -> dict:
    """The notebook ``name`` of ``folder`` (solutions/ by default) as JSON; a missing one fails the test."""
    path = folder / name
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing")
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def code(nb: dict) -> list[str]:
    return [source(c) for c in nb["cells"] if c["cell_type"] == "code"]


def markdown(nb: dict) -> str:
    return "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")


def text_of_output(output: dict) -> str:
    """A stream's text, or an output's Markdown and plain text."""
    if output.get("output_type") == "stream":
        text = output.get("text", "")
        return "".join(text) if isinstance(text, list) else text
    data = output.get("data") or {}
    parts = []
    for mime in ("text/markdown", "text/plain"):
        value = data.get(mime)
        if value is not None:
            parts.append("".join(value) if isinstance(value, list) else value)
    return "\n".join(parts)


def outputs(cell: dict) -> str:
    return "\n".join(text_of_output(o) for o in cell.get("outputs", []))


def all_outputs(nb: dict) -> str:
    return "\n".join(outputs(c) for c in nb["cells"] if c["cell_type"] == "code")


def cell_with(nb: dict, needle: str) -> dict:
    """The first code cell whose source holds ``needle``."""
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and needle in source(c)]
    assert cells, f"no code cell contains {needle!r}"
    return cells[0]


def exercise_numbers(text: str) -> list[str]:
    """The numbers of the ``### BEGIN SOLUTION`` markers in ``text``, in order."""
    return [m.group("num") for m in map(BEGIN.match, text.split("\n")) if m]


def exercise_cell(nb: dict, number: str) -> str:
    """The source of the code cell that holds exercise ``number``."""
    for src in code(nb):
        if number in exercise_numbers(src):
            return src
    pytest.fail(f"no exercise {number}")
