"""The TODO placeholder: ``check.TODO``, what an untouched exercise cell leaves in its variables (:class:`_Todo`).

It knows its TODO (``# TODO N.M`` above it, or the ``raise NotImplementedError("TODO N.M ...")`` below) and the
variable it was assigned to, and any use of it an answer would allow raises a :class:`CheckFailed` that says which TODO
to do first. ``check.TODO`` itself is made by the package's ``__getattr__`` (it reads the line that asked for it).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..exercises import NUMBER
from ..i18n import N_, _
from .verdicts import CheckFailed

__all__ = ["is_todo"]


_TODO_LINE = re.compile(rf"^\s*#\s*TODO\s+({NUMBER})\b")
_TODO_RAISE = re.compile(rf"NotImplementedError\(\s*[\"']TODO\s+({NUMBER})\b")
#: "TODO N.M" opening the message of the NotImplementedError an untouched TODO cell raises (make_notebooks' TODO_MESSAGE).
_TODO_MESSAGE = re.compile(rf"TODO ({NUMBER})\b")
_TODO_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*(?:\w+\.)*TODO\s*(?:#.*)?$")


class _Todo:
    """The placeholder a learner's untouched exercise cell leaves in its variables (``env = check.TODO``).

    It knows which TODO it stands for (``num``, e.g. "2.1") and the variable it was assigned to (``name``)
    when it can read them from the cell that asked for it. Using it in any way an answer would be used
    (an attribute, a call, iteration, indexing, arithmetic, a comparison, ``if``...) raises a
    :class:`CheckFailed` that says which TODO to do first, instead of a raw TypeError. Identity (``is``),
    ``==``, ``repr`` and ``str`` work, and so does IPython's display of it."""

    __module__ = "helpers.check"  # where pickle looks ``TODO`` up (``__reduce__``): the package, as before its split
    _cache: dict = {}

    def __new__(cls, num: str | None = None, name: str | None = None):
        key = (num, name)
        if key not in cls._cache:
            obj = super().__new__(cls)
            object.__setattr__(obj, "num", num)
            object.__setattr__(obj, "name", name)
            cls._cache[key] = obj
        return cls._cache[key]

    def __repr__(self) -> str:
        return "check.TODO"

    def __format__(self, spec: str) -> str:
        if not spec:
            return repr(self)
        self._fail(_("formatted with {spec!r}").format(spec=spec))

    def _fail(self, what: str | None = None) -> None:
        __tracebackhide__ = True
        who = f"`{self.name}`" if self.name else _("This value")
        todo = f"TODO {self.num}" if self.num else _("the TODO cell above")
        used = _(" ({what})").format(what=_(what)) if what else ""
        placeholder = f"`{self.name} = check.TODO`" if self.name else "`... = check.TODO`"
        raise CheckFailed(
            "❌ " + _("{who} is still the TODO placeholder{used}: do {todo} first.").format(who=who, used=used, todo=todo)
            + "\n" + _("Hint: {hint}").format(hint=_(
                "in {todo}, replace the {placeholder} and `raise NotImplementedError(...)` lines with your code, run "
                "that cell, then run this one again.").format(todo=todo, placeholder=placeholder))
        )

    def __getattr__(self, name: str):
        if name.startswith("__") or name.startswith(("_repr_", "_ipython_")):
            # Python's and IPython's own probes (copy, numpy, display formatters): "no such attribute" keeps them working.
            raise AttributeError(name)
        if name.startswith("_") or _called_from_library():
            self._fail()  # a library probing a name (pandas' ._typ, .tzinfo): not the learner's doing, do not name it
        self._fail(_("it has no .{name}").format(name=name))

    def __setattr__(self, name: str, value: Any) -> None:
        self._fail(_("it has no .{name} to set").format(name=name))

    def __delattr__(self, name: str) -> None:
        self._fail()

    def __bool__(self) -> bool:
        self._fail(N_("it is neither true nor false"))

    def __call__(self, *args: Any, **kwargs: Any):
        self._fail(None if _called_from_library() else N_("it is not a function yet"))

    def __iter__(self):
        self._fail(N_("it cannot be looped over"))

    def __reversed__(self):
        self._fail(N_("it cannot be looped over"))

    def __len__(self) -> int:
        self._fail(N_("it has no length"))

    def __contains__(self, item: Any) -> bool:
        self._fail(N_("it cannot be searched"))

    def __getitem__(self, key: Any):
        self._fail(N_("it cannot be indexed"))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._fail(N_("it cannot be indexed"))

    def __delitem__(self, key: Any) -> None:
        self._fail(N_("it cannot be indexed"))

    def __enter__(self):
        self._fail(N_("it cannot be used in a `with`"))

    def __exit__(self, *exc: Any):
        return None

    def __float__(self) -> float:
        self._fail(N_("it is not a number"))

    def __int__(self) -> int:
        self._fail(N_("it is not a number"))

    def __index__(self) -> int:
        self._fail(N_("it is not a number"))

    def __complex__(self) -> complex:
        self._fail(N_("it is not a number"))

    def __round__(self, ndigits: Any = None):
        self._fail(N_("it is not a number"))

    def __copy__(self) -> _Todo:
        return self

    def __deepcopy__(self, memo: Any) -> _Todo:
        return self

    def __reduce__(self) -> str:
        return "TODO"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: Any) -> bool:
        return self is other

    def __ne__(self, other: Any) -> bool:
        return self is not other


