#!/usr/bin/env python3
"""One entry point for the workshop, needing nothing but python3: what it does is USAGE, below (printed when
run without a command)."""
from __future__ import annotations

import glob
import hashlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"
#: The test tools, on top of REQUIREMENTS (it says -r requirements.txt): only `workshop.py test` installs them.
TEST_REQUIREMENTS = ROOT / "requirements-test.txt"
#: The hash of what .venv was built from: requirements_hash(False) or requirements_hash(True).
STAMP = VENV / "requirements.sha256"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
UV = BIN / ("uv.exe" if os.name == "nt" else "uv")
#: The uv release fetched (as a wheel from the package index) to install requirements.txt.
UV_REQUIREMENT = "uv==0.13.9"
START_NOTEBOOK = "notebooks/00_mental_model.ipynb"
#: Seconds JupyterLab gets to shut its kernels down after Ctrl+C or a signal, before it is killed.
STOP_GRACE = 20.0
MIN_PYTHON = (3, 10)


def _load_i18n():
    """helpers/i18n.py (standard library only), loaded by its path: this runs before .venv, and without importing
    the helpers package. None where it is absent (workshop.py copied on its own): then it speaks English."""
    path = ROOT / "helpers" / "i18n.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("workshop_i18n", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


i18n = _load_i18n()


def N_(message: str) -> str:
    """Mark a message for extraction (scripts/translations.py); it is translated where it is used."""
    return message


USAGE = N_("""One entry point for the workshop, needing nothing but python3.

    python3 workshop.py open     # make .venv if needed, then open JupyterLab (offline replay unless a key is set)
    python3 workshop.py test     # make .venv if needed, then run the test suite (extra args go to pytest)
    python3 workshop.py doctor   # preflight: is this machine ready for the workshop? (one line per check)
    python3 workshop.py reset    # archive your live workshop resources and clear local caches (--dry-run: list only;
                                 # --everyone: every learner's on this key, for the presenter after a room)

    --lang ja                    # with any command: speak Japanese (open: the Japanese edition, notebooks/ja/)

The virtual environment lives in .venv next to this file. It is rebuilt
automatically when requirements.txt changes (a hash is kept in .venv); the
test command also installs the test tools of requirements-test.txt.
Packages are installed with uv (fetched from the package index into .venv),
or with pip when uv cannot be had (WORKSHOP_UV=off chooses pip).
""")


def _(message: str) -> str:
    """``message`` in the workshop's language (helpers/i18n.py: --lang, WORKSHOP_LANG, the locale)."""
    return i18n.gettext(message) if i18n else message


def start_notebook(lang: str) -> str:
    """What JupyterLab opens on: notebook 00 of the language's edition (notebooks/ja/...), else that edition's folder,
    else the English 00."""
    if lang == "en":
        return START_NOTEBOOK
    edition = f"notebooks/{lang}"
    first = f"{edition}/{Path(START_NOTEBOOK).name}"
    return first if (ROOT / first).exists() else edition if (ROOT / edition).is_dir() else START_NOTEBOOK


def language() -> str:
    return i18n.language() if i18n else "en"


def say(msg: str) -> None:
    try:
        print(f"[workshop] {msg}", flush=True)
    except OSError:  # the terminal is gone (SIGHUP): nothing to say it to
        pass


def requirements_file(tests: bool = False) -> Path:
    """The file to install: requirements.txt, or requirements-test.txt (which includes it) for the tests."""
    return TEST_REQUIREMENTS if tests and TEST_REQUIREMENTS.exists() else REQUIREMENTS


