"""Self-checks for the notebooks: ✅ when you got it right, ❌ with a plain-words hint when not.

Every exercise cell is followed by a check cell, e.g.::

    check.environment(env)

A passing check prints one ✅ line saying what is right. A failing check raises
:class:`CheckFailed` whose message is the ❌ explanation and a hint; Jupyter shows just that
message (no long traceback), and papermill and the tests see a failed cell.

Untouched TODO cells assign :data:`TODO` to the variables the exercise should set, then raise
``NotImplementedError``. So a check run before the exercise says "env is still the TODO
placeholder: complete TODO 2.1 and run its cell" rather than a ``NameError``.

Layout of this file:

* the framework (``TODO``, ``CheckFailed``, ``ok``, ``fail``, ``need``, ``attr``, ...),
* one section per notebook, 00 to 06, ``# ==== NN title ====``, with that notebook's checks in exercise order.
  A new check goes in its notebook's section and in ``__all__`` (a test holds both to what the notebooks call).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .events import attr, event_text
from .exercises import numbers_in
from .hints import hint  # the second hint level, on request: check.hint("3.2")
from .i18n import N_, _
from .outputs import list_outputs
from .sandbox import LOG_MOUNT_PATH, LOG_PATH, mounted_at
from .toolset import TOOLSET_TYPE, enabled_builtin_tools

__all__ = [  # noqa: F822 - TODO is made by the module __getattr__ (it names its cell)
    # the framework
    "TODO", "CheckFailed", "ok", "fail", "need", "attr", "is_todo", "hint",
    # one check per exercise, in notebook order
    "setup", "event_direction",                                                     # 00
    "onset", "suspect_deploy", "db_queries",                                        # 01
    "environment", "agent", "versions",                                             # 02
    "session", "stream_loop",                                                       # 03
    "tool_handler", "tool_answer", "investigation",                                 # 04
    "all_events", "conversation", "resumed",                                        # 05
    "interrupted", "confirmation", "outcome",                                       # 06
    "deployment", "responded", "report",                                            # 07
]


# =============================================================================== framework
_TODO_LINE = re.compile(r"^\s*#\s*TODO\s+(\d+(?:\.\d+)*)\b")
_TODO_RAISE = re.compile(r"NotImplementedError\(\s*[\"']TODO\s+(\d+(?:\.\d+)*)\b")
_TODO_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*(?:\w+\.)*TODO\s*(?:#.*)?$")


def _a(word: str) -> str:
    """``word`` with its indefinite article: "an AttributeError", "a KeyError" (in Japanese, the word alone)."""
    return (_("an {word}") if word[:1].lower() in "aeiou" else _("a {word}")).format(word=word)


class _Todo:
    """The placeholder a learner's untouched exercise cell leaves in its variables (``env = check.TODO``).

    It knows which TODO it stands for (``num``, e.g. "2.1") and the variable it was assigned to (``name``)
    when it can read them from the cell that asked for it. Using it in any way an answer would be used
    (an attribute, a call, iteration, indexing, arithmetic, a comparison, ``if``...) raises a
    :class:`CheckFailed` that says which TODO to do first, instead of a raw TypeError. Identity (``is``),
    ``==``, ``repr`` and ``str`` work, and so does IPython's display of it."""

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
        used = f" ({_(what)})" if what else ""
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
    import sysconfig

    try:
        filename = sys._getframe(depth).f_code.co_filename
    except ValueError:
        return False
    paths = sysconfig.get_paths()
    roots = {paths.get("stdlib"), paths.get("purelib"), paths.get("platlib")} - {None}
    return "site-packages" in filename or "dist-packages" in filename or filename.startswith(tuple(roots))


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


def __dir__() -> list[str]:
    return sorted([*globals(), "TODO"])


def __getattr__(name: str) -> Any:
    """``check.TODO`` (and ``from helpers.check import TODO``): a placeholder that knows its TODO and variable."""
    if name == "TODO":
        import sys

        return _todo_from_caller(sys._getframe(1))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class CheckFailed(AssertionError):
    """A check that did not pass. Its message is the whole explanation."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    # IPython shows only what this returns instead of a traceback.
    def _render_traceback_(self) -> list[str]:
        return [self.message]


def is_todo(value: Any) -> bool:
    return isinstance(value, _Todo)


def ok(message: str) -> None:
    """Report a passed check."""
    print(f"✅ {message}", flush=True)


def fail(problem: str, hint: str | None = None) -> None:
    """Fail a check: ``problem`` says what is wrong in plain words, ``hint`` how to fix it."""
    __tracebackhide__ = True
    text = f"❌ {problem}"
    if hint:
        text += "\n" + _("Hint: {hint}").format(hint=hint)
    raise CheckFailed(text)


def need(value: Any, name: str, todo: str, what: str | None = None) -> Any:
    """Fail unless ``value`` was set by the learner (not the TODO placeholder, not None/Ellipsis), and unless the
    TODO's cell raised the last time it ran and ``value`` was not set since (in a notebook: :func:`not_done`).

    ``name`` is the variable as the learner sees it, ``todo`` the exercise number ("2.1"). The untouched placeholder
    of an exercise that is optional in the workshop is not a failure: the check says so and stops (:func:`skipped`)."""
    __tracebackhide__ = True
    _TODO_NAMES.setdefault(todo, set()).add(name)
    not_done(todo, name, value)
    if isinstance(value, _Todo):
        if todo in OPTIONAL_IN_WORKSHOP:
            skipped(todo, f"`{name}` is still the TODO placeholder")
        ran = "" if todo not in _RUNS else _(" (its cell ran to the end, but left it unset)")
        fail(
            _("TODO {todo} is not done yet: `{name}` is still the TODO placeholder{ran}.").format(todo=todo, name=name,
                                                                                                  ran=ran),
            (_("replace the `raise NotImplementedError(...)` line of TODO {todo} with your code that sets `{name}` to "
               "{what}, run that cell until it finishes without an error, then run this one again.") if what else
             _("replace the `raise NotImplementedError(...)` line of TODO {todo} with your code that sets `{name}`, "
               "run that cell until it finishes without an error, then run this one again.")
             ).format(todo=todo, name=name, what=what),
        )
    if value is None or value is Ellipsis:
        fail(
            _("`{name}` is {value!r}: TODO {todo} should set it to {what}.").format(
                name=name, value=value, todo=todo, what=what or _("a value")),
            _("check that the last line of your TODO {todo} code assigns `{name} = ...` (and that a function returns "
              "it).").format(todo=todo, name=name),
        )
    return value


# ------------------------------------------------------------------ exercises that are optional in the workshop
#: The exercises of the notebooks of the workshop path (00 -> 04) that the room skips: each is headed *(optional in
#: the workshop)*, after its notebook's heading *After the workshop*, where the path ends (scripts/estimate_time.py
#: skips what comes after it; tests/test_check.py keeps the two in step). Their untouched cells run as they are
#: (scripts/make_notebooks.py), and their checks say "not done, optional" without failing, so *Run All* of a
#: presenter-led notebook runs from top to bottom.
OPTIONAL_IN_WORKSHOP = frozenset({"0.1", "1.1", "1.2", "1.3", "2.3", "4.2", "4.3"})


class _Skipped(Exception):
    """An optional exercise not done yet: its check prints this instead of failing (see :func:`_skippable`)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def skipped(todo: str, why: str) -> None:
    """Stop the check of an optional exercise that is not done yet, without failing its cell."""
    raise _Skipped(f"⏭ TODO {todo} is not done yet: {why}. It is optional in the workshop; for later, write it in its "
                   f"cell, run that cell, then run this check again.")


def not_written(todo: str, what: str) -> None:
    """``what`` still raises NotImplementedError: skipped when the exercise is optional in the workshop, else ❌."""
    __tracebackhide__ = True
    if todo in OPTIONAL_IN_WORKSHOP:
        skipped(todo, f"{what} still raises NotImplementedError")
    fail(f"{what} still raises NotImplementedError: TODO {todo} is not done yet.",
         f"write your code in place of the `raise NotImplementedError(...)` line of TODO {todo}, run that cell, "
         "then run this one again.")


def _skippable(check: Callable) -> Callable:
    import functools

    @functools.wraps(check)
    def run(*args: Any, **kwargs: Any) -> None:
        __tracebackhide__ = True
        try:
            return check(*args, **kwargs)
        except _Skipped as skip:
            print(skip.message, flush=True)
            return None

    return run


# ------------------------------------------------------------------ what the TODO cells did when they last ran
#: TODO number -> the exception its cell raised the last time it ran in this kernel (None: it finished). Filled by
#: IPython's post_run_cell event (registered by :func:`watch`), so a check can tell "your cell raised" from "your
#: code is wrong". Empty outside IPython: the checks then judge the values alone.
_RUNS: dict[str, BaseException | None] = {}

#: TODO number -> the names it sets: its placeholders (``env = check.TODO``), the names its cell assigns, the names
#: its check asks for. Known once any of them has run.
_TODO_NAMES: dict[str, set[str]] = {}

#: TODO number -> {name: its value when that TODO's cell last raised}. A value bound since, in any cell (the learner
#: wrote the code in a new cell, or deleted the cell's TODO comment), is judged by the check, not the stale raise.
_AT_RAISE: dict[str, dict[str, Any]] = {}
_UNBOUND = object()

#: The exercise each check judges: what a NameError in its cell points back to.
_TODO_OF_CHECK = {
    "event_direction": "0.1", "onset": "1.1", "suspect_deploy": "1.2", "db_queries": "1.3", "environment": "2.1",
    "agent": "2.2", "versions": "2.3", "session": "3.1", "stream_loop": "3.2", "investigation": "4.1",
    "tool_handler": "4.2", "tool_answer": "4.3", "all_events": "5.1", "conversation": "5.2", "resumed": "5.3",
    "interrupted": "6.1", "confirmation": "6.2", "outcome": "6.3", "deployment": "7.1", "responded": "7.2",
    "report": "7.3",
}


#: Notebook cell id -> the TODOs it holds: a cell stays its TODO's after the learner deletes the TODO comments.
_CELL_TODOS: dict[str, set[str]] = {}

#: A notebook's path -> {cell id: the TODOs that cell holds}, read once from the notebook the kernel runs and from
#: the shipped notebooks of the same name (they share their cell ids): so a TODO cell is known by its id from its
#: first run, even one whose `# TODO N.M` line the learner replaced with the code (walkthrough 3).
_NOTEBOOK_TODOS: dict[str, dict[str, set[str]]] = {}


def _assigned(source: str) -> set[str]:
    """The names a cell binds at its top level (inside ``with``, ``for``, ``if`` and ``try`` too, not in functions)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:  # a cell magic, or a cell that does not parse: nothing known
        return set()
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(child.name)
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.add(child.id)
            if not isinstance(child, ast.Lambda):
                visit(child)

    visit(tree)
    return names


def _user_ns() -> dict | None:
    """The notebook's variables (None outside IPython)."""
    import sys

    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return getattr(get_ipython(), "user_ns", None)


def _notebook_file() -> Any:
    """The notebook this kernel runs, as its front end names it: ``__session__`` (JupyterLab's JPY_SESSION_NAME, set
    by ipykernel) or ``__vsc_ipynb_file__`` (VS Code). None when neither is set (nbclient, papermill, a console)."""
    from pathlib import Path

    ns = _user_ns() or {}
    for key in ("__session__", "__vsc_ipynb_file__"):
        value = ns.get(key)
        if isinstance(value, str) and value.endswith(".ipynb"):
            return Path(value)
    return None


