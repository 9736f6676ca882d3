"""The examples/ scripts run as a user would run them, each in a fresh interpreter, and
print their one-line result (each asserts fresh locks and bit-identical outputs itself)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = {
    "mp_pool.py": "mp.Pool: worker",
    "process_pool.py": "ProcessPoolExecutor: workers",
    "joblib_parallel.py": "joblib: 4 tasks",
    "dask_cluster.py": "Dask: workers",
    "ray_cluster.py": "Ray: task in",
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_example_script_runs(script):
    if script.startswith("dask"):
        pytest.importorskip("distributed")
    if script.startswith("ray"):
        pytest.importorskip("ray")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", RAY_USAGE_STATS_ENABLED="0")
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert SCRIPTS[script] in result.stdout and "identical" in result.stdout
