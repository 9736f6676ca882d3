"""Export and import snapshots through the real window, dialogs and worker threads.

``window`` and ``model_file`` come from tests/gui/conftest.py (a real main window with a
temporary settings folder, closed and joined at teardown).
"""

from __future__ import annotations

import textwrap
import threading

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from gui_helpers import drop_paths, error_dialogs
from PySide6.QtWidgets import QFileDialog, QPushButton

from lockpickle_gui.gui import snapshot_actions
from lockpickle_gui.gui.export_dialog import BlockedStateDialog, ExportOptionsDialog
from lockpickle_gui.gui.trust_dialog import TrustDialog
from lockpickle_gui.gui.workers import Worker

JOB_TIMEOUT_MS = 60_000

SERVICE_PY = textwrap.dedent('''
    import threading


    class Service:
        """What real programs hold: a model, a lock and, here, a generator nobody can save."""

        def __init__(self, model, with_generator):
            self.model = model
            self.lock = threading.Lock()
            self.pending = (i for i in range(3)) if with_generator else None


    def build(models):
        return Service(models["tiny"], with_generator=False)


    def build_blocked(models):
        return Service(models["tiny"], with_generator=True)
''')


def make_project_folder(tmp_path, tiny_model, factory="service:build"):
    folder = tmp_path / "service_project"
    folder.mkdir()
    tiny_model.save(folder / "tiny.keras")
    (folder / "service.py").write_text(SERVICE_PY)
    (folder / "lockpickle.toml").write_text(
        textwrap.dedent(f'''
        [project]
        name = "tiny-service"
        [[models]]
        name = "tiny"
        path = "tiny.keras"
        [code]
        modules = ["service.py"]
        [runtime]
        factory = "{factory}"
    ''')
    )
    return folder


def open_in_window(window, path):
    from lockpickle_gui.core.project import open_project

    project = open_project(path)
    window.add_loaded_project(project)
    assert window.current_project is project
    return project


def patch_save_dialog(monkeypatch, target):
    calls = []

    def fake(parent, caption, directory, filters, *args, **kwargs):
        calls.append(directory)
        return str(target), filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
    return calls


def only_job(window):
    jobs = list(window.snapshots.jobs)
    assert len(jobs) == 1, jobs
    return jobs[0]


def wait_for_dialog(qtbot, window, kind):
    found = []

    def shown():
        found[:] = [d for d in window.findChildren(kind) if d.isVisible()]
        assert found

    qtbot.waitUntil(shown, timeout=JOB_TIMEOUT_MS)
    return found[0]


def sample(n=3):
    return np.random.default_rng(1).normal(size=(n, 4)).astype("float32")


def test_export_through_the_dialogs_then_load_back(
    qtbot, window, settings_dir, model_file, tiny_model, tmp_path, monkeypatch
):
    open_in_window(window, model_file)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "chosen"  # the suffix is added
    calls = patch_save_dialog(monkeypatch, target)

    window.snapshots.export_action.trigger()
    assert calls and calls[0].endswith(".lpsnap") and "tiny" in calls[0]
    options = wait_for_dialog(qtbot, window, ExportOptionsDialog)
    assert options.path == out_dir / "chosen.lpsnap"
    assert options.verify and not options.bundle_code  # a bare model file has no code
    job = only_job(window)
    with qtbot.waitSignal(job.done, timeout=JOB_TIMEOUT_MS) as blocker:
        options.export_button.click()
    manifest = blocker.args[0]
    assert manifest is not None and manifest["format"] == "lockpickle-snapshot"

    saved = out_dir / "chosen.lpsnap"
    assert job.message_box is not None and str(saved) in job.message_box.text()
    from lockpickle_gui.core.library import Library

    with Library(settings_dir / "data") as library:  # recorded in the snapshot library
        (entry,) = library.entries()
    assert entry.path == str(saved.resolve()) and entry.origin == "export"
    assert entry.project == "tiny" and entry.sha256 and entry.verdict is None
    assert "Size:" in job.message_box.informativeText()
    from lockpickle_gui.core.settings import Settings

    assert Settings(settings_dir).last_export_folder == str(out_dir)  # saved to disk
    calls.clear()
    window.snapshots.export_action.trigger()  # the next export starts in the folder used last
    assert calls and calls[0].startswith(str(out_dir))
    only_job(window).options.reject()

    from lockpickle_gui.core.snapshot import load_snapshot

    restored = load_snapshot(saved)
    np.testing.assert_array_equal(np.asarray(restored(sample())), np.asarray(tiny_model(sample())))