def _todos_by_cell_id() -> dict[str, set[str]]:
    """{cell id: the TODOs it holds} of the notebook this kernel runs (empty when its file is not known)."""
    import json

    from .settings import ROOT

    path = _notebook_file()
    if path is None:
        return {}
    if str(path) not in _NOTEBOOK_TODOS:
        found: dict[str, set[str]] = {}
        for candidate in (path, ROOT / "notebooks" / path.name, ROOT / "solutions" / path.name):
            try:
                cells = json.loads(candidate.read_text(encoding="utf-8"))["cells"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            for cell in cells:
                source = cell.get("source", "")
                nums = numbers_in("".join(source) if isinstance(source, list) else str(source))
                if nums and cell.get("cell_type") == "code" and cell.get("id"):
                    found.setdefault(cell["id"], set()).update(nums)
        _NOTEBOOK_TODOS[str(path)] = found
    return _NOTEBOOK_TODOS[str(path)]


def _note_run(result: Any) -> None:
    """IPython's post_run_cell: remember how each TODO cell's latest run ended, and explain a NameError in a check
    cell below IPython's own traceback."""
    info = getattr(result, "info", None)
    source = getattr(info, "raw_cell", None) or ""
    nums = numbers_in(source)
    cell_id = getattr(info, "cell_id", None)
    if cell_id:
        known = _CELL_TODOS.get(cell_id)
        nums |= known if known is not None else _todos_by_cell_id().get(cell_id, set())
        if nums:
            _CELL_TODOS[cell_id] = nums
    error = getattr(result, "error_in_exec", None)
    for num in nums:
        _RUNS[num] = error
        if error is None:
            _AT_RAISE.pop(num, None)
            continue
        names = _TODO_NAMES.setdefault(num, set())
        names |= _assigned(source)
        ns = _user_ns()
        if ns is None:  # no notebook: nothing to tell a value set since from a stale one
            _AT_RAISE.pop(num, None)
        else:
            _AT_RAISE[num] = {name: ns.get(name, _UNBOUND) for name in names}
    if isinstance(error, NameError) and not getattr(error, "_workshop_explained", False):
        message = _name_error_message(error)  # not explained above its traceback (no handler): below it
        if message:
            print(message, flush=True)


def _name_error_first(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> None:
    """IPython's handler of a NameError (:func:`watch`): in a check cell, the explanation first (what happened to its
    TODO's cell); then, in every cell, IPython's own traceback, shown by IPython as for any other error. The handler
    shows it itself: IPython 9's run_code ignores a traceback a handler returns (walkthrough 1: a NameError showed
    nothing), so it returns none."""
    try:
        message = _name_error_message(value)
    except Exception:  # never lose the traceback to a bug here
        message = None
    if message:
        print(message, flush=True)  # ipykernel flushes stdout before it sends the error: the explanation comes first
        value._workshop_explained = True
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)


def watch() -> None:
    """In a notebook: note how each TODO cell's runs end, and explain a NameError in a check cell (done on import).

    IPython shows every traceback itself. A check cell's NameError (its TODO did not set the name) is explained above
    it, by a handler of NameError that prints the explanation and then has IPython show the traceback as usual; without
    the handler (another one set), the explanation follows the traceback (:func:`_note_run`)."""
    import sys

    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or getattr(shell, "_workshop_check_watch", False):
        return
    shell.events.register("post_run_cell", _note_run)
    if not shell.custom_exceptions:  # nobody else's handler: ours, for NameError only
        shell.set_custom_exc((NameError,), _name_error_first)
    shell._workshop_check_watch = True


def _cell_frames(exc: BaseException) -> list:
    """The traceback entries of ``exc`` in the notebook cell that raised it: IPython's own frames (and the library
    frames the error went through) left out."""
    tb, frames = exc.__traceback__, []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    cell = next((f for f in frames if not _library_file(f.tb_frame.f_code.co_filename)), None)
    if cell is None:
        return []
    filename = cell.tb_frame.f_code.co_filename
    return [f for f in frames if f.tb_frame.f_code.co_filename == filename]


def _library_file(filename: str) -> bool:
    import sysconfig

    paths = sysconfig.get_paths()
    roots = tuple(p for p in (paths.get("stdlib"), paths.get("purelib"), paths.get("platlib")) if p)
    return "site-packages" in filename or "dist-packages" in filename or filename.startswith(roots)


def _where(exc: BaseException) -> tuple[int, str] | None:
    """(line number, its text) of the cell's line that raised ``exc``, if it came from a notebook cell."""
    import linecache

    frames = _cell_frames(exc)
    if not frames:
        return None
    last = frames[-1]
    text = linecache.getline(last.tb_frame.f_code.co_filename, last.tb_lineno, last.tb_frame.f_globals).strip()
    return last.tb_lineno, text


def _name_error_message(exc: NameError) -> str | None:
    """A NameError in a check cell: the name its TODO sets is missing. Say what happened to that TODO's cell."""
    where = _where(exc)
    m = re.search(r"\bcheck\.(\w+)\(", where[1]) if where else None
    num = _TODO_OF_CHECK.get(m.group(1)) if m else None
    if num is None:
        return None
    name = getattr(exc, "name", None) or str(exc)
    head = f"❌ `{name}` is not defined: "
    if num not in _RUNS:
        return (head + f"the TODO {num} cell has not run in this kernel (after a restart, or if you skipped it)."
                f"\nHint: run the cells above in order, the TODO {num} cell included, then this check again.")
    error = _RUNS[num]
    explained = _explained(num, error) if error is not None else None
    if explained:  # e.g. 2.2's create refused for a list inside the list of tools: the advice, not just the raise
        problem, hint = explained
        return (head + f"the TODO {num} cell stopped before setting it: "
                + problem.removeprefix(f"TODO {num} is not done yet: ") + f"\nHint: {hint}")
    if error is not None:
        at = _where(error)
        line = f" at line {at[0]} (`{_clip(at[1], 60)}`)" if at else ""
        return (head + f"the TODO {num} cell stopped with {_a(type(error).__name__)}{line} before setting it: "
                f"{_clip(str(error), 200)}\nHint: fix that in the TODO {num} cell (its error is shown under it), run "
                "it until it finishes, then run this check again.")
    return (head + f"the TODO {num} cell ran to its end without setting it.\nHint: assign your result to `{name}` "
            f"(the name its goal asks for) in the TODO {num} cell, run it again, then run this check.")


def not_done(todo: str, name: str | None = None, value: Any = _UNBOUND) -> None:
    """Fail with "TODO N.M is not done yet" when the TODO's cell raised the last time it ran (in a notebook), unless
    ``value`` (the variable ``name`` the check judges) was set since: then the check judges it."""
    __tracebackhide__ = True
    exc = _RUNS.get(todo)
    if exc is None:
        return
    at_raise = _AT_RAISE.get(todo, {})
    if name in at_raise and value is not _UNBOUND and not isinstance(value, _Todo) and value is not at_raise[name]:
        return  # bound after the raise: a new cell, or the TODO cell without its comment, set it
    fail(*_raised(todo, exc))


#: TODO number -> a function that says, in the exercise's own words, what a raise of its cell means (None: it has
#: nothing to add, and the generic words of :func:`_raised` follow). Filled by the notebook sections below.
_EXPLAIN: dict[str, Callable[[BaseException], tuple[str, str] | None]] = {}


def _raised(todo: str, exc: BaseException) -> tuple[str, str]:
    """(problem, hint) for a TODO cell whose last run raised ``exc``."""
    explained = _explained(todo, exc)
    if explained:
        return explained
    at = _where(exc)
    line = _(" at line {n} (`{code}`)").format(n=at[0], code=_clip(at[1], 60)) if at else ""
    return (_("TODO {todo} is not done yet: its cell raised {error}{line}: {detail}").format(
                todo=todo, error=_a(type(exc).__name__), line=line, detail=_clip(str(exc), 300)),
            _("fix the line the error points at (its traceback is under the TODO cell), run the TODO cell until it "
              "finishes without an error, then run this one again."))


def _explained(todo: str, exc: BaseException) -> tuple[str, str] | None:
    """(problem, hint) when a raise of TODO ``todo``'s cell has a meaning of its own: the exercise's words
    (``_EXPLAIN``), another TODO's placeholder, the untouched cell, a check, a stream's deadline, an API's refusal.
    None for any other exception: then where it was raised is what to say."""
    explained = _EXPLAIN[todo](exc) if todo in _EXPLAIN else None
    if explained:
        return explained
    kind = type(exc).__name__
    other = re.match(r"TODO (\d+(?:\.\d+)*)\b", str(exc)) if isinstance(exc, NotImplementedError) else None
    if other and other.group(1) != todo:  # e.g. code of this TODO calling a function another TODO has not written
        return (f"TODO {todo} is not done yet: its cell called code that TODO {other.group(1)} has not written yet "
                "(it raises NotImplementedError).",
                f"write TODO {other.group(1)} and run its cell; then run the TODO {todo} cell, then this one.")
    if isinstance(exc, NotImplementedError):
        return (_("TODO {todo} is not done yet: its cell still raises NotImplementedError.").format(todo=todo),
                _("write your code in place of the `raise NotImplementedError(...)` line of TODO {todo} (its goal is "
                  "above the cell), run that cell, then run this one again.").format(todo=todo))
    if isinstance(exc, CheckFailed):
        return (_("TODO {todo} is not done yet: {problem}").format(
                    todo=todo, problem=exc.message.removeprefix("❌ ").splitlines()[0]),
                _("fix that in the TODO cell, run it again, then run this one."))
    if kind == "StreamDeadline":  # helpers.deadline: the loop never stopped; its message says how the session did
        return (_("TODO {todo} is not done yet: your loop was still reading when its stream's timeout ran out. "
                  "{error}").format(todo=todo, error=exc),
                _("fix the loop's stop conditions, then run the TODO cell again: it starts a fresh session."))
    status = getattr(exc, "status_code", None)
    if status is not None and _raised_in_send(exc):
        detail = getattr(exc, "api_message", None) or getattr(exc, "message", None) or str(exc)
        return (_("TODO {todo} is not done yet: your client.beta.sessions.events.send(...) was refused ({status}, "
                  "{kind}): {detail} The session never got what you sent.").format(
                    todo=todo, status=status, kind=kind, detail=_clip(detail, 300)),
                _("fix what the API's message names (the field, its value), then run the TODO cell again: it starts "
                  "from a fresh session."))
    if status is not None:
        detail = getattr(exc, "api_message", None) or getattr(exc, "message", None) or str(exc)
        return (_("TODO {todo} is not done yet: an API call in its cell was refused ({status}, {kind}): "
                  "{detail}").format(todo=todo, status=status, kind=kind, detail=_clip(detail, 300)),
                _("fix what the API's message names, then run the TODO cell again."))
    return None


def _raised_in_send(exc: BaseException) -> bool:
    """Whether ``exc`` came out of ``client.beta.sessions.events.send``."""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "send" and code.co_filename.replace("\\", "/").endswith("sessions/events.py"):
            return True
        tb = tb.tb_next
    return False


def _request_json(exc: BaseException) -> Any:
    """The JSON body of the request an API error answered (None if there is none): what the learner's code sent,
    whatever words the server chose for its refusal."""
    import json

    try:
        return json.loads(exc.response.request.content)  # type: ignore[attr-defined]
    except Exception:
        return None


def _api_detail(exc: BaseException) -> str:
    return getattr(exc, "api_message", None) or getattr(exc, "message", None) or str(exc)


def _clip(value: Any, limit: int = 80) -> str:
    """``value`` as text, about ``limit`` characters at most, cut only between tokens: prose at a space; JSON and
    Python reprs between items, never inside a string or a number (a long string is closed where it is cut, at a
    space). "…" marks a cut."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    if text.lstrip()[:1] in ("{", "[", "(", "'", '"'):
        return _clip_structure(text, limit)
    cut = text.rfind(" ", 0, limit)
    return (text[:cut] if cut > limit // 2 else text[:limit]).rstrip() + " …"


def _clip_structure(text: str, limit: int) -> str:
    best, quote, start, escaped = 0, None, 0, False
    for i, ch in enumerate(text[:limit]):  # a cut goes between items: after a comma or a bracket, never in a string
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote, start = ch, i
        elif ch in ",;{}[]()":
            best = i + 1
    if quote and limit - start > 20:  # a long string: cut it at a space inside, and close it
        space = text.rfind(" ", start + 1, limit)
        end = space if space > start + 10 else limit
        return text[:end].rstrip() + "…" + quote + " …"
    return text[:best].rstrip() + " …"


def _type_of(event: Any) -> str | None:
    return attr(event, "type")


def _tools_of(agent: Any) -> list:
    return list(attr(agent, "tools") or [])


def _model_id(agent: Any) -> str | None:
    model = attr(agent, "model")
    if isinstance(model, str):
        return model
    return attr(model, "id")


def _not_yours(what: str, obj: Any) -> str | None:
    """Why ``obj``'s metadata is not WORKSHOP_METADATA's (both keys: the workshop and this learner), or None. Without
    the learner key, ``resources.ensure_*`` in the next notebook finds nothing of yours (``resources.is_mine``)."""
    from .resources import WORKSHOP_METADATA, is_mine

    if is_mine(obj):
        return None
    meta = attr(obj, "metadata") or {}
    lacks = [f"{k!r}: {v!r}" for k, v in WORKSHOP_METADATA.items() if meta.get(k) != v]
    return (f"{what}'s metadata is {dict(meta)}, without {', '.join(lacks)}: the next notebooks find only what carries "
            "both the workshop and your learner id (WORKSHOP_LEARNER), so they could not find it.")


watch()


# =============================================================================== 00 The mental model
def setup(client: Any, mode: str) -> None:
    """00: the client is connected, the SDK is the pinned one, and the evidence is on disk."""
    __tracebackhide__ = True
    import anthropic

    from .settings import DATA_DIR, TESTED_SDK, sdk_supported

    if mode not in ("replay", "live"):
        fail(f"MODE is {mode!r}; it must be \"replay\" (offline) or \"live\" (needs ANTHROPIC_API_KEY).",
             "set MODE in the first cell, or the WORKSHOP_MODE environment variable, then restart the kernel.")
    if not isinstance(client, anthropic.Anthropic):
        fail(f"`client` is a {type(client).__name__}, not an anthropic.Anthropic.",
             "create it with `client = helpers.connect(MODE)`.")
    if not sdk_supported(anthropic.__version__):
        major = TESTED_SDK.split(".")[0]
        fail(f"anthropic {anthropic.__version__} is installed; this workshop needs {major}.x from {TESTED_SDK} on "
             f"(it is tested with {TESTED_SDK}).",
             f"run `python3 workshop.py open` (it installs the pinned anthropic=={TESTED_SDK} into .venv) and pick "
             "the .venv kernel, or `pip install 'anthropic=={TESTED_SDK}'` in your own environment.")
    missing = [n for n in ("app.log", "metrics.json", "deploys.json", "diff.txt") if not (DATA_DIR / n).exists()]
    if missing:
        fail(f"the incident evidence is missing from {DATA_DIR.name}/: {', '.join(missing)}.",
             "run `python scripts/generate_data.py` from the repository root.")
    where = "offline replay of sessions authored from the docs" if mode == "replay" else "the live Managed Agents API"
    ok(f"Connected in {mode} mode ({where}), anthropic {anthropic.__version__}, evidence present in data/.")


def event_direction(sent: Any, received: Any) -> None:
    """00 (exercise 0.1): split event types into the ones you send and the ones you receive."""
    __tracebackhide__ = True
    need(sent, "sent", "0.1", "the set of event types your code sends")
    need(received, "received", "0.1", "the set of event types you receive")
    sent, received = set(sent), set(received)
    wrong_sent = sorted(t for t in sent if not str(t).startswith(("user.", "system.")))
    if wrong_sent:
        fail(f"`sent` contains {', '.join(wrong_sent)}, which the session emits, not you.",
             "the events you send are the ones whose domain is `user` (and `system.message`).")
    wrong_recv = sorted(t for t in received if str(t).startswith("user."))
    if wrong_recv:
        fail(f"`received` contains {', '.join(wrong_recv)}; user.* events are the ones you send: they only come back "
             "to you as echoes of what you sent.",
             "keep the agent.*, session.* and span.* types in `received`, and every user.* type in `sent`.")
    for must in ("user.message", "user.custom_tool_result"):
        if must not in sent:
            fail(f"`sent` is missing {must}.",
                 "every user.* type in CORE_EVENTS is one you send; the list printed above under \"You send ... types\" "
                 "has them all.")
    for must in ("agent.custom_tool_use", "session.status_idle"):
        if must not in received:
            fail(f"`received` is missing {must}.",
                 "every agent.* and session.* type in CORE_EVENTS is one you receive; the list printed above under "
                 "\"You receive ... types\" has them all, by domain.")
    ok(f"{len(sent)} event types you send, {len(received)} you receive: {{domain}}.{{action}} tells them apart.")


# =============================================================================== 01 The incident by hand
def onset(onset_ts: Any) -> None:
    """01 (exercise 1.1): the minute checkout p99 first jumps."""
    __tracebackhide__ = True
    import pandas as pd

    need(onset_ts, "onset", "1.1", "the timestamp where checkout p99 first jumps")
    try:
        ts = pd.Timestamp(onset_ts)
    except Exception:
        fail(f"`onset` is {onset_ts!r}, which is not a timestamp.",
             "`checkout` is indexed by ts, so take the timestamp from its index: "
             "`onset = checkout.index[checkout[\"p99_ms\"] > 3 * baseline][0]`.")
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    expected = pd.Timestamp("2026-11-18T14:07:00Z")
    if abs((ts - expected).total_seconds()) > 120:
        direction = "before" if ts < expected else "after"
        minutes = abs((ts - expected).total_seconds()) / 60
        fail(f"`onset` is {ts.isoformat()}, {minutes:.0f} minutes {direction} the jump in the chart.",
             "the onset is the first index where checkout[\"p99_ms\"] > 3 * baseline (baseline: the median p99 up to "
             "13:30, computed above): `onset = checkout.index[checkout[\"p99_ms\"] > 3 * baseline][0]`.")
    ok(f"Onset at {ts.strftime('%H:%M')} UTC: checkout p99 leaves its baseline here.")


def suspect_deploy(deploy: Any) -> None:
    """01 (exercise 1.2): the last deploy to checkout that landed before the onset."""
    __tracebackhide__ = True
    need(deploy, "suspect", "1.2", "the deploy (a row or a dict) closest before the onset")
    deploy_id = attr(deploy, "id") if not isinstance(deploy, str) else deploy
    if deploy_id is None and hasattr(deploy, "get"):
        deploy_id = deploy.get("id")
    if deploy_id == "dep_4819":
        fail("`suspect` is dep_4819: it landed before the onset, but on payments, not checkout.",
             "the latency is checkout's: keep only deploys with service == \"checkout\".")
    if deploy_id == "dep_4822":
        fail("`suspect` is dep_4822: it landed after the onset, so it cannot have caused it.",
             "keep only deploys with ts <= onset, then take the latest.")
    if deploy_id != "dep_4820":
        fail(f"`suspect` is {deploy_id!r}, not the checkout deploy that landed just before the onset.",
             "filter deploys to service == \"checkout\" and ts <= onset, sort by ts and take the last row.")
    ok("dep_4820 (checkout v2.14.0, commit 9c41e7b) landed 90 s before the onset: the prime suspect.")


def db_queries(before: Any, after: Any) -> None:
    """01 (exercise 1.3): checkout's queries per request before and after the onset."""
    __tracebackhide__ = True
    need(before, "before", "1.3", "the median db_queries of checkout requests before the onset")
    need(after, "after", "1.3", "the median db_queries of checkout requests after the onset")
    try:
        before, after = float(before), float(after)
    except (TypeError, ValueError):
        fail("`before` and `after` should be numbers (medians of the db_queries column).",
             "use `logs[mask][\"db_queries\"].median()`.")
    if not (2 <= before <= 9):
        fail(f"`before` is {before:g}; checkout made 3 to 8 queries per request before the deploy.",
             "select checkout lines with ts < onset (and a db_queries value) before taking the median.")
    if after < 2 * before:
        fail(f"`after` is {after:g}, not much more than before ({before:g}).",
             "select checkout lines with ts >= onset (the N+1 query multiplies the queries per request).")
    ok(f"Queries per checkout request went from {before:g} to {after:g}: one query per line item smells like an N+1.")


# =============================================================================== 02 Agent and environment
def environment(env: Any) -> None:
    """02 (exercise 2.1): a cloud environment with limited networking and the investigator's packages."""
    __tracebackhide__ = True
    from .resources import environment_config
    need(env, "env", "2.1", "the environment that client.beta.environments.create(...) returns")
    if attr(env, "type") != "environment" or not attr(env, "id"):
        fail(f"`env` is a {type(env).__name__}, not an environment object.",
             "assign the return value: `env = client.beta.environments.create(...)`.")
    config = attr(env, "config")
    if attr(config, "type") != "cloud":
        fail(f"the environment's config type is {attr(config, 'type')!r}, not \"cloud\".",
             "pass config={\"type\": \"cloud\", ...}: Anthropic runs the sandbox for you.")
    net = attr(config, "networking")
    if attr(net, "type") != "limited":
        fail(f"networking is {attr(net, 'type')!r}: the sandbox can reach the whole internet.",
             "an investigator only reads evidence: use {\"type\": \"limited\", \"allowed_hosts\": [...], "
             "\"allow_package_managers\": True}.")
    packages = {kind: list(attr(config, f"packages.{kind}") or [])
                for kind in ("apt", "cargo", "gem", "go", "npm", "pip")}
    listed = "; ".join(f"{kind}: {', '.join(map(str, names))}" for kind, names in packages.items() if names)
    if not attr(net, "allow_package_managers"):
        if listed:
            fail(f"allow_package_managers is off, but the environment lists packages ({listed}): the sandbox could not "
                 "install them.",
                 "package managers must be allowed when you list packages: set \"allow_package_managers\": True in "
                 "networking.")
        fail("allow_package_managers is off: the investigator's sandbox cannot install jq and pandas.",
             "set \"allow_package_managers\": True in networking, and list the packages: "
             "\"packages\": {\"apt\": [\"jq\"], \"pip\": [\"pandas\"]}.")
    wanted = environment_config()["packages"]  # the `packages` of notebook 02: {"pip": ["pandas"], "apt": ["jq"]}
    missing = [f"{name} ({kind})" for kind, names in wanted.items() for name in names if name not in packages[kind]]
    if missing:
        fail(f"the environment's packages lack {', '.join(missing)} (it lists {listed or 'none'}): the goal asks for "
             "the `packages` above, what the agent wrangles the log with in its sandbox.",
             "pass the `packages` above in the config: config={\"type\": \"cloud\", \"networking\": networking, "
             "\"packages\": packages}.")
    problem = _not_yours("the environment", env)
    if problem:
        fail(problem, "pass metadata=WORKSHOP_METADATA (it holds both keys) so re-runs find and reuse it.")
    hosts = list(attr(net, "allowed_hosts") or [])
    ok(f"Environment {attr(env, 'name')!r}: cloud sandbox, limited networking ({len(hosts)} allowed host"
       f"{'s' if len(hosts) != 1 else ''}, package managers allowed), packages {listed}.")


def agent(agent_obj: Any, model: str | None = None) -> None:
    """02 (exercise 2.2): the SRE investigator agent (``model``: the notebook's MODEL, default helpers.MODEL)."""
    __tracebackhide__ = True
    from . import settings

    model = model or settings.MODEL
    need(agent_obj, "agent", "2.2", "the agent that client.beta.agents.create(...) returns")
    if attr(agent_obj, "type") != "agent" or not attr(agent_obj, "id"):
        fail(f"`agent` is a {type(agent_obj).__name__}, not an agent object.",
             "assign the return value: `agent = client.beta.agents.create(...)`.")
    if _model_id(agent_obj) != model:
        fail(f"the agent's model is {_model_id(agent_obj)!r}, not MODEL ({model!r}).",
             "pass model=MODEL, the one setting every notebook shares.")
    system = attr(agent_obj, "system") or ""
    if len(system) < 40:
        fail("the agent has no real system prompt.",
             "pass system=SYSTEM_PROMPT: it tells Claude it is an SRE investigating Incident-2277 and how to report.")
    tools = _tools_of(agent_obj)
    toolsets = [t for t in tools if attr(t, "type") == TOOLSET_TYPE]
    if not toolsets:
        fail("the agent has no built-in toolset, so it cannot grep the log in its sandbox.",
             f"add the toolset, default off with only the read-only tools on: {_TOOLSET_SHAPE}.")
    default_on = attr(toolsets[0], "default_config.enabled") is not False
    on = enabled_builtin_tools(tools)
    for name in ("bash", "grep", "read"):
        if name not in on:
            fail(f"the built-in `{name}` tool is disabled; the agent needs it to search app.log.",
                 f"enable it: configs=[{{\"name\": \"{name}\", \"enabled\": True}}, ...].")
    risky = [name for name in ("write", "edit", "web_fetch", "web_search") if name in on]
    if risky:
        how = ("the toolset is on by default (no \"default_config\": {\"enabled\": False})" if default_on
               else "configs turn them on")
        fail(f"the investigator needs read-only tools, but the agent can use {', '.join(risky)}: {how}. It reads "
             "evidence; it does not write files or browse the web.",
             f"turn the toolset off by default and enable only bash, grep, read and glob: {_TOOLSET_SHAPE}.")
    custom = sorted(attr(t, "name") for t in tools if attr(t, "type") == "custom")
    expected = ["get_diff", "get_metrics", "list_deploys", "query_logs"]
    missing = [n for n in expected if n not in custom]
    if missing:
        fail(f"the agent lacks the custom tools {', '.join(missing)}.",
             "add the definitions from helpers.incident: tools=[toolset, *incident.CUSTOM_TOOLS].")
    problem = _not_yours("the agent", agent_obj)
    if problem:
        fail(problem, "pass metadata=WORKSHOP_METADATA (it holds both keys) so re-runs find and reuse it.")
    ok(f"Agent {attr(agent_obj, 'name')!r} v{attr(agent_obj, 'version')}: {model}, SRE system prompt, "
       f"built-in toolset + {len(custom)} custom tools.")


def _nested_tools(exc: BaseException) -> tuple[str, str] | None:
    """2.2: ``tools=[toolset, incident.CUSTOM_TOOLS]`` sends a list inside the list of tools, and the API refuses the
    agent (400). Read from the request the learner's code sent, not from the refusal's wording."""
    body = _request_json(exc) if getattr(exc, "status_code", None) == 400 else None
    tools = body.get("tools") if isinstance(body, dict) else None
    nested = [i for i, tool in enumerate(tools) if isinstance(tool, list)] if isinstance(tools, list) else []
    if not nested:
        return None
    i = nested[0]
    inner = tools[i]
    custom = bool(inner) and all(isinstance(t, dict) and t.get("type") == "custom" for t in inner)
    what = ("`incident.CUSTOM_TOOLS` is itself a list, so `[toolset, incident.CUSTOM_TOOLS]` puts a list inside "
            "the list" if custom else "a list inside the list")
    return (f"TODO 2.2 is not done yet: the API refused the agent (400: {_clip(_api_detail(exc), 120)}). tools[{i}] "
            f"is a list of {len(inner)}, not one tool: {what}. `tools` must be one flat list of tools.",
            "unpack the custom tools with `*`: tools=[toolset, *incident.CUSTOM_TOOLS]. Then run the TODO 2.2 cell "
            "again, and this one.")


_EXPLAIN["2.2"] = _nested_tools

_TOOLSET_SHAPE = ('{"type": "agent_toolset_20260401", "default_config": {"enabled": False}, '
                  '"configs": [{"name": name, "enabled": True} for name in ("bash", "grep", "read", "glob")]}')


def versions(v1: Any, latest: Any) -> None:
    """02 (exercise 2.3): an update makes a new version; version 1 stays as it was."""
    __tracebackhide__ = True
    need(v1, "v1", "2.3", "client.beta.agents.retrieve(agent.id, version=1)")
    need(latest, "latest", "2.3", "the agent after client.beta.agents.update(...)")
    if attr(v1, "id") != attr(latest, "id"):
        fail("`v1` and `latest` are different agents.", "retrieve version 1 of the same agent.id you updated.")
    if attr(v1, "version") != 1:
        fail(f"`v1` is version {attr(v1, 'version')}, not 1.", "pass version=1 to client.beta.agents.retrieve.")
    if (attr(latest, "version") or 0) < 2:
        fail(f"`latest` is still version {attr(latest, 'version')}: the update did not happen.",
             "client.beta.agents.update(agent.id, version=agent.version, description=...) returns the new version.")
    ok(f"Version {attr(latest, 'version')} is live and version 1 is still retrievable, unchanged: agents are immutable.")


# =============================================================================== 03 Session and stream
def session(sess: Any, agent_obj: Any = None, env: Any = None) -> None:
    """03 (exercise 3.1): a session pairing the agent and the environment, with the log mounted."""
    __tracebackhide__ = True
    need(sess, "session", "3.1", "the session that client.beta.sessions.create(...) returns")
    if attr(sess, "type") != "session" or not attr(sess, "id"):
        fail(f"`session` is a {type(sess).__name__}, not a session object.",
             "assign the return value: `session = client.beta.sessions.create(...)`.")
    if agent_obj is not None and attr(sess, "agent.id") != attr(agent_obj, "id"):
        fail("the session runs a different agent than `agent`.", "pass agent=agent.id.")
    if env is not None and attr(sess, "environment_id") != attr(env, "id"):
        fail("the session runs in a different environment than `env`.", "pass environment_id=env.id.")
    mounts = {attr(r, "mount_path"): r for r in attr(sess, "resources") or [] if attr(r, "type") == "file"}
    log = next((m for m in mounts if m and mounted_at(m) == LOG_PATH), None)  # as sent, or as the sandbox has it
    if log is None:
        where = ", ".join(f"{m} → {mounted_at(m)}" for m in sorted(m for m in mounts if m)) or "nothing"
        fail(f"app.log is not mounted where the agent reads it, {LOG_PATH} (mounted: {where}).",
             f"pass resources=[{{\"type\": \"file\", \"file_id\": log_file.id, \"mount_path\": \"{LOG_MOUNT_PATH}\"}}]: "
             "a mount_path is rooted under /mnt/session/uploads.")
    from .resources import WORKSHOP_METADATA

    metadata = attr(sess, "metadata") or {}
    if any(metadata.get(key) != value for key, value in WORKSHOP_METADATA.items()):
        fail(f"the session's metadata ({dict(metadata)}) does not say it is yours: `workshop.py reset` finds your "
             f"sessions by {WORKSHOP_METADATA}.",
             "pass the cell's `**tags` (its title and metadata) to client.beta.sessions.create(...).")
    ok(f"Session ready ({attr(sess, 'status')}): agent v{attr(sess, 'agent.version')} in its environment, "
       f"app.log mounted: {log} → {LOG_PATH}, where the agent reads it.")


_STOP_REASONS = ("end_turn", "requires_action", "retries_exhausted", "budget_reached", "refusal", "terminated")


def stream_loop(events: Any, stop_reason: Any) -> None:
    """03 (exercise 3.2): the hand-written loop collected the events and stopped for the right reason."""
    __tracebackhide__ = True
    not_done("3.2", "events", events)  # its cell raised (the untouched TODO, a deadline, ...): that, not the events
    need(events, "events", "3.2", "the list of events your loop received")
    if is_todo(stop_reason):
        need(stop_reason, "stop_reason", "3.2", "the stop reason of the idle event that ended your loop")
    events = list(events)
    types = [_type_of(e) for e in events]
    if not events:
        fail("your loop saw no events: `events` is empty.",
             "open the stream with `with client.beta.sessions.events.stream(session.id) as stream:` and send the "
             "message inside it; then append every event inside `for event in stream:` before deciding whether to stop.")
    idles = [e for e in events if _type_of(e) == "session.status_idle"]
    if stop_reason is None or stop_reason is Ellipsis:
        if idles:
            fail("you saw session.status_idle but never set stop_reason.",
                 "compare `event.type == \"session.status_idle\"` (the exact string) and set "
                 "`stop_reason = event.stop_reason.type` right before you break.")
        if "session.status_terminated" in types:
            fail("you saw session.status_terminated but never set stop_reason.",
                 "set `stop_reason = \"terminated\"` when event.type == \"session.status_terminated\", then break.")
        fail(f"your loop stopped after {len(events)} event{'s' if len(events) != 1 else ''} (the last one "
             f"{types[-1]}), before any session.status_idle, and stop_reason is {stop_reason!r}.",
             "keep reading until `event.type == \"session.status_idle\"`, then set "
             "`stop_reason = event.stop_reason.type` and break.")
    if not idles and stop_reason != "terminated":
        fail(f"your loop stopped after {len(events)} event{'s' if len(events) != 1 else ''} (the last one "
             f"{types[-1]}), before any session.status_idle: it would cut the agent off mid-turn.",
             "break only on session.status_idle or session.status_terminated.")
    if "agent.message" not in types and "agent.tool_use" not in types and "agent.custom_tool_use" not in types:
        fail("no agent.* events were collected: did you send the user.message after opening the stream?",
             "open the stream with `with client.beta.sessions.events.stream(session.id) as stream:` and send inside it.")
    if stop_reason not in _STOP_REASONS:
        if attr(stop_reason, "type") in _STOP_REASONS:
            fail(f"`stop_reason` is the whole stop_reason object ({type(stop_reason).__name__}), not its type.",
                 "take the string: `stop_reason = event.stop_reason.type`.")
        fail(f"`stop_reason` is {stop_reason!r}, which is not a stop reason.",
             "take it from the idle event: `stop_reason = event.stop_reason.type`.")
    last = types[-1]
    if last not in ("session.status_idle", "session.status_terminated"):
        fail(f"the loop kept reading after the stop: the last event is {last}.",
             "`break` right after you see the idle (or terminated) event.")
    ok(f"Your loop read {len(events)} events and stopped on {stop_reason!r} without hanging.")


#: The text of an event's content (SDK object or dict), blocks joined.
_text = event_text


def _callable(fn: Any, name: str, todo: str, what: str) -> Any:
    __tracebackhide__ = True
    need(fn, name, todo, what)
    if not callable(fn):
        fail(f"`{name}` is a {type(fn).__name__}, not a function.", f"define it with `def {name}(...):` in TODO {todo}.")
    return fn


_event_models: dict = {}


def _event_model(event_type: str) -> Any:
    """The SDK's model for one session event ``type`` (a member of its session-event union)."""
    if not _event_models:
        import typing

        from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent

        union = typing.get_args(BetaManagedAgentsSessionEvent)[0]  # Annotated[Union[...], discriminator]
        models = {literal: model for model in typing.get_args(union)
                  for literal in typing.get_args(model.model_fields["type"].annotation)}
        _event_models.update(models)  # whole, at once: a second thread sees all of it or builds it too
    return _event_models[event_type]


def _sdk_event(data: dict) -> Any:
    """A real SDK event object (what the stream yields), built from a dict: the checks feed these to your code.
    Validated by its own model (a TypeAdapter of the whole union would be built once more per kernel, ~15 ms)."""
    return _event_model(data["type"]).model_validate({"processed_at": "2026-11-18T14:30:00Z", **data})


def _history(client: Any, session_id: str) -> list:
    return list(client.beta.sessions.events.list(session_id, limit=1000))


def _unanswered_calls(history: list) -> tuple[list, dict]:
    """(custom tool uses without a result, {custom_tool_use_id: number of results})."""
    results: dict = {}
    for e in history:
        if _type_of(e) == "user.custom_tool_result":
            key = attr(e, "custom_tool_use_id")
            results[key] = results.get(key, 0) + 1
    calls = [e for e in history if _type_of(e) == "agent.custom_tool_use"]
    return [c for c in calls if attr(c, "id") not in results], results


# =============================================================================== 04 Custom tools
def tool_handler(handle_tool: Any) -> None:
    """04 (exercise 4.2, optional): the learner's own dispatch, ``my_handle_tool(name, args)``, runs the real incident
    tools and raises on bad calls. (Its own name: the notebook's ``handle_tool``, which 4.1's loop calls, stays
    ``incident.handle_tool`` whatever the optional exercise's cell holds.)"""
    __tracebackhide__ = True
    from . import incident

    _callable(handle_tool, "my_handle_tool", "4.2", "a function my_handle_tool(name, args) that returns the tool's text")
    cases = [
        ("list_deploys", {"service": "checkout"}, "dep_4820"),
        ("get_diff", {"ref": "dep_4820", "path": "order_summary.py"}, "filter_by(sku=item.sku)"),
        ("get_metrics", {"service": "checkout", "metric": "p99_ms", "compare_at": "2026-11-18T14:07:00Z"}, "p99_ms"),
    ]
    for name, args, needle in cases:
        try:
            out = handle_tool(name, dict(args))
        except NotImplementedError:
            not_written("4.2", "my_handle_tool")
        except Exception as exc:
            fail(f"my_handle_tool({name!r}, {args}) raised {type(exc).__name__}: {exc}",
                 f"call the matching function with the arguments as keywords: incident.{name}(**args).")
        if not isinstance(out, str):
            fail(f"my_handle_tool({name!r}, ...) returned a {type(out).__name__}; the agent reads text.",
                 f"return what incident.{name} returns: it is already a string.")
        expected = getattr(incident, name)(**args)
        if out != expected:
            fail(f"my_handle_tool({name!r}, {args}) did not return what incident.{name}(**args) returns.",
                 "dispatch to the real function and return its result unchanged: the facts must come from the evidence.")
        if needle not in out:
            fail(f"my_handle_tool({name!r}, ...) returned text without {needle!r}.", "return the function's result as it is.")
    for name, args, why in (("restart_database", {}, "a tool the agent does not have"),
                            ("get_diff", {"ref": "dep_9999"}, "a deploy that does not exist")):
        try:
            out = handle_tool(name, dict(args))
        except NotImplementedError:
            fail("my_handle_tool raises NotImplementedError for some names.", "finish TODO 4.2.")
        except Exception:
            continue
        fail(f"my_handle_tool({name!r}, {args}) ({why}) returned {_clip(str(out), 60)!r} instead of raising.",
             "raise an exception for an unknown name (e.g. ValueError) and let incident's own errors propagate: "
             "the next exercise turns exceptions into is_error results the agent can read.")
    ok("my_handle_tool runs the four incident tools on your laptop: list_deploys names dep_4820, get_diff shows "
       "the N+1 query, and bad calls raise.")


def _raised_in_handle_tool(exc: BaseException) -> bool:
    """Whether ``exc`` came out of the tool dispatch (the learner's my_handle_tool, a handle_tool, or helpers.incident),
    not the code around it."""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name in ("my_handle_tool", "handle_tool") or "helpers/incident/" in code.co_filename.replace("\\", "/"):
            return True
        tb = tb.tb_next
    return False


def tool_answer(answer: Any) -> None:
    """04 (exercise 4.3, optional): answer(ev) builds the user.custom_tool_result for one agent.custom_tool_use."""
    __tracebackhide__ = True
    _callable(answer, "answer", "4.3", "a function answer(ev) that returns a user.custom_tool_result event")

    def run(name: str, tool_input: dict, eid: str) -> dict:
        ev = _sdk_event({"type": "agent.custom_tool_use", "id": eid, "name": name, "input": tool_input})
        try:
            out = answer(ev)
        except NotImplementedError as exc:
            other = re.match(r"TODO (\d+(?:\.\d+)*)\b", str(exc))
            if other and other.group(1) != "4.3":  # answer() is written; the my_handle_tool it calls is not
                skipped("4.3", f"answer() calls my_handle_tool, which TODO {other.group(1)} has not written yet (it "
                        "raises NotImplementedError): write that one first")
            not_written("4.3", "answer")
        except Exception as exc:
            kind = type(exc).__name__
            if _raised_in_handle_tool(exc):
                if name == "list_deploys":
                    fail(f"my_handle_tool raised {_a(kind)} for a good call, list_deploys({tool_input}): {exc}",
                         "fix my_handle_tool (TODO 4.2) until check.tool_handler(my_handle_tool) passes, then run this "
                         "cell again.")
                fail(f"answer() let {_a(kind)} from my_handle_tool escape for the bad call {name}({tool_input}): {exc}",
                     "wrap the my_handle_tool call in try/except and send the error text with \"is_error\": True; "
                     "an unanswered call leaves the agent waiting.")
            fail(f"answer() raised {_a(kind)} in its own code for {name}({tool_input}): {exc}",
                 "that is your event-building code, not my_handle_tool: ev is an SDK event object, so read its fields as "
                 "attributes: ev.id (the call's id), ev.name and ev.input (not ev[\"id\"], not ev.tool_use_id).")
        if not isinstance(out, dict):
            fail(f"answer() returned a {type(out).__name__}, not an event dict.",
                 "return {\"type\": \"user.custom_tool_result\", \"custom_tool_use_id\": ev.id, \"content\": [...]}.")
        if out.get("type") != "user.custom_tool_result":
            fail(f"the event's type is {out.get('type')!r}.", "use \"type\": \"user.custom_tool_result\".")
        if "custom_tool_use_id" not in out and "tool_use_id" in out:
            fail("you used \"tool_use_id\": that key belongs to user.tool_confirmation (built-in tools).",
                 "a custom tool result answers with \"custom_tool_use_id\": ev.id.")
        if out.get("custom_tool_use_id") != eid:
            fail(f"custom_tool_use_id is {out.get('custom_tool_use_id')!r}, not the id of the call ({eid!r}).",
                 "use \"custom_tool_use_id\": ev.id: it is how the agent matches your answer to its question.")
        if "is_error" in out and not isinstance(out["is_error"], bool):
            fail(f"is_error is {out['is_error']!r} (a {type(out['is_error']).__name__}); it must be a bool.",
                 "use True or False without quotes: \"is_error\": False for a result, True for an error.")
        content = out.get("content")
        if not (isinstance(content, list) and content and all(isinstance(b, dict) and b.get("type") == "text"
                                                             and isinstance(b.get("text"), str) for b in content)):
            fail(f"content is {_clip(content)}, not a list of text blocks.",
                 "use \"content\": [{\"type\": \"text\", \"text\": result}].")
        return out

    good = run("list_deploys", {"service": "checkout"}, "sevt_check_good")
    if good.get("is_error"):
        fail("a good call (list_deploys) was answered with is_error: True.",
             f"is_error should be False (or absent) when my_handle_tool returns normally; the text was: "
             f"{_clip(_text(good), 100)!r}")
    if "dep_4820" not in _text(good):
        fail("the answer to list_deploys(service='checkout') does not contain dep_4820.",
             "put my_handle_tool(ev.name, ev.input) in the text block.")
    for name, tool_input, eid in (("get_diff", {"ref": "dep_9999"}, "sevt_check_bad_ref"),
                                  ("restart_database", {}, "sevt_check_unknown")):
        bad = run(name, tool_input, eid)
        if bad.get("is_error") is not True:
            fail(f"the failed call {name}({tool_input}) was answered without \"is_error\": True.",
                 "catch the exception and send its message with \"is_error\": True so the agent knows the call failed.")
        if not _text(bad).strip():
            fail(f"the error answer to {name}(...) has no text.",
                 "put the exception's message in the text block: the agent reads it.")
    ok("answer() turns every tool call into a user.custom_tool_result: the result for good calls, "
       "is_error: True with the reason for bad ones.")


def _final_idle(event: Any) -> bool:
    """An idle the agent will not resume from by itself (anything but requires_action), or termination."""
    kind = _type_of(event)
    return kind == "session.status_terminated" or (
        kind == "session.status_idle" and attr(event, "stop_reason.type") != "requires_action")


def _no_more_turns(event: Any) -> bool:
    """The stub's reply to a message sent after its recording ended (helpers.stub.replay.NO_MORE_TURNS)."""
    return _type_of(event) == "agent.message" and _text(event).startswith("(replay) This recording has no more turns")


def _short_input(value: Any, n: int = 60) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in dict(value or {}).items()) if isinstance(value, dict) else repr(value)
    return _clip_structure(text, n) if len(text) > n else text  # key='value' pairs: cut between them


