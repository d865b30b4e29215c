#!/usr/bin/env bash
# Set up everything mlanim needs, from a bare clone: system libraries for manim (cairo, pango),
# a .venv, the CPU build of torch (pinned, installed first), then the package with its dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(libcairo2-dev libpango1.0-dev pkg-config python3-venv fonts-dejavu-core)

have_system_libs() {
  command -v pkg-config >/dev/null 2>&1 && pkg-config --exists cairo pangocairo
}

install_system_libs() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "mlanim setup: cairo and pango development files are missing, and this is not a Debian/Ubuntu" >&2
    echo "system. Install cairo, pango and pkg-config with your package manager, then run make again." >&2
    exit 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "mlanim setup: installing ${SYSTEM_PACKAGES[*]} with apt-get" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${SYSTEM_PACKAGES[@]}" >/dev/null
}

have_system_libs && python3 -m venv --help >/dev/null 2>&1 || install_system_libs

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv || { install_system_libs; python3 -m venv .venv; }
fi
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
"${PIP[@]}" --upgrade pip
# The pinned torch is the CPU build; an unpinned torch would pull a multi-GB CUDA build.
"${PIP[@]}" "torch==2.13.0"
"${PIP[@]}" -e ".[all,dev]"
echo "mlanim setup: ready (.venv)" >&2