def test_blocked_state_lists_every_path_and_offers_drop(
    qtbot, window, tiny_model, tmp_path, monkeypatch
):
    folder = make_project_folder(tmp_path, tiny_model, factory="service:build_blocked")
    project = open_in_window(window, folder)
    target = tmp_path / "blocked.lpsnap"
    patch_save_dialog(monkeypatch, target)

    window.snapshots.export_action.trigger()
    options = wait_for_dialog(qtbot, window, ExportOptionsDialog)
    assert options.bundle_code and options.on_blocked == "ask"
    job = only_job(window)
    options.export_button.click()
    blocked = wait_for_dialog(qtbot, window, BlockedStateDialog)
    assert blocked.blocked_paths() == ["root.pending"]
    assert not target.exists()  # nothing written before the user chose
    with qtbot.waitSignal(job.done, timeout=JOB_TIMEOUT_MS) as done:
        blocked.drop_button.click()
    assert done.args[0] is not None and target.exists()

    from lockpickle_gui.core.snapshot import load_snapshot, untrusted_types

    assert untrusted_types(target, trust_bundled_code=True) == []
    restored = load_snapshot(target, trust_bundled_code=True)
    assert restored.pending is None
    assert restored.lock.acquire(blocking=False)  # fresh and free
    assert type(restored).__name__ == "Service" and project.runtime.pending is not None


def test_stop_with_an_error_speaks_to_an_app_user(qtbot, window, tiny_model, tmp_path, monkeypatch):
    folder = make_project_folder(tmp_path, tiny_model, factory="service:build_blocked")
    open_in_window(window, folder)
    target = tmp_path / "stopped.lpsnap"
    patch_save_dialog(monkeypatch, target)
    window.snapshots.export_action.trigger()
    options = wait_for_dialog(qtbot, window, ExportOptionsDialog)
    options._policy_buttons["error"].setChecked(True)  # "Stop with an error"
    job = only_job(window)
    with qtbot.waitSignal(job.done, timeout=JOB_TIMEOUT_MS):
        options.export_button.click()
    [dialog] = error_dialogs()
    text = dialog.informativeText()
    assert "root.pending" in text and "Drop it" in text
    assert "on_blocked" not in text and "--on-blocked" not in text  # API words: under Details
    dialog.close()
    assert not target.exists()


def test_blocked_state_cancel_writes_nothing(qtbot, window, tiny_model, tmp_path, monkeypatch):
    folder = make_project_folder(tmp_path, tiny_model, factory="service:build_blocked")
    open_in_window(window, folder)
    target = tmp_path / "never.lpsnap"
    patch_save_dialog(monkeypatch, target)

    window.snapshots.export_action.trigger()
    options = wait_for_dialog(qtbot, window, ExportOptionsDialog)
    job = only_job(window)
    options.export_button.click()
    blocked = wait_for_dialog(qtbot, window, BlockedStateDialog)
    with qtbot.waitSignal(job.done, timeout=JOB_TIMEOUT_MS) as done:
        blocked.reject()
    assert done.args[0] is None
    assert not target.exists()
    assert not list(tmp_path.glob("*.lpsnap*"))  # no temporary left either


