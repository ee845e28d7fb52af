# shellcheck shell=bash
# Shared by scripts/setup, scripts/test, scripts/lint and scripts/develop: where Python 3.14 lives
# and how to run a command with it. Sourced, never executed.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MIN_PYTHON="3.14.2"
# Bump when the provisioned root needs different packages: every cached root is then rebuilt.
ROOT_RECIPE="forky-python3.14-r1"
ROOT_PACKAGES="python3.14,python3.14-venv,ca-certificates"
# Added to an existing root in place (no rebuild): a compiler for the Home Assistant requirements
# that have no Python 3.14 wheel (pymicro-vad, pyspeex-noise), and chromium for the browser test.
ROOT_EXTRA_PACKAGES="g++ python3.14-dev chromium fonts-liberation"
CACHE_DIR="${PTERODACTYL_HA_CACHE:-/var/cache/pterodactyl-ha}"
PY_ROOT="$CACHE_DIR/py314-root"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# A Python >= MIN_PYTHON on PATH, printed as a path, or nothing.
host_python() {
  local candidate
  for candidate in python3.14 python3.15 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c "import sys; sys.exit(sys.version_info < (3, 14, 2))" 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# "host" when a suitable Python is on PATH (or forced by PTERODACTYL_HA_MODE), else "chroot".
env_mode() {
  if [ -n "${PTERODACTYL_HA_MODE:-}" ]; then
    echo "$PTERODACTYL_HA_MODE"
  elif host_python >/dev/null; then
    echo host
  else
    echo chroot
  fi
}

# The virtual environment: inside the checkout on a normal machine; inside the cached root
# otherwise, keyed by the requirements so a fresh clone reuses an identical one.
venv_dir() {
  if [ "$(env_mode)" = host ]; then
    echo "$REPO_ROOT/.venv"
  else
    echo "/opt/venvs/$(requirements_hash)"
  fi
}

requirements_hash() {
  cat "$REPO_ROOT/requirements_test.txt" "$REPO_ROOT/requirements_lint.txt" 2>/dev/null |
    sha256sum | cut -c1-16
}

# Run a command with the project's environment, the checkout as working directory.
# In chroot mode the checkout is bind-mounted at the same path inside the provisioned root,
# under a private mount namespace so nothing leaks to the host, with a clean environment.
in_env() {
  local venv
  venv="$(venv_dir)"
  if [ "$(env_mode)" = host ]; then
    (cd "$REPO_ROOT" && PATH="$venv/bin:$PATH" "$@")
    return
  fi
  local passthrough=()
  local name
  for name in CI PYTEST_ADDOPTS PTERODACTYL_HA_DEVELOP_URL PTERODACTYL_HA_DEVELOP_KEY PTERODACTYL_HA_SCREENSHOTS TERM; do
    if [ -n "${!name:-}" ]; then passthrough+=("$name=${!name}"); fi
  done
  unshare --mount --propagation private -- /bin/bash -c '
    set -e
    root="$1"; repo="$2"; shift 2
    mount --bind /proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --rbind /sys "$root/sys"
    mkdir -p "$root$repo"
    mount --bind "$repo" "$root$repo"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    exec chroot "$root" "$@"
  ' in_env "$PY_ROOT" "$REPO_ROOT" \
    env -i HOME=/root LANG=C.UTF-8 PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" \
    "${passthrough[@]}" \
    /bin/sh -c 'cd "$0" && exec "$@"' "$REPO_ROOT" "$@"
}
