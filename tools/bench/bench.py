#!/usr/bin/env python3
"""bench.py BUILD quick|full - the side-by-side benchmark of llmgw, nginx and Portkey.

Run through tools/bench.sh (which installs wrk, nginx-light, valgrind and
Portkey's gateway when missing, raises `ulimit -n` and builds the client).

On 127.0.0.1 only, it starts mockprov (the upstream, over http and over
https), llmgw (the release build, and the static musl build when
BUILD/x86_64-linux-musl/release/llmgw exists), nginx as a plain reverse proxy (one
worker, upstream keep-alive, proxy_buffering off) and Portkey's Node gateway,
then measures, with every leg in the same run:

  * wrk (one fixed POST) at 1, 16, 64, 256 and 1024 connections, the legs
    interleaved round by round: req/s, p50/p99 latency, CPU us per request
    (utime+stime from /proc/PID/stat over the requests completed), errors;
  * the same for the translated path (OpenAI client -> llmgw -> Anthropic
    mockprov) and for an https upstream (llmgw and nginx), with handshakes
    per 1000 requests from mockprov's /mock/stats;
  * a paced SSE stream (20 events, 5 ms apart) timed event by event by
    BUILD/bench/sseclient, directly and through each proxy;
  * RSS, PSS and VmHWM at idle, under load (1024 connections), with 1024
    open connections plus 64 active streams over upstream TLS, and after;
  * instructions per request under valgrind --tool=callgrind.

It writes BUILD/bench/report.md (and results.json) and prints the report.
Every process it starts is stopped by PID on exit, whatever the exit path;
every load run is bounded in requests or time, and the whole run by a
deadline (quick < 2 min, full < 10 min). It exits 1 only on real failures: a
leg of ours that cannot start, or error responses; never on slow numbers.
"""

import datetime
import json
import os
import platform
import re
import resource
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
MODE = sys.argv[2] if len(sys.argv) > 2 else "quick"
if MODE not in ("quick", "full", "cg"):
	sys.exit("usage: bench.py BUILD quick|full|cg")
QUICK = MODE == "quick"
CG_ONLY = MODE == "cg"		# only the instruction counts (make bench-cg)
OUT = os.path.join(BUILD, "bench")
RUN = os.path.join(OUT, "run")		# per-run scratch: configs, logs, nginx prefix
COMMAND = os.environ.get("BENCH_COMMAND") or "tools/bench.sh %s %s" % (sys.argv[1] if len(sys.argv) > 1 else "build", MODE)

T_START = time.monotonic()
BUDGET = 125 if QUICK else 570		# seconds, the whole run
ROUNDS = 1 if QUICK else 3
DUR = 1 if QUICK else 3			# seconds per wrk run
CONCS = [1, 64, 1024] if QUICK else [1, 16, 64, 256, 1024]
SIDE_CONCS = [1, 64]			# translation and TLS legs
STREAMS = 5 if QUICK else 15		# paced streams per leg per round
TTFTS = 10 if QUICK else 30		# unpaced streams per leg per round (TTFT)
CHUNKS, INTERVAL_MS = 20, 5
HOLD_IDLE, HOLD_STREAMS = 1024, 64
# Hold streams last 240 x 25 ms = 6 s (quick: 3 s); memory is sampled when every stream
# has started and again HOLD_SETTLE s later (the steady state: llmgw hands
# back the buffers of exchanges idle for 1.5-2 s).
HOLD_CHUNKS, HOLD_SETTLE = (120, 2.5) if QUICK else (240, 3.0)
CG_WARM, CG_N = (20, 100) if QUICK else (100, 1000)
KEY = "bench-upstream-secret"

_cpus = sorted(os.sched_getaffinity(0))
PIN = os.environ.get("BENCH_PIN", "1") != "0" and len(_cpus) >= 2
CPU_LOAD, CPU_SERVERS = ({_cpus[0]}, {_cpus[1]}) if PIN else (None, None)	# wrk and clients / every server
HZ = os.sysconf("SC_CLK_TCK")

failures = []		# real failures: exit 1
notes = []		# SKIP lines and remarks, printed and put in the report
procs = []		# every process started, stopped by PID at exit
loads = []		# load generators running (wrk, the hold client), killed at exit


def say(msg):
	print(msg, flush=True)


def skip(msg):
	say("SKIP: " + msg)
	notes.append("SKIP: " + msg)


def fail(msg):
	say("FAIL: " + msg)
	failures.append(msg)


def left():
	return BUDGET - (time.monotonic() - T_START)


# ---------------------------------------------------------------- processes

def pin(cpus):
	if not PIN:
		return None
	return lambda: os.sched_setaffinity(0, cpus)


class Proc:
	def __init__(self, name, argv, env=None, cpus=CPU_SERVERS, log=None):
		self.name = name
		self.log = log or os.path.join(RUN, name + ".log")
		e = dict(os.environ)
		e.update(env or {})
		self.f = open(self.log, "wb")
		self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.f, stderr=subprocess.STDOUT,
			env=e, preexec_fn=pin(cpus), cwd=RUN)
		self.pid = self.p.pid
		procs.append(self)

	def alive(self):
		return self.p.poll() is None

	def pids(self):
		"""The process and its children (nginx's worker)."""
		out = [self.pid]
		try:
			with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
				out += [int(x) for x in f.read().split()]
		except OSError:
			pass
		return out

	def stop(self, timeout=5):
		if self.p.poll() is None:
			try:
				os.kill(self.pid, signal.SIGTERM)
			except ProcessLookupError:
				pass
			try:
				self.p.wait(timeout)
			except subprocess.TimeoutExpired:
				try:
					os.kill(self.pid, signal.SIGKILL)
				except ProcessLookupError:
					pass
				self.p.wait(5)
		self.f.close()
		return self.p.returncode

	def tail(self, n=600):
		try:
			with open(self.log, "rb") as f:
				return f.read()[-n:].decode(errors="replace")
		except OSError:
			return ""


def stop_all():
	for p in loads:
		if p.poll() is None:
			p.kill()
			p.wait()
	while procs:
		p = procs.pop()
		try:
			p.stop()
		except Exception as e:	# keep stopping the others
			print("bench: stopping %s: %s" % (p.name, e), file=sys.stderr)


def on_signal(sig, frame):
	raise SystemExit(128 + sig)


for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
	signal.signal(s, on_signal)


def free_port():
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	port = s.getsockname()[1]
	s.close()
	return port


def wait_port(proc, port, timeout):
	end = time.monotonic() + timeout
	while time.monotonic() < end:
		if not proc.alive():
			return False
		try:
			socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
			return True
		except OSError:
			time.sleep(0.05)
	return False


# ---------------------------------------------------------------- /proc

def cpu_ticks(pids):
	t = 0
	for pid in pids:
		try:
			with open("/proc/%d/stat" % pid) as f:
				fields = f.read().rsplit(")", 1)[1].split()
			t += int(fields[11]) + int(fields[12])	# utime, stime
		except (OSError, IndexError, ValueError):
			pass
	return t


