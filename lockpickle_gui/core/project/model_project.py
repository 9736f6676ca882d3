"""The :class:`ModelProject` every opener returns, and the private package name of its code."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockpickle_gui.core.errors import ProjectError
from lockpickle_gui.core.inspect import Node, inspect
from lockpickle_gui.core.inspect.structure import LayerGraph
from lockpickle_gui.core.project.config_only import Unresolved
from lockpickle_gui.core.project.model_files import SavedModelInfo
from lockpickle_gui.core.snapshot.parts import BundledCode, SnapshotParts


@dataclass
class ModelProject:
    """What was opened: models by name, the runtime object the program runs, its code."""

    path: Path
    folder: Path
    name: str
    kind: str  # "keras" | "h5" | "savedmodel" | "project" | "snapshot"
    models: dict[str, Any] = field(default_factory=dict)
    runtime: Any = None
    code_package: str | None = None
    code_files: dict[str, Path] = field(default_factory=dict)
    # module name -> the source text that ran (what a snapshot bundles; never re-read)
    code_sources: dict[str, str] = field(default_factory=dict)
    preview: dict[str, Any] = field(default_factory=dict)  # its [preview] table (project_file)
    manifest: dict[str, Any] | None = None  # a snapshot's manifest, as JSON
    # model name -> extra facts (a SavedModel's signatures, inputs/outputs, variables)
    model_info: dict[str, SavedModelInfo] = field(default_factory=dict)
    # model name -> layer graph, when known without the live models (a config-only project)
    graphs: dict[str, LayerGraph] | None = None
    # config-only: the model could not be built (its code is missing); read as data instead
    config_tree: Node | None = None
    unresolved: list[Unresolved] = field(default_factory=list)
    load_error: str = ""  # what Keras said, in full

    @property
    def config_only(self) -> bool:
        return self.config_tree is not None

    def snapshot_parts(self) -> SnapshotParts:
        """What ``save_snapshot(project)`` stores: the runtime object, the code that ran,
        the preview inputs (verification samples).

        A config-only project has no built model (its code is missing): a snapshot of it
        would hold nothing, so it is refused rather than written empty.
        """
        if self.config_only:
            missing = ", ".join(u.words() for u in self.unresolved) or "its custom classes"
            raise ProjectError(
                f"Expected a project whose models were built. Received: {self.path}, read "
                f"config-only because the code of {missing} is missing; a snapshot of it "
                "would hold no model.",
                path=self.path,
                hint="Give it its code first (the app's Locate code…, or a project folder "
                "whose lockpickle.toml lists the .py files), then export.",
            )
        code = None
        if self.code_package and self.code_sources:
            code = BundledCode(self.code_package, dict(self.code_sources))
        return SnapshotParts(
            self.runtime, code, (self.preview or {}).get("inputs"), self._project_origin()
        )

    def _project_origin(self) -> dict[str, str | None]:
        """``{"name", "source"}``: a project re-exported from a snapshot keeps the project
        that snapshot came from."""
        earlier = (self.manifest or {}).get("project") if self.kind == "snapshot" else None
        if isinstance(earlier, dict) and earlier.get("name"):
            return {"name": str(earlier["name"]), "source": earlier.get("source")}
        return {"name": self.name, "source": str(Path(self.path).resolve())}

    def inspect(self, **kw: Any) -> Node:
        """The tree of the runtime object (``core.inspect.inspect(self.runtime)``), or the
        tree read from a config-only model's file."""
        if self.config_tree is not None:
            return self.config_tree
        return inspect(self.runtime, **kw)


def code_package_name(folder: Path, name: str) -> str:
    """``lpproject_<slug>_<8 hex of sha256(abs folder)>``: unique per project folder."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower() or "project"
    digest = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:8]
    return f"lpproject_{slug}_{digest}"