def _called_from_library(depth: int = 2) -> bool:
    """Whether the code that touched the placeholder is a library (pandas, the stdlib), not the learner's cell."""
    import sys

    try:
        filename = sys._getframe(depth).f_code.co_filename
    except ValueError:
        return False
    return _library_file(filename)


def _library_file(filename: str) -> bool:
    """Whether ``filename`` is a library's (the stdlib, an installed package), not a notebook cell's or ours."""
    import sysconfig

    paths = sysconfig.get_paths()
    roots = tuple(p for p in (paths.get("stdlib"), paths.get("purelib"), paths.get("platlib")) if p)
    return "site-packages" in filename or "dist-packages" in filename or filename.startswith(roots)


def _todo_operator(op: str) -> Callable:
    def method(self, *args: Any):
        __tracebackhide__ = True
        self._fail(N_("it cannot be used in arithmetic or comparisons"))
    method.__name__ = op
    return method


for _op in ("lt", "le", "gt", "ge", "add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv",
            "floordiv", "rfloordiv", "mod", "rmod", "pow", "rpow", "matmul", "rmatmul", "and", "rand", "or", "ror",
            "xor", "rxor", "lshift", "rlshift", "rshift", "rrshift", "divmod", "rdivmod", "neg", "pos", "abs", "invert"):
    setattr(_Todo, f"__{_op}__", _todo_operator(f"__{_op}__"))
del _op


#: TODO number -> the names it sets: its placeholders (``env = check.TODO``), the names its cell assigns, the names
#: its check asks for. Known once any of them has run.
_TODO_NAMES: dict[str, set[str]] = {}


def _todo_from_caller(frame: Any) -> _Todo:
    """The placeholder for the line ``frame`` is running: ``name = check.TODO`` under ``# TODO N.M: ...``."""
    import linecache

    num = name = None
    try:
        lines = linecache.getlines(frame.f_code.co_filename, frame.f_globals)
        here = frame.f_lineno - 1
        if 0 <= here < len(lines):
            m = _TODO_ASSIGN.match(lines[here])
            name = m.group(1) if m else None
            for line in reversed(lines[max(0, here - 40): here + 1]):
                m = _TODO_LINE.match(line)
                if m:
                    num = m.group(1)
                    break
            if num is None:
                for line in lines[here: here + 40]:
                    m = _TODO_RAISE.search(line)
                    if m:
                        num = m.group(1)
                        break
    except Exception:  # never let the placeholder itself fail
        pass
    if num and name:
        _TODO_NAMES.setdefault(num, set()).add(name)
    return _Todo(num, name)


def is_todo(value: Any) -> bool:
    return isinstance(value, _Todo)
