#!/usr/bin/env python3
"""How long the workshop path takes a newcomer in a classroom, estimated from the notebooks themselves.

    python scripts/estimate_time.py           # per notebook, then the total of the workshop path (00 -> 04)
    python scripts/estimate_time.py --all     # also the self-study notebooks (05 and later)
    python scripts/estimate_time.py --check   # fail if README's agenda, the notebooks' headers or the presenter's
                                              # minute-by-minute disagree with the estimate, or a notebook of the
                                              # path has something off the path before 'After the workshop'
    python scripts/estimate_time.py --write   # rewrite those from the estimate (then run scripts/make_notebooks.py)

The classroom model (issue 19). Each constant is cited; none was tuned to agree with the agenda.

* **Prose**, at ``WORDS_PER_MINUTE`` = 200: the words of the markdown cells a learner meets on the path (link targets,
  image syntax and fenced code left out), plus rendered Markdown among the outputs there (the agent's report in 04).
  Brysbaert (2019), "How many words do we read per minute? A review and meta-analysis of reading rate", Journal of
  Memory and Language 109, 104047, https://doi.org/10.1016/j.jml.2019.104047: adults read English non-fiction
  silently at 238 words a minute on average (most between 175 and 300), more slowly in a second language. 200 is
  below that mean: technical prose, read by a room that includes second-language readers (the workshop was given
  in Tokyo).
* **Code**, at ``CODE_LINES_PER_MINUTE`` = 30: every non-blank line of the code cells on the path (comments
  included, the lines a TODO cell generates for its exercise left out: the exercise's own minutes cover them), and
  the fenced code in its markdown. These cells are read to be run, not inspected, so about at the prose rate: the
  path's code has about 7 words a line (the script prints the measured figure and the rate it implies, ~28 lines
  a minute at 200 words), and 30 is the issue's rate. Careful reading is much slower: an inspector prepares about
  500 lines of application code an hour (~8 a minute; Humphrey 1989, as reported by McConnell, Code Complete, 2nd
  ed., 2004, ch. 21), and eye tracking shows code is read less linearly than prose (Busjahn et al., "Eye Movements
  in Code Reading: Relaxing the Linear Order", ICPC 2015, https://doi.org/10.1109/ICPC.2015.36); the path asks
  for no inspection.
* **Writing**: each required TODO (one on the path) takes ``max(TODO_FLOOR_MINUTES, 1 + lines / 2)`` minutes, where
  ``lines`` are the code lines of its ``### BEGIN SOLUTION`` block in ``solutions/`` (comments and blank lines not
  counted). The floor, 4 minutes, is the top of the 2-5 minutes that workshop guides give an in-class exercise
  done right after its material (Northwestern University Research Computing, "Writing Exercises",
  https://christina-maimone.gitbook.io/teaching/components/writing-exercises: "Exercises should take 2-5 minutes
  to complete"), at its top because every API here is new to the room. The slope, half a minute a line, is the
  issue's (a line of an API one has never used: look up the name, type it, fix it).
* **Running**: ``RUN_MINUTES`` = 1 per notebook, to run its cells and look at what they print (the issue's).
* **Japanese prose** (the Japanese edition, ``--lang ja``), at ``JA_CHARS_PER_MINUTE`` = 390 characters (kana and
  kanji; the English words, code names and numbers among them at the English rate). Trauzettel-Klosinski & Dietz,
  "Standardized Assessment of Reading Performance: The New International Reading Speed Texts IReST", IOVS 53(9):
  5452-5461 (2012), https://doi.org/10.1167/iovs.11-8284, timed 36 native Japanese readers on texts matched across 17
  languages: 357 ± 56 characters a minute (its per-language table, as Mozilla's reader view transcribes it with the
  citation; docs/design.md, "The Japanese edition"). IReST times reading *aloud*; silent reading is faster. Brysbaert (2019)
  gives English 183 words a minute aloud and 238 silently; the English model's 200 sits between them, 200/183 = 1.09
  times the aloud rate. The same step from IReST's aloud figure gives 357 x 200/183 = 390 (it assumes Japanese gains
  from reading silently what English does: no source measures Japanese silent reading on IReST's texts). The
  code, TODO and running constants are the English path's, unchanged: the code is the same code. A notebook not yet
  translated is *projected*: its English prose as the translated notebooks' measured characters (and English
  words) per English word.

The workshop path of a notebook runs from its top to its heading *After the workshop* (walkthrough 3: newcomers
read what sits in the middle of the path, marked skipped or not). That heading, and every cell after it, is skipped:
the optional exercises with their checks and every *Going deeper*. Everything before it is counted, whatever its
heading says; ``--check`` fails when a notebook of the path has an optional exercise or a *Going deeper* before it,
or does not end its path with its **Next** line. A self-study notebook has no such heading: all of it is counted.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from helpers.exercises import BEGIN, END, scaffold_starts  # noqa: E402  (the markers' grammar, one module)

NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = ROOT / "solutions"
README = ROOT / "README.md"
PRESENTER = ROOT / "docs" / "presenter.md"

WORDS_PER_MINUTE = 200        # prose (Brysbaert 2019: 238 on average for non-fiction)
CODE_LINES_PER_MINUTE = 30    # code read to be run, about the prose rate (the path's ~7 words a line: ~28)
TODO_FLOOR_MINUTES = 4.0      # an in-class exercise: 2-5 minutes (workshop guides), the top for a new API
TODO_MINUTES_PER_LINE = 0.5   # plus half a minute a line beyond the first two
RUN_MINUTES = 1.0             # per notebook: run its cells, look at what they print
#: Japanese prose, characters a minute: IReST's 357 aloud (Trauzettel-Klosinski & Dietz 2012) x 200/183, the step from
#: reading aloud to the English model's rate (Brysbaert 2019: 183 words a minute aloud).
JA_CHARS_PER_MINUTE = 390
IREST_JA_ALOUD = 357          # characters a minute, read aloud (IReST, Japanese, n = 36)
ENGLISH_ALOUD = 183           # words a minute, read aloud (Brysbaert 2019)
WORKSHOP_PATH = ("00", "01", "02", "03", "04")
BUDGET_MINUTES = 40           # of the 45: the rest is the opening minute and the presenter's 3-minute closing demo
MAX_REQUIRED_TODOS = 5        # the seed's four hands-on steps (issue 19)
ROOM_MINUTES = 45
OPENING_MINUTES = 1
DEMO_MINUTES = 3

#: The heading that ends the workshop path of a notebook: it and everything after it are for later (the second is its
#: Japanese, the glossary's: locale/ja/glossary.csv).
PATH_END = ("after the workshop", "ワークショップのあとで")
#: What the room skips, so what may only come after PATH_END in a notebook of the path; the Japanese ones are the
#: glossary's for "(optional in the workshop)" and "Going deeper".
OFF_PATH_MARKERS = ("(optional in the workshop)", "going deeper", "（ワークショップでは任意）", "さらに深く")
#: How a notebook's path ends: its last markdown cell before PATH_END holds the line that names the next notebook.
NEXT_LINE = re.compile(r"^\*\*(Next\b|次)", re.M)
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*")
#: A character of Japanese prose, as IReST counts them: hiragana, katakana (and its long-vowel mark), kanji.
JA_CHAR = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
FENCE = re.compile(r"^\s*(```|~~~)")
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
URL = re.compile(r"https?://\S+")
TAG = re.compile(r"<[^>]+>")
#: Lines scripts/make_notebooks.py writes into a TODO cell: the exercise's minutes cover them.
SCAFFOLD = re.compile(r"^\s*(" + "|".join(re.escape(start) for start in scaffold_starts())
                      + r"|raise NotImplementedError\(\"TODO |[A-Za-z_]\w* = check\.TODO\s*$)")


def todo_minutes(lines: int) -> float:
    """Minutes a newcomer needs for a required TODO whose solution has `lines` code lines."""
    return max(TODO_FLOOR_MINUTES, 1 + TODO_MINUTES_PER_LINE * lines)


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
    words: int = 0             # prose on the workshop path (English words; in Japanese prose, the words among it)
    code_lines: int = 0        # code on the workshop path
    code_words: int = 0        # the words of that code (for the measured words a line)
    skipped_words: int = 0     # prose in parts the workshop skips
    todos: list[Todo] = field(default_factory=list)
    chars: int = 0             # Japanese prose on the workshop path: kana and kanji
    skipped_chars: int = 0
    projected: bool = False    # a notebook not translated yet: its prose projected from the English (--lang ja)

    @property
    def reading(self) -> float:
        return self.words / WORDS_PER_MINUTE + self.chars / JA_CHARS_PER_MINUTE

    @property
    def code_reading(self) -> float:
        return self.code_lines / CODE_LINES_PER_MINUTE

    @property
    def required(self) -> list[Todo]:
        return [t for t in self.todos if not t.skipped]

    @property
    def writing(self) -> float:
        return sum(t.minutes for t in self.required)

    @property
    def minutes(self) -> float:
        return self.reading + self.code_reading + self.writing + RUN_MINUTES

    @property
    def number(self) -> str:
        return self.name[:2]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _heading(cell: dict) -> tuple[int, str] | None:
    """(level, text) of the heading a markdown cell starts with, if it does."""
    if cell["cell_type"] != "markdown":
        return None
    m = HEADING.match(_source(cell).lstrip("\n").split("\n", 1)[0])
    return (len(m.group(1)), m.group(2)) if m else None


def ends_path(cell: dict) -> bool:
    """Whether ``cell`` is the heading *After the workshop*, where a notebook's workshop path ends."""
    heading = _heading(cell)
    return heading is not None and any(marker in heading[1].lower() for marker in PATH_END)


