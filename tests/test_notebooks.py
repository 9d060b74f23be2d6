"""The notebook series, executed offline.

For every solution notebook, the Japanese edition's included (solutions/ja/: its kernels speak Japanese), and the tiny
fixture under tests/fixtures/notebooks/ that proves this harness works even before the series exists:

* papermill runs the solution top to bottom (MODE=replay, SPEED=instant); a failure names the cell;
  in the same kernel, before each exercise, the learner's untouched TODO cell and its check cell run:
* nbval compares the solutions' fresh outputs with the committed ones (tests/nbval_sanitize.cfg
  masks ids, timestamps, durations, addresses);
* the learner notebook runs up to its first TODO and fails there, with that TODO's own message;
* every exercise's check fails (❌) on the untouched TODO and passes (✅) on the solution;
* every TODO cell on the workshop path, and its check, work when run again in the same kernel, and after a wrong
  attempt (issue 19): a loop that stops too early, a tool result the API refuses;
* notebooks/ is exactly what scripts/make_notebooks.py generates, with a parameters cell and no outputs.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.settings import API_KEY_PREFIX
from support.scripts import script

ROOT = Path(__file__).resolve().parent.parent
estimate_time = script("estimate_time")
mk = script("make_notebooks")

FIXTURE = ROOT / "tests" / "fixtures" / "notebooks"
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
PARAMETERS = dict(mk.OFFLINE_PARAMETERS)
CELL_TIMEOUT = 120

pytestmark = pytest.mark.notebooks


def _pairs() -> list:
    """(solution, learner) pairs: the fixture first, then the series."""
    out = []
    for folder_solutions, folder_notebooks, label in (
        (FIXTURE / "solutions", FIXTURE / "notebooks", "fixture"),
        (mk.SOLUTIONS, mk.NOTEBOOKS, "series"),
        *((mk.SOLUTIONS / lang, mk.NOTEBOOKS / lang, lang) for lang in mk.EDITIONS),  # the Japanese edition
    ):
        for sol in mk.solution_paths(folder=folder_solutions):
            out.append(pytest.param(sol, folder_notebooks / sol.name, id=f"{label}/{sol.stem}"))
    return out


PAIRS = _pairs()


def _source(cell) -> str:
    return mk._source(cell)


OFFLINE_ENV = dict(mk.OFFLINE_ENV)  # replay at once, and the learner of the committed outputs
UNSET_ENV = ("ANTHROPIC_API_KEY", "WORKSHOP_MODEL", "WORKSHOP_DATA_DIR")  # the committed outputs assume the defaults


def _offline_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in UNSET_ENV}
    env.update(OFFLINE_ENV)
    return env


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Kernels inherit this environment: offline, instant replay, default model and data."""
    for key in UNSET_ENV:
        monkeypatch.delenv(key, raising=False)
    for key, value in OFFLINE_ENV.items():
        monkeypatch.setenv(key, value)


def _describe_failure(exc) -> str:
    """Papermill's error as: which cell, its first lines, the exception."""
    index = getattr(exc, "cell_index", None)
    head = "\n".join((getattr(exc, "source", "") or "").splitlines()[:8])
    return (f"cell {index} (counting papermill's injected parameters cell) failed with {exc.ename}: {exc.evalue}\n"
            f"--- cell source ---\n{head}")


def _papermill(path: Path, **engine_kwargs):
    """Execute ``path``; the executed notebook is returned, not saved. With an output path papermill writes the
    whole notebook (validated) before and after every cell, markdown included, whatever request_save_on_cell_execute
    says: 5-20 ms each, ~1-2 s per notebook."""
    import papermill as pm

    return pm.execute_notebook(str(path), None, parameters=dict(PARAMETERS), cwd=str(path.parent),
                               execution_timeout=CELL_TIMEOUT, **{**mk.EXECUTE_OPTIONS, **engine_kwargs})


