"""Slow request heads (slowloris): a connection that trickles its head holds
a head buffer, never a request slot; partial heads are bounded per client
address and in all, and legitimate requests keep being served while many
slow connections trickle bytes. Attackers connect from other loopback
addresses (127.0.0.2, ...: all of 127.0.0.0/8 is loopback on Linux); the
legitimate client uses 127.0.0.1. Every wait here is a liveness bound, not
a benchmark."""

import errno
import resource
import select
import socket
import threading
import time

from harness import Client, chat, chat_body, chat_content, check, get, reply_for, test

# Each legitimate request must be answered within this (a liveness bound:
# with the slots held by slow heads it would wait for header_timeout).
LIVENESS_S = 5.0


def raise_nofile(want):
	"""The test process (and the llmgw it starts, which inherits it) needs
	a file descriptor per attacking connection."""
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	if soft != resource.RLIM_INFINITY and soft < want:
		new = want if hard == resource.RLIM_INFINITY else min(want, hard)
		resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
		soft = new
	check(soft == resource.RLIM_INFINITY or soft >= want,
		"RLIMIT_NOFILE is %s, this test needs %d" % (soft, want))


def slow_socket(port, src_ip, first=b"G"):
	"""A connection from src_ip that has sent the first bytes of a head."""
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	try:
		s.bind((src_ip, 0))
		s.settimeout(5)
		s.connect(("127.0.0.1", port))
		s.sendall(first)
		s.setblocking(False)
	except OSError:
		s.close()
		raise
	return s


def poll_closed(socks, want, deadline_s):
	"""Reads from every socket until `want` of them were closed by the
	server (EOF or reset) or deadline_s passed; returns {sock: bytes got}
	for the closed ones."""
	got = {s: b"" for s in socks}
	closed = {}
	end = time.monotonic() + deadline_s
	while len(closed) < want and time.monotonic() < end:
		open_ = [s for s in socks if s not in closed]
		r, _, _ = select.select(open_, [], [], 0.2)
		for s in r:
			try:
				d = s.recv(4096)
			except BlockingIOError:
				continue
			except ConnectionResetError:
				d = b""
			if d:
				got[s] += d
			else:
				closed[s] = got[s]
	return closed


def metric(port, name):
	r = get(port, "/metrics", timeout=LIVENESS_S)
	check(r.status == 200, "/metrics: %s" % r.describe())
	for line in r.text().splitlines():
		if line.startswith(name + " "):
			return float(line.split()[1])
	check(False, "%s not on /metrics" % name)


@test(timeout=30)
def sixty_four_slow_heads_leave_healthz_up(ctx):
	# The repro: 64 connections (max_inflight's default) that each
	# send "G" and nothing more. /healthz must still answer, well before
	# header_timeout (30 s by default) would free anything.
	mock, gw = ctx.standard()
	socks = []
	try:
		for _ in range(64):
			socks.append(slow_socket(gw.port, "127.0.0.1"))
		for i in range(3):
			t0 = time.monotonic()
			r = get(gw.port, "/healthz", timeout=LIVENESS_S)
			check(r.status == 200, "healthz %d with 64 slow heads open: %s" % (i, r.describe()))
			ctx.note("healthz %d answered in %.0f ms" % (i, (time.monotonic() - t0) * 1000))
		r = chat(gw.port, "fast", "past the slow heads", timeout=LIVENESS_S)
		check(r.status == 200 and chat_content(r) == reply_for("past the slow heads"), "chat: %s" % r.describe())
	finally:
		for s in socks:
			s.close()