def mock_active(port, tls):
	try:
		if tls:
			return tls_stats(port).get("active", 0)
		with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
			s.sendall(b"GET /mock/stats HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
			data = b""
			while True:
				d = s.recv(65536)
				if not d:
					break
				data += d
		return json.loads(data.partition(b"\r\n\r\n")[2].decode()).get("active", 0)
	except (OSError, ValueError):
		return 0


def quiesce(timeout=8.0):
	"""Waits (at most timeout s) until no server burns CPU and the proxies
	have closed the idle upstream connections a high-concurrency leg left in
	their pools (upstream idle timeouts are 1 s here): a proxy working off an
	overload (Portkey after 1024 connections) would slow the next leg on the
	shared CPU, and a thousand idle connections make every poll() of the
	single-threaded mockprov (and llmgw) cost O(n). Returns the seconds
	waited."""
	t0 = time.monotonic()
	while time.monotonic() - t0 < timeout:
		if mock_active(MOCK_PORT, False) <= 70 and mock_active(MOCK_TLS_PORT, True) <= 70:
			break
		time.sleep(0.25)
	pids = [pid for p in procs if p.alive() for pid in p.pids()]
	last = cpu_ticks(pids)
	while time.monotonic() - t0 < timeout:
		time.sleep(0.1)
		cur = cpu_ticks(pids)
		if cur - last <= 1:
			break
		last = cur
	return time.monotonic() - t0


def mem(pids):
	"""RSS, PSS, VmHWM in kB, summed over the processes."""
	rss = pss = hwm = 0
	for pid in pids:
		try:
			with open("/proc/%d/status" % pid) as f:
				for line in f:
					if line.startswith("VmRSS:"):
						rss += int(line.split()[1])
					elif line.startswith("VmHWM:"):
						hwm += int(line.split()[1])
			with open("/proc/%d/smaps_rollup" % pid) as f:
				for line in f:
					if line.startswith("Pss:"):
						pss += int(line.split()[1])
						break
		except (OSError, ValueError):
			pass
	return {"rss": rss, "pss": pss, "hwm": hwm}


# ---------------------------------------------------------------- setup

def write(path, text):
	with open(path, "w") as f:
		f.write(text)
	return path


def body(name, model, stream=False):
	b = {"model": model, "messages": [{"role": "user", "content": "Say hello to the benchmark."}]}
	if stream:
		b["stream"] = True
	return write(os.path.join(RUN, name + ".json"), json.dumps(b, separators=(",", ":")))


def tool(name):
	for d in os.environ.get("PATH", "").split(":"):
		p = os.path.join(d, name)
		if os.access(p, os.X_OK):
			return p
	for d in ("/usr/sbin", "/sbin"):
		p = os.path.join(d, name)
		if os.access(p, os.X_OK):
			return p
	return None


def run_out(argv, timeout=10):
	try:
		r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
		return (r.stdout + r.stderr).decode(errors="replace").strip()
	except (OSError, subprocess.TimeoutExpired):
		return ""


def llmgw_conf(port, mock, mock_tls, certs, state, tls_in=None):
	"""tls_in: a port for the TLS listener (the certificate nginx's TLS
	server also has), or None."""
	listen = [] if tls_in is None else [
		"config listen 'tls_in'",
		"\toption address '127.0.0.1:%d'" % tls_in,
		"\toption tls_cert '%s'" % os.path.join(certs, "server-ec.crt"),
		"\toption tls_key '%s'" % os.path.join(certs, "server-ec.key")]
	return "\n".join([
		"config gateway 'main'",
		"\toption listen '127.0.0.1:%d'" % port,
		"\toption max_tls_connections '1100'",
		"\toption log_level 'warn'",
		"\toption max_connections '2048'",
		"\toption max_inflight '1100'",
		"\toption ca_file '%s'" % os.path.join(certs, "ca.crt"),
		"\toption state_dir '%s'" % state,
		"\toption probe_interval '0'",
		"\toption upstream_idle '1s'",
		"config provider 'mock'",
		"\toption type 'openai-compatible'",
		"\toption base_url 'http://127.0.0.1:%d'" % mock,
		"\toption key_env 'BENCH_KEY'",
		"config provider 'ant'",
		"\toption type 'anthropic'",
		"\toption base_url 'http://127.0.0.1:%d'" % mock,
		"\toption key_env 'BENCH_KEY'",
		"config provider 'mtls'",
		"\toption type 'openai-compatible'",
		"\toption base_url 'https://localhost:%d'" % mock_tls,
		"\toption key_env 'BENCH_KEY'"] + listen + [""])


def nginx_conf(prefix, port, port_tls, mock, mock_tls, certs, master=True, port_tls_in=None):
	tmp = lambda n: os.path.join(prefix, n)
	return ("" if master else "master_process off;\n") + """daemon off;
worker_processes 1;
worker_rlimit_nofile 10000;
pid %(pid)s;
error_log %(err)s warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path %(t1)s;
	proxy_temp_path %(t2)s;
	fastcgi_temp_path %(t3)s;
	uwsgi_temp_path %(t4)s;
	scgi_temp_path %(t5)s;
	keepalive_requests 1000000;
	upstream mock {
		server 127.0.0.1:%(mock)d;
		keepalive 1100;
		keepalive_requests 1000000;
		keepalive_timeout 1s;
	}
	upstream mocktls {
		server 127.0.0.1:%(mock_tls)d;
		keepalive 1100;
		keepalive_requests 1000000;
		keepalive_timeout 1s;
	}
	server {
		listen 127.0.0.1:%(port)d;
		location / {
			proxy_pass http://mock;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_buffering off;
		}
	}
	server {
		listen 127.0.0.1:%(port_tls)d;
		location / {
			proxy_pass https://mocktls;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_buffering off;
			proxy_ssl_server_name on;
			proxy_ssl_name localhost;
			proxy_ssl_verify on;
			proxy_ssl_trusted_certificate %(ca)s;
			proxy_ssl_session_reuse on;
		}
	}
%(tls_in)s}
""" % {"pid": tmp("nginx.pid"), "err": tmp("error.log"), "t1": tmp("client_body"), "t2": tmp("proxy"),
		"t3": tmp("fastcgi"), "t4": tmp("uwsgi"), "t5": tmp("scgi"), "mock": mock, "mock_tls": mock_tls,
		"port": port, "port_tls": port_tls, "ca": os.path.join(certs, "ca.crt"),
		"tls_in": "" if port_tls_in is None else """	server {
		listen 127.0.0.1:%d ssl;
		ssl_certificate %s;
		ssl_certificate_key %s;
		ssl_protocols TLSv1.2;
		ssl_session_cache shared:SSL:1m;
		location / {
			proxy_pass http://mock;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_buffering off;
		}
	}
""" % (port_tls_in, os.path.join(certs, "server-ec.crt"), os.path.join(certs, "server-ec.key"))}


def cg_llmgw(binary, certs, state):
	def argv(port, out):
		conf = write(os.path.join(RUN, "cg.conf"), llmgw_conf(port, MOCK_PORT, MOCK_TLS_PORT, certs, state))
		return [binary, "-c", conf]
	return argv


def cg_nginx(nginx, certs):
	def argv(port, out):
		prefix = os.path.join(RUN, "nginx-cg")
		os.makedirs(prefix, exist_ok=True)
		conf = write(os.path.join(prefix, "nginx.conf"),
			nginx_conf(prefix, port, free_port(), MOCK_PORT, MOCK_TLS_PORT, certs, master=False))
		return [nginx, "-p", prefix, "-e", os.path.join(prefix, "error.log"), "-c", conf]
	return argv


# Node preload for Portkey: bind its server to 127.0.0.1 only (it listens on
# every address otherwise), and hand the gateway upstream responses whose
# headers it may modify: Portkey 1.15.2 on Node 20 appends headers to the
# fetch() response and fails every streamed request with "TypeError:
# immutable" (Portkey-AI/gateway issues 1389 and 1550). The copy costs one
# Response object per request.
PORTKEY_PRELOAD = r"""
const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...a) {
	if (typeof a[0] === 'object' && a[0] !== null) a[0] = Object.assign({}, a[0], { host: '127.0.0.1' });
	else if (typeof a[1] === 'string') a[1] = '127.0.0.1';
	else a.splice(1, 0, '127.0.0.1');
	return listen.apply(this, a);
};
const fetch0 = globalThis.fetch;
globalThis.fetch = async function (...a) {
	const r = await fetch0.apply(this, a);
	return new Response(r.body, { status: r.status, statusText: r.statusText, headers: new Headers(r.headers) });
};
"""


# ---------------------------------------------------------------- clients

SSECLIENT = os.path.join(OUT, "sseclient")


def client(args, timeout):
	try:
		r = subprocess.run([SSECLIENT] + args, stdin=subprocess.DEVNULL, capture_output=True,
			timeout=timeout, preexec_fn=pin(CPU_LOAD))
		return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
	except subprocess.TimeoutExpired:
		return -1, "", "timed out after %ds" % timeout


class Leg:
	"""A load target: a port, a body and headers, and the server behind it."""

	def __init__(self, name, label, server, port, bodyfile, headers, ours, stream_body=None, tls=False,
			tls_in=False):
		self.name, self.label, self.server, self.port = name, label, server, port
		self.bodyfile, self.headers, self.ours = bodyfile, headers, ours
		self.stream_body, self.tls = stream_body, tls
		self.tls_in = tls_in	# wrk speaks TLS to the proxy (the TLS listener legs)
		# TTFT is timed on an unpaced stream: mockprov's pacing timer has
		# millisecond granularity, far coarser than what a proxy adds.
		self.ttft_body = None
		if stream_body and not tls:
			with open(stream_body) as f:
				b = json.load(f)
			b["model"] = b["model"].replace("interval_ms=%d" % INTERVAL_MS, "interval_ms=0")
			self.ttft_body = write(stream_body[:-5] + "_unpaced.json", json.dumps(b, separators=(",", ":")))
		# The hold test: idle connections' one request, and the streams'.
		self.hold_idle_port, self.hold_idle_body, self.hold_headers = port, bodyfile, headers


def smoke(leg, n=3):
	if leg.tls_in:
		return smoke_tls(leg, n)
	rc, out, err = client(["reqs", "127.0.0.1", str(leg.port), str(n), leg.bodyfile] + leg.headers, 30)
	return rc == 0, (out + err).strip()


def smoke_tls(leg, n):
	"""smoke() over TLS (sseclient speaks plain HTTP): n requests on one
	connection, each must answer 200."""
	sc = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
	sc.check_hostname = False
	sc.verify_mode = ssl.CERT_NONE
	with open(leg.bodyfile, "rb") as f:
		b = f.read()
	head = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" + \
		"".join(h + "\r\n" for h in leg.headers) + "Content-Length: %d\r\n\r\n" % len(b)
	try:
		with socket.create_connection(("127.0.0.1", leg.port), timeout=5) as raw:
			with sc.wrap_socket(raw, server_hostname="localhost") as s:
				for i in range(n):
					s.sendall(head.encode() + b)
					data = b""
					while b"\r\n\r\n" not in data:
						d = s.recv(65536)
						if not d:
							return False, "closed after %d answers: %r" % (i, data[:200])
						data += d
					hd, _, rest = data.partition(b"\r\n\r\n")
					if not hd.startswith(b"HTTP/1.1 200"):
						return False, repr(data[:200])
					m = re.search(rb"(?i)content-length: *(\d+)", hd)
					want = int(m.group(1)) if m else 0
					while len(rest) < want:
						d = s.recv(65536)
						if not d:
							return False, "body cut"
						rest += d
	except (OSError, ssl.SSLError) as e:
		return False, str(e)
	return True, "%d answers over TLS" % n


def tls_stats(port):
	"""mockprov's /mock/stats over https (this query's own handshake counts)."""
	sc = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
	sc.check_hostname = False
	sc.verify_mode = ssl.CERT_NONE
	with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
		with sc.wrap_socket(raw, server_hostname="localhost") as s:
			s.sendall(b"GET /mock/stats HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
			data = b""
			while True:
				d = s.recv(65536)
				if not d:
					break
				data += d
	return json.loads(data.partition(b"\r\n\r\n")[2].decode())


def wrk(leg, conns, duration, sample=None):
	"""One wrk run; returns a result dict. sample: {name: Proc} whose memory
	is read half-way through."""
	env = dict(os.environ, BENCH_BODY_FILE=leg.bodyfile, BENCH_HEADERS="\n".join(leg.headers))
	argv = [WRK, "-t1", "-c%d" % conns, "-d%ds" % duration, "--latency", "--timeout", "5s",
		"-s", os.path.join(ROOT, "tools", "bench", "wrk.lua"),
		"%s://127.0.0.1:%d/v1/chat/completions" % ("https" if leg.tls_in else "http", leg.port)]
	quiesce()
	if leg.tls and conns > 1 and sample is not False:
		# Refill the pool first (the upstream idle timeout is 1 s here):
		# the measured window is the steady state, handshakes included.
		wrk(leg, conns, 1, sample=False)
	pids = leg.server.pids()
	mpids = MOCK_TLS.pids() if leg.tls else MOCK.pids()
	hs0 = tls_stats(MOCK_TLS_PORT) if leg.tls else None
	c0, m0, t0 = cpu_ticks(pids), cpu_ticks(mpids), time.monotonic()
	p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
		env=env, preexec_fn=pin(CPU_LOAD))
	loads.append(p)
	mid = None
	if sample:
		time.sleep(duration / 2)
		mid = mem(pids)
	try:
		out, err = p.communicate(timeout=duration + 30)
	except subprocess.TimeoutExpired:
		p.kill()
		p.communicate()
		return {"error": "wrk timed out"}
	c1, m1, t1 = cpu_ticks(pids), cpu_ticks(mpids), time.monotonic()
	line = [l for l in out.decode(errors="replace").splitlines() if l.startswith("BENCHJSON ")]
	if p.returncode != 0 or not line:
		return {"error": "wrk exit %d: %s" % (p.returncode, (out + err).decode(errors="replace")[-300:])}
	r = json.loads(line[0][len("BENCHJSON "):])
	n = r["requests"]
	r["rps"] = n / (r["duration_us"] / 1e6) if r["duration_us"] else 0
	r["cpu_us"] = (c1 - c0) * 1e6 / HZ / n if n else None
	r["mock_cpu_us"] = (m1 - m0) * 1e6 / HZ / n if n else None
	r["cpu_util"] = (c1 - c0) / HZ / (t1 - t0)
	r["errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"]
	if mid:
		r["mem"] = mid
	if hs0 is not None:
		hs1 = tls_stats(MOCK_TLS_PORT)
		hs = (hs1["tls_handshakes"] - hs0["tls_handshakes"]) + (hs1["tls_resumed"] - hs0["tls_resumed"]) - 1
		reqs = hs1["requests"] - hs0["requests"]
		r["handshakes"] = hs
		r["full_handshakes"] = hs1["tls_handshakes"] - hs0["tls_handshakes"] - 1
		r["resumed_handshakes"] = hs1["tls_resumed"] - hs0["tls_resumed"]
		r["upstream_requests"] = reqs
		r["hs_per_1000"] = hs * 1000.0 / reqs if reqs else None
	return r


# ---------------------------------------------------------------- main run

def main():
	global WRK, MOCK, MOCK_TLS, MOCK_PORT, MOCK_TLS_PORT
	os.makedirs(RUN, exist_ok=True)
	for f in os.listdir(RUN):
		p = os.path.join(RUN, f)
		if os.path.isfile(p):
			os.unlink(p)
	try:
		soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
		want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
		if soft < want:
			resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
	except (ValueError, OSError):
		pass
	nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
	if nofile < 2 * 1024 + 256:
		fail("ulimit -n is %d: the 1024-connection legs need about 2400" % nofile)
		return

	WRK = tool("wrk")
	if not WRK:
		fail("wrk not found (tools/bench.sh installs the Debian package)")
		return
	rel = os.path.join(BUILD, "release")
	mockprov, llmgw = os.path.join(rel, "mockprov"), os.path.join(rel, "llmgw")
	for b in (mockprov, llmgw, SSECLIENT):
		if not os.access(b, os.X_OK):
			fail("%s missing: run `make bench` (it builds it)" % b)
			return
	musl = os.path.join(BUILD, "x86_64-linux-musl", "release", "llmgw")
	if not os.access(musl, os.X_OK):
		musl = None
		notes.append("The static musl build (BUILD/x86_64-linux-musl/release/llmgw) is not there: "
			"musl legs left out; the memory targets are judged on the glibc build.")

	certs = os.path.join(OUT, "certs")
	r = subprocess.run([os.path.join(ROOT, "tools", "gen-test-certs.sh"), certs], capture_output=True, timeout=60)
	if r.returncode != 0:
		fail("gen-test-certs.sh: %s" % r.stderr.decode(errors="replace"))
		return

	# -- upstreams
	MOCK_PORT, MOCK_TLS_PORT = free_port(), free_port()
	MOCK = Proc("mockprov", [mockprov, "--listen", "127.0.0.1:%d" % MOCK_PORT, "--key", KEY, "--quiet",
		"--max-conns", "4096"])
	MOCK_TLS = Proc("mockprov-tls", [mockprov, "--listen", "127.0.0.1:%d" % MOCK_TLS_PORT, "--key", KEY,
		"--quiet", "--max-conns", "4096", "--tls-cert", os.path.join(certs, "server-ec.crt"),
		"--tls-key", os.path.join(certs, "server-ec.key")])
	for p, port in ((MOCK, MOCK_PORT), (MOCK_TLS, MOCK_TLS_PORT)):
		if not wait_port(p, port, 10):
			fail("%s did not start: %s" % (p.name, p.tail()))
			return

	# -- proxies
	proxies = {}		# name -> Proc
	auth = ["Authorization: Bearer " + KEY]
	legs = []
	direct = Leg("direct", "direct (mockprov)", MOCK, MOCK_PORT, body("plain", "mock/mock-1"), auth, True,
		stream_body=body("stream_direct", "fault:chunks=%d,interval_ms=%d" % (CHUNKS, INTERVAL_MS), True))
	legs.append(direct)
	state = os.path.join(RUN, "state")
	os.makedirs(state, exist_ok=True)
	builds = [("llmgw", llmgw)] + ([("llmgw-musl", musl)] if musl else [])
	gw_ports = {}
	gw_tls_in = {}
	for name, binary in builds:
		port = free_port()
		gw_tls_in[name] = free_port()
		conf = write(os.path.join(RUN, name + ".conf"),
			llmgw_conf(port, MOCK_PORT, MOCK_TLS_PORT, certs, state, tls_in=gw_tls_in[name]))
		chk = run_out([binary, "-t", "-c", conf])
		p = Proc(name, [binary, "-c", conf], env={"BENCH_KEY": KEY})
		if not wait_port(p, port, 10):
			fail("%s did not start (%s): %s" % (name, chk, p.tail()))
			return
		proxies[name] = p
		gw_ports[name] = port
		legs.append(Leg(name, name + (" (static musl)" if name.endswith("musl") else " (glibc)"), p, port,
			body("plain", "mock/mock-1"), auth, True,
			stream_body=body("stream_gw", "mock/fault:chunks=%d,interval_ms=%d" % (CHUNKS, INTERVAL_MS), True)))

	nginx = tool("nginx")
	nginx_ports = None
	if not nginx:
		skip("nginx: not installed (tools/bench.sh installs nginx-light with apt-get; that failed)")
	else:
		prefix = os.path.join(RUN, "nginx")
		os.makedirs(prefix, exist_ok=True)
		nginx_ports = (free_port(), free_port(), free_port())
		conf = write(os.path.join(prefix, "nginx.conf"),
			nginx_conf(prefix, nginx_ports[0], nginx_ports[1], MOCK_PORT, MOCK_TLS_PORT, certs,
				port_tls_in=nginx_ports[2]))
		p = Proc("nginx", [nginx, "-p", prefix, "-e", os.path.join(prefix, "error.log"), "-c", conf])
		if not wait_port(p, nginx_ports[0], 10):
			fail("nginx did not start: %s %s" % (p.tail(), run_out(["tail", "-5", os.path.join(prefix, "error.log")])))
			return
		proxies["nginx"] = p
		legs.append(Leg("nginx", "nginx (1 worker)", p, nginx_ports[0], body("plain", "mock/mock-1"), auth, False,
			stream_body=direct.stream_body))

	pk_js = os.path.join(OUT, "portkey", "node_modules", "@portkey-ai", "gateway", "build", "start-server.js")
	node = tool("node")
	portkey_leg = portkey_tls_leg = None
	if CG_ONLY:
		pass
	elif not (node and os.path.exists(pk_js)):
		skip("portkey: @portkey-ai/gateway is not installed in %s (npm install failed or no node)" % os.path.dirname(pk_js))
	else:
		port = free_port()
		pre = write(os.path.join(RUN, "portkey-preload.cjs"), PORTKEY_PRELOAD)
		p = Proc("portkey", [node, "--require", pre, pk_js, "--port=%d" % port, "--headless"],
			env={"NODE_ENV": "production", "NODE_EXTRA_CA_CERTS": os.path.join(certs, "ca.crt")})
		if not wait_port(p, port, 20):
			skip("portkey: did not start: %s" % p.tail(300))
			p.stop()
		else:
			ph = auth + ["x-portkey-provider: openai", "x-portkey-custom-host: http://127.0.0.1:%d/v1" % MOCK_PORT]
			portkey_leg = Leg("portkey", "Portkey (Node)", p, port, body("plain", "mock/mock-1"), ph, False,
				stream_body=direct.stream_body)
			ok, msg = smoke(portkey_leg)
			if not ok:
				skip("portkey: started but does not proxy: %s | %s" % (msg, p.tail(300)))
				p.stop()
				portkey_leg = None
			else:
				proxies["portkey"] = p
				legs.append(portkey_leg)
				pth = auth + ["x-portkey-provider: openai",
					"x-portkey-custom-host: https://127.0.0.1:%d/v1" % MOCK_TLS_PORT]
				portkey_tls_leg = Leg("portkey-tls", "Portkey, https upstream", p, port,
					body("plain", "mock/mock-1"), pth, False, tls=True)
				portkey_tls_leg.hold_headers = auth + ["x-portkey-provider: openai",
					"I:x-portkey-custom-host: http://127.0.0.1:%d/v1" % MOCK_PORT,
					"S:x-portkey-custom-host: https://127.0.0.1:%d/v1" % MOCK_TLS_PORT]

	# The side legs: translation and the https upstream.
	side = []
	for name, _ in builds:
		p, port = proxies[name], gw_ports[name]
		side.append(Leg(name + "-xlate", name + ": OpenAI client -> Anthropic upstream", p, port,
			body("xlate", "ant/mock-1"), auth, True,
			stream_body=body("stream_xlate", "ant/fault:chunks=%d,interval_ms=%d" % (CHUNKS, INTERVAL_MS), True)))
	# The hold test (1024 idle connections + 64 streams over upstream TLS):
	# the idle connections' one request goes to the plain-http upstream, the
	# streams to the https one, for every proxy alike.
	tls_legs = []
	for name, _ in builds:
		leg = Leg(name + "-tls", name + ", https upstream", proxies[name], gw_ports[name],
			body("tls", "mtls/mock-1"), auth, True,
			stream_body=body("stream_tls", "mtls/fault:chunks=%d,interval_ms=25" % HOLD_CHUNKS, True), tls=True)
		leg.hold_idle_body = body("plain", "mock/mock-1")
		tls_legs.append(leg)
	if nginx_ports:
		leg = Leg("nginx-tls", "nginx, https upstream", proxies["nginx"], nginx_ports[1],
			body("plain", "mock/mock-1"), auth, False,
			stream_body=body("stream_long", "fault:chunks=%d,interval_ms=25" % HOLD_CHUNKS, True), tls=True)
		leg.hold_idle_port = nginx_ports[0]
		tls_legs.append(leg)
	if portkey_tls_leg:
		portkey_tls_leg.stream_body = body("stream_long", "fault:chunks=%d,interval_ms=25" % HOLD_CHUNKS, True)
		tls_legs.append(portkey_tls_leg)
	side += tls_legs
	# TLS termination: wrk speaks TLS to the proxy (ECDSA P-256, the same
	# certificate and key for both), the proxy plain HTTP to mockprov.
	for name, _ in builds[:1] if QUICK else builds:
		side.append(Leg(name + "-tlsin", name + ", TLS listener", proxies[name], gw_tls_in[name],
			body("plain", "mock/mock-1"), auth, True, tls_in=True))
	if nginx_ports:
		side.append(Leg("nginx-tlsin", "nginx, TLS server", proxies["nginx"], nginx_ports[2],
			body("plain", "mock/mock-1"), auth, False, tls_in=True))

	res = {"mem": {}, "wrk": [], "stream": {}, "callgrind": {}, "hold": {}}
	if CG_ONLY:
		run_callgrind(res, builds[:1], certs, state, nginx)
		return res

	# Memory at idle: after start-up, before any request.
	time.sleep(0.3)
	for name, p in proxies.items():
		res["mem"].setdefault(name, {})["idle"] = mem(p.pids())

	# Smoke: every leg answers 200 before any load. A third-party leg that
	# does not is left out with a SKIP line; one of ours is a failure.
	for leg in list(legs + side):
		if leg is portkey_leg:
			continue
		ok, msg = smoke(leg)
		if ok:
			continue
		if leg.ours:
			fail("%s: the smoke requests failed: %s" % (leg.name, msg))
		else:
			skip("%s: the smoke requests failed: %s" % (leg.name, msg))
			for lst in (legs, side, tls_legs):
				if leg in lst:
					lst.remove(leg)
	if failures:
		return res
	say("bench: %s mode, %d round(s), legs: %s" % (MODE, ROUNDS, ", ".join(l.name for l in legs + side)))

	# -- warm-up: every leg once at 64 connections, not counted (pools
	# filled, caches warm); the TLS legs' handshakes here are the pool fill.
	for leg in legs + side:
		r = wrk(leg, 64, 1, sample=False)
		r.update({"leg": leg.name, "conns": 64})
		res.setdefault("warmup", []).append(r)

	# -- wrk, round by round, legs interleaved (the order rotates per round)
	runs_per_round = len(legs) * len(CONCS) + len(side) * len(SIDE_CONCS)
	stopped_early = False
	for rnd in range(ROUNDS):
		if left() < runs_per_round * (DUR + 0.7) + (45 if QUICK else 120):
			notes.append("Stopped after %d round(s): the time budget would be exceeded." % rnd)
			stopped_early = True
			break
		say("bench: round %d/%d" % (rnd + 1, ROUNDS))
		for conns in sorted(set(CONCS) | set(SIDE_CONCS)):
			todo = ([l for l in legs if conns in CONCS] + [l for l in side if conns in SIDE_CONCS])
			k = rnd % len(todo)
			for leg in todo[k:] + todo[:k]:
				sample = proxies if conns == max(CONCS) and leg.name != "direct" else None
				# Portkey answers about 1 000 req/s: at 256+ connections a
				# 1 s run may end before the first answer.
				dur = max(DUR, 3) if leg.server.name == "portkey" and conns >= 256 else DUR
				r = wrk(leg, conns, dur, sample)
				r.update({"round": rnd, "leg": leg.name, "conns": conns})
				res["wrk"].append(r)
				if "error" in r:
					(fail if leg.ours else skip)("%s at %d connections: %s" % (leg.name, conns, r["error"]))
					continue
				if r["requests"] == 0:
					(fail if leg.ours else skip)("%s at %d connections: no request completed" % (leg.name, conns))
				if r["status"]:
					fail("%s at %d connections: %d non-2xx responses" % (leg.name, conns, r["status"]))
				if r["errors"]:
					msg = "%s at %d connections: %d socket errors/timeouts (connect %d, read %d, write %d, timeout %d)" % (
						leg.name, conns, r["errors"], r["connect"], r["read"], r["write"], r["timeout"])
					if leg.ours:
						fail(msg)
					else:
						notes.append(msg)
				if r.get("mem") and leg.name in proxies:
					cur = res["mem"][leg.name].get("load")
					if not cur or r["mem"]["rss"] > cur["rss"]:
						res["mem"][leg.name]["load"] = r["mem"]
				say("  %-18s c=%-4d %9.0f req/s  p50 %6d us  p99 %6d us  cpu %s us/req%s" % (
					leg.name, conns, r["rps"], r["p50"], r["p99"],
					"%.1f" % r["cpu_us"] if r["cpu_us"] is not None else "-",
					"  errors %d" % r["errors"] if r["errors"] else ""))

	# -- streams, round by round
	stream_legs = [l for l in legs + side if l.stream_body and not l.tls]
	for rnd in range(ROUNDS if not stopped_early else 1):
		if left() < (40 if QUICK else 90):
			notes.append("Streaming: stopped after %d round(s) (time budget)." % rnd)
			break
		k = rnd % len(stream_legs)
		for leg in stream_legs[k:] + stream_legs[:k]:
			for key, bfile, n in (("stream", leg.stream_body, STREAMS), ("ttft", leg.ttft_body, TTFTS)):
				quiesce()
				rc, out, err = client(["stream", "127.0.0.1", str(leg.port), str(n), bfile] + leg.headers, n + 20)
				if rc != 0:
					(fail if leg.ours else skip)("%s: streaming failed: %s" % (leg.name, err.strip()[-300:]))
					continue
				reqs = {}
				for line in out.splitlines():
					f = line.split()
					if f and f[0] == "E":
						reqs.setdefault((rnd, int(f[1])), []).append((int(f[2]), int(f[3]), int(f[4])))
				res.setdefault(key, {}).setdefault(leg.name, []).extend(reqs.values())

	# -- memory with 1024 open connections and 64 active streams over upstream TLS
	for leg in tls_legs:
		if left() < (25 if QUICK else 60):
			notes.append("Hold test for %s skipped (time budget)." % leg.name)
			continue
		if QUICK and leg.server.name == "portkey":
			notes.append("Hold test for %s left out in quick mode (time budget)." % leg.name)
			continue
		quiesce()
		argv = [SSECLIENT, "hold", "127.0.0.1", str(leg.hold_idle_port), str(leg.port), str(HOLD_IDLE),
			str(HOLD_STREAMS), "30", leg.hold_idle_body, leg.stream_body] + leg.hold_headers
		p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			preexec_fn=pin(CPU_LOAD))
		loads.append(p)
		sample = None
		t_end = time.monotonic() + 35
		line = p.stdout.readline()
		transient = None
		while line and time.monotonic() < t_end:
			if line.strip() == b"READY":
				# Twice: as the streams start (the pages of the 1024 requests
				# just served are still resident) and, the figure judged, in
				# the steady state HOLD_SETTLE s later, streams still running.
				transient = mem(leg.server.pids())
				time.sleep(HOLD_SETTLE)
				sample = mem(leg.server.pids())
				break
			line = p.stdout.readline()
		try:
			out, err = p.communicate(timeout=max(1, t_end - time.monotonic()))
		except subprocess.TimeoutExpired:
			p.kill()
			out, err = p.communicate()
		ok = p.returncode == 0 and sample is not None
		res["hold"][leg.name] = {"mem": sample, "transient": transient, "ok": ok, "out": out.decode(errors="replace").strip(),
			"err": err.decode(errors="replace").strip()[-300:]}
		if not ok:
			(fail if leg.ours else notes.append)("%s: %d open connections + %d TLS streams: %s %s" % (
				leg.name, HOLD_IDLE, HOLD_STREAMS, out.decode(errors="replace").strip(),
				err.decode(errors="replace").strip()[-300:]))
		say("  hold %-14s %s rss %s kB" % (leg.name, "ok" if ok else "FAILED", sample and sample["rss"]))

	# Memory after load (connections closed, a moment to settle).
	time.sleep(1)
	for name, p in proxies.items():
		res["mem"][name]["after"] = mem(p.pids())

	# Every server must still be running.
	for p in [MOCK, MOCK_TLS] + list(proxies.values()):
		if not p.alive():
			(fail if p.name.startswith(("llmgw", "mockprov")) else skip)(
				"%s exited during the run (status %s): %s" % (p.name, p.p.returncode, p.tail(300)))

	run_callgrind(res, builds, certs, state, nginx)

	# -- system calls per request (strace -c), llmgw against nginx
	st = tool("strace")
	if not st:
		skip("syscall profile: strace not installed")
	else:
		n = 200 if QUICK else 2000
		for leg in [l for l in legs if l.name in ("llmgw", "nginx")] + [l for l in side if l.name == "llmgw-xlate"]:
			if left() < 15:
				notes.append("syscall profile of %s skipped (time budget)" % leg.name)
				continue
			res.setdefault("syscalls", {})[leg.name] = syscalls(st, leg, n)
	return res


