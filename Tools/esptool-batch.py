#!/usr/bin/env python3
"""Runs many esptool command lines in one Python process (esptool 5.6.0, from the test virtualenv).

Usage: esptool-batch.py CASES.json RESULTS.json
CASES.json is a list of {"id": str, "argv": [str, ...], "cwd": str (optional)}. RESULTS.json receives
{id: {"ok": bool, "error": str, "exit": int, "stdout": str, "stderr": str}} (what esptool printed, its version
banner included). Used by the differential tests, which would otherwise start Python once per case.
"""
import contextlib
import io
import json
import os
import sys

import esptool


def run(argv):
    out, err = io.StringIO(), io.StringIO()

    def result(ok, code, error):
        return {"ok": ok, "exit": code, "error": error, "stdout": out.getvalue(), "stderr": err.getvalue()}
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            esptool.main(argv)
        return result(True, 0, "")
    except SystemExit as e:
        code = 0 if e.code is None else e.code if isinstance(e.code, int) else 1
        return result(code == 0, code, f"exit {e.code}: {(out.getvalue() + err.getvalue())[-400:]}")
    except BaseException as e:  # esptool's FatalError and anything else it raises
        return result(False, 2, f"{type(e).__name__}: {e}")


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
