# Shared by scripts/test, scripts/develop and scripts/bench: find a Python >= 3.13
# and make sure .venv exists and matches requirements_test.txt.
# Sourced, not executed.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQUIREMENTS="$ROOT/requirements_test.txt"

_python_ok() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else 1)' >/dev/null 2>&1
}

find_python() {
  local candidate
  for candidate in python3.14 python3.13; do
    if command -v "$candidate" >/dev/null 2>&1 && _python_ok "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  # pyenv installs are not on PATH unless selected; look for them directly.
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  if command -v pyenv >/dev/null 2>&1; then
    pyenv_root="$(pyenv root)"
  fi
  for candidate in $(ls -d "$pyenv_root"/versions/3.1[3-9]* 2>/dev/null | sort -rV); do
    if [ -x "$candidate/bin/python3" ] && _python_ok "$candidate/bin/python3"; then
      echo "$candidate/bin/python3"
      return 0
    fi
  done
  return 1
}

ensure_venv() {
  local python wanted have=""
  python="$(find_python)" || {
    echo "error: no Python >= 3.13 found (tried python3.14, python3.13 and pyenv)." >&2
    return 1
  }
  wanted="$(cat "$REQUIREMENTS" | sha256sum | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"
  [ -f "$VENV/.requirements-hash" ] && have="$(cat "$VENV/.requirements-hash")"
  if [ ! -x "$VENV/bin/python" ] || [ "$have" != "$wanted" ]; then
    echo "Preparing $VENV with $python ..." >&2
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet -r "$REQUIREMENTS" >&2
    echo "$wanted" > "$VENV/.requirements-hash"
  fi
}