def _wrong_tool_results(history: list) -> list[str]:
    """A sentence for each user.custom_tool_result that is not what helpers.incident returns for its call."""
    from . import incident

    calls = {attr(e, "id"): e for e in history if _type_of(e) == "agent.custom_tool_use"}
    problems = []
    for result in (e for e in history if _type_of(e) == "user.custom_tool_result"):
        call = calls.get(attr(result, "custom_tool_use_id"))
        if call is None:
            continue
        name, tool_input = attr(call, "name"), attr(call, "input") or {}
        what = f"{name}({_short_input(tool_input)})"
        sent = _text(result)
        if not sent.strip():
            problems.append(f"the result you sent for {what} has no text")
            continue
        expected = incident.run_tool(name, tool_input)
        if expected.is_error:
            continue  # a bad call: its error text goes back, with "is_error": True or without (the API reads it as false)
        if attr(result, "is_error"):
            problems.append(f"the result you sent for {what} has \"is_error\": True, but handle_tool returns a result "
                            f"for it; you sent {_clip(sent)!r}")
        elif sent.strip() != expected.text.strip():
            problems.append(f"the result you sent for {what} is not what handle_tool({name!r}, ev.input) returns; "
                            f"you sent {_clip(sent)!r}")
    return problems


def _unnoted(history: list, answered: Any) -> None:
    """Fail when a call the loop answered is not in ``answered``: the given stop then ends the loop at the
    requires_action idle after that answer, or not, depending on whether the idle or the answer comes first (the
    order is the service's, not the loop's). Judged on what was answered, so the verdict is the same every run."""
    __tracebackhide__ = True
    try:
        noted = set(answered)
    except TypeError:
        fail(f"`answered` is {_a(type(answered).__name__)}, not a set of ids.", "keep `answered = set()` as given.")
    calls = {attr(e, "id"): attr(e, "name") for e in history if _type_of(e) == "agent.custom_tool_use"}
    sent = [attr(e, "custom_tool_use_id") for e in history if _type_of(e) == "user.custom_tool_result"]
    missing = [i for i in dict.fromkeys(sent) if i in calls and i not in noted]
    if missing:
        names = ", ".join(calls[i] for i in missing[:4]) + (" ..." if len(missing) > 4 else "")
        fail(f"you answered {len(missing)} tool call{'s' if len(missing) != 1 else ''} ({names}) without adding "
             f"{'their ids' if len(missing) != 1 else 'its id'} to `answered`. After each call the agent pauses "
             "(requires_action) until your answer arrives; the loop goes on past that pause only for calls in "
             "`answered`, so yours may stop there, before the investigation is done (on some runs, not on others).",
             "keep `answered.add(ev.id)` right after the send of your `reply`, as the TODO 4.1 cell gives it.")


