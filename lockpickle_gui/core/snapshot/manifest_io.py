"""manifest.json -> :class:`~lockpickle_gui.core.snapshot.manifest.Manifest`: the one parser,
every field checked before use. Its inverse, :func:`manifest_to_json`, is in
``manifest.py``; the two are tested against each other."""

from __future__ import annotations

from typing import Any

from lockpickle_gui.core.errors import CorruptSnapshot
from lockpickle_gui.core.snapshot import format as fmt
from lockpickle_gui.core.snapshot import trust
from lockpickle_gui.core.snapshot.manifest import (
    _MODULE_NAME,
    _PUBLIC_NAME,
    _SHA256,
    Attachment,
    Check,
    CodeFile,
    DroppedEntry,
    Manifest,
    ModelEntry,
    PrimitiveEntry,
    TypeEntry,
    Verification,
    VerificationEntry,
    check_header,
    manifest_to_json,
)

__all__ = ["manifest_to_json", "parse_manifest"]

_TOP_REQUIRED = {
    "format", "format_version", "producer", "created_utc", "python", "keras", "tensorflow",
    "numpy", "root", "models", "primitives", "dropped", "attachments", "types",
    "code_package", "code", "members", "verification", "notes", "project",
}  # fmt: skip
_STORAGE = ("native", "keras")
_TYPE_USES = ("state", "model")


def parse_manifest(raw: Any, path: Any) -> Manifest:
    """The checked manifest; raises NotASnapshot, UnsupportedVersion or CorruptSnapshot."""
    version = check_header(raw, path)
    c = Check(path)
    top = c.obj(raw, "the manifest", _TOP_REQUIRED)
    producer = c.obj(top["producer"], "producer", {"name", "version"})
    members = _members(c, top["members"])
    models = tuple(
        _model(c, m, f"models[{i}]")
        for i, m in enumerate(c.items(top["models"], "models", 100_000))
    )
    for index, model in enumerate(models):
        needed = (
            [fmt.config_member(index), fmt.weights_index_member(index)]
            if model.storage == "native"
            else [fmt.keras_member(index)]
        )
        for member in needed:
            if member not in members:
                raise c.fail(f"models[{index}]", f"has no member {member} listed")
    for member in members:
        owner = fmt.model_of_member(member)
        if owner is not None and owner >= len(models):
            raise c.fail("members", f"list {member}, of a model the manifest does not have")
    if fmt.STATE_MEMBER not in members:
        raise c.fail("members", f"has no {fmt.STATE_MEMBER}")
    attachments = tuple(
        _attachment(c, a, f"attachments[{i}]", len(models))
        for i, a in enumerate(c.items(top["attachments"], "attachments"))
    )
    package = c.text(top["code_package"], "code_package", limit=100, none=True)
    code = tuple(
        _code_file(c, e, f"code[{i}]", members)
        for i, e in enumerate(c.items(top["code"], "code", 1000))
    )
    if (package is None) != (not code) or (
        package is not None and not trust.BUNDLED_PACKAGE.fullmatch(package)
    ):
        raise c.fail(
            "code_package",
            f"= {str(package)[:60]!r} (expected an lpproject_<name>_<8 hex> package with its files)",
        )
    if len({f.module for f in code}) != len(code):
        raise c.fail("code", "lists a module twice")
    verification = None
    if top["verification"] is not None:
        verification = _verification(c, top["verification"], members, len(models))
    return Manifest(
        producer={
            "name": c.text(producer["name"], "producer.name", limit=100),
            "version": c.text(producer["version"], "producer.version", limit=100),
        },
        created_utc=c.text(top["created_utc"], "created_utc", limit=40),
        python=c.text(top["python"], "python", limit=40),
        keras=c.text(top["keras"], "keras", limit=40, none=True),
        tensorflow=c.text(top["tensorflow"], "tensorflow", limit=40, none=True),
        numpy=c.text(top["numpy"], "numpy", limit=40, none=True),
        root=c.text(top["root"], "root", limit=1024),
        models=models,
        primitives=tuple(
            _primitive(c, p, f"primitives[{i}]", len(models))
            for i, p in enumerate(c.items(top["primitives"], "primitives"))
        ),
        dropped=tuple(
            _dropped(c, d, f"dropped[{i}]")
            for i, d in enumerate(c.items(top["dropped"], "dropped"))
        ),
        attachments=attachments,
        types=tuple(
            _type(c, t, f"types[{i}]") for i, t in enumerate(c.items(top["types"], "types", 10_000))
        ),
        code_package=package,
        code=code,
        members=members,
        verification=verification,
        notes=tuple(
            c.text(n, f"notes[{i}]", limit=8192)
            for i, n in enumerate(c.items(top["notes"], "notes", 10_000))
        ),
        project=_project(c, top["project"]),
        format_version=version,
    )


