"""Bundled project code in a comparison: the files themselves, and the names of its types.

A project's code is imported under a private package ``lpproject_<name>_<8 hex>`` whose hex
comes from the project's folder (``core.project.code_package_name``), so the same project
exported from two folders names its types differently. Before two snapshots are compared,
each one's own package is named without that hex (``lpproject_service_demo.service.Service``)
everywhere the comparison looks: the manifest (root type, required types, models' and
primitives' classes) and the stored models' configs. Byte-identical code from two folders
then compares identical; whether the code itself is the same is what the "Bundled code"
section answers, file by file, by the sha256 the manifest records.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from lockpickle_gui.core.library.diff_report import DiffRow, DiffSection, Status
from lockpickle_gui.core.library.snapshot_files import OpenSnapshot

_FOLDER_HEX = re.compile(r"(?P<name>lpproject_\w+?)_[0-9a-f]{8}")
SHOWN_HEX = 12  # digits of a file's sha256 shown beside it


def code_package(manifest: Mapping[str, Any]) -> str | None:
    """The package a snapshot's bundled code is imported under (None without one)."""
    package = manifest.get("code_package")
    return package if isinstance(package, str) and package else None


def project_code_name(package: str) -> str:
    """``lpproject_service_demo`` for ``lpproject_service_demo_edc56f57``: the package's name
    without the hex of the folder it was exported from."""
    match = _FOLDER_HEX.fullmatch(package)
    return match.group("name") if match else package


def normalise_names(value: Any, package: str | None) -> Any:
    """``value`` (a manifest or a model config, as JSON) with every mention of the code
    ``package`` spelt :func:`project_code_name`; ``value`` itself when there is none."""
    if package is None or project_code_name(package) == package:
        return value
    short = project_code_name(package)
    mention = re.compile(rf"(?<!\w){re.escape(package)}(?!\w)")

    def walk(inner: Any) -> Any:
        if isinstance(inner, str):
            return mention.sub(short, inner)
        if isinstance(inner, Mapping):
            return {walk(key): walk(item) for key, item in inner.items()}
        if isinstance(inner, list):
            return [walk(item) for item in inner]
        return inner

    return walk(value)


def code_section(left: OpenSnapshot, right: OpenSnapshot) -> DiffSection:
    """Each bundled file by its path in the snapshot: added, removed, or changed (another
    sha256, with the lines added and removed). Changed code changes what loading runs."""
    one, two = _code_files(left.manifest), _code_files(right.manifest)
    rows = []
    for member in [*one, *(name for name in two if name not in one)]:
        digest_a, digest_b = one.get(member), two.get(member)
        row = DiffRow(member, Status.SAME, _shown(digest_a), _shown(digest_b))
        if digest_a is None or digest_b is None:
            row.status = Status.ADDED if digest_a is None else Status.REMOVED
            present = right if digest_a is None else left
            row.details.append(_count(len(_lines(present, member)), "line"))
        elif digest_a != digest_b:
            row.status = Status.CHANGED
            row.details.append(_line_changes(_lines(left, member), _lines(right, member)))
        rows.append(row)
    return DiffSection("code", "Bundled code", rows)


# ---------------------------------------------------------------------------- helpers


def _code_files(manifest: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(entry.get("member")): str(entry.get("sha256"))
        for entry in manifest.get("code") or []
        if isinstance(entry, Mapping)
    }


def _shown(digest: str | None) -> str:
    return "" if digest is None else f"sha256 {digest[:SHOWN_HEX]}…"


def _lines(snapshot: OpenSnapshot, member: str) -> list[str]:
    """The file's lines, after its sha256 was checked against the manifest."""
    return snapshot.read_checked(member).decode("utf-8", errors="replace").splitlines()


def _line_changes(a: list[str], b: list[str]) -> str:
    added = removed = 0
    for tag, a_from, a_to, b_from, b_to in difflib.SequenceMatcher(
        None, a, b, autojunk=False
    ).get_opcodes():
        if tag != "equal":
            removed += a_to - a_from
            added += b_to - b_from
    return f"{_count(added, 'line')} added, {removed} removed"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