def _reply_refused(exc: BaseException) -> tuple[str, str] | None:
    """4.1: what the cell's send of the learner's ``reply`` (or its absence) means."""
    if isinstance(exc, NameError) and getattr(exc, "name", None) in ("reply", "result"):
        return (f"TODO 4.1 is not done yet: the cell sends `reply`, but your code did not set `{exc.name}` "
                "(NameError) before it.",
                "in the TODO 4.1 block, set `result = handle_tool(ev.name, ev.input)`, then `reply` = the "
                "user.custom_tool_result that answers `ev`; run the cell again: it starts a fresh session.")
    status = getattr(exc, "status_code", None)
    if status is None or not _raised_in_send(exc):
        return None
    body = _request_json(exc)
    events = body.get("events") if isinstance(body, dict) else None
    if isinstance(events, list) and events and not isinstance(events[0], dict):
        return (f"TODO 4.1 is not done yet: `reply` is {_a(type(events[0]).__name__)}, and the API refused it ({status}): "
                "the cell sends `events=[reply]`, so `reply` must be one event, a dict.",
                "make `reply` a dict: {\"type\": \"user.custom_tool_result\", \"custom_tool_use_id\": ..., "
                "\"content\": [...]}; then run the TODO 4.1 cell again: it starts a fresh session.")
    return (f"TODO 4.1 is not done yet: the API refused your `reply` ({status}, {type(exc).__name__}): "
            f"{_clip(_api_detail(exc), 300)} The session never got it.",
            "fix `reply` where the API's message points (the field, its value), then run the TODO 4.1 cell again: it "
            "starts a fresh session.")


