#!/usr/bin/env python3
"""serve.py BUILD -- CMD...: runs CMD against a live llmgw.

Starts mockprov and llmgw (BUILD/asan) with the integration harness,
provider 'mock' (model mock-1), route 'fast' and one client key, runs CMD
with LLMGW_BASE_URL and LLMGW_KEY set, relays its output, then stops both
servers by PID. CMD's closing "sdk: N passed, N failed" line is re-printed
with one more failure when the servers misbehaved (a sanitizer report,
llmgw not exiting 0 on SIGTERM) or CMD printed no summary.
"""

import os
import re
import secrets
import signal
import subprocess
import sys

sys.dont_write_bytecode = True	# no __pycache__ in the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import harness  # noqa: E402


def main():
	if len(sys.argv) < 4 or sys.argv[2] != "--":
		sys.stderr.write("usage: serve.py BUILD -- CMD...\n")
		return 2
	build = os.path.abspath(sys.argv[1])
	cmd = sys.argv[3:]
	ctx = harness.Ctx(build, "sdk")
	passed = failed = 0
	extra = []
	summary = None
	try:
		key = "llmgw-sdk-" + secrets.token_hex(12)
		mock, gw = ctx.standard(clients=[("sdk", key, [])])
		env = dict(os.environ)
		env["LLMGW_BASE_URL"] = "http://127.0.0.1:%d/v1" % gw.port
		env["LLMGW_KEY"] = key
		p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
		try:
			for raw in p.stdout:
				line = raw.decode("utf-8", "replace").rstrip("\n")
				m = re.match(r"^sdk: (\d+) passed, (\d+) failed$", line)
				if m:
					summary = (int(m.group(1)), int(m.group(2)))
					continue
				print(line, flush=True)
			rc = p.wait(timeout=30)
		finally:
			if p.poll() is None:
				p.kill()
				p.wait()
		if summary is None:
			extra.append("sdk: %s exited %s without a summary" % (os.path.basename(cmd[-1]), rc))
		else:
			passed, failed = summary
			if rc != 0 and failed == 0:
				extra.append("sdk: the test exited %d" % rc)
	except harness.TestFailure as e:
		extra.append("sdk setup: %s" % e)
	finally:
		problems = ctx.close()
		for pr in problems:
			extra.append("sdk servers: %s" % pr)
		if extra:
			for proc in ctx.procs:
				print("  %s stderr (last lines):" % proc.name)
				print(proc.tail())
		ctx.remove()
	for e in extra:
		print("FAIL %s" % e)
	failed += len(extra)
	print("sdk: %d passed, %d failed" % (passed, failed), flush=True)
	return 1 if failed else 0


if __name__ == "__main__":
	signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
	sys.exit(main())
