"""Run hostile snapshot loads in this child process, under a memory limit; print one JSON line
per case. Run by ``hostile.run_cases`` (never imported by the tests themselves).

    python hostile_child.py SPEC.json

SPEC: {"memory_mb": int | null, "cases": [{"name", "op", "path", "trust", "bundled"}]}.
Outcomes: "ok" (with the exit status of a "cli" case), "refused" (a LockpickleError: the
type's name and message), or "crash" (anything else, with its traceback). A signal (a segfault) ends the process: the parent sees
the last "start" line without an outcome.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path


def run(case: dict) -> int | None:
    """Run one case; for the "cli" op, return the exit status."""
    import lockpickle_gui as lp

    op, path = case["op"], case.get("path")
    trust = case.get("trust") or ()
    bundled = bool(case.get("bundled"))
    if op == "load":
        lp.load_snapshot(path, trust=trust, trust_bundled_code=bundled)
    elif op == "loads":
        lp.loads(Path(path).read_bytes(), trust=trust, trust_bundled_code=bundled)
    elif op == "from_members":
        import zipfile

        with zipfile.ZipFile(path) as archive:
            members = {info.filename: archive.read(info) for info in archive.infolist()}
        lp.from_members(members, trust=trust, trust_bundled_code=bundled)
    elif op == "read_manifest":
        lp.read_manifest(path)
    elif op == "untrusted_types":
        lp.untrusted_types(path, trust)
    elif op == "info":
        from lockpickle_gui.cli._render import render_view
        from lockpickle_gui.core.snapshot.view import manifest_view

        render_view(manifest_view(path, trust=trust, check=True))
    elif op == "verify":
        lp.verify_snapshot(path, trust=trust, trust_bundled_code=bundled)
    elif op == "open_project":
        lp.open_project(path, trust=trust, trust_bundled_code=bundled)
    elif op == "import":
        from lockpickle_gui.core.project import import_snapshot

        import_snapshot(path, trust=trust, trust_bundled_code=bundled)
    elif op == "cli":
        from lockpickle_gui import cli

        code = cli.main([*case["argv"], str(path)])
        if code not in (0, 1, 2):
            raise AssertionError(f"exit status {code}")
        return code
    else:
        raise ValueError(f"unknown op {op!r}")
    return None


def peak_resident_mb() -> int:
    """This process' peak resident memory since it started (VmHWM). Not getrusage's
    ru_maxrss: Linux carries the parent's peak across fork and exec into it, so a child of a
    large pytest process would report the parent's size."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    if spec.get("memory_mb"):
        limit = int(spec["memory_mb"]) << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from lockpickle_gui.core.errors import LockpickleError

    for case in spec["cases"]:
        print(json.dumps({"start": case["name"]}), flush=True)
        started = time.perf_counter()
        try:
            code = run(case)
            outcome: dict = {"outcome": "ok"}
            if code is not None:
                outcome["exit"] = code
        except LockpickleError as error:
            outcome = {
                "outcome": "refused",
                "type": type(error).__name__,
                "message": str(error)[:3000],
            }
        except BaseException as error:  # noqa: BLE001 - exactly what the tests look for
            outcome = {
                "outcome": "crash",
                "type": type(error).__name__,
                "traceback": traceback.format_exc()[-4000:],
            }
        outcome["name"] = case["name"]
        outcome["seconds"] = round(time.perf_counter() - started, 3)
        outcome["peak_mb"] = peak_resident_mb()
        print(json.dumps(outcome), flush=True)
    os._exit(0)  # no atexit work (a trusted module could have registered some)


if __name__ == "__main__":
    main()
