"""The trust dialog: what loading a snapshot would run, shown before anything runs.

Built from ``read_manifest`` alone (no model built, no pickle run). Only "Trust and load"
lets ``snapshot_actions`` call the loader, with exactly the modules and code listed here.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from lockpickle_gui.core.text import escape_html


def bundled_code(manifest: dict) -> list[tuple[str, str]]:
    """``(member, sha256)`` of every ``code/*.py`` member the manifest lists."""
    code = manifest.get("code")
    if isinstance(code, list) and code:
        return [
            (
                str(entry.get("member") or entry.get("name") or entry.get("path")),
                str(entry.get("sha256", "")),
            )
            for entry in code
            if isinstance(entry, dict)
        ]
    if isinstance(code, dict) and code:
        return [
            (str(name), str(sha if isinstance(sha, str) else (sha or {}).get("sha256", "")))
            for name, sha in code.items()
        ]
    members = manifest.get("members") or {}
    if isinstance(members, list):
        members = {m.get("name") or m.get("member"): m for m in members if isinstance(m, dict)}
    found = []
    for name, info in members.items():
        if str(name).startswith("code/"):
            sha = info if isinstance(info, str) else (info or {}).get("sha256", "")
            found.append((str(name), str(sha)))
    return sorted(found)


def modules_needed(manifest: dict) -> list[str]:
    package = manifest.get("code_package") or None
    return [
        str(entry["name"]).replace(":", ".")
        for entry in manifest.get("types") or []
        if not (package and str(entry["name"]).startswith((package + ".", package + ":")))
    ]


def versions(manifest: dict) -> list[tuple[str, str]]:
    producer = manifest.get("producer") or {}
    if isinstance(producer, dict):
        producer = " ".join(str(v) for v in (producer.get("name"), producer.get("version")) if v)
    rows = [
        ("Made by", str(producer or "unknown")),
        ("Created", str(manifest.get("created_utc", "?"))),
    ]
    for key, label in (
        ("python", "Python"),
        ("keras", "Keras"),
        ("tensorflow", "TensorFlow"),
        ("numpy", "NumPy"),
    ):
        if manifest.get(key):
            rows.append((label, str(manifest[key])))
    return rows


class TrustDialog(QDialog):
    """Accepted means "Trust and load"; rejected loads nothing."""

    def __init__(self, parent, *, path: Path, manifest: dict):
        super().__init__(parent)
        self.setObjectName("trust_dialog")
        self.setWindowTitle("Import Snapshot")
        self.setMinimumSize(820, 500)
        self.manifest = manifest
        self.code = bundled_code(manifest)
        self.modules = modules_needed(manifest)
        layout = QVBoxLayout(self)

        root = manifest.get("root") or "an object"
        intro = QLabel(
            f"<b>{escape_html(Path(path).name)}</b> holds <code>{escape_html(str(root))}</code>.<br>"
            "Nothing has run yet. Loading imports the code and modules listed below; "
            "trust it only if you trust where the file came from."
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(intro)

        self.tree = QTreeWidget()
        self.tree.setObjectName("trust_items")
        self.tree.setHeaderLabels(["Item", "Details"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(True)
        self.tree.setColumnWidth(0, 250)
        self.tree.setAlternatingRowColors(True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        package = manifest.get("code_package")
        self._add_group(
            "Bundled code — runs only if you trust it"
            + (f", imported as package {package}" if package and self.code else ""),
            [(name, f"sha256 {sha}") for name, sha in self.code],
            mono,
            empty="none: the snapshot carries no code of its own",
        )
        self._add_group(
            "Modules the state needs",
            [(m, "imported from this Python environment") for m in self.modules],
            empty="none beyond the bundled code: built-in types, NumPy arrays, locks",
        )
        self._add_group(
            "Models — loaded with Keras safe mode",
            [_model_row(m) for m in manifest.get("models") or [] if isinstance(m, dict)],
            empty="none",
        )
        self._add_group(
            "Primitives — recreated fresh, with the same sharing",
            [
                (str(p.get("path", "?")), _primitive_detail(p))
                for p in manifest.get("primitives") or []
                if isinstance(p, dict)
            ],
            empty="none",
        )
        dropped = [d for d in manifest.get("dropped") or [] if isinstance(d, dict)]
        if dropped:
            self._add_group(
                "Dropped at export — they come back as None",
                [(str(d.get("path", "?")), str(d.get("kind", ""))) for d in dropped],
            )
        self._add_group("Versions it was made with", versions(manifest))
        layout.addWidget(self.tree, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.trust_button = buttons.addButton(
            "Trust and load", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.trust_button.setObjectName("trust_accept")
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("trust_cancel")
        self.cancel_button.setDefault(True)  # Enter must not run code by accident
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _add_group(
        self, title: str, rows, font: QFont | None = None, *, empty: str = "", expanded: bool = True
    ) -> QTreeWidgetItem:
        group = QTreeWidgetItem([f"{title} ({len(rows)})" if rows else f"{title}: {empty}"])
        bold = group.font(0)
        bold.setBold(True)
        group.setFont(0, bold)
        self.tree.addTopLevelItem(group)
        group.setFirstColumnSpanned(True)  # a heading across the whole row
        for name, detail in rows:
            item = QTreeWidgetItem([name, detail])
            if font is not None:
                item.setFont(1, font)
            item.setToolTip(1, detail)
            group.addChild(item)
        group.setExpanded(expanded)
        return group

    @property
    def trust_bundled_code(self) -> bool:
        return bool(self.code)


def _primitive_detail(entry: dict) -> str:
    kind = str(entry.get("kind", "?"))
    state = entry.get("state")
    restore = entry.get("restore") or "fresh, unlocked"
    held = "; it was held at export and comes back free" if entry.get("held_at_export") else ""
    shared = entry.get("also_at") or []
    also = f"; also at {', '.join(map(str, shared))}" if shared else ""
    return f"{kind}{f' ({state})' if state else ''} → {restore}{held}{also}"


def _model_row(entry: dict) -> tuple[str, str]:
    name = str(entry.get("name") or entry.get("member", "?"))
    detail = f"{str(entry.get('class', '?')).rsplit('.', 1)[-1]}, {_count(entry.get('params'))} parameters"
    custom = [c.get("class", "?") for c in entry.get("custom_classes") or [] if isinstance(c, dict)]
    if custom:
        detail += f"; custom layers: {', '.join(custom)}"
    return name, detail


def _count(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value if value is not None else "?")