@pytest.fixture
def project_snapshot(tiny_model, tmp_path):
    from lockpickle_gui.core.project import open_project
    from lockpickle_gui.core.snapshot import save_snapshot

    folder = make_project_folder(tmp_path, tiny_model)
    path = tmp_path / "service.lpsnap"
    save_snapshot(open_project(folder), path)
    return path


def test_import_trusted_loads_and_shows_the_verdict(qtbot, window, settings_dir, project_snapshot):
    job = snapshot_actions.import_snapshot(window, project_snapshot)
    trust = wait_for_dialog(qtbot, window, TrustDialog)
    assert [name for name, _ in trust.code] == ["code/service.py"]
    assert all(len(sha) == 64 for _, sha in trust.code)
    assert trust.modules == []  # the Service class comes from the bundled code package
    assert trust.trust_bundled_code
    assert window.current_project is None  # nothing ran yet

    with qtbot.waitSignal(job.done, timeout=JOB_TIMEOUT_MS) as done:
        trust.trust_button.click()
    project = done.args[0]
    assert project is not None and window.current_project is project
    assert type(project.runtime).__name__ == "Service"
    assert project.runtime.lock.acquire(blocking=False)
    assert getattr(job.verification, "verdict", None) in ("identical", "within tolerance")
    assert (
        "Verification: identical" in job.message_box.informativeText()
        or "within tolerance" in job.message_box.informativeText()
    )
    from lockpickle_gui.core.library import Library

    with Library(settings_dir / "data") as library:  # recorded, with its verdict
        (entry,) = library.entries()
        history = [event.kind for event in library.details(entry.id).history]
    assert entry.path == str(project_snapshot.resolve()) and entry.project == "tiny-service"
    assert entry.verdict == str(job.verification.verdict) and history == ["imported", "verified"]


def test_trust_dialog_lists_types_and_shows_each_code_file_before_anything_runs(
    qtbot, window, project_snapshot, tmp_path
):
    from PySide6.QtWidgets import QLabel

    from lockpickle_gui.gui.trust_dialog import CodeViewer

    job = snapshot_actions.import_snapshot(window, project_snapshot)
    trust = wait_for_dialog(qtbot, window, TrustDialog)
    groups = {
        trust.tree.topLevelItem(i).text(0): trust.tree.topLevelItem(i)
        for i in range(trust.tree.topLevelItemCount())
    }
    assert any(title.startswith("Types loading needs you to trust: none") for title in groups)
    code = next(item for title, item in groups.items() if title.startswith("Bundled code"))
    assert code.child(0).text(0) == "code/service.py" and code.child(0).text(1).startswith(
        "sha256 "
    )
    trust.tree.setCurrentItem(code.child(0))
    trust.view_button.click()  # or a double-click on the row
    viewer = wait_for_dialog(qtbot, trust, CodeViewer)
    assert "def build(models):" in viewer.text.toPlainText() and viewer.text.isReadOnly()
    assert trust.code[0][1] in viewer.findChild(QLabel).text()  # the sha256 it was checked against
    viewer.close()
    assert window.current_project is None  # reading the code ran nothing
    with qtbot.waitSignal(job.done, timeout=JOB_TIMEOUT_MS):
        trust.cancel_button.click()
    # a snapshot whose state needs a user type lists that type, as trust= spells it
    import threading

    import models  # tests/models.py: classes a test trusts

    from lockpickle_gui.core.snapshot import save_snapshot

    path = tmp_path / "typed.lpsnap"
    save_snapshot({"settings": models.Settings(), "lock": threading.Lock()}, path)
    typed = TrustDialog(window, path=path)
    assert typed.modules == ["models.Settings"] and not typed.trust_bundled_code
    assert not typed.view_button.isEnabled()
    typed.close()


def test_import_refused_loads_nothing(qtbot, window, project_snapshot):
    job = snapshot_actions.import_snapshot(window, project_snapshot)
    trust = wait_for_dialog(qtbot, window, TrustDialog)
    with qtbot.waitSignal(job.done, timeout=JOB_TIMEOUT_MS) as done:
        trust.cancel_button.click()
    assert done.args[0] is None
    assert window.current_project is None
    assert job.project is None and job.verification is None


