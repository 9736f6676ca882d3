"""The ``.lpsnap`` format, version 1: member names, limits and the manifest schema.

One place for every constant the writer and the reader share (Keras' ``saving_lib`` keeps
its member names the same way). The format itself is described in DESIGN.md and in the
README section "The .lpsnap snapshot format".
"""

from __future__ import annotations

import re
from typing import Any

from lockpickle_gui.core.errors import (
    CorruptSnapshot,
    NotASnapshot,
    SnapshotError,
    UnsupportedVersion,
)

FORMAT_NAME = "lockpickle-snapshot"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
SUFFIX = ".lpsnap"
PICKLE_PROTOCOL = 5

# ----------------------------------------------------------------------------- members
MANIFEST_MEMBER = "manifest.json"
STATE_MEMBER = "state.pkl"
MODELS_DIR = "models/"
ARRAYS_DIR = "arrays/"
CODE_DIR = "code/"
VERIFY_INPUTS_MEMBER = "verify/inputs.npz"
VERIFY_OUTPUTS_MEMBER = "verify/outputs.npz"


def model_member(index: int) -> str:
    return f"{MODELS_DIR}{index}.keras"


def array_member(index: int) -> str:
    return f"{ARRAYS_DIR}{index}.npy"


def code_member(module_name: str) -> str:
    return f"{CODE_DIR}{module_name}.py"


# Member names the writer produces; anything else in an archive is refused by the reader.
_MEMBER_PATTERNS = (
    re.compile(r"manifest\.json"),
    re.compile(r"state\.pkl"),
    re.compile(r"models/\d+\.keras"),
    re.compile(r"arrays/\d+\.npy"),
    re.compile(r"code/[A-Za-z_][A-Za-z0-9_]*\.py"),
    re.compile(r"verify/(inputs|outputs)\.npz"),
)


def is_known_member(name: str) -> bool:
    return any(pattern.fullmatch(name) for pattern in _MEMBER_PATTERNS)


# ----------------------------------------------------------------------------- limits
# Numpy arrays at least this large leave the pickle for arrays/<n>.npy (read back with
# allow_pickle=False, without an extra copy inside the pickle stream).
ARRAY_MEMBER_MIN_BYTES = 1 << 20
MAX_MEMBERS = 10_000
MAX_MANIFEST_BYTES = 16 << 20
MAX_MEMBER_BYTES = 64 << 30
MAX_TOTAL_BYTES = 256 << 30
# Deflated members may expand at most this much (a zip bomb expands ~1000x). Large
# members are written stored (ratio 1), so genuine snapshots stay far below it.
MAX_COMPRESSION_RATIO = 100
# Below this size the ratio is not checked: tiny text members compress very well.
RATIO_CHECK_MIN_BYTES = 1 << 20
# A model member larger than this is written with ZIP64 headers from the start.
ZIP64_THRESHOLD = 1 << 30


def check_manifest_size(
    size: int, path, *, primitives: int, dropped: int, limit: int = MAX_MANIFEST_BYTES
) -> None:
    """Refuse at export a manifest the reader would refuse (it is larger than ``limit``)."""
    if size <= limit:
        return
    raise SnapshotError(
        f"Expected a manifest.json of at most {limit} bytes ({limit >> 20} MiB), the most a "
        f"snapshot reader accepts. Received: {size} bytes for {primitives} lock-like "
        f"object(s) and {dropped} dropped object(s), each listed with its path; nothing was "
        "written.",
        path=path,
        hint="Export fewer lock-like objects: share one lock between many items instead of "
        "one each, or create them after loading (in __setstate__) and leave them out of "
        "the saved state (__getstate__).",
    )


# ----------------------------------------------------------------------------- manifest
ON_BLOCKED_POLICIES = ("error", "drop")