# --------------------------------------------------------------------------- nbval, in the background
@pytest.fixture(scope="module", autouse=True)
def nbval_process(request):
    """Start nbval on every solution at once, in a subprocess (so the plain `pytest` run does not collect
    notebooks twice), while the other tests run; test_solutions_match_committed_outputs (last) waits for it."""
    if not any(item.name == "test_solutions_match_committed_outputs" for item in request.session.items):
        yield None  # not selected (e.g. -k): do not pay for it
        return
    paths = [str(p.values[0].relative_to(ROOT)) for p in PAIRS]
    cmd = [
        sys.executable, "-m", "pytest", "--nbval", *paths, "--nbval-sanitize-with", str(SANITIZE.relative_to(ROOT)),
        "-p", "no:cacheprovider", "-q", "--no-header", "-o", "addopts=", "--nbval-cell-timeout", str(CELL_TIMEOUT),
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_offline_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


# --------------------------------------------------------------------------- solutions and learner notebooks
_TODO_HEADER = re.compile(r"^[ \t]*# TODO \d+(?:\.\d+)*: ", re.M)


def _todo_cells(learner_nb, where: str = "") -> list[tuple[int, str | None]]:
    """(cell index, expected NotImplementedError message) for every TODO, in order; the message is None for an
    exercise that is optional in the workshop: its untouched cell runs without an error (make_notebooks.OPTIONAL_NOTE)."""
    out = []
    optional = mk.optional_cells(learner_nb, where)
    for index, cell in enumerate(learner_nb["cells"]):
        if cell["cell_type"] != "code" or not _TODO_HEADER.search(_source(cell)):
            continue
        if optional[index]:
            out.append((index, None))
            continue
        for line in _source(cell).splitlines():
            if "raise NotImplementedError(" in line and "TODO " in line:
                out.append((index, json.loads(line.split("NotImplementedError(", 1)[1].rsplit(")", 1)[0])))
                break
    return out


def _check_cell_after(cells, index: int) -> int | None:
    for j in range(index + 1, len(cells)):
        cell = cells[j]
        if cell["cell_type"] == "code":
            return j if "check." in _source(cell) and "### BEGIN SOLUTION" not in _source(cell) else None
    return None


#: Wrong attempts tried before the solution of a TODO on the workshop path: (the code in place of the solution
#: block, what its check must say). Every path TODO also runs a second time after its check (expected: ✅ again).
WRONG_ATTEMPTS = {
    "2.2": ("""\
agent = client.beta.agents.create(name=AGENT_NAME, model=MODEL, system=SYSTEM_PROMPT,   # a list inside the list: 400
                                  tools=[toolset, incident.CUSTOM_TOOLS], metadata=WORKSHOP_METADATA)""",
            "unpack the custom tools with `*`"),
    "3.1": ("""\
log = {"type": "file", "file_id": log_file.id, "mount_path": resources.LOG_MOUNT_PATH}
session = client.beta.sessions.create(agent=agent.id, environment_id=env.id, resources=[log])   # no **tags""",
            "does not say it is yours"),
    "3.2": ("""\
if event.type == "session.status_running":   # stops too early: the agent has not paused
    break""", "before any session.status_idle"),
    "4.1": ("""\
result = handle_tool(event.name, event.input)
reply = {"type": "user.custom_tool_result", "tool_use_id": event.id,   # the key of a tool confirmation: refused (400)
         "content": [{"type": "text", "text": result}]}""", "TODO 4.1 is not done yet: the API refused your `reply` (400"),
}
PATH_NOTEBOOKS = ("00", "01", "02", "03", "04")
_BLOCK = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION (?P<num>\d+\.\d+).*?^[ \t]*### END SOLUTION[^\n]*$", re.S | re.M)


def _path_todos(solution_nb, skipped) -> dict[str, str]:
    """Cell id -> exercise number, for the TODO cells on the workshop path (not in a skipped part)."""
    out = {}
    for cell, skip in zip(solution_nb["cells"], skipped, strict=True):
        m = _BLOCK.search(_source(cell)) if cell["cell_type"] == "code" and not skip else None
        if m:
            out[cell.get("id")] = m.group("num")
    return out


def _wrong_attempt(source: str, code: str) -> str:
    """The solution cell with its block replaced by ``code`` (indented like the block), under the TODO's comment, as a
    learner's cell is once its `raise` line is replaced. (In JupyterLab the checks also know a TODO cell by its id,
    so deleting the comment changes nothing there; nbclient sends no cell ids: tests/test_check.py covers that.)"""
    m = _BLOCK.search(source)
    indent, lines = m.group("indent"), [f"# TODO {m.group('num')}: a wrong attempt", *code.splitlines()]
    return source[:m.start()] + "\n".join(indent + line for line in lines) + source[m.end():]


def _walk_client_class():
    """A papermill notebook client that, before each exercise cell of the solution, runs the learner's
    untouched TODO cell and its check cell in the same kernel and records what they did.

    So one papermill run per notebook both executes the solution top to bottom (parameters injected,
    output in a temporary folder, the failing cell named) and proves every check fails meaningfully on
    the untouched TODO. Cells are matched by id (make_notebooks.py gives learner and solution the same)."""
    import nbformat
    from nbclient.exceptions import CellExecutionError
    from papermill.clientwrap import PapermillNotebookClient

    class WalkClient(PapermillNotebookClient):
        def __init__(self, nb_man, *, learner=None, record=None, path_todos=None, reruns=None, where="", **kw):
            super().__init__(nb_man, **kw)
            self.learner, self.record, self.where = learner, record, where
            self.path_todos, self.reruns = path_todos or {}, reruns if reruns is not None else []

        def _try(self, cell, index):
            cell = nbformat.from_dict(json.loads(json.dumps(cell)))
            cell.outputs = []
            try:
                self.execute_cell(cell, index)
            except CellExecutionError as exc:
                return exc.ename, exc.evalue
            return None, "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")

        def _again(self, index, num):
            """A path TODO: its solution and check once more, in the same kernel (run twice)."""
            check_index = _check_cell_after(self.nb.cells, index)
            self._try(self.nb.cells[index], index)
            self.reruns.append({"num": num, "what": "again", "check": self._try(self.nb.cells[check_index], index)})

        def _wrong(self, index, num):
            """A wrong attempt at a path TODO, then its check: what a room does before it gets it right."""
            code, _ = WRONG_ATTEMPTS[num]
            wrong = dict(self.nb.cells[index], source=_wrong_attempt(_source(self.nb.cells[index]), code))
            todo = self._try(wrong, index)
            check = self._try(self.nb.cells[_check_cell_after(self.nb.cells, index)], index)
            self.reruns.append({"num": num, "what": "wrong", "todo": todo, "check": check})

        def papermill_execute_cells(self):
            by_id = {c.get("id"): i for i, c in enumerate(self.learner["cells"])}
            todos = dict(_todo_cells(self.learner, self.where))
            at = {c.get("id"): i for i, c in enumerate(self.nb.cells)}  # papermill's injected cell shifts indices
            todo_at = {at[cid]: num for cid, num in self.path_todos.items()}
            checks_of = {_check_cell_after(self.nb.cells, i): (i, n) for i, n in todo_at.items()}
            for index, cell in enumerate(self.nb.cells):
                try:
                    self.nb_man.cell_start(cell, index)
                    lindex = by_id.get(cell.get("id"))
                    if lindex in todos:  # the learner's version first: TODO, then its check
                        check_index = _check_cell_after(self.learner["cells"], lindex)
                        todo = self._try(self.learner["cells"][lindex], index)
                        check = self._try(self.learner["cells"][check_index], index) if check_index is not None else (None, "")
                        self.record.append({"cell": lindex, "expected": todos[lindex], "todo": todo,
                                            "check_cell": check_index, "check": check})
                    if todo_at.get(index) in WRONG_ATTEMPTS:
                        self._wrong(index, todo_at[index])
                    self.execute_cell(cell, index)
                    if index in checks_of:  # the check of a path TODO passed: run both again
                        self._again(*checks_of[index])
                except CellExecutionError as ex:
                    self.nb_man.cell_exception(self.nb.cells[index], cell_index=index, exception=ex)
                    break
                finally:
                    self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)

    return WalkClient


