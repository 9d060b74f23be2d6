"""The dashboard in a real browser: JupyterLab (headless, local) + Debian's Chromium via Playwright.

Opens tests/browser/dashboard_demo.ipynb, runs all cells (Run → Run All Cells), and checks what a learner
sees: the Metrics chart (an <img>), the SRE Agent panel going "running" while the replayed investigation
streams in (offline: helpers.connect() in replay mode at 10x the recorded pace) and then showing the final
report naming dep_4820, the culprit highlighted on the Deploys tab, the Diff, the Logs table (filtered and
paged from the browser), and no "Error displaying widget". Screenshots go to test-output/ (dashboard.png on success, and
dashboard-failure.png / page-failure.png when something fails).

Needs /usr/bin/chromium (CI installs it with apt; Playwright's own browser downloads are not used).
Run it alone with:  .venv/bin/pytest -m browser tests/test_browser.py
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = Path(__file__).parent / "browser" / "dashboard_demo.ipynb"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SERVER_START_TIMEOUT = 45  # s
BROWSER_BUDGET = 120  # s for everything in the browser; with the server start the test stays under 3 min

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"JupyterLab did not answer within {SERVER_START_TIMEOUT}s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def jupyterlab(tmp_path, output_dir):
    """A private JupyterLab on 127.0.0.1:<free port> with a token, serving a copy of the test notebook."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    # Private config, settings and workspaces: no user state leaks in, no news or update checks go out.
    config = tmp_path / "jupyter-config"
    settings = tmp_path / "lab-settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    config.mkdir()
    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        WORKSHOP_MODE="replay",
        # 10x the recorded pace: the ~1 min investigation takes a few seconds, slow enough to watch it live.
        WORKSHOP_REPLAY_SPEED="10",
        MPLBACKEND="Agg",
        PYTHONUNBUFFERED="1",
    )
    env.pop("ANTHROPIC_API_KEY", None)
    log = output_dir / "jupyterlab-browser-test.log"
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser",
        "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.disable_check_xsrf=False",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabServerApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root
        cmd.append("--allow-root")
    with open(log, "w") as log_file:
        proc = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_server(f"{base}/api/status?token={token}", proc, log)
        yield {"base": base, "token": token, "root": root, "log": log}
    finally:
        _stop(proc, f"http://127.0.0.1:{port}", token)


