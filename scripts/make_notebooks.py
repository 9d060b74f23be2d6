#!/usr/bin/env python3
"""Make the learner notebooks from the solutions: ``solutions/`` is the single source.

    python scripts/make_notebooks.py             # write notebooks/NN_*.ipynb from solutions/NN_*.ipynb
    python scripts/make_notebooks.py --check     # fail if notebooks/ differs from what would be written
    python scripts/make_notebooks.py --execute   # re-run solutions offline (papermill), store outputs, write notebooks/
    python scripts/make_notebooks.py --execute 02_agent_and_environment.ipynb   # just one
    python scripts/make_notebooks.py --normalize # only normalise solutions/ (metadata, cell ids), no execution
    python scripts/make_notebooks.py --lang ja   # only the Japanese edition (solutions/ja/, notebooks/ja/)
    python scripts/make_notebooks.py --execute --lang ja 05_replay_and_lifecycle   # run a Japanese solution offline

Editions in other languages (``solutions/ja/``, ``notebooks/ja/``) are generated too, from the English solutions and
the catalogs of ``locale/ja/notebooks/`` (scripts/translations.py): the same cells and code, the prose, comments,
printed strings, titles, hints and near-answers translated, the header's minutes from the Japanese estimate
(scripts/estimate_time.py). A notebook with no catalog has no edition yet; one whose catalog lacks a unit, or has a
stale one (its English changed), is not written, and the problems name the cell. A Japanese solution keeps the
outputs of its own offline run (``--execute --lang ja``), carried over while its code cells do not change.

Conventions for a solution notebook (``solutions/NN_name.ipynb``):

* The first code cell is tagged ``parameters`` (papermill) and sets ``MODE``, ``MODEL``, ``SPEED``.
* A cell imports ``check`` (``from helpers import check``) before the first exercise.
* Exercise code is marked, at any indentation, inside one code cell::

      ### BEGIN SOLUTION 2.1 Create the environment
      ### HINT: client.beta.environments.create(name=..., config={"type": "cloud", ...})
      env = client.beta.environments.create(...)
      ### END SOLUTION

  In the learner notebook the block becomes (same indentation)::

      # TODO 2.1: Create the environment
      # Hint: client.beta.environments.create(name=..., config={"type": "cloud", ...})
      # Replace the lines below, down to and including the `raise`, with your code.
      env = check.TODO
      raise NotImplementedError("TODO 2.1 (Create the environment): write your code here, then run this cell")

  The ``check.TODO`` assignments are the names the solution block assigns (``x = ...``, ``def x``,
  ``class x``; not loop or ``with ... as`` variables), so a check run early says "env is still
  the TODO placeholder" instead of NameError. Override with a ``### SETS: a, b`` line in the block.
  When code precedes the block in its cell (``with ...stream(session.id) as stream:`` around it, say),
  that code could fail before the placeholders are set, so they move to the top of the cell, under a
  ``# TODO N.M placeholders`` comment, and the block keeps only its comments and the ``raise``.
  ``### HINT:`` lines stay in the solutions as they are (the solution shows the hint beside
  the answer); in learner notebooks they become ``# Hint:`` lines. A hint is a *nudge* (what to look
  for, which field, which event), never the solution's lines (tests/test_hints.py). ``### MORE:`` lines
  are the second level, the near-answer: left out of the learner notebook, which says instead
  ``# Still stuck? Run check.hint("N.M")`` (helpers/hints.py prints them). Numbers are unique per notebook.
* Keep one exercise per cell, followed by a check cell (``check.something(...)``).

Learner notebooks have no outputs, no execution counts, and normalised metadata, so their diffs
are small and stable. Solutions keep the outputs of an offline run (``--execute``), with machine
paths and keys scrubbed.
"""
from __future__ import annotations

import argparse
import ast
import copy
import difflib
import importlib
import json
import os
import re
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from helpers.exercises import (  # noqa: E402  (the markers' grammar and the TODO cell's lines, one module)
    BEGIN,
    END,
    HINT,
    HINT_LINE,
    MORE,
    OPTIONAL_NOTE,
    PLACEHOLDERS,
    REPLACE_ALL,
    REPLACE_OPTIONAL,
    REPLACE_RAISE,
    SETS,
    STILL_STUCK,
    TODO_MESSAGE,
    TODO_MESSAGE_UNTITLED,
)
from helpers.i18n import LANGUAGES, translations  # noqa: E402  (the scaffolding's language, one catalog)
from helpers.settings import API_KEY_PREFIX  # noqa: E402  (how a key starts: scrubbed from outputs)

