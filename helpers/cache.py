"""How a file gets into the workshop's cache folder (:func:`helpers.settings.cache_dir`): whole or not at all.

Several kernels share the folder (a learner's notebooks, the tests' papermill and nbval kernels), and any of them
may read a file while another writes it: :func:`write_atomic` writes a temporary file beside the target, then
renames it over the target (``os.replace``, atomic on POSIX and Windows), so a reader sees the old file or the new
one, never half of one.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` whole or not at all, making its folder if needed.

    Raises ``OSError`` when it cannot (an unwritable folder, a full disk), leaving no temporary file behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.stem + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
