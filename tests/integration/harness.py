"""harness.py - the integration-test framework for llmgw (Python 3 stdlib only).

Every test gets a Ctx: a scratch directory, helpers to start mockprov and
llmgw on free loopback ports, and a teardown that stops every process it
started by PID (SIGTERM, then SIGKILL after a deadline), checks llmgw exited
0, and fails the test when any process's stderr holds a sanitizer report.

HTTP is spoken over raw sockets (Client) so that tests control exactly what
goes on the wire (pipelining, half requests, Expect: 100-continue, chunked
bodies) and can time each SSE event as it arrives.

Nothing here blocks without a bound: sockets carry timeouts, waits carry
deadlines, and run.py arms a hard per-test timer (SIGALRM).
"""

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SANITIZER_MARKERS = (
	"ERROR: AddressSanitizer",
	"runtime error:",
	"LeakSanitizer",
	"ERROR: UndefinedBehaviorSanitizer",
)

# Sanitizer settings for every child: reports go to stderr (captured), and
# the process exits non-zero so a report can never go unnoticed.
SAN_ENV = {
	"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=99:strict_string_checks=1:detect_stack_use_after_return=1",
	"UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=98",
	"LSAN_OPTIONS": "exitcode=97",
}


class TestFailure(Exception):
	pass


class TestSkip(Exception):
	pass


class TestTimeout(BaseException):
	"""Raised by the per-test alarm; BaseException so that tests' own
	`except Exception` clauses cannot swallow it."""


def check(cond, msg):
	if not cond:
		raise TestFailure(msg)


def check_eq(got, want, what):
	if got != want:
		raise TestFailure("%s: got %r, want %r" % (what, got, want))


# ---------------------------------------------------------------- registry

TESTS = []


def test(timeout=20, name=None):
	"""Registers fn(ctx) as a test. timeout is the hard limit in seconds."""
	def deco(fn):
		TESTS.append((name or fn.__name__.replace("test_", "", 1), fn, timeout))
		return fn
	return deco


# ---------------------------------------------------------------- processes

def free_port():
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	try:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]
	finally:
		s.close()


def wait_listening(port, deadline, proc=None):
	"""Polls connect() on 127.0.0.1:port until it succeeds or deadline."""
	while True:
		if proc is not None and proc.p.poll() is not None:
			raise TestFailure("%s exited with %s before listening on %d:\n%s"
				% (proc.name, proc.p.returncode, port, proc.tail()))
		try:
			s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
			s.close()
			return
		except OSError:
			pass
		if time.monotonic() > deadline:
			raise TestFailure("nothing listening on 127.0.0.1:%d after the deadline" % port)
		time.sleep(0.02)


