#!/usr/bin/env bash
# Creates (once) the virtualenv the differential and conformance tests run the original tools from:
# esptool, esp-idf-nvs-partition-gen and esp32-mock-bootloader, at the versions the project is compatible with,
# and Adafruit's ESP_ATcontrol (adafruit-circuitpython-esp-atcontrol, with pyserial), an AT client nobody here
# wrote, which the AT tests run against the emulated AT firmware.
# Prints the venv path. Usage: scripts/python-env.sh [VENV_DIR]   (default: .build/venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$root/.build/venv}
stamp=$venv/.espflash-tools-v2
if [[ ! -f $stamp ]]; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    esptool==5.6.0 esp-idf-nvs-partition-gen==0.3.0 esp32-mock-bootloader==0.3.0 \
    adafruit-circuitpython-esp-atcontrol==0.11.7 pyserial==3.5 >&2
  touch "$stamp"
fi
echo "$venv"
