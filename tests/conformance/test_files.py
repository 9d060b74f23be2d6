"""File mounts and session outputs."""
from __future__ import annotations

import anthropic
import pytest

from helpers import incident, loop
from helpers.outputs import BETA, list_outputs


def test_a_mounted_file_is_a_new_file_instance_in_the_session(client, new_session, workshop):
    """Source: https://platform.claude.com/docs/en/managed-agents/files, "Mounting files in a session": "A new
    `file_id` is created that references the instance of the file in the session." """
    _, _, log_file = workshop
    s = new_session()
    files = [r for r in s.resources if r.type == "file"]
    assert len(files) == 1 and files[0].file_id != log_file.id and files[0].mount_path
    assert client.beta.files.retrieve_metadata(log_file.id).filename == log_file.filename  # the upload is unchanged


def test_what_the_agent_writes_to_outputs_is_a_downloadable_file_scoped_to_the_session(client, new_session):
    """Source: https://platform.claude.com/docs/en/managed-agents/files, "Listing and downloading session files":
    "Files the agent writes to `/mnt/session/outputs/` appear in the list shortly after the agent finishes writing
    them, sometimes a few seconds after the session goes idle"; "Filtering by `scope_id` requires the
    `managed-agents-2026-04-01` beta header"; SDK docstring of `BetaFileMetadata.downloadable`."""
    s = new_session(recording="alert-2277")
    result = loop.run(client, s.id, "Use bash to write the single word ok into /mnt/session/outputs/report.md (a "
                      "here-document), then reply with the word done.", handle_tool=incident.handle_tool,
                      render=False, timeout=600)
    assert result.stop_reason == "end_turn"
    outputs = list_outputs(client, s.id, expect=["report.md"], wait=30)
    (report,) = [f for f in outputs if f.filename == "report.md"]
    assert report.downloadable and report.scope.type == "session" and report.scope.id == s.id
    assert client.beta.files.download(report.id).read()
    listed = list(client.beta.files.list(scope_id=s.id, betas=[BETA]))
    assert report.id in [f.id for f in listed]


def test_an_uploaded_file_cannot_be_downloaded(client, workshop):
    """Source: https://platform.claude.com/docs/en/build-with-claude/files: "`downloadable` is `false` for files you
    upload", and in its errors: "Not downloadable (400): Files you upload have `"downloadable": false` and cannot be
    downloaded." """
    _, _, log_file = workshop
    assert client.beta.files.retrieve_metadata(log_file.id).downloadable is False
    with pytest.raises(anthropic.BadRequestError):
        client.beta.files.download(log_file.id)


def test_a_session_holds_at_most_500_files(client, new_session):
    """Source: https://platform.claude.com/docs/en/managed-agents/files, "Multiple files": "A maximum of 500 files is
    supported per session." (the page said 100 before); `sessions.resources.add` adds a file to a session "after
    creation"."""
    small = client.beta.files.upload(file=("note.txt", b"ok", "text/plain"))
    more = [{"type": "file", "file_id": small.id, "mount_path": f"/notes/{i}.txt"} for i in range(499)]
    s = new_session(resources=more)  # app.log and 499 more: 500
    assert sum(r.type == "file" for r in s.resources) == 500
    with pytest.raises(anthropic.BadRequestError):
        client.beta.sessions.resources.add(s.id, type="file", file_id=small.id)
    with pytest.raises(anthropic.BadRequestError):
        new_session(resources=more + more[:1])
