"""The `dev` loop of the generated web app (slow tier), in headless Chromium against `pnpm dev`.

On a copy of the default standalone project (the session's project stays untouched): edits of a
component and of the reducer reach the open page without a new page load and keep the store's
state; a compile error shows Vite's overlay and the fix clears it without a reload; a page loaded
while broken, or a route that throws, is the dev error page (file and line), which reloads by
itself once the file is fixed; a server change reloads with the state carried over. The terminal
gets one readable line per error, and `dev` reads its settings through config.ts.
"""
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from harness.servers import ServerProcess, free_port

pytestmark = pytest.mark.slow

DRIVER = Path(__file__).parent / "browser" / "dev_loop.mjs"


@pytest.fixture(scope="module")
def project_copy(built_standalone, tmp_path_factory):
    """The installed project copied (pnpm's links kept): the tests edit its sources."""
    copy = tmp_path_factory.mktemp("dev-loop") / "project"
    root = str(built_standalone.root)
    shutil.copytree(root, copy, symlinks=True, ignore=lambda folder, _names: ["dist"] if folder == root else [])
    return copy


@pytest.fixture(scope="module")
def dev_server(built_standalone, project_copy):
    """`pnpm dev` of the copy, HOST left to config.ts; stopped (the whole process group) after."""
    port = free_port()
    env = {**built_standalone.env, "PORT": str(port), "LOG_LEVEL": "info"}
    env.pop("HOST", None)
    server = ServerProcess(["pnpm", "dev"], project_copy, env, port, project_copy.parent / "dev.log",
                           preexec_fn=os.setsid)
    try:
        server.wait_until_up(timeout=90)
        yield server
    finally:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGTERM)
        server.stop()


@pytest.fixture(scope="module")
def dev_loop(built_standalone, project_copy, dev_server):
    """One run of the browser script (tests/browser/dev_loop.mjs): its output and the terminal's."""
    result = subprocess.run(["node", str(DRIVER), dev_server.url, str(project_copy)], cwd=project_copy,
                            env={**built_standalone.env, "CHROMIUM_PATH": shutil.which("chromium") or ""},
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    terminal = re.sub(r"\x1b\[[0-9;]*m", "", dev_server.output())
    return result, terminal


def test_edits_reach_the_open_page_keeping_state_and_errors_show_then_recover(dev_loop):
    result, terminal = dev_loop
    output = f"{result.stdout}\n--- dev server:\n{terminal[-4000:]}"
    assert result.returncode == 0, output
    for check in ("component edit: no new page load", "component edit: the filter text and the filtered list are kept",
                  "reducer edit: no new page load", "reducer edit: the next action goes through the new reducer",
                  "a compile error shows Vite's overlay", "fixing the compile error: no new page load",
                  "a server change reloads the page with the filter text carried over",
                  "the dev error page recovers by itself", "a server runtime error shows the dev error page",
                  "the dev error page shows markup in the message as text",
                  "the page recovers by itself once the route is fixed"):
        assert f"ok - {check}" in result.stdout, output


def test_each_error_is_one_readable_terminal_line(dev_loop):
    """The same run, from the terminal's side: the component was broken twice (in a hot update, then
    under a page load) and a route threw once; no code frame, no stack trace, no JSON."""
    result, terminal = dev_loop
    assert result.returncode == 0, result.stdout
    lines = terminal.splitlines()
    assert len([line for line in lines if "src/app/components/PostList.svelte:" in line]) == 2, terminal
    thrown = [line for line in lines if "failed on purpose" in line]
    assert len(thrown) == 1 and re.search(r"src/server/routes/pages\.ts:\d+:\d+ failed on purpose </script><img src=x>$", thrown[0]), terminal
    assert "brokenOnPurpose" not in terminal, "a code frame reached the terminal:\n" + terminal
    assert not re.search(r"^\s+at ", terminal, re.M), "a stack trace reached the terminal:\n" + terminal
    assert '{"level"' not in terminal, "dev logs JSON:\n" + terminal
    assert re.search(r"INFO.*incoming request GET /", terminal), terminal
    # Reloads are announced only when a page really reloads (a server change), not per module.
    assert "page reload src/server/routes/health.ts" in terminal and "(ssr) page reload" not in terminal, terminal


def test_dev_reads_host_and_port_through_config_ts(built_standalone, project_copy, dev_server):
    assert f"dev server on http://127.0.0.1:{dev_server.port}" in dev_server.output()
    bad = subprocess.run(["pnpm", "dev"], cwd=project_copy, env={**built_standalone.env, "PORT": "eighty"},
                         text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    assert bad.returncode == 1, bad.stdout
    assert 'Invalid configuration: PORT must be an integer from 0 to 65535, got "eighty"' in bad.stdout, bad.stdout