def _project(c: Check, value: Any) -> dict[str, str | None] | None:
    if value is None:
        return None
    p = c.obj(value, "project", {"name", "source"})
    return {
        "name": c.text(p["name"], "project.name", limit=1024),
        "source": c.text(p["source"], "project.source", limit=4096, none=True),
    }


def _members(c: Check, value: Any) -> dict[str, str]:
    if type(value) is not dict or len(value) > 1_000_000:
        raise c.fail("members", "is not an object of member names")
    for name, digest in value.items():
        if name == fmt.MANIFEST_MEMBER or not fmt.is_known_member(name):
            raise c.fail("members", f"list {name[:80]!r}, not a member a snapshot has")
        if type(digest) is not str or not _SHA256.fullmatch(digest):
            raise c.fail(f"members[{name!r}]", "is not a sha256 (64 lowercase hex digits)")
    return dict(value)


def _model(c: Check, value: Any, where: str) -> ModelEntry:
    m = c.obj(
        value,
        where,
        {"name", "class", "params", "bytes", "path", "storage"},
        {"trainable", "layers", "variables", "also_at"},
    )
    if m["storage"] not in _STORAGE:
        raise c.fail(f"{where}.storage", f"= {str(m['storage'])[:20]!r} (expected native or keras)")
    return ModelEntry(
        name=c.text(m["name"], f"{where}.name", limit=1024),
        cls=c.text(m["class"], f"{where}.class", limit=1024),
        params=c.integer(m["params"], f"{where}.params"),
        bytes=c.integer(m["bytes"], f"{where}.bytes"),
        path=c.display_path(m["path"], f"{where}.path"),
        storage=m["storage"],
        trainable=c.flag(m.get("trainable", True), f"{where}.trainable"),
        layers=c.integer(m.get("layers", 0), f"{where}.layers"),
        variables=c.integer(m.get("variables", 0), f"{where}.variables"),
        also_at=tuple(
            c.display_path(a, f"{where}.also_at")
            for a in c.items(m.get("also_at", []), f"{where}.also_at")
        ),
    )


def _attachment(c: Check, value: Any, where: str, models: int) -> Attachment:
    a = c.obj(value, where, {"model", "layer", "attribute"})
    attribute = c.text(a["attribute"], f"{where}.attribute", limit=256)
    if not _PUBLIC_NAME.fullmatch(attribute):
        raise c.fail(
            f"{where}.attribute", f"= {attribute[:40]!r} (expected a public attribute name)"
        )
    return Attachment(
        c.integer(a["model"], f"{where}.model", 0, max(models - 1, 0)),
        c.layer_path(a["layer"], f"{where}.layer"),
        attribute,
    )


def _primitive(c: Check, value: Any, where: str, models: int) -> PrimitiveEntry:
    p = c.obj(
        value,
        where,
        {"path", "kind", "state", "held_at_export", "restore"},
        {"params", "also_at", "uses", "attach"},
    )
    params = c.obj(
        p.get("params", {}),
        f"{where}.params",
        set(),
        set(p.get("params", {})) if type(p.get("params")) is dict else set(),
    )
    uses = c.obj(
        p.get("uses", {}),
        f"{where}.uses",
        set(),
        set(p.get("uses", {})) if type(p.get("uses")) is dict else set(),
    )
    return PrimitiveEntry(
        path=c.display_path(p["path"], f"{where}.path"),
        kind=c.text(p["kind"], f"{where}.kind", limit=100),
        state=c.text(p["state"], f"{where}.state", limit=1024),
        held_at_export=c.flag(p["held_at_export"], f"{where}.held_at_export"),
        restore=c.text(p["restore"], f"{where}.restore", limit=256),
        params={
            c.text(k, f"{where}.params", limit=64): c.scalar(v, f"{where}.params.{k}")
            for k, v in params.items()
        },
        also_at=tuple(
            c.display_path(a, f"{where}.also_at")
            for a in c.items(p.get("also_at", []), f"{where}.also_at")
        ),
        uses={
            c.text(k, f"{where}.uses", limit=64): c.display_path(v, f"{where}.uses.{k}")
            for k, v in uses.items()
        },
        attach=tuple(
            _attachment(c, a, f"{where}.attach", models)
            for a in c.items(p.get("attach", []), f"{where}.attach")
        ),
    )