def test_import_of_a_broken_file_is_an_error_dialog(qtbot, window, tmp_path):
    broken = tmp_path / "broken.lpsnap"
    broken.write_bytes(b"not a zip at all")
    job = snapshot_actions.import_snapshot(window, broken)
    with qtbot.waitSignal(job.done, timeout=JOB_TIMEOUT_MS):
        pass
    [dialog] = error_dialogs()  # the real, non-blocking error box
    assert "broken.lpsnap" in dialog.informativeText()
    assert "not a ZIP archive" in dialog.informativeText()
    assert not window.findChildren(TrustDialog) and window.current_project is None
    dialog.close()


def test_cancel_in_the_progress_dialog_writes_nothing(
    qtbot, window, model_file, tmp_path, monkeypatch
):
    open_in_window(window, model_file)
    target = tmp_path / "cancelled.lpsnap"
    patch_save_dialog(monkeypatch, target)
    # Hold every runner thread so the export is still queued when Cancel is pressed: the
    # worker then meets its cancel flag before writing a byte (no race with a fast save).
    gate = threading.Event()
    for _ in range(window.runner.pool.maxThreadCount()):
        window.runner.start(Worker(gate.wait, with_progress=False))

    window.snapshots.export_action.trigger()
    options = wait_for_dialog(qtbot, window, ExportOptionsDialog)
    job = only_job(window)
    options.export_button.click()
    assert job.progress_dialog is not None
    with qtbot.waitSignal(job.done, timeout=JOB_TIMEOUT_MS) as done:
        job.progress_dialog.findChild(QPushButton).click()  # its Cancel button
        gate.set()
    assert done.args[0] is None
    assert not target.exists() and not list(tmp_path.glob("*.lpsnap*"))
    assert "nothing was written" in window.statusBar().currentMessage()


def test_dropping_a_snapshot_goes_through_the_trust_dialog(qtbot, window, project_snapshot):
    drop_paths(window, [project_snapshot])  # the window routes .lpsnap files to the import
    trust = wait_for_dialog(qtbot, window, TrustDialog)
    job = only_job(window)
    with qtbot.waitSignal(job.done, timeout=JOB_TIMEOUT_MS) as done:
        trust.trust_button.click()
    assert done.args[0] is window.current_project
    assert window.current_project.kind == "snapshot"


def test_a_file_that_can_never_load_is_refused_in_the_trust_dialog(
    qtbot, window, project_snapshot, tmp_path
):
    """Bundled code that is not what the manifest says is an error dialog, never a trust
    dialog (View Code gave an 'Unexpected error' window); a type that is never trusted keeps
    Trust and load disabled, with the reason (the dialog offered 'os.system' for trust)."""
    import craft

    members = craft.members_of(project_snapshot)
    tampered = dict(members)
    tampered["code/service.py"] = members["code/service.py"] + b"\nprint('edited')\n"
    job = snapshot_actions.import_snapshot(
        window, craft.write(tmp_path / "tampered.lpsnap", tampered)
    )
    with qtbot.waitSignal(job.done, timeout=JOB_TIMEOUT_MS):
        pass
    [error] = error_dialogs()
    assert "code/service.py" in error.informativeText() and "sha256" in error.informativeText()
    assert not window.findChildren(TrustDialog) and window.current_project is None
    error.close()

    # an attacker writes both state.json and the manifest (a type listed in the manifest
    # alone is refused as corrupt before this dialog)
    edited = craft.with_state(
        members, craft.state_doc([{"t": "obj", "c": 0}], [("os:system", "class")])
    )
    dialog = TrustDialog(window, path=craft.write(tmp_path / "os.lpsnap", edited))
    assert not dialog.trust_button.isEnabled() and "os.system" in dialog.refusal
    dialog.close()
