#!/usr/bin/env bash
# Installs the system packages dxdesk needs on Debian/Ubuntu, skipping what is already present.
# Idempotent: safe to run before every `make run` / `make test`.
#
#   pcscd, libpcsclite1      PC/SC daemon that talks to card readers (real or virtual)
#   vsmartcard-vpcd          virtual reader driver: the tests plug a simulated My Number Card into it
#   pcsc-tools, opensc       pcsc_scan / opensc-tool for poking a card by hand (diagnostics)
#   swig, libpcsclite-dev    needed to build pyscard (no Linux wheel on PyPI)
#   fonts-morisawa-bizud-*   BIZ UD Gothic/Mincho (OFL): the bundled UI/form fonts come from here
#   fonts-ipamj-mincho       MJ character set font with rare name kanji (e.g. 𠮷) used as fallback
#   xvfb, xauth              virtual screen for screenshots of real windows
#   poppler-utils, qpdf      pdftoppm/pdffonts/pdftotext to inspect generated PDFs in tests
#   zbar-tools               zbarimg: the tests decode the hand-off QR codes from a 300 dpi rendering
#   postgresql               the central-server sync tests start a throwaway cluster
#   cups-daemon, cups-client, printer-driver-cups-pdf  the print tests start a private cupsd with a
#                            CUPS-PDF queue (tools/cupsd.py) and compare what it captures with the form
#   libegl1, libgl1, libxkbcommon0, libfontconfig1, libdbus-1-3  runtime libraries PySide6 loads
#   build-essential, python3-dev  C compiler and headers (pyscard is built from source)
#   libpulse0, speech-dispatcher(-espeak-ng), espeak-ng  QtTextToSpeech loads (libpulse) and has a voice
#                            for the resident view's read-aloud; sox measures the spoken WAV in tests
#   python3-venv, python3-pip, ca-certificates  so `uv` can be installed and create environments
set -euo pipefail

PACKAGES=(
  pcscd libpcsclite1 libpcsclite-dev swig vsmartcard-vpcd pcsc-tools opensc
  fonts-morisawa-bizud-gothic fonts-morisawa-bizud-mincho fonts-ipamj-mincho
  xvfb xauth poppler-utils qpdf zbar-tools postgresql cups-daemon cups-client printer-driver-cups-pdf
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0
  build-essential python3-dev python3-venv python3-pip ca-certificates
  libpulse0 speech-dispatcher speech-dispatcher-espeak-ng espeak-ng sox
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing system packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "bootstrap: system packages already present"
fi

# uv installs the Python dependencies from the committed uv.lock.
if ! command -v uv >/dev/null 2>&1 && [ ! -x "$HOME/.local/bin/uv" ]; then
  echo "bootstrap: installing uv (Python package manager) with pip"
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet --break-system-packages --user uv
fi
