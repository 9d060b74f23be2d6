"""What the TODO cells did when they last ran, and what a check says about it.

In a notebook, :func:`watch` (called when ``helpers.check`` is imported) registers IPython's ``post_run_cell`` and a
handler of ``NameError``: each TODO cell's last run is remembered (``_RUNS``), and a NameError in a check cell is
explained. :func:`not_done` and :func:`need` fail a check with "TODO N.M is not done yet" and why (``_raised``,
``_explained``; a notebook's module adds the exercise's own words to ``_EXPLAIN``); ``_callable``, :func:`need` for a
function the learner writes.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..exercises import numbers_in
from ..i18n import _
from .todo import _TODO_MESSAGE, _TODO_NAMES, _library_file, _Todo
from .verdicts import OPTIONAL_IN_WORKSHOP, CheckFailed, _a, _clip, _verdict, fail, skipped

__all__ = ["watch", "not_done", "need"]


# ------------------------------------------------------------------ what the TODO cells did when they last ran
#: TODO number -> the exception its cell raised the last time it ran in this kernel (None: it finished). Filled by
#: IPython's post_run_cell event (registered by :func:`watch`), so a check can tell "your cell raised" from "your
#: code is wrong". Empty outside IPython: the checks then judge the values alone.
_RUNS: dict[str, BaseException | None] = {}


#: TODO number -> {name: its value when that TODO's cell last raised}. A value bound since, in any cell (the learner
#: wrote the code in a new cell, or deleted the cell's TODO comment), is judged by the check, not the stale raise.
_AT_RAISE: dict[str, dict[str, Any]] = {}
_UNBOUND = object()

#: The exercise each check judges (check name -> TODO number): what a NameError in its cell points back to. Filled
#: by the notebooks' modules (``nb00`` ... ``nb09``), each with its own checks.
_TODO_OF_CHECK: dict[str, str] = {}


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

    from ..settings import ROOT

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
    """IPython's post_run_cell: remember how each TODO cell's latest run ended; and, where our handler of NameError is
    not the one set (another handler is: :func:`watch`), explain a check cell's NameError below IPython's full
    traceback (with our handler, it is explained above the error's exception-only form: :func:`_name_error_first`)."""
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
        names = _TODO_NAMES.setdefault(num, set())
        names |= _assigned(source)
        if error is None:
            _AT_RAISE.pop(num, None)
            continue
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
    TODO's cell) and then only the error's own line (IPython's exception-only form: "use %tb to see the full
    traceback", then ``NameError: name 'agent' is not defined``; the one-line check
    cell has no other frame to show, and a full traceback under the explanation read as a broken check, walkthrough
    5); in every other cell, IPython's own traceback, as for any other error. The handler shows it itself: IPython 9's
    run_code ignores a traceback a handler returns (walkthrough 1: a NameError showed nothing), so it returns none."""
    try:
        message = _name_error_message(value)
    except Exception:  # never lose the traceback to a bug here
        message = None
    if message:
        print(message, flush=True)  # ipykernel flushes stdout before it sends the error: the explanation comes first
        value._workshop_explained = True
        shell.showtraceback((etype, value, tb), exception_only=True)
        return
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)


def watch() -> None:
    """In a notebook: note how each TODO cell's runs end, and explain a NameError in a check cell (done on import).

    IPython shows every traceback itself. A check cell's own NameError (its TODO did not set the name) is explained by
    a handler of NameError that prints the explanation and then IPython's exception-only form of the error ("use %tb
    to see the full traceback", then the error's line; :func:`_name_error_first`); without the handler (another one
    set), the explanation follows IPython's full traceback (:func:`_note_run`).

    The shell keeps which callback and handler are registered (``_workshop_check_watch``): a ``helpers.check``
    imported again (its modules removed from ``sys.modules``) unregisters the old module's callback and registers its
    own, and replaces the old handler if it is still the one set (never another one), so the new ``_RUNS`` is the one
    filled and read."""
    import sys

    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    registered = getattr(shell, "_workshop_check_watch", None)
    old_callback, old_handler = registered if isinstance(registered, tuple) else (None, None)
    if old_callback is _note_run:
        return
    if old_callback is not None:
        try:
            shell.events.unregister("post_run_cell", old_callback)
        except ValueError:  # unregistered by someone since
            pass
    shell.events.register("post_run_cell", _note_run)
    handler = None
    ours = old_handler is not None and getattr(shell, "CustomTB", None) is old_handler
    if not shell.custom_exceptions or ours:  # nobody else's handler: ours, for NameError only
        shell.set_custom_exc((NameError,), _name_error_first)
        handler = shell.CustomTB  # IPython's wrapper of it: what the next import compares with
    shell._workshop_check_watch = (_note_run, handler)


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
    """A NameError in a check cell: the name its TODO sets is missing. Say what happened to that TODO's cell.

    Only a NameError of the cell's own line (its top-level code, the frame the error ends in): one raised deeper, in a
    function the cell called (the learner's, or a bug in a check), is not about the TODO, and gets IPython's full
    traceback."""
    frames = _cell_frames(exc)
    if not frames or frames[-1].tb_next is not None or frames[-1].tb_frame.f_code.co_name != "<module>":
        return None
    where = _where(exc)
    m = re.search(r"\bcheck\.(\w+)\(", where[1]) if where else None
    num = _TODO_OF_CHECK.get(m.group(1)) if m else None
    if num is None:
        return None
    name = getattr(exc, "name", None) or str(exc)
    if num not in _RUNS:
        return _verdict(
            _("`{name}` is not defined: the TODO {todo} cell has not run in this kernel (after a restart, or if you "
              "skipped it).").format(name=name, todo=num),
            _("run the cells above in order, the TODO {todo} cell included, then this check again.").format(todo=num))
    error = _RUNS[num]
    explained = _explained(num, error) if error is not None else None
    if explained:  # e.g. 2.2's create refused for a list inside the list of tools: the advice, not just the raise
        problem, hint = explained
        return _verdict(_("`{name}` is not defined: the TODO {todo} cell stopped before setting it: {problem}").format(
            name=name, todo=num, problem=problem.removeprefix(_not_done_yet(num, ""))), hint)
    if error is not None:
        at = _where(error)
        line = _(" at line {n} (`{code}`)").format(n=at[0], code=_clip(at[1], 60)) if at else ""
        return _verdict(
            _("`{name}` is not defined: the TODO {todo} cell stopped with {error}{line} before setting it: "
              "{detail}").format(name=name, todo=num, error=_a(type(error).__name__), line=line,
                                 detail=_clip(str(error), 200)),
            _("fix that in the TODO {todo} cell (its error is shown under it), run it until it finishes, then run "
              "this check again.").format(todo=num))
    sets = _names_set(num) if name not in _TODO_NAMES.get(num, set()) else []
    if sets:  # e.g. check.environment(envv): the check cell's name is none of the TODO's
        return _verdict(
            _("`{name}` is not defined: the TODO {todo} cell ran to its end and sets {names}, not `{name}`.").format(
                name=name, todo=num, names=", ".join(f"`{n}`" for n in sets)),
            _("check the name in this cell (a typo?): pass the one TODO {todo} sets (its goal, above its cell, names "
              "it), then run this check again.").format(todo=num))
    return _verdict(
        _("`{name}` is not defined: the TODO {todo} cell ran to its end without setting it.").format(name=name, todo=num),
        _("assign your result to `{name}` (the name its goal asks for) in the TODO {todo} cell, run it again, then "
          "run this check.").format(name=name, todo=num))


def _names_set(todo: str) -> list[str]:
    """The names TODO ``todo`` sets that the notebook holds now (its placeholders, its check's names, what its cell
    assigned), sorted; all of them outside a notebook."""
    ns = _user_ns()
    names = _TODO_NAMES.get(todo, set())
    return sorted(n for n in names if not n.startswith("_") and (ns is None or n in ns))


def _not_done_yet(todo: str, problem: str) -> str:
    """"TODO N.M is not done yet: ``problem``", the opening of every message about a TODO cell that raised."""
    return _("TODO {todo} is not done yet: {problem}").format(todo=todo, problem=problem)


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
#: nothing to add, and the generic words of :func:`_raised` follow). Filled by the notebooks' modules (nb02, nb04).
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
    other = _TODO_MESSAGE.match(str(exc)) if isinstance(exc, NotImplementedError) else None
    if other and other.group(1) != todo:  # e.g. code of this TODO calling a function another TODO has not written
        return (_not_done_yet(todo, _("its cell called code that TODO {other} has not written yet (it raises "
                                      "NotImplementedError).").format(other=other.group(1))),
                _("write TODO {other} and run its cell; then run the TODO {todo} cell, then this one.").format(
                    other=other.group(1), todo=todo))
    if isinstance(exc, NotImplementedError):
        return (_("TODO {todo} is not done yet: its cell still raises NotImplementedError.").format(todo=todo),
                _("write your code in place of the `raise NotImplementedError(...)` line of TODO {todo} (its goal is "
                  "above the cell), run that cell, then run this one again.").format(todo=todo))
    if isinstance(exc, CheckFailed):
        return (_not_done_yet(todo, exc.message.removeprefix("❌ ").splitlines()[0]),
                _("fix that in the TODO cell, run it again, then run this one."))
    if kind == "StreamDeadline":  # helpers.deadline: the loop never stopped; its message says how the session did
        return (_("TODO {todo} is not done yet: your loop was still reading when its stream's timeout ran out. "
                  "{error}").format(todo=todo, error=exc),
                _("fix the loop's stop conditions, then run the TODO cell again: it starts a fresh session."))
    status = getattr(exc, "status_code", None)
    if status is not None and _raised_in_send(exc):
        detail = _api_detail(exc)
        return (_("TODO {todo} is not done yet: your client.beta.sessions.events.send(...) was refused ({status}, "
                  "{kind}): {detail} The session never got what you sent.").format(
                    todo=todo, status=status, kind=kind, detail=_clip(detail, 300)),
                _("fix what the API's message names (the field, its value), then run the TODO cell again: it starts "
                  "from a fresh session."))
    if status is not None:
        detail = _api_detail(exc)
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
            skipped(todo, _("`{name}` is still the TODO placeholder").format(name=name))
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


def _callable(fn: Any, name: str, todo: str, what: str) -> Any:
    __tracebackhide__ = True
    need(fn, name, todo, what)
    if not callable(fn):
        fail(_("`{name}` is a {kind}, not a function.").format(name=name, kind=type(fn).__name__),
             _("define it with `def {name}(...):` in TODO {todo}.").format(name=name, todo=todo))
    return fn
