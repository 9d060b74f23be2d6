"""The exercise markers have one grammar (helpers/exercises.py): what make_notebooks writes from a marked block,
check reads back as the same exercise."""
from __future__ import annotations

from helpers import exercises
from support.scripts import script

BLOCK = "x = 1\n    ### BEGIN SOLUTION 9.1 Read it\n    ### HINT: fh.read()\n    ### MORE: text = fh.read()\n" \
        "    ### SETS: text\n    text = fh.read()\n    ### END SOLUTION"


def test_each_marker_parses_its_parts():
    begin = exercises.BEGIN.match("    ### BEGIN SOLUTION 9.1 Read it  ")
    assert begin.group("indent", "num", "title") == ("    ", "9.1", "Read it")
    assert exercises.BEGIN.match("### BEGIN SOLUTION 3").group("num", "title") == ("3", "")
    assert exercises.END.match("  ### END SOLUTION ") and not exercises.END.match("### END SOLUTION 9.1")
    assert exercises.HINT.match("### HINT: fh.read()").group("text") == "fh.read()"
    assert exercises.MORE.match("\t### MORE:  two spaces").group("text") == " two spaces"
    assert exercises.SETS.match("### SETS: a, b").group("names") == "a, b"
    assert not exercises.BEGIN.match("# BEGIN SOLUTION 9.1 x")


def test_a_solution_cell_and_the_learner_cell_made_from_it_name_the_same_exercise():
    learner, found = script("make_notebooks").convert_source(BLOCK)
    assert found == ["9.1"] and "### " not in learner
    assert exercises.numbers_in(BLOCK) == exercises.numbers_in(learner) == {"9.1"}
    assert exercises.numbers_in("x = 1  # TODO 9.1 is elsewhere\n#TODO 9.1") == set()
