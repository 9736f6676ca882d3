"""core.project: every loader with good and bad inputs, project code, lockpickle.toml."""

from __future__ import annotations

import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from models import mlp
from projects import factory_project, write_project

from lockpickle_gui.core.code_package import import_code_package
from lockpickle_gui.core.errors import LockpickleError, ProjectError
from lockpickle_gui.core.project import code_package_name, open_project


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    """A .keras, a full .h5, a weights-only .h5 and a SavedModel of one tiny model."""
    folder = tmp_path_factory.mktemp("models")
    model = mlp(activation="relu", name="tiny")
    model.save(folder / "tiny.keras")
    model.save(folder / "full.h5")
    model.save_weights(folder / "tiny.weights.h5")
    model.export(str(folder / "saved"), verbose=False)
    return {
        "folder": folder,
        "model": model,
        "keras": folder / "tiny.keras",
        "h5": folder / "full.h5",
        "weights": folder / "tiny.weights.h5",
        "saved": folder / "saved",
    }


LAYERS_PY = """
    import keras

    @keras.saving.register_keras_serializable(package="{package}")
    class Offset(keras.layers.Layer):
        def __init__(self, offset=1.0, **kwargs):
            super().__init__(**kwargs)
            self.offset = offset

        def call(self, x):
            return x + self.offset

        def get_config(self):
            return {{**super().get_config(), "offset": self.offset}}
"""

SERVICE_PY = """
    import threading
    from .layers import Offset

    class Service:
        def __init__(self, models):
            self.model = models["main"]
            self.lock = threading.Lock()
            self.offset_class = Offset

    def build(models):
        return Service(models)
"""


# --------------------------------------------------------------------------- bare files


def test_keras_file(model_files):
    project = open_project(model_files["keras"])
    assert (project.kind, project.name, project.folder) == ("keras", "tiny", model_files["folder"])
    model = project.models["tiny"]
    assert project.runtime is model and project.code_package is None
    x = np.ones((2, 4), "float32")
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), model_files["model"].predict(x, verbose=0)
    )
    assert project.preview == {}  # a bare model sets nothing; core.preview.defaults does
    assert project.inspect().keras["class"] == "Sequential"


def test_full_h5_file(model_files):
    project = open_project(model_files["h5"])
    assert project.kind == "h5" and project.models["full"].layers[0].name == "hidden"


def test_weights_only_h5_says_so(model_files):
    with pytest.raises(
        ProjectError,
        match="contains weights only, no architecture; open the "
        "model file or a project that builds it",
    ) as info:
        open_project(model_files["weights"])
    assert str(model_files["weights"]) in str(info.value)


def test_savedmodel_folder(model_files):
    progress = []
    project = open_project(model_files["saved"], progress=lambda f, m: progress.append((f, m)))
    assert project.kind == "savedmodel" and progress[-1][0] == 1.0
    info = project.model_info["saved"]
    assert info["endpoint"] == "serve" and "serving_default" in info["signatures"]
    assert list(info["signatures"]["serving_default"]["inputs"].values()) == ["float32[None, 4]"]
    assert info["variables"] == 4 and info["params"] == 67
    tree = project.inspect()
    assert tree.children == [] and tree.annotations[0].kind == "SavedModel"
    assert "shallow" in tree.annotations[0].detail


def test_bad_files(tmp_path, model_files):
    with pytest.raises(ProjectError, match="No such file or folder"):
        open_project(tmp_path / "missing.keras")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(ProjectError, match="Expected a .keras file"):
        open_project(tmp_path / "notes.txt")
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    with pytest.raises(ProjectError, match="not a ZIP file"):
        open_project(tmp_path / "broken.keras")
    (tmp_path / "broken.h5").write_bytes(b"not hdf5")
    with pytest.raises(ProjectError, match="HDF5 cannot read"):
        open_project(tmp_path / "broken.h5")
    with pytest.raises(ProjectError, match="has neither"):
        open_project(tmp_path)


def test_unregistered_custom_layer_in_a_bare_file(tmp_path, keras):
    class Loose(keras.layers.Layer):
        def call(self, x):
            return x

    model = keras.Sequential([keras.Input((2,)), Loose(name="loose")])
    model.save(tmp_path / "loose.keras")
    with pytest.raises(ProjectError, match="register_keras_serializable") as info:
        open_project(tmp_path / "loose.keras")
    assert "loose.keras" in str(info.value)