def run_callgrind(res, builds, certs, state, nginx):
	"""Instructions per request under callgrind: llmgw same dialect and
	translated, and nginx same dialect, into res["callgrind"]."""
	vg = tool("valgrind")
	if not vg:
		skip("callgrind: valgrind not installed")
	else:
		# quick: the glibc build only (the smoke test's time budget)
		cg_runs = [(name, cg_llmgw(binary, certs, state), kind, model) for name, binary in builds[:1 if QUICK else None]
			for kind, model in (("same dialect", "mock/mock-1"), ("translated", "ant/mock-1"))]
		if nginx:
			cg_runs.append(("nginx", cg_nginx(nginx, certs), "same dialect", "mock/mock-1"))
		for name, argv_for, kind, model in cg_runs:
			if left() < 25:
				notes.append("callgrind %s %s skipped (time budget)" % (name, kind))
				continue
			ir, files = [], []
			for n in (CG_WARM, CG_WARM + CG_N):
				f = os.path.join(OUT, "callgrind-%s-%s-%d.out" % (name, kind.replace(" ", "-"), n))
				v = callgrind(vg, name, argv_for, n, body("cg", model), f)
				if v is None:
					break
				ir.append(v)
				files.append(f)
			if len(ir) == 2:
				res["callgrind"]["%s|%s" % (name, kind)] = (ir[1] - ir[0]) / CG_N
				res.setdefault("cg_top", {})["%s|%s" % (name, kind)] = cg_top(files[0], files[1], CG_N)