class Proc:
	"""A child process with stdout/stderr captured to files in ctx.dir."""

	def __init__(self, ctx, name, argv, env=None, check_exit=False):
		self.ctx = ctx
		self.name = name
		self.argv = argv
		self.check_exit = check_exit	# teardown requires exit 0 after SIGTERM
		self.errpath = os.path.join(ctx.dir, name + ".stderr")
		self.outpath = os.path.join(ctx.dir, name + ".stdout")
		e = dict(os.environ)
		e.update(SAN_ENV)
		if env:
			e.update(env)
		with open(self.outpath, "wb") as out, open(self.errpath, "wb") as err:
			self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
				stderr=err, env=e, cwd=ctx.dir, close_fds=True)
		self.pid = self.p.pid
		self.exit_code = None
		self.stopped = False
		self.exited_early = False
		ctx.procs.append(self)

	def alive(self):
		return self.p.poll() is None

	def signal(self, sig):
		if self.p.poll() is None:
			os.kill(self.pid, sig)

	def wait(self, timeout):
		"""Waits for exit; returns the code or None if still running."""
		try:
			self.exit_code = self.p.wait(timeout=timeout)
			return self.exit_code
		except subprocess.TimeoutExpired:
			return None

	def stop(self, timeout=10.0):
		"""SIGTERM, wait up to timeout, then SIGKILL. Returns (code, killed)."""
		if self.stopped:
			return self.exit_code, False
		self.stopped = True
		killed = False
		self.exited_early = self.p.poll() is not None
		if not self.exited_early:
			try:
				os.kill(self.pid, signal.SIGTERM)
			except ProcessLookupError:
				pass
			try:
				self.p.wait(timeout=timeout)
			except subprocess.TimeoutExpired:
				killed = True
				try:
					os.kill(self.pid, signal.SIGKILL)
				except ProcessLookupError:
					pass
				self.p.wait(timeout=10)
		self.exit_code = self.p.returncode
		return self.exit_code, killed

	def stderr(self):
		try:
			with open(self.errpath, "rb") as f:
				return f.read().decode("utf-8", "replace")
		except OSError:
			return ""

	def stdout(self):
		try:
			with open(self.outpath, "rb") as f:
				return f.read().decode("utf-8", "replace")
		except OSError:
			return ""

	def sanitizer_report(self):
		text = self.stderr()
		for m in SANITIZER_MARKERS:
			i = text.find(m)
			if i >= 0:
				return text[max(0, i - 200):i + 1500]
		return None

	def tail(self, n=25):
		lines = self.stderr().splitlines()
		return "\n".join("    | " + l for l in lines[-n:])


def sanitizer_in(text):
	for m in SANITIZER_MARKERS:
		if m in text:
			return m
	return None


# ---------------------------------------------------------------- HTTP client

class Resp:
	def __init__(self):
		self.status = 0
		self.reason = ""
		self.version = ""
		self.headers = []		# [(lowercase name, value)]
		self.body = b""
		self.pieces = []		# [(monotonic time, bytes)] body data as it arrived
		self.t_head = None		# when the head was complete
		self.t_end = None
		self.complete = False		# body framing ended cleanly
		self.eof = False		# server closed the connection
		self.reset = False		# ... with a reset
		self.raw_head = b""

	def header(self, name):
		name = name.lower()
		for k, v in self.headers:
			if k == name:
				return v
		return None

	def text(self):
		return self.body.decode("utf-8", "replace")

	def json(self):
		try:
			return json.loads(self.body.decode("utf-8"))
		except (ValueError, UnicodeDecodeError) as e:
			raise TestFailure("response body is not JSON (%s): %r" % (e, self.body[:300]))

	def events(self):
		"""SSE events as [(time, data string)], timed by the piece that
		completed them. Only `data:` lines are kept (joined by newlines)."""
		out = []
		buf = b""
		for t, piece in self.pieces:
			buf += piece
			while True:
				buf = buf.replace(b"\r\n", b"\n")
				i = buf.find(b"\n\n")
				if i < 0:
					break
				ev, buf = buf[:i], buf[i + 2:]
				data = []
				for line in ev.split(b"\n"):
					if line.startswith(b"data:"):
						d = line[5:]
						if d.startswith(b" "):
							d = d[1:]
						data.append(d.decode("utf-8", "replace"))
				if data:
					out.append((t, "\n".join(data)))
		return out

	def describe(self):
		return "%d %s %r" % (self.status, self.reason, self.body[:300])


