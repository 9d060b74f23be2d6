"""The stub's params validators, kept between kernels: pickled pydantic-core validators in the workshop's cache.

Building the validator of one of the SDK's larger params classes takes a while in every fresh kernel
(``AgentCreateParams``: 93 TypedDicts, ~10 ms; ``SessionCreateParams`` as much), and each notebook starts a new stub
in a new kernel. pydantic-core validators pickle, so the first kernel to build one saves it in
``<cache>/validators/`` (:func:`helpers.settings.cache_dir`), and later kernels load it in ~0.5 ms.

* Only the SDK's params classes (``anthropic.types.*``, importable by name) are kept. A file's name holds the class's
  qualified name and a key made of this format, the versions of Python, pydantic-core, pydantic and the SDK, and the
  size and modification time of the class's module (an edited or reinstalled SDK is a new key).
* Unpickling runs code named in the file, so a file is read only if it is ours: on POSIX owned by this user and not
  writable by group or others (and so is its folder, which is made ``0o700``), and its pickle may name nothing but
  the SDK's types, pydantic-core's ``SchemaValidator``, pydantic's sequence validator and serializer, and ``typing``
  / ``collections.abc`` (:class:`_Unpickler`). Anything else, or any error, means building the validator again.
* Files are written whole or not at all (``helpers.cache.write_atomic``): a kernel reading while another writes
  sees the old file or the new one.
"""
from __future__ import annotations

import io
import os
import pickle
import sys
from pathlib import Path
from typing import Any

__all__ = ["load", "save", "path_for"]

#: Bump when what is pickled changes; files of other formats are then simply never read.
FORMAT = "validator-1"

_ALLOWED_MODULES = ("pydantic_core._pydantic_core", "pydantic._internal._validators", "pydantic._internal._serializers",
                    "typing", "collections.abc")


class _Unpickler(pickle.Unpickler):
    """Refuses every global but the ones a params validator is made of."""

    def find_class(self, module: str, name: str) -> Any:
        if module in _ALLOWED_MODULES or module.startswith("anthropic.types."):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a params validator")


def path_for(tp: Any) -> Path | None:
    """Where the validator of ``tp`` is kept: SDK params classes only, with the cache on; else None."""
    module, qualname = getattr(tp, "__module__", ""), getattr(tp, "__qualname__", "")
    if not isinstance(tp, type) or not module.startswith("anthropic.types.") or "<" in qualname:
        return None
    try:
        from ..settings import cache_dir

        folder = cache_dir()
        source = os.stat(sys.modules[module].__file__ or "")
    except Exception:  # a WORKSHOP_CACHE_DIR that cannot be read (~nosuchuser/...), a module without a file
        return None
    if folder is None:
        return None
    import hashlib

    import anthropic
    import pydantic
    import pydantic_core

    key = repr((FORMAT, sys.version_info[:2], pydantic_core.__version__, pydantic.VERSION, anthropic.__version__,
                source.st_size, source.st_mtime_ns))
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]
    return folder / "validators" / f"{module}.{qualname}-{digest}.pickle"


def _ours(st: os.stat_result) -> bool:
    """On POSIX: owned by this user and not writable by anyone else (elsewhere the folder's ACLs decide)."""
    if os.name != "posix":
        return True
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def load(tp: Any) -> Any:
    """The saved validator of ``tp``, or None (none saved, not ours, unreadable, or naming anything unexpected)."""
    target = path_for(tp)
    if target is None:
        return None
    try:
        if not (_ours(target.parent.stat()) and _ours(target.stat())):
            return None
        validator = _Unpickler(io.BytesIO(target.read_bytes())).load()
    except Exception:  # missing, truncated, refused: build it
        return None
    return validator if hasattr(validator, "validate_python") else None


def save(tp: Any, validator: Any) -> None:
    """Keep ``validator`` for ``tp``, whole or not at all; any failure only means building it again next time."""
    from ..cache import write_atomic

    target = path_for(tp)
    if target is None:
        return
    try:
        data = pickle.dumps(validator)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if _ours(target.parent.stat()):  # in a folder others can write to, its files would never be read
            write_atomic(target, data)
    except Exception:
        pass
