"""Run every benchmarks/bench_*.py in its own process and print what each prints.

A separate process per benchmark keeps their imports and threads apart; a failing
benchmark is reported and the others still run. Exit status 1 if any failed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, check=False)
        if result.returncode != 0:
            failed.append(script.name)
            print(f"!! {script.name} exited with status {result.returncode}", flush=True)
        print(flush=True)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
