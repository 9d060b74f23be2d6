"""Architecture rules, proven from the source (ast): in helpers/, imports go one way (no cycle, function-level
imports included; inside each package of role files, down its order of files; helpers.check's notebook modules never
import one another) and no module of helpers/ is longer than 800 lines; in the whole repository (helpers, tests,
scripts, benchmarks, workshop.py) no function is longer than 80 lines; and the values the workshop defines once (the
sandbox's folders, the workshop's metadata, the exercise markers) are typed in code only where they are defined. The
checkers are tested on tiny synthetic trees, so each rule can fail."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from support.architecture import (
    find_cycle,
    import_graph,
    layer_violations,
    literal_sites,
    long_functions,
    long_functions_in,
    python_files,
)

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"
MAX_LINES = 80
MAX_MODULE_LINES = 800
#: The packages of helpers/ with one file per role, their files lowest first: a file imports only files before it
#: (docs/design.md, "Map").
LAYERS = {
    "helpers.dashboard": ("data", "html", "charts", "agent_panel", "widget"),
    "helpers.incident": ("validator", "evidence", "tools"),
    # the framework (a check's verdict, the TODO placeholder, the TODO cells' runs, a session's history), then one
    # module per notebook, which import the framework and never each other (test below)
    "helpers.check": ("verdicts", "todo", "runs", "history", *(f"nb{n:02d}" for n in range(10))),
    # the stub's table in docs/design.md, "The stub: which file owns which rule": shared machinery, the rules each
    # resource's backend uses, the backends (a session's last), the Backend that composes them, the HTTP layer
    "helpers.stub": ("urls", "exceptions", "utils", "validator_cache", "validation", "sse", "recordings", "vaults",
                     "fit", "replay", "multiagent", "pricing", "budgets", "threads", "outputs", "skills",
                     "memory_stores", "dreams", "mounts", "deployments", "files", "environments", "agents",
                     "session_state", "sessions", "models", "request", "responses", "server", "__main__"),
}


def _package(tmp_path: Path, files: dict) -> Path:
    root = tmp_path / "pkg"
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


# ------------------------------------------------------------------------------------------------ imports
def test_helpers_has_no_import_cycle():
    graph = import_graph(HELPERS)
    assert "helpers.stub.models" in graph and "helpers.stub.replay" in graph["helpers.stub.models"]
    cycle = find_cycle(graph)
    assert cycle is None, f"import cycle in helpers/: {' -> '.join(cycle)}"


def test_stub_layers_import_one_way():
    """The stub's shared machinery does not import what builds on it, and the replay engine never sees the Backend."""
    graph = import_graph(HELPERS)
    for low in ("utils", "validation", "sse", "exceptions", "urls", "recordings", "replay"):
        assert not graph[f"helpers.stub.{low}"] & {"helpers.stub.models", "helpers.stub.responses",
                                                  "helpers.stub.server"}, low
    assert "helpers.stub.models" not in graph["helpers.stub.recordings"]


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_package_files_import_one_way(package):
    graph = import_graph(HELPERS)
    assert not layer_violations(graph, package, LAYERS[package]), layer_violations(graph, package, LAYERS[package])
    files = {f"{package}.{name}" for name in LAYERS[package]}
    assert graph[f"{package}.{LAYERS[package][-1]}"] & files, "the top file imports the files below it"


def test_a_notebooks_checks_import_the_framework_and_no_other_notebooks():
    graph = import_graph(HELPERS)
    notebooks = {f"helpers.check.{name}" for name in LAYERS["helpers.check"] if name.startswith("nb")}
    assert len(notebooks) == 10
    crossing = {nb: sorted(graph[nb] & notebooks) for nb in sorted(notebooks) if graph[nb] & notebooks}
    assert not crossing, f"a notebook's checks import another notebook's: {crossing}; move the shared code to the framework"


