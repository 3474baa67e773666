#!/usr/bin/env python3
# make-at-bins-fixtures.py - part of espflash-swift (MIT License).
#
# Seeded generator of differential fixtures for `ble-service`, `pki` and `factory-param`.
# It draws random valid inputs, runs esp-at's original scripts on them and stores inputs,
# reference outputs and a manifest, so the Swift tools can be compared byte for byte.
# The esp-at scripts are NOT part of this repository; get them from espressif/esp-at:
#   git show 702fd8f1:tools/BLEService.py            > DIR/final/BLEService.py
#   git show 702fd8f1:tools/Configs/ATBleService.yml > DIR/final/Configs/ATBleService.yml
#   git show 702fd8f1:tools/AtPKI.py                 > DIR/final/AtPKI.py
#   git show v2.4.0.0:tools/factory_param_generate.py > DIR/v24/factory_param_generate.py
#   git show v1.2.0.0:tools/factory_param_generate.py > DIR/v12/factory_param_generate.py
#   git show v2.1.0.0_esp32:components/customized_partitions/raw_data/factory_param/factory_param_type.csv
#                                                    > DIR/factory_param_type_v2.1.csv
#
# Usage:
#   python3 Tools/make-at-bins-fixtures.py --tools DIR --types-v24 T24.csv --types-v12 T12.csv \
#       [--python2 /path/to/python2.7] [--out Fixtures/esp-at/generated] [--seed 2026] [--count 110]
#
# Python 3 standard library only (plus pyyaml, which BLEService.py needs). BLEService.py imports
# xlrd even for CSV input; when xlrd is missing an empty stand-in module is put on its path.
# Output is deterministic for a given seed and script versions.

import argparse
import csv
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile

BLE_COLUMNS = ['index', 'uuid_len', 'uuid', 'perm', 'val_max_len', 'val_cur_len', 'value']
PERM_BITS = [0x01, 0x02, 0x04, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400]


def hexcase(rng, text):
    return ''.join(c.lower() if rng.random() < 0.3 else c for c in text)


def ble_case(rng):
    """One random valid service CSV (as text)."""
    columns = list(BLE_COLUMNS)
    if rng.random() < 0.25:
        for optional in ['val_max_len', 'val_cur_len', 'value']:
            if rng.random() < 0.3 and optional in columns:
                columns.remove(optional)
                if optional == 'val_cur_len' and 'value' in columns:
                    columns.remove('value')     # a value needs its length (default 0 would be refused)
    if rng.random() < 0.3:
        rng.shuffle(columns)
    rows = []
    for index in range(rng.randint(1, 12)):
        uuid_len = rng.choice([16, 16, 16, 32, 128])
        digits = rng.randint(1, uuid_len // 4)
        uuid = '%X' % rng.getrandbits(4 * digits)
        if uuid_len == 128 and rng.random() < 0.8:
            uuid = '%032X' % (rng.getrandbits(128) | (1 << 124))
        elif rng.random() < 0.2:
            uuid = uuid.rjust(min(uuid_len // 4, len(uuid) + rng.randint(1, 3)), '0')
        if index == 0:
            uuid_len, uuid = 16, '2800'
        uuid = rng.choice(['0x', '0x', '0X', '']) + hexcase(rng, uuid)
        perm = 0
        for bit in PERM_BITS:
            if rng.random() < 0.25:
                perm |= bit
        perm_text = rng.choice(['0x%02X', '0x%x', '%X', '0x%04x']) % perm
        nbytes = rng.randint(0, 24)
        value = ''.join('%02X' % rng.getrandbits(8) for _ in range(nbytes))
        if nbytes and rng.random() < 0.15:
            value = value[:-1]          # odd digit count: the last digit is its own byte
        value = hexcase(rng, value)
        stored = (len(value) + 1) // 2
        cur = stored + (rng.randint(1, 3) if rng.random() < 0.1 else 0)
        mx = min(512, cur + rng.choice([0, 0, 1, 5, 100]))
        cells = {'index': str(index), 'uuid_len': str(uuid_len), 'uuid': uuid, 'perm': perm_text,
                 'val_max_len': str(mx), 'val_cur_len': str(cur), 'value': value}
        if rng.random() < 0.1 and not value:
            cells['val_cur_len'] = ''                      # default 0
            if cur == 0 and rng.random() < 0.5:
                cells['val_max_len'] = ''                  # default 512
        if rng.random() < 0.05:
            cells['index'] = ' %d' % index                 # int() ignores surrounding spaces
        rows.append([cells[c] for c in columns])
    newline = rng.choice(['\n', '\n', '\r\n'])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(columns)
    writer.writerows(rows)
    if rng.random() < 0.4:
        writer.writerow([''] * len(columns))              # the all-empty row that ends the table
    if rng.random() < 0.3:
        out.write(newline)
    return out.getvalue()


def pki_pool(rng, pool_dir, vector_dir):
    """Certificate/key files (from the vectors) plus small blobs of every length mod 4."""
    os.makedirs(pool_dir, exist_ok=True)
    files = []
    for name in ['ca.crt', 'client.crt', 'client.der', 'client.key', 'server.crt', 'server.key', 'hello.txt', 'eight.txt']:
        shutil.copy(os.path.join(vector_dir, name), os.path.join(pool_dir, name))
        files.append(name)
    for n in range(8):
        name = 'blob%d.bin' % n
        with open(os.path.join(pool_dir, name), 'wb') as f:
            f.write(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40) * 4 + n % 4)))
        files.append(name)
    return files