class Client:
	"""One client connection to llmgw speaking raw HTTP/1.1."""

	def __init__(self, port, timeout=10.0, host="127.0.0.1"):
		self.port = port
		self.sock = socket.create_connection((host, port), timeout=timeout)
		self.buf = b""
		self.eof = False
		self.reset = False
		self.sent_log = []

	def close(self):
		try:
			self.sock.close()
		except OSError:
			pass

	def __enter__(self):
		return self

	def __exit__(self, *a):
		self.close()

	def settimeout(self, t):
		self.sock.settimeout(t)

	def send(self, data):
		if isinstance(data, str):
			data = data.encode()
		self.sock.sendall(data)

	def request(self, method, path, body=None, headers=None, host=None):
		"""Sends one request. body: bytes/str/dict (dict -> JSON)."""
		self.send(build_request(method, path, body, headers, host or "127.0.0.1:%d" % self.port))

	def _more(self):
		if self.eof:
			return False
		try:
			d = self.sock.recv(65536)
		except ConnectionResetError:
			self.eof = self.reset = True
			return False
		except socket.timeout:
			raise TestFailure("timed out waiting for the server (have %d bytes: %r)"
				% (len(self.buf), self.buf[:200]))
		if not d:
			self.eof = True
			return False
		self.buf += d
		return True

	def _line(self):
		while True:
			i = self.buf.find(b"\r\n")
			if i >= 0:
				line, self.buf = self.buf[:i], self.buf[i + 2:]
				return line
			if not self._more():
				return None

	def _take(self, n):
		while len(self.buf) < n:
			if not self._more():
				return None
		d, self.buf = self.buf[:n], self.buf[n:]
		return d

	def read_response(self, method="POST", on_piece=None):
		"""Reads one response (1xx included, returned as such). Raises
		TestFailure if the server closed before a status line."""
		r = Resp()
		while True:
			i = self.buf.find(b"\r\n\r\n")
			if i >= 0:
				break
			if not self._more():
				raise TestFailure("connection closed%s before a response (got %r)"
					% (" by reset" if self.reset else "", self.buf[:200]))
		head, self.buf = self.buf[:i], self.buf[i + 4:]
		r.raw_head = head
		r.t_head = time.monotonic()
		lines = head.decode("latin-1").split("\r\n")
		m = re.match(r"^(HTTP/\d\.\d) (\d{3})(?: (.*))?$", lines[0])
		if not m:
			raise TestFailure("bad status line %r" % lines[0])
		r.version, r.status, r.reason = m.group(1), int(m.group(2)), m.group(3) or ""
		for l in lines[1:]:
			if ":" not in l:
				raise TestFailure("bad response header line %r" % l)
			k, v = l.split(":", 1)
			r.headers.append((k.strip().lower(), v.strip()))
		if 100 <= r.status < 200 or r.status in (204, 304) or method == "HEAD":
			r.complete = True
			return r

		def piece(d):
			t = time.monotonic()
			r.pieces.append((t, d))
			r.body += d
			if on_piece:
				on_piece(t, d)

		te = (r.header("transfer-encoding") or "").lower()
		cl = r.header("content-length")
		if "chunked" in te:
			while True:
				line = self._line()
				if line is None:
					break
				try:
					n = int(line.split(b";")[0].strip(), 16)
				except ValueError:
					raise TestFailure("bad chunk size line %r" % line)
				if n == 0:
					tr = b"x"
					while tr:
						tr = self._line()
					r.complete = tr is not None
					break
				d = self._take(n)
				if d is None:
					if self.buf:
						piece(self.buf)
						self.buf = b""
					break
				piece(d)
				if self._take(2) != b"\r\n":
					raise TestFailure("chunk not followed by CRLF")
		elif cl is not None:
			n = int(cl)
			while n > 0:
				if not self.buf and not self._more():
					break
				d, self.buf = self.buf[:n], self.buf[n:]
				n -= len(d)
				piece(d)
			r.complete = n == 0
		else:
			while True:
				if self.buf:
					d, self.buf = self.buf, b""
					piece(d)
				if not self._more():
					break
			r.complete = not self.reset
		r.eof, r.reset = self.eof, self.reset
		r.t_end = time.monotonic()
		return r

	def call(self, method, path, body=None, headers=None, on_piece=None):
		self.request(method, path, body, headers)
		r = self.read_response(method, on_piece)
		while 100 <= r.status < 200:
			r = self.read_response(method, on_piece)
		return r

	def closed_by_server(self, wait=2.0):
		"""True if the server closes the connection (EOF or reset) within wait."""
		self.sock.settimeout(wait)
		try:
			while True:
				d = self.sock.recv(65536)
				if not d:
					return True
				self.buf += d
		except ConnectionResetError:
			return True
		except socket.timeout:
			return False


