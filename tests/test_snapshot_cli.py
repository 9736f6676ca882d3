"""`lockpickle export | info | verify` and `inspect SNAP`, run in-process through cli.main."""

from __future__ import annotations

import json

import pytest
from models import mlp
from projects import service_project


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project whose service.Service holds the model "scorer", a Lock and an Event."""
    return service_project(tmp_path_factory.mktemp("cli_project"), mlp(), name="cli-demo")


def test_export_info_verify_inspect_a_project(project, tmp_path, run_cli):
    snap = tmp_path / "demo.lpsnap"
    code, out, _ = run_cli("export", str(project), "-o", str(snap))
    assert code == 0 and f"Saved {snap}" in out and "1 model(s), 2 primitive(s)" in out
    assert "--trust-bundled-code" in out

    code, out, _ = run_cli("info", str(snap))
    assert code == 0
    assert "models/0  scorer  Sequential  67 params" in out and "(native)" in out
    assert "root.model" in out and "root.lock: Lock -> fresh, unlocked" in out
    assert "root.ready: Event (flag=False) -> fresh, state kept" in out
    assert "code/service.py  sha256 " in out
    assert "Service [class, bundled code]" in out and "to load it: --trust-bundled-code" in out
    code, out, _ = run_cli("info", str(snap), "--trust-bundled-code")
    assert "to load it: nothing more to trust" in out
    code, out, _ = run_cli("info", str(snap), "--json", "--check")
    data = json.loads(out)
    assert data["format"] == "lockpickle-snapshot" and len(data["untrusted_types"]) == 1
    assert data["untrusted_types"][0].endswith(".service.Service")

    code, _, err = run_cli("verify", str(snap))
    assert code == 2 and "--trust-bundled-code" in err
    code, out, _ = run_cli("verify", str(snap), "--trust-bundled-code")
    assert code == 0 and out.startswith("identical")

    code, out, _ = run_cli("inspect", str(snap))
    assert code == 0 and "from its manifest only" in out and "! root.lock: Lock" in out
    code, out, _ = run_cli("inspect", str(snap), "--trust-bundled-code")
    assert code == 0 and "from its manifest only" not in out and "Dense" in out


def test_export_model_file_and_verify_outcomes(tiny_model, tmp_path, run_cli):
    model_file = tmp_path / "tiny.keras"
    tiny_model.save(model_file)
    snap = tmp_path / "tiny.lpsnap"
    assert run_cli("export", str(model_file), "-o", str(snap), "--no-verify")[0] == 0
    code, out, _ = run_cli("verify", str(snap))
    assert code == 1 and out.startswith("no data")
    code, out, _ = run_cli("inspect", str(snap))  # nothing to trust: loads it
    assert code == 0 and "hidden" in out
    assert run_cli("export", str(model_file), "-o", str(snap))[0] == 0
    code, out, _ = run_cli("verify", str(snap), "--json")
    assert code == 0 and json.loads(out)["verdict"] == "identical"


def test_bad_inputs_are_one_paragraph_errors(tmp_path, run_cli):
    bogus = tmp_path / "x.lpsnap"
    bogus.write_text("nope")
    code, _, err = run_cli("info", str(bogus))
    assert code == 2 and "not a ZIP archive" in err
    code, _, err = run_cli("verify", str(bogus))
    assert code == 2 and "not a ZIP archive" in err


class Settings:
    """A user class a snapshot's state needs: loading it needs --trust."""

    def __init__(self):
        self.rate = 0.5


def test_info_and_inspect_list_the_types_to_trust_and_the_flags(tmp_path, run_cli):
    import threading

    from lockpickle_gui.core.snapshot import save_snapshot

    snap = tmp_path / "typed.lpsnap"
    save_snapshot({"settings": Settings(), "lock": threading.Lock()}, snap)
    name = f"{__name__}.Settings"
    code, out, _ = run_cli("info", str(snap))
    assert (
        code == 0 and f"{name} [class, NOT trusted]" in out and f"to load it: --trust {name}" in out
    )
    code, out, _ = run_cli("info", str(snap), "--trust", __name__)
    assert f"{name} [class, trusted]" in out and "to load it: nothing more to trust" in out
    code, out, _ = run_cli("inspect", str(snap))
    assert code == 0 and "from its manifest only" in out and f"--trust {name}" in out
    code, _, err = run_cli("import", str(snap))
    assert code == 2 and f"--trust {name}" in err and "nothing was imported or run" in err
    code, out, _ = run_cli("import", str(snap), "--trust", name)
    assert code == 0 and "root['lock']: Lock, unlocked" in out
    code, _, err = run_cli("verify", str(snap), "--trust", "builtins")
    assert code == 2 and "never trusts it" in err


def test_an_empty_or_truncated_snapshot_says_it_is_incomplete(tmp_path, run_cli, tiny_model):
    from models import save

    whole = save(tiny_model, tmp_path / "whole.lpsnap", verify=False).read_bytes()
    (tmp_path / "cut.lpsnap").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "empty.lpsnap").write_bytes(b"")
    code, _, err = run_cli("info", tmp_path / "cut.lpsnap")
    assert code == 2 and "truncated or incomplete" in err and "interrupted copy" in err
    assert "not a ZIP archive" not in err and "Copy or download it again" in err
    code, _, err = run_cli("verify", tmp_path / "empty.lpsnap")
    assert code == 2 and "an empty file (0 bytes)" in err and "Copy or download it again" in err
    import lockpickle_gui as lp

    with pytest.raises(lp.NotASnapshot, match="truncated or incomplete"):
        lp.loads(whole[: len(whole) // 2])  # the same answer for a snapshot in memory
