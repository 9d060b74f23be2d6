#!/usr/bin/env python3
"""How long the whole series takes offline, next to what an empty notebook costs.

    .venv/bin/python benchmarks/bench_notebooks.py            # every solutions/NN_*.ipynb
    .venv/bin/python benchmarks/bench_notebooks.py 00 03      # some of them

Each solution is executed the way the tests do it (papermill, MODE=replay, SPEED=instant, a fresh kernel,
output in a temporary folder), and so is an empty one-cell notebook. Target: the series takes at most
1.3 x (number of notebooks x the empty notebook's time), i.e. the notebooks themselves cost little more than
starting their kernels. Prints PASS or MISS (exit status 0 either way; 2 if a notebook fails).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import make_notebooks as mk  # noqa: E402

TARGET = 1.3


def run(path: Path, out_dir: Path) -> float:
    import papermill as pm

    started = time.perf_counter()
    pm.execute_notebook(
        str(path), str(out_dir / path.name), parameters=dict(mk.OFFLINE_PARAMETERS), cwd=str(path.parent),
        kernel_name="python3", progress_bar=False, log_output=False,
    )
    return time.perf_counter() - started


def one_cell_notebook(folder: Path, name: str, code: str = "") -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("MODE = None\nMODEL = None\nSPEED = None")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell] + ([nbformat.v4.new_code_cell(code)] if code else [])
    nb.metadata = {"kernelspec": dict(mk.KERNELSPEC), "language_info": dict(mk.LANGUAGE_INFO)}
    path = folder / name
    nbformat.write(nb, path)
    return path


def main(argv: list[str]) -> int:
    os.environ["WORKSHOP_MODE"] = "replay"
    os.environ.pop("ANTHROPIC_API_KEY", None)
    wanted = [a for a in argv if not a.startswith("-")]
    paths = [p for p in mk.solution_paths() if not wanted or any(p.name.startswith(w) for w in wanted)]
    if not paths:
        print("no solution notebooks to run")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        empty = one_cell_notebook(tmp, "empty.ipynb")
        # For reference: the floor every series notebook pays, `import anthropic` (~3,300 modules) and the stub.
        floor = one_cell_notebook(tmp, "floor.ipynb", "import helpers\nclient = helpers.connect(MODE, speed=SPEED)")
        run(empty, tmp)  # warm-up: the first kernel start pays for cold disk caches
        empty_time = run(empty, tmp)
        floor_time = run(floor, tmp)
        times = {}
        for path in paths:
            try:
                times[path.name] = run(path, tmp)
            except Exception as exc:  # report, keep going
                print(f"{path.name}: FAILED ({type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''})")
                return 2
    total = sum(times.values())
    budget = TARGET * len(times) * empty_time
    width = max(len(n) for n in times)
    width = max(width, 34)
    print(f"{'empty one-cell notebook':<{width}}  {empty_time:6.2f} s")
    print(f"{'floor: import helpers + connect()':<{width}}  {floor_time:6.2f} s  ({floor_time / empty_time:.1f}x empty)")
    for name, seconds in times.items():
        print(f"{name:<{width}}  {seconds:6.2f} s  ({seconds / empty_time:.1f}x empty)")
    print(f"{'series (' + str(len(times)) + ' notebooks)':<{width}}  {total:6.2f} s")
    print(f"target: <= {TARGET} x {len(times)} x {empty_time:.2f} s = {budget:.2f} s  ->  {'PASS' if total <= budget else 'MISS'}"
          f" (series / (n x empty) = {total / (len(times) * empty_time):.2f};"
          f" series / (n x floor) = {total / (len(times) * floor_time):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