@test(timeout=30)
def partial_heads_bounded_per_address_and_in_all(ctx):
	mock, gw = ctx.standard(gateway=[("option", "max_partial_heads", "8"), ("option", "max_partial_heads_per_ip", "3"),
		("option", "header_timeout", "20s")])
	socks = []
	try:
		# Per address: the 4th..10th slow head from 127.0.0.2 each drop
		# the oldest one of that address (closed, no answer); 3 stay.
		for _ in range(10):
			socks.append(slow_socket(gw.port, "127.0.0.2"))
		closed = poll_closed(socks, 7, 10)
		check(len(closed) == 7, "%d of 10 slow heads from one address were closed, want 7 (max_partial_heads_per_ip 3)"
			% len(closed))
		for s, d in closed.items():
			check(d == b"", "a dropped slow head got %r, want a close" % d[:200])
		check(not poll_closed([s for s in socks if s not in closed], 1, 0.5), "a 4th slow head was closed too")
		check(metric(gw.port, "llmgw_partial_heads_dropped_total") == 7, "dropped count after the per-address bound")
		# In all: 3 are open; 7 more from 7 other addresses make 10 > 8, so
		# the 2 oldest (from 127.0.0.2) go.
		more = [slow_socket(gw.port, "127.0.0.%d" % (3 + i)) for i in range(7)]
		socks += more
		closed2 = poll_closed([s for s in socks if s not in closed], 2, 10)
		check(len(closed2) == 2, "%d slow heads were closed over max_partial_heads 8, want 2" % len(closed2))
		check(not any(s in closed2 for s in more), "a newer slow head was dropped before the oldest ones")
		# A newcomer is served whatever the bounds say: the /metrics
		# request's own head needs a buffer, and the oldest partial head
		# (the last one from 127.0.0.2) makes room for it.
		check(metric(gw.port, "llmgw_partial_heads_dropped_total") == 10, "dropped count after the total bound")
		left = [s for s in socks if s not in closed and s not in closed2]
		check(len(poll_closed(left, 1, 5)) == 1, "the oldest slow head was not dropped for the /metrics request")
		r = get(gw.port, "/healthz", timeout=LIVENESS_S)
		check(r.status == 200, "healthz: %s" % r.describe())
	finally:
		for s in socks:
			s.close()


class Trickler:
	"""Up to n connections from 127.0.0.2 ... 127.0.0.(1+addrs) that each
	send one byte of an endless head every round; one the gateway closes
	is replaced (at most `reconnect_per_round` a round, `max_connects` in
	all). Runs in a thread until stop() or `seconds`."""

	HEAD = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Pad: "

	def __init__(self, port, n, addrs, seconds, max_connects=20000, reconnect_per_round=100):
		self.port, self.n, self.addrs, self.seconds = port, n, addrs, seconds
		self.max_connects, self.reconnect_per_round = max_connects, reconnect_per_round
		self.socks = []		# [socket, bytes sent]
		self.connects = 0
		self.closed_by_server = 0
		self.peak_open = 0
		self.bytes_sent = 0
		self.errors = []
		self.stopping = False
		self.th = None

	def _connect(self):
		ip = "127.0.0.%d" % (2 + self.connects % self.addrs)
		self.connects += 1
		s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		try:
			s.bind((ip, 0))
			s.settimeout(5)
			s.connect(("127.0.0.1", self.port))
			s.setblocking(False)
		except OSError as e:
			s.close()
			self.errors.append("connect from %s: %s" % (ip, e))
			return None
		return [s, 0]

	def open_all(self):
		while len(self.socks) < self.n:
			e = self._connect()
			if e is None:
				break
			self.socks.append(e)
		self.peak_open = len(self.socks)

	def _round(self):
		keep = []
		for e in self.socks:
			s, sent = e
			gone = False
			try:
				gone = not s.recv(4096)	# a 408 first, then EOF
			except BlockingIOError:
				pass
			except OSError:
				gone = True
			if not gone:
				b = self.HEAD[sent:sent + 1] or b"a"
				try:
					s.send(b)
					e[1] += 1
					self.bytes_sent += 1
				except BlockingIOError:
					pass
				except OSError as ex:
					if ex.errno not in (errno.EPIPE, errno.ECONNRESET):
						self.errors.append("send: %s" % ex)
					gone = True
			if gone:
				s.close()
				self.closed_by_server += 1
			else:
				keep.append(e)
		self.socks = keep
		k = 0
		while len(self.socks) < self.n and k < self.reconnect_per_round and self.connects < self.max_connects:
			e = self._connect()
			k += 1
			if e is not None:
				self.socks.append(e)
		self.peak_open = max(self.peak_open, len(self.socks))

	def _run(self):
		end = time.monotonic() + self.seconds
		while not self.stopping and time.monotonic() < end:
			try:
				self._round()
			except Exception as e:	# reported by the test, never swallowed
				self.errors.append("trickler: %r" % e)
				return
			time.sleep(0.1)

	def start(self):
		self.th = threading.Thread(target=self._run, daemon=True)
		self.th.start()

	def stop(self):
		self.stopping = True
		if self.th:
			self.th.join(5)
		for s, _ in self.socks:
			s.close()
		self.socks = []


