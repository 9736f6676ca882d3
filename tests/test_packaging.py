"""Packaging and desktop integration: icons, resources lookup, .desktop, MIME, AppStream, spec.

The bundle build itself (`make package && packaging/smoke.sh`) is too slow for `make test`;
these tests check everything it is made of. The two validators are system tools (Debian
packages desktop-file-utils and appstream, installed by .ci/run): without them the test is
skipped on a developer machine and fails on CI (CI=true).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lockpickle_gui import resources

REPO = Path(__file__).resolve().parent.parent
PACKAGING = REPO / "packaging"
LINUX = PACKAGING / "linux"
APP_ID = resources.APP_ID
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
MIME_XML = LINUX / f"{APP_ID}.mime.xml"
SPEC = PACKAGING / "lockpickle-gui.spec"
MIME_TYPES = {"application/x-lockpickle-snapshot": "*.lpsnap", "application/x-keras": "*.keras"}
# Icons promised to the GUI engineers: names must stay stable.
STABLE_ICONS = [
    "lockpickle",
    "lock-recreate",
    "lock-keep",
    "lock-handled",
    "lock-held",
    "lock-block",
    "model",
    "layer",
    "object",
]


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (Debian: see .ci/run for the package)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI must install it", pytrace=False)
    pytest.skip(message)


def load_make_icons():
    spec = importlib.util.spec_from_file_location("make_icons", PACKAGING / "make_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # cheap: Qt is imported only when rendering
    return module


def desktop_entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(
        line.split("=", 1) for line in lines[1:] if "=" in line and not line.startswith("#")
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


# --- the resources module ---------------------------------------------------------------


def test_resources_found_from_any_working_directory(tmp_path):
    code = (
        "import sys; from lockpickle_gui import resources as r; "
        "print(r.resources_dir()); print(r.app_icon_path()); print(r.examples_dir()); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'numpy', 'tensorflow', 'keras')))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    folder, icon, examples, heavy = out
    assert Path(folder).is_absolute() and Path(folder) == REPO / "resources"
    assert Path(icon).is_file() and Path(icon).name == "lockpickle.svg"
    assert Path(examples) == Path(folder) / "examples"
    assert heavy == "[]", "lockpickle_gui.resources must not import Qt, NumPy or TensorFlow"


def test_icon_path_accepts_names_with_or_without_suffix():
    assert resources.icon_path("lock-held") == resources.icon_path("lock-held.svg")
    assert resources.app_icon_path() == resources.resources_dir() / "icons" / "lockpickle.svg"


def test_missing_icon_error_names_the_file_and_the_choices():
    with pytest.raises(resources.LockpickleError) as caught:
        resources.icon_path("lock-nonexistent")
    message = str(caught.value)
    assert "lock-nonexistent.svg" in message and "lock-held.svg" in message
    assert caught.value.path.endswith("lock-nonexistent.svg")


@pytest.mark.parametrize("name", STABLE_ICONS)
def test_stable_icons_are_valid_svg(name):
    root = ET.parse(resources.icon_path(name)).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")


def test_every_icon_the_gui_draws_exists():
    """badges.py draws lock badges by level, node icons by role and the app icon, by name
    (a missing file would show a plain dot)."""
    from lockpickle_gui.core.inspect.report import LEVELS
    from lockpickle_gui.gui.badges import ROLE_ICONS

    names = {f"lock-{level}" for level in LEVELS} | set(ROLE_ICONS.values())
    names |= {"object", resources.APP_ICON.removesuffix(".svg")}  # role_icon's default, the app
    for name in sorted(names):
        assert resources.icon_path(name).is_file(), name


def test_lock_badge_colours_match_the_icons():
    from lockpickle_gui.core.inspect.report import LEVEL_COLOURS

    for level, colour in LEVEL_COLOURS.items():
        svg = resources.icon_path(f"lock-{level}").read_text(encoding="utf-8")
        assert f'fill="{colour}"' in svg, f"lock-{level}.svg body is not {colour}"


# --- generated icons --------------------------------------------------------------------


def test_make_icons_writes_every_declared_size(tmp_path):
    make_icons = load_make_icons()
    subprocess.run(
        [sys.executable, str(PACKAGING / "make_icons.py"), "--out", str(tmp_path)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert 16 in make_icons.SIZES and 512 in make_icons.SIZES
    for size in make_icons.SIZES:
        png = tmp_path / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert png_size(png) == (size, size)
    assert (tmp_path / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()

    ico = (tmp_path / "lockpickle.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind, count) == (0, 1, len(make_icons.ICO_SIZES))
    for index, size in enumerate(sorted(make_icons.ICO_SIZES)):
        width, _, _, _, _, _, length, offset = struct.unpack(
            "<BBBBHHII", ico[6 + 16 * index : 22 + 16 * index]
        )
        assert (width or 256) == size
        assert ico[offset : offset + 8] == b"\x89PNG\r\n\x1a\n" and offset + length <= len(ico)

    icns = (tmp_path / "lockpickle.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    kinds, position = [], 8
    while position < len(icns):
        kind, length = (
            icns[position : position + 4],
            struct.unpack(">I", icns[position + 4 : position + 8])[0],
        )
        assert icns[position + 8 : position + 16] == b"\x89PNG\r\n\x1a\n"
        kinds.append(kind)
        position += length
    assert position == len(icns) and kinds == [kind for kind, _ in make_icons.ICNS_TYPES]


# --- Linux desktop files ----------------------------------------------------------------


def test_desktop_file_passes_desktop_file_validate():
    tool = require_tool("desktop-file-validate")
    result = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in (result.stdout + result.stderr).lower()


def test_metainfo_passes_appstreamcli_validate():
    tool = require_tool("appstreamcli")
    result = subprocess.run(
        [tool, "validate", "--no-net", "--explain", str(METAINFO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_application_id_everywhere():
    entry = desktop_entry(DESKTOP)
    assert entry["Icon"] == APP_ID
    assert set(filter(None, entry["MimeType"].split(";"))) == set(MIME_TYPES)
    assert entry["Exec"].startswith("lockpickle-gui ")

    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == DESKTOP.name
    assert {m.text for m in component.iter("mediatype")} == set(MIME_TYPES)
    assert component.find("releases/release").get("version") == _project_version()
    screenshot = component.findtext("screenshots/screenshot/image")
    assert screenshot.endswith("docs/screenshots/main.png")

    spec_text = SPEC.read_text(encoding="utf-8")
    assert f'APP_ID = "{APP_ID}"' in spec_text
    assert f"APP_ID={APP_ID}" in (PACKAGING / "install-linux.sh").read_text(encoding="utf-8")


def _project_version() -> str:
    from lockpickle_gui import __version__

    return __version__


def test_the_gui_sets_the_same_desktop_file_name():
    from lockpickle_gui.gui.app import make_application

    assert make_application().desktopFileName() == APP_ID


def test_mime_xml_declares_both_types_as_zip_subclasses():
    namespace = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    declared = {}
    for mime in ET.parse(MIME_XML).getroot().findall("m:mime-type", namespace):
        declared[mime.get("type")] = mime.find("m:glob", namespace).get("pattern")
        assert mime.find("m:sub-class-of", namespace).get("type") == "application/zip"
        assert mime.findtext("m:comment", namespaces=namespace)
    assert declared == MIME_TYPES


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktop integration")
def test_install_linux_into_a_prefix_and_uninstall(tmp_path):
    prefix = tmp_path / "prefix"
    run = [str(PACKAGING / "install-linux.sh"), "--prefix", str(prefix)]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run(
        [*run, "--exec", "/opt/Lockpickle App/lockpickle-gui"],
        check=True,
        capture_output=True,
        env=env,
    )
    share = prefix / "share"
    for size in load_make_icons().SIZES:
        assert png_size(share / f"icons/hicolor/{size}x{size}/apps/{APP_ID}.png") == (size, size)
    installed = share / "applications" / f"{APP_ID}.desktop"
    assert desktop_entry(installed)["Exec"] == '"/opt/Lockpickle App/lockpickle-gui" %f'
    assert (share / "metainfo" / METAINFO.name).is_file()
    assert (share / "mime" / "packages" / f"{APP_ID}.xml").is_file()
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(installed)], check=True, capture_output=True)
    if shutil.which("update-mime-database"):  # the database was rebuilt with our globs
        globs = (share / "mime" / "globs2").read_text(encoding="utf-8")
        assert "application/x-lockpickle-snapshot:*.lpsnap" in globs

    subprocess.run([*run, "--uninstall"], check=True, capture_output=True, env=env)
    assert not installed.exists() and not list(share.glob("icons/hicolor/*/apps/*"))


# --- the PyInstaller spec and the wheel ---------------------------------------------------


def _spec_list(name: str) -> list[str]:
    for node in ast.walk(ast.parse(SPEC.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{SPEC.name} has no {name} = [...]")


def test_spec_names_every_resource_folder():
    folders = {
        p.name
        for p in (REPO / "resources").iterdir()
        if p.is_dir() and not p.name.startswith((".", "__"))
    }
    assert set(_spec_list("RESOURCE_FOLDERS")) == folders


def test_spec_bundles_the_app_entry_point_and_keeps_qtcharts():
    launcher = (PACKAGING / "launcher.py").read_text(encoding="utf-8")
    assert "from lockpickle_gui.gui.app import main" in launcher
    qt_keep = set(
        ast.literal_eval(re.search(r"QT_KEEP = (\{.*?\})", SPEC.read_text(), re.S).group(1))
    )
    assert {"QtCore", "QtGui", "QtWidgets", "QtCharts", "QtSvg"} <= qt_keep


@pytest.mark.slow
def test_a_built_wheel_carries_the_resources(tmp_path):
    """A non-editable install (a wheel) finds its icons as package data."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(REPO / "lockpickle_gui", source / "lockpickle_gui", ignore=ignore)
    shutil.copytree(REPO / "resources", source / "resources", ignore=ignore)
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "-w",
            str(wheels),
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0 and "Could not find a version" in build.stderr:
        pytest.skip("no package index to fetch the build backend from")  # offline machine
    assert build.returncode == 0, build.stderr
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(target),
            *map(str, wheels.glob("*.whl")),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from lockpickle_gui import resources as r; "
        "print(r.resources_dir()); print(r.icon_path('lock-held'))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code, str(target)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert Path(out[0]) == target / "lockpickle_gui" / "_resources"
    assert Path(out[1]).is_file()