IMPORT = re.compile(r"^(import|from)\s")
CHECK_IMPORT = re.compile(
    r"^\s*(from helpers import .*\bcheck\b|import helpers\.check as check|from helpers\.check import .*)", re.M)

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}
KEEP_CELL_METADATA = ("tags",)

#: Parameters papermill passes for an offline run.
OFFLINE_PARAMETERS = {"MODE": "replay", "SPEED": "instant"}

#: The environment of an offline run (--execute, the tests): replay at once, and one learner for every run, since names
#: and metadata carry the learner (WORKSHOP_LEARNER; its default, the user and machine, would differ from machine to
#: machine and put a name of the machine into the committed outputs).
OFFLINE_ENV = {"WORKSHOP_MODE": "replay", "WORKSHOP_REPLAY_SPEED": "instant", "WORKSHOP_LEARNER": "you-laptop"}

#: How --execute, the tests and benchmarks/bench_notebooks.py run a notebook with papermill (and its nbclient):
#: no output path (papermill would write the whole notebook before and after every cell, ~1-2 s a notebook; the
#: executed notebook is returned and written once), and the kernel stopped at once when the last cell is done.
#: A graceful stop (jupyter_client: SIGINT, then shutdown_request) now and then loses the race with the interrupt:
#: the kernel ignores the request and is only SIGTERMed after 2.5 s (about one stop in eight, measured 2026-12-02);
#: and a graceful exit pays the interpreter's teardown. Nothing of a run is kept in the kernel's atexit.
EXECUTE_OPTIONS = {"kernel_name": "python3", "progress_bar": False, "request_save_on_cell_execute": False,
                   "shutdown_kernel": "immediate"}


class NotebookError(Exception):
    pass


# --------------------------------------------------------------------------- solution -> learner


def todo_message(num: str, title: str, lang: str = "en") -> str:
    tr = translations(lang).gettext
    return (tr(TODO_MESSAGE) if title else tr(TODO_MESSAGE_UNTITLED)).format(num=num, title=title)


