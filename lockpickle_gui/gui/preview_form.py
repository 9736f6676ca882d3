"""The preview panel's settings: pool knobs, load, and where the input samples come from."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from lockpickle_gui.gui.reflow import ReflowGrid

SOURCES = (
    ("generated", "Generated from the input spec"),
    ("file", "A .npy / .npz file"),
    ("folder", "A folder of images"),
)
# where batches run (core.preview backends); the label of "processes" names the worker count
BACKENDS = (
    ("threads", "this process"),
    ("processes", "{n} processes"),
    ("ray", "Ray (local, or an address)"),
)
RAY_MISSING = "Ray is not installed: pip install 'lockpickle-gui[ray]' adds it."


@dataclass
class PreviewOptions:
    """Everything one run needs, read from the form (and handed to the worker as is)."""

    model: str = ""
    workers: int = 2
    max_batch: int = 32
    max_delay_ms: float = 2.0
    requests: int = 200
    clients: int = 4
    source: str = "generated"  # one of SOURCES' keys
    seed: int = 0
    path: str = ""  # the .npy/.npz file or the image folder
    backend: str = "threads"  # one of BACKENDS' keys
    ray_address: str = ""  # empty: a running Ray session, or a new local cluster

    def to_dict(self) -> dict:
        return asdict(self)


def _spin(minimum: int, maximum: int, value: int, tip: str, name: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(minimum, maximum)
    spin.setValue(value)
    spin.setToolTip(tip)
    spin.setObjectName(name)
    spin.setGroupSeparatorShown(True)
    return spin


class PreviewSettingsForm(QWidget):
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("preview_model")
        self.model_combo.setToolTip("Which of the project's models answers the requests")
        self.workers = _spin(
            1,
            64,
            2,
            "Threads running batches through the model (TF Serving: num_batch_threads)",
            "preview_workers",
        )
        self.max_batch = _spin(
            1, 4096, 32, "Largest batch a worker forms (1 = no batching)", "preview_max_batch"
        )
        self.max_delay = QDoubleSpinBox()
        self.max_delay.setObjectName("preview_max_delay")
        self.max_delay.setRange(0.0, 1000.0)
        self.max_delay.setDecimals(1)
        self.max_delay.setSingleStep(0.5)
        self.max_delay.setSuffix(" ms")
        self.max_delay.setValue(2.0)
        self.max_delay.setToolTip("How long a request waits for companions before its batch runs")
        self.requests = _spin(1, 1_000_000, 200, "Requests sent in total", "preview_requests")
        self.clients = _spin(
            1, 256, 4, "Client threads sending requests at the same time", "preview_clients"
        )
        self.backend_combo = QComboBox()
        self.backend_combo.setObjectName("preview_backend")
        self.backend_combo.setToolTip(
            "Where batches run: worker threads here, one spawned process per worker, or one "
            "Ray actor per worker. Processes and actors receive the model once, as a lock-safe "
            "snapshot; the batching stays in this process."
        )
        for key, label in BACKENDS:
            self.backend_combo.addItem(label, key)
        if not _ray_installed():
            item = self.backend_combo.model().item(2)
            item.setEnabled(False)
            item.setToolTip(RAY_MISSING)
            self.backend_combo.setItemText(2, "Ray (not installed)")
        self.ray_address = QLineEdit()
        self.ray_address.setObjectName("preview_ray_address")
        self.ray_address.setPlaceholderText("local cluster, or e.g. ray://host:10001")
        self.ray_address.setToolTip("A Ray cluster to use; empty starts a local one")
        self.ray_address.setVisible(False)
        run_on = QWidget()
        run_on_layout = QVBoxLayout(run_on)
        run_on_layout.setContentsMargins(0, 0, 0, 0)
        run_on_layout.setSpacing(2)
        run_on_layout.addWidget(self.backend_combo)
        run_on_layout.addWidget(self.ray_address)
        self.backend_combo.currentIndexChanged.connect(self._backend_changed)
        self.workers.valueChanged.connect(self._name_processes)

        self.source_combo = QComboBox()
        self.source_combo.setObjectName("preview_source")
        for key, label in SOURCES:
            self.source_combo.addItem(label, key)
        self.seed = _spin(0, 2**31 - 1, 0, "Random seed of the generated inputs", "preview_seed")
        self.seed.setGroupSeparatorShown(False)
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("preview_path")
        self.path_edit.setPlaceholderText("choose a file or folder…")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QWidget()
        path_layout = QHBoxLayout(path_row)
        path_layout.setContentsMargins(0, 0, 0, 0)
        path_layout.addWidget(self.path_edit, 1)
        path_layout.addWidget(browse)
        seed_row = QWidget()
        seed_layout = QHBoxLayout(seed_row)
        seed_layout.setContentsMargins(0, 0, 0, 0)
        seed_layout.addWidget(QLabel("seed"))
        seed_layout.addWidget(self.seed, 1)
        self.source_detail = QStackedWidget()
        self.source_detail.addWidget(seed_row)
        self.source_detail.addWidget(path_row)
        self.source_combo.currentIndexChanged.connect(self._source_changed)

        self.source_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.source_combo.setMinimumContentsLength(12)
        source_box = QWidget()
        source_layout = QVBoxLayout(source_box)
        source_layout.setContentsMargins(0, 0, 0, 0)
        source_layout.setSpacing(2)
        source_layout.addWidget(self.source_combo)
        source_layout.addWidget(self.source_detail)
        cells = [
            ("Model", self.model_combo),
            ("Input", source_box),
            ("Workers", self.workers),
            ("Max batch", self.max_batch),
            ("Max delay", self.max_delay),
            ("Requests", self.requests),
            ("Client threads", self.clients),
            ("Run on", run_on),
        ]
        # side by side in a wide dock, one under the other in a narrow one
        self.grid = ReflowGrid(
            [[QLabel(label), widget] for label, widget in cells], 2, self, stretch=(0, 1)
        )
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.grid)
        for widget in (self.workers, self.max_batch, self.requests, self.clients, self.seed):
            widget.valueChanged.connect(self.changed)
        self.max_delay.valueChanged.connect(self.changed)
        self.path_edit.textChanged.connect(self.changed)
        self.ray_address.textChanged.connect(self.changed)
        self._name_processes()

    # ------------------------------------------------------------------ values

    def set_models(self, names: list[str]) -> None:
        current = self.model_combo.currentText()
        self.model_combo.clear()
        self.model_combo.addItems(names)
        if current in names:
            self.model_combo.setCurrentText(current)
        self.model_combo.setEnabled(bool(names))

    def set_values(self, values: dict) -> None:
        """Fill from settings' preview defaults and a project's ``[preview]`` table."""
        for key, widget in (
            ("workers", self.workers),
            ("max_batch", self.max_batch),
            ("requests", self.requests),
            ("clients", self.clients),
            ("seed", self.seed),
        ):
            if isinstance(values.get(key), (int, float)):
                widget.setValue(int(values[key]))
        if isinstance(values.get("max_delay_ms"), (int, float)):
            self.max_delay.setValue(float(values["max_delay_ms"]))
        if "inputs" in values:  # the project's own samples, or generated ones
            inputs = values["inputs"]
            self.path_edit.setText(str(inputs) if inputs else "")
            self.set_source(
                ("folder" if Path(inputs).is_dir() else "file") if inputs else "generated"
            )

    def set_source(self, key: str) -> None:
        self.source_combo.setCurrentIndex([k for k, _ in SOURCES].index(key))

    def options(self) -> PreviewOptions:
        return PreviewOptions(
            model=self.model_combo.currentText(),
            workers=self.workers.value(),
            max_batch=self.max_batch.value(),
            max_delay_ms=self.max_delay.value(),
            requests=self.requests.value(),
            clients=self.clients.value(),
            source=self.source_combo.currentData(),
            seed=self.seed.value(),
            path=self.path_edit.text().strip(),
            backend=self.backend_combo.currentData(),
            ray_address=self.ray_address.text().strip(),
        )

    def set_backend(self, key: str) -> None:
        self.backend_combo.setCurrentIndex([k for k, _ in BACKENDS].index(key))

    def _backend_changed(self) -> None:
        self.ray_address.setVisible(self.backend_combo.currentData() == "ray")
        self.changed.emit()

    def _name_processes(self) -> None:
        self.backend_combo.setItemText(1, BACKENDS[1][1].format(n=self.workers.value()))

    def _source_changed(self) -> None:
        self.source_detail.setCurrentIndex(
            0 if self.source_combo.currentData() == "generated" else 1
        )
        self.changed.emit()

    def _browse(self) -> None:
        if self.source_combo.currentData() == "folder":
            chosen = QFileDialog.getExistingDirectory(
                self, "Folder of images", self.path_edit.text()
            )
        else:
            chosen, _ = QFileDialog.getOpenFileName(
                self,
                "Input samples",
                self.path_edit.text(),
                "NumPy arrays (*.npy *.npz);;All files (*)",
            )
        if chosen:
            self.path_edit.setText(chosen)


def _ray_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None
