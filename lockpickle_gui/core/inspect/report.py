"""What the app says about an inspected tree: row summaries, and the HTML/JSON report.

The GUI's tree (badges, the Snapshot column, tooltips) and File ▸ Export Report… both use
these functions, so the words on screen and in a saved report are the same. Pure Python:
no Qt, no TensorFlow import (versions are read only from modules already imported).
"""

from __future__ import annotations

import collections
import datetime as _dt
import json
import os
import platform
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockpickle_gui._version import __version__
from lockpickle_gui.core.atomic import atomic_write
from lockpickle_gui.core.inspect.tree import Annotation, Node
from lockpickle_gui.core.text import escape_html

REPORT_FORMAT = "lockpickle-report"
REPORT_VERSION = 1

# Badge levels, worst first. "held" is a recreate/keep primitive that is locked right now.
# "handled": the object's own class pickles it (its __reduce__ leaves the lock out).
LEVELS = ("block", "held", "keep", "recreate", "handled")
LEVEL_WORDS = {
    "block": "blocks export",
    "held": "held now, restored free",
    "keep": "kept (fresh object, same data)",
    "recreate": "recreated fresh",
    "handled": "handled by the class",
}
LEVEL_SHORT = {
    "block": "blocking",
    "held": "held now",
    "keep": "kept",
    "recreate": "recreated",
    "handled": "handled by the class",
}
LEVEL_COLOURS = {  # the fills of resources/icons/lock-<level>.svg (badge backgrounds)
    "block": "#d83b3b",
    "held": "#e0900c",
    "keep": "#2f7fd0",
    "recreate": "#3fa34d",
    "handled": "#8a8f98",
}
LEVEL_TEXT_COLOURS = {  # darker shades, readable as text on a light background
    "block": "#b71c1c",
    "held": "#9a5b00",
    "keep": "#1d5798",
    "recreate": "#25702f",
    "handled": "#5d6b78",
}


def level_of(annotation: Annotation) -> str:
    """The badge level of one annotation: block > held > keep/recreate."""
    if annotation.action == "block":
        return "block"
    if annotation.action == "handled":
        return "handled"
    if annotation.held:
        return "held"
    return "keep" if annotation.action == "keep" else "recreate"


def worst_level(annotations: Iterable[Annotation]) -> str | None:
    levels = {level_of(a) for a in annotations}
    for level in LEVELS:
        if level in levels:
            return level
    return None


@dataclass(frozen=True)
class RowSummary:
    """One tree row as people read it."""

    name: str
    class_name: str
    output_shape: str
    params: str
    locks: int  # annotations on this node itself
    locks_below: int  # annotations further down its subtree
    level: str | None  # worst level of this node's own annotations
    snapshot: str  # what a snapshot does with this row
    tooltip: str  # the annotations in full (empty without any)
    snapshot_short: str = ""  # the same in a word or two, for a narrow column ("" = as is)


def class_name(node: Node) -> str:
    if node.keras is not None and node.keras["class"]:
        return node.keras["class"]
    return node.type.rsplit(".", 1)[-1]


def shape_text(shape: Any) -> str:
    """``(None, 8)`` for a tuple shape; several outputs joined; '' when unknown."""
    if shape is None or shape == "":
        return ""
    if isinstance(shape, str):
        return shape
    if isinstance(shape, dict):
        return ", ".join(f"{k}: {shape_text(v)}" for k, v in shape.items())
    if (
        isinstance(shape, (list, tuple))
        and shape
        and all(isinstance(s, (list, tuple)) for s in shape)
    ):
        return ", ".join(shape_text(s) for s in shape)
    if isinstance(shape, (list, tuple)):
        dims = ", ".join("None" if d is None else str(d) for d in shape)
        return f"({dims},)" if len(shape) == 1 else f"({dims})"
    return str(shape)


def params_text(node: Node) -> str:
    params = node.keras["params"] if node.keras is not None else None
    return f"{params:,}" if isinstance(params, int) else ""


def annotation_lines(annotations: Iterable[Annotation]) -> list[str]:
    lines = []
    for a in annotations:
        line = f"{a.path}: {a.kind}, {a.state} — {LEVEL_WORDS[level_of(a)]}"
        lines.append(f"{line} ({a.detail})" if a.detail else line)
    return lines


