# What the demo and the end-to-end tests need beyond .venv's test pins; sourced by
# scripts/develop and scripts/test after scripts/_env.sh (which sets ROOT and VENV).
# Not ffmpeg: only text-to-speech uses it (the demo's Assist pipelines load it and log
# that it is missing); the frontend, typed Assist and the tests do not need it.

E2E_REQUIREMENTS="$ROOT/tests/e2e/requirements.txt"

# Home Assistant's frontend package, once per .venv and version: a marker in .venv
# holds the hash of the requirements file (a rebuilt .venv loses it, and gets it again).
ensure_e2e_packages() {
  local wanted have=""
  wanted="$(sha256sum "$E2E_REQUIREMENTS" | cut -d' ' -f1)"
  [ -f "$VENV/.e2e-requirements-hash" ] && have="$(cat "$VENV/.e2e-requirements-hash")"
  if [ "$have" != "$wanted" ]; then
    echo "Installing Home Assistant's frontend into $VENV ..." >&2
    "$VENV/bin/python" -m pip install --quiet -r "$E2E_REQUIREMENTS" >&2
    echo "$wanted" > "$VENV/.e2e-requirements-hash"
  fi
}

# Chromium for the end-to-end browser check: Debian's package, installed when missing
# and we are root. Without it the browser check skips and says why.
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: chromium is not installed and cannot be installed here (needs root and apt-get);" \
      "the end-to-end browser check will be skipped." >&2
    return 0
  fi
  echo "Installing chromium for the end-to-end browser check ..." >&2
  local log
  log="$(mktemp)"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
    echo "note: installing chromium failed; the end-to-end browser check will be skipped:" >&2
    tail -n 20 "$log" >&2
  fi
  rm -f "$log"
}
