"""The :class:`ModelProject` every opener returns, and the private package name of its code."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
    preview: dict = field(default_factory=dict)
    manifest: dict | None = None
    # model name -> extra facts (a SavedModel's signatures, inputs/outputs, variables)
    model_info: dict[str, dict] = field(default_factory=dict)

    def inspect(self, **kw):
        """The tree of the runtime object (``graph.inspect(self.runtime)``)."""
        from lockpickle_gui.core.inspect import inspect

        return inspect(self.runtime, **kw)


def code_package_name(folder: Path, name: str) -> str:
    """``lpproject_<slug>_<8 hex of sha256(abs folder)>``: unique per project folder."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower() or "project"
    digest = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:8]
    return f"lpproject_{slug}_{digest}"