# --------------------------------------------------------------------------- project folders


def make_good_project(folder: Path, model_files, package_label="lp_test_project") -> Path:
    return write_project(
        folder,
        """
        [project]
        name = "demo service"
        [[models]]
        name = "main"
        path = "model.keras"
        [code]
        modules = ["layers.py", "service.py"]
        [runtime]
        factory = "service:build"
        [preview]
        workers = 3
        max_batch = 8
        """,
        {"layers.py": LAYERS_PY.format(package=package_label), "service.py": SERVICE_PY},
        model=model_files["keras"],
    )


def test_project_folder_with_code_and_factory(tmp_path, model_files):
    folder = make_good_project(tmp_path / "demo", model_files)
    project = open_project(folder)
    assert project.kind == "project" and project.name == "demo service"
    assert project.code_package == code_package_name(folder, "demo service")
    assert project.code_package.startswith("lpproject_demo_service_")
    assert set(project.code_files) == {"layers", "service"}
    service = project.runtime
    assert type(service).__module__ == f"{project.code_package}.service"
    assert service.model is project.models["main"]
    assert service.offset_class.__module__ == f"{project.code_package}.layers"
    assert project.preview == {"workers": 3, "max_batch": 8}  # only what the file sets
    assert [n.path for n in project.inspect().iter_annotations()] == ["root.lock"]
    # Opening the same project again reuses its modules (idempotent import).
    again = open_project(folder / "lockpickle.toml")
    assert type(again.runtime) is type(service)


def test_two_projects_with_the_same_module_names_do_not_collide(tmp_path, model_files):
    one = open_project(make_good_project(tmp_path / "a", model_files, "lp_test_a"))
    two = open_project(make_good_project(tmp_path / "b", model_files, "lp_test_b"))
    assert one.code_package != two.code_package
    assert type(one.runtime) is not type(two.runtime)
    assert "layers" not in sys.modules and "service" not in sys.modules


def test_custom_layers_register_before_models_load(tmp_path, keras):
    package = "lp_test_register_first"
    sources = {"layers": textwrap.dedent(LAYERS_PY.format(package=package))}
    modules = import_code_package("lpproject_builder_0", sources, "test")
    model = keras.Sequential([keras.Input((2,)), modules["layers"].Offset(2.0, name="offset")])
    write_project(
        tmp_path / "p",
        """
        [[models]]
        name = "m"
        path = "m.keras"
        [code]
        modules = ["layers.py"]
        """,
        {"layers.py": LAYERS_PY.format(package=package)},
    )
    model.save(tmp_path / "p" / "m.keras")
    project = open_project(tmp_path / "p")
    assert project.runtime.layers[0].offset == 2.0 and project.name == "p"


def test_project_without_factory_and_two_models_runs_a_dict(tmp_path, model_files):
    folder = write_project(
        tmp_path / "two",
        """
        [[models]]
        name = "a"
        path = "model.keras"
        [[models]]
        name = "b"
        path = "../models0/full.h5"
        """.replace("../models0/full.h5", str(model_files["h5"])),
        model=model_files["keras"],
    )
    project = open_project(folder)
    assert set(project.runtime) == {"a", "b"} and project.runtime["b"] is project.models["b"]


BAD_TOMLS = [
    ("[project\nname = 1\n", "not valid TOML.*line 1"),
    ('[[models]]\nname = "m"\npath = "nope.keras"\n', "line 3: model file not found"),
    ('[[models]]\nname = "m"\n', "expected path = "),
    ('[[models]]\nname = "m"\npath = "model.keras"\ncolour = 1\n', "line 4: unknown key 'colour'"),
    ('[project]\nname = "x"\n', "at least one \\[\\[models\\]\\]"),
    ("[extras]\n", "unknown table \\[extras\\]"),
    (
        '[[models]]\nname = "m"\npath = "model.keras"\n[code]\nmodules = ["gone.py"]\n',
        "line 5: project code file not found",
    ),
    (
        '[[models]]\nname = "m"\npath = "model.keras"\n[code]\nmodules = ["../evil.py"]\n',
        "inside the project folder",
    ),
    (
        '[[models]]\nname = "m"\npath = "model.keras"\n[runtime]\nfactory = "service:build"\n',
        'line 5: expected factory = "module:function"',
    ),
    (
        '[[models]]\nname = "m"\npath = "model.keras"\n[preview]\nworkers = 0\n',
        "line 5: expected workers to be an integer >= 1",
    ),
    (
        '[[models]]\nname = "m"\npath = "model.keras"\n[preview]\ninputs = "x.npy"\n',
        "preview inputs not found",
    ),
    (
        '[[models]]\nname = "m"\npath = "model.keras"\n[[models]]\nname = "m"\npath = "model.keras"\n',
        "line 5: two \\[\\[models\\]\\] are named 'm'",
    ),
]


