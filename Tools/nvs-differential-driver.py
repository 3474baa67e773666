#!/usr/bin/env python3
"""Runs esp-idf-nvs-partition-gen (imported, one process) over many cases for the differential test.

Usage: nvs-differential-driver.py MANIFEST
MANIFEST is a tab-separated file: case_dir, csv name, output name, size, version (1|2), key file or '-'.
Each case runs with its folder as the current directory (file rows are relative to it) and writes
<output> there on success, or <output>.failed holding the error text. Written for espflash-swift's tests;
it only calls the generator's public `generate`/`encrypt` entry points.
"""
import contextlib
import io
import os
import sys
import traceback
from types import SimpleNamespace

from esp_idf_nvs_partition_gen import nvs_partition_gen as gen


def run(case_dir, csv_name, out_name, size, version, key):
    os.chdir(case_dir)
    args = SimpleNamespace(input=[csv_name], output=out_name, size=size, version=int(version), outdir=case_dir,
                           keygen=False, inputkey=None if key == '-' else key, keyfile=None,
                           key_protect_hmac=False, kp_hmac_keygen=False, kp_hmac_keyfile=None, kp_hmac_inputkey=None)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            if key == '-':
                gen.generate(args)
            else:
                gen.encrypt(args)
        return None
    except BaseException as e:  # SystemExit from log.die, tracebacks from crashes
        return '%s: %s\n%s' % (type(e).__name__, e, sink.getvalue()[-2000:])


def main():
    with open(sys.argv[1]) as manifest:
        cases = [line.rstrip('\n').split('\t') for line in manifest if line.strip()]
    for case_dir, csv_name, out_name, size, version, key in cases:
        error = run(case_dir, csv_name, out_name, size, version, key)
        if error is not None:
            path = os.path.join(case_dir, out_name)
            if os.path.exists(path):
                os.remove(path)
            with open(path + '.failed', 'w') as f:
                f.write(error)
    print('ran %d cases' % len(cases))


if __name__ == '__main__':
    main()
