#!/usr/bin/env bash
# Writes a station recipe folder around the demo's ESP32-WROOM-32 factory image: the image (built as scripts/demo.sh
# builds it), a values CSV of N units (serial, SSID, per-module factory_param TX power and module name), the NVS
# template, the factory_param CSVs, and recipe.toml, the recipe that uses them all (each unit's NVS image and
# factory_param, the AT test); each TOP-LEVEL line given (`baud = 921600`) goes into its top level. Used by
# scripts/demo.sh, scripts/bench-station.sh and scripts/bench-line.sh.
#   scripts/station-inputs.sh TOOL OUTDIR UNITS [TOP-LEVEL...]
set -euo pipefail
tool=$1 out=$2 units=$3
shift 3
ex=Fixtures/esp-at/worked-example
in=Fixtures/merge/combine/in
mkdir -p "$out/build"
b=$out/build
$tool partition-table Fixtures/partition/at_customize/in/partitions_at_master_esp32.csv -o $b/partition-table.bin \
  --disable-md5sum --flash-size 4MB >/dev/null
$tool partition-table $ex/at_customize.csv -o $b/at_customize.bin >/dev/null
$tool ble-service build $ex/ble_services.csv -o $b/ble_data.bin >/dev/null
$tool pki build -o $b/server_cert.bin cert $ex/server.crt >/dev/null
$tool pki build -o $b/server_key.bin key $ex/server.key >/dev/null
$tool pki build -o $b/server_ca.bin ca $ex/ca.crt >/dev/null
$tool factory-param build --types $ex/factory_param_type.csv --data $ex/factory_param_data.csv \
  --platform PLATFORM_ESP32 --module WROOM-32 -o $b/factory_param.bin >/dev/null
$tool image make-app --chip esp32 --project-name esp-at --version v2.4.0.0 --code-size 180K -o $b/esp-at.bin >/dev/null
$tool merge-bin --chip esp32 -o "$out/factory_WROOM-32.bin" --pad-to-size 4MB -fm dio -ff 40m -fs 4MB \
  0x1000 Fixtures/images/bootloader_esp32.bin 0x8000 $b/partition-table.bin 0xf000 $in/phy_init_data.bin \
  0x10000 $in/ota_data_initial.bin 0x20000 $b/at_customize.bin 0x21000 $b/ble_data.bin \
  0x24000 $b/server_cert.bin 0x26000 $b/server_key.bin 0x28000 $b/server_ca.bin \
  0x30000 $b/factory_param.bin 0x100000 $b/esp-at.bin >/dev/null
cp $ex/factory_param_type.csv $ex/factory_param_data.csv "$out/"
{
  echo "serial,wifi_ssid,factory_param.tx_max_power,factory_param.module_name"
  for ((i = 1; i <= units; i++)); do printf 'SN%06d,line-%d,%d,WROOM-SN%06d\n' $i $((i % 3)) $((60 + i % 18)) $i; done
} > "$out/units.csv"
printf 'key,type,encoding,value\nfactory,namespace,,\nserial,data,string,{serial}\nssid,data,string,{wifi_ssid}\n' > "$out/nvs_template.csv"
{
  printf 'chip = "esp32"\nfactory_image = "factory_WROOM-32.bin"\n'
  (($#)) && printf '%s\n' "$@"
  cat <<'TOML'

[unit]
values = "units.csv"
id = "serial"

[unit.factory_param]
types = "factory_param_type.csv"
data = "factory_param_data.csv"
module = "WROOM-32"
platform = "PLATFORM_ESP32"

[unit.nvs]
template = "nvs_template.csv"
partition = "nvs"

[test]
at = true
expect_version = "v2.4.0.0"
TOML
} > "$out/recipe.toml"
