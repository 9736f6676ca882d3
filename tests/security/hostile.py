"""Helpers of the adversarial suite: run hostile loads in a child process under limits, and
check what must always hold -- only LockpickleError subclasses, no canary file, no signal,
bounded time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHILD = HERE / "hostile_child.py"
# Generous: the budgets aim at a few seconds for a hostile megabyte on a loaded 2-core
# machine; a regression to the minutes the issue found still fails.
CASE_SECONDS = 30.0
MEMORY_MB = 1536  # the child's address space (no TensorFlow import: numpy and the reader)
MEMORY_MB_KERAS = None  # TensorFlow reserves address space: measured peak RSS instead


@dataclass
class Case:
    name: str
    path: Path
    op: str = "load"
    trust: tuple[str, ...] = ()
    bundled: bool = False
    argv: tuple[str, ...] = ()

    def spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "op": self.op,
            "path": str(self.path),
            "trust": list(self.trust),
            "bundled": self.bundled,
            "argv": list(self.argv),
        }


def run_cases(
    cases: list[Case],
    tmp_path: Path,
    *,
    memory_mb: int | None = MEMORY_MB,
    timeout: float = 600,
    canary_may_say: tuple[str, ...] = (),
) -> dict[str, dict[str, Any]]:
    """Run ``cases`` in one child process; return {name: outcome}. Fails the test on a
    signal, a case without an outcome, a canary, or a case over :data:`CASE_SECONDS`."""
    spec = tmp_path / "hostile-spec.json"
    spec.write_text(json.dumps({"memory_mb": memory_mb, "cases": [c.spec() for c in cases]}))
    canary = tmp_path / "canary.txt"
    env = dict(
        os.environ,
        LPCANARY_FILE=str(canary),
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONDONTWRITEBYTECODE="1",
    )
    done = subprocess.run(
        [sys.executable, str(CHILD), str(spec)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    outcomes = {line["name"]: line for line in lines if "outcome" in line}
    started = [line["start"] for line in lines if "start" in line]
    unfinished = [name for name in started if name not in outcomes]
    assert done.returncode == 0 and not unfinished, (
        f"the child ended with status {done.returncode} (a negative status is a signal) "
        f"during {unfinished}: {done.stderr[-3000:]}"
    )
    sung = canary.read_text().split() if canary.exists() else []
    assert set(sung) <= set(canary_may_say), f"untrusted code ran: {sung}"
    for name, outcome in outcomes.items():
        assert outcome["outcome"] != "crash", f"{name}: {outcome['type']}\n{outcome['traceback']}"
        assert outcome["seconds"] < CASE_SECONDS, f"{name} took {outcome['seconds']} s"
    assert [c.name for c in cases] == list(outcomes), "not every case ran"
    return outcomes


def refused(outcomes: dict[str, dict[str, Any]], name: str, error: str = "", text: str = "") -> str:
    """The message of case ``name``, which must have been refused with ``error``."""
    outcome = outcomes[name]
    assert outcome["outcome"] == "refused", f"{name} was not refused: {outcome}"
    if error:
        assert outcome["type"] == error, f"{name}: {outcome['type']} ({outcome['message']})"
    if text:
        assert text in outcome["message"], f"{name}: {outcome['message']}"
    return str(outcome["message"])


def refused_by_cli(outcomes: dict[str, dict[str, Any]], name: str) -> None:
    """Case ``name`` ran the CLI on a bad file, which must have said so: exit status 2 (the
    CLI turns a LockpickleError into one paragraph on stderr and that status)."""
    outcome = outcomes[name]
    assert outcome["outcome"] == "ok" and outcome.get("exit") == 2, f"{name}: {outcome}"
