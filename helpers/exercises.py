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
``scripts/estimate_time.py`` (the lines of each solution) and :mod:`helpers.check` (which exercise a cell holds).
Imports nothing but ``re``: the scripts import it too.
"""
from __future__ import annotations

import re

__all__ = ["NUMBER", "BEGIN", "END", "HINT", "SETS", "MORE", "numbers_in"]

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