def _dropped(c: Check, value: Any, where: str) -> DroppedEntry:
    d = c.obj(value, where, {"path", "kind", "state"})
    return DroppedEntry(
        c.display_path(d["path"], f"{where}.path"),
        c.text(d["kind"], f"{where}.kind", limit=100),
        c.text(d["state"], f"{where}.state", limit=1024),
    )


def _type(c: Check, value: Any, where: str) -> TypeEntry:
    t = c.obj(value, where, {"name", "kind", "use"}, {"registered"})
    try:
        trust.check_type_name(t["name"])
    except CorruptSnapshot:
        raise c.fail(
            f"{where}.name", f"= {str(t['name'])[:80]!r} (expected 'module:Qualname')"
        ) from None
    if t["kind"] not in trust.KINDS or t["use"] not in _TYPE_USES:
        raise c.fail(where, "has an unknown kind or use")
    return TypeEntry(
        t["name"],
        t["kind"],
        t["use"],
        c.text(t.get("registered"), f"{where}.registered", limit=256, none=True),
    )


def _code_file(c: Check, value: Any, where: str, members: dict[str, str]) -> CodeFile:
    e = c.obj(value, where, {"module", "member", "sha256"})
    module = c.text(e["module"], f"{where}.module", limit=100)
    if (
        not _MODULE_NAME.fullmatch(module)
        or e["member"] != fmt.code_member(module)
        or members.get(e["member"]) != e["sha256"]
    ):
        raise c.fail(
            where,
            f"names {str(e['member'])[:60]!r} for module {module[:40]!r} with another sha256 than 'members'",
        )
    return CodeFile(module, e["member"], e["sha256"])


def _verification(c: Check, value: Any, members: dict[str, str], models: int) -> Verification:
    v = c.obj(value, "verification", {"seed", "tolerance", "max_abs_diff", "models"})
    entries = []
    for i, raw in enumerate(c.items(v["models"], "verification.models", 100_000)):
        where = f"verification.models[{i}]"
        e = c.obj(
            raw,
            where,
            {"model", "source"},
            {
                "reason",
                "skipped",
                "structure",
                "inputs",
                "outputs",
                "samples",
                "max_abs_diff",
                "runs",
                "tolerance",
            },
        )
        source = c.text(e["source"], f"{where}.source", limit=64, none=True)
        keys = {}
        for name, direction in (("inputs", "in"), ("outputs", "out")):
            listed = tuple(
                c.text(k, f"{where}.{name}", limit=64)
                for k in c.items(e.get(name, []), f"{where}.{name}", 10_000)
            )
            for member in listed:
                if member not in members or not member.startswith(f"verify/{direction}/"):
                    raise c.fail(
                        f"{where}.{name}", f"name {member[:60]!r}, not a listed verification member"
                    )
            keys[name] = listed
        structure = e.get("structure")
        if source is not None:
            _structure(c, structure, f"{where}.structure", len(keys["inputs"]))
            if not keys["outputs"] or e.get("tolerance") is None:
                raise c.fail(where, "has a source but no outputs or tolerance")
        entries.append(
            VerificationEntry(
                model=c.integer(e["model"], f"{where}.model", 0, max(models - 1, 0)),
                source=source,
                reason=c.text(e.get("reason"), f"{where}.reason", limit=4096, none=True),
                skipped=c.text(e.get("skipped"), f"{where}.skipped", limit=4096, none=True),
                structure=structure,
                inputs=keys["inputs"],
                outputs=keys["outputs"],
                samples=c.integer(e.get("samples", 0), f"{where}.samples", 0, 1 << 20),
                max_abs_diff=c.number(e.get("max_abs_diff"), f"{where}.max_abs_diff"),
                runs=c.integer(e.get("runs", 0), f"{where}.runs", 0, 10),
                tolerance=c.number(e.get("tolerance"), f"{where}.tolerance"),
            )
        )
    return Verification(
        seed=c.integer(v["seed"], "verification.seed"),
        tolerance=c.number(v["tolerance"], "verification.tolerance"),
        max_abs_diff=c.number(v["max_abs_diff"], "verification.max_abs_diff"),
        models=tuple(entries),
    )


def _structure(c: Check, value: Any, where: str, inputs: int) -> None:
    if value == "array" and inputs == 1 or value == "list" and inputs >= 1:
        return
    if (
        type(value) is dict
        and set(value) == {"dict"}
        and type(value["dict"]) is list
        and len(value["dict"]) == inputs
    ):
        for key in value["dict"]:
            c.text(key, where, limit=256)
        return
    raise c.fail(
        where,
        f"= {str(value)[:60]!r} (expected 'array', 'list' or {{'dict': [keys]}} matching the inputs)",
    )