def _register_walk_engine() -> str:
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    client_class = _walk_client_class()

    class WalkEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, learner=None, record=None,
                                     path_todos=None, reruns=None, where="", **kwargs):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
                                 log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            return client_class(nb_man, learner=learner, record=record, path_todos=path_todos, reruns=reruns,
                                where=where, **final).execute()

    papermill_engines.register("workshop-walk", WalkEngine)
    return "workshop-walk"


@pytest.mark.parametrize("solution,learner", PAIRS)
def test_solution_runs_and_checks_explain_the_todos(solution: Path, learner: Path, monkeypatch):
    """papermill runs the solution offline (MODE=replay, SPEED=instant) in a fresh kernel, and on the way:

    * the learner notebook runs up to its first TODO (the cells before it are the solution's, unchanged:
      checked below) and that TODO fails with its own NotImplementedError message;
    * every exercise runs first as the learner's untouched TODO (its own NotImplementedError), then its check
      cell fails with a ❌ explanation; then the solution cell runs and the same check passes with ✅."""
    from papermill.exceptions import PapermillExecutionError

    sol_nb, learn_nb = mk.read(solution), mk.read(learner)
    assert [c.get("id") for c in sol_nb["cells"]] == [c.get("id") for c in learn_nb["cells"]], \
        "run `python scripts/make_notebooks.py`"
    todos = dict(_todo_cells(learn_nb, solution.name))
    for index, (sc, lc) in enumerate(zip(sol_nb["cells"], learn_nb["cells"], strict=True)):
        if index not in todos:
            assert _source(sc) == _source(lc), f"{learner.name} cell {index} differs from its solution outside a TODO"
    for index in todos:
        assert _check_cell_after(learn_nb["cells"], index) is not None, (
            f"{learner.name}: TODO cell {index} ({todos[index]}) is not followed by a check cell (`check.…(...)`)"
        )

    record: list[dict] = []
    reruns: list[dict] = []
    on_path = solution.parent == mk.SOLUTIONS and solution.name[:2] in PATH_NOTEBOOKS
    path_todos = _path_todos(sol_nb, estimate_time.skipped_cells(sol_nb["cells"])) if on_path else {}
    try:
        executed = _papermill(solution, engine_name=_register_walk_engine(), learner=learn_nb, record=record,
                              path_todos=path_todos, reruns=reruns, where=solution.name)
    except PapermillExecutionError as exc:
        pytest.fail(f"{solution.relative_to(ROOT)}: {_describe_failure(exc)}", pytrace=False)
    _assert_reruns(solution, path_todos, reruns)

    assert [r["cell"] for r in record] == sorted(todos), "every TODO was tried"
    for r in record:
        ename, evalue = r["todo"]
        ename_check, message = r["check"]
        if r["expected"] is None:  # optional in the workshop: the untouched cell and its check run, the check says so
            assert ename is None, f"{learner.name} optional TODO cell {r['cell']} raised {ename}: {evalue}"
            assert ename_check is None and message.startswith("⏭ TODO "), (
                f"{learner.name} check cell {r['check_cell']} after the untouched optional TODO: {ename_check}: {message}")
            continue
        assert (ename, evalue) == ("NotImplementedError", r["expected"]), (
            f"{learner.name} TODO cell {r['cell']}: expected NotImplementedError({r['expected']!r}), got {ename}: {evalue}")
        assert ename_check == "CheckFailed", (
            f"{learner.name} check cell {r['check_cell']} after the untouched TODO: {ename_check}: {message}")
        assert message.startswith("❌") and ("TODO" in message or "Hint" in message), message
    by_id = {c.get("id"): c for c in executed["cells"]}
    for r in record:
        check_cell = by_id[learn_nb["cells"][r["check_cell"]]["id"]]
        text = "".join(_source({"source": o.get("text", "")}) for o in check_cell.get("outputs", [])
                       if o.get("output_type") == "stream")
        assert "✅" in text, f"{solution.name} cell {r['check_cell']}: the check printed no ✅ line: {text!r}"


