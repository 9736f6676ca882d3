"""Checks and small data several test files share (imported by name: ``from helpers import
...``)."""

from __future__ import annotations

import os

import numpy as np

from lockpickle_gui.core.inspect import Annotation, Node, resolve_path


def assert_paths_resolve(root_obj, tree: Node) -> None:
    """Every node's and annotation's path, read as Python, leads back to its object (paths in
    <angle brackets> name places Python cannot address, such as a set element)."""
    for note in tree.iter_annotations():
        if not note.path.startswith("<"):
            assert resolve_path(root_obj, note.path) is note.obj, note.path
    for node in tree.walk():
        if not node.path.startswith("<"):
            assert resolve_path(root_obj, node.path) is node.obj, node.path


def annotations_by_path(tree: Node) -> dict[str, Annotation]:
    return {note.path: note for note in tree.iter_annotations()}


def assert_outputs_close(results, expected_batch, atol: float = 1e-5) -> None:
    """``results`` (one answer per sample) equal the rows of ``expected_batch`` (the model's
    own answer for the whole batch: an array, a list of arrays or a dict of arrays)."""
    for i, result in enumerate(results):
        if isinstance(expected_batch, dict):
            assert set(result) == set(expected_batch)
            for key in expected_batch:
                np.testing.assert_allclose(
                    result[key], np.asarray(expected_batch[key])[i], atol=atol
                )
        elif isinstance(expected_batch, (list, tuple)):
            assert len(result) == len(expected_batch)
            for got, want in zip(result, expected_batch):
                np.testing.assert_allclose(got, np.asarray(want)[i], atol=atol)
        else:
            np.testing.assert_allclose(result, np.asarray(expected_batch)[i], atol=atol)


# What a preview run reports (the list): in run_preview's result and the CLI's JSON.
PREVIEW_RESULT_KEYS = {
    "completed",
    "failed",
    "throughput_rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "mean_batch",
    "verdict",
}


def random_rows(n: int, width: int = 4, seed: int = 0) -> list[np.ndarray]:
    """``n`` float32 samples of shape (width,), drawn from a seeded normal distribution."""
    return list(np.random.default_rng(seed).standard_normal((n, width)).astype("float32"))


def _is_resource_tracker(pid: int) -> bool:
    """multiprocessing's (and loky's) resource tracker: one per program, by design alive until
    the program exits."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return b"resource_tracker" in file.read()
    except OSError:
        return False


def child_pids() -> set[int]:
    """Every live descendant of this process (from /proc; zombies count as gone), except the
    resource trackers."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, stack = set(), [os.getpid()]
    while stack:
        for pid in children.get(stack.pop(), []):
            if pid not in found:
                found.add(pid)
                stack.append(pid)
    return {pid for pid in found if not _is_resource_tracker(pid)}
