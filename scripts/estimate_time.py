#!/usr/bin/env python3
"""How long the workshop path takes a newcomer, estimated from the notebooks themselves.

    python scripts/estimate_time.py                 # per notebook, then the total of the workshop path (00 -> 04)
    python scripts/estimate_time.py --all           # also 05 and 06 (self-study)
    python scripts/estimate_time.py --check-readme  # fail if README's agenda disagrees with the estimate
    python scripts/estimate_time.py --write-readme  # rewrite the agenda's times in README from the estimate

The model (issue 9):

* **reading**: the words of the markdown cells a learner meets in ``notebooks/`` (fenced code in them included), at
  200 words a minute;
* **writing**: each TODO by the lines the learner writes (the code lines of its ``### BEGIN SOLUTION`` block in
  ``solutions/``, comments and blank lines not counted): 1.5 minutes up to 3 lines, 3 up to 10, 6 up to 20, 10 beyond;
* **running**: one minute per notebook to run its cells and read what they print.

The workshop path skips what the notebooks mark as skipped, and nothing else: a markdown cell whose first line is a
heading containing ``(optional in the workshop)`` or ``Going deeper`` starts a skipped part, which runs until the
next heading of the same or a higher level. Its prose and its TODOs are not counted on the path.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = ROOT / "solutions"
README = ROOT / "README.md"

WORDS_PER_MINUTE = 200
RUN_MINUTES = 1.0
WORKSHOP_PATH = ("00", "01", "02", "03", "04")
BUDGET_MINUTES = 40

SKIP_MARKERS = ("(optional in the workshop)", "going deeper")
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*")
BEGIN = re.compile(r"^[ \t]*### BEGIN SOLUTION (?P<num>\d+(?:\.\d+)*)\s*(?P<title>.*?)\s*$")
END = re.compile(r"^[ \t]*### END SOLUTION\s*$")


def todo_minutes(lines: int) -> float:
    """Minutes a newcomer needs to write `lines` lines of a TODO."""
    if lines <= 3:
        return 1.5
    if lines <= 10:
        return 3.0
    if lines <= 20:
        return 6.0
    return 10.0


@dataclass
class Todo:
    number: str
    lines: int
    skipped: bool

    @property
    def minutes(self) -> float:
        return todo_minutes(self.lines)


@dataclass
class Estimate:
    name: str
    words: int = 0            # on the workshop path
    skipped_words: int = 0    # in parts the workshop skips
    todos: list[Todo] = field(default_factory=list)

    @property
    def reading(self) -> float:
        return self.words / WORDS_PER_MINUTE

    @property
    def writing(self) -> float:
        return sum(t.minutes for t in self.todos if not t.skipped)

    @property
    def minutes(self) -> float:
        return self.reading + self.writing + RUN_MINUTES

    @property
    def number(self) -> str:
        return self.name[:2]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def skipped_cells(cells: list[dict]) -> list[bool]:
    """For each cell: is it inside a part the workshop skips (by the notebooks' own markers)?"""
    out: list[bool] = []
    skip_level: int | None = None
    for cell in cells:
        first = _source(cell).lstrip("\n").split("\n", 1)[0]
        m = HEADING.match(first) if cell["cell_type"] == "markdown" else None
        if m:
            level = len(m.group(1))
            if skip_level is not None and level <= skip_level:
                skip_level = None
            if skip_level is None and any(marker in m.group(2).lower() for marker in SKIP_MARKERS):
                skip_level = level
        out.append(skip_level is not None)
    return out


def solution_lines(source: str) -> dict[str, int]:
    """Exercise number -> code lines its solution block asks the learner to write."""
    found: dict[str, int] = {}
    number = None
    for line in source.split("\n"):
        m = BEGIN.match(line)
        if m:
            number, found[m.group("num")] = m.group("num"), 0
        elif END.match(line):
            number = None
        elif number is not None and line.strip() and not line.strip().startswith("#"):
            found[number] += 1
    return found


def estimate(name: str, notebooks: Path = NOTEBOOKS, solutions: Path = SOLUTIONS) -> Estimate:
    learner, solution = _load(notebooks / name), _load(solutions / name)
    result = Estimate(name)
    for cell, skipped in zip(learner["cells"], skipped_cells(learner["cells"]), strict=True):
        if cell["cell_type"] == "markdown":
            words = len(WORD.findall(_source(cell)))
            if skipped:
                result.skipped_words += words
            else:
                result.words += words
    for cell, skipped in zip(solution["cells"], skipped_cells(solution["cells"]), strict=True):
        if cell["cell_type"] == "code":
            for number, lines in solution_lines(_source(cell)).items():
                result.todos.append(Todo(number, lines, skipped))
    return result


def estimates(names: list[str] | None = None) -> list[Estimate]:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    return [estimate(p.name) for p in paths if names is None or p.name[:2] in names]


def workshop_total(results: list[Estimate]) -> float:
    return sum(r.minutes for r in results if r.number in WORKSHOP_PATH)


def rounded(minutes: float) -> int:
    """Whole minutes for the agenda (half a minute rounds up)."""
    return int(minutes + 0.5)


def report(results: list[Estimate]) -> str:
    rows = [f"{'notebook':<28} {'words':>5} {'read':>5} {'TODOs (lines -> min)':<34} {'write':>5} {'run':>4} {'total':>6}"]
    for r in results:
        todos = ", ".join(f"{t.number}: {t.lines}->{t.minutes:g}" + (" skipped" if t.skipped else "") for t in r.todos)
        rows.append(f"{r.name.removesuffix('.ipynb'):<28} {r.words:>5} {r.reading:>5.1f} {todos or '-':<34} "
                    f"{r.writing:>5.1f} {RUN_MINUTES:>4.1f} {r.minutes:>6.1f}")
        if r.skipped_words:
            rows.append(f"{'':<28} (+{r.skipped_words} words in parts the workshop skips)")
    total = workshop_total(results)
    rows.append(f"\nworkshop path {' -> '.join(WORKSHOP_PATH)}: {total:.1f} minutes "
                f"(budget {BUDGET_MINUTES}; optional exercises and 'Going deeper' parts skipped)")
    return "\n".join(rows)


# --------------------------------------------------------------------------- the README's agenda
ROW = re.compile(r"^\| (?P<num>\d\d) \| `(?P<name>[^`]+)` \| (?P<what>.*) \| (?P<time>[^|]*) \|$", re.M)
TOTAL = re.compile(r"(Then 00 → 04 in order, with the times above:\s+about\s+)(\d+)(\s+minutes)")


def agenda_time(r: Estimate) -> str:
    minutes = f"{rounded(r.minutes)} min"
    return minutes + " (presenter-led)" if r.number == "00" else minutes


def readme_problems(text: str, results: list[Estimate]) -> list[str]:
    by_number = {r.number: r for r in results}
    problems = []
    seen = set()
    for m in ROW.finditer(text):
        if m.group("num") in WORKSHOP_PATH and m.group("num") in by_number:
            seen.add(m.group("num"))
            want = agenda_time(by_number[m.group("num")])
            if m.group("time").strip() != want:
                problems.append(f"README: {m.group('num')} says {m.group('time').strip()!r}, the estimate is {want!r}")
    problems += [f"README: no agenda row for {n}" for n in WORKSHOP_PATH if n not in seen]
    total = TOTAL.search(text)
    if not total:
        problems.append("README: no 'Then 00 → 04 in order, with the times above: about N minutes' sentence")
    elif int(total.group(2)) != rounded(workshop_total(results)):
        problems.append(f"README: says about {total.group(2)} minutes, the estimate is {rounded(workshop_total(results))}")
    return problems


def write_readme(text: str, results: list[Estimate]) -> str:
    by_number = {r.number: r for r in results}

    def row(m: re.Match) -> str:
        if m.group("num") not in WORKSHOP_PATH or m.group("num") not in by_number:
            return m.group(0)
        return f"| {m.group('num')} | `{m.group('name')}` | {m.group('what')} | {agenda_time(by_number[m.group('num')])} |"

    text = ROW.sub(row, text)
    return TOTAL.sub(lambda m: f"{m.group(1)}{rounded(workshop_total(results))}{m.group(3)}", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="include the self-study notebooks 05 and later")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check-readme", action="store_true", help="fail if README's agenda disagrees")
    mode.add_argument("--write-readme", action="store_true", help="rewrite README's agenda times")
    args = parser.parse_args(argv)
    results = estimates(None if args.all or args.check_readme or args.write_readme else list(WORKSHOP_PATH))
    text = README.read_text(encoding="utf-8")
    if args.write_readme:
        README.write_text(write_readme(text, results), encoding="utf-8")
        print("README agenda written from the estimate")
        return 0
    if args.check_readme:
        problems = readme_problems(text, results)
        print("\n".join(problems) or "README agrees with the estimate")
        return 1 if problems else 0
    print(report(results))
    return 0 if workshop_total(results) <= BUDGET_MINUTES else 1


if __name__ == "__main__":
    sys.exit(main())