def skipped_cells(cells: list[dict]) -> list[bool]:
    """For each cell: is it after the end of the workshop path (the heading *After the workshop*, included)?"""
    out: list[bool] = []
    for cell in cells:
        out.append(bool(out and out[-1]) or ends_path(cell))
    return out


def structure_problems(name: str, cells: list[dict]) -> list[str]:
    """A notebook of the path puts everything the room skips after its heading *After the workshop*, and ends its
    path with its **Next** line, so that an attendee stops reading there."""
    skipped = skipped_cells(cells)
    problems = []
    for cell, skip in zip(cells, skipped, strict=True):
        heading = _heading(cell)
        if heading and not skip and any(marker in heading[1].lower() for marker in OFF_PATH_MARKERS):
            problems.append(f"{name}: {heading[1]!r} is on the workshop path: move it under 'After the workshop'")
    path_markdown = [_source(c) for c, skip in zip(cells, skipped, strict=True)
                     if c["cell_type"] == "markdown" and not skip]
    if not path_markdown or not NEXT_LINE.search(path_markdown[-1]):
        problems.append(f"{name}: the workshop path does not end with its '**Next: ...**' line (the last markdown "
                        "cell before 'After the workshop')")
    return problems


def prose_counts(markdown: str) -> tuple[int, int, int]:
    """(words of prose, Japanese characters of prose, lines of fenced code) in one markdown cell."""
    words, code, fenced = [], 0, False
    for line in markdown.split("\n"):
        if FENCE.match(line):
            fenced = not fenced
        elif fenced:
            code += bool(line.strip())
        else:
            words.append(URL.sub(" ", LINK.sub(r"\1", IMAGE.sub(" ", TAG.sub(" ", line)))))
    prose = "\n".join(words)
    return len(WORD.findall(JA_CHAR.sub(" ", prose))), len(JA_CHAR.findall(prose)), code


