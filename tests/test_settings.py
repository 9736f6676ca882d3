"""core.settings: folders, schema_version, saves, recent projects, bad files moved aside
(the atomic write itself: test_atomic.py)."""

from __future__ import annotations

import json
import logging

import pytest

from lockpickle_gui.core import settings as settings_mod
from lockpickle_gui.core.settings import MAX_RECENT, SCHEMA_VERSION, Settings, user_dirs


def test_defaults_then_round_trip(tmp_path):
    settings = Settings(tmp_path)
    assert settings.preview_defaults == {}  # nothing chosen: core.preview.defaults decides
    assert settings.recent_projects == []
    settings.set_preview_defaults(workers=6, max_delay_ms=5)
    settings.last_export_folder = tmp_path
    settings.window_geometry = "AAAA"
    settings.set("snapshot.verify", False)
    path = settings.save()
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION

    again = Settings(tmp_path)
    assert again.preview_defaults["workers"] == 6
    assert again.preview_defaults["max_delay_ms"] == 5
    assert again.last_export_folder == str(tmp_path)
    assert again.window_geometry == "AAAA"
    assert again.get("snapshot.verify") is False


def test_recent_projects_most_recent_first_capped_and_pruned(tmp_path):
    settings = Settings(tmp_path / "cfg")
    paths = []
    for i in range(MAX_RECENT + 3):
        path = tmp_path / f"m{i}.keras"
        path.write_bytes(b"x")
        paths.append(path)
        settings.add_recent(path)
    settings.add_recent(paths[5])  # again: moves to the front, no duplicate
    recent = settings.recent_projects
    assert len(recent) == MAX_RECENT
    assert recent[0] == paths[5].resolve()
    assert recent[1] == paths[-1].resolve()
    paths[-1].unlink()
    assert paths[-1].resolve() not in settings.recent_projects
    settings.clear_recent()
    assert settings.recent_projects == []


def test_corrupt_file_is_moved_aside_and_logged(tmp_path, caplog):
    (tmp_path / "settings.json").write_text("{not json")
    with caplog.at_level(logging.WARNING, logger=settings_mod.__name__):
        settings = Settings(tmp_path)
    assert settings.preview_defaults == {}
    aside = list(tmp_path.glob("settings.json.unreadable-*"))
    assert len(aside) == 1 and aside[0].read_text() == "{not json"
    assert "moved to" in caplog.text
    settings.save()
    assert json.loads((tmp_path / "settings.json").read_text())["schema_version"] == SCHEMA_VERSION


def test_newer_schema_is_not_overwritten(tmp_path):
    newer = {"schema_version": SCHEMA_VERSION + 1, "recent_projects": ["/x"]}
    (tmp_path / "settings.json").write_text(json.dumps(newer))
    Settings(tmp_path).save()
    aside = list(tmp_path.glob("settings.json.unreadable-*"))
    assert json.loads(aside[0].read_text()) == newer


def test_wrong_types_fall_back_one_by_one(tmp_path, caplog):
    bad = {
        "schema_version": 1,
        "recent_projects": "nope",
        "preview": {"workers": "many", "max_batch": 8},
        "future_key": [1, 2],
    }
    (tmp_path / "settings.json").write_text(json.dumps(bad))
    with caplog.at_level(logging.WARNING, logger=settings_mod.__name__):
        settings = Settings(tmp_path)
    assert settings.recent_projects == []
    assert "workers" not in settings.preview_defaults  # the bad value is dropped
    assert settings.preview_defaults["max_batch"] == 8
    assert settings.get("future_key") == [1, 2]  # unknown keys survive a save
    assert "workers" in caplog.text


def test_unknown_preview_key_is_refused(tmp_path):
    with pytest.raises(KeyError, match="Expected preview settings"):
        Settings(tmp_path).set_preview_defaults(wrokers=3)


def test_user_dirs_override_and_env(tmp_path, monkeypatch):
    dirs = user_dirs(tmp_path)
    assert dirs.config == tmp_path.resolve() and dirs.log == tmp_path.resolve() / "logs"
    monkeypatch.setenv(settings_mod.SETTINGS_DIR_ENV, str(tmp_path / "env"))
    assert user_dirs().cache == (tmp_path / "env").resolve() / "cache"
    monkeypatch.delenv(settings_mod.SETTINGS_DIR_ENV)
    assert user_dirs().config.name == "lockpickle-gui"