@pytest.mark.parametrize("toml, message", BAD_TOMLS)
def test_bad_lockpickle_toml(tmp_path, model_files, toml, message):
    (tmp_path / "evil.py").write_text("raise SystemExit('must never run')\n")
    folder = write_project(tmp_path / "p", toml, model=model_files["keras"])
    with pytest.raises(ProjectError, match=message) as info:
        open_project(folder)
    assert "lockpickle.toml" in str(info.value)


CODE_FAILURES = [
    ({"layers.py": "x = 1\ndef f(:\n"}, "layers.py, line 2: invalid Python"),
    (
        {"layers.py": "import math\n\nvalue = math.sqrt(-1)\n"},
        r"layers.py, line 3, in <module>: value = math.sqrt\(-1\) -- raised ValueError",
    ),
    (
        {"layers.py": "from .helpers import thing\n"},
        "layers.py, line 1.*import each other relatively",
    ),
    ({"layers.py": "import helpers_not_on_sys_path\n"}, "ModuleNotFoundError"),
]


@pytest.mark.parametrize("files, message", CODE_FAILURES)
def test_exceptions_in_project_code_name_file_and_line(tmp_path, model_files, files, message):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "helpers_not_on_sys_path.py").write_text("raise SystemExit('never')\n")
    folder = write_project(
        tmp_path / "p",
        """
        [[models]]
        name = "m"
        path = "model.keras"
        [code]
        modules = ["layers.py"]
        """,
        files,
        model=model_files["keras"],
    )
    with pytest.raises(ProjectError, match=message) as info:
        open_project(folder)
    assert "Traceback" not in str(info.value) and "\n" not in str(info.value)
    package = code_package_name(folder, "p")
    assert not any(name.startswith(package) for name in sys.modules)  # nothing half-imported


def test_exception_in_the_factory_names_file_and_line(tmp_path, model_files):
    service_py = "def build(models):\n    return models['missing']\n"
    folder = factory_project(tmp_path / "p", service_py, model_files["keras"])
    with pytest.raises(ProjectError, match=r"service.py, line 2, in build.*KeyError"):
        open_project(folder)
    (folder / "service.py").write_text("build = 3\n")
    with pytest.raises(ProjectError, match="no callable 'build'"):
        open_project(folder)


def test_factory_threads_are_the_projects_business(tmp_path, model_files):
    """A factory may create locks and events; opening leaves no thread running (fixture)."""
    service_py = """
        import threading

        def build(models):
            return {'model': models['m'], 'ready': threading.Event()}
    """
    folder = factory_project(tmp_path / "p", service_py, model_files["keras"])
    project = open_project(folder)
    assert isinstance(project.runtime["ready"], type(threading.Event()))


def test_import_code_package_from_text_is_idempotent_and_replaceable():
    sources = {"a": "VALUE = 1\n", "b": "from .a import VALUE\nDOUBLE = VALUE * 2\n"}
    first = import_code_package("lpproject_text_0", sources, "snapshot x.lpsnap")
    assert first["b"].DOUBLE == 2
    assert import_code_package("lpproject_text_0", sources, "snapshot x.lpsnap")["b"] is first["b"]
    changed = import_code_package("lpproject_text_0", {**sources, "a": "VALUE = 5\n"}, "again")
    assert changed["b"].DOUBLE == 10
    with pytest.raises(ProjectError, match=r"<bad>/a.py, line 1.*ZeroDivisionError"):
        import_code_package("lpproject_text_1", {"a": "1 / 0\n"}, "bad")
    with pytest.raises(LockpickleError, match="identifier"):
        import_code_package("lpproject_text_2", {"not-a-name": ""}, "bad")