def prose_and_code(markdown: str) -> tuple[int, int]:
    """(words of prose, lines of fenced code) in one markdown cell."""
    words, _chars, code = prose_counts(markdown)
    return words, code


def code_lines(source: str) -> list[str]:
    """The lines of a learner's code cell that are read: non-blank, not written by the TODO generator."""
    return [line for line in source.split("\n") if line.strip() and not SCAFFOLD.match(line)]


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


def markdown_output_words(cell: dict) -> int:
    """Words of rendered Markdown among a cell's outputs (the agent's report): read like prose."""
    total = 0
    for output in cell.get("outputs", []):
        text = (output.get("data") or {}).get("text/markdown")
        if text:
            total += prose_and_code("".join(text) if isinstance(text, list) else text)[0]
    return total


def estimate(name: str, notebooks: Path = NOTEBOOKS, solutions: Path = SOLUTIONS) -> Estimate:
    return estimate_of(name, _load(notebooks / name), _load(solutions / name))


def estimate_of(name: str, learner: dict, solution: dict) -> Estimate:
    """The estimate of one notebook from its learner and solution notebooks (as dicts), in whatever language."""
    result = Estimate(name)
    for cell, skipped in zip(learner["cells"], skipped_cells(learner["cells"]), strict=True):
        if cell["cell_type"] == "markdown":
            words, chars, code = prose_counts(_source(cell))
            if skipped:
                result.skipped_words += words
                result.skipped_chars += chars
            else:
                result.words += words
                result.chars += chars
                result.code_lines += code
        elif cell["cell_type"] == "code" and not skipped:
            lines = code_lines(_source(cell))
            result.code_lines += len(lines)
            result.code_words += len(WORD.findall("\n".join(lines)))
    for cell, skipped in zip(solution["cells"], skipped_cells(solution["cells"]), strict=True):
        if cell["cell_type"] == "code":
            for number, lines in solution_lines(_source(cell)).items():
                result.todos.append(Todo(number, lines, skipped))
            if not skipped:
                result.words += markdown_output_words(cell)
    return result


