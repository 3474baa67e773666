#!/usr/bin/env bash
# The main job on a fresh Debian machine with Swift 6: installs the system libraries if needed, builds the release
# binary, builds a complete ESP32-WROOM-32 AT factory image from Fixtures/ with this tool (partition tables,
# at_customize.bin, BLE services, server certificate/key/CA, factory parameters, merged into one 4 MB image),
# flashes it into an emulated ESP32 (virtual://esp32) with progress, and flashes it again to show the skip.
# Then the emulated chip boots the image and its AT firmware answers: probe, a new BLE service table written
# through AT+SYSFLASH and read back in download mode, and the production-line AT test.
# Outputs go to out/ (out/chip.bin is the emulated chip's flash).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
pkg-config --exists zlib 2>/dev/null || [[ -f /usr/include/zlib.h ]] || missing+=(zlib1g-dev pkg-config)
[[ -f /usr/include/libdeflate.h ]] || missing+=(libdeflate-dev)
[[ -f /usr/include/sqlite3.h ]] || missing+=(libsqlite3-dev)
if ((${#missing[@]})); then
  sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq "${missing[@]}" >&2
fi

swift build -c release --static-swift-stdlib >&2
tool=.build/release/espflash-swift
ex=Fixtures/esp-at/worked-example
in=Fixtures/merge/combine/in
rm -rf out && mkdir -p out
step() { printf '\n== %s\n' "$*"; }

step "partition tables (main table without MD5, as esp-at v2.2+ builds it; at_customize.bin with MD5)"
$tool partition-table Fixtures/partition/at_customize/in/partitions_at_master_esp32.csv -o out/partition-table.bin \
  --disable-md5sum --flash-size 4MB
$tool partition-table $ex/at_customize.csv -o out/at_customize.bin
step "customized partitions"
$tool ble-service build $ex/ble_services.csv -o out/ble_data.bin
$tool pki build -o out/server_cert.bin cert $ex/server.crt
$tool pki build -o out/server_key.bin key $ex/server.key
$tool pki build -o out/server_ca.bin ca $ex/ca.crt
$tool factory-param build --types $ex/factory_param_type.csv --data $ex/factory_param_data.csv \
  --platform PLATFORM_ESP32 --module WROOM-32 -o out/factory_param.bin
$tool pki inspect out/server_cert.bin

step "the app: no esp-at.bin can be fetched here, so this tool writes a valid ESP32 app image as a stand-in"
# Segments, checksum, SHA-256 and an esp_app_desc_t naming esp-at v2.4.0.0; the emulated chip boots it, nothing runs.
$tool image make-app --chip esp32 --project-name esp-at --version v2.4.0.0 --code-size 180K -o out/esp-at.bin
$tool image-info out/esp-at.bin | sed -n '/Application Information/,$p'

step "4 MB factory image, every file checked against both partition tables"
$tool merge-bin --chip esp32 -o out/factory_WROOM-32.bin --pad-to-size 4MB -fm dio -ff 40m -fs 4MB \
  --layout out/partition-table.bin --layout out/at_customize.bin \
  0x1000 Fixtures/images/bootloader_esp32.bin 0x8000 out/partition-table.bin 0xf000 $in/phy_init_data.bin \
  0x10000 $in/ota_data_initial.bin 0x20000 out/at_customize.bin 0x21000 out/ble_data.bin \
  0x24000 out/server_cert.bin 0x26000 out/server_key.bin 0x28000 out/server_ca.bin \
  0x30000 out/factory_param.bin 0x100000 out/esp-at.bin

step "flash it into an emulated ESP32 (virtual://esp32, flash saved to out/chip.bin)"
$tool write-flash -p "virtual://esp32?flash=out/chip.bin" 0x0 out/factory_WROOM-32.bin
step "flash it again: every region already matches, so almost nothing is sent"
$tool write-flash -p "virtual://esp32?flash=out/chip.bin" 0x0 out/factory_WROOM-32.bin
step "the chip guard: an ESP32-S2 app is refused by an ESP32 before any byte is written (exit 2)"
if $tool write-flash -p "virtual://esp32?flash=out/chip.bin" 0x100000 Fixtures/images/esp_idf_blink_esp32s2.bin; then
  echo "the ESP32-S2 app was written: the chip guard failed" >&2; exit 1
else
  echo "refused (exit $?)"
fi
step "board and image facts"
$tool board-info -p "virtual://esp32?flash=out/chip.bin"
cmp out/chip.bin out/factory_WROOM-32.bin && echo "out/chip.bin equals out/factory_WROOM-32.bin byte for byte"

step "the chip boots the image; its AT firmware answers on the AT UART (virtual://esp32 opened for AT)"
$tool at probe -p "virtual://esp32?flash=out/chip.bin"
step "a new BLE service table into ble_data through AT+SYSFLASH (erase, write, read back, compare)"
$tool ble-service build Fixtures/esp-at/ble_data/in/one.csv -o out/ble_data_new.bin
$tool at sysflash erase -p "virtual://esp32?flash=out/chip.bin" ble_data
$tool at sysflash write -p "virtual://esp32?flash=out/chip.bin" ble_data out/ble_data_new.bin
step "read back in download mode"
$tool read-flash -p "virtual://esp32?flash=out/chip.bin" 0x21000 0x3000 out/ble_back.bin
$tool ble-service inspect out/ble_back.bin
step "the production-line AT test"
$tool at test -p "virtual://esp32?flash=out/chip.bin" --layout out/at_customize.bin --expect-mac 24:0a:c4:5e:00:01

step "a production station: four virtual modules on two line ports, each with its own unit (serial, SSID, factory_param)"
# The same factory image, plus per-module values: units.csv rows become an NVS image at the nvs partition and
# factory_param overrides; each module's flash is kept as out/station/modules/MAC.bin.
rm -rf out/station && mkdir -p out/station/modules
scripts/station-inputs.sh "$tool" out/station 6 'station = "demo-line"'
cp out/factory_WROOM-32.bin out/station/factory_WROOM-32.bin
cat >> out/station/recipe.toml <<'TOML'

[[port]]
path = "virtual://esp32?line=1&flash-dir=modules"

[[port]]
path = "virtual://esp32?line=2&flash-dir=modules"
TOML
$tool station run out/station/recipe.toml --modules 4 --operator demo
step "the station's report: yield per stage, then the records as JSON"
$tool station report --db out/station/station.db
$tool station report --db out/station/station.db --json | head -40
step "one module's flash: its factory_param and NVS carry its own unit"
mac=$(ls out/station/modules | head -1)
echo "module $mac:"
dd if=out/station/modules/$mac of=out/station/factory_param.bin bs=4096 skip=48 count=1 status=none
$tool factory-param inspect out/station/factory_param.bin | grep -E "tx_max_power|module_name"
dd if=out/station/modules/$mac of=out/station/nvs.bin bs=4096 skip=18 count=14 status=none
$tool nvs inspect out/station/nvs.bin | grep -E "serial|ssid"
