"""A session's outputs: the files its agent wrote under ``/mnt/session/outputs/``, kept after the session ends.

    from helpers.outputs import list_outputs
    for f in list_outputs(client, session.id):          # what the agent wrote (downloadable), newest first
        text = client.beta.files.download(f.id).text()

Two rules of the docs (https://platform.claude.com/docs/en/managed-agents/files, "Listing and downloading session
files") make this more than ``client.beta.files.list(scope_id=session.id)``, and this module writes them once:

* "Filtering by ``scope_id`` requires the ``managed-agents-2026-04-01`` beta header". The SDK's ``beta.files``
  methods send no beta header by default, so the listing passes ``betas=[BETA]`` (the offline stub refuses it
  without, naming the header).
* "Files the agent writes to /mnt/session/outputs/ appear in the list shortly after the agent finishes writing them,
  sometimes a few seconds after the session goes idle. If an output file you expect is missing, list again after a
  short delay; once it appears in the list, its upload has finished." So :func:`list_outputs` lists again, every
  ``poll`` seconds for at most ``wait`` seconds (default 10), until the names you ``expect`` are listed (or, when
  you name none, until there is at least one output). Offline the stub has an output the moment its tool call
  succeeds, so nothing waits.

The listing also holds the session's own copies of the files you mounted; they are not downloadable (you have the
originals), and :func:`list_outputs` leaves them out.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from .i18n import _

__all__ = ["BETA", "DEFAULT_WAIT", "list_outputs"]

#: The beta header that ``files.list(scope_id=...)`` needs.
BETA = "managed-agents-2026-04-01"

#: The longest :func:`list_outputs` waits for outputs to appear (seconds): "sometimes a few seconds after the
#: session goes idle" (docs), with room to spare.
DEFAULT_WAIT = 10.0


def _listed(client: Any, session_id: str) -> list:
    files = client.beta.files.list(scope_id=session_id, limit=1000, betas=[BETA])
    return [f for f in files if getattr(f, "downloadable", False)]


def list_outputs(client: Any, session_id: str, *, expect: Iterable[str] = (), wait: float = DEFAULT_WAIT,
                 poll: float = 1.0) -> list:
    """The files the agent of session ``session_id`` wrote under /mnt/session/outputs/ (downloadable, scoped to the
    session), as the SDK's ``BetaFileMetadata``, newest first.

    Lists again every ``poll`` seconds, for at most ``wait`` seconds, until every filename in ``expect`` is listed
    (or, with no ``expect``, until at least one output is); then returns what is listed, which may lack what was
    expected when the time is up (nothing is raised: check the names you need)."""
    if not isinstance(session_id, str):
        raise TypeError(_("list_outputs: pass session.id (a str like 'sesn_...'), not a {type}.").format(
            type=type(session_id).__name__))
    wanted = set(expect)
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        files = _listed(client, session_id)
        names = {f.filename for f in files}
        if (wanted <= names if wanted else files) or time.monotonic() + poll > deadline:
            return files
        time.sleep(poll)