def estimates(names: list[str] | None = None, lang: str = "en") -> list[Estimate]:
    """Every notebook's estimate (or those whose numbers are ``names``); ``lang`` "ja": the Japanese edition's, a
    notebook it does not have yet projected from its English (``project``)."""
    paths = [p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if names is None or p.name[:2] in names]
    english = [estimate(p.name) for p in paths]
    if lang == "en":
        return english
    edition = {p.name: estimate(p.name, NOTEBOOKS / lang, SOLUTIONS / lang)
               for p in sorted((NOTEBOOKS / lang).glob("[0-9][0-9]_*.ipynb")) if (SOLUTIONS / lang / p.name).exists()}
    ratios = translation_ratios([e for e in estimates() if e.name in edition], list(edition.values()))
    return [edition.get(e.name) or project(e, *ratios) for e in english]


def translation_ratios(english: list[Estimate], translated: list[Estimate]) -> tuple[float, float]:
    """(Japanese characters, English words kept) per English word of prose, measured on the translated notebooks
    (the workshop path and the skipped parts alike)."""
    en_words = sum(e.words + e.skipped_words for e in english)
    if not en_words:
        raise SystemExit("no notebook is translated yet: nothing to project the others from")
    chars = sum(t.chars + t.skipped_chars for t in translated)
    kept = sum(t.words + t.skipped_words for t in translated)
    return chars / en_words, kept / en_words


def project(english: Estimate, chars_per_word: float, words_kept: float) -> Estimate:
    """A notebook not translated yet: its English estimate, its prose as the translated ones' ratios make it."""
    return Estimate(english.name, words=round(english.words * words_kept), code_lines=english.code_lines,
                    code_words=english.code_words, skipped_words=round(english.skipped_words * words_kept),
                    todos=english.todos, chars=round(english.words * chars_per_word),
                    skipped_chars=round(english.skipped_words * chars_per_word), projected=True)


def on_path(results: list[Estimate]) -> list[Estimate]:
    return [r for r in results if r.number in WORKSHOP_PATH]


def workshop_total(results: list[Estimate]) -> float:
    return sum(r.minutes for r in on_path(results))


def agenda_total(results: list[Estimate]) -> int:
    """The agenda's total: the sum of the whole minutes it shows per notebook, so its table adds up to what it says
    (walkthrough 7: a table of 3+3+11+12+9 under "about 37")."""
    return sum(rounded(r.minutes) for r in on_path(results))


def required_todos(results: list[Estimate]) -> list[str]:
    return [t.number for r in on_path(results) for t in r.required]


def rounded(minutes: float) -> int:
    """Whole minutes for the agenda (half a minute rounds up)."""
    return int(minutes + 0.5)


