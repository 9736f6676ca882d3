"""Tabs that would read the same are told apart: a model saved as .keras and as .h5, or two
projects of the same name in different folders; closing one gives the other its plain name."""

from __future__ import annotations

import shutil

from gui_helpers import wait_projects


def _tab_texts(window) -> list[str]:
    return [window.tabs.tabText(index) for index in range(window.tabs.count())]


def test_same_model_as_keras_and_h5_tabs_differ(qtbot, window, tiny_model, tmp_path):
    tiny_model.save(tmp_path / "tiny.keras")
    tiny_model.save(tmp_path / "tiny.h5")
    window.open_paths([tmp_path / "tiny.keras", tmp_path / "tiny.h5"])
    wait_projects(qtbot, window, 2)
    assert sorted(_tab_texts(window)) == ["tiny.h5", "tiny.keras"]
    assert window.windowTitle().startswith(window.tabs.tabText(window.tabs.currentIndex()))
    window.close_project(window.tabs.currentIndex())
    assert _tab_texts(window) == ["tiny"]  # alone again: its plain name


def test_same_project_in_two_folders_names_the_folder(qtbot, window, service_project, tmp_path):
    copy = tmp_path / "v2" / service_project.name
    shutil.copytree(service_project, copy)
    window.open_paths([service_project, copy])
    wait_projects(qtbot, window, 2)
    texts = _tab_texts(window)
    assert len(set(texts)) == 2, texts
    assert any(text.endswith("— v2") for text in texts), texts
