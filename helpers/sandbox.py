"""The sandbox's file layout, as the docs give it: where a mounted file lands and where the agent reads it.

From https://platform.claude.com/docs/en/managed-agents/files ("File paths"):

    * The path you specify is rooted under the session's uploads directory: a ``mount_path`` of ``/data.csv``
      places the file at ``/mnt/session/uploads/data.csv`` in the sandbox
    * If you omit ``mount_path``, the file is placed at ``/mnt/session/uploads/<file_id>``
    * Paths should be absolute (starting with ``/``)
    * Files the agent writes to ``/mnt/session/outputs/`` become available through the Files API

So the workshop mounts ``app.log`` with ``mount_path`` :data:`LOG_MOUNT_PATH` (``"/app.log"``), and the agent
reads it at :data:`LOG_PATH` (``"/mnt/session/uploads/app.log"``). Every part of the workshop (the session it
creates, the system prompt, the messages, the recordings, the checks, the stub's mount rule) takes the two paths
from here. Imports nothing: the stub and the notebooks' helpers both build on it.
"""
from __future__ import annotations

__all__ = ["UPLOADS_DIR", "OUTPUTS_DIR", "LOG_MOUNT_PATH", "LOG_PATH", "mounted_at"]

#: Where every mounted file lands (docs: "rooted under the session's uploads directory").
UPLOADS_DIR = "/mnt/session/uploads"
#: What the agent writes here becomes a session output (``files.list(scope_id=session.id)``).
OUTPUTS_DIR = "/mnt/session/outputs"


def mounted_at(mount_path: str | None, file_id: str = "<file_id>") -> str:
    """Where the agent finds a file mounted with ``mount_path``: ``"/app.log"`` -> ``/mnt/session/uploads/app.log``.

    Omitted (``None`` or ``""``): ``/mnt/session/uploads/<file_id>`` (the docs, and the SDK's docstring of
    ``mount_path``). A path the agent would already read under the uploads directory is kept as it is: an
    *inference* from the cookbook's live data-analyst run, which mounts at ``/mnt/session/uploads/sales_data.csv``
    and tells the agent that same path (the docs do not say whether such a path is rooted a second time). A
    relative path is rooted like an absolute one: the cookbook's live SRE run mounts ``logs/checkout-svc.log`` and
    its agent found the file under the uploads directory (the docs ask for absolute paths)."""
    if not mount_path:
        return f"{UPLOADS_DIR}/{file_id}"
    if mount_path == UPLOADS_DIR or mount_path.startswith(UPLOADS_DIR + "/"):
        return mount_path
    return f"{UPLOADS_DIR}/{mount_path.lstrip('/')}"


#: The ``mount_path`` the workshop passes for ``app.log`` (the docs' own style: ``/data.csv``).
LOG_MOUNT_PATH = "/app.log"
#: Where the agent reads ``app.log`` in its sandbox.
LOG_PATH = mounted_at(LOG_MOUNT_PATH)