def recv_all(s):
	"""Everything the peer sends until it closes."""
	data = b""
	while True:
		d = s.recv(65536)
		if not d:
			return data
		data += d


def build_request(method, path, body=None, headers=None, host="127.0.0.1"):
	if isinstance(body, (dict, list)):
		body = json.dumps(body).encode()
	elif isinstance(body, str):
		body = body.encode()
	h = [("Host", host)]
	names = set()
	for k, v in (headers or {}).items() if isinstance(headers, dict) else (headers or []):
		h.append((k, v))
		names.add(k.lower())
	if body is not None and "content-length" not in names and "transfer-encoding" not in names:
		h.append(("Content-Length", str(len(body))))
	if body is not None and "content-type" not in names:
		h.append(("Content-Type", "application/json"))
	out = "%s %s HTTP/1.1\r\n" % (method, path)
	out += "".join("%s: %s\r\n" % kv for kv in h) + "\r\n"
	return out.encode() + (body or b"")


def chat_body(model, msg="hello", stream=False, **extra):
	b = {"model": model, "messages": [{"role": "user", "content": msg}]}
	if stream:
		b["stream"] = True
	b.update(extra)
	return b


def chat(port, model, msg="hello", stream=False, headers=None, timeout=10.0, on_piece=None):
	"""One chat request on a fresh connection."""
	with Client(port, timeout) as c:
		return c.call("POST", "/v1/chat/completions", chat_body(model, msg, stream), headers, on_piece)


def get(port, path, headers=None, timeout=10.0):
	with Client(port, timeout) as c:
		return c.call("GET", path, None, headers)


def reply_for(msg):
	return "mock reply to: " + msg


def chat_content(r):
	j = r.json()
	try:
		return j["choices"][0]["message"]["content"]
	except (KeyError, IndexError, TypeError):
		raise TestFailure("no choices[0].message.content in %r" % r.body[:300])


def stream_parts(r):
	"""(content, done, errors, events) of an SSE response."""
	content, done, errors = [], False, []
	evs = r.events()
	for _, data in evs:
		if data.strip() == "[DONE]":
			done = True
			continue
		try:
			j = json.loads(data)
		except ValueError:
			raise TestFailure("SSE data is not JSON: %r" % data[:200])
		if isinstance(j, dict) and "error" in j:
			errors.append(j)
			continue
		for ch in j.get("choices") or []:
			d = (ch.get("delta") or {}).get("content")
			if d:
				content.append(d)
	return "".join(content), done, errors, evs


def check_error(r, status, code=None, etype=None, what=""):
	"""Asserts an OpenAI-shaped error response; returns its message."""
	check(r.status == status, "%sstatus %d, want %d: %r" % (what and what + ": ", r.status, status, r.body[:300]))
	j = r.json()
	e = j.get("error") if isinstance(j, dict) else None
	check(isinstance(e, dict), "%serror body is not {\"error\":{...}}: %r" % (what and what + ": ", r.body[:300]))
	msg = e.get("message")
	check(isinstance(msg, str) and msg, "%serror.message missing: %r" % (what and what + ": ", r.body[:300]))
	if code is not None:
		check(e.get("code") == code, "%serror.code %r, want %r" % (what and what + ": ", e.get("code"), code))
	if etype is not None:
		check(e.get("type") == etype, "%serror.type %r, want %r" % (what and what + ": ", e.get("type"), etype))
	return msg


# ---------------------------------------------------------------- mockprov

