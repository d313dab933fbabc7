#!/usr/bin/env bash
# install_deps.sh — install the Debian packages the build needs, only when missing.
#
#   data_tools/install_deps.sh          install what is missing (apt-get; sudo when not root)
#   data_tools/install_deps.sh --check  exit 0 when everything is present, 1 otherwise (installs nothing)
#   data_tools/install_deps.sh --bench  also the baselines of `make bench`: libopenblas-dev (OpenBLAS's
#                                       matmul) and python3-torch (PyTorch's models), best effort: when
#                                       they cannot be installed, the benchmarks print our numbers only
#   data_tools/install_deps.sh --fuzz   also clang and its libFuzzer runtime (clang, libclang-rt-dev), for `make fuzz`
#
# doctest-dev            the test framework (header only)
# libstb-dev             stb_image_write / stb_image, for PNG figures
# zlib1g-dev             gzip, for the IDX .gz files
# dataset-fashion-mnist  Fashion-MNIST, the image data every fresh clone can use
set -euo pipefail

declare -A need=(
  [doctest-dev]=/usr/include/doctest/doctest.h
  [libstb-dev]=/usr/include/stb/stb_image_write.h
  [zlib1g-dev]=/usr/include/zlib.h
  [dataset-fashion-mnist]=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
)
tools=(cmake g++ make)

if [ "${1:-}" = --fuzz ]; then
  "$0" --check >/dev/null 2>&1 || "$0" || exit 1
  want=()
  command -v clang++ >/dev/null || want+=(clang)
  ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
    ls /usr/lib/llvm-*/lib/clang/*/lib/*/libclang_rt.fuzzer*.a >/dev/null 2>&1 || want+=(libclang-rt-dev)
  [ ${#want[@]} -eq 0 ] && exit 0
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=$(command -v sudo || true)
  if ! command -v apt-get >/dev/null || { [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; }; then
    echo "install_deps: make fuzz needs ${want[*]} (Debian names); install them and run it again" >&2
    exit 1
  fi
  echo "install_deps: installing the fuzzers' compiler: ${want[*]}"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${want[@]}"
  exit
fi

if [ "${1:-}" = --bench ]; then
  "$0" --check >/dev/null 2>&1 || "$0"
  want=()
  [ -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || [ -e /usr/include/openblas/cblas.h ] ||
    ls /usr/include/*/openblas*/cblas.h >/dev/null 2>&1 || want+=(libopenblas-dev)
  /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || want+=(python3-torch)
  [ ${#want[@]} -eq 0 ] && exit 0
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=$(command -v sudo || true)
  if command -v apt-get >/dev/null && { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }; then
    echo "install_deps: installing the benchmarks' baselines: ${want[*]}"
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${want[@]}"; } ||
      echo "install_deps: could not install ${want[*]}; the benchmarks will print our numbers only"
  else
    echo "install_deps: ${want[*]} not installed (no apt-get or no root); the benchmarks will print our numbers only"
  fi
  exit 0
fi

missing=()
for pkg in "${!need[@]}"; do [ -e "${need[$pkg]}" ] || missing+=("$pkg"); done
for t in "${tools[@]}"; do command -v "$t" >/dev/null || missing+=("$([ "$t" = g++ ] && echo g++ || echo "$t")"); done

if [ ${#missing[@]} -eq 0 ]; then
  [ "${1:-}" = --check ] || echo "install_deps: everything is installed"
  exit 0
fi
if [ "${1:-}" = --check ]; then
  echo "install_deps: missing: ${missing[*]}"
  exit 1
fi

if ! command -v apt-get >/dev/null; then
  echo "install_deps: this is not a Debian-like system (no apt-get)." >&2
  echo "Install these yourself (Debian names): ${missing[*]}" >&2
  echo "  doctest: https://github.com/doctest/doctest (header doctest/doctest.h on the include path)" >&2
  echo "  stb: stb_image_write.h and stb_image.h under an include directory named stb/" >&2
  echo "  zlib development headers; Fashion-MNIST IDX files in /usr/share/datasets/fashion-mnist/" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "install_deps: need root to run: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
echo "install_deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
