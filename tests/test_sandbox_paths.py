"""Files are mounted and read where the docs put them (managed-agents/files, "File paths"): a mount_path is rooted
under /mnt/session/uploads, so the workshop mounts app.log with mount_path "/app.log" and the agent reads
/mnt/session/uploads/app.log. The two paths are defined once (helpers.sandbox); nothing mounts or reads the old
/workspace/data/app.log."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import sandbox

ROOT = Path(__file__).resolve().parent.parent
#: Where the workshop mounts, reads or names the log: what the learners run and read, and what the stub replays.
SCANNED = ["helpers", "scripts", "notebooks", "solutions", "data/recordings"]
OLD_PATH = "/workspace/data"


def _files():
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".ipynb", ".jsonl", ".md") and "__pycache__" not in path.parts:
                yield path


@pytest.mark.parametrize("mount_path,where", [
    ("/data.csv", "/mnt/session/uploads/data.csv"),          # the docs' example
    ("/src/main.py", "/mnt/session/uploads/src/main.py"),    # the docs' nested example: the layout is kept
    ("/config.json", "/mnt/session/uploads/config.json"),
    (None, "/mnt/session/uploads/file_abc123"),               # omitted: /mnt/session/uploads/<file_id>
    ("", "/mnt/session/uploads/file_abc123"),
    ("logs/checkout-svc.log", "/mnt/session/uploads/logs/checkout-svc.log"),       # relative (cookbook, live)
    ("/mnt/session/uploads/sales_data.csv", "/mnt/session/uploads/sales_data.csv"),  # already there (cookbook, live)
    ("/workspace/data/app.log", "/mnt/session/uploads/workspace/data/app.log"),    # the old path: not where it was
])
def test_a_mount_path_is_rooted_under_the_uploads_directory(mount_path, where):
    assert sandbox.mounted_at(mount_path, "file_abc123") == where


def test_the_log_is_mounted_and_read_where_the_docs_say():
    from helpers import resources

    assert (sandbox.LOG_MOUNT_PATH, sandbox.LOG_PATH) == ("/app.log", "/mnt/session/uploads/app.log")
    assert (resources.LOG_MOUNT_PATH, resources.LOG_PATH) == (sandbox.LOG_MOUNT_PATH, sandbox.LOG_PATH)
    assert f"mounted in your sandbox at {sandbox.LOG_PATH}:" in resources.SYSTEM_PROMPT  # the agent is told the path


def test_nothing_mounts_or_reads_the_old_path():
    found = [f"{p.relative_to(ROOT)}:{n}" for p in _files()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if OLD_PATH in line]
    assert not found, f"{OLD_PATH} (not where the docs mount files) in: {found}"


def test_the_scan_sees_every_kind_of_file(tmp_path):
    """The old-path scan reads the files that mount and read the log (it could fail)."""
    kinds = {p.suffix for p in _files()}
    assert {".py", ".ipynb", ".jsonl"} <= kinds
    assert any(sandbox.LOG_PATH in p.read_text(encoding="utf-8") for p in _files() if p.suffix == ".jsonl")


def test_every_mount_in_the_notebooks_uses_the_constant():
    """A notebook that mounts app.log passes resources.LOG_MOUNT_PATH, and names the path the agent reads through
    resources.LOG_PATH: the paths are typed once, in helpers/sandbox.py."""
    literal = re.compile(r"\"mount_path\"\s*:\s*\"")
    for path in sorted((ROOT / "solutions").glob("*.ipynb")) + sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        assert not literal.search(code), f"{path.name} types a mount_path instead of resources.LOG_MOUNT_PATH"
        assert "/mnt/session/uploads" not in code, f"{path.name} types the log's path instead of resources.LOG_PATH"


def test_a_session_of_the_workshop_has_the_log_where_the_agent_reads_it(client):
    from helpers import resources

    session = resources.new_session(client, title="paths")
    mounts = [r.mount_path for r in session.resources if r.type == "file"]
    assert [sandbox.mounted_at(m) for m in mounts] == [sandbox.LOG_PATH]


@pytest.mark.parametrize("mount_path,passes", [
    ("/app.log", True),                          # what the workshop sends
    ("/mnt/session/uploads/app.log", True),      # what the session may return live (the docs do not say)
    ("app.log", True),
    ("/workspace/data/app.log", False),          # lands at /mnt/session/uploads/workspace/data/app.log
    ("/logs/app.log", False),
])
def test_check_session_accepts_the_path_as_sent_or_as_rooted(client, mount_path, passes):
    from helpers import check, resources

    log_file = resources.ensure_log_file(client)
    session = client.beta.sessions.create(
        agent=resources.ensure_agent(client).id, environment_id=resources.ensure_environment(client).id,
        resources=[{"type": "file", "file_id": log_file.id, "mount_path": mount_path}],
        metadata=resources.WORKSHOP_METADATA)  # 3.1's **tags: check.session wants a session that says it is yours
    if passes:
        check.session(session)
    else:
        with pytest.raises(check.CheckFailed, match=f"not mounted where the agent reads it, {sandbox.LOG_PATH}"):
            check.session(session)