# field -> accepted types (the reader refuses a manifest that lacks one or has another type)
MANIFEST_FIELDS: dict[str, tuple[type, ...]] = {
    "format": (str,),
    "format_version": (int,),
    "producer": (dict,),
    "created_utc": (str,),
    "python": (str,),
    "keras": (str, type(None)),
    "tensorflow": (str, type(None)),
    "numpy": (str, type(None)),
    "root": (str,),
    "models": (list,),
    "model_refs": (list,),
    "primitives": (list,),
    "dropped": (list,),
    "modules": (list,),
    "code": (list, type(None)),
    "code_package": (str, type(None)),
    "members": (dict,),
    "verification": (dict, type(None)),
}
MODEL_FIELDS = {
    "member": str,
    "name": str,
    "class": str,
    "params": int,
    "sha256": str,
    "bytes": int,
}
PRIMITIVE_FIELDS = {"id": int, "path": str, "kind": str, "params": dict, "held_at_export": bool}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _fail(path, what: str) -> CorruptSnapshot:
    return CorruptSnapshot(
        f"Expected a manifest.json as lockpickle writes it. Received: {what}",
        path=path,
        hint="The file was damaged or edited; export the snapshot again.",
    )


def check_format_header(manifest: Any, path) -> None:
    """``format`` and ``format_version`` first: a newer snapshot fails with the right error."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise NotASnapshot(
            f"Expected a lockpickle snapshot (manifest format {FORMAT_NAME!r}). "
            f"Received: format {found!r}.",
            path=path,
            hint="Open a .lpsnap file written by `lockpickle export` or lp.save_snapshot().",
        )
    version = manifest.get("format_version")
    if type(version) is not int or version not in SUPPORTED_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
        raise UnsupportedVersion(
            f"Expected a snapshot format_version this lockpickle reads ({supported}). "
            f"Received: format_version {version!r}.",
            path=path,
            hint="Upgrade lockpickle_gui to read it, or export it again with this version.",
        )


def validate_manifest(manifest: Any, path) -> dict:
    """Check the manifest's shape (types, member names, hashes); return it unchanged."""
    check_format_header(manifest, path)
    for name, types in MANIFEST_FIELDS.items():
        if name not in manifest:
            raise _fail(path, f"no {name!r} field.")
        if type(manifest[name]) not in types:  # bool is not an int here
            raise _fail(path, f"field {name!r} is a {type(manifest[name]).__name__}.")
    members = manifest["members"]
    for member, digest in members.items():
        if (
            not is_known_member(member)
            or not isinstance(digest, str)
            or not _SHA256.fullmatch(digest)
        ):
            raise _fail(path, f"members entry {member!r}: {digest!r}.")
    for required in (STATE_MEMBER,):
        if required not in members:
            raise _fail(path, f"no {required} in 'members'.")
    for index, model in enumerate(manifest["models"]):
        _check_entry(model, MODEL_FIELDS, f"models[{index}]", path)
        if model["member"] != model_member(index) or model["member"] not in members:
            raise _fail(path, f"models[{index}] names member {model['member']!r}.")
    for index, ref in enumerate(manifest["model_refs"]):
        _check_entry(ref, {"model": int, "attribute": str}, f"model_refs[{index}]", path)
        if not 0 <= ref["model"] < len(manifest["models"]):
            raise _fail(path, f"model_refs[{index}] points at model {ref['model']}.")
    for index, entry in enumerate(manifest["primitives"]):
        _check_entry(entry, PRIMITIVE_FIELDS, f"primitives[{index}]", path)
    for module in manifest["modules"]:
        if not isinstance(module, str) or not _MODULE_NAME.fullmatch(module):
            raise _fail(path, f"modules entry {module!r}.")
    code, package = manifest["code"], manifest["code_package"]
    if code is not None:
        if package is None or not _MODULE_NAME.fullmatch(package) or "." in package:
            raise _fail(path, f"code package {package!r}.")
        for index, entry in enumerate(code):
            _check_entry(
                entry, {"module": str, "member": str, "sha256": str}, f"code[{index}]", path
            )
            if entry["member"] != code_member(entry["module"]) or entry["member"] not in members:
                raise _fail(path, f"code file {entry['module']!r} -> {entry['member']!r}.")
    return manifest


def _check_entry(entry: Any, fields: dict[str, type], where: str, path) -> None:
    if not isinstance(entry, dict):
        raise _fail(path, f"{where} is a {type(entry).__name__}.")
    for name, expected in fields.items():
        value = entry.get(name)
        if type(value) is not expected:
            raise _fail(path, f"{where}.{name} is {value!r}.")
