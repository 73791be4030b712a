"""The example deployment in deploy/: referenced, and the gunicorn configuration loads the app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def test_the_readme_links_the_deployment():
    assert "(deploy/README.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(DEPLOY) for p in DEPLOY.rglob("*") if p.is_file() and p.name != "README.md"
    ),
    ids=str,
)
def test_every_file_of_the_deployment_is_described_in_its_readme(path):
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert f"`{path}`" in readme or f"`{path.parent}/`" in readme


@pytest.mark.slow
def test_gunicorn_loads_the_app_with_the_example_configuration(tmp_path):
    # gunicorn --check-config loads the app without starting the server (on_starting).
    (tmp_path / "metrics").mkdir()
    environment = {
        **os.environ,
        "COURIER_VAR_DIR": str(tmp_path / "var"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    configuration = str(DEPLOY / "gunicorn.conf.py")
    checked = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", configuration],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr[-2000:]