def cg_funcs(path):
	"""{function: self Ir} from callgrind_annotate."""
	out = run_out(["callgrind_annotate", "--threshold=100", "--auto=no", "--inclusive=no", path], timeout=60)
	d = {}
	for line in out.splitlines():
		m = re.match(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S.*?)(?:\s+\[.*\])?$", line)
		if m and "PROGRAM TOTALS" not in m.group(2) and not m.group(2).startswith(("=>", "*")):
			fn = m.group(2)
			d[fn] = d.get(fn, 0) + int(m.group(1).replace(",", ""))
	return d


def cg_top(small, big, n, k=12):
	"""The k functions with the most instructions of their own per request:
	the difference of the two runs, so start-up and exit cancel out."""
	a, b = cg_funcs(small), cg_funcs(big)
	diff = sorted(((b.get(fn, 0) - a.get(fn, 0)) / float(n), fn) for fn in b)
	diff.reverse()
	return [(ir, fn) for ir, fn in diff[:k] if ir > 0]


def syscalls(st, leg, n):
	"""System calls per request of the proxy (all its processes) for n
	sequential keep-alive requests, counted by strace -c."""
	out = os.path.join(RUN, "strace-%s.txt" % leg.name)
	argv = [st, "-c", "-f", "-o", out]
	for pid in leg.server.pids():
		argv += ["-p", str(pid)]
	p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
	loads.append(p)
	try:
		time.sleep(0.5)		# attached
		rc, o, e = client(["reqs", "127.0.0.1", str(leg.port), str(n), leg.bodyfile] + leg.headers, 60)
		time.sleep(0.2)
	finally:
		p.send_signal(signal.SIGINT)
		try:
			p.wait(10)
		except subprocess.TimeoutExpired:
			p.kill()
			p.wait()
	if rc != 0:
		notes.append("syscall profile of %s: requests failed: %s" % (leg.name, (o + e).strip()[-200:]))
		return None
	calls = {}
	try:
		with open(out) as f:
			for line in f:
				x = line.split()
				# % time, seconds, usecs/call, calls, [errors], syscall
				if len(x) >= 5 and x[3].isdigit() and not x[-1].startswith("total"):
					calls[x[-1]] = int(x[3])
	except OSError:
		return None
	return {k: v / float(n) for k, v in calls.items()}


