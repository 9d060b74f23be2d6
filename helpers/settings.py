"""Workshop-wide settings, each read from one environment variable with a default."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("WORKSHOP_DATA_DIR", ROOT / "data"))
RECORDINGS_DIR = DATA_DIR / "recordings"

#: The model every agent in the series uses. Change it in one place: WORKSHOP_MODEL.
MODEL = os.environ.get("WORKSHOP_MODEL", "claude-sonnet-4-6")
