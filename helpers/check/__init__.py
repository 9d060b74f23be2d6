"""Self-checks for the notebooks: ✅ when you got it right, ❌ with a plain-words hint when not.

Every exercise cell is followed by a check cell, e.g.::

    check.environment(env)

A passing check prints one ✅ line saying what is right. A failing check raises
:class:`CheckFailed` whose message is the ❌ explanation and a hint; Jupyter shows just that
message (no long traceback), and papermill and the tests see a failed cell.

Untouched TODO cells assign :data:`TODO` to the variables the exercise should set, then raise
``NotImplementedError``. So a check run before the exercise says "env is still the TODO
placeholder: complete TODO 2.1 and run its cell" rather than a ``NameError``.

One file per role, each importing only the ones before it (docs/design.md, "Self-checks: which file owns which
rule"). The framework: ``verdicts`` (``ok``, ``fail``, ``CheckFailed``; ⏭ for an exercise optional in the workshop),
``todo`` (the ``TODO`` placeholder), ``runs`` (what the TODO cells did when they last ran: the notebook's watch,
``need``, ``not_done``, the NameError explanation), ``history`` (what the checks read of a session); then one module
per notebook, ``nb00`` to ``nb09``, with that notebook's checks in exercise order, which import the framework and
never each other. A new check goes in its notebook's module and its ``__all__``, and in this package's ``__all__``
(a test holds both to what the notebooks call). Import the names from here. (The names imported ``as`` themselves
are the framework's, not the notebooks' API: reached as ``check.<name>`` by the tests and docs/design.md.)
"""
from __future__ import annotations

from typing import Any

from ..events import attr
from ..hints import hint  # the second hint level, on request: check.hint("3.2")
from .history import _sdk_event as _sdk_event
from .history import _text as _text
from .nb00 import event_direction, setup
from .nb01 import db_queries, onset, suspect_deploy
from .nb02 import agent, environment, versions
from .nb03 import session, stream_loop
from .nb04 import _short_input as _short_input
from .nb04 import investigation, tool_answer, tool_handler
from .nb05 import all_events, conversation, resumed
from .nb06 import confirmation, interrupted, outcome
from .nb07 import deployment, report, responded
from .nb08 import dream, effort, race, skill_upload
from .nb09 import lead, status_update, team_stopped, vault_credential
from .runs import _CELL_TODOS as _CELL_TODOS
from .runs import _EXPLAIN as _EXPLAIN
from .runs import _RUNS as _RUNS
from .runs import _TODO_OF_CHECK, need, watch
from .runs import _note_run as _note_run
from .todo import _todo_from_caller, is_todo
from .verdicts import OPTIONAL_IN_WORKSHOP, CheckFailed, _skippable, fail, ok
from .verdicts import _clip as _clip
from .verdicts import not_written as not_written

__all__ = [  # TODO is made by the module __getattr__ (it names its cell)
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
    "skill_upload", "effort", "race", "dream",                                      # 08
    "lead", "team_stopped", "vault_credential", "status_update",                    # 09
]

def __dir__() -> list[str]:
    return sorted([*globals(), "TODO"])


def __getattr__(name: str) -> Any:
    """``check.TODO`` (and ``from helpers.check import TODO``): a placeholder that knows its TODO and variable."""
    if name == "TODO":
        import sys

        return _todo_from_caller(sys._getframe(1))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


watch()

# The checks of the exercises that are optional in the workshop say "not done, optional" without failing their cell.
for _check, _todo in _TODO_OF_CHECK.items():
    if _todo in OPTIONAL_IN_WORKSHOP:
        globals()[_check] = _skippable(globals()[_check])
del _check, _todo
