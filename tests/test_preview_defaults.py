"""Preview settings are merged in one place (core.preview.defaults): built-in < preferences
< the project's [preview] table < explicit choices; the CLI and the GUI both use it."""

from __future__ import annotations

import textwrap

from lockpickle_gui.core.preview.defaults import BUILT_IN, preview_settings


def test_a_project_setting_the_built_in_value_still_wins_over_a_preference(tmp_path, tiny_model):
    from lockpickle_gui.core.project import open_project

    tiny_model.save(tmp_path / "model.keras")
    (tmp_path / "lockpickle.toml").write_text(
        textwrap.dedent("""
        [[models]]
        name = "m"
        path = "model.keras"
        [preview]
        workers = 2
        """)
    )
    project = open_project(tmp_path)
    assert BUILT_IN["workers"] == 2
    merged = preview_settings(preferences={"workers": 4, "max_batch": 64}, project=project.preview)
    assert merged["workers"] == 2  # the project's 2, not the preference's 4
    assert merged["max_batch"] == 64  # the project does not set it: the preference holds


def test_explicit_choices_win_and_preferences_never_choose_inputs():
    merged = preview_settings(
        preferences={"requests": 100, "inputs": "mine.npy"},
        project={"requests": 50, "inputs": "project.npy"},
        overrides={"requests": 7, "clients": None},
    )
    assert merged["requests"] == 7 and merged["clients"] == BUILT_IN["clients"]
    assert merged["inputs"] == "project.npy"
    assert preview_settings(preferences={"inputs": "mine.npy"})["inputs"] is None
