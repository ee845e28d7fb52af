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

# Which Home Assistant the environment is for; scripts/setup, scripts/test and scripts/develop take
# it as --ha. "pinned": requirements_test.txt with the lint tools. "oldest":
# requirements_test_oldest.txt, the oldest release the integration supports. A release such as
# 2026.11.0: that Home Assistant alone, with what scripts/develop needs to start it.
HA_TARGET="pinned"
# The newer release that tests/e2e/test_newer_release.py starts, as `scripts/develop --ha` would.
NEWER_HA="2026.11.0"

# Take the value of --ha, or die saying what it takes.
select_ha() {
  case "$1" in
    pinned | oldest) ;;
    *)
      [[ "$1" =~ ^20[0-9]{2}\.[0-9]{1,2}\.[0-9]+(b[0-9]+)?$ ]] ||
        die "--ha takes pinned, oldest or a Home Assistant release such as $NEWER_HA, not '$1'"
      ;;
  esac
  HA_TARGET="$1"
}

# The virtual environment: inside the checkout on a normal machine; inside the cached root
# otherwise, keyed by what it is made of so a fresh clone reuses an identical one.
venv_dir() {
  local name=""
  [ "$HA_TARGET" = pinned ] || name="$HA_TARGET-"
  if [ "$(env_mode)" = host ]; then
    echo "$REPO_ROOT/.venv${name:+-${name%-}}"
  else
    echo "/opt/venvs/$name$(requirements_hash)"
  fi
}

# What the environment is made of: its requirements files, or for a release the recipe of
# scripts/ha_requirements.py and the integration's own requirements.
requirements_hash() {
  (
    cd "$REPO_ROOT" || exit 1
    case "$HA_TARGET" in
      pinned) cat requirements_test.txt requirements_lint.txt 2>/dev/null ;;
      oldest) cat requirements_test_oldest.txt ;;
      *)
        echo "homeassistant==$HA_TARGET"
        cat scripts/ha_requirements.py
        sed -n '/"requirements"/,/]/p' custom_components/pterodactyl/manifest.json
        ;;
    esac
  ) | sha256sum | cut -c1-16
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
  for name in CI PYTEST_ADDOPTS PTERODACTYL_HA_DEVELOP_URL PTERODACTYL_HA_DEVELOP_KEY PTERODACTYL_HA_SCREENSHOTS PTERODACTYL_HA_NEWER_PYTHON TERM; do
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