def requirements_hash(tests: bool = False) -> str:
    """sha256 of requirements.txt; with ``tests``, of requirements.txt followed by requirements-test.txt."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    if requirements_file(tests) == TEST_REQUIREMENTS:
        digest.update(b"\0" + TEST_REQUIREMENTS.read_bytes())
    return digest.hexdigest()


def venv_in_sync(tests: bool = False) -> bool:
    """.venv holds what requirements.txt pins (and, with ``tests``, requirements-test.txt). A venv built for the
    tests serves the workshop too: it holds both."""
    if not (PYTHON.exists() and STAMP.exists()):
        return False
    built = STAMP.read_text().strip()
    return built == requirements_hash(tests) or (not tests and built == requirements_hash(True))


def bundled_pip() -> Path | None:
    """The pip wheel that ships with Python (ensurepip), runnable as ``python pip-X.whl/pip``; None if absent."""
    try:
        import ensurepip
    except ImportError:  # Debian/Ubuntu without python3-venv
        return None
    found = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")))
    return Path(found[-1]) if found else None


def has_pip() -> bool:
    return subprocess.run([str(PYTHON), "-c", "import pip"], capture_output=True).returncode == 0


def pip_command() -> list[str]:
    """pip for .venv: its own, else Python's bundled wheel run directly (a venv made without pip is 3 s faster)."""
    if has_pip():
        return [str(PYTHON), "-m", "pip"]
    wheel = bundled_pip()
    if wheel is None:
        subprocess.run([str(PYTHON), "-m", "ensurepip", "--default-pip"], check=True)
        return [str(PYTHON), "-m", "pip"]
    return [str(PYTHON), str(wheel / "pip")]


def create_venv() -> None:
    say(_("creating a virtual environment in {folder}/ ...").format(folder=VENV.name))
    try:
        venv.EnvBuilder(with_pip=bundled_pip() is None, clear=False).create(VENV)
    except Exception as exc:  # e.g. Debian without python3-venv
        sys.exit("[workshop] " + _("could not create a virtual environment: {error}\n"
                                   "           On Debian/Ubuntu install it with: sudo apt-get install python3-venv"
                                   ).format(error=exc))


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip() and not ln.startswith("WARNING: Location")]
    return lines[-1][:160] if lines else _("no message")


def get_uv() -> str | None:
    """Put uv into .venv from the package index. Returns None when it worked, else why not (one line)."""
    if UV.exists():
        return None
    say(_("getting uv, a fast installer, from the package index ({requirement}) ...").format(requirement=UV_REQUIREMENT))
    cmd = [*pip_command(), "install", "--disable-pip-version-check", "--no-input", "-q", UV_REQUIREMENT]
    try:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return _("the package index did not answer within 5 minutes")
    if out.returncode != 0 or not UV.exists():
        return _last_line(out.stderr or out.stdout)
    return None


def uv_environment() -> dict:
    """uv reads UV_* variables, not pip's: carry an index the learner configured for pip over to uv."""
    env = dict(os.environ)
    for pip_name, uv_name in (("PIP_INDEX_URL", "UV_INDEX_URL"), ("PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL")):
        if env.get(pip_name) and not env.get(uv_name):
            env[uv_name] = env[pip_name]
    env.pop("VIRTUAL_ENV", None)  # --python says where; an activated other venv must not
    return env


def install_with_uv(tests: bool = False) -> bool:
    """Install requirements.txt, or requirements-test.txt (and pip, for %pip in notebooks) with uv. False, having
    said why, if it cannot."""
    if os.environ.get("WORKSHOP_UV", "").strip().lower() in ("0", "off", "no", "false"):
        say(_("WORKSHOP_UV=off: installing with pip"))
        return False
    why = get_uv()
    if why is not None:
        say(_("uv is not available ({why}); installing with pip instead (slower: a minute or two)").format(why=why))
        return False
    say(_("installing the pinned packages with uv ..."))
    cmd = [str(UV), "pip", "install", "--python", str(PYTHON), "-r", str(requirements_file(tests)), "pip"]
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        # Python will not cache compiled modules by itself: compile all ~9,600 now (~15 s), or every kernel start
        # would compile ~300 modules again. Otherwise Python writes each .pyc on its first import, for what is used.
        cmd.insert(3, "--compile-bytecode")
    if subprocess.run(cmd, cwd=ROOT, env=uv_environment()).returncode != 0:
        say(_("uv could not install the requirements (see above); installing with pip instead"))
        return False
    return True


