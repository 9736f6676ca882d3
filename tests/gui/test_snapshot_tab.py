"""An imported snapshot's tab is told apart from a project's (name.lpsnap, its own icon) and
keeps a summary above its tree: the verification verdict, what was dropped at export, and
what the user trusted to load it."""

from __future__ import annotations

from gui_helpers import wait_projects
from test_snapshot_actions import (  # the same fixtures and helpers as the import flow's tests
    JOB_TIMEOUT_MS,
    make_project_folder,
    project_snapshot,  # noqa: F401 - a fixture
    wait_for_dialog,
)

from lockpickle_gui.gui import snapshot_actions
from lockpickle_gui.gui.snapshot_summary import SnapshotBar
from lockpickle_gui.gui.trust_dialog import TrustDialog


def test_a_snapshot_tab_has_its_own_name_icon_and_summary(
    qtbot,
    window,
    tiny_model,
    tmp_path,
    project_snapshot,  # noqa: F811
):
    (tmp_path / "again").mkdir()
    window.open_paths([make_project_folder(tmp_path / "again", tiny_model)])
    wait_projects(qtbot, window, 1)
    job = snapshot_actions.import_snapshot(window, project_snapshot)
    trust = wait_for_dialog(qtbot, window, TrustDialog)
    with qtbot.waitSignal(job.done, timeout=JOB_TIMEOUT_MS):
        trust.trust_button.click()
    assert len(window.projects) == 2
    labels = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert "service.lpsnap" in labels
    snapshot_index = labels.index("service.lpsnap")
    project_index = 1 - snapshot_index
    assert (
        window.tabs.tabIcon(snapshot_index).cacheKey()
        != window.tabs.tabIcon(project_index).cacheKey()
    )
    assert window.tabs.tabToolTip(snapshot_index).startswith("Snapshot, restored from")

    bar = window.current_tab.panel.findChild(SnapshotBar)
    assert bar is not None
    text = bar.label.text()
    assert "Verification: identical" in text or "within tolerance" in text
    assert "Nothing was dropped at export" in text
    assert "Trusted to load it: the bundled code" in text
    window.tabs.setCurrentIndex(project_index)  # the summary stays with the snapshot's tab
    window.tabs.setCurrentIndex(snapshot_index)
    assert window.current_tab.panel.findChild(SnapshotBar) is bar