class Mock:
	def __init__(self, ctx, proc, port, tls):
		self.ctx, self.proc, self.port, self.tls = ctx, proc, port, tls
		self.url = ("https://localhost:%d" if tls else "http://127.0.0.1:%d") % port

	def _get(self, path):
		s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
		if self.tls:
			# The control channel only: tests also run mockprov with
			# certificates llmgw must reject, so do not verify here.
			sc = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
			sc.check_hostname = False
			sc.verify_mode = ssl.CERT_NONE
			s = sc.wrap_socket(s, server_hostname="localhost")
		try:
			s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % path).encode())
			data = recv_all(s)
		finally:
			s.close()
		head, _, body = data.partition(b"\r\n\r\n")
		check(head.startswith(b"HTTP/1.1 200"), "mockprov %s: %r" % (path, data[:200]))
		if b"chunked" in head.lower():
			out = b""
			while body:
				n, _, rest = body.partition(b"\r\n")
				n = int(n.split(b";")[0], 16)
				if n == 0:
					break
				out += rest[:n]
				body = rest[n + 2:]
			body = out
		try:
			return json.loads(body.decode())
		except ValueError:
			raise TestFailure("mockprov %s is not JSON: %r" % (path, body[:200]))

	def stats(self):
		return self._get("/mock/stats")

	def last(self):
		return self._get("/mock/last")


def last_headers(last):
	"""Normalises /mock/last's headers into [(lowercase name, value)]."""
	h = last.get("headers") if isinstance(last, dict) else None
	out = []
	if isinstance(h, dict):
		for k, v in h.items():
			for vv in (v if isinstance(v, list) else [v]):
				out.append((k.lower(), str(vv)))
	elif isinstance(h, list):
		for item in h:
			if isinstance(item, (list, tuple)) and len(item) == 2:
				out.append((str(item[0]).lower(), str(item[1])))
			elif isinstance(item, dict):
				out.append((str(item.get("name", "")).lower(), str(item.get("value", ""))))
			elif isinstance(item, str) and ":" in item:
				k, v = item.split(":", 1)
				out.append((k.strip().lower(), v.strip()))
	elif isinstance(h, str):
		for line in h.split("\r\n" if "\r\n" in h else "\n"):
			if ":" in line:
				k, v = line.split(":", 1)
				out.append((k.strip().lower(), v.strip()))
	return out


def last_body(last):
	b = last.get("body") if isinstance(last, dict) else None
	if isinstance(b, str):
		try:
			return json.loads(b)
		except ValueError:
			raise TestFailure("/mock/last body is not JSON: %r" % b[:200])
	return b


# ---------------------------------------------------------------- test context

def uci(sections):
	"""[(type, name, [(kind, key, value)])] -> UCI text."""
	out = []
	for typ, name, opts in sections:
		out.append("config %s '%s'" % (typ, name))
		for kind, k, v in opts:
			out.append("\t%s %s '%s'" % (kind, k, v))
		out.append("")
	return "\n".join(out)