def install_with_pip(tests: bool = False) -> None:
    say(_("installing the pinned packages with pip (a minute or two) ..."))
    if not has_pip():  # .venv was made without pip (uv was to install it): put Python's own in, offline
        subprocess.run([str(PYTHON), "-m", "ensurepip", "--default-pip"], cwd=ROOT, capture_output=True)
    cmd = [*pip_command(), "install", "--disable-pip-version-check", "--progress-bar", "on", "-r",
           str(requirements_file(tests))]
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        sys.exit("[workshop] " + _("pip install failed; see the messages above. Re-run the same command to retry."))


def ensure_venv(tests: bool = False) -> None:
    """Create .venv and install requirements.txt (with ``tests``, requirements-test.txt too), unless it is already
    up to date."""
    if venv_in_sync(tests):
        return
    started = time.monotonic()
    if not PYTHON.exists():
        create_venv()
    if tests and venv_in_sync():
        say(_("adding the test tools of requirements-test.txt ..."))
    if not install_with_uv(tests):
        install_with_pip(tests)
    STAMP.write_text(requirements_hash(tests) + "\n")
    say(_("ready in {seconds:.0f} s").format(seconds=time.monotonic() - started))


def venv_environment() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(VENV)
    return env


def run(args: list[str]) -> int:
    return subprocess.run(args, cwd=ROOT, env=venv_environment()).returncode


def jupyter_args(extra: list[str], start: str = START_NOTEBOOK) -> list[str]:
    """JupyterLab serving the whole repo (notebooks/ and solutions/), opening on notebook 00 (``start``)."""
    start = start if (ROOT / start).exists() else "notebooks"
    return [
        str(BIN / "jupyter"), "lab",
        f"--ServerApp.root_dir={ROOT}",
        f"--LabApp.default_url=/lab/tree/{start}",
        *kernel_encryption(),
        *extra,
    ]


def kernel_encryption() -> list[str]:
    """Local kernels talk to JupyterLab over localhost TCP: encrypt it with CurveZMQ keys that the server provisions
    (ipykernel's kernelspec declares support), which also ends ipykernel's "running over TCP without encryption"
    warning. Only where pyzmq has CurveZMQ (its wheels do): elsewhere the policy would stop kernels from starting."""
    probe = [str(PYTHON), "-c", "import sys, zmq; sys.exit(0 if zmq.has('curve') else 1)"]
    if subprocess.run(probe, capture_output=True).returncode != 0:
        return []
    return ["--MappingKernelManager.transport_encryption=auto"]


def serve(args: list[str]) -> int:
    """Run JupyterLab until it exits. Ctrl+C, SIGTERM or SIGHUP stop it (and its kernels) cleanly.

    JupyterLab runs in its own session, so the terminal's Ctrl+C reaches only us; we ask it to stop (SIGTERM: it
    shuts its kernels down), wait up to STOP_GRACE seconds, then kill it. A second Ctrl+C kills it at once.
    """
    posix = os.name == "posix"
    proc = subprocess.Popen(args, cwd=ROOT, env=venv_environment(), stdin=subprocess.DEVNULL,
                            start_new_session=posix)
    received: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        if received and signum == signal.SIGINT:
            say(_("stopping now"))
            proc.kill()
            return
        if not received:
            received.append(signum)
            if signum == signal.SIGINT:
                print(flush=True)  # after the terminal's ^C
            say(_("stopping JupyterLab and its kernels ..."))
            proc.terminate()

    stoppers = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {s: signal.signal(s, on_signal) for s in stoppers}
    deadline = None
    try:
        while True:
            try:
                code = proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            if received and deadline is None:
                deadline = time.monotonic() + STOP_GRACE
            if deadline is not None and time.monotonic() > deadline:
                say(_("JupyterLab did not stop within {seconds:.0f} s; killing it").format(seconds=STOP_GRACE))
                proc.kill()
                deadline = float("inf")
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if received:
        say(_("JupyterLab stopped. Start it again with: python3 workshop.py open"))
        return 0 if received[0] == signal.SIGINT else 128 + received[0]
    return code