_EXPLAIN["4.1"] = _reply_refused


def investigation(events: Any, answered: Any, client: Any, session_id: str) -> None:
    """04 (exercise 4.1): the loop answered every tool call inline, noted each, and stopped on end_turn."""
    __tracebackhide__ = True
    not_done("4.1", "events", events)
    need(events, "events", "4.1", "the list of events your loop received")
    import inspect

    if inspect.isgenerator(events):
        fail("`events` is a generator: you kept the slide's `yield`.",
             "append each event to the list (events.append(ev)), as the loop of the TODO 4.1 cell does.")
    if not isinstance(events, (list, tuple)):
        fail(f"`events` is {_a(type(events).__name__)}, not a list of events.",
             "append each event to the list (events.append(ev)), as the loop of the TODO 4.1 cell does.")
    events = list(events)
    if not events:
        fail("your loop received no events.", "append every event the stream yields to `events`.")
    if any(_no_more_turns(e) for e in events):
        fail("this session's investigation already ran: the replay has no more turns for it, so the agent only said so.",
             "investigate a new session: the TODO 4.1 cell makes one each time it runs.")
    types = [_type_of(e) for e in events]
    if "session.status_running" not in types and "user.message" not in types:
        fail("the loop never saw the session start running: the stream was probably opened after the message was sent.",
             "open the stream first (`with client.beta.sessions.events.stream(session.id) as stream:`), "
             "then send, inside the with.")
    history = _history(client, session_id)
    _unnoted(history, answered)
    unanswered, results = _unanswered_calls(history)
    last = events[-1]
    waited_for = set(attr(last, "stop_reason.event_ids") or [])
    if (_type_of(last) == "session.status_idle" and attr(last, "stop_reason.type") == "requires_action"
            and waited_for and waited_for <= set(results)):
        then = (f", so the agent's next tool call ({attr(unanswered[0], 'name')}) was never answered" if unanswered
                else ", so your loop missed the rest of the investigation")
        fail(f"your loop stopped on a requires_action idle whose calls you had answered{then}.",
             "keep the cell's `continue` for a pause whose calls are all in `answered` (the agent goes on once your "
             "answers arrive) and `answered.add(ev.id)` after each send: then the loop stops only on another idle, "
             "the end of the investigation.")
    if unanswered:
        names = ", ".join(attr(c, "name") for c in unanswered)
        fail(f"{len(unanswered)} custom tool call(s) were never answered ({names}).",
             "for every agent.custom_tool_use, set `reply` to the user.custom_tool_result that answers it (its "
             "custom_tool_use_id is ev.id, its text what handle_tool(ev.name, ev.input) returns): the cell sends it.")
    twice = [k for k, n in results.items() if n > 1]
    if twice:
        fail(f"{len(twice)} tool call(s) were answered more than once.", "answer each agent.custom_tool_use once.")
    wrong = _wrong_tool_results(history)
    if wrong:
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        fail(f"{wrong[0]}{more}.",
             "the text block of each user.custom_tool_result must hold what handle_tool(ev.name, ev.input) returns: "
             "the agent's only view of your evidence.")
    if _type_of(last) != "session.status_idle" or attr(last, "stop_reason.type") != "end_turn":
        fail(f"the loop ended on {_type_of(last)} ({attr(last, 'stop_reason.type')}), not on an idle with end_turn.",
             "keep the cell's stop as given: it goes on through a pause for calls you answered, and breaks on any "
             "other idle.")
    reports = [_text(e) for e in events if _type_of(e) == "agent.message"]
    report = reports[-1] if reports else ""
    if "dep_4820" not in report:
        fail("the agent's final message does not name dep_4820.",
             "did every tool call get the real result? Look at the user.custom_tool_result lines above.")
    n = len(results)
    sandbox = sum(1 for e in events if _type_of(e) == "agent.tool_use")
    ok(f"Your loop answered {n} custom tool call{'s' if n != 1 else ''} inline, each exactly once (the sandbox ran "
       f"its {sandbox} tool call{'s' if sandbox != 1 else ''} itself), and stopped on end_turn: the report names dep_4820.")


# =============================================================================== 05 Replay and lifecycle
def all_events(events: Any, client: Any, session_id: str) -> None:
    """05 (exercise 5.1): every event of the session, oldest first, across pages."""
    __tracebackhide__ = True
    need(events, "events", "5.1", "every event of the session, oldest first (a list)")
    events = list(events)
    truth = _history(client, session_id)
    ids = [attr(e, "id") for e in events]
    want = [attr(e, "id") for e in truth]
    this_session = "list this notebook's session: client.beta.sessions.events.list(session.id, limit=25)"
    if not ids:
        fail(f"`events` is empty, but this session has {len(want)} events: these are not this session's events.",
             this_session + ", and list() it.")
    foreign = [i for i in ids if i not in set(want)]
    if foreign:
        fail(f"{len(foreign)} of your {len(ids)} events are not in this session's history: these are not this "
             "session's events.", this_session + ".")
    if len(ids) > 1 and ids == [i for i in reversed(want) if i in set(ids)]:
        fail("the events are newest first.", "leave order at its default (\"asc\") or pass order=\"asc\".")
    have_types = {_type_of(e) for e in events}
    all_types = {_type_of(e) for e in truth}
    missing_types = sorted(t for t in all_types - have_types if t)
    if missing_types and {i for i in want if _type_of(truth[want.index(i)]) in have_types} <= set(ids):
        fail(f"you filtered by type: there is no {', '.join(missing_types[:3])}"
             f"{' ...' if len(missing_types) > 3 else ''} among your events.",
             "list them all: leave out types= (5.2 is where the filter helps).")
    if len(ids) < len(want) and ids == want[: len(ids)]:
        fail(f"you have {len(ids)} of the session's {len(want)} events: only the first page.",
             "iterate the page object itself (`for ev in client.beta.sessions.events.list(...)`) or `list(...)` it: "
             "the SDK follows next_page for you. `.data` is one page only.")
    if len(ids) != len(set(ids)):
        fail(f"some events appear more than once ({len(ids)} events, {len(set(ids))} different).",
             "list() the page object once: the SDK fetches every page exactly once.")
    if sorted(map(str, ids)) != sorted(map(str, want)):
        fail(f"you have {len(ids)} events; the session has {len(want)}, and they are not the same ones.",
             "list the events of this session (session.id) without a types= filter.")
    if ids != want:
        fail("the events are all there but out of order.", "keep them in the order the SDK returns them (oldest first).")
    ok(f"All {len(ids)} events, oldest first, fetched page by page: the platform is the record of the session.")


