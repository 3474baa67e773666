#!/usr/bin/env python3
# make-partition-differential.py - part of espflash-swift (MIT License).
#
# Seeded generator of differential fixtures for the partition-table tool.
# It draws random partition CSVs (and gen_esp32part.py command-line options),
# runs an externally supplied ESP-IDF gen_esp32part.py on them and stores the
# reference outputs (CSV -> .bin, and .bin -> .roundtrip.csv) plus a manifest,
# so that the Swift re-implementation can be compared against them byte for byte.
# gen_esp32part.py itself is NOT part of this repository; pass it with --gen.
#
# Usage:
#   python3 Tools/make-partition-differential.py --gen /path/to/gen_esp32part.py \
#       [--out Fixtures/partition/differential] [--seed 2026] [--count 240]
#
# Python 3 standard library only. Output is deterministic for a given seed and
# gen_esp32part.py version.

import argparse
import collections
import os
import random
import re
import subprocess
import sys

TABLE_SECTOR = 0x1000
K = 1024
M = 1024 * 1024
MAX_ERRORS = 40
UNSET_VAR = 'ESPFLASH_SWIFT_SURELY_UNDEFINED_VAR'

APP_SUBTYPES = {'factory': 0x00, 'test': 0x20, 'tee_0': 0x30, 'tee_1': 0x31}
APP_SUBTYPES.update({'ota_%d' % i: 0x10 + i for i in range(16)})
DATA_SUBTYPES = {
    'ota': 0x00, 'phy': 0x01, 'nvs': 0x02, 'coredump': 0x03, 'nvs_keys': 0x04,
    'efuse': 0x05, 'undefined': 0x06, 'esphttpd': 0x80, 'fat': 0x81,
    'spiffs': 0x82, 'littlefs': 0x83, 'tee_ota': 0x90,
}

PREFERRED_NAMES = {
    ('data', 0x00): ['otadata', 'ota_data', 'otadata'],
    ('data', 0x01): ['phy_init', 'phy', 'phy_data'],
    ('data', 0x02): ['nvs', 'nvs2', 'nvs_data', 'NVS', 'fctry', 'cfg', 'settings'],
    ('data', 0x03): ['coredump', 'core', 'crash'],
    ('data', 0x04): ['nvs_key', 'nvs_keys', 'keys'],
    ('data', 0x05): ['efuse_em', 'efuse'],
    ('data', 0x06): ['user', 'scratch', 'undefined', 'blob'],
    ('data', 0x80): ['www', 'httpd', 'esphttpd'],
    ('data', 0x81): ['ffat', 'fat', 'vfs', 'fatfs'],
    ('data', 0x82): ['storage', 'spiffs', 'assets'],
    ('data', 0x83): ['littlefs', 'lfs', 'fs'],
    ('data', 0x90): ['tee_otadata', 'tee_ota'],
    ('app', 0x00): ['factory', 'app', 'firmware', 'main'],
    ('app', 0x20): ['test', 'test_app'],
}
NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz' 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' '0123456789_'
NON_ASCII_NAMES = ['données', 'ñandú', 'π', 'über_fs', 'naïve', 'größe', 'ключ', 'λ_data']


def align_up(v, a):
    return (v + a - 1) // a * a


def rcase(rng, s):
    """Keyword in original, upper or mixed case."""
    r = rng.random()
    if r < 0.78:
        return s
    if r < 0.88:
        return s.upper()
    if r < 0.93:
        return s.capitalize()
    return ''.join(c.upper() if rng.random() < 0.5 else c for c in s)


def underscored_hex(v):
    h = '%x' % v
    groups = []
    while h:
        groups.insert(0, h[-4:])
        h = h[:-4]
    return '0x' + '_'.join(groups)


class Stats:
    def __init__(self):
        self.c = collections.Counter()


