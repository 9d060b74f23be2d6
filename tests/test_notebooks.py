"""The notebook series, executed offline.

For every solution notebook (and the tiny fixture under tests/fixtures/notebooks/ that proves this
harness works even before the series exists):

* papermill runs the solution top to bottom (MODE=replay, SPEED=instant); a failure names the cell;
* nbval compares the solutions' fresh outputs with the committed ones (tests/nbval_sanitize.cfg
  masks ids, timestamps, durations, addresses);
* the learner notebook runs up to its first TODO and fails there, with that TODO's own message;
* every exercise's check fails (❌) on the untouched TODO and passes (✅) on the solution;
* notebooks/ is exactly what scripts/make_notebooks.py generates, with a parameters cell and no outputs.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import make_notebooks as mk  # noqa: E402

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
    ):
        for sol in mk.solution_paths(folder=folder_solutions):
            out.append(pytest.param(sol, folder_notebooks / sol.name, id=f"{label}/{sol.stem}"))
    return out


PAIRS = _pairs()


def _source(cell) -> str:
    return mk._source(cell)


def _offline_env() -> dict:
    env = dict(os.environ)
    env["WORKSHOP_MODE"] = "replay"
    env.pop("ANTHROPIC_API_KEY", None)
    return env


def _describe_failure(exc) -> str:
    """Papermill's error as: which cell, its first lines, the exception."""
    index = getattr(exc, "cell_index", None)
    head = "\n".join((getattr(exc, "source", "") or "").splitlines()[:8])
    return (f"cell {index} (counting papermill's injected parameters cell) failed with {exc.ename}: {exc.evalue}\n"
            f"--- cell source ---\n{head}")


def _papermill(path: Path, out: Path):
    import papermill as pm

    return pm.execute_notebook(
        str(path), str(out), parameters=dict(PARAMETERS), cwd=str(path.parent), kernel_name="python3",
        progress_bar=False, execution_timeout=CELL_TIMEOUT,
    )


# --------------------------------------------------------------------------- nbval, in the background
@pytest.fixture(scope="module", autouse=True)
def nbval_process():
    """Start nbval on every solution at once, in a subprocess (so the plain `pytest` run does not collect
    notebooks twice), while the other tests run; test_solutions_match_committed_outputs (last) waits for it."""
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


# --------------------------------------------------------------------------- solutions
@pytest.mark.parametrize("solution,learner", PAIRS)
def test_solution_runs_offline(solution: Path, learner: Path, tmp_path: Path, monkeypatch):
    from papermill.exceptions import PapermillExecutionError

    monkeypatch.setenv("WORKSHOP_MODE", "replay")
    try:
        _papermill(solution, tmp_path / solution.name)
    except PapermillExecutionError as exc:
        pytest.fail(f"{solution.relative_to(ROOT)}: {_describe_failure(exc)}", pytrace=False)


