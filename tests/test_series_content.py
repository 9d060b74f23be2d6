"""The series says what it must: the facts, the protocol, the topics, the real SDK calls (04–09), and one exercise
format, header and workshop path (00–03); a test class per notebook (or group of them).

These tests read the committed solution notebooks (their sources and the outputs of their offline run) and the
learner notebooks; they start no kernel. test_notebooks.py checks that the committed outputs are what the
solutions really produce, so asserting on those outputs here is asserting on the run.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.settings import API_KEY_PREFIX
from support import notebooks as nbk
from support.notebooks import NOTEBOOKS, SOLUTIONS
from support.scripts import script

ROOT = Path(__file__).resolve().parent.parent

NB04 = "04_custom_tools.ipynb"
NB05 = "05_replay_and_lifecycle.ipynb"
NB06 = "06_beyond_the_basics.ipynb"
NB07 = "07_ship_it.ipynb"
NB09 = "09_team_of_investigators.ipynb"
OURS = (NB04, NB05, NB06, NB07, NB09)


class TestEveryNotebookFrom04:
    """Every notebook of 04-07 and 09: two exercises or more with a goal, a hint and a check; runs alone; clean offline
    outputs."""

    @pytest.mark.parametrize("name", OURS)
    def test_has_at_least_two_exercises_with_goal_hint_and_check(self, name: str):
        nb = nbk.notebook(name)
        cells = nb["cells"]
        numbers = []
        for i, cell in enumerate(cells):
            source = nbk.source(cell)
            found = nbk.exercise_numbers(source) if cell["cell_type"] == "code" else []
            for number in found:
                numbers.append(number)
                assert "### HINT:" in source, f"{name}: exercise {number} has no ### HINT"
                before = "\n".join(nbk.source(c) for c in cells[max(0, i - 3):i] if c["cell_type"] == "markdown")
                assert "Goal" in before, f"{name}: exercise {number} is not introduced by a markdown cell stating its Goal"
                after = next((c for c in cells[i + 1:] if c["cell_type"] == "code"), None)
                assert after is not None and "check." in nbk.source(after), \
                    f"{name}: exercise {number} has no check cell after it"
        assert len(numbers) >= 2, f"{name}: {len(numbers)} exercise(s); the series promises at least two"
        prefix = name[1]  # "04" -> "4"
        assert all(n.split(".")[0] == prefix for n in numbers), f"{name}: exercise numbers {numbers} should start with {prefix}."
        learner = json.dumps(nbk.notebook(name, NOTEBOOKS))
        for number in numbers:
            assert f"TODO {number}" in learner and "NotImplementedError" in learner, f"notebooks/{name}: TODO {number} missing"

    @pytest.mark.parametrize("name", OURS)
    def test_runs_alone_via_helpers_setup(self, name: str):
        """Each notebook builds its own client, environment, agent and log file (what 02 taught), in a fresh kernel."""
        first_code = "\n".join(nbk.code(nbk.notebook(name))[:2])
        for needle in ("helpers.connect(MODE", "resources.ensure_environment(client)", "resources.ensure_agent(client, MODEL)",
                       "resources.ensure_log_file(client)"):
            assert needle in first_code, f"{name}: the set-up cell lacks {needle}"

    @pytest.mark.parametrize("name", OURS)
    def test_offline_outputs_are_clean(self, name: str):
        nb = nbk.notebook(name)
        outputs = nbk.all_outputs(nb)
        errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        assert not errors, f"{name}: committed outputs contain an error: {errors[0].get('ename')}: {errors[0].get('evalue')}"
        assert "❌" not in outputs, f"{name}: a check failed in the committed run"
        assert outputs.count("✅") >= 2, f"{name}: the committed run shows fewer than two passing checks"
        for leak in ("/work/", "/home/", "/root/", API_KEY_PREFIX + "api", "Traceback"):
            assert leak not in outputs, f"{name}: committed outputs contain {leak!r}"


#: The workshop's slide (IMG_7419 of the seed): "Open the stream, send the message, answer tool calls inline".
SLIDE_LOOP = """\
    for ev in stream:
        if ev.type == "agent.custom_tool_use":
            result = handle_tool(ev.name, ev.input)
            client.beta.sessions.events.send(session_id, events=["""


class Test04CustomTools:
    """04: the report, the handler, the inline answer of the slide, the protocol and the data source, every call
    answered."""

    def test_04_final_report_names_the_deploy_the_n_plus_1_and_a_fix(self):
        nb = nbk.notebook(NB04)
        report = nbk.outputs(nbk.cell_with(nb, "Markdown("))
        assert "dep_4820" in report, "the executed report does not name dep_4820"
        assert "N+1" in report, "the executed report does not name the N+1 query"
        assert "order_summary.py" in report or "InventoryReservation" in report, "the report does not point at the code"
        assert "in_(" in report or "selectinload" in report or "roll back" in report.lower() or "revert" in report.lower(), \
            "the report proposes no fix"

    def test_04_handle_tool_dispatches_to_the_incident_functions(self):
        source = nbk.exercise_cell(nbk.notebook(NB04), "4.2")
        for name in ("query_logs", "get_metrics", "list_deploys", "get_diff"):
            assert f"incident.{name}" in source, f"4.2 does not dispatch to incident.{name}"
        assert "raise" in source, "4.2 should raise on an unknown tool"

    def test_04_answers_inline_as_on_the_slide(self):
        nb = nbk.notebook(NB04)
        answer = nbk.exercise_cell(nb, "4.3")
        for needle in ('"user.custom_tool_result"', '"custom_tool_use_id": ev.id', '"is_error"', "except Exception"):
            assert needle in answer, f"4.3 lacks {needle}"
        loop = nbk.exercise_cell(nb, "4.1")
        opened, sent = loop.find("events.stream("), loop.find("events.send(")
        assert 0 <= opened < sent, "4.1 must open the stream before it sends the user.message"
        assert 'message = {"type": "user.message"' in "\n".join(nbk.code(nb)[:3]), "04's setup builds the user.message"
        for needle in ("events=[message]", 'event.type == "agent.custom_tool_use"', "handle_tool(event.name, event.input)",
                       '"custom_tool_use_id": event.id', "answered.add(event.id)", '"requires_action"',
                       "session.status_terminated", "break", "timeout="):
            assert needle in loop, f"4.1 lacks {needle}"
        assert "yield" not in loop and "def investigate" not in loop, "4.1 is 03's loop, in the cell: no function around it"
        text = nbk.markdown(nb)
        if "slide" in text.lower():  # a slide cited must be shown (issue 19); the slide's branch is 4.1's answer
            assert "with client.beta.sessions.events.stream(session_id) as stream:" in text and SLIDE_LOOP in text, \
                "the slide's code is not shown where it is cited"
        assert "Code w/ Claude" not in text, "04 names one conference, stale at any other (walkthrough 1)"

    def test_04_explains_the_protocol_and_the_data_source(self):
        nb = nbk.notebook(NB04)
        text = nbk.markdown(nb).lower()
        assert "no inbound networking" in text
        assert "function on your laptop" in text
        assert "datadog" in text and "same wire protocol" in text
        code = "\n".join(nbk.code(nb))
        assert "incident.set_source(" in code and "incident.FileSource()" in code, "the data-source swap is not demonstrated"
        assert "helpers.dashboard.show()" in code and "dash.attach(session)" in code and "on_event(event)" in code, \
            "the SRE Agent panel is not brought online"
        assert '"recording": "incident-2277"' in code

    def test_04_every_tool_call_was_answered_on_the_laptop(self):
        outputs = nbk.all_outputs(nbk.notebook(NB04))
        match = re.search(r"(\d+) commands ran in the cloud sandbox; (\d+) calls ran on your laptop", outputs)
        assert match and int(match.group(1)) > 0 and int(match.group(2)) >= 4, "the wire summary is missing or empty"
        summary = outputs[match.end():].split("\n\n")[0]
        assert "→" in summary and "(error)" not in summary, summary


class Test05ReplayAndLifecycle:
    """05: the history APIs, a rebuild from the platform alone, reconnecting, the four statuses, usage."""

    def test_05_uses_the_history_apis_with_pagination(self):
        code = "\n".join(nbk.code(nbk.notebook(NB05)))
        for needle in ("client.beta.sessions.list(agent_id=", "client.beta.sessions.events.list(", "limit=",
                       "get_next_page()", "has_next_page()", 'order="desc"', "types=[", "statuses=["):
            assert needle in code, f"05 lacks {needle}"
        assert "limit=25" in nbk.exercise_cell(nbk.notebook(NB05), "5.1"), "5.1 should page with limit=25"

    def test_05_rebuilds_after_a_hard_refresh_from_the_platform_alone(self):
        nb = nbk.notebook(NB05)
        codes = nbk.code(nb)
        reset = next(i for i, c in enumerate(codes) if c.strip() == "%reset -f")
        after = "\n".join(codes[reset + 1:])
        assert "helpers.connect()" in after and "resources.find_agent(client)" in after
        assert "sessions.list(agent_id=agent.id, limit=20) if resources.is_mine(s))" in after  # the newest of yours
        conversation = nbk.exercise_cell(nb, "5.2")
        assert conversation in codes[reset + 1:], "5.2 must come after the %reset"
        left = nbk.outputs(nbk.cell_with(nb, "variables left:"))
        assert "variables left: []" in left, f"the refresh left variables behind: {left}"

    def test_05_reconnects_stream_first_then_history_then_tail(self):
        source = nbk.exercise_cell(nbk.notebook(NB05), "5.3")
        source = "\n".join(line for line in source.split("\n") if not line.strip().startswith("###"))  # the code only
        opened, listed = source.find("events.stream("), source.find("events.list(")
        assert 0 <= opened < listed, "5.3 must open the stream before listing the history"
        tail = source.find("for ev in stream")
        assert listed < tail and "if ev.id in seen" in source, "5.3 must tail the stream skipping ids already seen"

    def test_05_walks_the_four_statuses_with_the_fault_recordings(self):
        nb = nbk.notebook(NB05)
        code = "\n".join(nbk.code(nb))
        for recording in ("fault-rescheduled", "fault-retries-exhausted", "fault-terminated"):
            assert recording in code
        outputs = nbk.all_outputs(nb)
        assert "idle → running → rescheduling → running" in outputs
        assert "idle (retries_exhausted)" in outputs and "retry_status 'exhausted'" in outputs
        assert "→ terminated" in outputs and "retry_status 'terminal'" in outputs
        assert "retry_status 'retrying'" in outputs
        assert "BadRequestError 400" in outputs, "a terminated session should refuse new events"

    def test_05_reads_usage_from_the_session_and_the_spans(self):
        nb = nbk.notebook(NB05)
        code = "\n".join(nbk.code(nb))
        assert ".usage" in code and '"span.model_request_end"' in code
        usage = nbk.outputs(nbk.cell_with(nb, "types=[\"span.model_request_end\"]"))
        spans = re.search(r"from the spans:.*'output_tokens': (\d+)", usage)
        total = re.search(r"session.usage:.*output_tokens=(\d+)", usage)
        assert spans and total and spans.group(1) == total.group(1), usage


#: topic -> snippets (in code cells) that show the real SDK call it starts from
TOPICS_06 = {
    "interrupt": ['{"type": "user.interrupt"}'],
    "permission policy": ['"permission_policy": {"type": "always_ask"}', '"user.tool_confirmation"',
                          '"deny_message"', "allow=True", "allow=False"],
    "outcomes": ['"user.define_outcome"', '"rubric": {"type": "text"', ".outcome_evaluations"],
    "memory": ["client.beta.memory_stores.create(", "client.beta.memory_stores.memories.create(",
               '"type": "memory_store"'],
    "MCP servers": ["mcp_servers=", '"mcp_toolset"'],
    "webhooks": ["client.beta.webhooks.unwrap(", "Webhook(DEMO_KEY).sign("],
    "console agent builder": ["client.beta.agents.versions.list("],
}


#: 06's tour of subagents, vaults and MCP servers points to 09, which does them (offline too): each topic's SDK call
#: shown in the prose, and the pointer
TOURS_TO_09 = {
    "subagents": ["client.beta.agents.create(", "multiagent=", '"multiagent_20261001"'],
    "vaults": ["client.beta.vaults.create(", "client.beta.vaults.credentials.create(", "vault_ids="],
    "MCP servers": ["mcp_servers=", '"mcp_toolset"'],
}


class Test06BeyondTheBasics:
    """06: the tours that point to 09, each topic with its SDK call, every tour run offline, each control shown
    working."""

    @pytest.mark.parametrize("topic", list(TOURS_TO_09))
    def test_06_tours_of_subagents_vaults_and_mcp_point_to_09(self, topic: str):
        text = nbk.markdown(nbk.notebook(NB06))
        heading = f"### {topic[0].upper()}{topic[1:]}"
        section = text[text.index(heading):].split("\n### ", 1)[0]
        for needle in TOURS_TO_09[topic]:
            assert needle in section + "\n".join(nbk.code(nbk.notebook(NB06))), f"06 / {topic}: the tour lacks {needle}"
        assert "notebook 09" in section.lower(), f"06 / {topic}: the tour does not point to notebook 09"
        code09 = "\n".join(nbk.code(nbk.notebook(NB09)))
        for needle in TOURS_TO_09[topic]:
            assert needle.replace('"multiagent_20261001"', "multiagent_20261001") in code09, f"09 lacks {needle}"

    @pytest.mark.parametrize("topic", list(TOPICS_06))
    def test_06_covers_each_topic_with_its_sdk_call(self, topic: str):
        nb = nbk.notebook(NB06)
        code = "\n".join(nbk.code(nb))
        for needle in TOPICS_06[topic]:
            assert needle in code, f"06 / {topic}: no code cell contains {needle}"
        assert topic.lower().split()[0] in nbk.markdown(nb).lower(), f"06 / {topic}: not explained in the prose"

    def test_06_tours_all_run_offline(self):
        """No tour cell is live only any more: memory runs offline here (and in 08), subagents, vaults and MCP calls in 09
        (06 shows their code in markdown and points there)."""
        nb = nbk.notebook(NB06)
        start = next(i for i, c in enumerate(nb["cells"]) if "## 4. A tour of what comes after" in nbk.source(c))
        end = next(i for i, c in enumerate(nb["cells"]) if nbk.source(c).startswith("## Recap"))
        for cell in nb["cells"][start:end]:
            if cell["cell_type"] == "code":
                assert 'if MODE == "live":' not in nbk.source(cell) and "live only" not in nbk.outputs(cell), \
                    nbk.source(cell)[:120]
                assert "vaults.create(" not in nbk.source(cell) and "multiagent=" not in nbk.source(cell), nbk.source(cell)[:120]
        assert "/mnt/memory/sre-runbooks" in nbk.outputs(nbk.cell_with(nb, "memory_stores.create"))  # the memory tour, offline

    def test_06_outputs_show_each_control_working(self):
        nb = nbk.notebook(NB06)
        interrupt = nbk.outputs(nbk.cell_with(nb, "events = audit_then_interrupt("))
        assert "user.interrupt" in interrupt and "idle: end_turn" in interrupt
        compare = nbk.outputs(nbk.cell_with(nb, 'for label, run in (("allow", allowed), ("deny", denied))'))
        assert "allow: 1 command(s) ran in the sandbox" in compare
        assert "deny: 0 command(s) ran in the sandbox; custom tool calls: ['query_logs']" in compare
        verdicts = nbk.outputs(nbk.cell_with(nb, ".outcome_evaluations"))
        assert "needs_revision" in verdicts and "satisfied" in verdicts
        outputs = nbk.all_outputs(nb)
        assert "span.outcome_evaluation_end" in outputs
        assert "session.status_idled:" in outputs, "the webhook payload was not handled"
        assert '"recording": "interrupt"' in "\n".join(nbk.code(nb))
        assert '"recording": "permission-policy"' in "\n".join(nbk.code(nb))
        assert '"recording": "outcome"' in "\n".join(nbk.code(nb))


def _sdk_chains(source: str) -> set[str]:
    return set(re.findall(r"\bclient\.beta(?:\.[a-z_]+)+(?=\()", source))


# The live-only cells never run offline, so their arguments are checked here against the pinned SDK's own
# parameter types: pydantic validates required keys and literal values, and _unknown_keys catches misspelled
# optional keys (pydantic ignores extra keys in TypedDicts; the API would not).

class _Name(str):
    """A name the static evaluation cannot know (agent.id, store.id, ...): any attribute is a string, but a
    ``.version`` (agent.version) is a version number."""

    def __getattr__(self, name: str) -> _Name | int:
        if name.startswith("__"):
            raise AttributeError(name)
        return 1 if name == "version" else _Name(f"{self}.{name}")


class _Namespace(dict):
    def __missing__(self, key: str) -> _Name:
        return _Name(key)


def _union_members(tp) -> list:
    import types
    import typing

    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _union_members(a)]
    return [tp]


def _without_omit(tp):
    import typing

    members = [m for m in _union_members(tp) if getattr(m, "__name__", "") not in ("Omit", "NotGiven")]
    return typing.Union[tuple(members)] if len(members) > 1 else members[0]  # noqa: UP007 - a computed tuple


def _unknown_keys(tp, value, path: str = "") -> list[str]:
    """Keys of `value` (recursively) that no TypedDict of `tp` declares."""
    import collections.abc
    import typing

    from typing_extensions import is_typeddict

    members = [m for m in _union_members(tp) if m is not type(None)]
    if isinstance(value, dict):
        tds = [m for m in members if is_typeddict(m)]
        if not tds:
            return []
        if "type" in value:
            same = [m for m in tds if value["type"] in typing.get_args(typing.get_type_hints(m).get("type", object))]
            tds = same or tds
        best = None
        for td in tds:
            hints = typing.get_type_hints(td)
            problems = [f"{path}.{k}" for k in value if k not in hints]
            for k, v in value.items():
                if k in hints:
                    problems += _unknown_keys(hints[k], v, f"{path}.{k}")
            if not problems:
                return []
            best = problems if best is None or len(problems) < len(best) else best
        return best or []
    if isinstance(value, (list, tuple)):
        for m in members:
            origin = typing.get_origin(m)
            if origin in (list, tuple, collections.abc.Iterable, collections.abc.Sequence) or "Sequence" in str(origin):
                elem = (typing.get_args(m) or (object,))[0]
                return [p for i, v in enumerate(value) for p in _unknown_keys(elem, v, f"{path}[{i}]")]
    return []


def _call_chain(node) -> list[str]:
    import ast

    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return list(reversed(parts))


class TestSdkCalls:
    """The SDK calls of the notebooks exist in the pinned SDK, with arguments its types accept."""

    @pytest.mark.parametrize("name", OURS)
    def test_every_sdk_call_exists_in_the_pinned_sdk(self, name: str):
        """Every client.beta.x.y(...) the notebook calls resolves on a real anthropic client (the pinned one) (no request
        made)."""
        import anthropic

        client = anthropic.Anthropic(api_key="test", base_url="http://127.0.0.1:9")
        chains = _sdk_chains("\n".join(nbk.code(nbk.notebook(name))))
        assert chains, f"{name}: no SDK calls found"
        for chain in sorted(chains):
            obj = client
            for part in chain.split(".")[1:]:
                assert hasattr(obj, part), f"{name}: {chain} does not exist in anthropic {anthropic.__version__}"
                obj = getattr(obj, part)
            assert callable(obj), f"{name}: {chain} is not callable"

    @pytest.mark.parametrize("name", OURS)
    def test_sdk_call_arguments_match_the_pinned_sdk_types(self, name: str):
        import ast
        import typing

        import anthropic
        from pydantic import TypeAdapter

        import helpers.incident
        import helpers.resources

        client = anthropic.Anthropic(api_key="test", base_url="http://127.0.0.1:9")
        ns = _Namespace(resources=helpers.resources, incident=helpers.incident, MODEL="claude-sonnet-4-6")
        checked: set[str] = set()
        for source in nbk.code(nbk.notebook(name)):
            try:
                tree = ast.parse(source)
            except SyntaxError:  # an IPython magic cell
                continue
            for node in tree.body:  # simple top-level assignments, so names like `multiagent` resolve
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    try:
                        ns[node.targets[0].id] = eval(compile(ast.Expression(node.value), name, "eval"), {}, ns)
                    except Exception:
                        pass
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                chain = _call_chain(node.func)
                if chain[:2] == ["client", "beta"]:
                    method = client
                    for part in chain[1:]:
                        method = getattr(method, part)
                elif chain == ["resources", "new_session"]:  # passes its keywords on to sessions.create
                    method, chain = client.beta.sessions.create, ["resources", "new_session→sessions", "create"]
                else:
                    continue
                hints = typing.get_type_hints(method)
                for kw in node.keywords:
                    if kw.arg is None or kw.arg not in hints or kw.arg in ("timeout", "extra_headers"):
                        continue
                    if isinstance(kw.value, ast.Name) and kw.value.id not in ns:
                        continue  # a function's parameter: its value is not known statically
                    try:
                        value = eval(compile(ast.Expression(kw.value), name, "eval"), {}, ns)
                    except Exception:
                        continue  # e.g. built by calling a function of the notebook
                    where = f"{name}: {'.'.join(chain)}({kw.arg}=...)"
                    TypeAdapter(_without_omit(hints[kw.arg])).validate_python(value)
                    extra = _unknown_keys(hints[kw.arg], value)
                    assert not extra, f"{where}: keys the SDK does not know: {extra}"
                    checked.add(f"{chain[-2]}.{chain[-1]}({kw.arg})")
        assert len(checked) >= 4, f"{name}: only {sorted(checked)} could be checked"
        if name == NB06:
            for must in ("agents.create(mcp_servers)", "agents.create(tools)", "memory_stores.create(name)",
                         "memories.create(path)", "new_session→sessions.create(resources)"):
                assert must in checked, f"06: {must} was not checked; checked: {sorted(checked)}"
        if name == NB09:
            for must in ("agents.create(multiagent)", "agents.create(mcp_servers)", "agents.create(tools)",
                         "vaults.create(display_name)", "sessions.create(vault_ids)", "environments.create(config)"):
                assert must in checked, f"09: {must} was not checked; checked: {sorted(checked)}"


NB00, NB01, NB02, NB03 = ("00_mental_model.ipynb", "01_incident_by_hand.ipynb", "02_agent_and_environment.ipynb",
                          "03_session_and_stream.ipynb")
FIRST = (NB00, NB01, NB02, NB03)
#: exercises a 45-minute workshop skips; the README and the headings say so
OPTIONAL_IN_WORKSHOP = ("0.1", "1.1", "1.2", "1.3", "2.3", "4.2", "4.3")


class TestFirstNotebooks:
    """00-03 (and 04's format): the header and exercise format, the workshop path's optional exercises, the real
    endpoints, the same toolset as setup, clean outputs."""

    @pytest.mark.parametrize("name", (*FIRST, NB04))
    def test_header_and_exercise_format(self, name: str):
        nb = nbk.notebook(name)
        header = nbk.source(nb["cells"][0])
        last = sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))[-1].name[:2]  # the whole series: 07, then 08 (notebook 08)
        label = f"notebook {name[:2]} of 00–{last}"
        assert f"· {label} · about " in header, f"{name}: the header should say '{label}'"
        text = nbk.markdown(nb)
        headings = re.findall(r"^### Exercise (\d+\.\d+): (.+)$", text, re.M)
        numbers = [n for n, _ in headings]
        assert numbers == sorted(set(nbk.exercise_numbers("\n".join(nbk.code(nb))))), numbers
        for number, title in headings:
            assert ("(optional in the workshop)" in title) == (number in OPTIONAL_IN_WORKSHOP), f"{name}: exercise {number}"
            block = text.split(f"### Exercise {number}: ", 1)[1]
            goal, hint = block.find("\n- **Goal:** "), block.find("\n- **Hint:** ")
            assert 0 <= goal < hint, f"{name}: exercise {number} needs '- **Goal:** ...' then '- **Hint:** ...', each a bullet"
        assert not re.search(r"\*\*(Goal|Hint)\*\*:", text), f"{name}: old 'Goal'/'Hint' format left"
        if "slide" in text.lower():  # a slide a self-learner does not have is shown where it is cited
            assert "```python" in text.split("slide", 1)[1][:200], f"{name}: cites a slide without showing its code"

    def test_readme_marks_the_same_exercises_optional(self):
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        assert "*optional in the workshop* (0.1, 1.1–1.3, 2.3, 4.2, 4.3)" in readme
        assert "python3 workshop.py open    # opens the workshop" in readme and "python3 workshop.py test    # runs" in readme

    def test_00_names_the_real_endpoints(self):
        text = nbk.markdown(nbk.notebook(NB00))
        assert "`GET /v1/sessions/{session_id}/events/stream`" in text
        assert "`POST /v1/sessions/{session_id}/events`" in text

    def test_02_hint_builds_the_same_toolset_as_setup(self):
        nb = nbk.notebook(NB02)
        assert '"permission_policy": {"type": "always_allow"}' in "\n".join(nbk.code(nb))  # given: 2.2 is the create call
        assert "same tools as yours:     True" in nbk.all_outputs(nb)
        assert "agent = latest" in nbk.exercise_cell(nb, "2.3")

    def test_01_draws_checkout_deploys_in_the_dashboards_colour(self):
        """Walkthrough 4: 01 says checkout's deploys are dashed purple on the dashboard; its own chart, after the path,
        drew them red. Both draw them in the dashboard's colour (helpers/dashboard/charts.py), and the prose says so."""
        charts = (ROOT / "helpers" / "dashboard" / "charts.py").read_text(encoding="utf-8")
        own = re.search(r'else \("(#[0-9a-fA-F]{6})" if own else', charts)
        assert own, "charts.py no longer colours a service's own deploys as this test reads it"
        nb = nbk.notebook(NB01)
        drawn = nbk.source(nbk.cell_with(nb, "plt.subplots"))
        assert f'color = "{own.group(1)}" if d["service"] == "checkout"' in drawn, drawn
        text = nbk.markdown(nb)
        assert "checkout's own in purple" in text and "dashed purple as there" in text
        assert own.group(1).lower() == "#6a1b9a"  # purple: the word the prose uses

    def test_03_starts_its_loop_cell_with_the_loop(self):
        """Walkthrough 4: 3.2's cell opened with a re-run guard (events.list, new_session) before the loop: one line
        now, resources.unused_session."""
        loop = nbk.exercise_cell(nbk.notebook(NB03), "3.2")
        assert loop.splitlines()[0].startswith("session = resources.unused_session(client, session)"), loop
        assert "events.list(" not in loop and "new_session(" not in loop

    @pytest.mark.parametrize("name", (NB03, NB04))
    def test_every_event_the_path_streams_is_named_on_the_path_before_it(self, name: str):
        """Walkthrough 4: 03's and 04's streams showed span.model_request_start/_end, agent.thinking, session.usage and
        session.status_running, none named in 00's path, and the echo of user.message was explained only after 00's
        Next. Each event type a path cell prints (render.show's lines) is named, in backticks, in the prose of 00's
        path or of this notebook's path (03's, for 04) before that cell."""
        estimate = script("estimate_time")

        def path(nb_name: str) -> list[dict]:
            cells = nbk.notebook(nb_name)["cells"]
            return [c for c, skipped in zip(cells, estimate.skipped_cells(cells), strict=True) if not skipped]

        def names(text: str) -> set[str]:
            found = set(re.findall(r"`([a-z]+\.[a-z_]+)`", text))
            found |= {f"{m[1]}_{m[2]}" for m in re.finditer(r"`([a-z]+\.[a-z_]+)_[a-z]+`,\s*`_([a-z]+)`", text)}
            return found

        earlier = [NB00] + ([NB03] if name == NB04 else [])
        prose = "\n".join(nbk.source(c) for n in earlier for c in path(n) if c["cell_type"] == "markdown")
        streamed = []
        for cell in path(name):
            if cell["cell_type"] == "markdown":
                prose += "\n" + nbk.source(cell)
                continue
            for line in nbk.outputs(cell).splitlines():
                m = re.match(r"([a-z]+\.[a-z_]+) {2,}\S", line)
                if m:
                    streamed.append(m[1])
                    assert m[1] in names(prose), f"{name}: the path streams {m[1]} before its prose names it"
        assert {"user.message", "span.model_request_start", "agent.thinking", "session.usage"} <= set(streamed)

    @pytest.mark.parametrize("name", FIRST)
    def test_first_notebooks_outputs_are_clean(self, name: str):
        nb = nbk.notebook(name)
        errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        assert not errors, f"{name}: committed outputs contain an error"
        outputs = nbk.all_outputs(nb)
        assert "❌" not in outputs and "Traceback" not in outputs
        for leak in ("/work/", "/home/", "/root/", API_KEY_PREFIX + "api"):
            assert leak not in outputs, f"{name}: committed outputs contain {leak!r}"


class TestFigures:
    """00's figure is a committed image that scripts/make_figures.py draws (and its --check keeps in step)."""

    def test_00_shows_the_brain_diagram_as_an_image_without_running_code(self):
        """The diagram is a markdown image (seen before anything runs, in learner notebooks too), drawn by
        scripts/make_figures.py; the who-manages-what comparison is a markdown table. 00 imports neither pyplot nor pandas."""
        for folder in (SOLUTIONS, ROOT / "notebooks"):
            nb = nbk.notebook(NB00, folder)
            text = nbk.markdown(nb)
            assert "](../docs/brain-left-the-box.png)" in text
            assert "| who manages… | Messages API | Agent SDK | Managed Agents |" in text
            code = "\n".join(nbk.code(nb))
            assert "matplotlib" not in code and "pandas" not in code
        assert (ROOT / "docs" / "brain-left-the-box.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_committed_figures_are_what_make_figures_draws(self, tmp_path, monkeypatch):
        figures = script("make_figures")
        assert figures.main(["--check"]) == 0, "docs/ figures are stale: run python scripts/make_figures.py"
        stale = tmp_path / "stale.png"
        stale.write_bytes(b"\x89PNG\r\n\x1a\nnot this drawing")
        monkeypatch.setattr(figures, "FIGURES", {stale: figures.brain_left_the_box})
        monkeypatch.setattr(figures, "ROOT", tmp_path)
        charts = tmp_path / "charts"
        monkeypatch.setattr(figures, "CHARTS", charts)
        assert figures.main(["--check"]) == 1  # a stale figure (and missing charts) fail the check
        assert figures.main([]) == 0 and figures.main(["--check"]) == 0
        assert stale.read_bytes() == figures.brain_left_the_box() and len(list(charts.glob("chart-*.png"))) == 2
        leftover = charts / "chart-0000.png"
        leftover.write_bytes(stale.read_bytes())
        assert figures.main(["--check"]) == 1  # a chart that no view draws any more fails it too
        assert figures.main([]) == 0 and not leftover.exists()


class Test07ShipIt:
    """07 says what ran, and for how long."""

    def test_07_says_what_ran_and_for_how_long(self):
        """Issue 19's stale texts in 07: offline the agent ran for the recording's time (not "0.0 s"), and every follower's
        output starts with the run's first event (not a user.custom_tool_result that answers nothing on screen)."""
        nb = nbk.notebook(NB07)
        outputs = nbk.all_outputs(nb)
        running = re.findall(r"the agent was running ([\d.]+) s", outputs)
        agent_time = re.findall(r"(\d+) s of agent time", outputs)
        assert running and agent_time and all(float(x) > 10 for x in running + agent_time), (running, agent_time)
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and "loop.run(" in nbk.source(cell):
                events = [line.split()[0] for line in nbk.outputs(cell).splitlines()
                          if re.match(r"^(user|agent|session|span)\.\w+ ", line)]
                assert not events or events[0] == "user.message", f"a follower's output starts with {events[0]}"


TOPICS_09 = {
    "a team": ['"multiagent_20261001"', '"predefined_agents"', '"inline_agents": {"type": "disabled"}'],
    "its stream": ['"agent.thread_message_sent"', "to_session_thread_id", "session_thread_id"],
    "stop one thread": ['"user.interrupt", "session_thread_id"'],
    "threads": ["client.beta.sessions.threads.list(", "client.beta.sessions.threads.retrieve(",
                "client.beta.sessions.threads.events.list(", "client.beta.sessions.threads.events.stream(",
                "client.beta.sessions.threads.archive(", ".usage"],
    "an MCP server": ["mcp_servers=", '"mcp_toolset"', '"always_ask"', '"allow_mcp_servers": True', "confirm=review"],
    "a vault": ["client.beta.vaults.create(", "client.beta.vaults.credentials.create(", "vault_ids=[vault.id]",
                '"static_bearer"'],
    "rotate, retire": ["client.beta.vaults.credentials.update(", "client.beta.vaults.credentials.archive(",
                       "client.beta.vaults.archive("],
}


class Test09ATeamOfInvestigators:
    """09: each topic with its SDK call; the team, its threads, the MCP call and the vault in the outputs."""

    @pytest.mark.parametrize("topic", list(TOPICS_09))
    def test_09_covers_each_topic_with_its_sdk_call(self, topic: str):
        code = "\n".join(nbk.code(nbk.notebook(NB09)))
        for needle in TOPICS_09[topic]:
            assert needle in code, f"09 / {topic}: no code cell contains {needle}"
        assert topic in nbk.markdown(nbk.notebook(NB09)), f"09 / {topic}: not in the recap"

    def test_09_outputs_show_the_team_its_threads_the_mcp_call_and_the_vault(self):
        nb = nbk.notebook(NB09)
        team = nbk.outputs(nbk.cell_with(nb, "team = loop.run("))
        assert team.count("session.thread_created") == 3 and team.count("agent.thread_message_received") == 2
        assert "cart │ user.interrupt" in team
        assert "cart │ session.thread_status_idle sre-investigator-you-laptop: idle end_turn" in team
        assert "checkout │ agent.custom_tool_use" in team and "payments │ agent.custom_tool_use" in team
        listed = nbk.outputs(nbk.cell_with(nb, "client.beta.sessions.threads.list("))
        assert "lead: incident-lead" in listed and listed.count("sre-investigator") == 3
        own = nbk.outputs(nbk.cell_with(nb, "client.beta.sessions.threads.events.list("))
        assert "agent.tool_use            bash" in own and "agent.thread_message_sent to the primary thread" in own
        cost = nbk.outputs(nbk.cell_with(nb, "def dollars("))
        assert re.search(r"cart:\s+0 tokens in,\s+0 out, \$0\.00", cost) and "session: $" in cost
        stream = nbk.outputs(nbk.cell_with(nb, "client.beta.sessions.threads.events.stream("))
        assert "agent.tool_result         ok: 662" in stream and "the lead: The checkout investigator" in stream
        assert "archived: True" in nbk.outputs(nbk.cell_with(nb, "client.beta.sessions.threads.archive("))
        comms = nbk.outputs(nbk.cell_with(nb, "comms_run = loop.run("))
        assert comms.count("agent.mcp_tool_use") == 2 and "[waiting for your confirmation]" in comms
        assert "user.tool_confirmation    allow" in comms and '"published": true' in comms
        shown = nbk.outputs(nbk.cell_with(nb, 'print("auth:", credential.auth'))
        assert '"type":"static_bearer"' in shown and "the token anywhere in the credential: False" in shown
        assert "without a vault: (offline stub)" in nbk.outputs(nbk.cell_with(nb, "vault_ids=[vault.id],"))
        rotated = nbk.outputs(nbk.cell_with(nb, "client.beta.vaults.credentials.update("))
        assert "token shown: False" in rotated and "a new session naming the archived vault: 400" in rotated
