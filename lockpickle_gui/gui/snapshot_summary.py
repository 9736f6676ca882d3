"""What an imported snapshot's tab keeps saying: the verification verdict, the objects that
were dropped at export (they came back as None), and the types the user trusted to load it.
The import's message box goes away; this bar above the snapshot's tree stays."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from lockpickle_gui.core.text import escape_html
from lockpickle_gui.gui import badges

VERDICT_ACCENTS = {"identical": "#3fa34d", "within tolerance": "#2f7fd0", "mismatch": "#d83b3b"}


def summary(manifest: dict | None, verdict: str, words: str, trusted: list[str]) -> dict[str, Any]:
    """The facts the bar shows, from the import (plain data: it lives on the session entry)."""
    dropped = [
        str(entry.get("path", entry)) if isinstance(entry, dict) else str(entry)
        for entry in (manifest or {}).get("dropped") or []
    ]
    return {"verdict": verdict, "verdict_text": words, "dropped": dropped, "trusted": trusted}


class SnapshotBar(QFrame):
    def __init__(self, facts: dict[str, Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("snapshot_bar")
        self.facts = facts
        accent = VERDICT_ACCENTS.get(str(facts.get("verdict")))
        if accent is not None:
            from PySide6.QtGui import QColor

            self.setStyleSheet(
                f"QFrame#snapshot_bar {{ background: {badges.tinted(QColor(accent)).name()};"
                " border-radius: 4px; }"
            )
        dropped = facts.get("dropped") or []
        trusted = facts.get("trusted") or []
        lines = [
            f"<b>Snapshot</b> · {escape_html(facts.get('verdict_text') or 'not verified')}",
            (
                f"Dropped at export, back as None ({len(dropped)}): "
                + escape_html(", ".join(dropped))
                if dropped
                else "Nothing was dropped at export."
            ),
            (
                f"Trusted to load it: {escape_html(', '.join(trusted))}"
                if trusted
                else "Loaded without trusting any type or code."
            ),
        ]
        self.label = QLabel("<br>".join(lines), self)
        self.label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label)
