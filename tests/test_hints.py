"""Hints teach: every exercise's visible hint is a nudge, never its solution's lines; the near-answer comes only on
request (``check.hint("N.M")``), and the learner notebooks do not carry it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import check, hints
from helpers.exercises import BEGIN, END
from support import notebooks as nbk

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS, NOTEBOOKS = ROOT / "solutions", ROOT / "notebooks"
NAMES = sorted(p.name for p in SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))

TOKEN = re.compile(r"""("[^"\n]*"|'[^'\n]*'|\w+(?:\.\w+)*|[^\w\s])""")  # a string, or a dotted name, is one token
#: a hint may share a short phrase with its solution (a method name, a key), not a run of code this long
MAX_SHARED_TOKENS = 6


def _cells(folder: Path, name: str) -> list[dict]:
    """The notebook's cells, each source one string."""
    return [dict(cell, source=nbk.source(cell)) for cell in nbk.notebook(name, folder)["cells"]]


def solution_blocks(name: str) -> dict[str, list[str]]:
    """Exercise -> the code lines of its solution (markers and comments left out)."""
    blocks: dict[str, list[str]] = {}
    for cell in _cells(SOLUTIONS, name):
        current = None
        for line in cell["source"].split("\n") if cell["cell_type"] == "code" else []:
            if BEGIN.match(line):
                current = BEGIN.match(line).group("num")
                blocks[current] = []
            elif END.match(line):
                current = None
            elif current and line.strip() and not line.strip().startswith("#"):
                blocks[current].append(line.split("  #")[0].strip())
    return blocks


def visible_hints(name: str) -> dict[str, str]:
    """Exercise -> every hint a learner sees without asking: the markdown's Hint bullet and the TODO's # Hint lines."""
    cells = _cells(NOTEBOOKS, name)
    found: dict[str, list[str]] = {}
    for cell in cells:
        text = cell["source"]
        if cell["cell_type"] == "markdown":
            for m in re.finditer(r"^### Exercise (\d+\.\d+):.*?$(.*?)(?=^#{1,3} |\Z)", text, re.M | re.S):
                bullet = re.search(r"^- \*\*Hint:\*\*(.*?)(?=^- |\n\n|\Z)", m.group(2), re.M | re.S)
                found.setdefault(m.group(1), []).append(bullet.group(1) if bullet else "")
        else:
            number = None
            for line in text.split("\n"):
                todo = re.match(r"^\s*# TODO (\d+\.\d+):", line)
                hint = re.match(r"^\s*# Hint: (.*)$", line)
                if todo:
                    number = todo.group(1)
                elif hint and number:
                    found.setdefault(number, []).append(hint.group(1))
                else:
                    number = None if not line.strip().startswith("#") else number
    return {number: "\n".join(parts) for number, parts in found.items()}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("`", ""))


def longest_shared_run(hint: str, solution: list[str]) -> tuple[int, str]:
    """The longest run of tokens the hint shares with the solution (normalised: whitespace and backticks ignored)."""
    a, b = TOKEN.findall(hint.replace("`", "")), TOKEN.findall("\n".join(solution))
    best, where = 0, 0
    previous = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        current = [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                current[j] = previous[j - 1] + 1
                if current[j] > best:
                    best, where = current[j], i
        previous = current
    return best, " ".join(a[where - best:where])


def gives_away(hint: str, solution: list[str]) -> list[str]:
    """Why ``hint`` reproduces its solution (empty when it does not)."""
    problems = [f"it contains the solution line {line!r}" for line in solution
                if len(TOKEN.findall(line)) >= 4 and _squash(line) in _squash(hint)]
    run, words = longest_shared_run(hint, solution)
    if run > MAX_SHARED_TOKENS:
        problems.append(f"it shares {run} tokens in a row with the solution: {words!r}")
    return problems


EXERCISES = [(name, number) for name in NAMES for number in solution_blocks(name)]


def test_every_exercise_is_found():
    assert len(EXERCISES) >= 18, EXERCISES


@pytest.mark.parametrize("name,number", EXERCISES)
def test_visible_hint_is_a_nudge_not_the_answer(name: str, number: str):
    hint = visible_hints(name).get(number, "")
    assert hint.strip(), f"notebooks/{name}: exercise {number} shows no hint"
    problems = gives_away(hint, solution_blocks(name)[number])
    assert not problems, f"notebooks/{name}: the hint of {number} gives the answer away: {'; '.join(problems)}"


def test_the_check_catches_a_hint_that_is_the_answer():
    solution = ['onset = checkout.index[checkout["p99_ms"] > 3 * baseline][0]']
    assert gives_away('`onset = checkout.index[checkout["p99_ms"] > 3 * baseline][0]`', solution)
    assert gives_away('use checkout.index[checkout["p99_ms"] > 3 * baseline] then take the first', solution)
    assert not gives_away("compare the p99 column with 3 × baseline: a boolean mask; take the first True", solution)


@pytest.mark.parametrize("name,number", EXERCISES)
def test_near_answer_on_request(name: str, number: str, capsys):
    title, lines = hints.near_answers()[number]
    assert lines, f"solutions/{name}: exercise {number} has no ### MORE: near-answer for check.hint({number!r})"
    check.hint(number)
    shown = capsys.readouterr().out
    assert all(line in shown for line in lines) and f"Exercise {number}" in shown
    learner = (NOTEBOOKS / name).read_text(encoding="utf-8")
    assert "### MORE" not in learner and f'check.hint(\\"{number}\\")' in learner, \
        f"notebooks/{name}: {number} should point at check.hint and not carry the near-answer"


def test_hint_for_an_unknown_exercise_says_which_exist():
    with pytest.raises(ValueError, match="There is no exercise '9.9'.*3.2"):
        check.hint("9.9")