def _stop(proc: subprocess.Popen, base: str, token: str) -> None:
    """Stop the server and its kernels: the server's own shutdown API first (it shuts its kernels down),
    then SIGTERM, then SIGKILL to its process group."""
    import signal

    if proc.poll() is None:
        try:
            req = urllib.request.Request(f"{base}/api/shutdown", method="POST",
                                         headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(req, timeout=5).close()
            proc.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            pass
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def _run_all_cells(page) -> None:
    """Run → Run All Cells, through the menu bar like a learner."""
    page.locator("#jp-menu-panel").get_by_text("Run", exact=True).click()
    page.locator(".lm-Menu").get_by_text("Run All Cells", exact=True).click()


class Deadline:
    """The browser's share of the test's time: every wait gets what is left of it."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self, cap_ms: int = 60_000) -> int:
        """A wait's timeout: at most cap_ms, and never past the test's deadline."""
        return max(1_000, min(cap_ms, int((self.end - time.monotonic()) * 1000)))


def test_dashboard_in_jupyterlab(jupyterlab, output_dir, tmp_path):
    from playwright.sync_api import sync_playwright

    shot = output_dir / "dashboard.png"
    for old in (shot, output_dir / "dashboard-failure.png", output_dir / "page-failure.png"):
        old.unlink(missing_ok=True)
    url = f"{jupyterlab['base']}/lab/tree/{NOTEBOOK.name}?token={jupyterlab['token']}&reset"
    console: list[str] = []
    budget = Deadline(BROWSER_BUDGET)

    with sync_playwright() as pw:
        # A fresh profile (user-data dir) per run; launch_persistent_context is how Playwright takes one.
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            timeout=budget.left(),
            viewport={"width": 1680, "height": 2000},
            device_scale_factor=1,
        )
        try:
            # No network beyond the local server.
            context.route(re.compile(r"^(?!http://127\.0\.0\.1:\d+/).*"), lambda route: route.abort())
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            try:
                dash = _open_and_run_all(page, url, budget)
                _check_metrics_chart(page, dash, budget)
                _check_agent_panel(page, dash, budget)
                _check_deploys_and_diff(dash, output_dir)
                _check_logs(dash, output_dir)
                _check_nothing_failed(page, dash, console, shot)
            except Exception:
                _failure_screenshots(page, output_dir)
                raise
        finally:
            (output_dir / "browser-console.log").write_text("\n".join(console))
            context.close()
    assert shot.exists() and shot.stat().st_size > 10_000


def _open_and_run_all(page, url: str, budget: Deadline):
    """Open the notebook, wait for its kernel, Run All Cells; returns the dashboard once it shows."""
    from playwright.sync_api import expect

    page.goto(url, wait_until="domcontentloaded", timeout=budget.left())
    # The notebook is open and its kernel is ready.
    expect(page.locator(".jp-NotebookPanel .jp-Cell").first).to_be_visible(timeout=budget.left())
    expect(page.locator("#jp-main-statusbar")).to_contain_text("| Idle", timeout=budget.left())
    _run_all_cells(page)
    dash = page.locator(".incident-dashboard")
    expect(dash).to_be_visible(timeout=budget.left())
    return dash


def _check_metrics_chart(page, dash, budget: Deadline) -> None:
    """Metrics: the chart is an <img> that actually decoded."""
    from playwright.sync_api import expect

    expect(dash.locator("img.metrics-chart")).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('.incident-dashboard img.metrics-chart');"
        " return i && i.complete && i.naturalWidth > 200; }",
        timeout=budget.left(),
    )


def _check_agent_panel(page, dash, budget: Deadline) -> None:
    """The SRE Agent panel follows the session live: running (report not there yet), then the final report naming
    the culprit deploy; tool calls collapsed until clicked; every cell finished."""
    from playwright.sync_api import expect

    panel = dash.locator(".sre-agent-panel")
    expect(panel).to_be_visible()
    report = panel.locator(".final-report")
    expect(panel.locator(".agent-status.status-running")).to_be_visible(timeout=budget.left())
    assert report.count() == 0, "the final report was there before the session ran"
    expect(panel.locator(".tool").first).to_be_visible(timeout=budget.left())
    expect(report).to_be_visible(timeout=budget.left(100_000))
    expect(report).to_contain_text("dep_4820")
    expect(panel.locator(".agent-status")).to_have_text("idle")
    # Tool calls are collapsed; one click shows the input and the result.
    first_tool = panel.locator("details").first
    expect(first_tool).to_be_visible()
    expect(first_tool.locator("pre").first).to_be_hidden()
    first_tool.locator("summary").click()
    expect(first_tool.locator("pre").first).to_be_visible()
    expect(first_tool).to_contain_text("result:")
    # Every cell finished (no "[*]" left), and the loop ended the turn with the culprit highlighted.
    expect(page.locator(".jp-InputPrompt", has_text="[*]")).to_have_count(0, timeout=budget.left())
    expect(page.locator(".jp-OutputArea-output", has_text="end_turn -> dep_4820")).to_be_visible()


def _check_deploys_and_diff(dash, output_dir: Path) -> None:
    """The investigation highlighted the culprit on the Deploys tab, and the Diff tab shows its change."""
    from playwright.sync_api import expect

    dash.locator(".lm-TabBar-tab", has_text="Deploys").click()
    expect(dash.locator('.deploys-panel tr.culprit[data-deploy="dep_4820"]')).to_be_visible()
    dash.screenshot(path=str(output_dir / "dashboard-deploys.png"))
    dash.locator(".lm-TabBar-tab", has_text="Diff").click()
    expect(dash.locator(".diff-panel .diff .add").first).to_be_visible()
    expect(dash.locator(".diff-panel")).to_contain_text("for item in order.items:")
    dash.screenshot(path=str(output_dir / "dashboard-diff.png"))


def _check_logs(dash, output_dir: Path) -> None:
    """Logs: the paged table with its count; filtering and paging work from the browser."""
    from playwright.sync_api import expect

    dash.locator(".lm-TabBar-tab", has_text="Logs").click()
    logs = dash.locator(".logs-panel")
    table = logs.locator("table.logs-table")
    expect(table).to_be_visible()
    expect(logs).to_contain_text("70,000 matching lines")
    assert table.locator("tbody tr").count() >= 10
    text_box = dash.locator(".widget-text input").first
    text_box.fill("slow query")
    text_box.press("Enter")
    expect(logs).to_contain_text(re.compile(r"[\d,]+ matching lines · page 1 of"))
    expect(logs).not_to_contain_text("70,000 matching lines")
    expect(table.locator("td.msg").first).to_contain_text("slow query")
    dash.get_by_role("button", name="next ▶").click()
    expect(logs).to_contain_text("page 2 of")
    dash.screenshot(path=str(output_dir / "dashboard-logs.png"))


def _check_nothing_failed(page, dash, console: list[str], shot: Path) -> None:
    """Back to Metrics for the picture: no widget failed to render, nothing went to stderr, no uncaught exception."""
    from playwright.sync_api import expect

    dash.locator(".lm-TabBar-tab", has_text="Metrics").click()
    expect(dash.locator("img.metrics-chart")).to_be_visible()
    # No widget failed to render, anywhere on the page.
    expect(page.get_by_text("Error displaying widget")).to_have_count(0)
    assert page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").count() == 0, (
        page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    )
    # No uncaught exception in the page (a broken widget view shows up here first).
    assert not [line for line in console if line.startswith("pageerror")], console
    dash.scroll_into_view_if_needed()
    dash.screenshot(path=str(shot))


def _failure_screenshots(page, output_dir: Path) -> None:
    """What the page showed when a check failed (best effort: the page may be gone)."""
    try:
        page.screenshot(path=str(output_dir / "page-failure.png"), full_page=True)
        if page.locator(".incident-dashboard").count():
            page.locator(".incident-dashboard").first.screenshot(path=str(output_dir / "dashboard-failure.png"))
    except Exception:
        pass