def conversation(turns: Any, client: Any, latest: Any) -> None:
    """05 (exercise 5.2): the newest session found on the platform, and its conversation rebuilt after a hard refresh."""
    __tracebackhide__ = True
    need(latest, "latest", "5.2", "the agent's newest session, from client.beta.sessions.list(agent_id=agent.id, limit=1)")
    need(turns, "conversation", "5.2", "a list of (who, text) pairs, one per user.message and agent.message")
    session_id = attr(latest, "id")
    newest = client.beta.sessions.list(agent_id=attr(latest, "agent.id"), limit=1).data
    if attr(latest, "type") != "session" or not newest or attr(newest[0], "id") != session_id:
        fail("`latest` is not the agent's newest session.",
             "sessions.list returns newest first: client.beta.sessions.list(agent_id=agent.id, limit=1).data[0].")
    turns = list(turns)
    truth = [e for e in _history(client, session_id) if _type_of(e) in ("user.message", "agent.message")]
    if any(not (isinstance(t, (tuple, list)) and len(t) == 2) for t in turns):
        fail("`conversation` should hold (who, text) pairs.", "build tuples like (\"you\", text) and (\"agent\", text).")
    if len(turns) != len(truth):
        fail(f"`conversation` has {len(turns)} turns; the session has {len(truth)} user and agent messages.",
             "list the session's events with types=[\"user.message\", \"agent.message\"] (every page).")
    labels = {"user.message": "you", "agent.message": "agent"}
    for (who, text), ev in zip(turns, truth, strict=True):
        expected = labels[_type_of(ev)]
        if who != expected:
            swapped = {"you": "agent", "agent": "you"}.get(expected) == who
            fail(f"a {_type_of(ev)} turn is labelled {who!r}, not {expected!r}"
                 + (": the labels are swapped." if swapped else "."),
                 "who is \"you\" for a user.message and \"agent\" for an agent.message: "
                 "(\"you\" if ev.type == \"user.message\" else \"agent\", text).")
        if text != _text(ev):
            fail(f"a turn's text does not match the {_type_of(ev)} event it should come from.",
                 "join the text blocks of each event's content: \"\".join(b.text for b in ev.content if b.type == \"text\").")
    if "dep_4820" not in turns[-1][1]:
        fail("the last turn is not the agent's report.", "keep the events in order, oldest first.")
    ok(f"{len(turns)} turns rebuilt from the platform alone: no local state survived the refresh, and nothing was lost.")


def resumed(new_events: Any, client: Any, session_id: str) -> None:
    """05 (exercise 5.3): reconnect = stream first, then history, then tail; nothing missed, nothing twice."""
    __tracebackhide__ = True
    need(new_events, "new_events", "5.3", "the events resume(...) received after reconnecting")
    new_events = list(new_events)
    history = _history(client, session_id)
    unanswered, results = _unanswered_calls(history)
    if unanswered:
        fail(f"{len(unanswered)} tool call(s) are still unanswered, e.g. {attr(unanswered[0], 'name')}: the agent is waiting.",
             "after listing the history, answer every agent.custom_tool_use that has no user.custom_tool_result yet.")
    twice = [k for k, n in results.items() if n > 1]
    if twice:
        fail(f"{len(twice)} tool call(s) were answered twice.",
             "collect the answered ids from the history (custom_tool_use_id of each user.custom_tool_result) and skip them.")
    ids = [attr(e, "id") for e in new_events]
    if len(ids) != len(set(ids)):
        fail("resume() returned the same event more than once.", "skip stream events whose id you have already seen.")
    already_done = not new_events and bool(history) and _final_idle(history[-1])
    if not already_done and (not new_events or _type_of(new_events[-1]) != "session.status_idle"
                             or attr(new_events[-1], "stop_reason.type") != "end_turn"):
        fail("resume() did not follow the session to its end_turn.",
             "after catching up, tail the stream until an idle whose stop_reason is not requires_action.")
    status = attr(client.beta.sessions.retrieve(session_id), "status")
    report = next((_text(e) for e in reversed(history) if _type_of(e) == "agent.message"), "")
    if "dep_4820" not in report:
        fail("the session's last agent.message does not name dep_4820.", "did every tool call get its real result?")
    if already_done:
        ok(f"The session had already finished (its history ends on a final idle): nothing to resume, nothing "
           f"repeated; {len(results)} tool calls answered once each, report in.")
        return
    ok(f"Reconnected without missing or repeating anything: {len(results)} tool calls answered once each, "
       f"session {status}, report in.")


# =============================================================================== 06 Beyond the basics
def interrupted(events: Any, client: Any, session_id: str) -> None:
    """06 (exercise 6.1): a user.interrupt mid-run, then the session idles."""
    __tracebackhide__ = True
    need(events, "events", "6.1", "the events your interrupting loop received")
    events = list(events)
    history = _history(client, session_id)
    types = [_type_of(e) for e in history]
    if "user.interrupt" not in types:
        fail("no user.interrupt reached the session.",
             "send it with client.beta.sessions.events.send(session_id, events=[{\"type\": \"user.interrupt\"}]).")
    if types.count("user.interrupt") > 1:
        fail("the loop sent user.interrupt more than once.", "send it once (remember that you did, e.g. interrupted = True).")
    commands = types.count("agent.tool_result")
    if commands > 6:
        fail(f"the agent ran {commands} commands before stopping: the interrupt came late (or after the run ended).",
             "send the interrupt as soon as your condition is met, inside the stream loop.")
    if not events or _type_of(events[-1]) != "session.status_idle":
        fail("your loop did not stop on the idle that follows the interrupt.",
             "keep reading after sending the interrupt; break on session.status_idle.")
    status = attr(client.beta.sessions.retrieve(session_id), "status")
    if status != "idle":
        fail(f"the session is {status!r} after the interrupt, not idle.", "read the stream until the session.status_idle.")
    ok(f"Interrupted after {commands} command{'s' if commands != 1 else ''}: the agent stopped at once and the session "
       "is idle, ready for your next message.")


def confirmation(confirm: Any) -> None:
    """06 (exercise 6.2): the user.tool_confirmation event for allow and for deny."""
    __tracebackhide__ = True
    _callable(confirm, "confirmation", "6.2", "a function confirmation(tool_use, allow, deny_message=None) returning an event")
    tool_use = _sdk_event({"type": "agent.tool_use", "id": "sevt_check_bash", "name": "bash",
                           "input": {"command": f"grep -c 'slow query' {LOG_PATH}"},
                           "evaluated_permission": "ask", "evaluation": {"type": "always_ask"}})

    def call(*args: Any, **kwargs: Any) -> dict:
        try:
            out = confirm(tool_use, *args, **kwargs)
        except NotImplementedError:
            fail("confirmation still raises NotImplementedError: TODO 6.2 is not done yet.",
                 "write the function, then run its cell.")
        except Exception as exc:
            hint = ("build and return the dict only; the agent.tool_use's id is tool_use.id (an SDK event: read its "
                    "fields as attributes, not tool_use[\"id\"] or tool_use.tool_use_id).")
            if isinstance(exc, TypeError) and "argument" in str(exc):
                hint = "define it as `def confirmation(tool_use, allow, deny_message=None):`."
            fail(f"confirmation() raised {_a(type(exc).__name__)}: {exc}", hint)
        if not isinstance(out, dict):
            fail(f"confirmation() returned a {type(out).__name__}, not an event dict.",
                 "return {\"type\": \"user.tool_confirmation\", \"tool_use_id\": tool_use.id, \"result\": ...}.")
        if out.get("type") != "user.tool_confirmation":
            fail(f"the event's type is {out.get('type')!r}.", "use \"type\": \"user.tool_confirmation\".")
        if out.get("tool_use_id") != "sevt_check_bash":
            fail(f"tool_use_id is {out.get('tool_use_id')!r}, not the id of the agent.tool_use.",
                 "use \"tool_use_id\": tool_use.id.")
        return out

    yes = call(True)
    if yes.get("result") != "allow":
        fail(f"confirmation(tool_use, True) has result {yes.get('result')!r}.", "allow=True means \"result\": \"allow\".")
    if "deny_message" in call(True, "ignored"):
        fail("an allow carries a deny_message; the API rejects that.", "add \"deny_message\" only when denying.")
    no = call(False, "No shell in production; use query_logs.")
    if no.get("result") != "deny":
        fail(f"confirmation(tool_use, False, ...) has result {no.get('result')!r}.", "allow=False means \"result\": \"deny\".")
    if no.get("deny_message") != "No shell in production; use query_logs.":
        fail("the deny has no deny_message (or a different one).",
             "pass the reason on: \"deny_message\": deny_message. The agent reads it and adapts.")
    ok("confirmation() allows, or denies with a reason the agent will read.")


def outcome(event: Any) -> None:
    """06 (exercise 6.3): a user.define_outcome with a description and a text rubric."""
    __tracebackhide__ = True
    need(event, "outcome", "6.3", "the user.define_outcome event (a dict)")
    if not isinstance(event, dict):
        fail(f"`outcome` is a {type(event).__name__}, not an event dict.", "build a dict with \"type\": \"user.define_outcome\".")
    if event.get("type") != "user.define_outcome":
        fail(f"the event's type is {event.get('type')!r}.", "use \"type\": \"user.define_outcome\".")
    if not str(event.get("description") or "").strip():
        fail("the outcome has no description.", "say what you want produced: \"description\": POSTMORTEM.")
    rubric = event.get("rubric")
    if not isinstance(rubric, dict) or rubric.get("type") != "text" or not str(rubric.get("content") or "").strip():
        fail(f"rubric is {_clip(rubric, 60)}, not a text rubric.",
             "use \"rubric\": {\"type\": \"text\", \"content\": RUBRIC}: the criteria the grader checks.")
    n = event.get("max_iterations")
    if n is not None and (not isinstance(n, int) or n < 1):
        fail(f"max_iterations is {n!r}.", "give a small positive int (e.g. 3), or leave it out.")
    from anthropic.types.beta.sessions import BetaManagedAgentsUserDefineOutcomeEventParams
    from pydantic import TypeAdapter

    try:
        TypeAdapter(BetaManagedAgentsUserDefineOutcomeEventParams).validate_python(event)
    except Exception as exc:
        fail(f"the SDK's user.define_outcome shape rejects it: {str(exc).splitlines()[0]}",
             "keys: type, description, rubric, and optionally max_iterations.")
    criteria = [ln for ln in rubric["content"].splitlines() if ln.strip()]
    ok(f"An outcome with {len(criteria)} rubric line{'s' if len(criteria) != 1 else ''}: a grader will check the "
       "agent's work against them.")


# =============================================================================== 07 Ship it
def _workshop_metadata() -> dict:
    from .resources import WORKSHOP_METADATA

    return dict(WORKSHOP_METADATA)


def deployment(ensure_deployment: Any, client: Any, agent_obj: Any, log_file: Any) -> None:
    """07 (exercise 7.1): the investigator deployed with the alert, app.log, a budget and the workshop metadata;
    calling ``ensure_deployment`` again reuses it."""
    __tracebackhide__ = True
    fn = _callable(ensure_deployment, "ensure_deployment", "7.1", "a function ensure_deployment(client)")
    try:
        first = fn(client)
        again = fn(client)
    except CheckFailed:
        raise
    except Exception as exc:  # the API's own message says what was wrong
        fail(f"ensure_deployment(client) raised {_a(type(exc).__name__)}: {_clip(str(exc), 300)}",
             "read the message: it names the field that is wrong (budget amounts are cents in a string, e.g. \"500\").")
    if attr(first, "type") != "deployment":
        fail(f"ensure_deployment(client) returned {type(first).__name__}, not a deployment.",
             "return what client.beta.deployments.create(...) (or the one you found in deployments.list) returns.")
    if attr(again, "id") != attr(first, "id"):
        fail("calling ensure_deployment(client) twice made two deployments.",
             "look for an active deployment with your name and the workshop metadata first "
             "(client.beta.deployments.list(...)), and create one only when there is none.")
    if attr(first, "archived_at"):
        fail("the deployment you return is archived.", "skip archived deployments when you look for yours.")
    meta = attr(first, "metadata") or {}
    if any(meta.get(k) != v for k, v in _workshop_metadata().items()):
        fail(f"its metadata is {meta}, without the workshop's.", "pass metadata=resources.WORKSHOP_METADATA, so it can be "
             "found again (and cleaned up).")
    if attr(first, "agent.id") != attr(agent_obj, "id"):
        fail(f"it deploys agent {attr(first, 'agent.id')!r}, not the investigator {attr(agent_obj, 'id')!r}.",
             "agent=agent.id deploys the investigator (pinned to its current version).")
    events = attr(first, "initial_events") or []
    messages = [e for e in events if attr(e, "type") == "user.message"]
    if not messages or "report.md" not in " ".join(event_text(m) for m in messages):
        fail("its initial events hold no user.message with the alert (which asks for /mnt/session/outputs/report.md).",
             "initial_events=[ALERT_EVENT]: the alert starts every run's work.")
    mounts = [attr(r, "mount_path") for r in attr(first, "resources") or [] if attr(r, "file_id") == attr(log_file, "id")]
    if not any(mounted_at(m) == LOG_PATH for m in mounts if m):
        fail(f"app.log is not mounted where the agent reads it, {LOG_PATH} (mounts: {mounts or 'none'}).",
             "resources=[{\"type\": \"file\", \"file_id\": log_file.id, \"mount_path\": resources.LOG_MOUNT_PATH}].")
    cap = attr(first, "budget.max_list_cost")
    if cap is None:
        fail("the deployment has no budget: each run could spend without limit.",
             "budget=BUDGET: {\"type\": \"limit\", \"max_list_cost\": {\"amount\": \"500\", \"currency\": \"USD\"}}.")
    # this agent's deployments only: a shared workspace may hold other people's deployments with the same name
    named = [d for d in client.beta.deployments.list(agent_id=attr(agent_obj, "id"), limit=100)
             if attr(d, "name") == attr(first, "name")]
    if len(named) > 1:
        fail(f"{len(named)} active deployments of the investigator are named {attr(first, 'name')!r}: earlier runs of "
             "your cell left copies.",
             "archive the extra ones (client.beta.deployments.archive(id)), then run the cells again.")
    ok(f"Deployment {attr(first, 'name')!r}: the alert as its first message, app.log mounted, a "
       f"${int(attr(cap, 'amount')) / 100:.2f} budget per run, the workshop metadata; running the cell again reuses it.")


