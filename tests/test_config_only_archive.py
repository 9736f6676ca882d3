"""core.project.config_only: a .keras archive read as data; a zip bomb refused unread."""

from __future__ import annotations

import zipfile

import pytest

from lockpickle_gui.core.errors import ProjectError
from lockpickle_gui.core.project.config_only import MAX_RATIO, config_tree, read_archive


def test_shapes_and_parameter_counts_come_from_the_files(tiny_model, tmp_path):
    path = tmp_path / "tiny.keras"
    tiny_model.save(path)
    model = read_archive(path)
    assert model.unresolved == []
    tree = config_tree(model)
    rows = {node.name: node.keras for node in tree.walk()}
    assert rows["hidden"]["params"] == 40 and rows["scores"]["params"] == 27
    assert rows["hidden"]["output_shape"] == [None, 8]
    assert tree.keras["params"] == 67


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path):
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b" " * (MAX_RATIO * 50_000))
    with pytest.raises(ProjectError, match="expands"):
        read_archive(bomb)
