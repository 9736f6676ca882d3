"""The package itself: a cheap import, a lazy public API, and the core/Qt boundary."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lockpickle_gui as lp


def test_import_loads_neither_tensorflow_nor_qt():
    code = (
        "import sys, lockpickle_gui, lockpickle_gui.cli;"
        "heavy = [m for m in ('tensorflow', 'keras', 'PySide6', 'numpy') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_error_hierarchy():
    for name in (
        "SnapshotError",
        "NotASnapshot",
        "UnsupportedVersion",
        "CorruptSnapshot",
        "UntrustedCode",
        "VerificationFailed",
        "UnpicklableState",
        "ProjectError",
    ):
        assert issubclass(getattr(lp, name), lp.LockpickleError)
    assert issubclass(lp.CorruptSnapshot, lp.SnapshotError)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        lp.nope  # noqa: B018


def test_error_message_names_the_file_and_the_fix():
    error = lp.ProjectError("is not a model.", path="/tmp/x.txt", hint="Open a .keras file.")
    assert str(error) == "/tmp/x.txt: is not a model. Open a .keras file."
    assert error.path == "/tmp/x.txt"