def test_layer_checker_sees_upward_function_level_and_package_imports_and_unlisted_files(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "sub/__init__.py": "from .b import x\n",
        "sub/a.py": "import os\n",
        "sub/b.py": "from .a import y\n",
    })
    assert layer_violations(import_graph(root), "pkg.sub", ("a", "b")) == []
    assert layer_violations(import_graph(root), "pkg.sub", ("b", "a")) == ["pkg.sub.b imports pkg.sub.a, which is not below it"]
    (root / "sub" / "a.py").write_text("def f():\n    from . import b\n")
    assert layer_violations(import_graph(root), "pkg.sub", ("a", "b")) == ["pkg.sub.a imports pkg.sub.b, which is not below it"]
    (root / "sub" / "a.py").write_text("from pkg.sub import x\n")  # the package's __init__ imports every file
    assert layer_violations(import_graph(root), "pkg.sub", ("a", "b")) == ["pkg.sub.a imports pkg.sub, which is not below it"]
    (root / "sub" / "__main__.py").write_text("from . import x\n")  # the entry point may import the package
    assert layer_violations(import_graph(root), "pkg.sub", ("a", "b", "__main__")) == [
        "pkg.sub.a imports pkg.sub, which is not below it"]
    (root / "sub" / "__main__.py").unlink()
    (root / "sub" / "a.py").write_text("")
    (root / "sub" / "c.py").write_text("")
    assert layer_violations(import_graph(root), "pkg.sub", ("a", "b", "d")) == [
        "pkg.sub.c is in no layer: add it to the order", "pkg.sub.d is listed but does not exist"]


def test_cycle_checker_sees_function_level_and_relative_imports(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from . import b\n",
        "b.py": "def f():\n    from .sub.c import thing\n    return thing\n",
        "sub/__init__.py": "",
        "sub/c.py": "import os\n\n\nclass K:\n    def m(self):\n        import pkg.a\n",
    })
    graph = import_graph(root)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.sub.c"} and graph["pkg.sub.c"] == {"pkg.a"}
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]
    (root / "sub" / "c.py").write_text("import os\n")
    assert find_cycle(import_graph(root)) is None


def test_cycle_checker_sees_parent_relative_imports(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "from .sub import x\n",
        "settings.py": "",
        "sub/__init__.py": "x = 1\n",
        "sub/x.py": "from ..settings import A\nfrom .. import settings\n",
        "settings2.py": "from .sub.x import y\n",
    })
    graph = import_graph(root)
    assert graph["pkg.sub.x"] == {"pkg.settings"}
    assert graph["pkg"] == {"pkg.sub.x"}  # ``from .sub import x`` imports the submodule pkg.sub.x
    assert find_cycle(graph) is None
    (root / "settings.py").write_text("from .settings2 import z\n")
    cycle = find_cycle(import_graph(root))
    assert cycle[0] == cycle[-1] and set(cycle) == {"pkg.settings", "pkg.settings2", "pkg.sub.x"}


# ------------------------------------------------------------------------------------------------ function length
def test_no_module_in_helpers_is_longer_than_800_lines():
    files = sorted(HELPERS.rglob("*.py"))
    assert {"check/runs.py", "stub/models.py", "loop.py"} <= {p.relative_to(HELPERS).as_posix() for p in files}
    long = {p.relative_to(HELPERS).as_posix(): n for p in files
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}; split them by role"


def test_no_function_in_the_repository_is_longer_than_80_lines():
    files = python_files(ROOT)
    assert {"helpers", "tests", "scripts", "benchmarks", "workshop.py"} <= {p.relative_to(ROOT).parts[0] for p in files}
    long = dict(long_functions_in(files, ROOT, MAX_LINES))
    assert not long, f"functions longer than {MAX_LINES} lines: {long}; split them"


