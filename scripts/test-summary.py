#!/usr/bin/env python3
"""Prints 'N passed, N failed, N skipped' from a meson testlog.json.

Every meson test counts once: OK passes; SKIP is skipped (never passed);
anything else (FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS) fails. Prints the names
of the failed and skipped tests first, so the last line is the tally."""
import json
import sys

passed, failed, skipped = [], [], []
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        if not line.strip():
            continue
        t = json.loads(line)
        result = t.get("result", "")
        if result in ("OK", "EXPECTEDFAIL"):
            passed.append(t["name"])
        elif result == "SKIP":
            skipped.append(t["name"])
        else:
            failed.append(f'{t["name"]} ({result})')
for name in skipped:
    print(f"skipped: {name}")
for name in failed:
    print(f"failed: {name}")
print(f"{len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped")
