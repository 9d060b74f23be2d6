"""Workshop-wide settings, each read from one environment variable with a default."""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ROOT", "DATA_DIR", "RECORDINGS_DIR", "DEFAULT_MODEL", "MODEL", "LEARNER", "learner_id", "default_learner",
           "TESTED_SDK", "sdk_supported", "cache_dir",
           "API_KEY_PREFIX"]

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("WORKSHOP_DATA_DIR", ROOT / "data"))
RECORDINGS_DIR = DATA_DIR / "recordings"

#: How an Anthropic API key starts: what outputs are scrubbed of and tests look for. Written in two pieces so that no
#: committed file holds a key-shaped string (the project's rule: no committed file holds the prefix whole).
API_KEY_PREFIX = "sk-" "ant-"

#: The model the official quickstart creates its first agent with, and so the series' default: "ant beta:agents create
#: --name "Coding Assistant" --model '{id: claude-opus-4-7}'" (https://platform.claude.com/docs/ja/managed-agents/quickstart,
#: "Create an agent"; an older copy of the English page had claude-sonnet-4-6).
DEFAULT_MODEL = "claude-opus-4-7"

#: The model every agent in the series uses. Change it in one place: WORKSHOP_MODEL.
MODEL = os.environ.get("WORKSHOP_MODEL", DEFAULT_MODEL)


def learner_id(text: str, limit: int = 40) -> str:
    """``text`` as names and metadata carry a learner: lower case, runs of letters and digits (any script) joined by
    single hyphens, at most ``limit`` characters; "" when it has no letter or digit ("Ada Lovelace" -> "ada-lovelace")."""
    words, word = [], []
    for ch in text.casefold() + " ":
        if ch.isalnum():
            word.append(ch)
        elif word:
            words.append("".join(word))
            word = []
    return "-".join(words)[:limit].strip("-")


def default_learner() -> str:
    """The OS user and the machine's name ("ada" on "ada-mbp.local" -> "ada-ada-mbp"): distinct in a room of laptops
    that share one API key, and the same in every kernel of one learner."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except Exception:  # no login name in the environment and none in the password database (some containers)
        user = ""
    host = socket.gethostname().split(".")[0]
    return learner_id(f"{user} {host}") or "learner"


#: Who you are in a room that shares one key (WORKSHOP_LEARNER, else your user and machine): every name and the metadata
#: of what you create carry it, and every find, reuse, archive and reset is scoped to it (helpers/resources.py).
LEARNER = learner_id(os.environ.get("WORKSHOP_LEARNER", "")) or default_learner()

#: The anthropic SDK release the series is tested with (requirements.txt pins it).
TESTED_SDK = "2.17.0"


def sdk_supported(version: str, tested: str = TESTED_SDK) -> bool:
    """True for a release the series runs on: the tested major, at least the tested minor.

    The SDK keeps its Managed Agents surface within a major release, so 2.15 or 2.40 are fine, 2.13 and 3.0 are not.
    """
    def major_minor(v: str) -> tuple[int, int]:
        parts = (v.split("+")[0].split(".") + ["0", "0"])[:2]
        return tuple(int("".join(ch for ch in p if ch.isdigit()) or 0) for p in parts)  # type: ignore[return-value]

    (major, minor), (want_major, want_minor) = major_minor(version), major_minor(tested)
    return major == want_major and minor >= want_minor


def cache_dir() -> Path | None:
    """The workshop's cache folder (the parsed app.log, charts, the stub's validators), read at each call:
    ``$WORKSHOP_CACHE_DIR`` (``off`` or ``0`` disables the caches), else ``$XDG_CACHE_HOME/ship-your-first-managed-agent``,
    else ``~/.cache/ship-your-first-managed-agent``; ``None`` (no caches) also when the folder's name cannot be resolved
    (``~nosuchuser/...``). Everything in it can be deleted at any time (``workshop.py reset``)."""
    env = os.environ.get("WORKSHOP_CACHE_DIR")
    try:
        if env is not None:
            env = env.strip()
            return None if env.lower() in ("", "0", "off", "no", "false") else Path(env).expanduser()
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    except RuntimeError:  # "~someone/..." for a user that does not exist, or no home: no cache, as with "off"
        return None
    return Path(base) / "ship-your-first-managed-agent"
