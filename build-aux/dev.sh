#!/usr/bin/env bash
# Afnio Studio developer entry point.
#   build-aux/dev.sh run    install what is missing, build, open the app on its demo
#   build-aux/dev.sh test   install what is missing, build plain and with
#                           ASan+UBSan (warnings are errors), run every test
#   build-aux/dev.sh bench  build optimised and run the benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD

# Debian 12 packages the project needs to build, test and run.
PACKAGES=(
  meson ninja-build pkg-config gcc clang libclang-rt-14-dev llvm
  libglib2.0-dev libglib2.0-bin libgtk-4-dev libadwaita-1-dev libjson-glib-dev
  libcurl4-openssl-dev libzip-dev libsoup-3.0-dev libsecret-1-dev
  libcairo2-dev libx11-dev libxext-dev
  gettext desktop-file-utils appstream xvfb xauth imagemagick dbus-x11
  adwaita-icon-theme python3 ca-certificates
)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing missing packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

setup() { # setup DIR [meson options...]
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}

cmd=${1:-}
case "$cmd" in
  run)
    install_missing
    setup _build/plain
    ninja -C _build/plain
    exec _build/plain/src/studio/afnio-studio --demo
    ;;
  test)
    install_missing
    setup _build/plain --werror
    ninja -C _build/plain
    meson test -C _build/plain --print-errorlogs --num-processes 2
    setup _build/asan --werror -Db_sanitize=address,undefined -Db_lundef=false
    ninja -C _build/asan
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      LSAN_OPTIONS=suppressions=$SRC/build-aux/lsan.supp \
      meson test -C _build/asan --print-errorlogs --num-processes 2 --timeout-multiplier 4
    if [ -x build-aux/fuzz.sh ]; then build-aux/fuzz.sh; fi
    ;;
  bench)
    install_missing
    setup _build/release --buildtype=release
    ninja -C _build/release
    meson test -C _build/release --benchmark --verbose
    ;;
  *)
    echo "usage: $0 run|test|bench" >&2
    exit 2
    ;;
esac