def snapshot_text(node: Node) -> str:
    """What a snapshot does with this row (the Snapshot column)."""
    own = list(node.annotations)
    if len(own) == 1:
        return LEVEL_WORDS[level_of(own[0])]
    if own:
        counts = collections.Counter(level_of(a) for a in own)
        if len(counts) == 1:
            return f"{len(own)} {LEVEL_SHORT[next(iter(counts))]}"
        return " · ".join(f"{counts[lvl]} {LEVEL_SHORT[lvl]}" for lvl in LEVELS if counts[lvl])
    if node.shared_with:
        return f"same object as {node.shared_with}"
    if node.role == "model":
        return "stored once (Keras config + .npy weights)"
    return ""


def snapshot_short_text(node: Node) -> str:
    """:func:`snapshot_text` in a word or two where it has a long form, else ``""``."""
    own = list(node.annotations)
    if len(own) == 1:
        return LEVEL_SHORT[level_of(own[0])]
    if not own and not node.shared_with and node.role == "model":
        return "stored once"
    return ""


def summarize(node: Node) -> RowSummary:
    own = list(node.annotations)
    total = node.lock_count()
    tooltip = "\n".join(annotation_lines(own))
    if total > len(own):
        below = f"{total - len(own)} more lock-like object(s) further down this branch."
        tooltip = f"{tooltip}\n{below}" if tooltip else below
    return RowSummary(
        name=node.name,
        class_name=class_name(node),
        output_shape=shape_text(node.keras["output_shape"] if node.keras is not None else None),
        params=params_text(node),
        locks=len(own),
        locks_below=total - len(own),
        level=worst_level(own),
        snapshot=snapshot_text(node),
        tooltip=tooltip,
        snapshot_short=snapshot_short_text(node),
    )


def counts_by_level(tree: Node) -> dict[str, int]:
    counts = dict.fromkeys(LEVELS, 0)
    for annotation in tree.iter_annotations():
        counts[level_of(annotation)] += 1
    return counts


def versions() -> dict[str, str]:
    """Versions of this app and of the libraries already imported (never imports them)."""
    found = {"lockpickle_gui": __version__, "python": platform.python_version()}
    for label, module in (
        ("tensorflow", "tensorflow"),
        ("keras", "keras"),
        ("numpy", "numpy"),
        ("pyside6", "PySide6"),
    ):
        loaded = sys.modules.get(module)
        found[label] = getattr(loaded, "__version__", "?") if loaded is not None else "not loaded"
    qt_core = sys.modules.get("PySide6.QtCore")
    if qt_core is not None:
        found["qt"] = qt_core.qVersion()
    return found


# ---------------------------------------------------------------------------- JSON report


