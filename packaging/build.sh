#!/usr/bin/env bash
# Build the one-folder desktop bundle: dist/lockpickle-gui/ (run via `make package`).
# Slow (several minutes, all cores): PyInstaller analyses TensorFlow and Qt.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
if [ ! -x "$PY" ]; then
  echo "build.sh: $PY not found. Run 'make venv' first (or set PYTHON=...)." >&2
  exit 2
fi
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
  echo "build.sh: installing the 'package' extra (PyInstaller) into the venv"
  "$PY" -m pip install --quiet --disable-pip-version-check -e ".[package]"
fi
start=$(date +%s)
"$PY" packaging/make_icons.py --out build/icons
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"   # hooks import Qt; no display needed
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/lockpickle-gui.spec
seconds=$(( $(date +%s) - start ))
echo "build.sh: dist/lockpickle-gui  size $(du -sh dist/lockpickle-gui | cut -f1)" \
     "($(find dist/lockpickle-gui -type f | wc -l) files)  build time ${seconds}s"