@test(timeout=40)
def thousand_slow_connections_do_not_stall_requests(ctx):
	# 1000 connections from 50 addresses trickle head bytes (and come back
	# when dropped) while a client on 127.0.0.1 keeps making requests: each
	# must be answered within the liveness bound.
	raise_nofile(4096)
	mock, gw = ctx.standard(gateway=[("option", "max_connections", "2048")])
	t = Trickler(gw.port, n=1000, addrs=50, seconds=25)
	ctx.on_cleanup(t.stop)
	t.open_all()
	check(len(t.socks) == 1000, "opened only %d attacking connections: %s" % (len(t.socks), t.errors[:3]))
	t.start()
	t_end = time.monotonic() + 12
	n = 0
	ka = Client(gw.port, timeout=LIVENESS_S)
	ctx.on_cleanup(ka.close)
	while time.monotonic() < t_end:
		check(t.th.is_alive(), "the attacking connections stopped early: %s" % t.errors[:3])
		r = get(gw.port, "/healthz", timeout=LIVENESS_S)
		check(r.status == 200, "healthz %d under attack: %s" % (n, r.describe()))
		msg = "under attack %d" % n
		r = chat(gw.port, "fast", msg, timeout=LIVENESS_S)
		check(r.status == 200 and chat_content(r) == reply_for(msg), "chat %d under attack: %s" % (n, r.describe()))
		r = ka.call("POST", "/v1/chat/completions", chat_body("fast", msg + " ka"))
		check(r.status == 200 and chat_content(r) == reply_for(msg + " ka"),
			"keep-alive chat %d under attack: %s" % (n, r.describe()))
		n += 1
		time.sleep(0.2)
	dropped = metric(gw.port, "llmgw_partial_heads_dropped_total")
	t.stop()
	check(not [e for e in t.errors if not e.startswith("connect")], "trickler errors: %s" % t.errors[:3])
	check(dropped > 0, "no partial head was dropped: the attack never reached the bounds")
	ctx.note("%d rounds of 3 requests served; attack: %d connections made, peak %d open, %d bytes trickled, "
		"%d closed by the gateway, %d partial heads dropped (metrics)"
		% (n, t.connects, t.peak_open, t.bytes_sent, t.closed_by_server, dropped))


@test(timeout=20)
def fd_limit_raised_for_max_connections(ctx):
	# llmgw raises its own soft RLIMIT_NOFILE to what max_connections
	# needs: at 256 it would fail accept() long before 1024 connections.
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	check(hard == resource.RLIM_INFINITY or hard >= 2000, "hard RLIMIT_NOFILE %s is too low for this test" % hard)
	resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
	try:
		mock, gw = ctx.standard(gateway=[("option", "max_connections", "1500")])
	finally:
		resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
	with open("/proc/%d/limits" % gw.pid) as f:
		line = [l for l in f if l.startswith("Max open files")][0]
	got = int(line.split()[3])
	check(got >= 1500, "llmgw's soft open-files limit is %d with max_connections 1500: %r" % (got, line))


