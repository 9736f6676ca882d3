"""The ``ray`` backend: one Ray actor per pool worker, on a local cluster or at an address.

Each actor receives the model once, as ``portable(model)`` in its constructor arguments (a
lock-safe snapshot; its buffers travel through Ray's object store), compiles it and answers
batches; the batching stays in the caller. Without a running Ray session the runner starts a
local one (``ray.init(address=None)``) or connects to ``ray_address`` (``"auto"``,
``"ray://host:10001"``), and shuts it down on close if it started it. ``abort()`` kills the
actors (a running batch's futures fail with Cancelled); ``close()`` kills them too: Ray
reclaims their worker processes. Each actor writes its temporary files into a folder of its
own, which it removes when ``close()`` asks it to; the runner also removes the folders of
actors that ran on this machine (after a cancel, or an actor that did not answer).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from lockpickle_gui.core.errors import LockpickleError, PreviewError
from lockpickle_gui.core.preview.remote import (
    POLL_S,
    START_TIMEOUT_S,
    TEMP_PREFIX,
    ModelServer,
    RemoteRunner,
    make_temp_folder,
    ship,
    use_temp_folder,
)
from lockpickle_gui.core.transport import require

SHUTDOWN_WAIT_S = 5.0  # for the actors to remove their temporary folders before the kill


def last_line(error: BaseException) -> str:
    """What an actor's error says, without Ray's colours and the remote traceback it wraps
    around the original exception (whose ``type: message`` is its last line)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if len(lines) > 1 else f"{type(error).__name__}: {text.strip()}"


def connect(ray: Any, address: str | None) -> bool:
    """Make sure a Ray session is up; True when this call started it (so close ends it)."""
    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if address:
        kwargs = {"log_to_driver": False}
    try:
        # "local" starts a cluster of our own: without an address Ray may attach to a
        # cluster another program started on this machine (RAY_ADDRESS, /tmp/ray).
        ray.init(address=address or "local", **kwargs)
    except Exception as error:
        raise PreviewError(
            f"Expected to {'reach a Ray cluster at ' + address if address else 'start a local Ray cluster'}. "
            f"Ray said: {type(error).__name__}: {error}",
            hint="Start one with `ray start --head` and pass its address, or leave the address "
            "empty for a local cluster.",
        ) from error
    return True


class ActorServer(ModelServer):
    """The Ray actor: a :class:`ModelServer` whose temporary files go to a folder of its
    own (only Python's ``tempfile``: Ray's worker reads ``TMPDIR`` for its own paths)."""

    def __init__(self, model: Any, input_signature: Any = None):
        self.temp_folder = make_temp_folder()
        use_temp_folder(self.temp_folder, environment=False)
        try:
            super().__init__(model, input_signature)
        except BaseException:
            self.shutdown()
            raise

    def temp_place(self) -> tuple[str, str]:
        """``(host name, folder)``: the runner removes the folder too when it is local."""
        return socket.gethostname(), self.temp_folder

    def shutdown(self) -> None:
        shutil.rmtree(self.temp_folder, ignore_errors=True)


class RayRunner(RemoteRunner):
    LOST = (Exception,)  # whatever Ray raises for an actor that cannot answer

    def __init__(
        self,
        model: Any,
        workers: int,
        name: str,
        input_signature: Any = None,
        address: str | None = None,
        waiting: Callable[[], None] | None = None,
        num_cpus: float = 1.0,
    ):
        super().__init__()
        self._ray = ray = require("ray")
        self._owns_session = connect(ray, address)
        self._actors: list[Any] = []
        self.temp_places: list[tuple[str, str]] = []

        def start() -> list[int]:
            shipped = ray.put(ship(model))  # stored once
            actor_class = ray.remote(ActorServer).options(num_cpus=num_cpus)
            self._actors = [actor_class.remote(shipped, input_signature) for _ in range(workers)]
            pids = [
                self._await(actor.ready.remote(), i, waiting)
                for i, actor in enumerate(self._actors)
            ]
            self.temp_places = ray.get([actor.temp_place.remote() for actor in self._actors])
            return pids

        self._start(name, "actor", start)

    def _await(self, ref: Any, index: int, waiting: Callable[[], None] | None) -> Any:
        ray = self._ray
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            done, _ = ray.wait([ref], timeout=POLL_S)
            if done:
                break
            if waiting is not None:
                waiting()  # raises Cancelled to stop the start
            if time.monotonic() > deadline:
                raise PreviewError(
                    f"Expected Ray actor {index} to start within {START_TIMEOUT_S:.0f} s.",
                    hint="The cluster may lack free CPUs for one actor per worker.",
                )
        try:
            return ray.get(ref)
        except Exception as error:  # noqa: BLE001 - Ray wraps the actor's error: unwrap, say which
            cause = getattr(error, "cause", None)
            if isinstance(cause, LockpickleError):
                raise cause from None
            raise PreviewError(
                f"Expected Ray actor {index} to load and compile the model. It failed: "
                f"{last_line(cause or error)}",
                hint="The actor rebuilds the model from a snapshot: its custom layers' modules "
                "must be importable on the cluster.",
            ) from None

    def _send(self, slot: int, inputs: list[np.ndarray]) -> Any:
        return self._actors[slot].run.remote(inputs)  # an object ref

    def _answered(self, slot: int, pending: Any) -> bool:
        return bool(self._ray.wait([pending], timeout=POLL_S)[0])

    def _receive(self, slot: int, pending: Any) -> tuple[str, Any, Any]:
        reply: tuple[str, Any, Any] = self._ray.get(pending)
        return reply

    def _lost(self, slot: int, error: BaseException) -> PreviewError:
        return PreviewError(
            f"Expected Ray actor {slot} to answer. Ray said: {type(error).__name__}: {error}",
            hint="The actor may have died (out of memory?); the other workers keep serving.",
        )

    def _where(self, slot: int) -> str:
        return f"Ray actor {slot}"

    def abort(self) -> None:
        self._aborted.set()
        self._kill()

    def _shut_down_actors(self) -> None:
        """Ask each actor to remove its temporary folder; wait a little, not for ever."""
        try:
            refs = [actor.shutdown.remote() for actor in self._actors]
            self._ray.wait(refs, num_returns=len(refs), timeout=SHUTDOWN_WAIT_S)
        except Exception:  # noqa: BLE001 - best effort: an actor already gone, a lost cluster
            pass

    def _kill(self) -> None:
        for actor in self._actors:
            try:
                self._ray.kill(actor, no_restart=True)
            except Exception:  # noqa: BLE001 - already gone, or the session ended
                pass

    def close(self) -> None:
        if not self._aborted.is_set():
            self._shut_down_actors()
        self._kill()
        self._actors = []
        here = socket.gethostname()
        for host, folder in self.temp_places:  # actors killed before they could
            if host == here and os.path.basename(folder).startswith(TEMP_PREFIX):
                shutil.rmtree(folder, ignore_errors=True)
        self.temp_places = []
        if self._owns_session and self._ray.is_initialized():
            self._ray.shutdown()
        self._owns_session = False
