"""Read the source (ast) for the architecture rules: a package's import graph (every ``import`` statement,
function-level ones included), the length of every function (of a package, or of any list of files: the
repository's, ``python_files``), and where a string is typed in code (``literal_sites``, docstrings left out).
Used by tests/test_architecture.py."""
from __future__ import annotations

import ast
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["module_names", "import_graph", "find_cycle", "layer_violations", "long_functions", "python_files",
           "long_functions_in", "literal_sites"]

#: Folders that hold no code of the project's own: build output, caches, test output (hidden folders, .venv and
#: .git among them, are skipped too).
NOT_OURS = {"build", "test-output", "__pycache__", "node_modules"}


def module_names(root: Path) -> dict[str, Path]:
    """``{dotted module name: path}`` for every .py file of the package at ``root`` (a directory)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The package's modules that ``name`` imports, wherever the statement is (module level, function, class)."""
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # ``from pkg import sub`` imports the submodule pkg.sub; ``from mod import name`` imports mod
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in modules:  # ``import a.b.c`` where a.b.c is an attribute: its module
                t = t.rpartition(".")[0]
            if t and t != name:
                yield t


def import_graph(root: Path) -> dict[str, set[str]]:
    """``{module: the package's modules it imports}`` for the package at ``root``."""
    modules = module_names(root)
    return {name: set(_imports(name, path, modules)) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or None when the graph has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def layer_violations(graph: dict[str, set[str]], package: str, layers: Sequence[str]) -> list[str]:
    """What breaks "the files of ``package`` import one way": ``layers`` names its files, lowest first, and a file may
    import only files listed before it. A file the order does not list, or one that imports a file at or above its
    own place or the package itself (its ``__init__``, which imports every file), is a violation. The package's
    ``__init__`` may import them all, and so may its ``__main__`` (``python -m``: the entry point above it), which
    is listed last."""
    rank = {f"{package}.{name}": i for i, name in enumerate(layers)}
    files = sorted(m for m in graph if m.startswith(f"{package}."))
    out = [f"{m} is in no layer: add it to the order" for m in files if m not in rank]
    out += [f"{name} is listed but does not exist" for name in rank if name not in graph]
    for m in files:
        for t in sorted(graph[m]):
            if (t == package and m != f"{package}.__main__") or (t in rank and m in rank and rank[t] >= rank[m]):
                out.append(f"{m} imports {t}, which is not below it")
    return out


def long_functions(root: Path, limit: int) -> list[tuple[str, int]]:
    """``[(module:qualified.name, lines)]`` for every function or method of the package longer than ``limit``
    lines (from its ``def`` line to its last line; nested functions count in their own right too)."""
    out: list[tuple[str, int]] = []
    for name, path in module_names(root).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        out.extend((f"{name}:{qual}", n) for qual, n in _function_lengths(tree, "") if n > limit)
    return sorted(out)


def python_files(root: Path) -> list[Path]:
    """Every ``.py`` file of the repository at ``root``, but those under a hidden folder (``.venv``, ``.git``),
    an ``*.egg-info`` or a folder of :data:`NOT_OURS`."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not (d.startswith(".") or d.endswith(".egg-info") or d in NOT_OURS)]
        found += [Path(folder) / f for f in files if f.endswith(".py")]
    return sorted(found)


def long_functions_in(files: Sequence[Path], base: Path, limit: int) -> list[tuple[str, int]]:
    """``[(path:qualified.name, lines)]`` for every function or method of ``files`` longer than ``limit`` lines,
    each path relative to ``base``."""
    out: list[tuple[str, int]] = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = path.relative_to(base).as_posix()
        out.extend((f"{where}:{qual}", n) for qual, n in _function_lengths(tree, "") if n > limit)
    return sorted(out)


def literal_sites(files: Sequence[Path], base: Path, needle: str) -> list[str]:
    """``["path:line", ...]`` where a string constant in code holds ``needle`` (f-strings' literal parts included;
    docstrings are prose, and left out)."""
    out = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        out += [f"{path.relative_to(base).as_posix()}:{node.lineno}" for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and needle in node.value
                and id(node) not in docstrings]
    return sorted(set(out))


def _function_lengths(node: ast.AST, prefix: str) -> Iterator[tuple[str, int]]:
    """``(qualified name, lines)`` of every function under ``node``, methods and nested functions included."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            qual = f"{prefix}.{child.name}" if prefix else child.name
            if not isinstance(child, ast.ClassDef):
                yield qual, child.end_lineno - child.lineno + 1
            yield from _function_lengths(child, qual)
        else:
            yield from _function_lengths(child, prefix)