def callgrind(vg, name, argv_for, n, bodyfile, out):
	"""Total Ir of the server for n sequential requests (start-up and exit
	included; the caller takes the difference of two runs)."""
	port = free_port()
	if os.path.exists(out):
		os.unlink(out)
	p = Proc("callgrind-" + name, [vg, "--tool=callgrind", "--callgrind-out-file=" + out] + argv_for(port, out),
		env={"BENCH_KEY": KEY})
	try:
		if not wait_port(p, port, 30):
			(fail if name.startswith("llmgw") else skip)("callgrind: %s did not start under valgrind: %s" % (
				name, p.tail(300)))
			return None
		rc, o, e = client(["reqs", "127.0.0.1", str(port), str(n), bodyfile, "Authorization: Bearer " + KEY], 120)
		if rc != 0:
			(fail if name.startswith("llmgw") else skip)("callgrind: %s: requests failed: %s" % (
				name, (o + e).strip()[-300:]))
			return None
	finally:
		p.stop(timeout=30)
		if p in procs:
			procs.remove(p)
	try:
		with open(out) as f:
			for line in f:
				if line.startswith(("summary:", "totals:")):
					return int(line.split()[1])
	except OSError:
		pass
	(fail if name.startswith("llmgw") else skip)("callgrind: no output for %s" % name)
	return None


