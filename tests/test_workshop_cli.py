"""The README's two commands: `python3 workshop.py open` and `python3 workshop.py test`.

`test` is what CI runs (so this suite itself proves it). These check `open` down to the JupyterLab it
starts, without leaving a server running (`--version` makes JupyterLab print its version and exit).
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from support.scripts import script

workshop = script("workshop")


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "workshop.py", *args], cwd=workshop.ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_no_command_prints_usage_and_fails():
    out = run_cli()
    assert out.returncode == 2
    assert "workshop.py open" in out.stdout and "workshop.py test" in out.stdout


def test_open_reaches_the_pinned_jupyterlab():
    if not workshop.venv_in_sync():
        pytest.skip(".venv was not made by workshop.py (run the suite with `python3 workshop.py test`)")
    out = run_cli("open", "--version")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "mode: replay" in out.stdout  # offline by default (the tests unset the key)
    assert out.stdout.strip().splitlines()[-1] == "4.6.6"  # the JupyterLab pinned in requirements.txt


# --- the install: uv when it can be had, pip when not -------------------------------------------------------------

def _tiny_wheel(folder: Path, name: str = "workshop_tiny", version: str = "0.1") -> Path:
    """A one-module wheel built by hand, so an install needs no package index."""
    import base64
    import zipfile

    dist = f"{name}-{version}"
    files = {
        f"{name}.py": "VALUE = 42\n",
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{dist}.dist-info/RECORD"] = "\n".join([*record, f"{dist}.dist-info/RECORD,,"]) + "\n"
    wheel = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


@pytest.fixture
def tiny_project(tmp_path):
    """workshop.py in a folder of its own whose requirements.txt is one local wheel."""
    (tmp_path / "workshop.py").write_bytes(Path(workshop.__file__).read_bytes())
    wheel = _tiny_wheel(tmp_path)
    (tmp_path / "requirements.txt").write_text(f"./{wheel.name}\n")
    return tmp_path


def _ensure_venv(project: Path, env: dict) -> subprocess.CompletedProcess:
    code = "import workshop; workshop.ensure_venv()"
    return subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True,
                          timeout=300)


def _venv_python(project: Path) -> Path:
    return project / ".venv" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _clean_env(**extra: str) -> dict:
    env = {k: v for k, v in __import__("os").environ.items()
           if not k.startswith(("PIP_", "UV_", "VIRTUAL_ENV", "WORKSHOP_"))}
    env["WORKSHOP_LANG"] = "en"  # these tests read English, whatever the machine's locale
    env.update(extra)
    return env


def test_install_falls_back_to_pip_when_the_index_has_no_uv(tiny_project, tmp_path_factory):
    empty_index = tmp_path_factory.mktemp("empty-index")  # an index that lacks uv (and everything else)
    import os

    env = _clean_env(PIP_INDEX_URL=empty_index.as_uri(), PIP_CONFIG_FILE=os.devnull)
    out = _ensure_venv(tiny_project, env)
    assert out.returncode == 0, out.stdout + out.stderr
    said = [ln for ln in out.stdout.splitlines() if ln.startswith("[workshop]")]
    assert len([ln for ln in said if "uv" in ln and "not available" in ln]) == 1, said  # one line says so
    assert any("installing the pinned packages with pip" in ln for ln in said), said
    assert not (tiny_project / ".venv" / "bin" / "uv").exists()
    check = subprocess.run([str(_venv_python(tiny_project)), "-c", "import workshop_tiny, pip; print(workshop_tiny.VALUE)"],
                           capture_output=True, text=True)
    assert check.stdout.strip() == "42", check.stderr  # installed, and the venv has pip for %pip
    stamp = (tiny_project / ".venv" / "requirements.sha256").read_text().strip()
    assert stamp == hashlib.sha256((tiny_project / "requirements.txt").read_bytes()).hexdigest()

    again = _ensure_venv(tiny_project, env)  # up to date: nothing to do, nothing said
    assert again.returncode == 0 and again.stdout == "", again.stdout

    (tiny_project / "requirements.txt").write_text((tiny_project / "requirements.txt").read_text() + "# changed\n")
    changed = _ensure_venv(tiny_project, {**env, "WORKSHOP_UV": "off"})  # requirements changed: installed again,
    assert changed.returncode == 0, changed.stdout + changed.stderr      # and WORKSHOP_UV=off goes straight to pip
    assert "WORKSHOP_UV=off: installing with pip" in changed.stdout and "getting uv" not in changed.stdout
    assert "installing the pinned packages with pip" in changed.stdout, changed.stdout


def test_test_tools_come_only_with_the_test_command(tiny_project, tmp_path_factory):
    """open installs requirements.txt; test adds requirements-test.txt (which includes it); a venv built for the tests
    serves open as it is; a change to either file is installed again. Offline: pip, local wheels."""
    import os

    tool = _tiny_wheel(tiny_project, name="workshop_tinytest")
    (tiny_project / "requirements-test.txt").write_text(f"-r requirements.txt\n./{tool.name}\n")
    env = _clean_env(PIP_INDEX_URL=tmp_path_factory.mktemp("empty-index").as_uri(), PIP_CONFIG_FILE=os.devnull,
                     WORKSHOP_UV="off")

    def ensure(tests: bool) -> subprocess.CompletedProcess:
        out = subprocess.run([sys.executable, "-c", f"import workshop; workshop.ensure_venv(tests={tests})"],
                             cwd=tiny_project, env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stdout + out.stderr
        return out

    def has(module: str) -> bool:
        return subprocess.run([str(_venv_python(tiny_project)), "-c", f"import {module}"], capture_output=True).returncode == 0

    ensure(False)
    assert has("workshop_tiny") and not has("workshop_tinytest")  # open: no test tools
    added = ensure(True)
    assert "adding the test tools of requirements-test.txt" in added.stdout and has("workshop_tinytest")
    assert ensure(False).stdout == "" and ensure(True).stdout == ""  # both in step: nothing to do
    (tiny_project / "requirements-test.txt").write_text((tiny_project / "requirements-test.txt").read_text() + "# x\n")
    assert "installing the pinned packages" in ensure(True).stdout  # the test file changed: installed again


@pytest.mark.registry
def test_install_uses_uv_from_the_package_index(tiny_project):
    """Needs the package index (PyPI) for the uv wheel (~18 MB) and pip; bounded by a 5-minute timeout."""
    out = _ensure_venv(tiny_project, _clean_env())
    assert out.returncode == 0, out.stdout + out.stderr
    assert "getting uv" in out.stdout and "installing the pinned packages with uv" in out.stdout, out.stdout
    assert "pip instead" not in out.stdout, out.stdout
    check = subprocess.run([str(_venv_python(tiny_project)), "-m", "uv", "--version"], capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.startswith("uv "), check.stderr
    check = subprocess.run([str(_venv_python(tiny_project)), "-c", "import workshop_tiny, pip"], capture_output=True)
    assert check.returncode == 0, check.stderr


# --- open: the whole repo served, a clean stop ---------------------------------------------------------------------

def _read_lines(stream, sink: list) -> None:
    for line in stream:
        sink.append(line)


def _execute(base: str, token: str, kernel_id: str, code: str) -> str:
    """Run code in a kernel over JupyterLab's websocket; what it printed."""
    import json
    import uuid

    import websocket

    ws = websocket.create_connection(f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels?token={token}",
                                     timeout=60)
    try:
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                       "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False},
        }))
        printed = ""
        while True:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                printed += msg["content"]["text"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return printed
    finally:
        ws.close()


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_open_serves_the_repo_and_stops_cleanly(signame, tmp_path):
    import os
    import re
    import signal
    import threading
    import time
    import urllib.error
    import urllib.request

    import psutil

    if not workshop.venv_in_sync():
        pytest.skip(".venv was not made by workshop.py (run the suite with `python3 workshop.py test`)")
    token = "t" + os.urandom(8).hex()
    env = _clean_env(WORKSHOP_MODE="replay", JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
                     JUPYTER_CONFIG_DIR=str(tmp_path / "config"), PYTHONUNBUFFERED="1",
                     WORKSHOP_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("ANTHROPIC_API_KEY", None)
    proc = subprocess.Popen(
        [sys.executable, "workshop.py", "open", "--no-browser", "--ip=127.0.0.1", "--port=0",
         f"--IdentityProvider.token={token}"],
        cwd=workshop.ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    lines: list[str] = []
    reader = threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True)
    reader.start()
    family: list = []
    try:
        deadline = time.monotonic() + 90
        url = None
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            found = [m for ln in list(lines) if (m := re.search(r"(http://127\.0\.0\.1:\d+)(/lab/\S*)\?token=", ln))]
            url = found[0] if found else time.sleep(0.2)
        assert url is not None, "".join(lines)[-3000:]
        base = url.group(1)
        assert url.group(2) == "/lab/tree/notebooks/00_mental_model.ipynb"  # opens on notebook 00 first
        assert list((tmp_path / "cache").glob("applog-*.npz")), "open did not prepare the parsed log"

        def api(path: str, data: bytes | None = None):
            req = urllib.request.Request(f"{base}/api/{path}", data=data, method="POST" if data else "GET",
                                         headers={"Authorization": f"token {token}"})
            import json
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read())

        while True:  # JupyterLab prints its URL before its event loop starts listening: wait for it
            try:
                contents = api("contents")
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)[-3000:]
                time.sleep(0.2)
        names = {c["name"] for c in contents["content"]}
        assert {"notebooks", "solutions"} <= names  # the root is the repo: solutions/ is reachable
        assert api("contents/solutions/04_custom_tools.ipynb?content=0")["type"] == "notebook"
        kernel = api("kernels", b'{"name": "python3"}')
        assert _execute(base, token, kernel["id"], "print(6 * 7)").strip() == "42"  # an encrypted kernel works

        family = psutil.Process(proc.pid).children(recursive=True)
        assert len(family) >= 2, family  # JupyterLab and the kernel
        proc.send_signal(getattr(signal, signame))
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=10)
    out = "".join(lines)
    assert code == (0 if signame == "SIGINT" else 128 + getattr(signal, signame)), out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    assert "python3 workshop.py open" in out.splitlines()[-1]  # says how to start again
    assert "without encryption" not in out  # ipykernel's eavesdropping warning is gone
    gone, alive = psutil.wait_procs(family, timeout=10)
    assert not alive, f"left running: {[p.cmdline() for p in alive]}"
    port = int(base.rsplit(":", 1)[1])
    import socket
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
