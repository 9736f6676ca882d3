"""Render the app icon (resources/icons/lockpickle.svg) to every raster format we ship.

    python packaging/make_icons.py [--out build/icons]

Writes, under --out:
  hicolor/<N>x<N>/apps/<APP_ID>.png   for N in SIZES (freedesktop icon theme layout)
  hicolor/scalable/apps/<APP_ID>.svg  the SVG source itself
  lockpickle.ico                      Windows: PNG-compressed entries 16..256 px
  lockpickle.icns                     macOS: PNG entries 16..1024 px (incl. @2x)

Rasterising uses Qt's own SVG renderer (PySide6 is already a dependency) on an offscreen
QImage, and the ICO/ICNS containers are written by the two small functions below, so
nothing else needs installing. The output is build output: never commit it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
from pathlib import Path

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest an ICO entry can say
# ICNS entry types that hold PNG data, by pixel size (retina @2x entries share pixel sizes).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)

REPO = Path(__file__).resolve().parent.parent


def render_pngs(svg: Path, sizes) -> dict[int, bytes]:
    """PNG bytes of ``svg`` rendered at each size (square, transparent background)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # fonts, image plugins
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: expected a valid SVG. Received: {svg} does not parse.")
    pngs = {}
    for size in sorted(set(sizes)):
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):
            raise SystemExit(f"make_icons: Qt could not encode a {size}px PNG.")
        buffer.close()
        pngs[size] = bytes(data.data())
    return pngs


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding PNG-compressed images (supported since Windows Vista)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, count
    offset = 6 + 16 * len(sizes)
    directory, blobs = b"", b""
    for size in sizes:
        png = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256 in the ICO directory
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + directory + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns: big-endian (type, length) chunks, each holding one PNG."""
    chunks = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks


def write_file(path: Path, data: bytes) -> None:
    """Write via a temp file + rename, so an interrupted run never leaves a half icon."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def make_icons(out: Path) -> list[Path]:
    sys.path.insert(0, str(REPO))  # run from a checkout without installing
    from lockpickle_gui.resources import APP_ID, app_icon_path

    svg = app_icon_path()
    needed = set(SIZES) | set(ICO_SIZES) | {size for _, size in ICNS_TYPES}
    pngs = render_pngs(svg, needed)
    written = []
    for size in SIZES:
        path = out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        write_file(path, pngs[size])
        written.append(path)
    scalable = out / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    written.append(scalable)
    for name, data in (
        ("lockpickle.ico", ico_bytes({s: pngs[s] for s in ICO_SIZES})),
        ("lockpickle.icns", icns_bytes(pngs)),
    ):
        write_file(out / name, data)
        written.append(out / name)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "build" / "icons",
        help="output folder (default: build/icons)",
    )
    args = parser.parse_args(argv)
    written = make_icons(args.out.resolve())
    total = sum(path.stat().st_size for path in written)
    print(f"make_icons: {len(written)} files, {total / 1024:.0f} KiB in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
