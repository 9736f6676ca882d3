"""Remote preview workers leave no temporary files behind. TensorFlow's autograph writes a
generated module per traced function into the temp folder and removes it only in an atexit
handler, which a terminated worker process (``close(wait=False)``, what the CLI does: 4 files
were left per run) or a killed Ray actor never runs: the workers write into a private folder
that closing removes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

GENERATED = "__autograph_generated_file"


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    """This process's temp folder, and the default of the processes it spawns."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.fixture(params=["processes", "ray"])
def backend(request):
    """The Ray cluster for "ray" is started by the thread check (conftest), before it counts."""
    return request.param


def generated_files(folder: str | Path) -> list[str]:
    return sorted(p.name for p in Path(folder).rglob(f"{GENERATED}*"))


@pytest.mark.parametrize("cancel", [False, True], ids=["closed", "cancelled"])
def test_remote_workers_leave_no_temporary_files(backend, cancel, temp_root, tiny_model):
    from lockpickle_gui.core.preview import InferencePool

    samples = [np.full(4, i / 10, "float32") for i in range(8)]
    pool = InferencePool(tiny_model, workers=2, max_batch=4, backend=backend)
    try:
        assert len(pool.map(samples)) == len(samples)
        runner = pool._runner
        folders = (
            [runner.temp_folder]
            if backend == "processes"
            else [folder for _host, folder in runner.temp_places]
        )
        # the workers' traced functions were written into the private folders
        assert len(folders) == (1 if backend == "processes" else 2)
        assert all(generated_files(folder) for folder in folders)
    finally:
        pool.close(wait=not cancel)
    assert sorted(os.listdir(temp_root)) == []
    assert not any(os.path.exists(folder) for folder in folders)