def prepare() -> None:
    """Fill the parsed app.log and matplotlib's font list once, here rather than in a learner's first cells
    (helpers/doctor.py prepare: ~1 s the first time, more where matplotlib lists many fonts; ~0.4 s and silent once
    they are there)."""
    run([str(PYTHON), "-m", "helpers.doctor", "prepare"])


def cmd_open(extra: list[str]) -> int:
    ensure_venv()
    prepare()
    mode = os.environ.get("WORKSHOP_MODE") or ("live" if os.environ.get("ANTHROPIC_API_KEY") else "replay")
    say(_("mode: {mode} (set WORKSHOP_MODE=replay or live to choose; see README)").format(mode=mode))
    start = start_notebook(language())
    if language() != "en" and not start.endswith(".ipynb"):
        say(_("notebook 00 has no edition in this language yet: opening the folder {folder}").format(folder=start))
    say(_("opening JupyterLab on {notebook} (solutions/ is in the file browser too); stop it with Ctrl+C").format(
        notebook=start))
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        say(_("running as root (a container?): passing --allow-root to JupyterLab"))
        extra = ["--allow-root", *extra]
    return serve(jupyter_args(extra, start))


def cmd_test(extra: list[str]) -> int:
    ensure_venv(tests=True)
    return run([str(PYTHON), "-m", "pytest", *extra])


def check_line(ok: bool, what: str, fix: str = "") -> bool:
    print(f"{'✓' if ok else '✗'} {what}" + ("" if ok or not fix else "\n    " + _("fix: {fix}").format(fix=fix)),
          flush=True)
    return ok


def cmd_doctor(extra: list[str]) -> int:
    """The checks that need no venv run here; the rest run in the venv (helpers/doctor.py)."""
    version = ".".join(map(str, sys.version_info[:3]))
    ok = check_line(sys.version_info[:2] >= MIN_PYTHON, _("Python {version} (the workshop needs 3.10 or newer)").format(
                    version=version),
                    _("install Python 3.10+ (python.org, or your package manager) and run python3 workshop.py again"))
    if not venv_in_sync():
        say(_(".venv is missing or older than requirements.txt: installing it now (the same as workshop.py open)"))
    ensure_venv()
    check_line(venv_in_sync(), _("{folder}/ was built from this requirements.txt (hash stamp)").format(folder=VENV.name))
    prepare()  # as open does: the caches are ready on the day
    code = run([str(PYTHON), "-m", "helpers.doctor", "check", *extra])
    return code if ok else (code or 1)


def cmd_reset(extra: list[str]) -> int:
    ensure_venv()
    return run([str(PYTHON), "-m", "helpers.doctor", "reset", *extra])


def take_lang(argv: list[str]) -> list[str]:
    """Remove ``--lang X`` (or ``--lang=X``) from ``argv`` and set WORKSHOP_LANG for this run and all it starts."""
    rest, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--lang" or arg.startswith("--lang="):
            value = arg.split("=", 1)[1] if "=" in arg else (argv[i + 1] if i + 1 < len(argv) else "")
            i += 1 if "=" in arg else 2
            code = i18n.normalize(value) if i18n else ("en" if value == "en" else None)
            if code is None:
                known = ", ".join(i18n.LANGUAGES) if i18n else "en"
                sys.exit("[workshop] " + _("--lang {value!r}: the workshop speaks {known}").format(value=value,
                                                                                                 known=known))
            os.environ["WORKSHOP_LANG"] = code
            continue
        rest.append(arg)
        i += 1
    return rest


def main(argv: list[str]) -> int:
    commands = {"open": cmd_open, "test": cmd_test, "doctor": cmd_doctor, "reset": cmd_reset}
    argv = take_lang(argv)  # before or after the command
    if not argv or argv[0] not in commands:
        print(_(USAGE).strip())
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        return commands[argv[0]](argv[1:])
    except KeyboardInterrupt:
        print(flush=True)
        say(_("interrupted. Run python3 workshop.py {command} again to carry on.").format(command=argv[0]))
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
