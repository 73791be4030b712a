"""The forged-code count of ``GET /api/metrics`` adds up every worker process of a host."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

REFUSE = """
from core import codes
for _ in range({count}):
    try:
        codes.verify("8KQ2M9XR7H2PQ", "a key that signed nothing")
    except codes.ForgedCode:
        pass
"""


def python(code: str, folder: Path) -> str:
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_codes_refused_in_two_worker_processes_are_counted_together(tmp_path):
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", REFUSE.format(count=count)],
            cwd=ROOT,
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
        )
        for count in (3, 4)
    ]
    assert [worker.wait(60) for worker in workers] == [0, 0]
    assert python("from core import codes; print(codes.forged_codes.value)", tmp_path) == "7"


def test_a_process_sees_its_own_refusals_at_once_with_the_others(tmp_path):
    python(REFUSE.format(count=2), tmp_path)
    seen = python(REFUSE.format(count=1) + "print(codes.forged_codes.value)", tmp_path)
    assert seen == "3"
