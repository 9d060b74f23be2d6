"""The 45-minute room: the workshop path fits 40 minutes by the estimate, the README's agenda agrees with it, every
notebook links its Managed Agents docs, and the dashboard shows without a kernel (nbconvert HTML of 01 and 04)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.settings import API_KEY_PREFIX
from support import notebooks as nbk
from support.scripts import script

ROOT = Path(__file__).resolve().parent.parent
NAMES = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DOCS = "https://platform.claude.com/docs/en/managed-agents/"


estimate_time = script("estimate_time")


def _markdown(name: str) -> str:
    return nbk.markdown(nbk.notebook(name, nbk.NOTEBOOKS))


def test_workshop_path_fits_40_minutes_with_at_most_5_required_todos():
    results = estimate_time.estimates()
    total = estimate_time.workshop_total(results)
    assert total <= 40, estimate_time.report(results)
    path = estimate_time.on_path(results)
    assert [r.number for r in path] == ["00", "01", "02", "03", "04"]
    # the seed's four hands-on steps: create the agent and the environment, a session, stream it, answer tool calls
    assert estimate_time.required_todos(results) == ["2.1", "2.2", "3.1", "3.2", "4.1"], estimate_time.report(results)
    assert len(estimate_time.required_todos(results)) <= estimate_time.MAX_REQUIRED_TODOS


def test_the_classroom_model_is_the_issues_and_cites_its_constants():
    """Issue 19: prose at 200 words a minute, code at 30 lines a minute, each required TODO at least 4 minutes (1 +
    half its lines when longer), a minute per notebook; each constant with its source (script and design.md)."""
    et = estimate_time
    assert (et.WORDS_PER_MINUTE, et.CODE_LINES_PER_MINUTE, et.RUN_MINUTES) == (200, 30, 1.0)
    assert [et.todo_minutes(n) for n in (1, 3, 6, 7, 10, 20)] == [4, 4, 4, 4.5, 6, 11]
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    for source in ("Brysbaert", "10.1016/j.jml.2019.104047", "Humphrey", "Busjahn", "Writing Exercises"):
        assert source in et.__doc__ and source in design, f"{source} is not cited in the script and design.md"
    assert et.solution_lines("### BEGIN SOLUTION 9.1 T\n### HINT: h\n# c\n\na = 1\nb = 2\n### END SOLUTION") == {"9.1": 2}


def test_reading_counts_prose_and_code_but_not_what_is_not_read():
    words, code = estimate_time.prose_and_code(
        "Read [the docs](https://example.com/a/b) now.\n![a figure of many words](x.png)\n```python\nx = 1\n\ny = 2\n```")
    assert (words, code) == (4, 2)  # "Read the docs now."; the link target, the image and the fence are not prose
    learner_cell = ("# TODO 3.2: Stop\n# Hint: two ifs\n# Still stuck? Run check.hint(\"3.2\")\n"
                    "# Replace the `raise` below with your code.\nstop_reason = check.TODO\n"
                    "raise NotImplementedError(\"TODO 3.2 (Stop): write your code here, then run this cell\")\n"
                    "for event in stream:  # read\n\n    render.show(event)")
    assert estimate_time.code_lines(learner_cell) == ["for event in stream:  # read", "    render.show(event)"]
    report = {"cell_type": "code", "outputs": [{"output_type": "execute_result",
                                                "data": {"text/markdown": "The culprit is dep_4820.", "text/plain": "x"}}]}
    assert estimate_time.markdown_output_words(report) == 4


def test_the_estimate_skips_exactly_what_comes_after_the_workshop():
    """Walkthrough 3: newcomers read what sits in the middle of the path, marked skipped or not. The path of a
    notebook runs to its heading 'After the workshop'; that heading and everything after it are skipped, and nothing
    before it."""
    skipped = {t.number for r in estimate_time.estimates() for t in r.todos if t.skipped}
    assert skipped == {"0.1", "1.1", "1.2", "1.3", "2.3", "4.2", "4.3"}, skipped
    cells = [{"cell_type": "markdown", "source": "## Step"}, {"cell_type": "code", "source": "x = 1"},
             {"cell_type": "markdown", "source": "## Going deeper: more"}, {"cell_type": "code", "source": "y = 2"},
             {"cell_type": "markdown", "source": "**Next: 02**"},
             {"cell_type": "markdown", "source": "## After the workshop\n\nLater."},
             {"cell_type": "markdown", "source": "### Exercise 1.1: X (optional in the workshop)"},
             {"cell_type": "code", "source": "z = 3"}, {"cell_type": "markdown", "source": "## Another section"}]
    assert estimate_time.skipped_cells(cells) == [False, False, False, False, False, True, True, True, True]
    assert estimate_time.structure_problems("x", cells) == [
        "x: 'Going deeper: more' is on the workshop path: move it under 'After the workshop'"]
    assert estimate_time.structure_problems("x", cells[:2] + cells[4:]) == []
    no_next = cells[:2] + cells[5:]
    assert "does not end with its '**Next: ...**' line" in " ".join(estimate_time.structure_problems("x", no_next))


def test_every_notebook_of_the_path_ends_its_path_with_next_and_puts_the_rest_after_the_workshop():
    results = estimate_time.estimates()
    assert estimate_time.path_problems(results) == []
    for r in estimate_time.on_path(results):
        cells = nbk.notebook(r.name, nbk.NOTEBOOKS)["cells"]
        ends = [i for i, c in enumerate(cells) if estimate_time.ends_path(c)]
        assert len(ends) == 1, f"{r.name}: one heading 'After the workshop', not {len(ends)}"
        assert nbk.source(cells[ends[0]]).startswith("## After the workshop\n"), r.name
        assert r.skipped_words, f"{r.name}: nothing after the workshop?"
    for r in results:  # a self-study notebook is counted whole
        if r.number not in estimate_time.WORKSHOP_PATH:
            cells = nbk.notebook(r.name)["cells"]
            assert not any(estimate_time.skipped_cells(cells)) and not r.skipped_words, r.name


def test_readme_presenter_and_headers_agree_with_the_estimate():
    results = estimate_time.estimates()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    presenter = (ROOT / "docs" / "presenter.md").read_text(encoding="utf-8")
    assert estimate_time.problems(results) == []
    # and each check can fail
    minutes = estimate_time.rounded(next(r for r in results if r.name.startswith("04")).minutes)
    wrong = readme.replace(f"| {minutes} min |", f"| {minutes + 10} min |", 1)  # the agenda's 04 row, from the model
    assert wrong != readme and estimate_time.readme_problems(wrong, results)
    slot = estimate_time.slots(results)["03"]
    moved = presenter.replace(f"| {slot[0]}–{slot[1]} | **03", f"| {slot[0]}–{slot[1] + 2} | **03", 1)
    assert moved != presenter and estimate_time.presenter_problems(moved, results)
    assert "docs/presenter.md" in readme


@pytest.mark.parametrize("name", NAMES)
def test_each_header_names_its_place_in_the_series_and_its_minutes(name: str):
    """'notebook NN of 00–07' (the whole series, not a stale 00–06) and 'about N minutes' by the estimate, in the
    learner notebook too."""
    results = estimate_time.estimates()
    minutes = estimate_time.rounded(estimate_time.estimate(name).minutes)
    header = _markdown(name).split("\n\n", 2)[1]
    assert f"about {minutes} minutes" in header, f"{name}: the header should say about {minutes} minutes: {header!r}"
    label = estimate_time.series_label(name[:2], results)
    assert label == f"notebook {name[:2]} of 00–{NAMES[-1][:2]}" and label in header, (name, header)


@pytest.mark.parametrize("name", NAMES)
def test_each_notebook_links_the_managed_agents_docs(name: str):
    links = re.findall(re.escape(DOCS) + r"[a-z-]+", _markdown(name))
    assert links, f"{name}: no link to the official Managed Agents docs ({DOCS}...)"


def test_06_links_each_topic():
    text = _markdown("06_beyond_the_basics.ipynb")
    for page in ("permission-policies", "define-outcomes", "memory", "vaults", "mcp-connector", "webhooks",
                 "multi-agent"):
        assert DOCS + page in text, f"06 does not link {page}"


@pytest.mark.parametrize("name", ["01_incident_by_hand.ipynb", "04_custom_tools.ipynb"])
def test_dashboard_shows_in_nbconvert_html(name: str):
    """No kernel, no widget state: nbconvert falls back to the static copy beside the widget view."""
    import nbconvert
    import nbformat

    nb = nbformat.read(ROOT / "solutions" / name, as_version=4)
    widget_outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                      if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widget_outputs, f"{name}: no widget output"
    for output in widget_outputs:
        assert "text/html" in output["data"] or "image/png" in output["data"], f"{name}: a widget output has no static copy"
    html_text, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    static = html_text[html_text.index("static-dashboard"):]
    assert 'class="metrics-chart"' in static and "data:image/png;base64," in static, f"{name}: no Metrics chart"
    assert "dep_4820" in static and "deploys" in static.lower(), f"{name}: no deploy markers"
    if name.startswith("04"):
        assert "final-report" in static and "N+1" in static, "04: the final report is not in the static copy"
        assert "sandbox tool calls" in static and "custom tool calls" in static


# --------------------------------------------------------------------------- the smaller things of issue 9
def _outputs(name: str) -> str:
    cells = json.loads((ROOT / "solutions" / name).read_text(encoding="utf-8"))["cells"]
    out = []
    for c in cells:
        for o in c.get("outputs", []):
            text = o.get("text") or (o.get("data") or {}).get("text/plain") or ""
            out.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(out)


def test_00_gives_small_files_a_readable_size():
    text = _outputs("00_mental_model.ipynb")
    assert "deploys.json" in text and " 0.00 MB" not in text and " KB " in text, text


def test_01_chart_legend_sits_above_the_deploy_labels():
    cells = json.loads((ROOT / "solutions" / "01_incident_by_hand.ipynb").read_text(encoding="utf-8"))["cells"]
    chart = next("".join(c["source"]) for c in cells if "ax1.legend(" in "".join(c["source"]))
    assert 'ax1.legend(loc="lower left", bbox_to_anchor=(0, 1.0)' in chart, "the legend is inside the plot again"


def test_04_names_both_kinds_of_tool_calls():
    text = _outputs("04_custom_tools.ipynb")
    panel = next(line for line in text.splitlines() if line.startswith("SRE Agent panel:"))
    assert re.search(r"\d+ sandbox tool calls?( \(\d+ ran\))? · \d+ custom tool calls? \(\d+ answered\)", panel), panel
    assert re.search(r"answered \d+ custom tool calls inline.*the sandbox ran its \d+ tool calls? itself", text)


def test_console_link_only_for_live_sessions(capsys):
    import anthropic

    from helpers import connect, resources

    live = anthropic.Anthropic(api_key=API_KEY_PREFIX + "not-a-key")  # constructed only: nothing is sent
    assert resources.is_live(live) and not resources.is_live(connect("replay"))
    assert resources.console_url("sesn_011") == "https://platform.claude.com/workspaces/default/sessions/sesn_011"
    resources.new_session(connect("replay"), title="console link test")
    assert "Console" not in capsys.readouterr().out  # offline there is no Console to link


def test_00_names_every_self_study_notebook():
    """Walkthrough 2: 00's closing "Next" listed 05-08 and left out 09. Walkthrough 4: 00's path is one screen, so its
    Next names 01 and the list of what follows 04 opens its *After the workshop*; it names each notebook after 04."""
    cells = json.loads((ROOT / "notebooks" / "00_mental_model.ipynb").read_text(encoding="utf-8"))["cells"]
    after = next("".join(c["source"]) for c in cells if estimate_time.ends_path(c))
    later = [name[:2] for name in NAMES if name[:2] > "04"]
    missing = [number for number in later if not re.search(rf"\b{number} \w", after)]
    assert later and not missing, f"00's After the workshop leaves out {missing}: {after!r}"


def test_the_path_shows_its_evidence_briefly():
    """Walkthrough 2: 01 showed a 70-line diff and two tables. On the path it shows the diff's one hunk that holds the
    N+1 (the whole diff under Going deeper). Walkthrough 4: and no table (the deploys are the dashboard's Deploys tab;
    the pandas table is under Going deeper)."""
    nb = json.loads((ROOT / "solutions" / "01_incident_by_hand.ipynb").read_text(encoding="utf-8"))
    skipped = estimate_time.skipped_cells(nb["cells"])
    shown = ["".join(o.get("text", "")) or "".join((o.get("data") or {}).get("text/plain", ""))
             for c, skip in zip(nb["cells"], skipped, strict=True) if c["cell_type"] == "code" and not skip
             for o in c.get("outputs", [])]
    diff = next(text for text in shown if "db.query(InventoryReservation)" in text)
    assert diff.startswith("@@ ") and diff.count("\n@@") == 0 and len(diff.splitlines()) <= 20, diff
    frames = [c for c, skip in zip(nb["cells"], skipped, strict=True) if c["cell_type"] == "code" and not skip
              and any('class="dataframe"' in "".join((o.get("data") or {}).get("text/html", "")) for o in c["outputs"])]
    assert frames == [], ["".join(c["source"])[:60] for c in frames]
    after = [c for c, skip in zip(nb["cells"], skipped, strict=True) if c["cell_type"] == "code" and skip
             and any('class="dataframe"' in "".join((o.get("data") or {}).get("text/html", "")) for o in c["outputs"])]
    assert any("deploys_frame()" in "".join(c["source"]) for c in after), "the deploys table went missing"


def test_00_lists_what_you_send_once_and_what_you_receive_apart():
    """Walkthrough 3: 00's SDK listing put system.message (and every user.* type) under both "You send" and the types
    received. The received ones are listed without the echoes of what you send."""
    text = _outputs("00_mental_model.ipynb")
    listing = text[text.index("You send "):]
    sent, received = listing.split("You receive ", 1)
    assert "system.message" in sent and "user.message" in sent
    domains = [line.split()[0] for line in received.splitlines()[1:] if line.startswith("    ")]
    assert domains and "system.*" not in domains and "user.*" not in domains, domains
    assert "echo" in received.splitlines()[0] + received.splitlines()[1], received[:200]


def test_00_and_02_say_the_same_about_where_the_agent_reads_the_log():
    """Walkthrough 3: 02 listed query_logs as a laptop tool while 00 said the agent greps app.log in its sandbox and
    asks your laptop "for the rest". Both say what the agent does: it greps app.log in the sandbox, and queries the
    same log on your laptop with query_logs, beside the metrics, the deploys and the diff."""
    for name in ("00_mental_model.ipynb", "02_agent_and_environment.ipynb"):
        text = " ".join(_markdown(name).split())
        assert "grep" in text and "`app.log`" in text and "sandbox" in text, name
        assert "`query_logs`" in text and "same log" in text, name
    outputs = _outputs("04_custom_tools.ipynb")  # what the agent did: both
    assert "query_logs" in outputs and "grep" in outputs


@pytest.mark.parametrize("readme,row,total", [
    ("README.md", r"^\| 0[0-4] \|.*\| (\d+) min", r"with the times above:\s+about\s+(\d+)\s+minutes"),
    ("README.ja.md", r"^\| 0[0-4] \|.*\| (\d+) 分", r"合計は約 (\d+) 分"),
])
def test_the_agenda_adds_up_to_the_total_it_states(readme, row, total):
    """Walkthrough 7: README.ja's table read 3+3+11+12+9 under "約 37 分". The total is the sum of the rows shown."""
    text = (ROOT / readme).read_text()
    rows = [int(m) for m in re.findall(row, text, re.M)]
    stated = re.search(total, text)
    assert len(rows) == 5 and stated, (rows, stated)
    assert sum(rows) == int(stated.group(1)), f"{readme}: the rows add up to {sum(rows)}, the text says {stated.group(1)}"