def report(results: list[Estimate]) -> str:
    japanese = any(r.chars for r in results)
    rows = [f"{'notebook':<26} {'words':>5} " + (f"{'chars':>6} " if japanese else "")
            + f"{'read':>5} {'code':>5} {'read':>5}  {'required TODOs (lines -> min)':<32}{'write':>5} {'run':>4} "
            f"{'total':>6}"]
    for r in results:
        todos = ", ".join(f"{t.number}: {t.lines}->{t.minutes:g}" for t in r.required)
        name = r.name.removesuffix(".ipynb") + (" *" if r.projected else "")
        rows.append(f"{name:<26} {r.words:>5} " + (f"{r.chars:>6} " if japanese else "")
                    + f"{r.reading:>5.1f} {r.code_lines:>5} {r.code_reading:>5.1f}  {todos or '-':<32}{r.writing:>5.1f} "
                    f"{RUN_MINUTES:>4.1f} {r.minutes:>6.1f}")
        optional = [t.number for t in r.todos if t.skipped]
        if r.skipped_words or optional:
            rows.append(f"{'':<26} (skipped on the path: {r.skipped_words} words"
                        + (f"; optional TODOs {', '.join(optional)}" if optional else "") + ")")
    path = on_path(results)
    total = workshop_total(results)
    lines = sum(r.code_lines for r in path)
    per_line = sum(r.code_words for r in path) / lines if lines else 0.0
    if japanese:
        rows.append(f"\nJapanese prose at {JA_CHARS_PER_MINUTE} characters a minute (IReST's {IREST_JA_ALOUD} aloud x "
                    f"{WORDS_PER_MINUTE}/{ENGLISH_ALOUD}) and its English words at {WORDS_PER_MINUTE} a minute"
                    + ("; * projected: not translated yet, its English prose at the translated notebooks' ratio"
                       if any(r.projected for r in results) else ""))
    rows.append(f"\nworkshop path {' -> '.join(WORKSHOP_PATH)}: {total:.1f} minutes (budget {BUDGET_MINUTES}); "
                f"{len(required_todos(results))} required TODOs (at most {MAX_REQUIRED_TODOS}); code on the path: "
                f"{lines} lines, {per_line:.1f} words a line ({WORDS_PER_MINUTE / per_line if per_line else 0:.0f} "
                f"lines a minute at the prose rate)")
    return "\n".join(rows)


# --------------------------------------------------------------------------- the agenda, headers, presenter's kit
ROW = re.compile(r"^\| (?P<num>\d\d) \| `(?P<name>[^`]+)` \| (?P<what>.*) \| (?P<time>[^|]*) \|$", re.M)
TOTAL = re.compile(r"(Then 00 → 04 in order, with the times above:\s+about\s+)(\d+)(\s+minutes)")
HEADER_MINUTES = re.compile(r"(about )(\d+)( minutes)")
SERIES = re.compile(r"notebook \d\d(?: of|,? after) \d\d–\d\d")
SLOT = re.compile(r"^\| (?P<start>\d+)–(?P<end>\d+) \| \*\*(?P<num>\d\d) · (?P<rest>.*)$", re.M)
BUFFER = re.compile(r"^\| (?P<start>\d+)–(?P<end>\d+) \| (?P<rest>Questions.*)$", re.M)
DEMO = re.compile(r"^\| (?P<start>\d+)–(?P<end>\d+) \| (?P<rest>\*\*The closing demo.*)$", re.M)
WORK = re.compile(r"(about )(\d+)( minutes of work)")


def agenda_time(r: Estimate) -> str:
    minutes = f"{rounded(r.minutes)} min"
    return minutes + " (presenter-led)" if r.number in ("00", "01") else minutes


def slots(results: list[Estimate]) -> dict[str, tuple[int, int]]:
    """The presenter's minute-by-minute: each notebook of the path from its rounded estimate, after the opening."""
    out, start = {}, OPENING_MINUTES
    for r in on_path(results):
        out[r.number] = (start, start + rounded(r.minutes))
        start += rounded(r.minutes)
    return out


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
    elif int(total.group(2)) != agenda_total(results):
        problems.append(f"README: says about {total.group(2)} minutes, the estimate is {agenda_total(results)}")
    return problems


