#!/usr/bin/env python3
"""How long the README's first command takes to set up, next to plain pip, in one run with empty caches.

    python3 benchmarks/bench_setup.py            # both, one run each (needs the package index; ~2 minutes)
    python3 benchmarks/bench_setup.py --keep     # keep the temporary folder (prints where)

Both start from nothing in a temporary copy of the project (workshop.py, requirements.txt, pyproject.toml,
helpers/, data/), with fresh, empty package caches of their own (pip's and uv's), so neither is helped by the other or
by earlier runs:

* project:  what ``python3 workshop.py open`` does before JupyterLab starts (workshop.ensure_venv: the venv,
            uv from the package index, ``uv pip install -r requirements.txt``, pip if uv cannot be had; then
            workshop.prepare: app.log parsed into the cache, matplotlib's font list);
* pip:      ``python3 -m venv .venv`` and ``.venv/bin/pip install --no-cache-dir -r requirements.txt``.

Both install requirements.txt, the workshop's packages; the test tools of requirements-test.txt (~60 MB, that
``workshop.py test`` adds) are not part of the README's first command, so neither installs them here.

Both run without PYTHONDONTWRITEBYTECODE, as on a learner's machine: pip compiles every module at install; with uv,
Python compiles each module on its first import (workshop.py compiles at install when PYTHONDONTWRITEBYTECODE is set,
since Python would then never cache them; ``--dont-write-bytecode`` measures that case).

Target (issue 12): the project's set-up takes at most 0.2 x pip's time. Prints PASS or MISS (exit status 0 either
way; 2 if an install fails). Network speed dominates both: run it when the line is quiet, and compare ratios.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.2
PROJECT_FILES = ("workshop.py", "requirements.txt", "pyproject.toml")


def copy_project(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, dest / name)
    for folder in ("helpers", "data"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def clean_env(caches: Path) -> dict:
    """The environment less any venv, with every package cache pointing at an empty folder of this run."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "UV_CACHE_DIR", "PYTHONDONTWRITEBYTECODE")}
    env["PIP_CACHE_DIR"] = str(caches / "pip")
    env["UV_CACHE_DIR"] = str(caches / "uv")
    env["XDG_CACHE_HOME"] = str(caches / "xdg")  # also the parsed-log cache's and matplotlib's (no font list yet)
    env.pop("WORKSHOP_CACHE_DIR", None)
    env.pop("MPLCONFIGDIR", None)
    return env


def timed(cmds: list[list[str]], cwd: Path, env: dict, log: Path) -> float:
    started = time.perf_counter()
    with log.open("w") as out:
        for cmd in cmds:
            if subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                raise RuntimeError(f"{' '.join(cmd[:4])} ... failed; see {log}")
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder and its logs")
    ap.add_argument("--dont-write-bytecode", action="store_true",
                    help="set PYTHONDONTWRITEBYTECODE=1 for both (workshop.py then compiles at install)")
    args = ap.parse_args(argv)
    python = getattr(sys, "_base_executable", None) or sys.executable
    tmp = Path(tempfile.mkdtemp(prefix="bench-setup-"))
    try:
        project = copy_project(tmp / "project")
        plain = copy_project(tmp / "plain")
        bin_dir = "Scripts" if os.name == "nt" else "bin"
        try:
            extra = {"PYTHONDONTWRITEBYTECODE": "1"} if args.dont_write_bytecode else {}
            ours = timed([[python, "-c", "import workshop; workshop.ensure_venv(); workshop.prepare()"]], project,
                         {**clean_env(tmp / "caches-project"), **extra}, tmp / "project.log")
            pip = timed([[python, "-m", "venv", ".venv"],
                         [str(plain / ".venv" / bin_dir / "pip"), "install", "--disable-pip-version-check",
                          "--no-cache-dir", "-r", "requirements.txt"]],
                        plain, {**clean_env(tmp / "caches-pip"), **extra}, tmp / "pip.log")
        except RuntimeError as exc:
            print(f"FAILED: {exc}")
            args.keep = True
            return 2
        how = "uv" if "with uv" in (tmp / "project.log").read_text() else "pip (uv was not available)"
        ratio = ours / pip
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, empty package caches for each, "
              f"PYTHONDONTWRITEBYTECODE {'set' if args.dont_write_bytecode else 'unset'}")
        print(f"  project: venv + install with {how:<17} + prepare {ours:7.1f} s")
        print(f"  pip:     python3 -m venv + pip install --no-cache-dir {pip:7.1f} s")
        print(f"target: project <= {TARGET} x pip = {TARGET * pip:.1f} s  ->  {'PASS' if ratio <= TARGET else 'MISS'}"
              f" (project / pip = {ratio:.2f}, {pip / ours:.1f}x faster)")
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
