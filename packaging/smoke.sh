#!/usr/bin/env bash
# Smoke-test the built bundle (after `make package`): it must start, report its version,
# open a demo project offscreen and write a screenshot. No display needed.
set -euo pipefail
cd "$(dirname "$0")/.."
APP="${1:-dist/lockpickle-gui/lockpickle-gui}"
if [ ! -x "$APP" ]; then
  echo "smoke.sh: $APP not found. Build it first: make package" >&2
  exit 2
fi
export QT_QPA_PLATFORM=offscreen TF_CPP_MIN_LOG_LEVEL=2
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
# The demo comes from the bundle itself, so this also checks the resources were packed.
DEMO="${DEMO:-$(dirname "$APP")/_internal/resources/examples/anomaly_service}"

version="$("$APP" --version)"
case "$version" in
  *[0-9].[0-9]*) echo "smoke.sh: --version ok: $version" ;;
  *) echo "smoke.sh: --version printed no version number: '$version'" >&2; exit 1 ;;
esac

start=$(date +%s)
"$APP" --screenshot "$OUT/main.png" "$DEMO"
if [ ! -s "$OUT/main.png" ] || [ "$(head -c 8 "$OUT/main.png" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]; then
  echo "smoke.sh: --screenshot did not write a PNG to $OUT/main.png" >&2
  exit 1
fi
echo "smoke.sh: --screenshot ok: $(stat -c %s "$OUT/main.png") bytes in $(( $(date +%s) - start ))s ($DEMO)"
# The Graph tab's layout worker: the bundle runs itself with --layout-worker (pygraphviz inside).
layout="$(echo '{"nodes": {"a": [80, 30], "b": [80, 30]}, "edges": [["a", "b"]], "clusters": {}}' \
  | "$APP" --layout-worker)"
case "$layout" in
  *'"bbox"'*) echo "smoke.sh: --layout-worker ok" ;;
  *) echo "smoke.sh: --layout-worker gave no layout: '$layout'" >&2; exit 1 ;;
esac

# On a real X11 display too when Xvfb is here: offscreen hid a crash in Qt's xcb plugin once
# (a wheel's vendored libxcb loaded into the GUI process by a PyInstaller runtime hook).
if command -v Xvfb >/dev/null; then
  display=":$(( 90 + RANDOM % 400 ))"
  Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
  xvfb_pid=$!
  trap 'kill "$xvfb_pid" 2>/dev/null; rm -rf "$OUT"' EXIT
  sleep 1
  DISPLAY="$display" QT_QPA_PLATFORM=xcb "$APP" --screenshot "$OUT/x11.png" "$DEMO"
  echo "smoke.sh: --screenshot on X11 ($display) ok"
fi
echo "smoke.sh: all checks passed"