def presenter_problems(text: str, results: list[Estimate]) -> list[str]:
    want = slots(results)
    problems, seen = [], set()
    for m in SLOT.finditer(text):
        num = m.group("num")
        if num in want:
            seen.add(num)
            got = (int(m.group("start")), int(m.group("end")))
            if got != want[num]:
                problems.append(f"docs/presenter.md: {num} runs {got[0]}–{got[1]}, the estimate is "
                                f"{want[num][0]}–{want[num][1]}")
    problems += [f"docs/presenter.md: no minute-by-minute row for {n}" for n in WORKSHOP_PATH if n not in seen]
    end = max(e for _, e in want.values()) if want else OPENING_MINUTES
    demo, buffer = DEMO.search(text), BUFFER.search(text)
    if not demo or (int(demo.group("start")), int(demo.group("end"))) != (ROOM_MINUTES - DEMO_MINUTES, ROOM_MINUTES):
        problems.append(f"docs/presenter.md: the closing demo row should run {ROOM_MINUTES - DEMO_MINUTES}–{ROOM_MINUTES}")
    if not buffer or (int(buffer.group("start")), int(buffer.group("end"))) != (end, ROOM_MINUTES - DEMO_MINUTES):
        problems.append(f"docs/presenter.md: the questions row should run {end}–{ROOM_MINUTES - DEMO_MINUTES}")
    work = WORK.search(text)
    if not work or int(work.group(2)) != agenda_total(results):
        problems.append(f"docs/presenter.md: should say 'about {agenda_total(results)} minutes of work'")
    return problems


def header(notebook: dict) -> str:
    """The paragraph under a notebook's title: '**Ship Your First Managed Agent** · notebook NN ...'."""
    first = _source(notebook["cells"][0])
    parts = first.split("\n\n", 2)
    return parts[1] if len(parts) > 1 else ""


def series_label(number: str, results: list[Estimate]) -> str:
    """'notebook 03 of 00–07': where a notebook sits in the whole series."""
    return f"notebook {number} of {min(r.number for r in results)}–{max(r.number for r in results)}"


#: A Japanese header's minutes and place in the series (the catalogs' translation of the English header).
HEADER_MINUTES_JA = re.compile(r"(約 )(\d+)( 分)")


def series_label_ja(number: str, results: list[Estimate]) -> str:
    """'ノートブック 03（全 00〜08）': the Japanese header's place in the series."""
    return f"ノートブック {number}（全 {min(r.number for r in results)}〜{max(r.number for r in results)}）"


def header_problems(results: list[Estimate], folder: Path = SOLUTIONS, lang: str = "en") -> list[str]:
    """Every header names its place in the series and its minutes by the estimate (self-study ones too); in
    ``lang`` "ja", every translated notebook's Japanese header (``solutions/ja/``) by the Japanese estimate."""
    problems = []
    minutes_re, label = (HEADER_MINUTES, series_label) if lang == "en" else (HEADER_MINUTES_JA, series_label_ja)
    for r in results:
        if r.projected:
            continue
        text = header(_load(folder / r.name))
        m = minutes_re.search(text)
        if not m or int(m.group(2)) != rounded(r.minutes):
            problems.append(f"{folder.name}/{r.name}: the header should say {rounded(r.minutes)} minutes: {text!r}")
        if label(r.number, results) not in text:
            problems.append(f"{folder.name}/{r.name}: the header should say '{label(r.number, results)}': {text!r}")
    return problems


def write_readme(text: str, results: list[Estimate]) -> str:
    by_number = {r.number: r for r in results}

    def row(m: re.Match) -> str:
        if m.group("num") not in WORKSHOP_PATH or m.group("num") not in by_number:
            return m.group(0)
        return f"| {m.group('num')} | `{m.group('name')}` | {m.group('what')} | {agenda_time(by_number[m.group('num')])} |"

    text = ROW.sub(row, text)
    return TOTAL.sub(lambda m: f"{m.group(1)}{agenda_total(results)}{m.group(3)}", text)