def fmt_num(rng, v, stats, exotic=True, suffix=True):
    """Render a non-negative integer the way a human might in a partition CSV."""
    forms = [('hex', 5), ('HEX', 1), ('0X', 0.4), ('dec', 2)]
    if suffix and v and v % K == 0:
        forms += [('K', 3), ('k', 0.8)]
    if suffix and v and v % M == 0:
        forms += [('M', 3), ('m', 0.6)]
    if exotic:
        forms += [('exotic', 0.35)]
    total = sum(w for _, w in forms)
    r = rng.random() * total
    for kind, w in forms:
        r -= w
        if r <= 0:
            break
    if kind == 'hex':
        return '0x%x' % v
    if kind == 'HEX':
        return '0x%X' % v
    if kind == '0X':
        return '0X%x' % v
    if kind == 'dec':
        return '%d' % v
    if kind in ('K', 'k'):
        return '%d%s' % (v // K, kind)
    if kind in ('M', 'm'):
        return '%d%s' % (v // M, kind)
    # exotic forms that Python's int(x, 0) + the k/m suffix rule accept
    stats.c['exotic number forms'] += 1
    options = ['us_hex', 'oct']
    if v < 0x10000:
        options.append('bin')
    if v and v % K == 0:
        options += ['hexK', 'us_decK']
    if v and v % M == 0:
        options.append('KK')
    if v >= 10000:
        options.append('us_dec')
    o = rng.choice(options)
    if o == 'us_hex':
        return underscored_hex(v)
    if o == 'oct':
        return '0o%o' % v
    if o == 'bin':
        return '0b%s' % bin(v)[2:]
    if o == 'hexK':
        return '0x%xK' % (v // K)
    if o == 'us_decK':
        return '{:_}K'.format(v // K)
    if o == 'KK':
        return '%dKK' % (v // M)
    return '{:_}'.format(v)


class Row:
    """One partition line (or a special bootloader/partition-table line)."""

    def __init__(self):
        self.name = ''
        self.ptype = 'data'        # 'app', 'data', 'bootloader', 'partition_table', or int (custom)
        self.type_val = 1
        self.subtype_val = None
        self.type_text = ''
        self.subtype_text = ''
        self.offset_text = ''
        self.size_text = ''
        self.flags_text = ''
        self.offset = None         # resolved (simulated) offset
        self.size = None           # resolved size
        self.special = False       # primary bootloader / primary partition table
        self.readonly = False
        self.encrypted = False
        self.auto = False
        self.negative = False
        self.extra_col = None

    def fields(self):
        return [self.name, self.type_text, self.subtype_text, self.offset_text, self.size_text, self.flags_text]


class CaseGen:
    def __init__(self, rng):
        self.rng = rng

    # ------------------------------------------------------------ options
    def draw_options(self, st):
        rng = self.rng
        opts = []
        r = rng.random()
        if r < 0.50:
            table_off = 0x8000
        elif r < 0.60:
            table_off = 0x8000
            opts += ['--offset', '0x8000']
        elif r < 0.77:
            table_off = 0x9000
            opts += ['--offset', '0x9000']
        elif r < 0.89:
            table_off = 0xA000
            opts += ['--offset', '0xA000']
        else:
            table_off = 0x10000
            opts += ['--offset', '0x10000']
        pbo = None
        if rng.random() < 0.18:
            pbo = rng.choice([0x1000, 0x1000, 0x1000, 0x0, 0x2000])
            opts += ['--primary-bootloader-offset', '0x%x' % pbo]
        md5 = rng.random() >= 0.40
        if not md5:
            opts.append('--disable-md5sum')
        return opts, table_off, pbo, md5

    # --------------------------------------------------------------- names
    def draw_name(self, key, used):
        rng = self.rng
        for _ in range(50):
            r = rng.random()
            if r < 0.006:
                # keyword names on possibly non-matching partitions -> WARNING lines on stderr
                n = rng.choice(['nvs', 'ota', 'phy', 'factory', 'app', 'data', 'test', 'fat', 'coredump', 'ota_1'])
            elif r < 0.45 and key in PREFERRED_NAMES:
                n = rng.choice(PREFERRED_NAMES[key])
            elif r < 0.50:
                n = rng.choice(NON_ASCII_NAMES)
            elif r < 0.60:
                n = ''.join(rng.choice(NAME_CHARS) for _ in range(16))
            elif r < 0.65:
                # interior space, dash or dot (a leading '#' would make it a comment)
                a = ''.join(rng.choice(NAME_CHARS) for _ in range(rng.randint(1, 7)))
                b = ''.join(rng.choice(NAME_CHARS) for _ in range(rng.randint(1, 7)))
                n = a + rng.choice([' ', '-', '.', '#', '+']) + b
            else:
                n = ''.join(rng.choice(NAME_CHARS) for _ in range(rng.randint(1, 12)))
            if len(n.encode('utf-8')) > 16:
                continue
            if n not in used:
                used.add(n)
                return n
        n = 'p%d' % len(used)
        used.add(n)
        return n

    # ---------------------------------------------------------------- rows
    def draw_kind(self, have_otadata, have_teeota, big):
        rng = self.rng
        kinds = [
            ('app', 'factory', 6), ('app', 'ota', 8), ('app', 'test', 1.5), ('app', 'tee', 0.5),
            ('app', 'num', 1),
            ('data', 0x02, 7), ('data', 0x01, 3), ('data', 0x03, 2), ('data', 0x04, 2),
            ('data', 0x05, 1), ('data', 0x06, 1.5), ('data', 0x80, 1), ('data', 0x81, 2),
            ('data', 0x82, 2.5), ('data', 0x83, 2), ('data', 'num', 2), ('data', 'empty', 1.5),
            ('custom', None, 5),
        ]
        if not have_otadata:
            kinds.append(('data', 0x00, 5))
        if not have_teeota:
            kinds.append(('data', 0x90, 0.4))
        if big:
            kinds = [(a, b, w * (0.25 if a == 'app' else 1)) for a, b, w in kinds]
        total = sum(w for _, _, w in kinds)
        r = rng.random() * total
        for a, b, w in kinds:
            r -= w
            if r <= 0:
                return a, b
        return kinds[-1][0], kinds[-1][1]

    def make_row(self, st, have_otadata, have_teeota, big, used_names, allow_unaligned):
        rng = self.rng
        row = Row()
        cls, sub = self.draw_kind(have_otadata, have_teeota, big)
        if cls == 'app':
            row.ptype, row.type_val = 'app', 0
            if sub == 'factory':
                row.subtype_val, kw = 0x00, 'factory'
            elif sub == 'ota':
                i = rng.randint(0, 15) if rng.random() < 0.3 else rng.randint(0, 3)
                row.subtype_val, kw = 0x10 + i, 'ota_%d' % i
            elif sub == 'test':
                row.subtype_val, kw = 0x20, 'test'
            elif sub == 'tee':
                i = rng.randint(0, 1)
                row.subtype_val, kw = 0x30 + i, 'tee_%d' % i
            else:
                row.subtype_val, kw = rng.randint(0, 0xFE), None
            if rng.random() < 0.06:
                row.type_text = rng.choice(['0', '0x0', '0x00'])
                st.c['rows with numeric app/data type'] += 1
            else:
                row.type_text = rcase(rng, 'app')
            if kw is None or rng.random() < 0.07:
                row.subtype_text = rng.choice(['0x%x', '0x%02X', '%d'])  % row.subtype_val
                st.c['rows with numeric subtype'] += 1
            else:
                row.subtype_text = rcase(rng, kw)
            r = rng.random()
            if big:
                size = 0x1000 * rng.randint(1, 64)
            elif r < 0.45:
                size = rng.choice([0x100000, 0x100000, 0x180000, 0x200000, 0x140000, 0x1F0000, 0x300000])
            elif r < 0.75:
                size = 0x10000 * rng.randint(1, 40)
            else:
                size = 0x1000 * rng.randint(1, 600)
            row.size = size
        elif cls == 'custom':
            t = rng.randint(0x40, 0xFE)
            row.ptype, row.type_val = t, t
            row.type_text = rng.choice(['0x%x', '0x%X', '0x%02x', '%d']) % t
            r = rng.random()
            if r < 0.2:
                row.subtype_val, row.subtype_text = 0x06, ''
                st.c['rows with empty subtype'] += 1
            else:
                row.subtype_val = rng.randint(0, 0xFE)
                row.subtype_text = rng.choice(['0x%x', '0x%02X', '%d']) % row.subtype_val
            row.size = self.data_size(allow_unaligned)
            st.c['rows with custom type'] += 1
        else:
            row.ptype, row.type_val = 'data', 1
            if rng.random() < 0.05:
                row.type_text = rng.choice(['1', '0x1', '0x01'])
                st.c['rows with numeric app/data type'] += 1
            else:
                row.type_text = rcase(rng, 'data')
            if sub == 'empty':
                row.subtype_val, row.subtype_text = 0x06, ''
                st.c['rows with empty subtype'] += 1
            elif sub == 'num':
                v = rng.choice([rng.randint(0x07, 0x7F), rng.randint(0x84, 0xFE), rng.randint(0x07, 0xFE)])
                if v == 0x90:  # tee_ota has size rules; keep numeric subtypes free of them
                    v = 0x91
                row.subtype_val = v
                row.subtype_text = rng.choice(['0x%x', '0x%02X', '%d']) % v
                st.c['rows with numeric subtype'] += 1
            else:
                row.subtype_val = sub
                kw = [k for k, v in DATA_SUBTYPES.items() if v == sub][0]
                if rng.random() < 0.06:
                    row.subtype_text = rng.choice(['0x%x', '%d']) % sub
                    st.c['rows with numeric subtype'] += 1
                else:
                    row.subtype_text = rcase(rng, kw)
            sv = row.subtype_val
            if sv in (0x00, 0x90):
                row.size = 0x2000
            elif sv == 0x01 or sv == 0x04:
                row.size = rng.choice([0x1000, 0x1000, 0x2000])
            elif sv == 0x02:
                row.size = rng.choice([0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000, 0x6000, 0x10000, 0x20000])
            elif sv == 0x03:
                row.size = rng.choice([0x10000, 0x20000, 0x40000])
            else:
                row.size = self.data_size(allow_unaligned)
            if big and row.size > 0x40000:
                row.size = 0x1000 * rng.randint(1, 16)
        row.name = self.draw_name((row.ptype if isinstance(row.ptype, str) else 'custom', row.subtype_val),
                                  used_names)
        fixed = row.ptype == 'data' and row.subtype_val in (0x00, 0x90)
        if rng.random() < 0.008 and not fixed:
            row.size = 0
            st.c['rows with size 0'] += 1
        return row

    def data_size(self, allow_unaligned):
        rng = self.rng
        r = rng.random()
        if allow_unaligned and r < 0.12:
            return rng.choice([rng.randint(1, 0x3000), rng.randint(1, 0x40000), 1000, 0x800, 0x1800])
        if r < 0.5:
            return 0x1000 * rng.randint(1, 32)
        if r < 0.8:
            return rng.choice([0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x60000])
        return 0x1000 * rng.randint(1, 1024)

    def flags_for(self, row, st):
        rng = self.rng
        data_rw_only = row.ptype == 'data' and row.subtype_val in (0x00, 0x03)
        nvs_small = row.ptype == 'data' and row.subtype_val == 0x02 and row.size < 0x3000
        if nvs_small:
            choices = ['readonly', 'encrypted:readonly', 'readonly:encrypted']
            f = rng.choice(choices)
        elif rng.random() < 0.22:
            if data_rw_only:
                f = 'encrypted'
            else:
                f = rng.choice(['encrypted', 'encrypted', 'readonly', 'readonly', 'encrypted:readonly',
                                'readonly:encrypted', 'encrypted:', 'readonly:readonly'])
        else:
            f = ''
        if f:
            st.c['rows with flags'] += 1
            if f not in ('encrypted', 'readonly', 'encrypted:readonly', 'readonly:encrypted'):
                st.c['rows with odd-but-valid flag lists'] += 1
        row.flags_text = f
        row.readonly = 'readonly' in f
        row.encrypted = 'encrypted' in f

    # ---------------------------------------------------------------- case
    def draw_case(self):
        rng = self.rng
        st = Stats()
        opts, table_off, pbo, md5 = self.draw_options(st)
        r = rng.random()
        big = False
        if r < 0.06:
            n = rng.randint(90, 95)
            big = True
        elif r < 0.20:
            n = rng.randint(1, 3)
        else:
            n = rng.randint(1, 40)
        mode = rng.choice(['auto', 'explicit', 'mixed'])
        allow_unaligned = rng.random() < 0.35
        rows = []
        used_names = set()
        have_otadata = have_teeota = False
        for _ in range(n):
            row = self.make_row(st, have_otadata, have_teeota, big, used_names, allow_unaligned)
            if row.ptype == 'data' and row.subtype_val == 0x00:
                have_otadata = True
            if row.ptype == 'data' and row.subtype_val == 0x90:
                have_teeota = True
            rows.append(row)

        # bootloader / partition_table rows (only meaningful with --primary-bootloader-offset)
        if pbo is not None:
            specials = []
            if rng.random() < 0.7:
                b = Row()
                b.special, b.ptype, b.type_val, b.subtype_val = True, 'bootloader', 2, 0
                if 'bootloader' not in used_names and rng.random() < 0.6:
                    b.name = 'bootloader'
                else:
                    b.name = self.draw_name(None, used_names)
                used_names.add(b.name)
                b.type_text, b.subtype_text = rcase(rng, 'bootloader'), rcase(rng, 'primary')
                b.offset, b.size = pbo, table_off - pbo
                b.offset_text, b.size_text = rng.choice([('N/A', 'N/A'), ('', ''), ('0x%x' % pbo, '0x%x' % b.size),
                                                         ('N/A', '')])
                specials.append(b)
            if rng.random() < 0.6:
                p = Row()
                p.special, p.ptype, p.type_val, p.subtype_val = True, 'partition_table', 3, 0
                p.name = 'partition_table' if 'partition_table' not in used_names and rng.random() < 0.5 \
                    else self.draw_name(None, used_names)
                used_names.add(p.name)
                p.type_text, p.subtype_text = rcase(rng, 'partition_table'), rcase(rng, 'primary')
                p.offset, p.size = table_off, TABLE_SECTOR
                p.offset_text, p.size_text = rng.choice([('N/A', 'N/A'), ('', ''), ('0x%x' % table_off, '4K')])
                specials.append(p)
            if rng.random() < 0.8:
                rows[0:0] = specials
            else:
                for s in specials:
                    rows.insert(rng.randint(0, len(rows)), s)
            for kind, tv, tname in (('bootloader', 2, 'bootloader'), ('partition_table', 3, 'partition_table')):
                if rng.random() < 0.18:
                    o = Row()
                    o.ptype, o.type_val, o.subtype_val = kind, tv, 1
                    o.name = self.draw_name(None, used_names)
                    o.type_text = rcase(rng, tname)
                    o.subtype_text = rcase(rng, 'ota') if rng.random() < 0.85 else '1'
                    o.size = (table_off - pbo) if kind == 'bootloader' else TABLE_SECTOR
                    o.size_text = rng.choice(['N/A', '', '0x%x' % o.size])
                    rows.insert(rng.randint(0, len(rows)), o)
                    st.c['rows bootloader/ota or partition_table/ota'] += 1
            if any(r.special for r in rows):
                st.c['cases with primary bootloader/table rows'] += 1

        # lay out: simulate gen_esp32part's offset fix-up, choosing explicit offsets where wanted
        last_end = table_off + TABLE_SECTOR
        for row in rows:
            if row.special:
                continue
            align = 0x10000 if row.ptype == 'app' else 0x1000
            explicit = mode == 'explicit' or (mode == 'mixed' and rng.random() < 0.5)
            off = align_up(last_end, align)
            if explicit:
                if rng.random() < 0.25:
                    off += align * rng.randint(1, 4)
                row.offset = off
                row.offset_text = fmt_num(rng, off, st, exotic=rng.random() < 0.3)
            else:
                row.offset = off
                row.offset_text = ''
                row.auto = True
            if row.ptype in ('bootloader', 'partition_table'):
                pass  # size text already set; size is forced by the tool
            elif rng.random() < 0.06 and row.size > 0:
                end = row.offset + row.size
                row.size_text = '-' + fmt_num(rng, end, st, exotic=rng.random() < 0.2)
                row.negative = True
            else:
                row.size_text = fmt_num(rng, row.size, st, exotic=rng.random() < 0.3)
            last_end = row.offset + row.size
        for row in rows:
            if not row.special and row.ptype not in ('bootloader', 'partition_table'):
                self.flags_for(row, st)
        return dict(opts=opts, table_off=table_off, pbo=pbo, md5=md5, rows=rows, st=st, big=big, mode=mode)

    # ------------------------------------------------------------- mutate
    MUTATIONS = [
        'misalign', 'app_size', 'nvs_small', 'ro_ota', 'two_otadata', 'otadata_size', 'dup_name',
        'overlap', 'below_table', 'bad_flag', 'bad_type_kw', 'bad_sub_kw', 'empty_type', 'app_empty_sub',
        'empty_size', 'leading_zero', 'flash_small', 'custom_kw_sub', 'type_256', 'unknown_var',
        'bl_no_pbo', 'pbo_ge_offset', 'end_below_offset', 'hash_comment', 'too_many',
    ]

    def mutate(self, case):
        """Inject one (probable) error; returns the mutation name."""
        rng = self.rng
        rows = case['rows']
        normal = [r for r in rows if not r.special]
        m = rng.choice(self.MUTATIONS)

        def add(name, t, s, o, z, f=''):
            r = Row()
            r.name, r.type_text, r.subtype_text, r.offset_text, r.size_text, r.flags_text = name, t, s, o, z, f
            r.special = True  # excluded from layout bookkeeping
            rows.append(r)

        if m == 'misalign' and normal:
            r = rng.choice(normal)
            r.offset_text = '0x%x' % (r.offset + (0x8000 if r.ptype == 'app' else 0x800))
        elif m == 'app_size':
            apps = [r for r in normal if r.ptype == 'app']
            if apps:
                r = rng.choice(apps)
                r.size_text = '0x%x' % (r.size + rng.choice([0x100, 0x800, 1]))
            else:
                add('app_x', 'app', 'factory', '', '0x100100')
        elif m == 'nvs_small':
            add('nvs_small', 'data', 'nvs', '', rng.choice(['0x1000', '0x2000', '8K']))
        elif m == 'ro_ota':
            add('otad_ro', 'data', rng.choice(['ota', 'coredump']), '', '0x2000', 'readonly')
        elif m == 'two_otadata':
            add('otadata_a', 'data', 'ota', '', '0x2000')
            add('otadata_b', 'data', 'ota', '', '0x2000')
        elif m == 'otadata_size':
            ota = [r for r in normal if r.ptype == 'data' and r.subtype_val == 0]
            if ota:
                ota[0].size_text = rng.choice(['0x3000', '0x1000', '4K'])
            else:
                add('otadata', 'data', 'ota', '', '0x3000')
        elif m == 'dup_name' and len(rows) >= 1:
            add(rows[0].name, 'data', 'fat', '', '0x1000')
        elif m == 'overlap' and len(normal) >= 2:
            i = rng.randint(1, len(normal) - 1)
            normal[i].offset_text = '0x%x' % normal[i - 1].offset
        elif m == 'below_table' and normal:
            normal[0].offset_text = '0x%x' % case['table_off']
        elif m == 'bad_flag' and normal:
            r = rng.choice(normal)
            r.flags_text = rng.choice(['encrypted : readonly', 'ro', 'Encrypted', 'READONLY', 'secure'])
        elif m == 'bad_type_kw' and normal:
            rng.choice(normal).type_text = rng.choice(['apps', 'dat', 'image', 'boot'])
        elif m == 'bad_sub_kw' and normal:
            r = rng.choice(normal)
            r.subtype_text = rng.choice(['nvram', 'ota_16', 'spifs', 'main'])
        elif m == 'empty_type' and normal:
            rng.choice(normal).type_text = ''
        elif m == 'app_empty_sub':
            add('app_nosub', 'app', '', '', '1M')
        elif m == 'empty_size' and normal:
            rng.choice(normal).size_text = ''
        elif m == 'leading_zero' and normal:
            rng.choice(normal).size_text = rng.choice(['010', '0100K', '00x1000'])
        elif m == 'flash_small':
            case['opts'] += ['--flash-size', '1MB']
            add('big_blob', 'data', 'fat', '', '2M')
        elif m == 'custom_kw_sub':
            add('cust_kw', '0x40', rng.choice(['nvs', 'factory', 'fat']), '', '0x1000')
        elif m == 'type_256':
            add('type256', rng.choice(['256', '0x100', '-1']), '0', '', '0x1000')
        elif m == 'unknown_var':
            add('$' + UNSET_VAR, 'data', 'fat', '', '0x1000')
        elif m == 'bl_no_pbo' and '--primary-bootloader-offset' not in case['opts']:
            rows.insert(0, Row())
            rows[0].special = True
            rows[0].name, rows[0].type_text, rows[0].subtype_text = 'bootloader', 'bootloader', 'primary'
            rows[0].offset_text = rows[0].size_text = 'N/A'
        elif m == 'pbo_ge_offset' and '--primary-bootloader-offset' not in case['opts']:
            case['opts'] += ['--primary-bootloader-offset', '0x%x' % case['table_off']]
        elif m == 'end_below_offset' and normal:
            r = normal[-1]
            r.size_text = '-0x%x' % max(r.offset - 0x1000, 0)
        elif m == 'hash_comment' and normal:
            r = rng.choice(normal)
            r.flags_text = (r.flags_text + ' ' if r.flags_text else '') + '# trailing comment'
        elif m == 'too_many':
            case['opts'] = [o for o in case['opts'] if o != '--disable-md5sum']
            for i in range(95 - len(rows)):
                add('filler%d' % i, 'data', 'undefined', '', '4K')
        else:
            m = 'none'
        return m

    # -------------------------------------------------------------- render
    def render(self, case):
        rng = self.rng
        st = case['st']
        rows = case['rows']
        style = rng.choice(['tight', 'space', 'spaces_around', 'columns', 'random', 'tabs'])
        lines = []
        if rng.random() < 0.6:
            lines.append(rng.choice(['# Name, Type, SubType, Offset, Size, Flags',
                                     '# ESP-IDF Partition Table',
                                     '# Name,   Type, SubType, Offset,  Size, Flags']))
            if rng.random() < 0.3:
                lines.append('# Note: if you have increased the bootloader size, make sure to update the offsets')
            st.c['cases with comment lines'] = 1
        widths = [0] * 6
        if style == 'columns':
            for r in rows:
                for i, f in enumerate(r.fields()):
                    widths[i] = max(widths[i], len(f))
        for r in rows:
            if rng.random() < 0.06:
                lines.append(rng.choice(['', '   ', '\t']))
                st.c['cases with blank lines'] = 1
            if rng.random() < 0.05:
                lines.append(rng.choice(['# ' + r.name, '   # indented comment', '#', '#,data,nvs,,4K',
                                         '# app, factory, 0x10000, 1M']))
                st.c['cases with comment lines'] = 1
            f = r.fields()
            # drop trailing empty columns sometimes (flags, and size/offset for special rows)
            if f[5] == '' and rng.random() < 0.4:
                f = f[:5]
                while len(f) > 3 and f[-1] == '' and r.special and rng.random() < 0.5:
                    f = f[:-1]
            if r.extra_col is None and rng.random() < 0.02:
                f = f + [''] * (6 - len(f)) + [rng.choice(['extra', 'ignored column', ''])]
                st.c['rows with >6 columns'] += 1
            if style == 'tight':
                line = ','.join(f)
            elif style == 'space':
                line = ', '.join(f)
            elif style == 'spaces_around':
                line = ' , '.join(f)
            elif style == 'columns':
                line = ''.join((x + ',').ljust(widths[i] + 2) if i < len(f) - 1 else x for i, x in enumerate(f))
            elif style == 'tabs':
                line = ',\t'.join(f)
            else:
                line = ','.join(rng.choice(['', ' ', '  ', '\t']) + x + rng.choice(['', ' ', '   '])
                                for x in f)
            if rng.random() < 0.05:
                line = rng.choice(['  ', '\t', ' ']) + line
            if rng.random() < 0.05:
                line = line + rng.choice(['  ', '\t', ' '])
            lines.append(line)
        if rng.random() < 0.08:
            lines.append('')
        eol = '\n'
        r = rng.random()
        if r < 0.12:
            eol = '\r\n'
            st.c['cases with CRLF line ends'] += 1
        text = eol.join(lines)
        if rng.random() < 0.9:
            text += eol
        data = text.encode('utf-8')
        if rng.random() < 0.03:
            data = b'\xef\xbb\xbf' + data
            st.c['cases with UTF-8 BOM'] += 1
        if any(t != t.lower() for r in rows for t in (r.type_text, r.subtype_text) if t[:1].isalpha()):
            st.c['cases with mixed-case keywords'] += 1
        return data

    def maybe_flash_size(self, case):
        rng = self.rng
        if rng.random() >= 0.22:
            return
        rows = [r for r in case['rows'] if r.offset is not None and r.size is not None]
        if not rows:
            return
        need = max(r.offset + r.size for r in rows)
        fits = [s for s in (1, 2, 4, 8, 16, 32, 64, 128) if s * M >= need]
        if not fits:
            return
        s = fits[0] if rng.random() < 0.6 else rng.choice(fits)
        case['opts'] += ['--flash-size', '%dMB' % s]
        case['st'].c['cases with --flash-size'] += 1


def key_message(rc, err):
    """The line that states the error: the exception line of a traceback (rc 1), else the
    first line of the InputError message, which gen_esp32part prints last (after any WARNING
    lines and CSV-row dumps); 'Error at line N' messages carry a fixed second line."""
    lines = [l for l in err.splitlines() if l.strip()]
    if not lines:
        return ''
    if rc == 2 and len(lines) >= 2 and lines[-1].startswith('Please check extra_partition_subtypes'):
        return lines[-2]
    return lines[-1]


def strip_traceback(err):
    """Keep a Python traceback's header and final exception line only (the frames would quote
    the reference tool's source and local paths)."""
    lines = err.splitlines()
    if 'Traceback (most recent call last):' not in lines:
        return err
    i = lines.index('Traceback (most recent call last):')
    return '\n'.join(lines[:i + 1] + ['  [frames omitted]', lines[-1]]) + '\n'


def run(cmd):
    env = dict(os.environ)
    env.pop(UNSET_VAR, None)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    return p.returncode, p.stderr.decode('utf-8', 'replace')


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--gen', required=True, help='path to ESP-IDF gen_esp32part.py')
    ap.add_argument('--out', default='Fixtures/partition/differential')
    ap.add_argument('--seed', type=int, default=2026)
    ap.add_argument('--count', type=int, default=240)
    ap.add_argument('--python', default=sys.executable, help='interpreter used to run --gen')
    args = ap.parse_args()

    out = args.out
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if re.match(r'^(case|error)-\d+\.', f) or f in ('manifest.tsv', 'README.md'):
            os.remove(os.path.join(out, f))

    rng = random.Random(args.seed)
    g = CaseGen(rng)
    manifest_valid, manifest_err = [], []
    hist = collections.Counter()
    row_counts = []
    error_kinds = collections.Counter()
    draws = rejected = roundtrip_fail = 0
    n_err = 0
    tmp_csv = os.path.join(out, '.draw.csv')
    tmp_bin = os.path.join(out, '.draw.bin')

    while len(manifest_valid) < args.count:
        draws += 1
        case = g.draw_case()
        mutation = 'none'
        if rng.random() < 0.18:
            mutation = g.mutate(case)
        g.maybe_flash_size(case)
        data = g.render(case)
        opts = ['-q'] + case['opts']
        with open(tmp_csv, 'wb') as f:
            f.write(data)
        if os.path.exists(tmp_bin):
            os.remove(tmp_bin)
        rc, err = run([args.python, args.gen] + opts + [tmp_csv, tmp_bin])
        if rc != 0:
            rejected += 1
            first = key_message(rc, err)
            error_kinds[mutation] += 1
            if mutation == 'none':
                print('note: un-mutated draw %d rejected: %s' % (draws, key_message(rc, err)), file=sys.stderr)
            if n_err < MAX_ERRORS:
                n_err += 1
                name = 'error-%03d' % n_err
                os.replace(tmp_csv, os.path.join(out, name + '.csv'))
                with open(os.path.join(out, name + '.stderr'), 'w', encoding='utf-8') as f:
                    f.write(strip_traceback(err))
                manifest_err.append('%s\trc=%d\t%s\t%s' % (name, rc, ' '.join(opts), first))
            continue
        name = 'case-%03d' % (len(manifest_valid) + 1)
        base = os.path.join(out, name)
        rt_opts = ['-q']
        for k in ('--offset', '--primary-bootloader-offset'):
            if k in opts:
                rt_opts += [k, opts[opts.index(k) + 1]]
        rc2, err2 = run([args.python, args.gen] + rt_opts + [tmp_bin, base + '.roundtrip.csv'])
        if rc2 != 0:
            roundtrip_fail += 1
            print('note: bin->csv failed (rc=%d) for a draw, skipped: %s' % (rc2, err2.strip().splitlines()[-1:]),
                  file=sys.stderr)
            if os.path.exists(base + '.roundtrip.csv'):
                os.remove(base + '.roundtrip.csv')
            continue
        os.replace(tmp_csv, base + '.csv')
        os.replace(tmp_bin, base + '.bin')
        if err:
            with open(base + '.stderr', 'w', encoding='utf-8') as f:
                f.write(err)
            hist['cases with stderr warnings (.stderr kept)'] += 1
        manifest_valid.append('%s\tvalid\t%s' % (name, ' '.join(opts)))
        # statistics
        rows = case['rows']
        row_counts.append(len(rows))
        hist.update(case['st'].c)
        hist['cases with md5 disabled'] += '--disable-md5sum' in opts
        hist['cases with --offset (explicit)'] += '--offset' in opts
        hist['cases with --offset != 0x8000'] += case['table_off'] != 0x8000
        hist['cases with --primary-bootloader-offset'] += '--primary-bootloader-offset' in opts
        hist['cases with >=1 auto offset'] += any(r.auto for r in rows)
        hist['cases with >=1 explicit offset'] += any(not r.auto and not r.special for r in rows)
        hist['cases with custom types'] += any(isinstance(r.ptype, int) for r in rows)
        hist['cases with flags'] += any(r.flags_text for r in rows)
        hist['cases with negative sizes'] += any(r.negative for r in rows)
        hist['cases with >=90 rows'] += len(rows) >= 90
        hist['cases with a mutation that still passed'] += mutation != 'none'

    for p in (tmp_csv, tmp_bin):
        if os.path.exists(p):
            os.remove(p)

    with open(os.path.join(out, 'manifest.tsv'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(manifest_valid + manifest_err) + '\n')

    readme = README_TEMPLATE.format(seed=args.seed, count=args.count, out=args.out, n_err=n_err)
    with open(os.path.join(out, 'README.md'), 'w', encoding='utf-8') as f:
        f.write(readme)

    print('draws: %d, valid: %d, rejected: %d (kept %d as error-NNN), bin->csv failures: %d'
          % (draws, len(manifest_valid), rejected, n_err, roundtrip_fail))
    print('rows per case: min %d, max %d, mean %.1f' % (min(row_counts), max(row_counts),
                                                       sum(row_counts) / len(row_counts)))
    for k in sorted(hist):
        print('  %-48s %d' % (k, hist[k]))
    print('rejected draws by injected mutation:', dict(sorted(error_kinds.items())))


README_TEMPLATE = """# Partition-table differential fixtures

Generated by `Tools/make-partition-differential.py` (our own script) with

    python3 Tools/make-partition-differential.py --gen /tmp/gen_esp32part_v55.py \\
        --out {out} --seed {seed} --count {count}

Reference tool: `components/partition_table/gen_esp32part.py` from ESP-IDF tag **v5.5**
(`git show v5.5:components/partition_table/gen_esp32part.py`), run with Python 3.11.
The reference tool is Apache-2.0 and is **not** committed here; only its outputs are.

## Files

- `case-NNN.csv` — random partition CSV (seed {seed}); accepted by gen_esp32part (exit 0).
- `case-NNN.bin` — `python3 gen_esp32part.py <options> case-NNN.csv case-NNN.bin`, always 3072 bytes.
- `case-NNN.roundtrip.csv` — `python3 gen_esp32part.py -q [--offset X] [--primary-bootloader-offset Y] case-NNN.bin case-NNN.roundtrip.csv`,
  i.e. the options of the manifest with `--disable-md5sum` and `--flash-size` removed
  (reading a binary that has an MD5 record with `--disable-md5sum` crashes the reference tool).
- `case-NNN.stderr` — only present when gen_esp32part printed something despite `-q`
  (name/type mismatch WARNING lines); exit code was still 0.
- `error-NNN.csv` / `error-NNN.stderr` — up to 40 rejected inputs ({n_err} here) and the full stderr.
- `manifest.tsv` — tab separated, one line per fixture:
  - `case-NNN<TAB>valid<TAB><options>`
  - `error-NNN<TAB>rc=<exit code><TAB><options><TAB><error message line>`

  The error message line is the line that states the error, not literally the first stderr
  line (that is often a WARNING or a dumped CSV row): for rc=1 (Python traceback) the final
  exception line; for rc=2 the first line of the InputError message, which the tool prints last
  (`Error at line N: …` messages are followed by a fixed `Please check extra_partition_subtypes.inc …`
  line). The full stderr is in `error-NNN.stderr` (for tracebacks only the header and the final
  exception line are kept).

  `<options>` are exactly the arguments passed before the input/output paths (always starting with `-q`).

The CSVs exercise type/subtype keywords in mixed case, numeric and custom types (0x40-0xFE),
numeric and empty subtypes, hex/decimal/K/M (and a few exotic `int(x, 0)` forms such as
`0x1_0000`, `65_536`, `0o…`, `0b…`, `0x10K`, `1KK`), automatic and explicit offsets, negative sizes (end
addresses), flags, comment/blank lines, CRLF line ends, a UTF-8 BOM, padding/tabs around fields,
1–40 rows and a few 90–95 row tables, plus the `--offset`, `--disable-md5sum`, `--flash-size` and
`--primary-bootloader-offset` options (with bootloader/partition_table rows).
Regenerating with the same seed and the same gen_esp32part.py version gives identical files.
"""

if __name__ == '__main__':
    main()