def fp_value(rng, size, kind):
    if kind == 'String':
        n = rng.choice([0, 1, 2, size // 2, size - 1, size]) if size > 2 else rng.randint(0, size)
        alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_ .,"'
        return ''.join(rng.choice(alphabet) for _ in range(max(0, n)))
    bits = 8 * size
    v = rng.choice([-1, 0, rng.randint(1, 9), rng.randint(-(1 << (bits - 1)), (1 << bits) - 1)])
    if v > 0 and rng.random() < 0.3:
        return '0x%x' % v if rng.random() < 0.5 else '0X%X' % v
    return str(v)


def read_types(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return [(r[0], int(r[1]), r[2], int(r[3])) for r in rows[1:] if r]


def fp_case(rng, types, form):
    """A data CSV with a few module rows; returns (text, module, platform)."""
    fields = [t for t in types if t[3] > 0]
    if form == 'v1':
        header = ['module_name'] + [t[0] for t in fields]
    else:
        header = ['platform', 'module_name', 'description'] + [t[0] for t in fields if t[0] not in ('platform', 'module_name')]
    rows = []
    platforms = ['PLATFORM_ESP32', 'PLATFORM_ESP32C3', 'PLATFORM_ESP32S2']
    used = set()
    for _ in range(rng.randint(1, 4)):
        while True:
            module = rng.choice(['WROOM-32', 'WROVER-32', 'MINI-1', 'SOLO-1', 'MOD']) + ('' if rng.random() < 0.5 else '-%d' % rng.randint(1, 99))
            if module.upper() not in used:
                break
        used.add(module.upper())
        cells = {'platform': rng.choice(platforms), 'module_name': module, 'description': rng.choice(['', 'a, b', 'TX:17 RX:16'])}
        for name, _, kind, size in fields:
            if name in ('platform', 'module_name'):
                continue
            cells[name] = fp_value(rng, size, kind)
        cells['magic_flag'] = rng.choice(['0xfcfc', '0xFCFC', '64764'])
        rows.append([cells[h] for h in header])
    out = io.StringIO()
    csv.writer(out, lineterminator='\n').writerows([header] + rows)
    target = rng.choice(rows)
    module = target[header.index('module_name')] if form == 'v1' else target[1]
    platform = None if form == 'v1' else target[0]
    return out.getvalue(), module, platform


def run(cmd, cwd, env=None):
    result = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        sys.exit('failed: %s\n%s' % (' '.join(cmd), result.stdout.decode(errors='replace')))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tools', required=True)
    ap.add_argument('--types-v24', required=True)
    ap.add_argument('--types-v21', required=True)
    ap.add_argument('--types-v12', required=True)
    ap.add_argument('--pki-vectors', required=True, help='vectors/esp-at/pki/in')
    ap.add_argument('--python2', default=os.path.expanduser('~/.pyenv/versions/2.7.18/bin/python'))
    ap.add_argument('--out', default='Fixtures/esp-at/generated')
    ap.add_argument('--seed', type=int, default=2026)
    ap.add_argument('--count', type=int, default=110)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tools = os.path.abspath(args.tools)
    out = os.path.abspath(args.out)
    if os.path.exists(out):
        shutil.rmtree(out)
    env = dict(os.environ)
    try:
        import xlrd  # noqa: F401
    except ImportError:
        shim = tempfile.mkdtemp()
        open(os.path.join(shim, 'xlrd.py'), 'w').close()
        env['PYTHONPATH'] = shim + os.pathsep + env.get('PYTHONPATH', '')

    # ble-service
    ble = os.path.join(out, 'ble')
    os.makedirs(ble)
    with open(os.path.join(ble, 'manifest.tsv'), 'w') as manifest:
        for n in range(args.count):
            name = 'ble%03d' % n
            with open(os.path.join(ble, name + '.csv'), 'w', newline='') as f:
                f.write(ble_case(rng))
            run([sys.executable, os.path.join(tools, 'final', 'BLEService.py'), '-t', name + '.bin', name + '.csv'], ble, env)
            manifest.write(name + '\n')

    # pki
    pki = os.path.join(out, 'pki')
    pool = pki_pool(rng, os.path.join(pki, 'pool'), args.pki_vectors)
    with open(os.path.join(pki, 'manifest.tsv'), 'w') as manifest:
        for n in range(args.count):
            name = 'pki%03d' % n
            pairs = []
            for _ in range(rng.randint(1, 7)):
                pairs += [rng.choice(['ca', 'cert', 'key']), 'pool/' + rng.choice(pool)]
            run([sys.executable, os.path.join(tools, 'final', 'AtPKI.py'), 'generate_bin', '-b', name + '.bin'] + pairs, pki, env)
            manifest.write(name + '\t' + ' '.join(pairs) + '\n')

    # factory-param: versions 3 (v2.4 types), 2 (v2.1 types) with the v2.4 script; 1 with the v1.2 script (Python 2)
    fp = os.path.join(out, 'factory_param')
    os.makedirs(fp)
    for label, path in [('v24', args.types_v24), ('v21', args.types_v21), ('v12', args.types_v12)]:
        shutil.copy(path, os.path.join(fp, 'types_%s.csv' % label))
    plan = [('v24', 'v2', args.count), ('v21', 'v2', args.count // 3), ('v12', 'v1', args.count // 3)]
    with open(os.path.join(fp, 'manifest.tsv'), 'w') as manifest:
        for label, form, count in plan:
            types = read_types(os.path.join(fp, 'types_%s.csv' % label))
            for n in range(count):
                name = 'fp_%s_%03d' % (label, n)
                text, module, platform = fp_case(rng, types, form)
                with open(os.path.join(fp, name + '.csv'), 'w', newline='') as f:
                    f.write(text)
                work = tempfile.mkdtemp()
                if form == 'v1':
                    cmd = [args.python2, os.path.join(tools, 'v12', 'factory_param_generate.py')]
                else:
                    cmd = [sys.executable, os.path.join(tools, 'v24', 'factory_param_generate.py'), '--platform', platform]
                cmd += ['--module', module, '--define_file', os.path.join(fp, 'types_%s.csv' % label),
                        '--module_file', os.path.join(fp, name + '.csv'), '--bin_name', os.path.join(work, 'factory_param.bin'),
                        '--log_file', os.path.join(work, 'log', 'factory_parameter.log')]
                run(cmd, work, env)
                with open(os.path.join(work, 'factory_param.bin'), 'rb') as f:
                    image = f.read()
                shutil.rmtree(work)
                assert len(image) == 4096 and image[:2] == b'\xfc\xfc', name
                # Stored without the trailing 0xFF run; the test pads back to 4096 bytes with 0xFF.
                with open(os.path.join(fp, name + '.bin'), 'wb') as f:
                    f.write(image.rstrip(b'\xff'))
                manifest.write('\t'.join([name, label, module, platform or '']) + '\n')


if __name__ == '__main__':
    main()
