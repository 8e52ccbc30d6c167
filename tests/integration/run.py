#!/usr/bin/env python3
"""run.py --build BUILD [-k SUBSTR]... [--keep] [--list]

Runs llmgw's integration tests: the real daemon (BUILD/asan/llmgw, and
BUILD/release/llmgw for the memory test) against mockprov on loopback.
Every test runs under a hard timeout (SIGALRM) and its processes are
stopped by PID in a finally block. Prints "ok   name", "FAIL name: reason"
or "SKIP name: reason" per test and ends with
"integration: N passed, N failed".
"""

import argparse
import glob
import importlib
import os
import signal
import sys

sys.dont_write_bytecode = True	# no __pycache__ in the source tree
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import TestFailure, TestSkip, TestTimeout  # noqa: E402


def on_alarm(signum, frame):
	raise TestTimeout()


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--build", required=True)
	ap.add_argument("-k", action="append", default=[], help="run tests whose name contains this (repeatable)")
	ap.add_argument("--keep", action="store_true", help="keep each test's scratch directory")
	ap.add_argument("--list", action="store_true")
	a = ap.parse_args()
	build = os.path.abspath(a.build)

	here = os.path.dirname(os.path.abspath(__file__))
	for f in sorted(glob.glob(os.path.join(here, "test_*.py"))):
		importlib.import_module(os.path.basename(f)[:-3])

	tests = [t for t in harness.TESTS if not a.k or any(k in t[0] for k in a.k)]
	if a.list:
		for name, _, to in tests:
			print("%s (%ds)" % (name, to))
		return 0

	missing = [b for b in ("asan/llmgw", "asan/mockprov") if not os.access(os.path.join(build, b), os.X_OK)]
	if missing and tests:
		print("FAIL setup: not built: %s" % ", ".join(os.path.join(build, b) for b in missing))
		print("integration: 0 passed, 1 failed")
		return 1

	signal.signal(signal.SIGALRM, on_alarm)
	passed = failed = 0
	skips = []
	t_all = time.monotonic()
	for name, fn, timeout in tests:
		ctx = harness.Ctx(build, name, a.keep)
		reason = None
		skip = None
		t0 = time.monotonic()
		try:
			signal.setitimer(signal.ITIMER_REAL, timeout)
			try:
				fn(ctx)
			finally:
				signal.setitimer(signal.ITIMER_REAL, 0)
		except TestSkip as e:
			skip = str(e)
		except TestFailure as e:
			reason = str(e)
		except TestTimeout:
			reason = "hard timeout after %d s" % timeout
		except Exception:
			reason = "exception:\n" + harness.indent(traceback.format_exc())
		# Teardown runs outside the test's timer, bounded by Proc.stop.
		try:
			problems = ctx.close()
		except Exception:
			problems = ["teardown: " + traceback.format_exc()]
		if problems and reason is None and skip is None:
			reason = "; ".join(problems)
		elif problems:
			reason = (reason or "") + "\n  also: " + "; ".join(problems)
		dt = time.monotonic() - t0
		if reason is not None:
			failed += 1
			print("FAIL %s: %s" % (name, reason))
			for p in ctx.procs:
				tail = p.tail()
				if tail:
					print("  %s stderr (last lines, %s):" % (p.name, p.errpath if a.keep else "pid %d" % p.pid))
					print(tail)
		elif skip is not None:
			skips.append((name, skip))
		else:
			passed += 1
			extra = (" (%s)" % "; ".join(ctx.notes)) if ctx.notes else ""
			print("ok   %s%s [%.1fs]" % (name, extra, dt))
		sys.stdout.flush()
		ctx.remove()
	for name, why in skips:
		print("SKIP %s: %s" % (name, why))
	print("integration took %.1f s" % (time.monotonic() - t_all))
	print("integration: %d passed, %d failed" % (passed, failed), flush=True)
	return 1 if failed else 0


if __name__ == "__main__":
	sys.exit(main())
