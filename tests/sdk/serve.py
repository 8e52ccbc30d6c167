#!/usr/bin/env python3
"""serve.py BUILD -- CMD...: runs CMD against a live llmgw.

Starts three mockprovs and llmgw (BUILD/asan) with the integration harness:
  provider 'mock' type openai-compatible -> mockprov A (model mock-1),
    route 'fast' -> mock/mock-1 (the same-dialect OpenAI tests),
    route 'limited' -> a target answering 429 with retry-after 20;
  provider 'oai'  type openai-compatible -> mockprov A,
  provider 'ant'  type anthropic         -> mockprov B,
  provider 'gem'  type gemini            -> mockprov C,
and one client key. One mockprov per provider dialect so that each test can
read GET /mock/last of the provider it used and check what llmgw really
sent upstream (the path decides the dialect mockprov answers in), while the
tests for the three providers run in parallel. Every mockprov runs with
--key (the provider key), so it also checks each API's own auth header.
llmgw also serves TLS on a `config listen` section, with a key and
certificate made by `llmgw certgen --host localhost --ip 127.0.0.1`.
CMD gets LLMGW_BASE_URL (http://127.0.0.1:PORT/v1), LLMGW_ORIGIN
(http://127.0.0.1:PORT), LLMGW_TLS_ORIGIN (https://127.0.0.1:TLSPORT),
NODE_EXTRA_CA_CERTS (the certificate: how Node clients trust it), LLMGW_KEY
and MOCK_URL_OAI / MOCK_URL_ANT / MOCK_URL_GEM (the mockprovs' control
URLs). Its output is relayed; then all
servers are stopped by PID. CMD's closing "sdk: N passed, N failed" line is
re-printed with one more failure when the servers misbehaved (a sanitizer
report, llmgw not exiting 0 on SIGTERM) or CMD printed no summary.
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
		mocks = {}
		for name in ("oai", "ant", "gem"):
			mocks[name] = ctx.mockprov(name="mockprov_" + name)
		port, tport = harness.free_port(), harness.free_port()
		tls_dir = ctx.path("tls")
		os.mkdir(tls_dir)
		cg = subprocess.run([ctx.binary("llmgw"), "certgen", "--host", "localhost", "--ip", "127.0.0.1",
			"--out", tls_dir], capture_output=True, timeout=30)
		if cg.returncode != 0:
			raise harness.TestFailure("llmgw certgen: %s" % cg.stderr.decode(errors="replace"))
		cert, key = os.path.join(tls_dir, "llmgw-cert.pem"), os.path.join(tls_dir, "llmgw-key.pem")
		more = harness.uci([
			("listen", "tls", [("option", "address", "127.0.0.1:%d" % tport),
				("option", "tls_cert", cert), ("option", "tls_key", key)]),
			("provider", "oai", [("option", "type", "openai-compatible"),
				("option", "base_url", mocks["oai"].url), ("option", "key_env", "MOCK_KEY")]),
			("provider", "ant", [("option", "type", "anthropic"),
				("option", "base_url", mocks["ant"].url), ("option", "key_env", "MOCK_KEY")]),
			("provider", "gem", [("option", "type", "gemini"),
				("option", "base_url", mocks["gem"].url), ("option", "key_env", "MOCK_KEY")]),
		])
		conf = ctx.config(port,
			providers=[("mock", mocks["oai"].url, [("list", "model", "mock-1")])],
			routes=[("fast", ["mock/mock-1"]), ("limited", ["mock/fault:status=429,retry_after=20"])],
			clients=[("sdk", key, [])], extra="\n" + more)
		gw = ctx.llmgw(conf)
		env = dict(os.environ)
		env["LLMGW_BASE_URL"] = "http://127.0.0.1:%d/v1" % gw.port
		env["LLMGW_ORIGIN"] = "http://127.0.0.1:%d" % gw.port
		env["LLMGW_TLS_ORIGIN"] = "https://127.0.0.1:%d" % tport
		env["NODE_EXTRA_CA_CERTS"] = cert
		env["LLMGW_KEY"] = key
		for name, m in mocks.items():
			env["MOCK_URL_" + name.upper()] = m.url
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
