"""Model projects: a .keras / .h5 file, a SavedModel folder, a folder with
``lockpickle.toml``, or a ``.lpsnap`` snapshot, opened as one :class:`ModelProject`.

:mod:`.opening` decides what a path is and opens it; :mod:`.model_files` loads model files;
:mod:`.project_file` reads and checks ``lockpickle.toml``; :mod:`.snapshot_project` opens a
``.lpsnap``. A project's own code is imported by :mod:`lockpickle_gui.core.code_package`.
"""

from lockpickle_gui.core.project.importing import Imported, import_snapshot
from lockpickle_gui.core.project.model_project import ModelProject, code_package_name
from lockpickle_gui.core.project.opening import detect_kind, open_project

__all__ = [
    "Imported",
    "ModelProject",
    "code_package_name",
    "detect_kind",
    "import_snapshot",
    "open_project",
]
