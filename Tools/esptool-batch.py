#!/usr/bin/env python3
"""Runs many esptool command lines in one Python process (esptool 5.6.0, from the test virtualenv).

Usage: esptool-batch.py CASES.json RESULTS.json
CASES.json is a list of {"id": str, "argv": [str, ...], "cwd": str (optional)}. RESULTS.json receives
{id: {"ok": bool, "error": str}}. esptool's own output is discarded. Used by the differential tests, which would
otherwise start Python once per case.
"""
import contextlib
import io
import json
import os
import sys

import esptool


def run(argv):
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            esptool.main(argv)
        return {"ok": True, "error": ""}
    except SystemExit as e:
        return {"ok": e.code in (0, None), "error": f"exit {e.code}: {sink.getvalue()[-400:]}"}
    except BaseException as e:  # esptool's FatalError and anything else it raises
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


def main():
    cases = json.load(open(sys.argv[1]))
    results = {}
    start = os.getcwd()
    for case in cases:
        os.chdir(case.get("cwd", start))
        results[case["id"]] = run(case["argv"])
        os.chdir(start)
    json.dump(results, open(sys.argv[2], "w"), indent=1)


if __name__ == "__main__":
    main()
