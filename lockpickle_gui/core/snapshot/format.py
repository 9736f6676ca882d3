"""The ``.lpsnap`` format, version 2: its name, member names and what the reader accepts.

A snapshot is a set of named members (a ZIP archive on disk or in memory, or a dict of
buffers for transport):

    manifest.json                  what is inside and what loading needs (manifest.py)
    state.json                     the object graph around the models, as data (state/)
    arrays/<n>.npy, blobs/<n>.bin  large arrays and bytes of the state
    models/<n>/config.json         a Keras model's config (loaded with safe_mode)
    models/<n>/weights.json        where each variable of that model is
    models/<n>/vars/<k>.npy        its variables, plain .npy
    models/<n>/model.keras         or the whole model in Keras' own format (fallback)
    code/<module>.py               the project's own code, imported only when trusted
    verify/in/<m>_<i>.npy          sample inputs and the outputs the models gave at export
    verify/out/<m>_<i>.npy

Every member is stored uncompressed except ``code/*.py``, so what the reader parses is
never larger than the file. A ZIP snapshot carries :data:`MAGIC` as its archive comment.
"""

from __future__ import annotations

import re

FORMAT_NAME = "lockpickle-snapshot"
FORMAT_VERSION = 2
SUPPORTED_VERSIONS = (2,)
# Version 1 kept the state in a restricted pickle; it cannot be loaded safely.
PICKLE_VERSIONS = (1,)
SUFFIX = ".lpsnap"
MAGIC = b"lockpickle-snapshot/2"

MANIFEST_MEMBER = "manifest.json"
STATE_MEMBER = "state.json"
CODE_DIR = "code/"


def array_member(index: int) -> str:
    return f"arrays/{index}.npy"


def blob_member(index: int) -> str:
    return f"blobs/{index}.bin"


def config_member(index: int) -> str:
    return f"models/{index}/config.json"


def weights_index_member(index: int) -> str:
    return f"models/{index}/weights.json"


def variable_member(model: int, number: int) -> str:
    return f"models/{model}/vars/{number}.npy"


def keras_member(index: int) -> str:
    return f"models/{index}/model.keras"


def code_member(module_name: str) -> str:
    return f"{CODE_DIR}{module_name}.py"


def verify_member(direction: str, model: int, number: int) -> str:
    return f"verify/{direction}/{model}_{number}.npy"


_NUMBER = r"(?:0|[1-9][0-9]{0,8})"
_MEMBER_PATTERNS = (
    re.compile(r"manifest\.json"),
    re.compile(r"state\.json"),
    re.compile(rf"arrays/{_NUMBER}\.npy"),
    re.compile(rf"blobs/{_NUMBER}\.bin"),
    re.compile(rf"models/{_NUMBER}/(?:config\.json|weights\.json|model\.keras)"),
    re.compile(rf"models/{_NUMBER}/vars/{_NUMBER}\.npy"),
    re.compile(r"code/[A-Za-z_][A-Za-z0-9_]{0,99}\.py"),
    re.compile(rf"verify/(?:in|out)/{_NUMBER}_{_NUMBER}\.npy"),
)
_MODEL_MEMBER = re.compile(rf"models/({_NUMBER})/")


def is_known_member(name: str) -> bool:
    return any(pattern.fullmatch(name) for pattern in _MEMBER_PATTERNS)


def may_be_deflated(name: str) -> bool:
    """Only the bundled code is compressed: every other member is parsed as stored."""
    return name.startswith(CODE_DIR)


def model_of_member(name: str) -> int | None:
    match = _MODEL_MEMBER.match(name)
    return int(match.group(1)) if match else None


ON_BLOCKED_POLICIES = ("error", "drop")
REEXPORT_HINT = "The file was damaged, truncated or edited; export the snapshot again."
