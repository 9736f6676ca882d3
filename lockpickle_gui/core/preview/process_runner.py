"""The ``processes`` backend: one spawned worker process per pool worker.

Each process receives the model once, as ``portable(model)`` in its start arguments (a
lock-safe snapshot: fresh locks, the same weights, only the code the model's snapshot needs),
compiles it and answers batches over its own pipe. Processes are spawned, never forked: a
forked TensorFlow runtime can deadlock. ``abort()`` terminates them (a batch running there
ends at once; its futures fail with Cancelled) and ``close()`` stops them, then kills any that
did not stop within a second; none is left behind either way, nor any of their temporary
files: they write them into one private folder per runner, which ``close()`` removes.
"""

from __future__ import annotations

import multiprocessing
import shutil
import time
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from lockpickle_gui.core.errors import LockpickleError, PreviewError
from lockpickle_gui.core.preview.remote import (
    POLL_S,
    START_TIMEOUT_S,
    ModelServer,
    RemoteRunner,
    make_temp_folder,
    ship,
    use_temp_folder,
)

STOP_GRACE_S = 1.0


def _serve(conn: Connection, temp_folder: str, model: Any, input_signature: Any) -> None:
    """The worker process: build the server, say ready, answer batches until told to stop."""
    use_temp_folder(temp_folder)
    try:
        server = ModelServer(model, input_signature)
    except BaseException as error:  # noqa: BLE001 - reported to the pool, then the process ends
        conn.send(("failed", _describe(error)))
        return
    conn.send(("ready", server.pid))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            return
        conn.send(server.run(message[1]))


def _describe(error: BaseException) -> Any:
    return error if isinstance(error, LockpickleError) else f"{type(error).__name__}: {error}"


class ProcessRunner(RemoteRunner):
    LOST = (EOFError, OSError)  # the pipe broke: the process is gone

    def __init__(
        self,
        model: Any,
        workers: int,
        name: str,
        input_signature: Any = None,
        waiting: Callable[[], None] | None = None,
    ):
        super().__init__()
        context = multiprocessing.get_context("spawn")
        shipped = ship(model)
        self._processes: list[Any] = []
        self._conns: list[Connection] = []
        self.temp_folder = make_temp_folder()
        # removed by close(); else when the runner is collected, or at exit
        self._remove_temp = weakref.finalize(
            self, shutil.rmtree, self.temp_folder, ignore_errors=True
        )

        def start() -> list[int]:
            for index in range(workers):
                mine, theirs = context.Pipe()
                process = context.Process(
                    target=_serve,
                    args=(theirs, self.temp_folder, shipped, input_signature),
                    name=f"{name}-process-{index}",
                    daemon=True,
                )
                process.start()
                theirs.close()
                self._processes.append(process)
                self._conns.append(mine)
            return [self._await_ready(i, waiting) for i in range(workers)]

        self._start(name, "process", start)

    def _await_ready(self, index: int, waiting: Callable[[], None] | None) -> int:
        conn, process = self._conns[index], self._processes[index]
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while not conn.poll(POLL_S):
                if waiting is not None:
                    waiting()  # raises Cancelled to stop the start
                if not process.is_alive() or time.monotonic() > deadline:
                    raise EOFError
            status, detail = conn.recv()
        except EOFError:
            process.join(STOP_GRACE_S)
            raise PreviewError(
                f"Expected worker process {index} to start. It ended (exit code "
                f"{process.exitcode}) before loading the model.",
                hint="A script that starts a pool must guard its main code with "
                "`if __name__ == '__main__':` (worker processes are spawned and import it).",
            ) from None
        if status == "ready":
            return int(detail)
        if isinstance(detail, LockpickleError):
            raise detail
        raise PreviewError(
            f"Expected worker process {index} to load and compile the model. It failed: {detail}",
            hint="The worker rebuilds the model from a snapshot: check it loads with "
            "lp.load_snapshot, and that its custom layers' modules are importable there.",
        )

    def _send(self, slot: int, inputs: list[np.ndarray]) -> None:
        self._conns[slot].send(("run", inputs))

    def _answered(self, slot: int, pending: None) -> bool:
        # a dead process answers nothing: receiving then fails with EOFError (LOST)
        return self._conns[slot].poll(POLL_S) or not self._processes[slot].is_alive()

    def _receive(self, slot: int, pending: None) -> tuple[str, Any, Any]:
        reply: tuple[str, Any, Any] = self._conns[slot].recv()
        return reply

    def _lost(self, slot: int, error: BaseException) -> PreviewError:
        return PreviewError(
            f"Expected worker process {slot} to answer. It exited with code "
            f"{self._processes[slot].exitcode}.",
            hint="The process may have run out of memory; the other workers keep serving.",
        )

    def _where(self, slot: int) -> str:
        return f"worker process {slot} (pid {self._processes[slot].pid})"

    def abort(self) -> None:
        self._aborted.set()
        for process in self._processes:
            if process.is_alive():
                process.terminate()

    def close(self) -> None:
        for conn, process in zip(self._conns, self._processes):
            if process.is_alive() and not self._aborted.is_set():
                try:
                    conn.send(("stop",))
                except (OSError, BrokenPipeError):
                    pass
        deadline = time.monotonic() + STOP_GRACE_S
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for conn in self._conns:
            conn.close()
        for process in self._processes:
            process.close()
        self._processes, self._conns = [], []
        self._remove_temp()  # every process has ended: nothing writes there any more