def _respond_none(respond: Any, client: Any, deployment_id: str) -> None:
    """``respond(None)`` returns None and fires nothing (the 7.2 goal: no alert, no run)."""
    def count() -> int:
        return len(list(client.beta.deployment_runs.list(deployment_id=deployment_id, limit=100)))

    before = count()
    try:
        nothing = respond(None)
    except Exception as exc:
        fail(f"respond(None) raised {_a(type(exc).__name__)}: {_clip(str(exc), 200)}",
             "when alert is None nothing fired: start respond with `if alert is None: return None`.")
    if nothing is not None or count() != before:
        fail(f"respond(None) {'ran the deployment' if count() != before else 'returned ' + type(nothing).__name__}"
             ", but no alert fired.", "start respond with `if alert is None: return None`.")


def responded(result: Any, client: Any, deployment_obj: Any, respond: Any = None) -> None:
    """07 (exercise 7.2): ``respond(None)`` is None, the deployment ran, its run is in the run history, and loop.run
    followed its session to the end (without sending a message of its own)."""
    __tracebackhide__ = True
    need(result, "result", "7.2", "what loop.run returned for the run's session")
    session_id = attr(result, "session_id")
    if not session_id or not hasattr(result, "stop_reason"):
        fail(f"`result` is {type(result).__name__}, not what loop.run returns.",
             "return loop.run(client, run.session_id, handle_tool=incident.handle_tool).")
    if respond is not None:
        _respond_none(respond, client, attr(deployment_obj, "id"))
    runs = [r for r in client.beta.deployment_runs.list(deployment_id=attr(deployment_obj, "id"), limit=100)
            if attr(r, "session_id") == session_id]
    if not runs:
        fail("the session you followed was not created by a run of your deployment.",
             "run = client.beta.deployments.run(deployment.id), then follow run.session_id.")
    history = _history(client, session_id)
    sent = [e for e in history if _type_of(e) == "user.message"]
    if len(sent) > 1:
        fail(f"the session got {len(sent)} user.message events: you sent one of your own.",
             "the deployment already sent the alert; call loop.run(client, run.session_id, handle_tool=...) with no message.")
    if attr(result, "stop_reason") != "end_turn":
        fail(f"loop.run stopped with {attr(result, 'stop_reason')!r}, not end_turn.",
             "pass handle_tool=incident.handle_tool: the agent's custom tools run on your laptop, even for a deployment.")
    calls, answered = _unanswered_calls(history)
    if calls:
        fail(f"{len(calls)} custom tool call(s) went unanswered.", "pass handle_tool=incident.handle_tool to loop.run.")
    if "dep_4820" not in attr(result, "text", ""):
        fail("the agent's last message does not name the culprit deploy.", "follow the session to its end_turn.")
    ok(f"A {attr(runs[0], 'trigger_context.type')} run of the deployment: its session investigated "
       f"({len(answered)} custom tool call(s) answered from here) and ended with end_turn, naming dep_4820.")


def report(outputs: Any, client: Any, session_id: str) -> None:
    """07 (exercise 7.3): the session's outputs, {filename: text}, listed with list_outputs (files.list(scope_id=...)
    with the Managed Agents beta header) and read with files.download."""
    __tracebackhide__ = True
    need(outputs, "outputs", "7.3", "a dict {filename: text} of the session's output files")
    if not isinstance(outputs, dict):
        fail(f"`outputs` is {type(outputs).__name__}, not a dict.", "build {f.filename: text} in a loop over the files.")
    downloadable = {attr(f, "filename") for f in list_outputs(client, session_id, expect=["report.md"])}
    extra = sorted(set(outputs) - downloadable)
    if extra:
        fail(f"{extra} are not outputs the agent wrote (the session's copy of a file you uploaded is listed too, "
             "but cannot be downloaded).", "keep only the files whose .downloadable is True.")
    if "report.md" not in outputs:
        fail(f"no report.md among {sorted(outputs) or 'no files'}.",
             "list them with list_outputs(client, session_id), download with client.beta.files.download(f.id).")
    text = outputs["report.md"]
    if not isinstance(text, str):
        fail(f"outputs['report.md'] is {type(text).__name__}, not the text.", "use client.beta.files.download(f.id).text().")
    if "dep_4820" not in text:
        fail("report.md does not name the culprit deploy.", "download the file the agent wrote, not another one.")
    ok(f"report.md ({len(text.encode())} bytes) read from the session's outputs: the agent's report, kept after the "
       "session ends.")


# =============================================================================== 08 The investigator learns
# Notebook 08's checks (skills, memory stores, dreams), kept together at the end of the file. They use only the
# framework's public names (need, fail, ok, attr) and helpers of their own, prefixed _nb08_.
__all__ += ["skill_upload", "effort", "race", "dream"]


def _nb08_function(fn: Any, name: str, todo: str, what: str) -> Any:
    __tracebackhide__ = True
    need(fn, name, todo, what)
    if not callable(fn):
        fail(f"`{name}` is a {type(fn).__name__}, not a function.", f"define it with `def {name}(...):` in TODO {todo}.")
    return fn


def _nb08_call(fn: Any, name: str, *args: Any, hint: str) -> Any:
    """``fn(*args)``, or a ❌ naming the exception it raised (its message says what the API refused)."""
    __tracebackhide__ = True
    try:
        return fn(*args)
    except CheckFailed:
        raise
    except Exception as exc:
        fail(f"{name}(...) raised {type(exc).__name__}: {str(exc)[:300]}", hint)


def skill_upload(upload_skill: Any, client: Any, skill_dir: Any) -> None:
    """08 (exercise 8.1): ``upload_skill(paths)`` makes a skill whose files sit under the folder's name, SKILL.md at
    the root, titled SKILL_TITLE (the learner's id in it: skills keep no metadata). The check uploads SKILL.md and one
    runbook, looks at what arrived, and deletes its copy."""
    __tracebackhide__ = True
    import io
    import zipfile

    from .resources import learner_name

    fn = _nb08_function(upload_skill, "upload_skill", "8.1", "a function upload_skill(paths)")
    paths = [skill_dir / "SKILL.md", skill_dir / "runbooks" / "latency.md"]
    made = _nb08_call(fn, "upload_skill", paths, hint="read the message: it says what the upload lacks (each file's "
                      "name must be 'incident-runbooks/<path inside the folder>').")
    if attr(made, "type") != "skill":
        fail(f"upload_skill returned {type(made).__name__}, not a skill.", "return what client.beta.skills.create(...) "
             "returns.")
    try:
        data = client.beta.skills.versions.download(attr(made, "latest_version_id"), skill_id=attr(made, "id")).read()
        names = sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())
    finally:
        client.beta.skills.delete(attr(made, "id"))  # the check's copy
    want = ["incident-runbooks/SKILL.md", "incident-runbooks/runbooks/latency.md"]
    if names != want:
        fail(f"the skill holds {names}, not {want}.", "name each file by its path inside the folder, after the folder's "
             "name: f\"{SKILL_DIR.name}/{p.relative_to(SKILL_DIR).as_posix()}\".")
    title = learner_name(skill_dir.name)
    if attr(made, "display_name") != title:
        fail(f"the skill's display name is {attr(made, 'display_name')!r}, not SKILL_TITLE ({title!r}): skills keep no "
             "metadata, so the next cell (and every later run) finds your skill by that title, with your learner id.",
             "pass display_name=SKILL_TITLE to client.beta.skills.create(...).")
    ok(f"upload_skill made skill {attr(made, 'display_name')!r} from {len(paths)} files, SKILL.md at its root (the "
       "check deleted its copy).")


def _nb08_effort(client: Any, session_id: str) -> dict:
    out = {"tool calls": 0, "model requests": 0, "output tokens": 0}
    for ev in client.beta.sessions.events.list(session_id, limit=1000):
        t = attr(ev, "type")
        out["tool calls"] += t in ("agent.tool_use", "agent.custom_tool_use")
        out["model requests"] += t == "span.model_request_start"
        if t == "span.model_request_end":
            out["output tokens"] += attr(ev, "model_usage.output_tokens") or 0
    return out


def effort(effort_fn: Any, client: Any, cold_id: str, warm_id: str) -> None:
    """08 (exercise 8.2): ``effort(session_id)`` counts a session's tool calls, model requests and output tokens."""
    __tracebackhide__ = True
    fn = _nb08_function(effort_fn, "effort", "8.2", "a function effort(session_id) -> dict")
    for label, sid in (("without memory", cold_id), ("with memory", warm_id)):
        got = _nb08_call(fn, "effort", sid, hint="iterate over client.beta.sessions.events.list(session_id, limit=100).")
        want = _nb08_effort(client, sid)
        if not isinstance(got, dict) or set(got) != set(want):
            fail(f"effort(...) returned {str(got)[:120]}, not a dict with the keys {sorted(want)}.",
                 "return {\"tool calls\": ..., \"model requests\": ..., \"output tokens\": ...}.")
        for key in want:
            if got[key] != want[key]:
                how = {"tool calls": "count agent.tool_use and agent.custom_tool_use events",
                       "model requests": "count span.model_request_start events (one per turn of the model)",
                       "output tokens": "add up model_usage.output_tokens of the span.model_request_end events"}[key]
                fail(f"for the session {label}, {key} is {got[key]}; the history says {want[key]}.",
                     f"{how}, over every page of the history (iterate over the list: the SDK fetches the pages).")
    cold, warm = _nb08_effort(client, cold_id), _nb08_effort(client, warm_id)
    ok(f"effort() counts right: {cold['tool calls']} tool calls and {cold['model requests']} model requests without "
       f"memory, {warm['tool calls']} and {warm['model requests']} with it.")


def race(edit_memory: Any, client: Any, store_id: str, memory_id: str, edit: Any, meanwhile: Any) -> None:
    """08 (exercise 8.3): ``edit_memory(memory_id, edit)`` loses the first race (a 409 on its precondition), reads
    again and keeps both changes. The check runs it; ``edit`` lets ``meanwhile`` (the teammate) in, once."""
    __tracebackhide__ = True
    fn = _nb08_function(edit_memory, "edit_memory", "8.3", "a function edit_memory(memory_id, edit)")
    if hasattr(meanwhile, "done"):
        meanwhile.done = False  # the teammate edits once per run of the check
    before = len(client.beta.memory_stores.memory_versions.list(store_id, memory_id=memory_id, limit=100).data)
    got = _nb08_call(fn, "edit_memory", memory_id, edit, hint="catch anthropic.ConflictError (the 409 of a "
                     "failed precondition), read the memory again and re-apply your edit.")
    if not (isinstance(got, tuple) and len(got) == 2):
        fail(f"edit_memory returned {type(got).__name__}, not (memory, attempts).", "return updated, attempt.")
    memory, attempts = got
    text = client.beta.memory_stores.memories.retrieve(memory_id, memory_store_id=store_id).content
    theirs, yours = "Owner: checkout team", edit("").strip()
    if theirs not in text:
        fail("the teammate's line is gone: your update overwrote it.",
             "send precondition={\"type\": \"content_sha256\", \"content_sha256\": <the hash you read>}: the API then "
             "refuses a write over a change you have not seen.")
    if yours not in text:
        fail("your line is not in the memory.", "after a ConflictError, read the memory again and apply edit() to it.")
    after = client.beta.memory_stores.memory_versions.list(store_id, memory_id=memory_id, limit=100).data
    if attempts != 2 or len(after) - before != 2:
        fail(f"edit_memory took {attempts} attempt(s) and added {len(after) - before} version(s); the race should cost "
             "exactly one retry (2 attempts: the teammate's version, then yours).",
             "call edit() after you read and before you update (it is where the teammate gets in), and count the "
             "attempts from 1.")
    ok(f"The first update lost the race (409, memory_precondition_failed_error); the second, on a fresh read, kept "
       f"both lines ({attr(memory, 'content_size_bytes')} bytes, 2 new versions).")


def dream(done: Any, client: Any, store_id: str) -> None:
    """08 (exercise 8.4): ``wait_for`` returned the dream once it stopped; it completed into a new store."""
    __tracebackhide__ = True
    need(done, "done", "8.4", "the dream wait_for returned")
    if attr(done, "type") != "dream":
        fail(f"wait_for returned {type(done).__name__}, not a dream.", "return the dream you retrieved last.")
    status = attr(done, "status")
    if status in ("pending", "running"):
        fail(f"wait_for returned while the dream was {status}.", "keep polling until the status is completed, failed "
             "or canceled.")
    if status != "completed":
        fail(f"the dream ended {status}: {attr(done, 'error.message') or 'no error given'}.",
             "read done.error; create the dream again.")
    outputs = attr(done, "outputs") or []
    out = attr(outputs[0], "memory_store_id") if outputs else None
    if not out or out == store_id:
        fail("the dream names no new output store.", "create it with the default output_behavior (create_new).")
    made = [attr(m, "path") for m in client.beta.memory_stores.memories.list(out, limit=100)]
    since = [v for v in client.beta.memory_stores.memory_versions.list(store_id, limit=100)
             if attr(v, "created_at") > attr(done, "created_at")]
    if since:
        fail(f"the input store changed {len(since)} time(s) since the dream started.",
             "a create_new dream writes only its own store: leave output_behavior out.")
    ok(f"The dream completed: its new store holds {len(made)} memories; the input store has not changed since the "
       "dream began.")


# =============================================================================== 09 A team of investigators
# Notebook 09's checks, in exercise order. This section adds its names to __all__ itself and uses only the
# framework's public names (need, fail, ok, attr, CheckFailed) and helpers of its own, prefixed _nb09_.
__all__ += ["lead", "team_stopped", "vault_credential", "status_update"]

