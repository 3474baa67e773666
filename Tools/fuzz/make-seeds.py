#!/usr/bin/env python3
"""Writes the fuzz seeds that no fixture provides (Fixtures/fuzz/seeds/TARGET/): ROM loader frames and SLIP streams,
AT firmware replies, merge-bin config files and small whole-flash images. Run from the repository root; the output
is committed, so this only needs running again when the seeds change."""
import json, os, struct, zlib

ROOT = os.path.join("Fixtures", "fuzz", "seeds")


def put(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def request(op, data=b"", checksum=0):
    return struct.pack("<BBHI", 0, op, len(data), checksum) + data


def reply(op, value=0, data=b"\x00\x00\x00\x00"):
    return struct.pack("<BBHI", 1, op, len(data), value) + data


def slip(frame):
    return b"\xc0" + frame.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"


def xor_checksum(payload):
    c = 0xEF
    for b in payload:
        c ^= b
    return c


sync = b"\x07\x07\x12\x20" + b"\x55" * 32
payload = bytes(range(256)) * 4
block = struct.pack("<IIII", len(payload), 0, 0, 0) + payload
requests = {
    "sync": request(0x08, sync),
    "flash_begin4": request(0x02, struct.pack("<IIII", 0x2000, 2, 0x1000, 0x10000)),
    "flash_begin5": request(0x02, struct.pack("<IIIII", 0x2000, 2, 0x1000, 0x10000, 0)),
    "flash_data": request(0x03, block, xor_checksum(payload)),
    "flash_end": request(0x04, struct.pack("<I", 1)),
    "mem_begin": request(0x05, struct.pack("<IIII", 0x100, 1, 0x100, 0x40080000)),
    "mem_end": request(0x06, struct.pack("<II", 1, 0x40080000)),
    "write_reg": request(0x09, struct.pack("<IIII", 0x3FF42000, 1, 0xFFFFFFFF, 0)),
    "read_reg": request(0x0A, struct.pack("<I", 0x3FF5A00C)),
    "spi_set_params": request(0x0B, struct.pack("<IIIIII", 0, 0x400000, 0x10000, 0x1000, 0x100, 0xFFFF)),
    "spi_attach": request(0x0D, struct.pack("<II", 0, 0)),
    "change_baud": request(0x0F, struct.pack("<II", 921600, 115200)),
    "defl_begin": request(0x10, struct.pack("<IIII", 0x10000, 1, 0x4000, 0)),
    "defl_data": request(0x11, struct.pack("<IIII", 64, 0, 0, 0) + zlib.compress(b"\xff" * 1000)[:64],
                         xor_checksum(zlib.compress(b"\xff" * 1000)[:64])),
    "md5": request(0x13, struct.pack("<IIII", 0, 0x1000, 0, 0)),
    "security": request(0x14),
    "read_flash_slow": request(0x0E, struct.pack("<II", 0, 64)),
}
for name, frame in requests.items():
    put("loader-request", name, frame)

replies = {
    "sync": reply(0x08, 0x20120707),
    "read_reg": reply(0x0A, 0x00F01D83),
    "failed": reply(0x03, 0, b"\x01\x07\x00\x00"),
    "md5": reply(0x13, 0, b"0123456789abcdef0123456789abcdef" + b"\x00\x00\x00\x00"),
    "security": reply(0x14, 0, struct.pack("<IB7BII", 0, 0, *([0] * 7), 9, 0) + b"\x00\x00\x00\x00"),
    "stub_status": reply(0x08, 0, b"\x00\x00"),
}
for name, frame in replies.items():
    put("loader-reply", name, frame)

put("slip-stream", "session", b"ets Jun  8 2016 00:22:57\r\n" + b"".join(slip(f) for f in list(requests.values())[:6]))
put("slip-stream", "replies", b"".join(slip(f) for f in replies.values()))
put("slip-stream", "escapes", slip(b"\xc0\xdb\xc0\xdb") + b"\xc0\xdb\x01\xc0" + slip(b"\x00" * 8))

at = {
    "gmr": b"\x09AT+GMR\r\nAT version:2.4.0.0(4c6eb5e - ESP32 - May 20 2022 03:12:58)\r\nSDK version:v4.2.2-dirty\r\n"
           b"compile time(5b2ff4c):May 20 2022 07:02:48\r\nBin version:2.4.0(WROOM-32)\r\n\r\nOK\r\n",
    "sysflash_read": b"\x01+SYSFLASH:16,OK\r\nERROR\r\n\x01\x02\x03\r\n\r\nOK\r\n",
    "partitions": b"\x00+SYSFLASH:\"ble_data\",64,1,0x21000,0x3000\r\n+SYSFLASH:\"server_cert\",64,2,0x24000,0x2000\r\n"
                  b"+SYSFLASH:mfg_nvs,1,2,135168,114688\r\nOK\r\n",
    "prompt": b"\x05\r\nOK\r\n> \r\nRecv 4 bytes\r\n\r\nOK\r\n",
    "ipd": b"\x00+IPD,0,5:OK\r\n!\r\n+IPD,11,\"192.168.1.2\",80:hello world\r\nWIFI GOT IP\r\n+UART_CUR:115200,8,1,0,0\r\nOK\r\n",
    "errors": b"\x10ERR CODE:0x01090000\r\nERROR\r\nbusy p...\r\n+CME ERROR:24\r\nready\r\n",
    "fs": b"\x02+FS:4,abcd\r\nOK\r\n+FS:\"a.txt\"\r\n+FS:12\r\nOK\r\n",
    "misc": b"\x00+CIPSTAMAC:\"24:0a:c4:5e:00:01\"\r\nOK\r\n+SYSRAM:180000,150000\r\nOK\r\n+RFPOWER:78,1,1,1\r\nOK\r\n",
}
for name, data in at.items():
    put("at-stream", name, data)

put("merge-config", "download.config",
    "--flash_mode dio --flash_freq 40m --flash_size 4MB 0x8000 partition_table/partition-table.bin "
    "0x10000 ota_data_initial.bin 0xf000 phy_init_data.bin 0x1000 bootloader/bootloader.bin 0x100000 esp-at.bin "
    "0x20000 at_customize.bin 0x24000 customized_partitions/server_cert.bin 0x21000 customized_partitions/ble_data.bin\n")
put("merge-config", "flash_project_args",
    "--flash_mode dio --flash_freq 40m --flash_size 4MB\n0x1000 bootloader/bootloader.bin\n0x10000 app.bin\n"
    "0x8000 partition_table/partition-table.bin\n")
put("merge-config", "flasher_args.json", json.dumps({
    "write_flash_args": ["--flash_mode", "dio", "--flash_size", "4MB", "--flash_freq", "80m"],
    "flash_settings": {"flash_mode": "dio", "flash_size": "4MB", "flash_freq": "80m"},
    "flash_files": {"0x0": "bootloader/bootloader.bin", "0x10000": "app.bin", "0x8000": "partition_table/partition-table.bin"},
    "extra_esptool_args": {"after": "hard_reset", "before": "default_reset", "stub": True, "chip": "esp32c3"},
}, indent=4))


def table(entries, md5=True):
    import hashlib
    out = b""
    for name, ptype, subtype, offset, size in entries:
        out += struct.pack("<2sBBII16sI", b"\xaa\x50", ptype, subtype, offset, size, name.encode(), 0)
    if md5:
        out += b"\xeb\xeb" + b"\xff" * 14 + hashlib.md5(out).digest()
    return out + b"\xff" * (0xC00 - len(out))


main = table([("nvs", 1, 2, 0x9000, 0x6000), ("at_customize", 0x40, 0, 0x10000, 0x3000),
              ("factory", 0, 0, 0x20000, 0x10000)])
customize = table([("ble_data", 0x40, 1, 0x11000, 0x1000), ("factory_param", 0x40, 1, 0x12000, 0x1000)])
image = bytearray(b"\xff" * 0x20000)
image[0x8000:0x8000 + len(main)] = main
image[0x10000:0x10000 + len(customize)] = customize
image[0x12000:0x12004] = b"\xfc\xfc\x03\x00"
put("flash-layout", "main_and_customize", bytes(image))
put("flash-layout", "table_only", b"\xff" * 0x8000 + main)

# Station recipes (station run): the tests' layout with every table, a factory image with ports, and small errors.
full_recipe = """chip = "esp32"
min_revision = "v1.0"
flash = [["0x1000", "bootloader.bin"], ["0x8000", "partitions.bin"], ["0x20000", "at_customize.bin"], ["0x40000", "esp-at.bin"]]
station = "line-3"
baud = 921600

[unit]
values = "units.csv"
id = "serial"

[unit.nvs]
template = "nvs_template.csv"
partition = "nvs"

[unit.factory_param]
types = "factory_param_type.csv"
data = "factory_param_data.csv"
module = "WROOM-32"
platform = "PLATFORM_ESP32"

[test]
at = true
expect_version = "v4.1.1.0"

[retries]
connect = 2
write = 1

[[port]]
path = "/dev/ttyUSB0"
at_path = "/dev/ttyUSB1"

[[port]]
path = "virtual://esp32"
"""
put("station-recipe", "full.toml", full_recipe)
put("station-recipe", "factory_image.toml", 'chip = "esp32c3"\nfactory_image = "factory.bin"\n\n[[port]]\npath = "socket://127.0.0.1:4000"\n')
put("station-recipe", "unknown_key.toml", 'chip = "esp32"\nfactory_image = "f.bin"\nbaudrate = 115200\n')
put("station-recipe", "bad_toml.toml", 'chip = "esp32\nflash = [["0x0", "f.bin"]\n')
put("station-recipe", "crlf.toml", 'chip = "esp32s3"\r\nflash = [["0x0", "f.bin"]]\r\n[test]\r\nat = false\r\n')