class Ctx:
	def __init__(self, build, name, keep=False):
		self.build = build
		self.name = name
		self.keep = keep
		self.dir = tempfile.mkdtemp(prefix="llmgw-it-%s-" % re.sub(r"[^A-Za-z0-9_]", "_", name))
		self.procs = []
		self.cleanups = []
		self.notes = []
		self.secret = "sk-prov-" + secrets.token_hex(16)

	def note(self, s):
		self.notes.append(s)

	def path(self, *p):
		return os.path.join(self.dir, *p)

	def binary(self, name, flavor="asan"):
		p = os.path.join(self.build, flavor, name)
		check(os.access(p, os.X_OK), "%s is not built" % p)
		return p

	def certs(self, f=None):
		d = os.path.join(self.build, "certs")
		if not all(os.path.exists(os.path.join(d, x)) for x in ("ca.crt", "server-ec.crt", "server-ec.key")):
			gen = os.path.join(REPO, "tools", "gen-test-certs.sh")
			if not os.access(gen, os.X_OK):
				raise TestSkip("tools/gen-test-certs.sh is missing")
			p = subprocess.run([gen, d], capture_output=True, timeout=60)
			check(p.returncode == 0, "gen-test-certs.sh failed: %s" % p.stderr.decode(errors="replace")[-500:])
		return os.path.join(d, f) if f else d

	def mockprov(self, tls=False, cert="server-ec", key=None, args=(), name=None, port=None):
		"""Starts mockprov; key defaults to ctx.secret (the provider key)."""
		port = port or free_port()
		argv = [self.binary("mockprov"), "--listen", "127.0.0.1:%d" % port]
		if tls:
			argv += ["--tls-cert", self.certs(cert + ".crt"), "--tls-key", self.certs(cert + ".key")]
		argv += ["--key", key or self.secret]
		argv += list(args) + ["--quiet"]
		p = Proc(self, name or "mockprov%d" % len(self.procs), argv)
		wait_listening(port, time.monotonic() + 10, p)
		return Mock(self, p, port, tls)

	def config(self, port, gateway=(), providers=None, routes=None, clients=None, extra=""):
		"""Builds a UCI config. providers: [(name, base_url, [(kind,k,v)...])];
		clients: [(name, key, [allow...]) or (name, key, [allow...], [(kind,k,v)...])]."""
		given = set(k for _, k, _ in gateway)
		gw = [("option", "listen", "127.0.0.1:%d" % port)]
		if "log_level" not in given:
			gw.append(("option", "log_level", "debug"))
		if "state_dir" not in given:
			gw.append(("option", "state_dir", self.dir))	# usage totals stay in the test's scratch dir
		gw += list(gateway)
		secs = [("gateway", "main", gw)]
		for name, url, opts in providers or []:
			o = [("option", "type", "openai-compatible"), ("option", "base_url", url),
				("option", "key_env", "MOCK_KEY")]
			secs.append(("provider", name, o + list(opts)))
		for name, targets in routes or []:
			secs.append(("route", name, [("list", "target", t) for t in targets]))
		for client in clients or []:	# (name, key, allow[, [(kind, k, v)...]])
			name, key, allow = client[:3]
			o = [("option", "key_sha256", hashlib.sha256(key.encode()).hexdigest())]
			o += [("list", "allow", a) for a in allow] + list(client[3] if len(client) > 3 else ())
			secs.append(("client", name, o))
		return uci(secs) + extra

	def llmgw(self, conf, flavor="asan", env=None, wait=True, name="llmgw", port=None):
		"""Writes conf to the scratch dir and starts llmgw -c on it."""
		cpath = self.path(name + ".conf")
		with open(cpath, "w") as f:
			f.write(conf)
		e = {"MOCK_KEY": self.secret}
		if env:
			e.update(env)
		p = Proc(self, name, [self.binary("llmgw", flavor), "-c", cpath], env=e, check_exit=True)
		p.conf_path = cpath
		if port is None:
			m = re.search(r"listen '127\.0\.0\.1:(\d+)'", conf)
			port = int(m.group(1)) if m else None
		p.port = port
		if wait and port:
			wait_listening(port, time.monotonic() + 10, p)
		return p

	def standard(self, gateway=(), clients=None, routes=None, mock_args=(), flavor="asan",
			tls=False, models=("mock-1",)):
		"""mockprov + llmgw with provider 'mock' (models mock-1) and route
		'fast' -> mock/mock-1. Returns (mock, gw)."""
		mock = self.mockprov(tls=tls, args=mock_args)
		port = free_port()
		gwopts = list(gateway)
		if tls:
			gwopts.append(("option", "ca_file", self.certs("ca.crt")))
		conf = self.config(port, gwopts,
			providers=[("mock", mock.url, [("list", "model", m) for m in models])],
			routes=routes if routes is not None else [("fast", ["mock/mock-1"])],
			clients=clients)
		gw = self.llmgw(conf, flavor=flavor)
		return mock, gw

	def on_cleanup(self, fn):
		self.cleanups.append(fn)

	def close(self):
		"""Stops everything; returns a list of problems (sanitizer reports,
		bad exit codes) that make the test fail."""
		problems = []
		for fn in reversed(self.cleanups):
			try:
				fn()
			except Exception as e:
				problems.append("cleanup: %r" % e)
		for p in reversed(self.procs):
			code, killed = p.stop(10.0)
			rep = p.sanitizer_report()
			if rep:
				problems.append("%s: sanitizer report:\n%s" % (p.name, indent(rep)))
			elif killed:
				problems.append("%s did not exit within 10 s of SIGTERM (killed)" % p.name)
			elif p.check_exit and code not in (0, None):
				problems.append("%s exited %s %s, want 0" % (p.name, code,
					"before it was stopped" if p.exited_early else "after SIGTERM"))
		return problems

	def remove(self):
		if not self.keep:
			shutil.rmtree(self.dir, ignore_errors=True)


