#!/usr/bin/env bash
# Linux desktop integration: menu entry, icons (hicolor), MIME types, AppStream metainfo.
#
#   packaging/install-linux.sh [--prefix DIR] [--exec COMMAND] [--uninstall]
#
# --prefix   where to install (default ~/.local, i.e. ~/.local/share/applications ...)
# --exec     the command the menu entry starts (default: the bundle in dist/ if built, else
#            lockpickle-gui on PATH, else this checkout's .venv/bin/lockpickle-gui)
# Nothing here needs root unless --prefix points somewhere that does.
set -euo pipefail
cd "$(dirname "$0")/.."

APP_ID=io.github.lockpickle.LockpickleGui
PREFIX="${HOME}/.local"
EXEC=""
UNINSTALL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="$2"; shift 2 ;;
    --exec) EXEC="$2"; shift 2 ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install-linux.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
SHARE="$PREFIX/share"
SIZES="16 24 32 48 64 128 256 512"   # the SIZES of packaging/make_icons.py

refresh_caches() {
  # Each cache tool is optional: desktops fall back to scanning the folders.
  if command -v update-mime-database >/dev/null; then update-mime-database "$SHARE/mime"; fi
  if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$SHARE/applications" || true  # only a cache; never fatal
  fi
  if command -v gtk-update-icon-cache >/dev/null && [ -f "$SHARE/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
  fi
}

if [ "$UNINSTALL" = 1 ]; then
  rm -f "$SHARE/applications/$APP_ID.desktop" "$SHARE/metainfo/$APP_ID.metainfo.xml" \
        "$SHARE/mime/packages/$APP_ID.xml" "$SHARE/icons/hicolor/scalable/apps/$APP_ID.svg"
  for size in $SIZES; do rm -f "$SHARE/icons/hicolor/${size}x${size}/apps/$APP_ID.png"; done
  mkdir -p "$SHARE/mime/packages" "$SHARE/applications"
  refresh_caches
  echo "Removed $APP_ID from $PREFIX"
  exit 0
fi

if [ -z "$EXEC" ]; then
  if [ -x dist/lockpickle-gui/lockpickle-gui ]; then EXEC="$PWD/dist/lockpickle-gui/lockpickle-gui"
  elif command -v lockpickle-gui >/dev/null; then EXEC="lockpickle-gui"
  elif [ -x .venv/bin/lockpickle-gui ]; then EXEC="$PWD/.venv/bin/lockpickle-gui"
  else
    echo "install-linux.sh: no lockpickle-gui found. Build the bundle (make package), install" \
         "the app (pip install .), or pass --exec COMMAND." >&2
    exit 2
  fi
fi

PYTHON=python3
if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; fi
ICONS="$(mktemp -d)"
trap 'rm -rf "$ICONS"' EXIT
"$PYTHON" packaging/make_icons.py --out "$ICONS" >/dev/null

for size in $SIZES; do
  install -D -m 644 "$ICONS/hicolor/${size}x${size}/apps/$APP_ID.png" \
    "$SHARE/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
install -D -m 644 resources/icons/lockpickle.svg "$SHARE/icons/hicolor/scalable/apps/$APP_ID.svg"
install -D -m 644 "packaging/linux/$APP_ID.mime.xml" "$SHARE/mime/packages/$APP_ID.xml"
install -D -m 644 "packaging/linux/$APP_ID.metainfo.xml" "$SHARE/metainfo/$APP_ID.metainfo.xml"
# The menu entry starts $EXEC; quote it per the Desktop Entry spec if it has spaces.
case "$EXEC" in *" "*) EXEC_FIELD="\"$EXEC\"" ;; *) EXEC_FIELD="$EXEC" ;; esac
mkdir -p "$SHARE/applications"
sed -e "s|^Exec=.*|Exec=$EXEC_FIELD %f|" -e "s|^TryExec=.*|TryExec=$EXEC|" \
  "packaging/linux/$APP_ID.desktop" > "$SHARE/applications/$APP_ID.desktop.tmp"
mv "$SHARE/applications/$APP_ID.desktop.tmp" "$SHARE/applications/$APP_ID.desktop"
refresh_caches
echo "Installed $APP_ID into $PREFIX (starts: $EXEC)"
