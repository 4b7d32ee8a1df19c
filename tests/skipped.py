#!/usr/bin/env python3
"""Lists the skipped tests of TRX result files with their reasons; exits 1 if any skip is not an allowed one.

A test may be skipped only because a conformance corpus outside the repository (shared/conformance) is
absent on this machine; any other skip hides a missing dependency and fails the run.
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
ALLOWED = "conformance corpus "
bad = 0
for path in sys.argv[1:]:
    for result in ET.parse(path).getroot().iter(NS + "UnitTestResult"):
        if result.get("outcome") != "NotExecuted":
            continue
        message = result.find(f"{NS}Output/{NS}ErrorInfo/{NS}Message")
        reason = (message.text or "").strip() if message is not None else ""
        print(f"  Skipped {result.get('testName')}: {reason or 'no reason given'}")
        if not reason.startswith(ALLOWED):
            bad += 1
sys.exit(1 if bad else 0)