def _assert_reruns(solution: Path, path_todos: dict, reruns: list[dict]) -> None:
    """Each path TODO ran twice (✅ both times), and its wrong attempt was blamed right (issue 19)."""
    again = {r["num"]: r["check"] for r in reruns if r["what"] == "again"}
    assert sorted(again) == sorted(path_todos.values()), f"{solution.name}: not every path TODO ran again: {again}"
    for num, (ename, text) in again.items():
        assert ename is None and "✅" in text, f"{solution.name}: TODO {num} run a second time: {ename}: {text}"
    for r in (r for r in reruns if r["what"] == "wrong"):
        ename, text = r["check"]
        expected = WRONG_ATTEMPTS[r["num"]][1]
        assert ename == "CheckFailed" and expected in text, (
            f"{solution.name}: after a wrong attempt at TODO {r['num']} ({r['todo'][0]}), its check said {ename}: {text}")
    wrongs = {r["num"] for r in reruns if r["what"] == "wrong"}
    assert wrongs == set(WRONG_ATTEMPTS) & set(path_todos.values()), wrongs


def test_the_path_todos_are_the_seeds_four_steps():
    """At most 5 required TODOs on 00 -> 04, and each is re-run (and, where it matters, tried wrong first) above."""
    required = estimate_time.required_todos(estimate_time.estimates())
    assert required == ["2.1", "2.2", "3.1", "3.2", "4.1"], required
    assert set(WRONG_ATTEMPTS) <= set(required)


