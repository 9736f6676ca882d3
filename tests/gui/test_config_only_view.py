"""A .keras whose custom class code is missing opens anyway, read as data: the tree and the
graph from config.json, parameter counts from the weights file, the class marked, a message
that leads with its name and registered name (Keras' text under Show Details), and
"Locate code…" reopens it with the .py file that defines the class."""

from __future__ import annotations

import sys
import textwrap

import pytest
from gui_helpers import LOAD_TIMEOUT_MS, error_dialogs, wait_projects

from lockpickle_gui.gui import tree_model

CODE = textwrap.dedent("""
    import keras

    @keras.saving.register_keras_serializable(package="lp_missing_code")
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}
""")


@pytest.fixture
def missing_code(keras, tmp_path):
    """A .keras with a custom layer, saved here, then its class forgotten again."""
    source = tmp_path / "scale_layer.py"
    source.write_text(CODE)
    namespace: dict = {}
    exec(compile(CODE, str(source), "exec"), namespace)  # the test's own code
    inputs = keras.Input((8,), name="x")
    hidden = keras.layers.Dense(16, name="dense")(inputs)
    outputs = keras.layers.Dense(2, name="head")(namespace["Scale"](3.0, name="scale")(hidden))
    path = tmp_path / "custom.keras"
    keras.Model(inputs, outputs, name="custom").save(path)
    keras.saving.get_custom_objects().pop("lp_missing_code>Scale")
    return path, source


def test_a_keras_file_with_missing_code_opens_config_only(qtbot, window, missing_code):
    path, source = missing_code
    window.open_paths([path])
    wait_projects(qtbot, window, 1)
    tab = window.current_tab
    project = tab.project
    assert project.config_only and project.models == {}
    bar = tab.panel.config_only_bar
    assert bar is not None and bar.isVisibleTo(tab.panel)
    text = bar.label.text()
    assert text.startswith("<b>Scale</b> (registered as “lp_missing_code&gt;Scale”)")
    details = bar.show_details()
    assert "Could not locate" in details.detailedText() or "Scale" in details.detailedText()
    details.close()

    model = tab.panel.model
    dense = model.find("root.layers[1]")
    assert dense.name == "dense" and model.index_of(dense, tree_model.PARAMS).data() == "144"
    scale = model.find("root.layers[2]")
    assert scale.name == "scale" and scale.annotations[0].kind == "missing code"
    assert "Locate code" in model.index_of(scale, tree_model.SNAPSHOT).data(3)  # tooltip
    assert model.index_of(scale, tree_model.INPUTS).data() == "dense"
    assert "scale_layer" not in " ".join(sys.modules)  # nothing from the file was imported

    with qtbot.waitSignal(tab.graph.laidOut, timeout=LOAD_TIMEOUT_MS):
        tab.view.setCurrentWidget(tab.graph)
    assert {i.node.name for i in tab.graph.items.values()} == {"x", "dense", "scale", "head"}

    first = window.session.current
    window.locate_code(first, [str(source)])
    qtbot.waitUntil(
        lambda: window.session.current is not first and not window.loader.busy,
        timeout=LOAD_TIMEOUT_MS,
    )
    reopened = window.current_project
    assert not reopened.config_only and list(reopened.models) == ["custom"]
    assert type(reopened.models["custom"].get_layer("scale")).__name__ == "Scale"
    assert window.current_tab.panel.config_only_bar is None


def test_a_config_only_project_is_not_exported_empty(
    qtbot, window, missing_code, tmp_path, monkeypatch
):
    """Its model was never built: a snapshot of it held None and said "Saved"."""
    from PySide6.QtWidgets import QFileDialog

    import lockpickle_gui as lp
    from lockpickle_gui.core.errors import ProjectError
    from lockpickle_gui.gui import snapshot_actions

    path, _source = missing_code
    window.open_paths([path])
    wait_projects(qtbot, window, 1)
    project = window.current_project
    with pytest.raises(ProjectError, match="Scale"):
        lp.save_snapshot(project, tmp_path / "empty.lpsnap")
    asked = []  # a file chooser would block the test: count instead
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a) or ("", ""))
    job = snapshot_actions.export_snapshot(window)  # refused before asking where to save
    assert asked == []
    assert job is not None and job.outcome is None
    [dialog] = error_dialogs()
    assert "Locate code" in dialog.informativeText() and "Scale" in dialog.informativeText()
    dialog.close()
    assert not (tmp_path / "empty.lpsnap").exists()


def test_locating_code_that_does_not_define_the_class_says_so(
    qtbot, window, missing_code, tmp_path
):
    path, _source = missing_code
    wrong = tmp_path / "wrong.py"
    wrong.write_text("VALUE = 1\n")
    window.open_paths([path])
    wait_projects(qtbot, window, 1)
    first = window.session.current
    window.locate_code(first, [str(wrong)])
    qtbot.waitUntil(
        lambda: window.session.current is not first and not window.loader.busy,
        timeout=LOAD_TIMEOUT_MS,
    )
    assert window.current_project.config_only
    [dialog] = error_dialogs()
    assert "wrong.py" in dialog.informativeText() and "Scale" in dialog.informativeText()
    dialog.close()
