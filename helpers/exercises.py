"""The exercise markers of a solution notebook: one grammar, for every reader of the notebooks.

An exercise is marked, at any indentation, inside one code cell of ``solutions/NN_name.ipynb``::

    ### BEGIN SOLUTION 2.1 Create the environment
    ### HINT: client.beta.environments.create(name=..., config={"type": "cloud", ...})
    ### MORE: env = client.beta.environments.create(name=ENVIRONMENT_NAME, config=..., metadata=...)
    ### SETS: env
    env = client.beta.environments.create(...)
    ### END SOLUTION

``BEGIN`` numbers the exercise (``N.M``) and titles it; ``HINT`` lines are the nudge (kept in the solution, ``# Hint:``
in the learner notebook); ``MORE`` lines are the near-answer (left out of the learner notebook, printed by
``check.hint("N.M")``); a ``SETS`` line names what the TODO's placeholders set (else the names the block assigns).
In the learner notebook the block becomes a TODO whose first line is ``# TODO N.M: title``.

Its readers: ``scripts/make_notebooks.py`` (solutions -> learner notebooks), :mod:`helpers.hints` (the ``MORE`` lines),
``scripts/estimate_time.py`` (the lines of each solution, and which lines of a TODO cell the generator wrote) and
:mod:`helpers.check` (which exercise a cell holds). The lines the generator writes into a TODO cell are here too, as
messages of the workshop's catalog, so the estimate reads them from the one place that writes them.
Imports nothing but ``re`` and :mod:`helpers.i18n` (standard library only): the scripts import it too.
"""
from __future__ import annotations

import re

from .i18n import LANGUAGES, N_, translations

__all__ = ["NUMBER", "BEGIN", "END", "HINT", "SETS", "MORE", "numbers_in", "TODO_MESSAGE", "TODO_MESSAGE_UNTITLED",
           "HINT_LINE", "STILL_STUCK", "PLACEHOLDERS", "REPLACE_ALL", "REPLACE_RAISE", "REPLACE_OPTIONAL", "OPTIONAL_NOTE",
           "scaffold_starts"]

#: An exercise's number: ``2.1`` (``3``, ``1.2.3`` parse too).
NUMBER = r"\d+(?:\.\d+)*"
#: ``### BEGIN SOLUTION N.M Title``: groups ``indent``, ``num`` and ``title`` (stripped, maybe empty).
BEGIN = re.compile(rf"^(?P<indent>[ \t]*)### BEGIN SOLUTION (?P<num>{NUMBER})\s*(?P<title>.*?)\s*$")
#: ``### END SOLUTION``: closes the block.
END = re.compile(r"^[ \t]*### END SOLUTION\s*$")
#: ``### HINT: text``: a nudge (group ``text``).
HINT = re.compile(r"^[ \t]*### HINT:\s?(?P<text>.*)$")
#: ``### SETS: a, b``: the names the placeholders set (group ``names``).
SETS = re.compile(r"^[ \t]*### SETS:\s*(?P<names>.*)$")
#: ``### MORE: text``: a line of the near-answer (group ``text``).
MORE = re.compile(r"^[ \t]*### MORE:\s?(?P<text>.*)$")
#: The line that names an exercise in a cell: its ``BEGIN`` marker (a solution) or its ``# TODO N.M`` (a learner's).
_NAMED = re.compile(rf"^[ \t]*#(?:## BEGIN SOLUTION| TODO) ({NUMBER})\b", re.M)


def numbers_in(source: str) -> set[str]:
    """The exercises a cell's source holds: the numbers of its ``### BEGIN SOLUTION N.M`` markers (a solution
    notebook) or of its ``# TODO N.M`` lines (a learner notebook)."""
    return set(_NAMED.findall(source))


# ------------------------------------------------------------------------------- the learner's TODO cell
#: What scripts/make_notebooks.py writes into a learner's TODO cell, in the workshop's message catalog (locale/, domain
#: "workshop"): a Japanese notebook gets them in Japanese. Each keeps "TODO N.M" where helpers/check/todo.py reads it.
TODO_MESSAGE = N_("TODO {num} ({title}): write your code here, then run this cell")
TODO_MESSAGE_UNTITLED = N_("TODO {num}: write your code here, then run this cell")
HINT_LINE = N_("# Hint: {hint}")
STILL_STUCK = N_('# Still stuck? Run check.hint("{num}") in a new cell for a near-answer.')
PLACEHOLDERS = N_("# TODO {num} placeholders (set first, so its check can say what is missing):")
REPLACE_ALL = N_("# Replace the lines below, down to and including the `raise`, with your code.")
REPLACE_RAISE = N_("# Replace the `raise` below with your code.")
REPLACE_OPTIONAL = N_("# Replace the lines below with your code.")
#: An exercise the workshop skips (under a heading the estimate skips, on the workshop path): its untouched cell runs.
OPTIONAL_NOTE = N_("(optional in the workshop: this cell runs as it is)")
#: The comment lines among them (the header ``# TODO N.M: title`` starts as PLACEHOLDERS does: ``# TODO``).
_SCAFFOLD_COMMENTS = (HINT_LINE, STILL_STUCK, PLACEHOLDERS, REPLACE_ALL, REPLACE_RAISE, REPLACE_OPTIONAL)


def scaffold_starts() -> list[str]:
    """How each comment line the generator writes starts, in every language the workshop speaks: its text up to its
    first placeholder (``"# Hint:"``, ``"# ヒント:"``, ``"# TODO"``, ...)."""
    starts = {translations(lang).gettext(message).split("{")[0].rstrip()
              for lang in LANGUAGES for message in _SCAFFOLD_COMMENTS}
    return sorted(starts, key=len, reverse=True)