def test_the_repository_scan_skips_what_is_not_the_projects(tmp_path):
    for rel in ("a.py", "pkg/b.py", ".venv/lib/c.py", ".git/d.py", "build/e.py", "test-output/f.py",
                "x.egg-info/g.py", "pkg/__pycache__/h.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("def f():\n" + "    x = 1\n" * 80)
    assert [p.relative_to(tmp_path).as_posix() for p in python_files(tmp_path)] == ["a.py", "pkg/b.py"]
    assert long_functions_in(python_files(tmp_path), tmp_path, MAX_LINES) == [("a.py:f", 81), ("pkg/b.py:f", 81)]


def test_length_checker_counts_methods_and_nested_functions(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(80))
    root = _package(tmp_path, {
        "__init__.py": "",
        "m.py": f"def short():\n    pass\n\n\ndef long():\n{body}\n\nclass C:\n    def meth(self):\n"
                + textwrap.indent(body, "    ") + "\n    def fine(self):\n        def inner():\n"
                + textwrap.indent(body, "        "),
    })
    assert long_functions(root, MAX_LINES) == [("pkg.m:C.fine", 82), ("pkg.m:C.fine.inner", 81),
                                               ("pkg.m:C.meth", 81), ("pkg.m:long", 81)]
    assert long_functions(root, 81) == [("pkg.m:C.fine", 82)]


# ------------------------------------------------------------------------------------------------ written once
#: A value the workshop defines once, the file that defines it, and the other files allowed to type it (and why; an
#: allowed file that no longer types it fails, so no exception outlives its reason).
#: Scanned: the code of helpers/, scripts/, benchmarks/ and workshop.py (tests state the values on their own).
WRITTEN_ONCE = {
    "/mnt/session/uploads": ("helpers/sandbox.py", {}),
    "/mnt/session/outputs": ("helpers/sandbox.py", {}),
    "ship-your-first-managed-agent": ("helpers/resources.py", {
        "helpers/settings.py": "the cache folder's name, not the metadata"}),
    **{marker: ("helpers/exercises.py", {}) for marker in ("### BEGIN SOLUTION", "### HINT:", "### MORE:", "### SETS:")},
    "### END SOLUTION": ("helpers/exercises.py", {"scripts/make_notebooks.py": "its error names the marker a block lacks"}),
}


@pytest.mark.parametrize("value", sorted(WRITTEN_ONCE))
def test_a_value_defined_once_is_typed_only_where_it_is_defined(value):
    home, allowed = WRITTEN_ONCE[value]
    files = [p for p in python_files(ROOT) if p.relative_to(ROOT).parts[0] in ("helpers", "scripts", "benchmarks",
                                                                                   "workshop.py")]
    sites = literal_sites(files, ROOT, value)
    assert any(site.startswith(f"{home}:") for site in sites), f"{value!r} is no longer defined in {home}"
    elsewhere = [site for site in sites if site.split(":")[0] not in (home, *allowed)]
    assert not elsewhere, f"{value!r} is typed again at {elsewhere}: import it from {home}"
    stale = [f for f in allowed if not any(site.startswith(f"{f}:") for site in sites)]
    assert not stale, f"{stale} no longer type {value!r}: drop them from WRITTEN_ONCE's exceptions"


def test_the_literal_scan_reads_code_and_f_strings_not_docstrings(tmp_path):
    (tmp_path / "m.py").write_text('"""/mnt/x in the docstring"""\nA = "/mnt/x"\n\n\ndef f(n):\n'
                                   '    """/mnt/x: prose"""\n    return f"/mnt/x/{n}"\n')
    assert literal_sites([tmp_path / "m.py"], tmp_path, "/mnt/x") == ["m.py:2", "m.py:7"]


# ------------------------------------------------------------------------------------------------ __all__
def test_every_stub_module_declares_all_and_defines_it():
    import ast
    import importlib

    for path in sorted((HELPERS / "stub").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        declared = [n for n in tree.body if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)]
        assert declared, f"{path.name} has no __all__"
        name = "helpers.stub" if path.stem == "__init__" else f"helpers.stub.{path.stem}"
        module = importlib.import_module(name)
        missing = [x for x in module.__all__ if not hasattr(module, x)]
        assert not missing, f"{name}.__all__ names what it does not define: {missing}"


def test_every_route_names_a_handler_in_responses_and_server_has_none_of_its_own():
    from helpers.stub import responses, urls

    handlers = {h for _m, _p, h in urls.URLS}
    assert "stream_events" in handlers
    assert handlers <= set(responses.__all__)
    assert all(callable(getattr(responses, h)) for h in handlers)
    server_src = (HELPERS / "stub" / "server.py").read_text(encoding="utf-8")
    assert not any(f'"{h}"' in server_src for h in handlers), "server.py special-cases a route"
