#!/bin/sh
# test-options.sh BUILD_DIR - builds the smallest llmgw (every compile-time
# switch of src/options.h that can be 0 set to 0) into BUILD_DIR/options-min
# and checks, against that binary on 127.0.0.1, that each left-out feature
# gives a clear answer (src/options.h): a config error naming the switch at
# `llmgw -t`, a 404/501 naming it for its endpoint, and that what is left
# (an OpenAI chat through mockprov) still works.
#
# With LLMGW_TLS=0 too (BearSSL is still linked, for the SHA-256 of client
# keys only). Prints one line per check and a closing "options: N passed, N failed";
# exits 1 when anything failed, 2 when the build fails. Every process it
# starts is stopped by its PID.
set -u
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
case $1 in /*) bdir=$1 ;; *) bdir=$PWD/$1 ;; esac
out=$bdir/options-min

OFF="-DLLMGW_DIALECT_GEMINI=0 -DLLMGW_DIALECT_ANTHROPIC=0 \
-DLLMGW_STATUS_PAGE=0 -DLLMGW_METRICS=0 -DLLMGW_PROBES=0 -DLLMGW_USAGE=0 -DLLMGW_SYSLOG=0 \
-DLLMGW_TLS=0"

mkdir -p "$out" || exit 2
echo "building $out with: $OFF"
if ! make -C "$top" --no-print-directory BUILD="$out" CFLAGS="$OFF" all > "$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log"
	echo "build failed (log: $out/build.log)"
	echo "options: 0 passed, 1 failed"
	exit 2
fi

exec python3 - "$out/release" "$OFF" <<'EOF'
import json, os, signal, socket, subprocess, sys, tempfile, time

rel, flags = sys.argv[1], sys.argv[2]
llmgw, mockprov = os.path.join(rel, "llmgw"), os.path.join(rel, "mockprov")
tls_off = "-DLLMGW_TLS=0" in flags
tmp = tempfile.mkdtemp(prefix="llmgw-options-")
passed = failed = 0
procs = []

def result(name, ok, detail=""):
	global passed, failed
	if ok:
		passed += 1
		print("ok   %s" % name)
	else:
		failed += 1
		print("FAIL %s%s" % (name, ": " + detail if detail else ""))

def free_port():
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	p = s.getsockname()[1]
	s.close()
	return p

def wait_port(port, proc):
	end = time.monotonic() + 10
	while time.monotonic() < end:
		if proc.poll() is not None:
			return False
		try:
			socket.create_connection(("127.0.0.1", port), 0.5).close()
			return True
		except OSError:
			time.sleep(0.05)
	return False

def start(argv, env=None):
	e = dict(os.environ)
	e.update(env or {})
	err = open(os.path.join(tmp, "p%d.stderr" % len(procs)), "wb")
	p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=e)
	procs.append(p)
	return p

def stop_all():
	for p in procs:
		if p.poll() is None:
			os.kill(p.pid, signal.SIGTERM)
	for p in procs:
		try:
			p.wait(5)
		except subprocess.TimeoutExpired:
			os.kill(p.pid, signal.SIGKILL)
			p.wait()

def http(port, method, path, body=None, headers=None):
	"""One request, Connection: close; returns (status, headers dict, body bytes)."""
	data = json.dumps(body).encode() if body is not None else b""
	h = {"Host": "127.0.0.1", "Connection": "close", "Content-Length": str(len(data))}
	if body is not None:
		h["Content-Type"] = "application/json"
	h.update(headers or {})
	req = ("%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n").encode() + data
	s = socket.create_connection(("127.0.0.1", port), 10)
	s.settimeout(10)
	s.sendall(req)
	buf = b""
	while True:
		d = s.recv(65536)
		if not d:
			break
		buf += d
	s.close()
	head, _, rest = buf.partition(b"\r\n\r\n")
	lines = head.decode("latin-1").split("\r\n")
	status = int(lines[0].split()[1])
	hd = {}
	for l in lines[1:]:
		k, _, v = l.partition(":")
		hd[k.strip().lower()] = v.strip()
	if hd.get("transfer-encoding") == "chunked":
		bodyb, r = b"", rest
		while r:
			n, _, r = r.partition(b"\r\n")
			n = int(n.split(b";")[0], 16)
			if n == 0:
				break
			bodyb, r = bodyb + r[:n], r[n + 2:]
		rest = bodyb
	return status, hd, rest

def check_t(name, conf, want, env=None):
	"""llmgw -t on conf: want None = must pass; else exit 1 with want in stderr."""
	path = os.path.join(tmp, "t.conf")
	with open(path, "w") as f:
		f.write(conf)
	e = dict(os.environ)
	e.update(env or {"MOCK_KEY": "sk-test"})
	p = subprocess.run([llmgw, "-t", "-c", path], capture_output=True, env=e, timeout=20)
	err = p.stderr.decode(errors="replace")
	if want is None:
		result(name, p.returncode == 0, "exit %d: %s" % (p.returncode, err.strip()[:300]))
	else:
		result(name, p.returncode == 1 and want in err, "exit %d, want %r in: %s" % (p.returncode, want, err.strip()[:300]))

GW = "config gateway 'main'\n\toption listen '127.0.0.1:%d'\n"
MOCK = "config provider 'mock'\n\toption type 'openai-compatible'\n\toption base_url 'http://127.0.0.1:%d'\n\toption key_env 'MOCK_KEY'\n\tlist model 'mock-1'\n"
ROUTE = "config route 'fast'\n\tlist target 'mock/mock-1'\n"

try:
	v = subprocess.run([llmgw, "-V"], capture_output=True, timeout=10).stdout.decode()
	result("-V names what was left out", "LLMGW_DIALECT_GEMINI=0" in v and "LLMGW_USAGE=0" in v and "LLMGW_SYSLOG=0" in v, repr(v))
	if tls_off:
		p = subprocess.run([llmgw, "certgen", "--host", "x.lan"], capture_output=True, timeout=10, cwd=tempfile.gettempdir())
		err = p.stderr.decode()
		result("certgen without TLS names LLMGW_CERTGEN", p.returncode == 2 and "LLMGW_CERTGEN=0" in err,
			"exit %d: %s" % (p.returncode, err.strip()[:300]))

	base = GW % 18080 + MOCK % 18081 + ROUTE
	check_t("-t: a plain OpenAI config passes", base, None)
	check_t("-t: gemini provider names LLMGW_DIALECT_GEMINI",
		base + "config provider 'g'\n\toption type 'gemini'\n\toption key 'x'\n",
		"provider type 'gemini' is not in this build (LLMGW_DIALECT_GEMINI=0)")
	check_t("-t: anthropic provider names LLMGW_DIALECT_ANTHROPIC",
		base + "config provider 'a'\n\toption type 'anthropic'\n\toption key 'x'\n",
		"provider type 'anthropic' is not in this build (LLMGW_DIALECT_ANTHROPIC=0)")
	check_t("-t: a named OpenAI-compatible service (always built in) passes",
		base + "config provider 'q'\n\toption type 'groq'\n\toption base_url 'http://127.0.0.1:1'\n\toption key 'x'\n", None)
	check_t("-t: a misspelt type is still 'unknown type'",
		base + "config provider 'q'\n\toption type 'opnai'\n\toption key 'x'\n", "unknown type")
	check_t("-t: option syslog 1 names LLMGW_SYSLOG",
		base.replace("option listen", "option syslog '1'\n\toption listen"), "(LLMGW_SYSLOG=0)")
	check_t("-t: option syslog 0 passes", base.replace("option listen", "option syslog '0'\n\toption listen"), None)
	check_t("-t: option status_page 1 names LLMGW_STATUS_PAGE",
		base.replace("option listen", "option status_page '1'\n\toption listen"), "(LLMGW_STATUS_PAGE=0)")
	check_t("-t: option metrics 1 names LLMGW_METRICS",
		base.replace("option listen", "option metrics '1'\n\toption listen"), "(LLMGW_METRICS=0)")
	check_t("-t: option probe_interval 30s names LLMGW_PROBES",
		base.replace("option listen", "option probe_interval '30s'\n\toption listen"), "(LLMGW_PROBES=0)")
	check_t("-t: option probe_interval 0 passes",
		base.replace("option listen", "option probe_interval '0'\n\toption listen"), None)
	check_t("-t: strategy cheapest names LLMGW_USAGE", base + "\toption strategy 'cheapest'\n",
		"strategy 'cheapest' is not in this build (LLMGW_USAGE=0)")
	check_t("-t: strategy fastest passes", base + "\toption strategy 'fastest'\n", None)
	cl = "config client 'c'\n\toption key_sha256 '%s'\n" % ("ab" * 32)
	check_t("-t: client rpm names LLMGW_USAGE", base + cl + "\toption rpm '10'\n", "rpm: client limits are not in this build (LLMGW_USAGE=0)")
	check_t("-t: client daily_usd names LLMGW_USAGE", base + cl + "\toption daily_usd '5'\n", "(LLMGW_USAGE=0)")
	check_t("-t: client without limits passes", base + cl, None)
	check_t("-t: target prices name LLMGW_USAGE",
		base + "config target\n\toption model 'mock/mock-1'\n\toption input_usd_per_mtok '1'\n\toption output_usd_per_mtok '2'\n",
		"target: input_usd_per_mtok: cost accounting is not in this build (LLMGW_USAGE=0)")
	check_t("-t: target weight passes", base + "config target\n\toption model 'mock/mock-1'\n\toption weight '3'\n", None)
	if tls_off:
		check_t("-t: an https:// provider names LLMGW_TLS",
			base + "config provider 'o'\n\toption type 'openai'\n\toption key 'x'\n",
			"https:// is not in this build (LLMGW_TLS=0)")
		check_t("-t: an explicit https:// base_url names LLMGW_TLS",
			base + "config provider 'o'\n\toption type 'openai-compatible'\n\toption base_url 'https://example.com'\n",
			"https:// is not in this build (LLMGW_TLS=0)")

	# The embedded default with a key for a left-out type: said, not dropped silently.
	if not os.path.exists("/etc/llmgw/llmgw.conf"):
		e = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "OLLAMA_HOST"}
		e["GEMINI_API_KEY"] = "x"
		p = subprocess.run([llmgw, "-t"], capture_output=True, env=e, timeout=20)
		err = p.stderr.decode(errors="replace")
		result("default config: GEMINI_API_KEY set is reported", p.returncode == 0 and "LLMGW_DIALECT_GEMINI=0" in err,
			"exit %d: %s" % (p.returncode, err.strip()[:300]))
		if tls_off:
			e["OPENAI_API_KEY"] = "x"
			p = subprocess.run([llmgw, "-t"], capture_output=True, env=e, timeout=20)
			err = p.stderr.decode(errors="replace")
			result("default config: OPENAI_API_KEY set is reported (https:// left out)",
				p.returncode == 0 and "OPENAI_API_KEY is set, but https:// providers are not in this build (LLMGW_TLS=0)" in err,
				"exit %d: %s" % (p.returncode, err.strip()[:300]))

	# The running daemon.
	mport, gport = free_port(), free_port()
	mock = start([mockprov, "--listen", "127.0.0.1:%d" % mport, "--key", "sk-test", "--quiet"])
	if not wait_port(mport, mock):
		raise SystemExit("mockprov did not start")
	conf = os.path.join(tmp, "run.conf")
	with open(conf, "w") as f:
		f.write(GW % gport + MOCK % mport + ROUTE)
	gw = start([llmgw, "-c", conf], {"MOCK_KEY": "sk-test"})
	if not wait_port(gport, gw):
		raise SystemExit("llmgw did not start: " + open(os.path.join(tmp, "p1.stderr"), errors="replace").read()[-500:])

	for path, sw in (("/status", "LLMGW_STATUS_PAGE"), ("/status.json", "LLMGW_STATUS_PAGE"), ("/metrics", "LLMGW_METRICS")):
		st, h, b = http(gport, "GET", path)
		try:
			msg = json.loads(b)["error"]["message"]
		except Exception:
			msg = None
		result("GET %s: 404 naming %s" % (path, sw), st == 404 and msg and sw + "=0" in msg, "%d %r" % (st, b[:200]))

	st, h, b = http(gport, "POST", "/v1/messages", {"model": "fast", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]},
		{"anthropic-version": "2023-06-01"})
	try:
		j = json.loads(b)
		ok = j["type"] == "error" and "LLMGW_DIALECT_ANTHROPIC=0" in j["error"]["message"]
	except Exception:
		ok = False
	result("POST /v1/messages: 501 in Anthropic's error shape naming LLMGW_DIALECT_ANTHROPIC", st == 501 and ok, "%d %r" % (st, b[:200]))
	st, h, b = http(gport, "POST", "/v1/messages/count_tokens", {"model": "fast", "messages": []})
	result("POST /v1/messages/count_tokens: 501", st == 501 and b"LLMGW_DIALECT_ANTHROPIC=0" in b, "%d %r" % (st, b[:200]))
	st, h, b = http(gport, "POST", "/v1beta/models/fast:generateContent", {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
	try:
		j = json.loads(b)
		ok = j["error"]["status"] == "UNIMPLEMENTED" and j["error"]["code"] == 501 and "LLMGW_DIALECT_GEMINI=0" in j["error"]["message"]
	except Exception:
		ok = False
	result("POST /v1beta/models/...:generateContent: 501 in Gemini's error shape", st == 501 and ok, "%d %r" % (st, b[:200]))

	st, h, b = http(gport, "GET", "/healthz")
	result("GET /healthz: 200", st == 200, "%d" % st)
	st, h, b = http(gport, "GET", "/v1/models")
	result("GET /v1/models lists the route", st == 200 and b'"fast"' in b, "%d %r" % (st, b[:200]))

	chat = {"model": "fast", "messages": [{"role": "user", "content": "hello there"}]}
	st, h, b = http(gport, "POST", "/v1/chat/completions", chat)
	try:
		text = json.loads(b)["choices"][0]["message"]["content"]
	except Exception:
		text = None
	result("OpenAI chat through mockprov", st == 200 and text == "mock reply to: hello there", "%d %r" % (st, b[:300]))
	result("no x-llmgw-cost-usd without LLMGW_USAGE", st == 200 and "x-llmgw-cost-usd" not in h, repr(h))
	st, h, b = http(gport, "POST", "/v1/chat/completions", dict(chat, model="mock/mock-1", stream=True))
	events = [l[6:] for l in b.decode(errors="replace").split("\n") if l.startswith("data: ")]
	txt = ""
	for ev in events[:-1]:
		try:
			for c in json.loads(ev).get("choices", []):
				txt += c.get("delta", {}).get("content") or ""
		except ValueError:
			pass
	result("OpenAI stream through mockprov", st == 200 and events[-1:] == ["[DONE]"] and txt == "mock reply to: hello there",
		"%d %r" % (st, b[:300]))
	st, h, b = http(gport, "POST", "/v1/chat/completions", chat, {"x-llmgw-route-strategy": "cheapest"})
	result("x-llmgw-route-strategy: cheapest: 501 naming LLMGW_USAGE", st == 501 and b"LLMGW_USAGE=0" in b, "%d %r" % (st, b[:200]))

	os.kill(gw.pid, signal.SIGTERM)
	try:
		rc = gw.wait(10)
	except subprocess.TimeoutExpired:
		rc = None
	result("llmgw exits 0 on SIGTERM", rc == 0, "exit %r" % rc)
except SystemExit as e:
	result("start-up", False, str(e))
except Exception as e:
	result("driver", False, repr(e))
finally:
	stop_all()
	import shutil
	shutil.rmtree(tmp, ignore_errors=True)
print("options: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