def assigned_names(code: str) -> list[str]:
    """Names a solution block binds with ``=``, ``def`` or ``class`` (not loop/with/except targets)."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        # A block that is only valid inside its surroundings (e.g. a bare `break`): wrap it.
        tree = ast.parse("while True:\n" + textwrap.indent(textwrap.dedent(code), "    "))
    names: list[str] = []

    def add_target(t: ast.AST) -> None:
        if isinstance(t, ast.Name):
            if t.id not in names and not t.id.startswith("_"):
                names.append(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for elt in t.elts:
                add_target(elt)
        elif isinstance(t, ast.Starred):
            add_target(t.value)

    def walk(stmts: list[ast.stmt]) -> None:
        for node in stmts:
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    add_target(t)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                add_target(node.target)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if node.name not in names:
                    names.append(node.name)
                continue  # do not look inside
            for child_field in ("body", "orelse", "finalbody"):
                walk(getattr(node, child_field, []) or [])
            for handler in getattr(node, "handlers", []) or []:
                walk(handler.body)

    walk(tree.body)
    return names




def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def convert_source(source: str, where: str = "", optional: bool = False, lang: str = "en") -> tuple[str, list[str]]:
    """Replace every marked solution block in one cell's source. Returns (source, exercise numbers).

    ``optional``: the cell is an exercise the workshop skips. A block at the top level of such a cell sets its
    placeholders and does not raise, so *Run All* goes on past it (its check says it is not done, without failing);
    nothing may follow it in its cell. A block inside a function still raises, when the function is called. ``lang``:
    the language of the lines it writes (the block's title and hints are the solution's own)."""
    tr, lines = translations(lang).gettext, source.split("\n")
    out: list[str] = []
    hoisted: list[str] = []  # placeholders that must run before any statement of the cell
    found: list[str] = []
    i = 0
    while i < len(lines):
        m = BEGIN.match(lines[i])
        if not m:
            if END.match(lines[i]) or HINT.match(lines[i]) or SETS.match(lines[i]) or MORE.match(lines[i]):
                raise NotebookError(f"{where}: line {i + 1}: {lines[i].strip()!r} outside a BEGIN SOLUTION block")
            out.append(lines[i])
            i += 1
            continue
        indent, num, title = m.group("indent"), m.group("num"), m.group("title")
        hints: list[str] = []
        more = False
        sets: list[str] | None = None
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not END.match(lines[j]):
            if BEGIN.match(lines[j]):
                raise NotebookError(f"{where}: solution {num} is not closed before the next BEGIN SOLUTION")
            h = HINT.match(lines[j])
            s = SETS.match(lines[j])
            if h:
                hints.append(h.group("text"))
            elif MORE.match(lines[j]):
                more = True  # the near-answer: not in the learner notebook, shown by check.hint(num) on request
            elif s:
                sets = [n.strip() for n in s.group("names").split(",") if n.strip()]
            else:
                body.append(lines[j])
            j += 1
        if j == len(lines):
            raise NotebookError(f"{where}: BEGIN SOLUTION {num} has no ### END SOLUTION")
        names = sets if sets is not None else assigned_names("\n".join(body))
        if optional and not indent:
            if any(_is_code(line) for line in lines[j + 1:]):
                raise NotebookError(f"{where}: optional exercise {num} runs as it is in the learner notebook, so no code "
                                    "may follow its block in its cell (it would use the placeholders): move it into the "
                                    "block, or into the check cell")
            out.append(f"# TODO {num}: {title} {tr(OPTIONAL_NOTE)}")
            out.extend(tr(HINT_LINE).format(hint=h).rstrip() for h in hints)
            if more:
                out.append(tr(STILL_STUCK).format(num=num))
            out.append(tr(REPLACE_OPTIONAL))
            out.extend(f"{n} = check.TODO" for n in names)
            found.append(num)
            i = j + 1
            continue
        hoist = bool(names) and any(_is_code(line) for line in out)
        if hoist:  # code before the block could fail first: set the placeholders at the top of the cell
            hoisted.append(tr(PLACEHOLDERS).format(num=num))
            hoisted.extend(f"{n} = check.TODO" for n in names)
        out.append(f"{indent}# TODO {num}: {title}".rstrip())
        out.extend(f"{indent}{tr(HINT_LINE).format(hint=h)}".rstrip() for h in hints)
        if more:
            out.append(indent + tr(STILL_STUCK).format(num=num))
        out.append(indent + tr(REPLACE_ALL if names and not hoist else REPLACE_RAISE))
        if not hoist:
            out.extend(f"{indent}{n} = check.TODO" for n in names)
        out.append(f"{indent}raise NotImplementedError({json.dumps(todo_message(num, title, lang), ensure_ascii=False)})")
        found.append(num)
        i = j + 1
    if hoisted:
        # After a cell magic (it must stay the first line) and the cell's leading imports (`check` may be one).
        top = k = 1 if out and out[0].startswith("%%") else 0
        while k < len(out) and (not _is_code(out[k]) or IMPORT.match(out[k])):
            top = k + 1 if IMPORT.match(out[k]) else top
            k += 1
        out[top:top] = hoisted
    return "\n".join(out), found


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


_ID = re.compile(r"\b(sevt|sesn|agent|env|file|req|sthr|outc)_(?!011CWorkshop\d{4}\b)[A-Za-z0-9]{12,}\b")


def _stable_ids(outputs_json: str, mapping: dict) -> str:
    """Replace run-dependent API ids with stable ones (``sesn_011CWorkshop0001``...), numbered per notebook in order of
    appearance, so re-executing a solution changes no line that did not really change."""
    def repl(m):
        if m.group(0) not in mapping:
            n = sum(1 for k in mapping if k.startswith(m.group(1) + "_")) + 1
            mapping[m.group(0)] = f"{m.group(1)}_011CWorkshop{n:04d}"
        return mapping[m.group(0)]

    return _ID.sub(repl, outputs_json)


def normalise(nb: dict, *, keep_outputs: bool) -> dict:
    """Stable metadata, cell ids, API ids in outputs, and (optionally) no outputs."""
    nb = copy.deepcopy(nb)
    ids: dict[str, str] = {}
    nb["metadata"] = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    nb["nbformat"], nb["nbformat_minor"] = 4, 5
    stem_cells = []
    count = 0
    for index, cell in enumerate(nb["cells"]):
        meta = {k: v for k, v in (cell.get("metadata") or {}).items() if k in KEEP_CELL_METADATA and v}
        new = {"cell_type": cell["cell_type"], "id": f"c{index:03d}", "metadata": meta, "source": _source(cell)}
        if cell["cell_type"] == "code":
            if keep_outputs:
                outputs = _merge_streams([_clean_output(o) for o in cell.get("outputs", [])])
                outputs = json.loads(_stable_ids(json.dumps(outputs), ids))
                if cell.get("execution_count") is not None:
                    count += 1
                new["execution_count"] = count if cell.get("execution_count") is not None else None
                for o in outputs:
                    if "execution_count" in o:
                        o["execution_count"] = new["execution_count"]
                new["outputs"] = outputs
            else:
                new["execution_count"] = None
                new["outputs"] = []
        elif cell.get("attachments") and cell["cell_type"] == "markdown":
            new["attachments"] = cell["attachments"]
        stem_cells.append(new)
    nb["cells"] = stem_cells
    return nb


def optional_cells(nb: dict, where: str = "") -> list[bool]:
    """For each cell of a notebook on the workshop path (``where`` starts with its number): is it in a part the
    workshop skips (scripts/estimate_time.py's rule: at or after the heading *After the workshop*)? Self-study
    notebooks have no optional exercises."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import estimate_time
    finally:
        sys.path.pop(0)
    if Path(where).name[:2] not in estimate_time.WORKSHOP_PATH:
        return [False] * len(nb["cells"])
    return estimate_time.skipped_cells(nb["cells"])


def make_learner(nb: dict, where: str = "", lang: str = "en") -> tuple[dict, list[str]]:
    learner = normalise(nb, keep_outputs=False)
    todos: list[str] = []
    optional = optional_cells(learner, where)
    for index, cell in enumerate(learner["cells"]):
        if cell["cell_type"] != "code":
            continue
        new_source, found = convert_source(cell["source"], f"{where} cell {index}", optional[index], lang)
        if found and "check.TODO" in new_source and not CHECK_IMPORT.search(
            "\n".join(_source(c) for c in learner["cells"][:index] if c["cell_type"] == "code")
        ):
            raise NotebookError(f"{where}: TODO {found[0]} needs `from helpers import check` in an earlier cell")
        cell["source"] = new_source
        todos.extend(found)
    dupes = sorted({t for t in todos if todos.count(t) > 1})
    if dupes:
        raise NotebookError(f"{where}: exercise numbers used twice: {', '.join(dupes)}")
    if not any("parameters" in c["metadata"].get("tags", []) for c in learner["cells"] if c["cell_type"] == "code"):
        raise NotebookError(f"{where}: no code cell tagged `parameters` (papermill needs one with MODE, MODEL, SPEED)")
    return learner, todos


def dumps(nb: dict) -> str:
    """Jupyter's own on-disk format (sources and outputs as lists of lines), so diffs show the lines that changed
    and saving a notebook in JupyterLab writes the same bytes."""
    import nbformat

    return nbformat.writes(nbformat.from_dict(nb)) + "\n"


def read(path: Path) -> dict:
    """A notebook as a plain dict, with sources and output texts joined into strings (as nbformat reads them)."""
    import nbformat

    return json.loads(json.dumps(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)))


