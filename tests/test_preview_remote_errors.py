"""A Ray actor that fails to start is reported by its own error's last line: no terminal
colour codes, no remote traceback in the one-paragraph message."""

from __future__ import annotations

from lockpickle_gui.core.preview.ray_runner import last_line


def test_a_wrapped_actor_error_reads_as_its_cause():
    wrapped = RuntimeError(
        "The actor died because of an error raised in its creation task, "
        "\x1b[36mray::ModelServer.__init__()\x1b[39m (pid=7983)\n"
        '  File "runners.py", line 98, in __init__\n    model.reraise()\n'
        "lockpickle_gui.core.errors.TrustedCodeFailed: Loading the model failed."
    )
    text = last_line(wrapped)
    assert text == "lockpickle_gui.core.errors.TrustedCodeFailed: Loading the model failed."
    assert "\x1b" not in text


def test_a_one_line_error_keeps_its_type():
    assert last_line(ValueError("no free CPU")) == "ValueError: no free CPU"
