"""Every ProjectError says what was expected, what was received (naming the file, and the
line where known) and how to fix it (``hint``), across a walk of broken projects."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from models import mlp
from projects import write_project

from lockpickle_gui.core.errors import ProjectError
from lockpickle_gui.core.project import open_project

MODEL = """
    [[models]]
    name = "m"
    path = "model.keras"
"""


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    model = mlp()
    model.save(folder / "tiny.keras")
    model.save_weights(folder / "tiny.weights.h5")
    return {"keras": folder / "tiny.keras", "weights": folder / "tiny.weights.h5"}


def code(modules: str, factory: str | None = None) -> str:
    text = MODEL + f"[code]\nmodules = {modules}\n"
    return text + (f'[runtime]\nfactory = "{factory}"\n' if factory else "")


def fake_keras_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{not json")
    return path


# name -> (build(tmp, files) -> path to open, file the message must name, line or None)
CASES = {
    "weights-only h5": (lambda t, f: f["weights"], "tiny.weights.h5", None),
    "not hdf5": (lambda t, f: _write(t / "broken.h5", b"nope"), "broken.h5", None),
    "not a zip": (lambda t, f: _write(t / "broken.keras", b"nope"), "broken.keras", None),
    "keras cannot load": (lambda t, f: fake_keras_zip(t / "fake.keras"), "fake.keras", None),
    "missing path": (lambda t, f: t / "missing.keras", "missing.keras", None),
    "unsupported file": (lambda t, f: _write(t / "notes.txt", b"hi"), "notes.txt", None),
    "folder with neither": (lambda t, f: _folder(t / "empty"), "empty", None),
    "invalid toml": (lambda t, f: write_project(t / "p", "[project\n"), "lockpickle.toml", 1),
    "unreadable toml": (lambda t, f: _bytes_toml(t / "p"), "lockpickle.toml", None),
    "unknown table": (
        lambda t, f: write_project(t / "p", MODEL + "[extras]\n", model=f["keras"]),
        "lockpickle.toml",
        5,
    ),
    "project not a table": (
        lambda t, f: write_project(t / "p", "project = 3\n" + MODEL, model=f["keras"]),
        "lockpickle.toml",
        None,
    ),
    "unknown key": (
        lambda t, f: write_project(t / "p", MODEL + "colour = 1\n", model=f["keras"]),
        "lockpickle.toml",
        5,
    ),
    "no models": (
        lambda t, f: write_project(t / "p", "[project]\nname = 'x'\n"),
        "lockpickle.toml",
        None,
    ),
    "model without path": (
        lambda t, f: write_project(t / "p", "[[models]]\nname = 'm'\n"),
        "lockpickle.toml",
        None,
    ),
    "duplicate model names": (
        lambda t, f: write_project(t / "p", MODEL + MODEL, model=f["keras"]),
        "lockpickle.toml",
        7,
    ),
    "model file missing": (lambda t, f: write_project(t / "p", MODEL), "lockpickle.toml", 4),
    "model path a plain folder": (
        lambda t, f: write_project(
            t / "p", MODEL.replace("model.keras", "sub"), {"sub/readme.txt": "x"}
        ),
        "sub",
        None,
    ),
    "model path a text file": (
        lambda t, f: write_project(t / "p", MODEL.replace("model.keras", "m.txt"), {"m.txt": "x"}),
        "m.txt",
        None,
    ),
    "modules not a list": (
        lambda t, f: write_project(t / "p", code('"layers.py"'), model=f["keras"]),
        "lockpickle.toml",
        6,
    ),
    "module outside the folder": (
        lambda t, f: write_project(t / "p", code('["../evil.py"]'), model=f["keras"]),
        "lockpickle.toml",
        6,
    ),
    "missing [code] file": (
        lambda t, f: write_project(t / "p", code('["gone.py"]'), model=f["keras"]),
        "lockpickle.toml",
        6,
    ),
    "module name not an identifier": (
        lambda t, f: write_project(
            t / "p", code('["my-layers.py"]'), {"my-layers.py": ""}, f["keras"]
        ),
        "lockpickle.toml",
        6,
    ),
    "factory not module:function": (
        lambda t, f: write_project(t / "p", code("[]", "service:build"), model=f["keras"]),
        "lockpickle.toml",
        8,
    ),
    "factory not callable": (
        lambda t, f: write_project(
            t / "p",
            code('["service.py"]', "service:build"),
            {"service.py": "build = 3\n"},
            f["keras"],
        ),
        "lockpickle.toml",
        8,
    ),
    "factory raises": (
        lambda t, f: write_project(
            t / "p",
            code('["service.py"]', "service:build"),
            {"service.py": "def build(models):\n    return models['missing']\n"},
            f["keras"],
        ),
        "service.py",
        2,
    ),
    "factory raises outside project code": (
        lambda t, f: write_project(
            t / "p",
            code('["service.py"]', "service:build"),
            {"service.py": "build = int\n"},
            f["keras"],
        ),
        "lockpickle.toml",
        None,
    ),
    "module raises on import": (
        lambda t, f: write_project(
            t / "p", code('["layers.py"]'), {"layers.py": "x = 1 / 0\n"}, f["keras"]
        ),
        "layers.py",
        1,
    ),
    "syntax error": (
        lambda t, f: write_project(
            t / "p", code('["layers.py"]'), {"layers.py": "x = 1\ndef f(:\n"}, f["keras"]
        ),
        "layers.py",
        2,
    ),
    "undeclared relative import": (
        lambda t, f: write_project(
            t / "p", code('["layers.py"]'), {"layers.py": "from .helpers import x\n"}, f["keras"]
        ),
        "layers.py",
        1,
    ),
    "preview inputs missing": (
        lambda t, f: write_project(
            t / "p", MODEL + "[preview]\ninputs = 'x.npy'\n", model=f["keras"]
        ),
        "lockpickle.toml",
        6,
    ),
    "preview workers 0": (
        lambda t, f: write_project(t / "p", MODEL + "[preview]\nworkers = 0\n", model=f["keras"]),
        "lockpickle.toml",
        6,
    ),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _bytes_toml(folder: Path) -> Path:
    folder.mkdir()
    (folder / "lockpickle.toml").write_bytes(b"[project]\nname = '\xff\xfe'\n")
    return folder


@pytest.mark.parametrize("case", list(CASES))
def test_every_project_error_names_the_file_and_says_how_to_fix(case, tmp_path, model_files):
    build, file_name, line = CASES[case]
    path = build(tmp_path, model_files)
    with pytest.raises(ProjectError) as info:
        open_project(path)
    error = info.value
    text = str(error)
    assert error.hint and error.hint.strip().endswith("."), f"{case}: no fix sentence: {text}"
    assert text.endswith(error.hint), text  # the fix comes last, in the same paragraph
    assert "\n" not in text and "Traceback" not in text
    assert file_name in text, f"{case}: the message does not name {file_name}: {text}"
    assert error.path is not None and file_name in error.path
    said = text.lower()  # what was expected: in the message, or in the fix sentence ("must")
    assert any(word in said for word in ("expected", "must", "not found", "no such")), text
    if line is not None:
        assert f"line {line}" in text, f"{case}: no line {line} in: {text}"