# ---------------------------------------------------------------- report

def med(xs):
	xs = [x for x in xs if x is not None]
	return statistics.median(xs) if xs else None


def pct(xs, q):
	xs = sorted(x for x in xs if x is not None)
	if not xs:
		return None
	i = min(len(xs) - 1, max(0, int(round(q / 100.0 * (len(xs) - 1)))))
	return xs[i]


def fnum(x, d=0):
	if x is None:
		return "–"
	return ("{:,.%df}" % d).format(x)


def ratio(a, b, d=2):
	if a is None or b is None or b == 0:
		return "–"
	return ("%." + str(d) + "f×") % (a / b)


def kb_mb(kb):
	return "–" if kb is None else "%.2f" % (kb / 1024.0)


def summarize_wrk(res):
	"""{(leg, conns): {metric: median}}"""
	groups = {}
	for r in res["wrk"]:
		if "error" in r or not r.get("requests"):
			continue
		groups.setdefault((r["leg"], r["conns"]), []).append(r)
	out = {}
	for k, rs in groups.items():
		out[k] = {m: med([r.get(m) for r in rs]) for m in
			("rps", "p50", "p99", "cpu_us", "mock_cpu_us", "cpu_util", "hs_per_1000", "full_handshakes")}
		out[k]["errors"] = sum(r["errors"] for r in rs)
		out[k]["status"] = sum(r["status"] for r in rs)
		out[k]["requests"] = sum(r["requests"] for r in rs)
		out[k]["n"] = len(rs)
	return out


def summarize_streams(res, key="stream"):
	out = {}
	for leg, reqs in res.get(key, {}).items():
		first, ttft, gaps, batched, ncontent = [], [], [], 0, []
		for evs in reqs:
			evs.sort()
			first.append(evs[0][0])
			content = [e for e in evs if e[2]]
			ncontent.append(len(content))
			if content:
				ttft.append(content[0][0])
			for a, b in zip(content, content[1:]):
				gaps.append(b[0] - a[0])
				# Two token events from one read(): sent together (or the
				# client was descheduled: direct's count is the noise floor).
				if b[1] == a[1]:
					batched += 1
		out[leg] = {"first": med(first), "ttft": med(ttft), "ttft90": pct(ttft, 90), "gap50": med(gaps),
			"gap99": pct(gaps, 99),
			"gapmax": max(gaps) if gaps else None, "batched": batched, "streams": len(reqs),
			"tokens": med(ncontent)}
	return out


