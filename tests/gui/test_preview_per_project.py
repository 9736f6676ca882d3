"""Preview results belong to their project tab, and F5 has one meaning (reload).

Before, one panel served every tab: after a run on A, tab B showed B's header with A's
tiles, charts, outputs and verdict; and F5 in the panel ran the preview while F5 elsewhere
reloaded the project, which reset the form (a user's Requests value) without a word.
"""

from __future__ import annotations

from gui_helpers import LOAD_TIMEOUT_MS, open_active, wait_projects
from PySide6.QtCore import Qt

RUN_TIMEOUT_MS = 120_000


def two_models(tmp_path, tiny_model):
    paths = [tmp_path / "alpha.keras", tmp_path / "beta.keras"]
    for path in paths:
        tiny_model.save(path)
    return paths


def show_tab(window, name):
    index = next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == name)
    window.tabs.setCurrentIndex(index)
    return index


def test_each_tab_shows_its_own_preview_results(qtbot, window, tiny_model, tmp_path):
    alpha, beta = two_models(tmp_path, tiny_model)
    window.open_paths([alpha, beta])
    wait_projects(qtbot, window, 2)
    show_tab(window, "alpha")
    panel_a = window.preview.panel
    assert panel_a.project.name == "alpha"
    panel_a.form.requests.setValue(24)
    with qtbot.waitSignal(panel_a.finished, timeout=RUN_TIMEOUT_MS):
        window.preview.run_action.trigger()
    assert panel_a.tiles.text("completed") == "24 / 24" and panel_a.results.rowCount() == 10

    show_tab(window, "beta")
    panel_b = window.preview.panel
    assert panel_b.project.name == "beta" and panel_b is not panel_a
    assert panel_b.tiles.text("completed") == "—"
    assert panel_b.results.rowCount() == 0 and panel_b.histogram.counts == []
    assert panel_b.verdict.verdict == "" and "beta" in panel_b.message.text()

    show_tab(window, "alpha")  # A's results are still A's
    assert window.preview.panel is panel_a and panel_a.tiles.text("completed") == "24 / 24"

    window.close_project(show_tab(window, "alpha"))  # closing A drops its panel; B keeps its own
    assert window.preview.panel is panel_b


def test_f5_in_the_preview_panel_reloads_and_keeps_the_form(qtbot, window, model_file):
    open_active(qtbot, window, [model_file])
    window.preview.show()
    window.preview.raise_()
    panel = window.preview.panel
    panel.form.requests.setValue(777)
    panel.form.requests.setFocus()
    qtbot.waitUntil(panel.form.requests.hasFocus)
    first = window.current_project
    qtbot.keyClick(panel.form.requests, Qt.Key.Key_F5)
    assert panel.state == "idle"  # F5 does not run the preview
    qtbot.waitUntil(
        lambda: window.current_project is not first and not window.loader.busy,
        timeout=LOAD_TIMEOUT_MS,
    )
    assert window.preview.panel is panel and panel.project is window.current_project
    assert panel.form.requests.value() == 777  # the reload kept what the user typed


def test_each_panel_keeps_its_own_scroll_position(qtbot, window, tiny_model, tmp_path):
    alpha, beta = two_models(tmp_path, tiny_model)
    window.resize(1024, 700)
    window.show()
    window.preview.show()
    window.preview.raise_()
    window.open_paths([alpha, beta])
    wait_projects(qtbot, window, 2)
    bar = window.preview.scroll.verticalScrollBar()
    show_tab(window, "alpha")
    qtbot.waitUntil(lambda: bar.maximum() > 0)  # a short dock: the panel scrolls
    bar.setValue(bar.maximum())
    show_tab(window, "beta")
    assert bar.value() == 0  # beta's form from its top, not alpha's scroll position
    show_tab(window, "alpha")
    assert bar.value() == bar.maximum()  # alpha as it was left