# --------------------------------------------------------------------------- generated files
@pytest.mark.parametrize("solutions,notebooks", [(FIXTURE / "solutions", FIXTURE / "notebooks"), (mk.SOLUTIONS, mk.NOTEBOOKS)],
                         ids=["fixture", "series"])
def test_learner_notebooks_are_generated(solutions: Path, notebooks: Path):
    problems = mk.check(solutions, notebooks)
    assert not problems, "\n".join(problems) + "\n\nrun `python scripts/make_notebooks.py`"


@pytest.mark.parametrize("solution,learner", PAIRS)
def test_notebook_structure(solution: Path, learner: Path):
    for path in (solution, learner):
        nb = mk.read(path)
        params = [c for c in nb["cells"] if c["cell_type"] == "code" and "parameters" in c["metadata"].get("tags", [])]
        assert len(params) == 1, f"{path.name}: needs exactly one cell tagged `parameters`"
        for name in ("MODE", "MODEL", "SPEED"):
            assert f"{name} =" in _source(params[0]), f"{path.name}: the parameters cell must set {name}"
    for cell in mk.read(learner)["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{learner.name} has outputs"
    text = solution.read_text(encoding="utf-8")
    for leak in ("/work/", "/root/", API_KEY_PREFIX + "api"):
        assert leak not in text, f"{solution.name} contains {leak!r}: run `python scripts/make_notebooks.py --execute`"


def test_generator_replaces_blocks_with_todos():
    source = (
        "x = 1\n"
        "with open('f') as fh:\n"
        "    ### BEGIN SOLUTION 9.1 Read it\n"
        "    ### HINT: fh.read()\n"
        "    text, n = fh.read(), 2\n"
        "    for line in text: pass\n"
        "    ### END SOLUTION\n"
        "print(text)"
    )
    out, found = mk.convert_source(source)
    assert found == ["9.1"]
    assert out.splitlines() == [  # code precedes the block, so its placeholders run first
        "# TODO 9.1 placeholders (set first, so its check can say what is missing):",
        "text = check.TODO",
        "n = check.TODO",
        "x = 1",
        "with open('f') as fh:",
        "    # TODO 9.1: Read it",
        "    # Hint: fh.read()",
        "    # Replace the `raise` below with your code.",
        '    raise NotImplementedError("TODO 9.1 (Read it): write your code here, then run this cell")',
        "print(text)",
    ]
    out, _ = mk.convert_source("from helpers import check\n\nx = 1\n### BEGIN SOLUTION 9.3 Add\ny = x + 1\n"
                               "### END SOLUTION")
    assert out.splitlines()[:3] == [  # the placeholders need `check`: they go below the cell's imports
        "from helpers import check",
        "# TODO 9.3 placeholders (set first, so its check can say what is missing):",
        "y = check.TODO",
    ]
    out, _ = mk.convert_source("### BEGIN SOLUTION 9.2 Add\ny = 1 + 1\n### END SOLUTION\nprint(y)")
    assert out.splitlines() == [
        "# TODO 9.2: Add",
        "# Replace the lines below, down to and including the `raise`, with your code.",
        "y = check.TODO",
        'raise NotImplementedError("TODO 9.2 (Add): write your code here, then run this cell")',
        "print(y)",
    ]
    with pytest.raises(mk.NotebookError):
        mk.convert_source("### BEGIN SOLUTION 1.1 x\ny = 2\n")


def test_harness_names_the_broken_cell(tmp_path: Path, monkeypatch):
    """Proof that a failing solution is reported with its cell: break the fixture on purpose."""
    from papermill.exceptions import PapermillExecutionError

    nb = mk.read(FIXTURE / "solutions" / "00_fixture.ipynb")
    nb["cells"][-1]["source"] = "raise RuntimeError('broken on purpose')"
    broken = tmp_path / "00_broken.ipynb"
    broken.write_text(mk.dumps(nb))
    with pytest.raises(PapermillExecutionError) as info:
        _papermill(broken)
    text = _describe_failure(info.value)
    assert "RuntimeError: broken on purpose" in text and "raise RuntimeError" in text


def test_solutions_match_committed_outputs(nbval_process):
    """nbval: each solution's fresh outputs equal its committed ones, modulo tests/nbval_sanitize.cfg."""
    out, _ = nbval_process.communicate(timeout=900)
    if nbval_process.returncode != 0:
        tail = "\n".join(line for line in out.splitlines() if "Kernel is running over TCP" not in line)
        pytest.fail(
            "nbval: a solution's outputs differ from the committed ones. If the change is intended, "
            "run `python scripts/make_notebooks.py --execute` and review the diff.\n" + tail[-6000:],
            pytrace=False,
        )


def test_harness_catches_a_check_that_passes_on_the_todo(tmp_path: Path, monkeypatch):
    """Proof that the walk sees what a check does on the untouched TODO: a check that never fails is caught."""
    nb = mk.read(FIXTURE / "solutions" / "00_fixture.ipynb")
    nb["cells"][-1]["source"] = 'check.ok("looks fine to me")'
    learner, _ = mk.make_learner(nb, "lenient")
    solution = tmp_path / "00_lenient.ipynb"
    solution.write_text(mk.dumps(nb))
    record: list[dict] = []
    _papermill(solution, engine_name=_register_walk_engine(), learner=learner, record=record)
    [entry] = record
    assert entry["todo"] == ("NotImplementedError", "TODO 0.1 (Compute the answer): write your code here, then run this cell")
    assert entry["check"][0] is None and "looks fine" in entry["check"][1]  # the test above would fail on this


def test_normalise_is_stable_and_scrubs(tmp_path: Path):
    nb = mk.read(FIXTURE / "solutions" / "00_fixture.ipynb")
    nb["metadata"]["papermill"] = {"duration": 1.5}
    code = next(c for c in nb["cells"] if c["cell_type"] == "code" and "mode:" in mk._source(c))
    code["execution_count"] = 7
    code["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": f"sesn_011CAbCdEfGhIjKl at {mk.ROOT}/x.py, /root/.cache/y\n"},
        {"output_type": "stream", "name": "stdout",
         "text": "again sesn_011CAbCdEfGhIjKl, key " + API_KEY_PREFIX + "api03-abcdefghijkl\n"},
    ]
    once = mk.normalise(nb, keep_outputs=True)
    assert mk.normalise(once, keep_outputs=True) == once
    assert "papermill" not in once["metadata"]
    [cell] = [c for c in once["cells"] if c["cell_type"] == "code" and "mode:" in c["source"]]
    assert cell["outputs"] == [{"output_type": "stream", "name": "stdout",
                                "text": "sesn_011CWorkshop0001 at ./x.py, <path>\nagain sesn_011CWorkshop0001, key "
                                        + API_KEY_PREFIX + "…\n"}]
    # --check fails (exit 1) on drift and names the fix
    (tmp_path / "s").mkdir()
    (tmp_path / "n").mkdir()
    (tmp_path / "s" / "00_x.ipynb").write_text(mk.dumps(nb))
    assert mk.main(["--check", "--solutions", str(tmp_path / "s"), "--notebooks", str(tmp_path / "n")]) == 1
    assert mk.main(["--solutions", str(tmp_path / "s"), "--notebooks", str(tmp_path / "n")]) == 0
    assert mk.main(["--check", "--solutions", str(tmp_path / "s"), "--notebooks", str(tmp_path / "n")]) == 0