def report(res):
	W = summarize_wrk(res)
	S = summarize_streams(res)
	T = summarize_streams(res, "ttft")
	legs_seen = []
	for r in res["wrk"]:
		if r["leg"] not in legs_seen:
			legs_seen.append(r["leg"])
	main_legs = [l for l in ("direct", "llmgw", "llmgw-musl", "nginx", "portkey") if l in legs_seen]
	cpu_model = "?"
	try:
		with open("/proc/cpuinfo") as f:
			for line in f:
				if line.startswith("model name"):
					cpu_model = line.split(":", 1)[1].strip()
					break
	except OSError:
		pass
	memtotal = "?"
	try:
		with open("/proc/meminfo") as f:
			memtotal = "%.1f GiB" % (int(f.readline().split()[1]) / 1048576.0)
	except (OSError, ValueError, IndexError):
		pass
	rev = run_out(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]) or "?"
	pkg = os.path.join(OUT, "portkey", "node_modules", "@portkey-ai", "gateway", "package.json")
	try:
		with open(pkg) as f:
			pkv = json.load(f)["version"]
	except (OSError, ValueError, KeyError):
		pkv = None
	nginx_v = run_out([tool("nginx"), "-v"]) if tool("nginx") else None
	L = []
	a = L.append
	a("# llmgw benchmark")
	a("")
	a("- Date: %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))
	a("- Machine: %d CPUs (nproc), %s, %s RAM, Linux %s" % (os.cpu_count() or 0, cpu_model, memtotal, platform.release()))
	a("- Command: `%s` (mode %s: %d round(s) of %d s per leg and concurrency, legs interleaved, "
		"medians over rounds)" % (COMMAND, MODE, ROUNDS, DUR))
	a("- Versions: llmgw %s (%s); %s; Portkey gateway %s on node %s; %s; mockprov from this tree" % (
		run_out([os.path.join(BUILD, "release", "llmgw"), "-V"]) or "?", rev,
		nginx_v.replace("nginx version: ", "") if nginx_v else "nginx absent",
		pkv or "absent", run_out(["node", "--version"]) or "absent",
		(run_out([WRK, "-v"]).splitlines() or ["wrk ?"])[0].split(" Copyright")[0]))
	a("- Setup: 127.0.0.1 only; wrk -t1 with one fixed POST (a small OpenAI chat request, %d bytes); "
		"upstream mockprov (C, single-threaded)%s. llmgw log_level warn, max_connections 2048, "
		"max_inflight 1100; nginx 1 worker, upstream keepalive, proxy_buffering off; Portkey headless. "
		"Upstream idle timeouts 1 s (llmgw upstream_idle, nginx keepalive_timeout) and before every leg "
		"a wait until mockprov has at most 70 connections open and no server burns CPU, so no leg pays "
		"for the idle pool another left behind; https legs refill their pool for 1 s before the "
		"measured window." % (
			os.path.getsize(os.path.join(RUN, "plain.json")),
			"; wrk and clients pinned to CPU %d, every server (mockprov, the proxy) to CPU %d" % (
				min(CPU_LOAD), min(CPU_SERVERS)) if PIN else "; no CPU pinning"))
	a("- This machine is shared and noisy: compare ratios within this run, not figures across runs.")
	a("")

	def row_ratio(leg, c, m, base):
		x, b = W.get((leg, c), {}).get(m), W.get((base, c), {}).get(m)
		return ratio(x, b)

	a("## Throughput, latency and CPU per request")
	a("")
	a("Ratios: ×direct and ×nginx at the same concurrency. CPU µs/req is the proxy's own "
		"utime+stime over the requests wrk completed (for direct: mockprov's).")
	a("")
	a("| conns | leg | req/s | ×direct | ×nginx | p50 µs | ×direct | ×nginx | p99 µs | ×direct | ×nginx | CPU µs/req | ×nginx | errors |")
	a("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for c in sorted(set(k[1] for k in W)):
		for leg in main_legs + [l for l in legs_seen if l not in main_legs]:
			w = W.get((leg, c))
			if not w:
				continue
			a("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |" % (
				c, leg, fnum(w["rps"]), row_ratio(leg, c, "rps", "direct"), row_ratio(leg, c, "rps", "nginx"),
				fnum(w["p50"]), row_ratio(leg, c, "p50", "direct"), row_ratio(leg, c, "p50", "nginx"),
				fnum(w["p99"]), row_ratio(leg, c, "p99", "direct"), row_ratio(leg, c, "p99", "nginx"),
				fnum(w["cpu_us"], 1), row_ratio(leg, c, "cpu_us", "nginx") if leg != "direct" else "–",
				w["errors"] + w["status"]))
	a("")

	a("## Added latency at one connection")
	a("")
	a("| leg | p50 µs | added p50 µs | ×nginx's added | p99 µs | added p99 µs | ×nginx's added |")
	a("|---|---:|---:|---:|---:|---:|---:|")
	d1 = W.get(("direct", 1), {})
	n1 = W.get(("nginx", 1), {})
	added = {}
	for leg in [l for l in legs_seen if l != "direct"]:
		w = W.get((leg, 1))
		if not w or not d1:
			continue
		ad50 = w["p50"] - d1["p50"]
		ad99 = w["p99"] - d1["p99"]
		added[leg] = (ad50, ad99)
		ng50 = n1["p50"] - d1["p50"] if n1 else None
		ng99 = n1["p99"] - d1["p99"] if n1 else None
		a("| %s | %s | %s | %s | %s | %s | %s |" % (leg, fnum(w["p50"]), fnum(ad50),
			ratio(ad50, ng50) if ng50 and ng50 > 0 else "–", fnum(w["p99"]), fnum(ad99),
			ratio(ad99, ng99) if ng99 and ng99 > 0 else "–"))
	a("")

	a("## Translation: OpenAI client → llmgw → Anthropic-dialect mockprov")
	a("")
	a("| conns | leg | req/s | ×same-dialect llmgw | ×nginx | p50 µs | CPU µs/req | ×nginx same-dialect | ×llmgw same-dialect |")
	a("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
	for c in SIDE_CONCS:
		for leg in [l for l in legs_seen if l.endswith("-xlate")]:
			w = W.get((leg, c))
			base = leg[:-len("-xlate")]
			if not w:
				continue
			a("| %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (c, leg, fnum(w["rps"]),
				row_ratio(leg, c, "rps", base), row_ratio(leg, c, "rps", "nginx"), fnum(w["p50"]),
				fnum(w["cpu_us"], 1), row_ratio(leg, c, "cpu_us", "nginx"), row_ratio(leg, c, "cpu_us", base)))
	a("")

	a("## Upstream TLS (mockprov over https, ECDSA P-256 certificate)")
	a("")
	a("Handshakes per 1000 requests counts full and resumed handshakes seen by mockprov during the leg.")
	a("")
	a("| conns | leg | req/s | ×nginx-tls | p50 µs | CPU µs/req | ×nginx-tls | ×same leg over http | handshakes /1000 req | full handshakes |")
	a("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for c in SIDE_CONCS:
		for leg in [l for l in legs_seen if l.endswith("-tls")]:
			w = W.get((leg, c))
			if not w:
				continue
			base = leg[:-len("-tls")]
			a("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (c, leg, fnum(w["rps"]),
				row_ratio(leg, c, "rps", "nginx-tls"), fnum(w["p50"]), fnum(w["cpu_us"], 1),
				row_ratio(leg, c, "cpu_us", "nginx-tls"), row_ratio(leg, c, "cpu_us", base),
				fnum(w["hs_per_1000"], 2), fnum(w["full_handshakes"])))
	a("")
	fill = [r for r in res.get("warmup", []) if r.get("leg", "").endswith("-tls") and "handshakes" in r]
	if fill:
		a("Pool fill (the uncounted warm-up: 64 connections, most of them new): " + "; ".join(
			"%s %d full + %d resumed handshakes for %s requests" % (r["leg"], r["full_handshakes"],
				r["resumed_handshakes"], fnum(r["upstream_requests"])) for r in fill) + ".")
		a("")

	a("## TLS termination (client to proxy over TLS, proxy to mockprov over http)")
	a("")
	a("wrk speaks TLS 1.2 to the proxy over keep-alive connections (handshakes only when a connection "
		"opens); llmgw's TLS listener and nginx's TLS server have the same ECDSA P-256 certificate and key.")
	a("")
	a("| conns | leg | req/s | ×nginx-tlsin | p50 µs | CPU µs/req | ×nginx-tlsin | ×same leg over http |")
	a("|---:|---|---:|---:|---:|---:|---:|---:|")
	for c in SIDE_CONCS:
		for leg in [l for l in legs_seen if l.endswith("-tlsin")]:
			w = W.get((leg, c))
			if not w:
				continue
			base = leg[:-len("-tlsin")]
			a("| %d | %s | %s | %s | %s | %s | %s | %s |" % (c, leg, fnum(w["rps"]),
				row_ratio(leg, c, "rps", "nginx-tlsin"), fnum(w["p50"]), fnum(w["cpu_us"], 1),
				row_ratio(leg, c, "cpu_us", "nginx-tlsin"), row_ratio(leg, c, "cpu_us", base)))
	a("")

	a("## Streaming, one connection")
	a("")
	a("Time to first token (TTFT): from writing the request to the arrival of the first event carrying "
		"a token, on an unpaced stream (%d token events sent at once: mockprov's pacing timer has 1 ms "
		"granularity, too coarse for this), %d streams per leg and round. First event: any event (llmgw "
		"holds the role-only preamble until the first token, so a failover stays invisible to the "
		"client)." % (CHUNKS, TTFTS))
	a("")
	a("| leg | streams | first event µs | TTFT p50 µs | added TTFT p50 µs | ×nginx's added | TTFT p90 µs | added TTFT p90 µs |")
	a("|---|---:|---:|---:|---:|---:|---:|---:|")
	td, tn = T.get("direct"), T.get("nginx")
	us = lambda v: None if v is None else v / 1000.0
	for leg in ["direct"] + [l for l in T if l != "direct"]:
		t = T.get(leg)
		if not t:
			continue
		add = (t["ttft"] - td["ttft"]) / 1000.0 if td and leg != "direct" else None
		add90 = (t["ttft90"] - td["ttft90"]) / 1000.0 if td and leg != "direct" else None
		nadd = (tn["ttft"] - td["ttft"]) / 1000.0 if tn and td else None
		a("| %s | %d | %s | %s | %s | %s | %s | %s |" % (leg, t["streams"], fnum(us(t["first"]), 1),
			fnum(us(t["ttft"]), 1), fnum(add, 1), ratio(add, nadd) if add is not None and nadd and nadd > 0 else "–",
			fnum(us(t["ttft90"]), 1), fnum(add90, 1)))
	a("")
	a("Paced stream: %d token events %d ms apart, %d streams per leg and round. Gaps: between "
		"consecutive token events as they arrive. Batched: token events that arrived in the same read() "
		"as the previous one (must be 0; direct's count is this machine's noise floor)." % (
			CHUNKS, INTERVAL_MS, STREAMS))
	a("")
	a("| leg | streams | tokens/stream | gap p50 µs | added gap p50 µs | gap p99 µs | added gap p99 µs | max gap µs | batched |")
	a("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	sd = S.get("direct")
	for leg in ["direct"] + [l for l in S if l != "direct"]:
		s_ = S.get(leg)
		if not s_:
			continue
		add = lambda m: None if not sd or s_[m] is None or sd[m] is None or leg == "direct" else (s_[m] - sd[m]) / 1000.0
		a("| %s | %d | %s | %s | %s | %s | %s | %s | %d |" % (leg, s_["streams"], fnum(s_["tokens"]),
			fnum(us(s_["gap50"]), 1), fnum(add("gap50"), 1), fnum(us(s_["gap99"]), 1), fnum(add("gap99"), 1),
			fnum(us(s_["gapmax"]), 1), s_["batched"]))
	a("")

	a("## Memory (MB; nginx: master + worker)")
	a("")
	a("Idle: after start-up, before any request. Under load: half-way through the %d-connection run "
		"(largest of the rounds). 1024 open + 64 TLS streams: %d idle keep-alive client connections "
		"that each completed a request (all at once), plus %d streams in flight to the https mockprov, "
		"sampled %.0f s after every stream started (steady state; the streams run %.0f s), and in "
		"brackets as they started (the pages of the %d requests just served still resident). After: "
		"1 s after the last load." % (max(CONCS), HOLD_IDLE, HOLD_STREAMS, HOLD_SETTLE, HOLD_CHUNKS * 0.025,
		HOLD_IDLE))
	a("")
	a("| process | idle RSS | idle PSS | load RSS | load PSS | 1024 open + 64 TLS streams RSS (as they started) | PSS | after RSS | after PSS | peak (VmHWM) | peak ×nginx |")
	a("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	M = res["mem"]
	hold = res["hold"]
	for name in [n for n in ("llmgw", "llmgw-musl", "nginx", "portkey") if n in M]:
		m = M[name]
		h = (hold.get(name + "-tls") or {}).get("mem") or {}
		ht = (hold.get(name + "-tls") or {}).get("transient") or {}
		peak = (m.get("after") or {}).get("hwm")
		npeak = (M.get("nginx", {}).get("after") or {}).get("hwm")
		a("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (name,
			kb_mb(m.get("idle", {}).get("rss")), kb_mb(m.get("idle", {}).get("pss")),
			kb_mb((m.get("load") or {}).get("rss")), kb_mb((m.get("load") or {}).get("pss")),
			"%s (%s)" % (kb_mb(h.get("rss")), kb_mb(ht.get("rss"))), kb_mb(h.get("pss")),
			kb_mb((m.get("after") or {}).get("rss")), kb_mb((m.get("after") or {}).get("pss")),
			kb_mb(peak), ratio(peak, npeak)))
	a("")

	a("## Instructions per request (valgrind --tool=callgrind)")
	a("")
	a("Ir of the server (user space: llmgw and the libraries it calls; nginx's worker, here run "
		"with master_process off) for %d more sequential keep-alive requests, divided by %d (runs of "
		"%d and %d requests: start-up and exit cancel out). Deterministic: track it across commits. "
		"The kernel's share (system calls, TCP) is not in it." % (CG_N, CG_N, CG_WARM, CG_WARM + CG_N))
	a("")
	a("| server | path | instructions/request | ×nginx |")
	a("|---|---|---:|---:|")
	ngx_ir = res["callgrind"].get("nginx|same dialect")
	for k, v in res["callgrind"].items():
		b, kind = k.split("|")
		a("| %s | %s | %s | %s |" % (b, kind, fnum(v), ratio(v, ngx_ir)))
	a("")

	if res.get("syscalls"):
		a("## System calls per request (strace -c, sequential keep-alive requests on one connection)")
		a("")
		names = sorted(set(k for v in res["syscalls"].values() if v for k in v),
			key=lambda k: -max((v or {}).get(k, 0) for v in res["syscalls"].values()))
		cols = list(res["syscalls"])
		a("| syscall | " + " | ".join(cols) + " |")
		a("|---|" + "---:|" * len(cols))
		tot = {c: sum((res["syscalls"][c] or {}).values()) for c in cols}
		a("| **total** | " + " | ".join("%.2f" % tot[c] for c in cols) + " |")
		for k in names:
			if max((res["syscalls"][c] or {}).get(k, 0) for c in cols) < 0.01:
				continue
			a("| %s | %s |" % (k, " | ".join("%.2f" % (res["syscalls"][c] or {}).get(k, 0) for c in cols)))
		a("")
	if res.get("cg_top"):
		a("## Where the instructions go per request (callgrind, self cost, top functions)")
		a("")
		for k, top in res["cg_top"].items():
			b, kind = k.split("|")
			per = res["callgrind"].get(k)
			a("- %s, %s: %s" % (b, kind, "; ".join("%s %s (%.0f%%)" % (fn, fnum(ir), 100.0 * ir / per if per else 0)
				for ir, fn in top)))
		a("")

	# -- performance targets against nginx
	a("## Performance targets")
	a("")
	a("| target | measured | verdict |")
	a("|---|---|---|")

	def verdict(ok):
		return "–" if ok is None else ("met" if ok else "**missed**")

	def tgt(text, measured, ok):
		a("| %s | %s | %s |" % (text, measured, verdict(ok)))

	g64, n64 = W.get(("llmgw", 64), {}), W.get(("nginx", 64), {})
	r = (g64.get("cpu_us") / n64["cpu_us"]) if g64.get("cpu_us") and n64.get("cpu_us") else None
	tgt("CPU/request ≤ 0.8× nginx's (64 conns)", "%s vs %s µs = %s" % (fnum(g64.get("cpu_us"), 1),
		fnum(n64.get("cpu_us"), 1), "%.2f×" % r if r else "–"), None if r is None else r <= 0.8)
	cpu_all = [(c, W[("llmgw", c)]["cpu_us"] / W[("nginx", c)]["cpu_us"]) for c in CONCS
		if W.get(("llmgw", c), {}).get("cpu_us") and W.get(("nginx", c), {}).get("cpu_us")]
	if cpu_all:
		tgt("(CPU ratio at every concurrency)", ", ".join("%d: %.2f×" % x for x in cpu_all), None)
	r = (g64.get("rps") / n64["rps"]) if g64.get("rps") and n64.get("rps") else None
	tgt("throughput at 64 conns ≥ 1.2× nginx's", "%s vs %s req/s = %s" % (fnum(g64.get("rps")),
		fnum(n64.get("rps")), "%.2f×" % r if r else "–"), None if r is None else r >= 1.2)
	ga, na = added.get("llmgw"), added.get("nginx")
	tgt("added p50 latency at 1 conn ≤ nginx's", "%s vs %s µs" % (fnum(ga and ga[0]), fnum(na and na[0])),
		None if not (ga and na) else ga[0] <= na[0])
	x64 = W.get(("llmgw-xlate", 64), {})
	r = (x64.get("cpu_us") / n64["cpu_us"]) if x64.get("cpu_us") and n64.get("cpu_us") else None
	tgt("translated CPU/request ≤ 1.5× nginx's same-dialect (64 conns)", "%s vs %s µs = %s" % (
		fnum(x64.get("cpu_us"), 1), fnum(n64.get("cpu_us"), 1), "%.2f×" % r if r else "–"),
		None if r is None else r <= 1.5)
	gk, nk = W.get(("llmgw", 1024), {}), W.get(("nginx", 1024), {})
	if gk:
		tgt("1024 keep-alive conns: no errors", "%d errors in %s requests" % (gk["errors"] + gk["status"],
			fnum(gk["requests"])), gk["errors"] + gk["status"] == 0)
	r = (gk.get("rps") / nk["rps"]) if gk.get("rps") and nk.get("rps") else None
	tgt("throughput at 1024 conns ≥ 0.8× nginx's", "%s vs %s req/s = %s" % (fnum(gk.get("rps")),
		fnum(nk.get("rps")), "%.2f×" % r if r else "–"), None if r is None else r >= 0.8)
	mb = "llmgw-musl" if "llmgw-musl" in M else "llmgw"
	idle = M.get(mb, {}).get("idle", {}).get("rss")
	tgt("idle RSS ≤ 1 MB (%s)" % ("static musl" if mb == "llmgw-musl" else "glibc: no musl build here"),
		"%s MB (glibc %s MB)" % (kb_mb(idle), kb_mb(M.get("llmgw", {}).get("idle", {}).get("rss"))),
		None if idle is None else idle <= 1024)
	h = (hold.get(mb + "-tls") or {}).get("mem")
	hg = (hold.get("llmgw-tls") or {}).get("mem")
	tgt("RSS ≤ 8 MB with 1024 open conns + 64 streams over upstream TLS (%s)" % mb,
		"%s MB (glibc %s MB)" % (kb_mb(h and h["rss"]), kb_mb(hg and hg["rss"])),
		None if not h else h["rss"] <= 8192)
	sg, tg = S.get("llmgw"), T.get("llmgw")
	if tg and td:
		at = (tg["ttft"] - td["ttft"]) / 1000.0
		tgt("streaming: added TTFT ≤ 50 µs at 1 conn", "%s µs (p50; nginx %s µs)" % (fnum(at, 1),
			fnum(nadd, 1)), at <= 50)
	if sg and sd:
		tgt("streaming: zero batching", "%d batched token events in %d streams (direct: %d, the noise floor)" % (
			sg["batched"], sg["streams"], sd["batched"]), sg["batched"] == 0)
	gi, ni = res["callgrind"].get("llmgw|same dialect"), res["callgrind"].get("nginx|same dialect")
	if gi and ni:
		tgt("(noise-free) user-space instructions/request, same dialect", "%s vs nginx %s = %.2f×" % (
			fnum(gi), fnum(ni), gi / ni), None)
	xi = res["callgrind"].get("llmgw|translated")
	if xi and ni:
		tgt("(noise-free) translated instructions/request vs nginx same-dialect", "%s vs %s = %.2f×" % (
			fnum(xi), fnum(ni), xi / ni), None)
	t64 = W.get(("llmgw-tls", 64), {})
	if t64:
		tgt("(upstream TLS) handshakes per 1000 requests, 64 conns", "%s (nginx %s)" % (
			fnum(t64.get("hs_per_1000"), 2), fnum(W.get(("nginx-tls", 64), {}).get("hs_per_1000"), 2)), None)
	a("")

	# -- is mockprov the bottleneck?
	a("## Checks")
	a("")
	for c in CONCS:
		d = W.get(("direct", c), {}).get("rps")
		best = max(((W[(l, c)]["rps"], l) for l in main_legs if l != "direct" and W.get((l, c), {}).get("rps")),
			default=None)
		if d and best:
			a("- %d conns: direct to mockprov %s req/s; the fastest proxy (%s) %s req/s = %.0f%% of direct%s." % (
				c, fnum(d), best[1], fnum(best[0]), 100.0 * best[0] / d,
				" — close to direct: mockprov or wrk may be limiting this figure" if best[0] > 0.85 * d else ""))
	mk = [(l, W[(l, 64)]["mock_cpu_us"]) for l in main_legs if W.get((l, 64), {}).get("mock_cpu_us")]
	if mk:
		a("- mockprov's own CPU per request at 64 conns, per leg: %s µs (the upstream's cost, the same for every proxy)." % (
			", ".join("%s %.1f" % x for x in mk)))
	for n in notes:
		a("- " + n)
	for f in failures:
		a("- FAILURE: " + f)
	a("")
	return "\n".join(L)


if __name__ == "__main__":
	res = None
	try:
		res = main()
	finally:
		stop_all()
	if res and CG_ONLY:
		for k, v in res["callgrind"].items():
			say("instructions/request %-28s %s" % (k, fnum(v)))
		if len(res["callgrind"]) < 2:
			fail("callgrind: no instruction counts")
	elif res:
		with open(os.path.join(OUT, "results.json"), "w") as f:
			json.dump(res, f, indent=1, default=str)
		text = report(res)
		with open(os.path.join(OUT, "report.md"), "w") as f:
			f.write(text)
		print()
		print(text)
		say("bench: report written to %s (%.0f s)" % (os.path.join(OUT, "report.md"), time.monotonic() - T_START))
	if failures or not res:
		say("bench: %d failure(s)" % len(failures))
		sys.exit(1)