def report_dict(
    tree: Node, *, title: str, source: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    return {
        "format": REPORT_FORMAT,
        "format_version": REPORT_VERSION,
        "title": title,
        "source": os.fspath(source) if source is not None else None,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "versions": versions(),
        "summary": {"annotations": sum(counts_by_level(tree).values()), **counts_by_level(tree)},
        "annotations": [a.to_dict() for a in tree.iter_annotations()],
        "tree": tree.to_dict(),
    }


def report_json(tree: Node, *, title: str, source: str | os.PathLike[str] | None = None) -> str:
    return json.dumps(report_dict(tree, title=title, source=source), indent=2, default=str) + "\n"


# ---------------------------------------------------------------------------- HTML report

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#222}
h1{font-size:1.5em;margin:0 0 .2em} .meta{color:#666;margin-bottom:1.2em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #e4e4e4;vertical-align:top}
th{background:#f4f4f6;font-weight:600} td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,Menlo,Consolas,monospace}
.badge{display:inline-block;min-width:1.4em;padding:0 .45em;border-radius:.7em;color:#fff;
text-align:center;font-weight:600;font-size:12px}
.below{color:#888;font-size:12px} .chips span{margin-right:1em}
tr.level-block td{background:#fdecea} tr.level-held td{background:#fff4e0}
"""


def _badge(level: str | None, count: int) -> str:
    if not count or level is None:
        return ""
    return (
        f'<span class="badge" style="background:{LEVEL_COLOURS[level]}" '
        f'title="{escape_html(LEVEL_WORDS[level])}">{count}</span>'
    )


def _walk_with_depth(node: Node, depth: int = 0) -> Iterator[tuple[Node, int]]:
    yield node, depth
    for child in node.children:
        yield from _walk_with_depth(child, depth + 1)


def _tree_rows(tree: Node) -> list[str]:
    rows = []
    for node, depth in _walk_with_depth(tree):
        row = summarize(node)
        indent = f"padding-left:{0.5 + 1.2 * depth:.1f}em"
        below = f' <span class="below">+{row.locks_below} below</span>' if row.locks_below else ""
        level_class = f' class="level-{row.level}"' if row.level in ("block", "held") else ""
        rows.append(
            f'<tr{level_class}><td style="{indent}" title="{escape_html(node.path)}">'
            f"{escape_html(row.name)}</td><td>{escape_html(row.class_name)}</td>"
            f"<td><code>{escape_html(row.output_shape)}</code></td>"
            f'<td class="num">{row.params}</td><td>{_badge(row.level, row.locks)}{below}</td>'
            f"<td>{escape_html(row.snapshot)}</td></tr>"
        )
    return rows


def _annotation_rows(tree: Node) -> list[str]:
    rows = []
    for a in tree.iter_annotations():
        level = level_of(a)
        rows.append(
            f"<tr><td><code>{escape_html(a.path)}</code></td><td>{escape_html(a.kind)}</td>"
            f"<td>{escape_html(a.state)}</td><td>{'yes' if a.held else 'no'}</td>"
            f"<td>{_badge(level, 1)} {escape_html(LEVEL_WORDS[level])}</td>"
            f"<td>{escape_html(a.detail)}</td></tr>"
        )
    return rows


def report_html(
    tree: Node,
    *,
    title: str,
    source: str | os.PathLike[str] | None = None,
    image: str | None = None,
) -> str:
    """A self-contained HTML page: summary, the annotated tree, every annotation in full.

    ``image`` is an optional relative file name of a PNG of the view, shown at the end.
    """
    counts = counts_by_level(tree)
    chips = "".join(
        f"<span>{_badge(level, counts[level]) or '0'} {escape_html(LEVEL_WORDS[level])}</span>"
        for level in LEVELS
    )
    made = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    version_text = ", ".join(f"{k} {v}" for k, v in versions().items() if v != "not loaded")
    source_text = f"<code>{escape_html(os.fspath(source))}</code> · " if source is not None else ""
    annotation_rows = _annotation_rows(tree)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape_html(title)} — lockpickle report</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape_html(title)}</h1>",
        f'<div class="meta">{source_text}{made} · {escape_html(version_text)}</div>',
        f'<p class="chips">{chips}</p>',
        "<h2>Layers and runtime objects</h2>",
        "<table><tr><th>Name</th><th>Class</th><th>Output shape</th><th>Params</th>"
        "<th>Locks</th><th>Snapshot</th></tr>",
        *_tree_rows(tree),
        "</table>",
        f"<h2>Lock-like objects ({len(annotation_rows)})</h2>",
    ]
    if annotation_rows:
        parts += [
            "<table><tr><th>Path</th><th>Kind</th><th>State</th><th>Held</th><th>Snapshot</th>"
            "<th>Detail</th></tr>",
            *annotation_rows,
            "</table>",
        ]
    else:
        parts.append("<p>None: plain pickle-friendly state.</p>")
    if image:
        parts.append(
            f'<h2>View</h2><img src="{escape_html(image)}" alt="the tree as shown" '
            'style="max-width:100%;border:1px solid #ddd">'
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(
    tree: Node,
    html_path: str | os.PathLike[str],
    *,
    title: str,
    source: str | os.PathLike[str] | None = None,
    png: bytes | None = None,
) -> list[Path]:
    """Write ``<name>.html``, ``<name>.json`` (and ``<name>.png`` when given) atomically.

    Returns the paths written, HTML first.
    """
    html_path = Path(html_path)
    if html_path.suffix.lower() not in (".html", ".htm"):
        html_path = html_path.with_name(html_path.name + ".html")
    json_path = html_path.with_suffix(".json")
    png_path = html_path.with_suffix(".png")
    written = [html_path, json_path]
    if png is not None:
        with atomic_write(png_path) as handle:
            handle.write(png)
        written.append(png_path)
    with atomic_write(json_path, mode="w") as handle:
        handle.write(report_json(tree, title=title, source=source))
    with atomic_write(html_path, mode="w") as handle:
        handle.write(
            report_html(
                tree, title=title, source=source, image=png_path.name if png is not None else None
            )
        )
    return written
