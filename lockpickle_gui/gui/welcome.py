"""What the window shows with no project open: where to drop, how to open, recent projects."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from lockpickle_gui.core.text import escape_html
from lockpickle_gui.gui import badges


class WelcomePage(QWidget):
    openRequested = Signal()
    pathRequested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("welcome")
        icon = QLabel(self)
        icon.setPixmap(badges.app_icon().pixmap(96, 96))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("<h2>Drop a model or a project folder here</h2>", self)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setWordWrap(True)
        hint = QLabel(
            ".keras · .h5 · SavedModel folder · project folder with lockpickle.toml · "
            ".lpsnap snapshot<br>Several at once open side by side.",
            self,
        )
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)  # a narrow window must not be held wide by one line
        hint.setStyleSheet("color: palette(mid);")
        open_button = QPushButton("Open…  (Ctrl+O)", self)
        open_button.setObjectName("welcome_open")
        open_button.clicked.connect(self.openRequested)
        self.recent_label = QLabel(self)
        self.recent_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.recent_label.setTextFormat(Qt.TextFormat.RichText)
        self.recent_label.linkActivated.connect(self.pathRequested)

        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(icon)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addSpacing(12)
        layout.addWidget(open_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(18)
        layout.addWidget(self.recent_label)
        layout.addStretch(3)

    def set_recent(self, paths: list[Path], demo: Path | None = None) -> None:
        links = [
            f'<a href="{escape_html(str(path))}">{escape_html(path.name)}</a> '
            f'<span style="color:gray">{escape_html(str(path.parent))}</span>'
            for path in paths[:5]
        ]
        if demo is not None and demo not in paths:
            links.append(
                f'<a href="{escape_html(str(demo))}">Open the demo project ({escape_html(demo.name)})</a>'
            )
        self.recent_label.setText(
            "<b>Recent</b><br>" + "<br>".join(links) if paths else "<br>".join(links)
        )
