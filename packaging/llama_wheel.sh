# shellcheck shell=bash
# Sourced by install.sh and build.sh: the one portable llama-cpp-python wheel both install.
#
# Built the way llama.cpp's own releases are: no -march=native (GGML_NATIVE=OFF), the CPU
# code as one loadable library per instruction set (GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS:
# x86-64 from plain SSE2 through SSE4.2, AVX, AVX2, AVX-512 and AMX; on arm64 armv8.0 up to
# armv9.2, so a Raspberry Pi 4 and a Pi 5 run the same build; the variants this machine's
# compiler refuses, like armv9.2 under Debian 12's GCC 12, are left out by
# packaging/arm_variants.py). At run time LocalSight probes
# which variant this CPU really runs (backends/llama_cpp/cpu_variants.py) and loads that one.
# CMAKE_INSTALL_BINDIR puts the variant libraries beside libllama.so inside the wheel (ggml
# installs backend modules to the "bin" folder, which the wheel would put elsewhere).
#
# The wheel is cached under $cache/wheels/llama-cpp-python/ARCH/VERSION-FLAGSHASH/, never in
# pip's own cache: pip's cache key ignores CMAKE_ARGS, so a wheel compiled earlier with other
# flags (a native one) would be reused silently. Compiling takes ~10 min on 2 x86 cores
# (15 CPU variants), 30-50 min on a Raspberry Pi 5; a cached wheel installs in seconds.

LLAMA_CPP_PYTHON_VERSION=${LOCALSIGHT_LLAMA_VERSION:-0.3.36}
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON"
LLAMA_CMAKE_ARGS+=" -DCMAKE_INSTALL_BINDIR=llama_cpp/lib ${LOCALSIGHT_LLAMA_CMAKE_ARGS:-}"
LLAMA_PACKAGING_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# llama_arm_source PYTHON CACHE COMPILER: llama-cpp-python's source unpacked under CACHE,
# without the arm64 CPU variants COMPILER cannot build (Debian 12's GCC 12 refuses
# -march=armv9.2-a, which stopped the whole compile on Raspberry Pi OS Bookworm; no Pi has
# the SME those variants are for). Prints the folder; the kept and dropped variants go to
# stderr. Used here on aarch64 and by arm64-check.sh with the cross compiler.
llama_arm_source() {
  local python=$1 cache=$2 compiler=$3
  local sdists=$cache/sdist/llama-cpp-python-$LLAMA_CPP_PYTHON_VERSION src=$cache/llama-src
  if ! ls "$sdists"/*.tar.gz >/dev/null 2>&1; then
    mkdir -p "$sdists"
    "$python" -m pip download --quiet --no-deps --no-binary llama-cpp-python \
      "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" -d "$sdists" >&2 || return 1
  fi
  rm -rf "$src" && mkdir -p "$src"
  tar -xzf "$(ls "$sdists"/*.tar.gz | head -n 1)" -C "$src" --strip-components=1 || return 1
  "$python" "$LLAMA_PACKAGING_DIR/arm_variants.py" "$src" "$compiler" >&2 || return 1
  echo "$src"
}

# llama_wheel PYTHON CACHE: prints the path of the cached wheel, compiling it first if needed.
# Progress ("compiling llama.cpp [n/total]") goes to stderr; the full log to $cache.
llama_wheel() {
  local python=$1 cache=$2
  local arch flags folder wheel log pip_pid status step="" target
  arch=$(uname -m)
  flags=$(printf %s "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-10)
  folder=$cache/wheels/llama-cpp-python/$arch/$LLAMA_CPP_PYTHON_VERSION-$flags
  wheel=$(ls "$folder"/llama_cpp_python-*.whl 2>/dev/null | head -n 1 || true)
  if [[ -n $wheel ]]; then
    echo "$wheel"
    return 0
  fi
  mkdir -p "$folder"
  log=$cache/llama-wheel.log
  echo "    compiling llama.cpp $LLAMA_CPP_PYTHON_VERSION for every CPU of this kind (once; log: $log)" >&2
  rm -rf "$folder.tmp"
  : >"$log"  # exists before the progress loop first reads it
  target="llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION"
  if [[ $arch == aarch64 ]]; then
    if ! target=$(llama_arm_source "$python" "$cache" "${CC:-cc}" 2>>"$log"); then
      echo "preparing llama-cpp-python's source failed; the last lines of $log:" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    grep '^dropped' "$log" | sed 's/^/    /' >&2 || true
  fi
  CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} CMAKE_ARGS="$LLAMA_CMAKE_ARGS" \
    "$python" -m pip wheel -v --no-deps --no-cache-dir --no-binary llama-cpp-python \
    "$target" -w "$folder.tmp" >>"$log" 2>&1 &
  pip_pid=$!
  while kill -0 "$pip_pid" 2>/dev/null; do
    step=$(grep -oE '^\s*\[[0-9]+/[0-9]+\]' "$log" | tail -n 1 | tr -d ' ' || true)
    [[ -n "$step" ]] && printf '\r    compiling llama.cpp %s ' "$step" >&2
    sleep 3
  done
  status=0
  wait "$pip_pid" || status=$?
  [[ -n "$step" ]] && echo >&2
  if (( status != 0 )); then
    echo "compiling llama-cpp-python failed; the last lines of $log:" >&2
    tail -n 40 "$log" >&2
    return 1
  fi
  wheel=$(ls "$folder.tmp"/llama_cpp_python-*.whl | head -n 1)
  if ! "$python" -c "import sys, zipfile; names = zipfile.ZipFile(sys.argv[1]).namelist(); \
sys.exit(not any('llama_cpp/lib/libggml-cpu-' in n for n in names))" "$wheel"; then
    echo "the llama-cpp-python wheel has no CPU variant libraries; see $log" >&2
    return 1
  fi
  mv "$wheel" "$folder"/ && rm -rf "$folder.tmp" "$cache/llama-src"
  ls "$folder"/llama_cpp_python-*.whl | head -n 1
}

# install_llama_wheel PYTHON WHEEL: installs it unless that very build is installed already.
install_llama_wheel() {
  local python=$1 wheel=$2 stamp
  stamp=$("$python" - <<'EOF' 2>/dev/null || true
import importlib.metadata as m, pathlib
try:
    dist = m.distribution("llama-cpp-python")
except m.PackageNotFoundError:
    raise SystemExit
marker = pathlib.Path(dist.locate_file("llama_cpp/lib/.localsight-wheel"))
print(marker.read_text().strip() if marker.is_file() else "")
EOF
)
  if [[ $stamp == "$(basename "$wheel")-$(stat -c %s "$wheel")" ]]; then
    return 0
  fi
  "$python" -m pip install --quiet --force-reinstall --no-deps "$wheel"
  "$python" - "$wheel" <<'EOF'
import importlib.metadata as m, os, pathlib, sys
wheel = pathlib.Path(sys.argv[1])
marker = pathlib.Path(m.distribution("llama-cpp-python").locate_file("llama_cpp/lib/.localsight-wheel"))
marker.write_text(f"{wheel.name}-{os.path.getsize(wheel)}\n")
EOF
}
