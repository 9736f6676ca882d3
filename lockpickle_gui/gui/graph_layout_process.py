"""The Graph tab's layout, computed by Graphviz in a child process so the UI thread never waits.

:func:`layout_request` says what to lay out (box sizes, edges, the frames of expanded nested
models); :class:`LayoutProcess` runs ``core.inspect.graph_layout`` on it with QProcess and
reports the positions, or why there are none, through signals on the UI thread.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from PySide6.QtCore import QObject, QProcess, Signal

from lockpickle_gui.core.inspect.structure import LayerGraph

LAYOUT_MODULE = "lockpickle_gui.core.inspect.graph_layout"
LAYOUT_FLAG = "--layout-worker"  # app.main runs the layout worker when given it first


def layout_arguments() -> list[str]:
    """How this program starts the layout worker: ``python -m <module>``, or, in a frozen
    bundle (no interpreter to pass -m to), the app itself with ``--layout-worker``."""
    return [LAYOUT_FLAG] if getattr(sys, "frozen", False) else ["-m", LAYOUT_MODULE]


def layout_request(
    graph: LayerGraph,
    shown: LayerGraph,
    collapsed: set[str],
    sizes: dict[str, tuple[float, float]],
) -> dict[str, Any]:
    """What the worker lays out: ``shown`` (``graph`` with ``collapsed`` folded) with a frame
    around the layers of each nested model that is expanded and not inside a collapsed one."""
    clusters = {}
    for container in graph.containers():
        if container in collapsed or graph.outermost_collapsed(container, collapsed) != container:
            continue
        members = [n for n in shown.nodes if graph.nodes[n].parent == container]
        clusters[container] = {"parent": graph.nodes[container].parent, "members": members}
    return {
        "nodes": sizes,
        "edges": [[e.source, e.target] for e in shown.edges],
        "clusters": clusters,
    }


class LayoutProcess(QObject):
    """One layout in a child process: ``laidOut(result)`` with the worker's JSON answer
    (``bbox``, ``nodes``, ``edges``, ``clusters``, ``seconds``), or ``failed(reason)``."""

    laidOut = Signal(object)
    failed = Signal(str)

    def __init__(self, request: dict[str, Any], parent: QObject | None = None):
        super().__init__(parent)
        self._ended = False
        process = self._process = QProcess(self)
        process.setProgram(sys.executable)
        process.setArguments(layout_arguments())
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        process.start()
        process.write(json.dumps(request).encode())
        process.closeWriteChannel()

    def kill(self) -> None:
        """Stop now (a newer layout replaces this one, or the window closes): no signal."""
        self._ended = True
        self._process.kill()  # finished follows, and frees this object

    def _finished(self, code: int, _status: Any) -> None:
        output = bytes(self._process.readAllStandardOutput().data())
        errors = bytes(self._process.readAllStandardError().data()).decode(errors="replace")
        if code != 0:
            self._fail(errors.strip().splitlines()[-1] if errors.strip() else f"exit status {code}")
        elif not self._ended:
            self._ended = True
            self.laidOut.emit(json.loads(output))
        self.deleteLater()

    def _error(self, error: QProcess.ProcessError) -> None:
        self._fail(self._process.errorString())
        if error == QProcess.ProcessError.FailedToStart:  # no finished signal will follow
            self.deleteLater()

    def _fail(self, reason: str) -> None:
        if not self._ended:
            self._ended = True
            self.failed.emit(reason)