# --------------------------------------------------------------------------- learner notebooks
def _todo_cells(learner_nb) -> list[tuple[int, str]]:
    """(cell index, expected NotImplementedError message) for every TODO, in order."""
    out = []
    for index, cell in enumerate(learner_nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        for line in _source(cell).splitlines():
            if "raise NotImplementedError(" in line and "TODO " in line:
                message = json.loads(line.split("NotImplementedError(", 1)[1].rsplit(")", 1)[0])
                out.append((index, message))
                break
    return out


def _check_cell_after(cells, index: int) -> int | None:
    for j in range(index + 1, len(cells)):
        cell = cells[j]
        if cell["cell_type"] == "code":
            return j if "check." in _source(cell) and "### BEGIN SOLUTION" not in _source(cell) else None
    return None


@pytest.mark.parametrize("solution,learner", PAIRS)
def test_learner_stops_at_first_todo_and_checks_explain(solution: Path, learner: Path, monkeypatch):
    """One kernel walks the learner notebook and its solution side by side.

    * The learner notebook runs up to its first TODO (cells before it are the solution's, unchanged:
      test_learner_notebooks_are_generated), and that TODO fails with its own NotImplementedError message.
    * Every exercise runs first as the learner's untouched TODO (its NotImplementedError), then its check
      cell must fail with a ❌ message; then the solution cell runs and the same check passes with ✅."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("WORKSHOP_MODE", "replay")
    sol_nb = nbformat.read(solution, as_version=4)
    learn_nb = nbformat.read(learner, as_version=4)
    assert len(sol_nb.cells) == len(learn_nb.cells), "run `python scripts/make_notebooks.py`"
    todos = dict(_todo_cells(learn_nb))
    first_todo = min(todos) if todos else len(learn_nb.cells)
    for index, (sc, lc) in enumerate(zip(sol_nb.cells, learn_nb.cells)):
        if index not in todos:
            assert sc.source == lc.source, f"{learner.name} cell {index} differs from its solution outside a TODO"
    for index in todos:
        assert _check_cell_after(learn_nb.cells, index) is not None, (
            f"{learner.name}: TODO cell {index} ({todos[index]}) is not followed by a check cell (`check.…(...)`)"
        )

    client = NotebookClient(sol_nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(solution.parent)}})

    def run(cell, index, *, expect_error: str | None = None) -> str:
        cell = nbformat.from_dict(json.loads(json.dumps(cell)))
        cell.outputs = []
        try:
            client.execute_cell(cell, index)
        except CellExecutionError as exc:
            if expect_error is None:
                which = learner.name if index < first_todo else solution.name
                head = "\n".join(cell.source.splitlines()[:8])
                pytest.fail(f"{which} cell {index} failed: {exc.ename}: {exc.evalue}\n--- cell source ---\n{head}", pytrace=False)
            assert exc.ename == expect_error, f"{learner.name} cell {index}: expected {expect_error}, got {exc.ename}: {exc.evalue}"
            return exc.evalue
        if expect_error is not None:
            pytest.fail(f"{learner.name} cell {index}: expected {expect_error}, but the cell passed", pytrace=False)
        return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")

    with client.setup_kernel(cwd=str(solution.parent)):
        params = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in PARAMETERS.items()))
        checked_after_todo: set[int] = set()
        for index, cell in enumerate(sol_nb.cells):
            if cell.cell_type != "code":
                continue
            if index < first_todo:
                cell = learn_nb.cells[index]  # the learner's own cells, up to the first TODO
            if index in todos:
                check_index = _check_cell_after(learn_nb.cells, index)
                evalue = run(learn_nb.cells[index], index, expect_error="NotImplementedError")
                assert evalue == todos[index], f"{learner.name} TODO cell {index} raised {evalue!r}, not its own message"
                message = run(learn_nb.cells[check_index], check_index, expect_error="CheckFailed")
                assert message.startswith("❌"), f"{learner.name} cell {check_index}: {message}"
                assert "TODO" in message or "Hint" in message, message
                checked_after_todo.add(check_index)
            out = run(cell, index)
            if index in checked_after_todo:
                assert "✅" in out, f"{solution.name} cell {index}: the check printed no ✅ line: {out!r}"
            if "parameters" in cell.metadata.get("tags", []):
                run(params, index)


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
    for leak in ("/work/", "/root/", "sk-ant-api"):
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
    assert out.splitlines() == [
        "x = 1",
        "with open('f') as fh:",
        "    # TODO 9.1: Read it",
        "    # Hint: fh.read()",
        "    # Replace the lines below with your code.",
        "    text = check.TODO",
        "    n = check.TODO",
        '    raise NotImplementedError("TODO 9.1 (Read it): write your code here, then run this cell")',
        "print(text)",
    ]
    with pytest.raises(mk.NotebookError):
        mk.convert_source("### BEGIN SOLUTION 1.1 x\ny = 2\n")


def test_harness_names_the_broken_cell(tmp_path: Path, monkeypatch):
    """Proof that a failing solution is reported with its cell: break the fixture on purpose."""
    from papermill.exceptions import PapermillExecutionError

    monkeypatch.setenv("WORKSHOP_MODE", "replay")
    nb = mk.read(FIXTURE / "solutions" / "00_fixture.ipynb")
    nb["cells"][-1]["source"] = "raise RuntimeError('broken on purpose')"
    broken = tmp_path / "00_broken.ipynb"
    broken.write_text(mk.dumps(nb))
    with pytest.raises(PapermillExecutionError) as info:
        _papermill(broken, tmp_path / "out.ipynb")
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
