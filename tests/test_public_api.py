"""Every public module of helpers/ (the stub aside) says what it exports, and exports what the notebooks use."""
from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"
#: helpers' modules, and its packages (the stub aside: tests/test_architecture.py checks it) with each of their files.
MODULES = sorted(
    [p.stem for p in HELPERS.glob("*.py") if not p.stem.startswith("_")]
    + [p.parent.name if p.stem == "__init__" else f"{p.parent.name}.{p.stem}"
       for p in HELPERS.glob("*/*.py") if p.parent.name != "stub" and (p.parent / "__init__.py").is_file()]
)


def _solution_code() -> str:
    cells = []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells += ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    return "\n".join(cells)


@pytest.mark.parametrize("name", MODULES)
def test_module_declares_all_and_every_name_exists(name):
    module = importlib.import_module(f"helpers.{name}")
    assert isinstance(getattr(module, "__all__", None), list), f"helpers.{name} has no __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"helpers.{name}.__all__ names what it does not define: {missing}"
    assert len(set(module.__all__)) == len(module.__all__), f"helpers.{name}.__all__ names something twice"


@pytest.mark.parametrize("name", ["check", "loop", "render", "dashboard", "incident", "resources", "events"])
def test_what_the_solutions_use_is_exported(name):
    used = set(re.findall(rf"\b{name}\.([A-Za-z_]\w*)\b", _solution_code()))
    module = importlib.import_module(f"helpers.{name}")
    unexported = sorted(u for u in used if hasattr(module, u) and u not in module.__all__)
    assert not unexported, f"the solutions use helpers.{name}.{unexported} but its __all__ does not name them"


def test_every_check_is_exported():
    from helpers import check

    # a check: a public function of helpers/check/ that is not part of the framework and ends in ok(...)
    body = [f for path in sorted((ROOT / "helpers" / "check").glob("*.py"))
            for f in ast.parse(path.read_text(encoding="utf-8")).body]
    checks = [f.name for f in body if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")
              and any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "ok" for n in ast.walk(f))
              and f.name not in ("ok", "fail", "need")]
    assert len(checks) >= 19
    assert not set(checks) - set(check.__all__), f"checks missing from check.__all__: {set(checks) - set(check.__all__)}"


def test_helpers_lists_the_modules_a_learner_may_reach_and_each_resolves():
    """`helpers.X` works for every module its docstring lists (lazily: `import helpers` loads none of them)."""
    import helpers

    listed = set(re.findall(r"^\s+helpers\.(\w+)\s+->", helpers.__doc__, re.M))
    assert {"toolset", "timestamps", "exercises", "deadline"} <= listed
    assert listed <= helpers._SUBMODULES, f"listed in the docstring but not reachable: {listed - helpers._SUBMODULES}"
    for name in sorted(helpers._SUBMODULES):
        assert getattr(helpers, name) is importlib.import_module(f"helpers.{name}")
