"""The project's scripts as modules, imported one way: ``script("make_notebooks")`` is ``scripts/make_notebooks.py``,
``script("workshop")`` the root's ``workshop.py``. Each is imported once per run, from its file, and kept in
``sys.modules`` under its own name (dataclasses look their module up there, and a script that imports another one,
``make_recordings`` its ``make_recordings_nb08``, finds it)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["ROOT", "script"]

ROOT = Path(__file__).resolve().parent.parent.parent


def script(name: str) -> ModuleType:
    """The module of ``scripts/NAME.py`` (``workshop`` is ``workshop.py`` at the root)."""
    if name in sys.modules:
        return sys.modules[name]
    path = ROOT / "workshop.py" if name == "workshop" else ROOT / "scripts" / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no script {name!r}: {path} does not exist")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
