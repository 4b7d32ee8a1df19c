#!/usr/bin/env python3
"""Reads the TRX result files of a test run.

  trx.py skipped FILE...  lists the skipped tests with their reasons; exits 1 if any skip is not an allowed one.
  trx.py failed FILE...   lists the failed tests with the first lines of their messages, so that the end of a
                          run's output (all a CI summary may keep) names what failed.

A test may be skipped only because a conformance corpus outside the repository (shared/conformance) is
absent on this machine; any other skip hides a missing dependency and fails the run.
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
ALLOWED = "conformance corpus "


def results(paths, outcomes):
    for path in paths:
        for result in ET.parse(path).getroot().iter(NS + "UnitTestResult"):
            if result.get("outcome") in outcomes:
                message = result.find(f"{NS}Output/{NS}ErrorInfo/{NS}Message")
                yield result.get("testName"), (message.text or "").strip() if message is not None else ""


def skipped(paths):
    bad = 0
    for name, reason in results(paths, {"NotExecuted"}):
        print(f"  Skipped {name}: {reason or 'no reason given'}")
        if not reason.startswith(ALLOWED):
            bad += 1
    return 1 if bad else 0


def failed(paths):
    for name, message in results(paths, {"Failed", "Error", "Timeout", "Aborted"}):
        lines = message.splitlines()[:6]
        print(f"  Failed {name}")
        for line in lines:
            print(f"      {line[:300]}")
    return 0


if __name__ == "__main__":
    mode, paths = sys.argv[1], sys.argv[2:]
    sys.exit({"skipped": skipped, "failed": failed}[mode](paths))