#: Fields of a credential's auth that are write-only (the vaults docs; the SDK's secret_value).
_NB09_SECRET_FIELDS = ("token", "access_token", "refresh_token", "client_secret", "secret_value")


def _nb09_function(fn: Any, name: str, todo: str, what: str) -> Any:
    __tracebackhide__ = True
    need(fn, name, todo, what)
    if not callable(fn):
        fail(f"`{name}` is a {type(fn).__name__}, not a function.", f"define it with `def {name}(...):` in TODO {todo}.")
    return fn


def _nb09_raised(exc: BaseException) -> str:
    name = type(exc).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _nb09_mcp_use(tool: str, tool_input: dict) -> Any:
    """A real SDK agent.mcp_tool_use event (what the stream yields) that waits for a confirmation."""
    from anthropic.types.beta.sessions.beta_managed_agents_agent_mcp_tool_use_event import (
        BetaManagedAgentsAgentMCPToolUseEvent,
    )

    return BetaManagedAgentsAgentMCPToolUseEvent.model_validate({
        "type": "agent.mcp_tool_use", "id": "sevt_check", "processed_at": "2026-11-18T14:30:00Z",
        "mcp_server_name": "statuspage", "name": tool, "input": tool_input, "evaluated_permission": "ask",
        "evaluation": {"type": "always_ask"}})


def _nb09_called_twice(fn: Any, client: Any, name: str, todo: str) -> tuple[Any, Any]:
    """``fn(client)`` twice (the second must reuse what the first made); the API's own error says what was wrong."""
    __tracebackhide__ = True
    try:
        return fn(client), fn(client)
    except CheckFailed:
        raise
    except Exception as exc:
        if type(exc).__name__ == "ConflictError":
            fail(f"{name}(client) made something a second time, and the API refused it (409): {str(exc)[:240]}",
                 "look for what an earlier call made (and reuse it) before you create anything.")
        fail(f"{name}(client) raised {_nb09_raised(exc)}: {str(exc)[:300]}",
             f"read the message: it names the field that is wrong. TODO {todo}'s goal lists each piece.")


def _nb09_is_workshops(obj: Any) -> bool:
    """Does ``obj``'s metadata name this workshop and this learner (``resources.is_mine``)?"""
    from .resources import is_mine

    return is_mine(obj)


def lead(ensure_lead: Any, client: Any, investigator: Any) -> None:
    """09 (exercise 9.1): the lead agent, a multiagent_20261001 configuration whose only subagent is the investigator
    (pinned to its version), no inline agents, no workflows; calling ``ensure_lead`` again reuses it."""
    __tracebackhide__ = True
    fn = _nb09_function(ensure_lead, "ensure_lead", "9.1", "a function ensure_lead(client)")
    first, again = _nb09_called_twice(fn, client, "ensure_lead", "9.1")
    if attr(first, "type") != "agent":
        fail(f"ensure_lead(client) returned {type(first).__name__}, not an agent.",
             "return what client.beta.agents.create(...) returns (or the agent you found).")
    if attr(again, "id") != attr(first, "id"):
        fail("calling ensure_lead(client) twice made two agents.", "look for it first: resources.find_agent(client, "
             "LEAD_NAME); create it only when that returns None.")
    if not _nb09_is_workshops(first):
        fail(f"the lead's metadata is {dict(attr(first, 'metadata') or {})}, not the workshop's with your learner id: "
             "a later run could not find it.", "pass metadata=resources.WORKSHOP_METADATA.")
    team = attr(first, "multiagent")
    if attr(team, "type") != "multiagent_20261001":
        fail(f"its multiagent is {attr(team, 'type') or 'not set'}, not a multiagent_20261001 configuration.",
             "multiagent={\"type\": \"multiagent_20261001\", \"subagents\": {...}, \"workflows\": {...}}.")
    sub = attr(team, "subagents")
    if attr(sub, "type") != "enabled":
        fail("its subagents are disabled: it could not spawn a single thread.", "\"subagents\": {\"type\": \"enabled\", ...}.")
    members = [(attr(r, "id"), attr(r, "version")) for r in attr(sub, "predefined_agents") or []]
    if members != [(attr(investigator, "id"), attr(investigator, "version"))]:
        fail(f"its predefined agents are {members}, not just the investigator {attr(investigator, 'id')!r} "
             f"v{attr(investigator, 'version')}.",
             "\"predefined_agents\": [{\"type\": \"agent\", \"id\": agent.id, \"version\": agent.version}].")
    if attr(sub, "inline_agents.type") != "disabled" or attr(team, "workflows.type") != "disabled":
        fail("it may still define agents of its own (inline agents) or start workflows: both default to enabled.",
             "\"inline_agents\": {\"type\": \"disabled\"} inside subagents, and \"workflows\": {\"type\": \"disabled\"}.")
    ok(f"The lead {attr(first, 'name')!r}: subagents on, the investigator v{attr(investigator, 'version')} its only "
       "predefined agent, no inline agents, no workflows; running the cell again reuses it.")


def _nb09_team_threads(services: Any) -> dict:
    __tracebackhide__ = True
    need(services, "services", "9.2", "a dict {thread id: suspect service}")
    if not isinstance(services, dict) or sorted(map(str, services.values())) != ["cart", "checkout", "payments"]:
        fail(f"`services` is {services!r}: it should map each of the three threads to its suspect.",
             "in watch, for each agent.thread_message_sent: services[event.to_session_thread_id] = the service whose "
             "deploy id (SUSPECTS) the task's text names.")
    return {service: thread for thread, service in services.items()}


def team_stopped(services: Any, result: Any, client: Any, session_id: str) -> None:
    """09 (exercise 9.2): the watcher learned which thread investigates which suspect, and stopped the cart thread
    (one ``user.interrupt`` with its ``session_thread_id``) before it reported; the team ended with a report."""
    __tracebackhide__ = True
    need(result, "team", "9.2", "what loop.run returned for the team's session")
    threads = _nb09_team_threads(services)
    history = list(client.beta.sessions.events.list(session_id, limit=1000))
    interrupts = [e for e in history if attr(e, "type") == "user.interrupt"]
    if not interrupts:
        fail("no user.interrupt was sent: the cart thread ran on.",
             "when the task names dep_4822, send {\"type\": \"user.interrupt\", \"session_thread_id\": "
             "event.to_session_thread_id} with client.beta.sessions.events.send(session_id, events=[...]).")
    stopped = [attr(e, "session_thread_id") for e in interrupts]
    if None in stopped:
        fail("an interrupt without a session_thread_id stops every thread of the session, the lead's too.",
             "name the one thread: \"session_thread_id\": event.to_session_thread_id.")
    if set(stopped) != {threads["cart"]}:
        fail(f"you stopped the {', '.join(str(services.get(t)) for t in stopped)} thread, not the cart one.",
             "interrupt the thread whose task names dep_4822 (SUSPECTS['cart']).")
    if any(attr(e, "type") == "agent.thread_message_received" and attr(e, "from_session_thread_id") == threads["cart"]
           for e in history):
        fail("the cart thread finished its work and reported before your interrupt stopped it.",
             "send the interrupt inside watch, as soon as the lead's task for cart goes out.")
    if attr(result, "stop_reason") != "end_turn" or "dep_4820" not in attr(result, "text", ""):
        fail(f"the lead's turn ended with {attr(result, 'stop_reason')!r} without its merged report.",
             "pass handle_tool=incident.handle_tool: the investigators' custom tools still run on your laptop.")
    ok(f"{len(services)} investigator threads; yours stopped the cart one at once (session_thread_id), the others "
       "reported, and the lead's merged report names dep_4820.")


def _nb09_secret_keys(value: Any, path: str = "") -> list[str]:
    """Where a write-only field name appears in what the API returned (as JSON)."""
    if isinstance(value, dict):
        return [f"{path}.{k}".lstrip(".") for k in value if k in _NB09_SECRET_FIELDS] + [
            p for k, v in value.items() for p in _nb09_secret_keys(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nb09_secret_keys(v, f"{path}[{i}]")]
    return []


def vault_credential(ensure_vault: Any, client: Any, url: str) -> None:
    """09 (exercise 9.3): the workshop's vault with one active static_bearer credential for the status page's MCP
    server; what the API returns of it never holds the token; calling ``ensure_vault`` again reuses both."""
    __tracebackhide__ = True
    fn = _nb09_function(ensure_vault, "ensure_vault", "9.3", "a function ensure_vault(client)")
    first, again = _nb09_called_twice(fn, client, "ensure_vault", "9.3")
    if not (isinstance(first, tuple) and len(first) == 2):
        fail(f"ensure_vault(client) returned {type(first).__name__}, not (vault, credential).",
             "end with `return vault, credential`.")
    vault, cred = first
    if attr(vault, "type") != "vault" or attr(cred, "type") != "vault_credential":
        fail("return the vault and the credential, in that order, as the API returned them.",
             "vault = client.beta.vaults.create(...); credential = client.beta.vaults.credentials.create(vault.id, ...).")
    if (attr(again[0], "id"), attr(again[1], "id")) != (attr(vault, "id"), attr(cred, "id")):
        fail("calling ensure_vault(client) twice made a second vault or credential.",
             "look for an active vault of yours with VAULT_NAME (ours), and in it a credential for STATUS_URL, "
             "before you create either (a second credential for the same URL is a 409).")
    if not _nb09_is_workshops(vault) or attr(vault, "archived_at"):
        fail("the vault lacks the workshop's metadata with your learner id (or is archived): a later run could not "
             "find it.", "metadata=resources.WORKSHOP_METADATA.")
    if attr(cred, "vault_id") != attr(vault, "id") or attr(cred, "auth.type") != "static_bearer" or \
            attr(cred, "auth.mcp_server_url") != url:
        fail(f"the credential is {attr(cred, 'auth.type')!r} for {attr(cred, 'auth.mcp_server_url')!r}, not a "
             f"static_bearer for {url!r} in this vault.",
             "auth={\"type\": \"static_bearer\", \"mcp_server_url\": STATUS_URL, \"token\": statuspage_token()}.")
    shown = [cred, client.beta.vaults.credentials.retrieve(attr(cred, "id"), vault_id=attr(vault, "id")),
             *client.beta.vaults.credentials.list(attr(vault, "id"), limit=100)]
    leaks = [p for c in shown for p in _nb09_secret_keys(c.to_dict())]
    if leaks:  # the API never returns them; a stand-in that did would fail here
        fail(f"a write-only field came back: {leaks[:3]}.", "the token is sent once, in credentials.create.")
    ok(f"Vault {attr(vault, 'display_name')!r}: one static_bearer credential for {url}; the API shows its URL, "
       "never its token; running the cell again reuses both.")


def _nb09_review_says(review: Any, tool: str, tool_input: dict) -> str:
    __tracebackhide__ = True
    event = _nb09_mcp_use(tool, tool_input)
    try:
        answer = review(event)
    except CheckFailed:
        raise
    except Exception as exc:
        fail(f"review(event) raised {_nb09_raised(exc)}: {exc}", "read the call from event.name and event.input.")
    verdict = answer if isinstance(answer, str) else attr(answer, "result")
    if verdict not in ("allow", "deny"):
        fail(f"review(event) returned {answer!r}.", "return \"allow\", or a user.tool_confirmation dict that denies.")
    if verdict == "deny" and not (isinstance(answer, dict) and answer.get("deny_message")):
        fail("a denial without a deny_message: the agent cannot tell what to change.",
             "{\"type\": \"user.tool_confirmation\", \"tool_use_id\": event.id, \"result\": \"deny\", "
             "\"deny_message\": \"...\"}.")
    return verdict


def status_update(review: Any, result: Any) -> None:
    """09 (exercise 9.4): ``review`` allows a public status update that names nothing internal and denies (with a
    reason) one that does, or any other call; the status page post went out once approved."""
    __tracebackhide__ = True
    fn = _nb09_function(review, "review", "9.4", "a function review(event) for loop.run's confirm=")
    clean = {"incident_id": "inc_1", "status": "identified", "message": "We found the cause and are fixing it."}
    if _nb09_review_says(fn, "post_incident_update", clean) != "allow":
        fail("review() denies a clean, public status update.", "allow post_incident_update when its input names "
             "nothing in INTERNAL.")
    leaky = {**clean, "message": "Deploy dep_4820 (commit 9c41e7b) broke checkout; rolling back."}
    if _nb09_review_says(fn, "post_incident_update", leaky) != "deny":
        fail("review() allows an update that names a deploy id and a commit hash to go public.",
             "deny when any word of INTERNAL appears in json.dumps(event.input).")
    if _nb09_review_says(fn, "delete_incident", {"incident_id": "inc_1"}) != "deny":
        fail("review() allows a call that is not a status update (delete_incident).",
             "allow only post_incident_update; deny anything else.")
    need(result, "comms_run", "9.4", "what loop.run returned for the comms session")
    results = [e for e in attr(result, "events", []) if attr(e, "type") == "agent.mcp_tool_result"]
    if attr(result, "stop_reason") != "end_turn" or not results or '"published": true' not in event_text(results[-1]):
        fail(f"the comms session ended with {attr(result, 'stop_reason')!r} and no published update.",
             "pass confirm=review to loop.run, so the post waits for your verdict and goes out when you allow it.")
    ok("review() lets a clean update go public and stops one that leaks internals (with a reason); the status page "
       "post went out once you allowed it.")


# The checks of the exercises that are optional in the workshop say "not done, optional" without failing their cell.
for _check, _todo in _TODO_OF_CHECK.items():
    if _todo in OPTIONAL_IN_WORKSHOP:
        globals()[_check] = _skippable(globals()[_check])
del _check, _todo
