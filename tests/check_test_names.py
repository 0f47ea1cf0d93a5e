#!/usr/bin/env python3
"""Fails when a doctest case or subcase name has a ';' in it. CMake splits the names that
doctest_discover_tests reads on ';', so such a case is registered under a truncated name whose
filter matches nothing: ctest then runs no test at all and reports it passed. Usage:
check_test_names.py TESTS_DIR"""

import pathlib
import re
import sys

NAME = re.compile(r'\b(TEST_CASE|SUBCASE|TEST_CASE_FIXTURE|TEST_SUITE)\s*\((?:[^"()]*,\s*)?"((?:[^"\\]|\\.)*)"')


def main():
    root = pathlib.Path(sys.argv[1])
    bad = []
    for path in sorted(root.rglob("*.cpp")) + sorted(root.rglob("*.h")):
        for line_number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            for match in NAME.finditer(line):
                if ";" in match.group(2):
                    bad.append(f"{path}:{line_number}: {match.group(1)} name has a ';': {match.group(2)!r}")
    for entry in bad:
        print(f"FAILED: {entry}")
    print(f"{len(bad)} test names with ';'")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
