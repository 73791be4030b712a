"""``courier run``, the README's first command, brings up a working system from nothing."""

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from firmware_bridge.broker import free_port
from tests.databases import fresh_database

pytestmark = pytest.mark.slow


@pytest.fixture
def running(tmp_path):
    with fresh_database(tmp_path, migrate=False) as url:
        port, push_port = free_port(), free_port()
        env = {
            **os.environ,
            "COURIER_DATABASE_URL": url,
            "COURIER_VAR_DIR": str(tmp_path / "var"),
            "COURIER_PORT": str(port),
            "COURIER_PUSH_PORT": str(push_port),
        }
        process = subprocess.Popen(
            [sys.executable, "-c", "from web.cli import main; main()", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield process, f"http://127.0.0.1:{port}", push_port
        finally:
            process.terminate()
            process.wait(timeout=30)
            process.stdout.close()


def wait_until_up(base: str, deadline: float = 60.0) -> dict:
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                return json.load(response)
        except OSError:
            time.sleep(0.3)
    raise AssertionError("courier run did not answer /healthz in time")


def test_courier_run_migrates_seeds_and_serves(running):
    process, base, _push_port = running
    assert wait_until_up(base) == {"status": "ok"}
    with urllib.request.urlopen(
        f"{base}/api/catalog/items?q=%E6%88%90%E7%BB%A9%E5%8D%95"
    ) as response:
        assert json.load(response)["total"] >= 2
    process.terminate()
    output = process.communicate(timeout=30)[0]
    assert "demo users (password demo1234): admin, teacher, teacher2, student" in output


def test_courier_run_prints_where_each_demo_recipient_sees_their_codes(running):
    process, base, _push_port = running
    wait_until_up(base)
    lines: list[str] = []
    while not any("pickup codes of teacher2" in line for line in lines):
        line = process.stdout.readline()
        assert line, "".join(lines)
        lines.append(line)
    text = "".join(lines)
    assert f"pickup codes of teacher: log in as teacher, then {base}/pickups" in text
    assert f"pickup codes of teacher2: log in as teacher2, then {base}/pickups" in text


def test_courier_run_sends_display_boards_to_its_push_server(running):
    _process, base, push_port = running
    wait_until_up(base)
    with urllib.request.urlopen(f"{base}/hall/display/stream?after=0", timeout=10) as response:
        assert response.url == f"http://127.0.0.1:{push_port}/hall/display/stream?after=0"
        assert response.headers["Content-Type"] == "text/event-stream"
        assert response.readline() == b"retry: 500\n"
