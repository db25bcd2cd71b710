#!/usr/bin/env bash
# Installs everything qcc needs on a fresh Debian bookworm machine, skipping what is present:
# Debian packages, and the pinned Python test tooling in a virtual environment (argument 1,
# default .venv). Called by `make demo` and `make test`; safe to run again.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$here/.venv}
source "$here/cmake/llvm-version.env"

debian_packages=(
  cmake ninja-build ccache pkg-config python3-venv
  "llvm-${QCC_LLVM_MAJOR}-dev" "llvm-${QCC_LLVM_MAJOR}-tools"
  "libmlir-${QCC_LLVM_MAJOR}-dev" "mlir-${QCC_LLVM_MAJOR}-tools"
  libprotobuf-dev protobuf-compiler libonnx-dev
  libfmt-dev libgtest-dev libgmock-dev libopenblas-dev liblapacke-dev libzip-dev zlib1g-dev libzstd-dev
  # Libraries that the exported LLVM/MLIR CMake targets link against.
  libedit-dev libcurl4-openssl-dev libxml2-dev
)

missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

requirements="$here/scripts/requirements.txt"
if [ ! -x "$venv/bin/python3" ]; then
  echo "setup: creating the Python environment $venv"
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python3" "$here/scripts/check_requirements.py" "$requirements"; then
  echo "setup: installing Python test tooling from $requirements"
  "$venv/bin/python3" -m pip install -q --disable-pip-version-check -r "$requirements"
fi