def solution_paths(names: list[str] | None = None, folder: Path = SOLUTIONS) -> list[Path]:
    paths = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if names:
        wanted = {Path(n).name for n in names}
        paths = [p for p in paths if p.name in wanted or p.stem in wanted]
        if not paths:
            raise SystemExit(f"no solution notebook named {', '.join(sorted(wanted))} in {folder}")
    return paths


def generate(solutions: Path = SOLUTIONS, out: Path = NOTEBOOKS, names: list[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in solution_paths(names, solutions):
        learner, _ = make_learner(read(path), path.name)
        target = out / path.name
        text = dumps(learner)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def check(solutions: Path = SOLUTIONS, committed: Path = NOTEBOOKS) -> list[str]:
    """Differences between committed learner notebooks and a fresh generation (empty = in sync)."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(solutions, Path(tmp))
        fresh_names = {p.name for p in fresh}
        for p in fresh:
            target = committed / p.name
            if not target.exists():
                problems.append(f"notebooks/{p.name} is missing")
                continue
            want, have = p.read_text(encoding="utf-8"), target.read_text(encoding="utf-8")
            if want != have:
                diff = list(difflib.unified_diff(have.splitlines(), want.splitlines(), "committed", "generated",
                                                 lineterm="", n=1))
                problems.append(f"notebooks/{p.name} differs from its solution:\n" + "\n".join(diff[:20]))
        for p in committed.glob("[0-9][0-9]_*.ipynb"):
            if p.name not in fresh_names:
                problems.append(f"notebooks/{p.name} has no solutions/{p.name}")
    return problems


# --------------------------------------------------------------------------- editions in other languages
#: The languages with an edition (helpers/i18n.py's, but English, the source).
EDITIONS = LANGUAGES[1:]


def _sibling(name: str):
    """A sibling script as a module (scripts/translations.py: the catalogs; scripts/estimate_time.py: the minutes)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


def _carry_outputs(nb: dict, previous: dict | None) -> dict:
    """The outputs of ``previous`` (the edition's committed solution) on each code cell whose source is unchanged."""
    if previous is None:
        return nb
    old = {c.get("id"): c for c in previous["cells"] if c["cell_type"] == "code"}
    for index, cell in enumerate(nb["cells"]):
        before = old.get(f"c{index:03d}")
        if cell["cell_type"] == "code" and before is not None and _source(before) == _source(cell):
            cell["outputs"] = copy.deepcopy(before.get("outputs", []))
            cell["execution_count"] = before.get("execution_count")
    return nb


def make_edition(path: Path, lang: str, previous: dict | None = None) -> tuple[dict, dict]:
    """(solution, learner) of the English solution ``path`` in ``lang``; NotebookError naming every stale or missing
    translation. The header's minutes are the edition's own estimate."""
    english = read(path)

    def translated(minutes: int) -> dict:
        nb, found = _sibling("translations").translate_notebook(english, path.name, lang, minutes=minutes)
        if found:
            raise NotebookError(f"{lang}/{path.name}: not translated as it is now:\n  " + "\n  ".join(found))
        return _carry_outputs(normalise(nb, keep_outputs=True), previous)

    draft = translated(0)
    learner, _todos = make_learner(draft, f"{lang}/{path.name}", lang)
    estimate_time = _sibling("estimate_time")
    minutes = estimate_time.rounded(estimate_time.estimate_of(path.name, learner, draft).minutes)
    solution = translated(minutes)
    learner, _todos = make_learner(solution, f"{lang}/{path.name}", lang)
    return solution, learner


def edition_paths(lang: str, names: list[str] | None = None, solutions: Path = SOLUTIONS) -> list[Path]:
    """The English solutions that have a catalog in ``lang``."""
    have = set(_sibling("translations").edition_names(lang))
    return [p for p in solution_paths(names, solutions) if p.stem in have]


def generate_edition(lang: str, names: list[str] | None = None, solutions: Path = SOLUTIONS,
                     notebooks: Path = NOTEBOOKS) -> tuple[list[Path], list[str]]:
    """Write ``solutions/<lang>/`` and ``notebooks/<lang>/``: (files written, problems of those not written)."""
    written, problems = [], []
    for path in edition_paths(lang, names, solutions):
        target_solution, target_learner = solutions / lang / path.name, notebooks / lang / path.name
        previous = read(target_solution) if target_solution.exists() else None
        try:
            solution, learner = make_edition(path, lang, previous)
        except NotebookError as exc:
            problems.append(str(exc))
            continue
        for target, nb in ((target_solution, solution), (target_learner, learner)):
            target.parent.mkdir(parents=True, exist_ok=True)
            text = dumps(nb)
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
            written.append(target)
    return written, problems


def check_edition(lang: str, solutions: Path = SOLUTIONS, notebooks: Path = NOTEBOOKS) -> list[str]:
    """What differs between the committed edition in ``lang`` and a fresh generation, and every stale or missing
    translation (named by notebook and cell). Empty: in step."""
    problems = []
    expected = set()
    for path in edition_paths(lang, solutions=solutions):
        committed_solution, committed_learner = solutions / lang / path.name, notebooks / lang / path.name
        try:
            solution, learner = make_edition(path, lang, read(committed_solution) if committed_solution.exists() else None)
        except NotebookError as exc:
            problems.append(str(exc))
            continue
        for committed, nb, what in ((committed_solution, solution, "solution"), (committed_learner, learner, "learner")):
            expected.add(committed)
            if not committed.exists():
                problems.append(f"{_rel(committed)} is missing: run `python scripts/make_notebooks.py --lang {lang}`")
                continue
            want, have = dumps(nb), committed.read_text(encoding="utf-8")
            if want != have:
                diff = list(difflib.unified_diff(have.splitlines(), want.splitlines(), "committed", "generated",
                                                 lineterm="", n=1))
                fix = (f"--execute --lang {lang} {path.stem}" if what == "solution" and '"outputs"' in "".join(diff)
                       else f"--lang {lang}")
                problems.append(f"{_rel(committed)} differs from what its English and catalog make (run `python "
                                f"scripts/make_notebooks.py {fix}`):\n" + "\n".join(diff[:20]))
    for folder in (solutions / lang, notebooks / lang):
        for p in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
            if p not in expected and not any(f"{lang}/{p.name}" in msg for msg in problems):
                catalog = _sibling("translations").catalog_path(lang, p.name)
                problems.append(f"{_rel(p)} has no catalog {_rel(catalog)}")
    return problems


# --------------------------------------------------------------------------- executing solutions
_SCRUB = [
    (re.compile(re.escape(str(ROOT))), "."),
    (re.compile(re.escape(API_KEY_PREFIX) + r"[A-Za-z0-9_\-]{8,}"), API_KEY_PREFIX + "…"),
    (re.compile(r"(?<![\w.])/(?:root|home/[^/\s'\"]+|tmp|private/var|var/folders|Users/[^/\s'\"]+)(?:/[^\s'\"<>)]*)?"), "<path>"),
    (re.compile(r"(?<![\w.])/work/[^\s'\"<>)]*"), "<path>"),
    (re.compile(r" at 0x[0-9a-f]{6,}"), " at 0x…"),
]


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def scrub(text: str) -> str:
    for pattern, repl in _SCRUB:
        text = pattern.sub(repl, text)
    return text


def _merge_streams(outputs: list[dict]) -> list[dict]:
    """Join consecutive stdout (or stderr) chunks: how a kernel splits them depends on timing."""
    merged: list[dict] = []
    for o in outputs:
        if (o.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == o.get("name")):
            merged[-1]["text"] += o["text"]
        else:
            merged.append(o)
    return merged


def _clean_output(output: dict) -> dict:
    output = copy.deepcopy(output)
    output.pop("transient", None)
    if "metadata" in output and not output["metadata"]:
        output["metadata"] = {}
    if output.get("output_type") == "stream":
        output["text"] = scrub("".join(output["text"]) if isinstance(output["text"], list) else output["text"])
    if output.get("output_type") == "error":
        output["traceback"] = [scrub(t) for t in output.get("traceback", [])]
        output["evalue"] = scrub(output.get("evalue", ""))
    data = output.get("data")
    if isinstance(data, dict):
        for mime, value in list(data.items()):
            if mime.startswith("text/") or mime in ("application/json",):
                if isinstance(value, list):
                    value = "".join(value)
                if isinstance(value, str):
                    data[mime] = scrub(value)
    return output


def execute(names: list[str] | None = None, timeout: int = 600, folder: Path = SOLUTIONS) -> None:
    """Run solutions offline with papermill; store their outputs (scrubbed) back into solutions/."""
    import nbformat
    import papermill as pm

    env_backup = dict(os.environ)
    os.environ.update(OFFLINE_ENV)
    for key in ("ANTHROPIC_API_KEY", "WORKSHOP_MODEL", "WORKSHOP_DATA_DIR"):  # outputs assume the defaults
        os.environ.pop(key, None)
    try:
        for path in solution_paths(names, folder):
            print(f"executing {_rel(path)} ...", flush=True)
            started = time.monotonic()
            done = pm.execute_notebook(str(path), None, parameters=dict(OFFLINE_PARAMETERS), cwd=str(path.parent),
                                       execution_timeout=timeout, **EXECUTE_OPTIONS)
            executed = json.loads(nbformat.writes(done))
            # Drop the cell papermill injected; keep the original parameters cell and its defaults.
            executed["cells"] = [c for c in executed["cells"]
                                 if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
            original = read(path)
            if len(original["cells"]) != len(executed["cells"]):
                raise NotebookError(f"{path.name}: executed notebook has a different number of cells")
            for k, (orig, done) in enumerate(zip(original["cells"], executed["cells"], strict=True)):
                if orig["cell_type"] == "code":
                    orig["outputs"] = done.get("outputs", [])
                    orig["execution_count"] = done.get("execution_count")
                    for m, output in enumerate(orig["outputs"]):
                        view = output.get("data", {}).get(WIDGET_VIEW)
                        if isinstance(view, dict) and "model_id" in view:
                            # random per run, and meaningless once the kernel is gone: keep diffs quiet
                            view["model_id"] = uuid.uuid5(uuid.NAMESPACE_URL, f"{path.name}/{k}/{m}").hex
            path.write_text(dumps(normalise(original, keep_outputs=True)), encoding="utf-8")
            print(f"  stored its outputs ({time.monotonic() - started:.1f}s)", flush=True)
    finally:
        os.environ.clear()
        os.environ.update(env_backup)


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="solution notebooks (default: all)")
    parser.add_argument("--solutions", type=lambda p: Path(p).resolve(), default=SOLUTIONS, help=argparse.SUPPRESS)
    parser.add_argument("--notebooks", type=lambda p: Path(p).resolve(), default=NOTEBOOKS, help=argparse.SUPPRESS)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="fail if notebooks/ is out of date")
    mode.add_argument("--execute", action="store_true", help="re-run solutions offline and store outputs, then generate")
    mode.add_argument("--normalize", action="store_true", help="normalise solutions/ metadata and cell ids only")
    parser.add_argument("--lang", choices=("en", *EDITIONS), help="only this language (default: English, then every "
                                                                  "edition)")
    args = parser.parse_args(argv)
    langs = [args.lang] if args.lang else ["en", *EDITIONS]
    try:
        if args.check:
            return _check(args, langs)
        if "en" in langs:
            if args.normalize or args.execute:
                for path in solution_paths(args.names, args.solutions):
                    path.write_text(dumps(normalise(read(path), keep_outputs=True)), encoding="utf-8")
            if args.execute:
                execute(args.names, folder=args.solutions)
            for p in generate(args.solutions, args.notebooks, names=args.names):
                print(f"wrote {_rel(p)}")
        return _editions(args, [lang for lang in langs if lang != "en"])
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _check(args: argparse.Namespace, langs: list[str]) -> int:
    problems = check(args.solutions, args.notebooks) if "en" in langs else []
    for lang in langs:
        if lang != "en":
            problems += check_edition(lang, args.solutions, args.notebooks)
    if problems:
        print("\n".join(problems))
        print("\nThe generated notebooks are out of date: run `python scripts/make_notebooks.py` (a stale or missing "
              "translation: scripts/translations.py update, translate, then again).")
        return 1
    print(f"notebooks/ is in sync with solutions/ ({len(solution_paths(folder=args.solutions))} notebooks)"
          + "".join(f"; {lang}: {len(edition_paths(lang, solutions=args.solutions))} notebooks" for lang in langs
                    if lang != "en") + ".")
    return 0


def _editions(args: argparse.Namespace, langs: list[str]) -> int:
    """Write each edition (``--execute``: run its solutions offline first, then write it again with their outputs)."""
    failed = False
    for lang in langs:
        written, problems = generate_edition(lang, args.names, args.solutions, args.notebooks)
        if args.execute and written:
            names = [p.name for p in written if p.parent == args.solutions / lang]
            execute(names, folder=args.solutions / lang)
            written, problems = generate_edition(lang, args.names, args.solutions, args.notebooks)
        for p in written:
            print(f"wrote {_rel(p)}")
        for problem in problems:
            print(f"not written: {problem}", file=sys.stderr)
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
