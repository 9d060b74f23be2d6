"""Hints in two levels: the nudge you see in the exercise, the near-answer only when you ask for it.

Each exercise's markdown and its TODO cell give a **nudge**: what to look for, which field, which event. Still
stuck? Ask for the second level in a new cell::

    check.hint("3.2")

It prints the near-answer: the shape of the code with the key names filled in, still short of the solution's
lines. The full answer stays in ``solutions/`` (the same cell).

The near-answers live in the solution notebooks themselves (``### MORE:`` lines inside an exercise's
``### BEGIN SOLUTION`` block; ``scripts/make_notebooks.py`` leaves them out of the learner notebooks), so the
exercise, its nudge and its near-answer have one source. In another language (``helpers.i18n``: a kernel in
``notebooks/ja/`` speaks Japanese), the near-answers come from that edition's solutions (``solutions/ja/``), and the
English ones stand in for an exercise it does not have yet.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from .exercises import BEGIN, END, MORE
from .i18n import _, language
from .settings import ROOT

__all__ = ["hint", "near_answers"]

SOLUTIONS = ROOT / "solutions"


def _cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = cell.get("source", "")
            out.append("".join(src) if isinstance(src, list) else src)
    return out


@lru_cache(maxsize=4)
def near_answers(folder: Path = SOLUTIONS) -> dict[str, tuple[str, list[str]]]:
    """Exercise number -> (title, near-answer lines), read from the solution notebooks."""
    found: dict[str, tuple[str, list[str]]] = {}
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        for source in _cells(path):
            current = None
            for line in source.split("\n"):
                begin = BEGIN.match(line)
                if begin:
                    current = begin.group("num")
                    found[current] = (begin.group("title"), [])
                elif END.match(line):
                    current = None
                elif current is not None:
                    more = MORE.match(line)
                    if more:
                        found[current][1].append(more.group("text"))
    return found


def _near_answers_in(lang: str) -> dict[str, tuple[str, list[str]]]:
    """The near-answers of the edition in ``lang``; English ones stand in for exercises it does not have."""
    found = dict(near_answers())
    edition = SOLUTIONS / lang
    if lang != "en" and edition.is_dir():
        found.update(near_answers(edition))
    return found


def hint(number: str) -> None:
    """Print the second-level hint (the near-answer) of exercise ``number``, e.g. ``hint("3.2")``."""
    number = str(number).strip()
    lang = language()
    known = _near_answers_in(lang)
    folder = f"solutions/{lang}/" if lang != "en" else "solutions/"
    if number not in known:
        raise ValueError(_("There is no exercise {number!r}; the exercises are {known}. Pass the number the TODO shows, "
                           'as a string: check.hint("3.2").').format(number=number, known=", ".join(known)))
    title, lines = known[number]
    if not lines:
        print(_("Exercise {number} ({title}) has no second hint: the same cell in {folder} has the answer.").format(
            number=number, title=title, folder=folder))
        return
    print(_("💡 Exercise {number} ({title}), the near-answer (fill in the ...):").format(number=number, title=title) + "\n")
    for line in lines:
        print("    " + line)
    print("\n" + _("Still stuck? The same cell in {folder} has the whole answer.").format(folder=folder))