def indent(s, pre="    | "):
	return "\n".join(pre + l for l in s.splitlines())


# ---------------------------------------------------------------- fake DNS

class FakeDNS:
	"""A UDP DNS server on 127.0.0.1 answering A queries from a table
	{name: (ipv4, delay_s)}; other types get an empty NOERROR answer and
	unknown names NXDOMAIN. Delayed answers go out from timer threads so a
	slow name never holds up the others."""

	def __init__(self, table):
		self.table = {k.lower().rstrip("."): v for k, v in table.items()}
		self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		self.sock.bind(("127.0.0.1", 0))
		self.sock.settimeout(0.1)
		self.port = self.sock.getsockname()[1]
		self.queries = []
		self.stopping = False
		self.timers = []
		self.th = threading.Thread(target=self._run, daemon=True)
		self.th.start()

	def stop(self):
		self.stopping = True
		for t in self.timers:
			t.cancel()
		self.th.join(2)
		self.sock.close()

	def _run(self):
		while not self.stopping:
			try:
				data, addr = self.sock.recvfrom(4096)
			except socket.timeout:
				continue
			except OSError:
				return
			try:
				self._answer(data, addr)
			except Exception:
				pass

	def _answer(self, q, addr):
		if len(q) < 12:
			return
		qid, flags, qd = q[0:2], int.from_bytes(q[2:4], "big"), int.from_bytes(q[4:6], "big")
		if qd != 1:
			return
		i, labels = 12, []
		while i < len(q) and q[i] != 0:
			n = q[i]
			labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace"))
			i += 1 + n
		qend = i + 5
		if qend > len(q):
			return
		qtype = int.from_bytes(q[i + 1:i + 3], "big")
		name = ".".join(labels).lower()
		self.queries.append((time.monotonic(), name, qtype))
		question = q[12:qend]
		rd = flags & 0x0100
		ent = self.table.get(name)
		if ent is None:
			resp = qid + (0x8183 | rd).to_bytes(2, "big") + b"\x00\x01\x00\x00\x00\x00\x00\x00" + question
			delay = 0
		else:
			ip, delay = ent
			if qtype == 1:
				ans = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + socket.inet_aton(ip)
				resp = qid + (0x8180 | rd).to_bytes(2, "big") + b"\x00\x01\x00\x01\x00\x00\x00\x00" + question + ans
			else:
				resp = qid + (0x8180 | rd).to_bytes(2, "big") + b"\x00\x01\x00\x00\x00\x00\x00\x00" + question
		if delay:
			t = threading.Timer(delay, self._send, (resp, addr))
			t.daemon = True
			self.timers.append(t)
			t.start()
		else:
			self._send(resp, addr)

	def _send(self, resp, addr):
		if not self.stopping:
			try:
				self.sock.sendto(resp, addr)
			except OSError:
				pass


def rss_kb(pid):
	with open("/proc/%d/status" % pid) as f:
		for line in f:
			if line.startswith("VmRSS:"):
				return int(line.split()[1])
	raise TestFailure("no VmRSS for pid %d" % pid)