@test(timeout=30)
def pipelined_partial_head_holds_no_slot(ctx):
	# A request followed by one byte of the next: once the first is
	# answered, the byte waits in a head buffer, not in the only request
	# slot, so another client is served at once.
	mock, gw = ctx.standard(gateway=[("option", "max_inflight", "1")])
	with Client(gw.port, timeout=LIVENESS_S) as a:
		a.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nG")
		r = a.read_response("GET")
		check(r.status == 200, "first pipelined request: %s" % r.describe())
		r = get(gw.port, "/healthz", timeout=LIVENESS_S)
		check(r.status == 200, "another client while a pipelined byte waits: %s" % r.describe())
		# The partial head completes and is served in turn.
		a.send(b"ET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		r = a.read_response("GET")
		check(r.status == 200, "the completed pipelined request: %s" % r.describe())


@test(timeout=30)
def complete_heads_wait_for_buffers_and_slots(ctx):
	# One request slot and one head buffer: while a stream holds the slot,
	# B's complete head waits in the only head buffer (for a slot) and C
	# cannot start its head (no buffer, and no partial head to drop). Both
	# are served in turn when the stream ends, none dropped.
	mock, gw = ctx.standard(gateway=[("option", "max_inflight", "1"), ("option", "max_partial_heads", "1")])
	a = Client(gw.port, timeout=10)
	b = Client(gw.port, timeout=10)
	c = Client(gw.port, timeout=10)
	for x in (a, b, c):
		ctx.on_cleanup(x.close)
	a.request("POST", "/v1/chat/completions", chat_body("mock/fault:chunks=6,interval_ms=200", "a", stream=True))
	a.settimeout(10)
	first = a.sock.recv(65536)	# the stream began: A holds the slot
	check(first.startswith(b"HTTP/1.1 200"), "stream head: %r" % first[:100])
	a.buf = first
	b.request("POST", "/v1/chat/completions", chat_body("fast", "b"))
	time.sleep(0.2)
	c.request("POST", "/v1/chat/completions", chat_body("fast", "c"))
	r = a.read_response()
	check(r.status == 200 and r.complete, "stream: %s" % r.describe())
	for x, msg in ((b, "b"), (c, "c")):
		r = x.read_response()
		check(r.status == 200 and chat_content(r) == reply_for(msg), "%s: %s" % (msg, r.describe()))
	check(metric(gw.port, "llmgw_partial_heads_dropped_total") == 0, "a complete head was dropped")


@test(timeout=30)
def out_of_descriptors_pauses_accepting(ctx):
	# llmgw's open-files limit lowered under it (as a low limit on a
	# router would be): with every descriptor in use, a pending connection
	# keeps the listener readable. llmgw must pause accepting (a warning
	# per 100 ms), not spin on accept() and flood its log, and it serves
	# again once descriptors are free.
	mock, gw = ctx.standard()
	check(get(gw.port, "/healthz", timeout=LIVENESS_S).status == 200, "healthz before")
	soft, hard = resource.prlimit(gw.pid, resource.RLIMIT_NOFILE)
	resource.prlimit(gw.pid, resource.RLIMIT_NOFILE, (40, hard))
	held = []
	try:
		for _ in range(60):
			s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
			held.append(s)
		time.sleep(2.0)
		warns = gw.stderr().count("accept: not accepting connections")
		floods = gw.stderr().count("accept: Too many open files")
		check(1 <= warns <= 40, "pause warnings in 2 s: %d (want 1..40: one per 100 ms pause)" % warns)
		check(floods == 0, "accept errors logged one by one: %d" % floods)
	finally:
		for s in held:
			s.close()
	resource.prlimit(gw.pid, resource.RLIMIT_NOFILE, (soft, hard))
	deadline = time.monotonic() + LIVENESS_S
	while True:
		try:
			r = get(gw.port, "/healthz", timeout=LIVENESS_S)
			break
		except OSError:
			check(time.monotonic() < deadline, "llmgw does not serve again after descriptors are free")
			time.sleep(0.1)
	check(r.status == 200, "healthz after: %s" % r.describe())