def write_presenter(text: str, results: list[Estimate]) -> str:
    want = slots(results)
    end = max(e for _, e in want.values())

    def slot(m: re.Match) -> str:
        if m.group("num") not in want:
            return m.group(0)
        start, stop = want[m.group("num")]
        return f"| {start}–{stop} | **{m.group('num')} · {m.group('rest')}"

    text = SLOT.sub(slot, text)
    text = BUFFER.sub(lambda m: f"| {end}–{ROOM_MINUTES - DEMO_MINUTES} | {m.group('rest')}", text)
    text = DEMO.sub(lambda m: f"| {ROOM_MINUTES - DEMO_MINUTES}–{ROOM_MINUTES} | {m.group('rest')}", text)
    return WORK.sub(lambda m: f"{m.group(1)}{agenda_total(results)}{m.group(3)}", text)


def write_headers(results: list[Estimate], folder: Path = SOLUTIONS) -> None:
    for r in results:
        path = folder / r.name
        notebook = _load(path)
        cell = notebook["cells"][0]
        source = _source(cell)
        title, rest = source.split("\n\n", 1)
        head, _, tail = rest.partition("\n\n")
        minutes = rounded(r.minutes)
        new_head = HEADER_MINUTES.sub(lambda m, n=minutes: f"{m.group(1)}{n}{m.group(3)}", head, count=1)
        new_head = SERIES.sub(series_label(r.number, results), new_head, count=1)
        if new_head != head:
            cell["source"] = f"{title}\n\n{new_head}" + (f"\n\n{tail}" if tail else "")
            path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def path_problems(results: list[Estimate], folder: Path = SOLUTIONS) -> list[str]:
    """Each notebook of the path ends its path with its Next line, everything off it after 'After the workshop'."""
    return [p for r in on_path(results) for p in structure_problems(f"{folder.name}/{r.name}",
                                                                     _load(folder / r.name)["cells"])]


def problems(results: list[Estimate]) -> list[str]:
    return (readme_problems(README.read_text(encoding="utf-8"), results)
            + presenter_problems(PRESENTER.read_text(encoding="utf-8"), results) + header_problems(results)
            + path_problems(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="include the self-study notebooks 05 and later")
    parser.add_argument("--lang", default="en", choices=("en", "ja"),
                        help="ja: the Japanese edition (notebooks/ja/; --check: its headers; --write: see "
                             "scripts/make_notebooks.py, which writes them)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="fail if README, headers or presenter's kit disagree, or "
                                                           "a path notebook has a skipped part on its path")
    mode.add_argument("--write", action="store_true", help="rewrite README's agenda, the headers and the presenter's "
                                                           "minute-by-minute from the estimate")
    args = parser.parse_args(argv)
    if args.lang != "en":
        return main_edition(args)
    results = estimates(None if args.all or args.check or args.write else list(WORKSHOP_PATH))
    if args.write:
        README.write_text(write_readme(README.read_text(encoding="utf-8"), results), encoding="utf-8")
        PRESENTER.write_text(write_presenter(PRESENTER.read_text(encoding="utf-8"), results), encoding="utf-8")
        write_headers(results)
        print("README agenda, docs/presenter.md and the solutions' headers written from the estimate; now run "
              "scripts/make_notebooks.py")
        return 0
    if args.check:
        found = problems(results)
        print("\n".join(found) or "README, docs/presenter.md and the headers agree with the estimate")
        return 1 if found else 0
    print(report(results))
    fits = workshop_total(results) <= BUDGET_MINUTES and len(required_todos(results)) <= MAX_REQUIRED_TODOS
    return 0 if fits else 1


def main_edition(args: argparse.Namespace) -> int:
    """--lang ja: the Japanese path's estimate; --check: the Japanese headers (the generator writes them, from this
    estimate: scripts/make_notebooks.py; README.ja.md and docs/presenter.ja.md: scripts/translations.py docs)."""
    if args.write:
        print("the Japanese headers and docs are generated: run scripts/make_notebooks.py, then "
              "scripts/translations.py docs")
        return 2
    results = estimates(None if args.all or args.check else list(WORKSHOP_PATH), lang=args.lang)
    if args.check:
        found = header_problems(results, SOLUTIONS / args.lang, args.lang)
        print("\n".join(found) or f"the {args.lang} headers agree with the estimate")
        return 1 if found else 0
    print(report(results))
    fits = workshop_total(results) <= BUDGET_MINUTES and len(required_todos(results)) <= MAX_REQUIRED_TODOS
    return 0 if fits else 1


if __name__ == "__main__":
    sys.exit(main())
