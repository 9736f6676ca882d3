"""Reader side, phase 1: check a parsed state.json against ``schema.py`` without importing
anything.

Every node's fields have the kinds its spec says; references point inside the table; every
node is reachable from the roots (no hidden nodes) and every "types" entry is used (no
needless trust prompt); the object graph is at most ``max_depth`` deep; decoded payloads
fit the budget for the file's size. The result, :class:`Document`, is what ``untrusted
types`` and the builder work from.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from lockpickle_gui.core.errors import BudgetExceeded, CorruptSnapshot
from lockpickle_gui.core.inspect.paths import PathError, parse_strict
from lockpickle_gui.core.snapshot import npy, trust
from lockpickle_gui.core.snapshot.budgets import Budgets
from lockpickle_gui.core.snapshot.state import rules, schema

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PUBLIC = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_B64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_HEX = re.compile(r"-?(?:0|[1-9a-f][0-9a-f]*)")
_BITS = re.compile(r"[0-9a-f]{16}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_TZKEY = re.compile(r"[A-Za-z0-9_+\-]{1,32}(?:/[A-Za-z0-9_+\-]{1,32}){0,3}")
_DECIMAL = re.compile(
    r"-?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:E[+-](?:0|[1-9][0-9]*))?|\.[0-9]+|Infinity|s?NaN(?:[1-9][0-9]*)?)"
)
_SCALARS = (str, int, float, bool, type(None))
_MAX_I64 = 1 << 63
REEXPORT = "The file was damaged or edited; export the snapshot again."


@dataclass
class Document:
    raw: dict[str, Any]
    nodes: list[dict[str, Any]]
    types: list[tuple[str, str, str]]  # (module, qualname, kind)
    roots: list[int]
    pre: list[list[int]]
    post: list[list[int]]
    payload_bytes: int
    state_bytes: int
    budgets: Budgets


def is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


class Validator:
    def __init__(self, budgets: Budgets, count: int, ntypes: int, path: Any) -> None:
        self.budgets = budgets
        self.count = count
        self.ntypes = ntypes
        self.path = path
        self.payload = 0
        self.members: set[tuple[str, int]] = set()

    def fail(self, what: str) -> CorruptSnapshot:
        return CorruptSnapshot(
            f"Expected state.json as lockpickle writes it. Received: {what}.",
            path=self.path,
            hint=REEXPORT,
        )

    def budget(self, what: str) -> BudgetExceeded:
        return BudgetExceeded(
            f"Expected state.json within its budgets. Received: {what}.",
            path=self.path,
            hint=REEXPORT,
        )

    # ---------------------------------------------------------------- slots
    def slot(self, value: Any, refs: list[int]) -> None:
        tp = type(value)
        if tp is dict:
            ref = value.get("r") if len(value) == 1 else None
            if type(ref) is not int or not 0 <= ref < self.count:
                raise self.fail(
                    f"a reference {str(value)[:40]} (expected {{'r': index below {self.count}}})"
                )
            refs.append(ref)
        elif tp is str:
            if len(value) > self.budgets.max_string_chars:
                raise self.budget(f"a string of {len(value)} characters")
        elif tp not in _SCALARS:
            raise self.fail(f"a {tp.__name__} where a value belongs")

    def slots(
        self, value: Any, refs: list[int], exact: int | None = None, even: bool = False
    ) -> None:
        if (
            type(value) is not list
            or (exact is not None and len(value) != exact)
            or (even and len(value) % 2)
        ):
            raise self.fail("a malformed list of values")
        for item in value:
            self.slot(item, refs)

    def attrs(self, value: Any, refs: list[int]) -> None:
        if type(value) is not dict:
            raise self.fail("attributes that are not an object")
        for name, item in value.items():
            if not _IDENT.fullmatch(name) or is_dunder(name):
                raise self.fail(
                    f"the attribute name {name[:60]!r} (dunders and non-identifiers are refused)"
                )
            self.slot(item, refs)

    # ---------------------------------------------------------------- one field
    def field(self, kind: str, value: Any, refs: list[int], where: str) -> None:
        budgets = self.budgets
        if kind in ("slot", "slots", "slots2", "slots3", "pairs", "attrs"):
            if kind == "slot":
                self.slot(value, refs)
            elif kind == "attrs":
                self.attrs(value, refs)
            else:
                exact = {"slots2": 2, "slots3": 3}.get(kind)
                self.slots(value, refs, exact, even=kind == "pairs")
            return
        ok = True
        if kind in ("int", "uint"):
            ok = (
                type(value) is int
                and -_MAX_I64 <= value < _MAX_I64
                and (kind == "int" or value >= 0)
            )
        elif kind == "nuint":
            ok = value is None or (type(value) is int and 0 <= value < _MAX_I64)
        elif kind == "bool":
            ok = type(value) is bool
        elif kind == "str":
            ok = type(value) is str and len(value) <= budgets.max_string_chars
        elif kind == "nstr":
            ok = value is None or (type(value) is str and len(value) <= 16)
        elif kind == "nnum":
            ok = value is None or (
                type(value) in (int, float) and math.isfinite(value) and value >= 0
            )
        elif kind == "b64":
            ok = type(value) is str and bool(_B64.fullmatch(value))
            if ok:
                size = len(value) // 4 * 3 - value.count("=", len(value) - 2)
                if size > budgets.max_inline_bytes:
                    raise self.budget(
                        f"{size} bytes inline in {where} (at most {budgets.max_inline_bytes})"
                    )
                self.payload += size
        elif kind == "hex":
            ok = type(value) is str and bool(_HEX.fullmatch(value)) and value != "-0"
            if ok and len(value) > budgets.max_int_bits // 4 + 2:
                raise self.budget(
                    f"an integer of more than {budgets.max_int_digits} digits in {where}"
                )
            self.payload += len(value) // 2 if ok else 0
        elif kind == "bits16":
            ok = type(value) is str and bool(_BITS.fullmatch(value))
        elif kind == "bits16x2":
            ok = (
                type(value) is list
                and len(value) == 2
                and all(type(v) is str and _BITS.fullmatch(v) for v in value)
            )
        elif kind in ("ints3", "ints4", "ints7"):
            n = int(kind[4:])
            ok = (
                type(value) is list
                and len(value) == n
                and all(type(v) is int and -_MAX_I64 <= v < _MAX_I64 for v in value)
            )
        elif kind == "fold":
            ok = type(value) is int and value in (0, 1)
        elif kind == "tzkey":
            ok = type(value) is str and bool(_TZKEY.fullmatch(value))
        elif kind == "decimal":
            ok = (
                type(value) is str
                and len(value) <= budgets.max_int_digits + 32
                and bool(_DECIMAL.fullmatch(value))
            )
            self.payload += len(value) if ok else 0
        elif kind == "flavour":
            ok = value in ("posix", "windows")
        elif kind == "strs":
            ok = (
                type(value) is list
                and len(value) <= 4096
                and all(type(v) is str and len(v) <= 4096 for v in value)
            )
        elif kind == "hex32":
            ok = type(value) is str and bool(_HEX32.fullmatch(value))
        elif kind == "tidx":
            ok = type(value) is int and 0 <= value < self.ntypes
        elif kind == "midx":
            ok = (
                type(value) is int
                and 0 <= value < budgets.max_members
                and (where, value) not in self.members
            )
            if ok:
                self.members.add((where, value))
        elif kind == "descr":
            try:
                npy.check_descr(value, budgets)
            except npy.DtypeRefused as error:
                raise self.fail(f"{where}: {error}") from None
        elif kind == "shape":
            ok = (
                type(value) is list
                and len(value) <= budgets.max_ndim
                and all(type(v) is int and 0 <= v < 1 << 62 for v in value)
            )
        elif kind == "order":
            ok = value in ("C", "F")
        elif kind == "const":
            ok = value in ("Ellipsis", "NotImplemented")
        elif kind == "layerpath":
            try:
                ok = type(value) is str and (value == "" or bool(parse_strict(value)))
            except PathError as error:
                raise self.fail(f"{where}: {error}") from None
        else:  # pragma: no cover - a typo in SPECS
            raise AssertionError(kind)
        if not ok:
            raise self.fail(f"{where} = {str(value)[:60]!r}")


def validate_state(doc: Any, budgets: Budgets, state_bytes: int, path: Any) -> Document:
    """Check ``doc`` (parsed state.json) completely; raise CorruptSnapshot/BudgetExceeded."""
    check = Validator(budgets, 0, 0, path)
    expected = {"format", "version", "types", "nodes", "root", "attached"}
    if type(doc) is not dict or set(doc) != expected:
        raise check.fail(
            f"top-level fields {sorted(doc)[:8] if type(doc) is dict else type(doc).__name__}"
        )
    if (
        doc["format"] != schema.FORMAT
        or type(doc["version"]) is not int
        or doc["version"] != schema.VERSION
    ):
        raise check.fail(f"format {str(doc['format'])[:40]!r} version {str(doc['version'])[:10]}")
    raw_types, nodes = doc["types"], doc["nodes"]
    if type(raw_types) is not list or len(raw_types) > budgets.max_types:
        raise check.budget(f"'types' with more than {budgets.max_types} entries, or not a list")
    if type(nodes) is not list or len(nodes) > budgets.max_nodes:
        raise check.budget(f"'nodes' with more than {budgets.max_nodes} entries, or not a list")
    types: list[tuple[str, str, str]] = []
    for entry in raw_types:
        if (
            type(entry) is not dict
            or set(entry) != {"name", "kind"}
            or entry["kind"] not in trust.KINDS
        ):
            raise check.fail(
                "a 'types' entry other than {'name': 'module:Qualname', 'kind': 'class'|'function'}"
            )
        module, qualname = trust.check_type_name(entry["name"])
        if (module, qualname, entry["kind"]) in types:
            raise check.fail(f"the type {entry['name']} twice")
        types.append((module, qualname, entry["kind"]))

    check = Validator(budgets, len(nodes), len(types), path)
    pre: list[list[int]] = []
    post: list[list[int]] = []
    used = [False] * len(types)
    for index, node in enumerate(nodes):
        tag = node.get("t") if type(node) is dict else None
        spec = schema.SPECS.get(tag) if type(tag) is str else None
        if spec is None or type(tag) is not str:
            raise check.fail(f"node {index} of unknown type {str(tag)[:40]!r}")
        required, optional, pre_fields, _post = spec
        for name in node:
            if name != "t" and name not in required and name not in optional:
                raise check.fail(f"node {index} ({tag}) with a field {str(name)[:40]!r}")
        node_pre: list[int] = []
        node_post: list[int] = []
        for group in (required, optional):
            for name, kind in group.items():
                if name not in node:
                    if group is required:
                        raise check.fail(f"node {index} ({tag}) without {name!r}")
                    continue
                target = node_pre if name in pre_fields else node_post
                check.field(kind, node[name], target, f"{tag}.{name}")
        rules.check_node(check, tag, node, index, types, used, nodes)
        pre.append(node_pre)
        post.append(node_post)

    roots: list[int] = []
    check.slot(doc["root"], roots)
    attached = doc["attached"]
    if type(attached) is not list:
        raise check.fail("'attached' that is not a list")
    for entry in attached:
        if (
            type(entry) is not dict
            or set(entry) != {"model", "layer", "attribute", "value"}
            or type(entry["model"]) is not int
            or entry["model"] < 0
            or type(entry["attribute"]) is not str
            or not _PUBLIC.fullmatch(entry["attribute"])
        ):
            raise check.fail(
                "an 'attached' entry other than {model, layer, attribute (public), value}"
            )
        check.field("layerpath", entry["layer"], roots, "attached.layer")
        check.slot(entry["value"], roots)

    depth = rules.depths(len(nodes), roots, pre, post)
    if any(d < 0 for d in depth):
        raise check.fail(
            f"node {depth.index(-1)} that no value leads to (hidden nodes are refused)"
        )
    if depth and max(depth) > budgets.max_depth:
        raise check.budget(
            f"an object graph nested {max(depth)} levels deep (at most {budgets.max_depth})"
        )
    if not all(used):
        raise check.fail(f"the type {raw_types[used.index(False)]['name']} that no node uses")
    limit = budgets.decoded_limit(state_bytes)
    if check.payload > limit:
        raise check.budget(f"{check.payload} bytes of decoded data (at most {limit} for this file)")
    return Document(doc, nodes, types, roots, pre, post, check.payload, state_bytes, budgets)


def unbuildable_node(document: Document) -> int | None:
    """A node on a cycle through constructor inputs (which no order can build), or None."""
    return rules.unbuildable_node(document)
