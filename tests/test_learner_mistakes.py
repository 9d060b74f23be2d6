"""A learner's mistakes, in a real kernel: what a cell shows and what the check after it says (issue 19, walkthrough 1).

The walker's findings, each driven through ipykernel as JupyterLab drives it (nbclient: one kernel, cells run one by
one, errors allowed):

* a NameError showed nothing at all (the checks' IPython exception handler returned a traceback that IPython 9 never
  shows): now IPython's own traceback always shows, and a check cell's NameError is explained below it by what really
  happened to its TODO cell;
* "TODO 2.1 is not done yet: its cell still raises NotImplementedError" when the code ran in a new cell, or in the
  TODO cell without its `# TODO` comment: the check judges a value set since the TODO cell raised;
* *Run All* of the presenter-led notebooks (00, 01) stopped at their optional exercises: now they run to the end.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers.exercises import numbers_in
from support.scripts import script

ROOT = Path(__file__).resolve().parent.parent
mk = script("make_notebooks")

pytestmark = pytest.mark.notebooks

GOOD_ENV = """networking = {"type": "limited", "allowed_hosts": [], "allow_package_managers": True, "allow_mcp_servers": False}
env = client.beta.environments.create(name=ENVIRONMENT_NAME, metadata=WORKSHOP_METADATA,
                                      config={"type": "cloud", "networking": networking, "packages": packages})"""


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    for key in ("ANTHROPIC_API_KEY", "WORKSHOP_MODEL", "WORKSHOP_DATA_DIR"):
        monkeypatch.delenv(key, raising=False)
    for key, value in mk.OFFLINE_ENV.items():
        monkeypatch.setenv(key, value)


class Kernel:
    """The learner notebook ``name`` in a fresh kernel: run its cells (by id) or cells of your own, see their outputs."""

    def __init__(self, name: str, lang: str | None = None):
        import nbformat
        from nbclient import NotebookClient

        folder = mk.NOTEBOOKS / lang if lang else mk.NOTEBOOKS  # notebooks/ja/: the kernel speaks Japanese there
        self.nb = nbformat.read(folder / name, as_version=4)
        self.client = NotebookClient(self.nb, timeout=120, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(folder)}})

    def __enter__(self):
        self._setup = self.client.setup_kernel()
        self._setup.__enter__()
        return self

    def __exit__(self, *exc):
        return self._setup.__exit__(*exc)

    def cell(self, cell_id: str) -> str:
        return mk._source(next(c for c in self.nb.cells if c.get("id") == cell_id))

    def run(self, source: str, cell_id: str | None = None) -> tuple[str | None, str, str]:
        """(the error's name or None, its traceback as text, the cell's printed text). With ``cell_id``, the request
        carries it as JupyterLab sends it (``cellId`` in the execute_request's metadata); nbclient sends none."""
        import nbformat

        cell = nbformat.v4.new_code_cell(source)
        session = self.client.kc.session
        if cell_id is not None:
            msg = session.msg

            def with_cell_id(msg_type, content=None, parent=None, header=None, metadata=None):
                if msg_type == "execute_request":
                    metadata = {**(metadata or {}), "cellId": cell_id}
                return msg(msg_type, content, parent, header, metadata)

            session.msg = with_cell_id
        # nbclient maps a display id to the cell that made it, by index into its notebook; these cells are not in
        # it, so an update of an earlier cell's display (the dashboard's panel, re-attached) must find no stale entry
        self.client._display_id_map.clear()
        try:
            self.client.execute_cell(cell, 0)
        finally:
            session.__dict__.pop("msg", None)
        self.outputs = [o.output_type for o in cell.outputs]  # in the order the front end shows them
        error = next((o for o in cell.outputs if o.output_type == "error"), None)
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        return (error.ename if error else None), ("\n".join(error.traceback) if error else ""), text

    def run_ids(self, *ids: str) -> None:
        for cell_id in ids:
            ename, tb, _ = self.run(self.cell(cell_id))
            assert ename is None, (cell_id, tb)


def _plain(traceback: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", traceback)


def test_a_typo_shows_its_traceback_and_the_check_points_at_the_line():
    """Walkthrough 1: `name=ENVIROMENT_NAME` gave a blank cell, and the check said "fix the line the error points at"
    with nothing pointing at any line."""
    with Kernel("02_agent_and_environment.ipynb") as k:
        k.run_ids("c001", "c002", "c004")
        typo = GOOD_ENV.replace("name=ENVIRONMENT_NAME", "name=ENVIROMENT_NAME")
        ename, tb, _ = k.run("# TODO 2.1: Create the environment\n" + typo)
        assert ename == "NameError" and "ENVIROMENT_NAME" in _plain(tb), tb  # IPython's own traceback, shown
        ename, tb, text = k.run(k.cell("c007"))  # `env` was never set: the check cell's own NameError, explained
        assert ename == "NameError", tb
        assert "the TODO 2.1 cell stopped with a NameError at line 3" in text and "ENVIROMENT_NAME" in text, text
        # walkthrough 5: explained above, the error is its own line only (a full traceback read as a broken check)
        # (IPython's exception-only form: its "use %tb to see the full traceback" line, then the error's own line)
        lines = [line for line in _plain(tb).splitlines() if line.strip()]
        assert lines[-1] == "NameError: name 'env' is not defined" and "%tb" in lines[0] and len(lines) == 2, lines
        assert k.run(k.cell("c006"))[0] == "NotImplementedError"  # the untouched cell first, then the typo again
        assert k.run("# TODO 2.1: Create the environment\n" + typo)[0] == "NameError"
        ename, tb, _ = k.run(k.cell("c007"))
        message = _plain(tb)
        assert ename == "CheckFailed", message
        assert "TODO 2.1 is not done yet: its cell raised a NameError at line 3" in message, message
        assert "ENVIROMENT_NAME" in message


def test_a_check_run_too_early_shows_the_traceback_and_says_what_happened():
    with Kernel("02_agent_and_environment.ipynb") as k:
        k.run_ids("c001", "c002", "c004")
        ename, tb, text = k.run("check.environment(env)")  # before the TODO cell ever ran
        assert ename == "NameError" and "env" in _plain(tb), tb
        assert "❌ `env` is not defined: the TODO 2.1 cell has not run in this kernel" in text, text
        ename, tb, _ = k.run("# TODO 2.1: Create the environment\nenv = client.beta.environments.create(nme=1)")
        assert ename == "TypeError", tb
        ename, tb, text = k.run("check.environment(env)")
        assert ename == "NameError", tb
        assert "the TODO 2.1 cell stopped with a TypeError at line 2" in text and "nme" in text, text
        ename, tb, text = k.run("undefined_name + 1")  # any other cell: IPython's traceback, nothing added
        assert ename == "NameError" and "undefined_name" in _plain(tb) and text == "", (tb, text)
        assert k.outputs == ["error"], k.outputs
        ename, tb, text = k.run("def f():\n    return undefined_inside\nf()")  # raised deeper: the same traceback
        assert ename == "NameError" and "----> 3 f()" in _plain(tb) and "undefined_inside" in _plain(tb), tb
        assert text == "", text


def test_a_name_error_raised_deeper_than_the_check_cell_gets_its_full_traceback():
    """Review: any NameError in a check cell was explained as "the TODO cell has not run" (and shown in IPython's
    exception-only form), even one raised inside a function the cell called: a bug there lost its frame. Only the
    cell's own NameError (the name its TODO sets) is explained."""
    with Kernel("02_agent_and_environment.ipynb") as k:
        k.run_ids("c001", "c002", "c004")
        assert k.run("def make():\n    return undefined_inside")[0] is None
        for cell in ("check.environment(make())",
                     "def make_here():\n    return undefined_here\ncheck.environment(make_here())"):
            ename, tb, text = k.run(cell)
            missing = "undefined_here" if "make_here" in cell else "undefined_inside"
            assert ename == "NameError" and f"name '{missing}' is not defined" in _plain(tb), tb
            assert text == "", text  # nothing explained: it is not about a TODO
            assert "%tb" not in _plain(tb) and "check.environment(make" in _plain(tb), tb  # the full traceback
            assert f"return {missing}" in _plain(tb), tb  # the frame that raised it, shown
        ename, tb, text = k.run("check.agent(agent)")  # the cell's own NameError: still explained
        assert ename == "NameError", tb
        assert "❌ `agent` is not defined: the TODO 2.2 cell has not run in this kernel" in text, text


def test_a_typo_in_the_check_cell_is_named_as_one():
    """Review: `check.environment(envv)` after a 2.1 cell that set `env` said "assign your result to `envv`" in the
    TODO cell. A name the TODO does not set is said to be not the one it sets, and which one that is."""
    with Kernel("02_agent_and_environment.ipynb") as k:
        k.run_ids("c001", "c002", "c004")
        assert k.run(_solution_cell("02_agent_and_environment.ipynb", "c006"))[0] is None
        ename, tb, text = k.run("check.environment(envv)")
        assert ename == "NameError", tb
        assert "❌ `envv` is not defined: the TODO 2.1 cell ran to its end and sets " in text, text
        assert "`env`" in text.split(" and sets ")[1].split("not `envv`")[0], text
        assert "assign your result to `envv`" not in text and "(a typo?)" in text, text
        ename, tb, text = k.run("check.environment(env)")
        assert ename is None and "✅" in text, (tb, text)
        ename, tb, text = k.run("del env\ncheck.environment(env)")  # the TODO's own name, unset: as before
        assert ename == "NameError", tb
        assert "the TODO 2.1 cell ran to its end without setting it" in text and "assign your result to `env`" in text


def test_code_that_ran_is_judged_whatever_its_cell():
    """Walkthrough 1: the check said "its cell still raises NotImplementedError" though the code had run, in a new
    cell or in the TODO cell without its `# TODO` comment (to the kernel both are a cell that is not TODO 2.1's:
    nbclient, like some front ends, sends no cell id)."""
    with Kernel("02_agent_and_environment.ipynb") as k:
        k.run_ids("c001", "c002", "c004")
        ename, _, _ = k.run(k.cell("c006"))  # the untouched TODO first, as a learner does
        assert ename == "NotImplementedError"
        ename, tb, _ = k.run(GOOD_ENV)  # nbclient sends no cell id: both cases look like this to the kernel
        assert ename is None, tb
        ename, tb, text = k.run(k.cell("c007"))
        assert ename is None and "✅" in text, (tb, text)
        # and a TODO cell that raises after a good run is still "not done": the value is the stale one
        ename, _, _ = k.run("# TODO 2.1: Create the environment\nenv = client.beta.environments.create(nme=1)")
        ename, tb, _ = k.run(k.cell("c007"))
        assert ename == "CheckFailed" and "TODO 2.1 is not done yet: its cell raised a TypeError" in _plain(tb), tb


@pytest.mark.parametrize("name", ["00_mental_model.ipynb", "01_incident_by_hand.ipynb"])
def test_run_all_of_a_presenter_led_notebook_runs_to_its_end(name):
    """Walkthrough 1: *Run All* stopped at the optional TODO 0.1 / 1.1, before the rest of the walk. The learner
    notebook, untouched, runs every cell; each optional check says it is not done, and fails nothing."""
    with Kernel(name) as k:
        said = []
        for cell in k.nb.cells:
            if cell.cell_type != "code":
                continue
            ename, tb, text = k.run(mk._source(cell))
            assert ename is None, (name, mk._source(cell)[:80], tb)
            said += [line for line in text.splitlines() if line.startswith("⏭")]
    expected = {"00_mental_model.ipynb": ["0.1"], "01_incident_by_hand.ipynb": ["1.1", "1.2", "1.3"]}[name]
    assert [line.split()[2] for line in said] == expected, said


# --------------------------------------------------------------------------- walkthrough 2 (issue 19, last round)
def _solution_cell(name: str, cell_id: str) -> str:
    return mk._source(next(c for c in mk.read(mk.SOLUTIONS / name)["cells"] if c.get("id") == cell_id))


def _with_block(learner_source: str, code: str) -> str:
    """The learner's TODO cell with its `raise` line (and the hint comments above it, not the `# TODO N.M` one)
    replaced by ``code``, indented like that line: what a learner's cell looks like once written."""
    lines = learner_source.splitlines()
    at = next(i for i, line in enumerate(lines) if "raise NotImplementedError(" in line)
    indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
    start = at
    while start > 0 and lines[start - 1].startswith(indent + "#") and "# TODO " not in lines[start - 1]:
        start -= 1
    placeholder = [i for i in range(start, at) if lines[i].strip().endswith("= check.TODO")]
    keep = [line for i, line in enumerate(lines[:at]) if i < start or i in placeholder]
    return "\n".join(keep + [indent + c for c in code.splitlines()] + lines[at + 1:])


def test_a_nested_list_of_tools_is_explained_by_the_check():
    """Walkthrough 2: `tools=[toolset, incident.CUSTOM_TOOLS]` (no `*`) gave ~40 lines of SDK traceback ending in a
    400 about tools[1]; the check after it now says to unpack the custom tools with `*`, read from the request sent."""
    with Kernel("02_agent_and_environment.ipynb") as k:
        k.run_ids("c001", "c002", "c004")
        k.run(_solution_cell("02_agent_and_environment.ipynb", "c006"))
        k.run_ids("c009")
        nested = ("agent = client.beta.agents.create(name=AGENT_NAME, model=MODEL, system=SYSTEM_PROMPT,\n"
                  "                                  tools=[toolset, incident.CUSTOM_TOOLS], metadata=WORKSHOP_METADATA)")
        ename, tb, _ = k.run(_with_block(k.cell("c011"), nested))
        assert ename == "BadRequestError" and "tools[1]" in _plain(tb), tb
        ename, tb, _ = k.run(k.cell("c012"))
        message = _plain(tb)
        assert ename == "CheckFailed", message
        assert "TODO 2.2 is not done yet: the API refused the agent (400" in message, message
        assert "tools[1] is a list of 4, not one tool: `incident.CUSTOM_TOOLS` is itself a list" in message, message
        assert "Hint: unpack the custom tools with `*`: tools=[toolset, *incident.CUSTOM_TOOLS]" in message, message


def test_a_loop_without_its_break_says_that_it_waits_then_stops_at_its_deadline():
    """Walkthrough 2: a 3.2 loop that forgets `break` sat silent for 60 s. Now its cell shows, a few seconds after the
    idle, that it waits and until when (printed from the stream's timer: it must land in the cell), then stops at its
    timeout (30 s in the notebook; shortened here) with a StreamDeadline that the check explains."""
    with Kernel("03_session_and_stream.ipynb") as k:
        k.run_ids("c001", "c002")
        k.run(_solution_cell("03_session_and_stream.ipynb", "c004"))
        k.run("from helpers import deadline\ndeadline.NOTICE_AFTER = 0.5")
        loop = k.cell("c008")
        assert "timeout=30)" in loop
        forgetful = _with_block(loop, 'if event.type == "session.status_idle":\n    stop_reason = event.stop_reason.type')
        ename, tb, text = k.run(forgetful.replace("timeout=30)", "timeout=3)"))
        assert ename == "StreamDeadline", tb
        assert "⏳ The session paused 0.5 s ago (session.status_idle, requires_action: it waits for 1 call)" in text, text
        assert "until its timeout=3, then raises StreamDeadline. Missing a break?" in text, text
        ename, tb, _ = k.run(k.cell("c009"))
        assert ename == "CheckFailed" and "your loop was still reading when its stream's timeout ran out" in _plain(tb)


@pytest.mark.parametrize("code,said", [
    ("result = handle_tool(event.name, event.input)",
     "the cell sends `reply`, but your code did not set `reply` (NameError) before it"),
    ("result = handle_tool(event.name, event.input)\nreply = result",
     "`reply` is a str, and the API refused it (400): the cell sends `events=[reply]`, so `reply` must be one event"),
    ('result = handle_tool(event.name, event.input)\nreply = {"type": "user.custom_tool_result", "custom_tool_use_id": event.id, '
     '"content": result}', "the API refused your `reply` (400, BadRequestError): Invalid user.custom_tool_result"),
])
def test_a_wrong_reply_in_4_1_is_blamed_on_reply(code, said):
    """04's learner writes `result` and `reply`; the cell sends it. What a reply that is missing, a bare string, or
    badly shaped does, and what the check after it says."""
    with Kernel("04_custom_tools.ipynb") as k:
        k.run_ids("c001", "c002", "c004")
        ename, tb, _ = k.run(_with_block(k.cell("c006"), code))
        assert ename in ("NameError", "BadRequestError"), tb
        ename, tb, _ = k.run(k.cell("c007"))
        message = _plain(tb)
        assert ename == "CheckFailed" and f"❌ TODO 4.1 is not done yet: {said}" in message, message
        right = _with_block(k.cell("c006"), _solution_block("04_custom_tools.ipynb", "c006"))
        ename, tb, text = k.run(right)  # then right, in the same kernel: the cell starts a fresh session
        assert ename is None, tb
        ename, tb, text = k.run(k.cell("c007"))
        assert ename is None and "✅" in text, (tb, text)


def _solution_block(name: str, cell_id: str) -> str:
    """The code lines of a solution's block, dedented."""
    import textwrap

    source = _solution_cell(name, cell_id)
    body = source.split("### END SOLUTION")[0].split("\n")
    start = next(i for i, line in enumerate(body) if "### BEGIN SOLUTION" in line)
    code = [line for line in body[start + 1:] if not line.strip().startswith("###")]
    return textwrap.dedent("\n".join(code)).strip("\n")


# --------------------------------------------------------------------------- walkthrough 3 (issue 19, round 4)
NESTED = ("agent = client.beta.agents.create(name=AGENT_NAME, model=MODEL, system=SYSTEM_PROMPT,\n"
          "                                  tools=[toolset, incident.CUSTOM_TOOLS], metadata=WORKSHOP_METADATA)")


def _up_to_2_2(k: Kernel) -> None:
    k.run_ids("c001", "c002", "c004")
    k.run(_solution_cell("02_agent_and_environment.ipynb", "c006"))
    k.run_ids("c009")


def test_a_refused_2_2_that_replaced_its_placeholder_gets_the_unpack_advice():
    """Walkthrough 3: the cell says to replace the lines below its comments, `agent = check.TODO` included; then a
    refused create leaves `agent` undefined and the check cell's NameError said only "stopped with a
    BadRequestError". It gives the exercise's advice, as the check of a cell that kept its placeholder does."""
    with Kernel("02_agent_and_environment.ipynb") as k:
        _up_to_2_2(k)
        cell = k.cell("c011")
        written = cell.replace("agent = check.TODO\n", "").replace(
            'raise NotImplementedError("TODO 2.2 (Create the agent): write your code here, then run this cell")', NESTED)
        assert "check.TODO" not in written and "# TODO 2.2" in written
        ename, tb, _ = k.run(written)
        assert ename == "BadRequestError", tb
        ename, tb, text = k.run(k.cell("c012"))
        assert ename == "NameError", tb
        assert "❌ `agent` is not defined: the TODO 2.2 cell stopped before setting it: the API refused the agent" in text
        assert "Hint: unpack the custom tools with `*`: tools=[toolset, *incident.CUSTOM_TOOLS]" in text, text
        # walkthrough 4: the diagnosis comes first, then IPython's own traceback of the NameError, shown as ever
        assert k.outputs == ["stream", "error"], k.outputs
        assert "name 'agent' is not defined" in _plain(tb), tb


def test_the_same_mistake_in_the_japanese_notebook_is_explained_in_japanese():
    """Walkthrough 3 in notebooks/ja/: the check cell's NameError explained in Japanese, the exercise's own advice
    included (its "TODO 2.2 is not done yet: " opening left out in Japanese too), then the 2.2 check's ✅ in Japanese."""
    import re

    with Kernel("02_agent_and_environment.ipynb", lang="ja") as k:
        _up_to_2_2(k)
        cell = k.cell("c011")
        written = re.sub(r'raise NotImplementedError\("TODO 2\.2.*"\)', lambda m: NESTED,
                         cell.replace("agent = check.TODO\n", ""))
        assert "check.TODO" not in written and "NotImplementedError" not in written
        ename, tb, _ = k.run(written)
        assert ename == "BadRequestError", tb
        ename, tb, text = k.run(k.cell("c012"))
        assert ename == "NameError", tb
        assert text.startswith("❌ `agent` が定義されていません。TODO 2.2 のセルが、設定する前に止まりました: "
                               "API がエージェントを拒否しました（400: "), text
        assert "はまだ終わっていません" not in text and "is not done yet" not in text, text
        assert "ヒント: カスタムツールを `*` で展開してください: tools=[toolset, *incident.CUSTOM_TOOLS]。" in text, text
        ename, tb, _ = k.run(written.replace("incident.CUSTOM_TOOLS]", "*incident.CUSTOM_TOOLS]"))
        assert ename is None, tb
        ename, tb, text = k.run(k.cell("c012"))
        assert ename is None, tb
        assert "✅ エージェント 'sre-investigator-" in text and "カスタムツール 4 個。" in text, text


def test_jupyterlab_knows_a_todo_cell_by_its_id_from_its_first_run(monkeypatch):
    """Walkthrough 3, in JupyterLab (the cell's id sent, the notebook named by JPY_SESSION_NAME): a 2.2 cell written
    over whole, comments included, and refused by the API, made its check say "the TODO 2.2 cell has not run in this
    kernel". The checks read the notebook's cell ids: that cell is TODO 2.2's from its first run."""
    monkeypatch.setenv("JPY_SESSION_NAME", str(mk.NOTEBOOKS / "02_agent_and_environment.ipynb"))
    with Kernel("02_agent_and_environment.ipynb") as k:
        _up_to_2_2(k)
        ename, tb, _ = k.run(NESTED, cell_id="c011")  # the whole cell replaced: no `# TODO 2.2` line left
        assert ename == "BadRequestError", tb
        ename, tb, text = k.run(k.cell("c012"), cell_id="c012")
        assert ename == "NameError", tb
        assert "has not run in this kernel" not in text, text
        assert "the TODO 2.2 cell stopped before setting it" in text and "unpack the custom tools with `*`" in text, text
        ename, tb, _ = k.run(NESTED.replace("incident.CUSTOM_TOOLS]", "*incident.CUSTOM_TOOLS]"), cell_id="c011")
        assert ename is None, tb
        ename, tb, text = k.run(k.cell("c012"), cell_id="c012")
        assert ename is None and "✅" in text, (tb, text)


def test_an_untouched_optional_exercise_leaves_the_path_working():
    """Walkthrough 3: running 04's optional 4.2 cell as it is (Shift+Enter through) replaced `handle_tool` with a
    function that raises, and a re-run of 4.1 then failed mid-session. 4.2's dispatch has its own name now: after the
    untouched 4.2 and 4.3 cells, 4.1 runs again, ✅."""
    with Kernel("04_custom_tools.ipynb") as k:
        k.run_ids("c001", "c002", "c004")
        right = _with_block(k.cell("c006"), _solution_block("04_custom_tools.ipynb", "c006"))
        assert k.run(right)[0] is None
        optional = [c for c in k.nb.cells if c.cell_type == "code" and numbers_in(mk._source(c)) & {"4.2", "4.3"}]
        assert len(optional) == 2, [mk._source(c)[:60] for c in optional]
        for cell in optional:
            ename, tb, _ = k.run(mk._source(cell))
            assert ename is None, tb
        ename, tb, _ = k.run(right)
        assert ename is None, tb
        ename, tb, text = k.run(k.cell("c007"))
        assert ename is None and "✅" in text, (tb, text)


@pytest.mark.parametrize("name", ["00_mental_model.ipynb", "01_incident_by_hand.ipynb", "02_agent_and_environment.ipynb",
                                  "03_session_and_stream.ipynb", "04_custom_tools.ipynb"])
def test_no_optional_exercise_rebinds_a_name_the_path_reads(name):
    """What an untouched optional exercise's cell binds (its placeholders, a function that raises) is never a name a
    cell of the workshop path reads or binds: running it as it is cannot break a re-run of the path."""
    import ast

    estimate_time = script("estimate_time")
    nb = mk.read(mk.NOTEBOOKS / name)
    skipped = estimate_time.skipped_cells(nb["cells"])

    def names(source: str, ctx) -> set[str]:
        tree = ast.parse(source)
        found = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}
        if ctx is ast.Store:
            found |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        return found

    path = [mk._source(c) for c, skip in zip(nb["cells"], skipped, strict=True) if c["cell_type"] == "code" and not skip]
    on_path = set().union(*(names(s, ast.Load) | names(s, ast.Store) for s in path))
    optional = [mk._source(c) for c, skip in zip(nb["cells"], skipped, strict=True)
                if c["cell_type"] == "code" and skip and numbers_in(mk._source(c))]
    assert optional or name[:2] == "03", f"{name}: no optional exercise after the path"
    clobbered = {n for s in optional for n in names(s, ast.Store)} & on_path
    assert not clobbered, f"{name}: an optional exercise's untouched cell rebinds {sorted(clobbered)}, read on the path"
