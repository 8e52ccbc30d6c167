"""The TLS listener (config listen sections) and address ACLs (allow_cidr):
requests over TLS with a certificate made by `llmgw certgen`, session
resumption, the certificate replaced by SIGHUP (and a broken one refused),
the pool of TLS contexts when full, connections from outside allow_cidr
closed at accept (two addresses of 127.0.0.0/8), and the config errors."""

import hashlib
import os
import re
import signal
import socket
import ssl
import time

from harness import (Client, check, chat_body, free_port, recv_all, reply_for, stream_parts, test, uci, wait_listening)
from test_cli import run_cli


def certgen(ctx, sub, force=False):
	"""A key and certificate for localhost and 127.0.0.1 in ctx.dir/sub;
	returns (cert, key)."""
	out = ctx.path(sub)
	os.makedirs(out, exist_ok=True)
	rc, so, se = run_cli(ctx, ["certgen", "--host", "localhost", "--ip", "127.0.0.1", "--out", out]
		+ (["--force"] if force else []))
	check(rc == 0, "certgen exited %d:\n%s%s" % (rc, so, se))
	return os.path.join(out, "llmgw-cert.pem"), os.path.join(out, "llmgw-key.pem")


def fingerprint_of(cert_pem):
	with open(cert_pem) as f:
		return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def tls_context(cafile):
	sc = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
	sc.load_verify_locations(cafile)
	return sc


class TLSClient(Client):
	"""harness.Client over TLS (certificate and name checked)."""

	def __init__(self, port, sc, session=None, timeout=10.0, source=None):
		self.port = port
		raw = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=source)
		self.sock = sc.wrap_socket(raw, server_hostname="127.0.0.1", session=session)
		self.buf = b""
		self.eof = False
		self.reset = False
		self.sent_log = []

	def fingerprint(self):
		return hashlib.sha256(self.sock.getpeercert(binary_form=True)).hexdigest()


def wait_log(proc, text, deadline_s=10.0, after=0):
	"""Waits until text appears in proc's stderr past offset after."""
	end = time.monotonic() + deadline_s
	while time.monotonic() < end:
		if text in proc.stderr()[after:]:
			return
		time.sleep(0.05)
	check(False, "%r not in the log:\n%s" % (text, proc.tail()))


def tls_gateway(ctx, cert, key, gateway=(), listen_extra=(), mock=None):
	"""mockprov + llmgw with a plain listener and a TLS listen section.
	Returns (mock, gw, tls_port)."""
	mock = mock or ctx.mockprov()
	port, tport = free_port(), free_port()
	lopts = [("option", "address", "127.0.0.1:%d" % tport), ("option", "tls_cert", cert),
		("option", "tls_key", key)] + list(listen_extra)
	conf = ctx.config(port, gateway, providers=[("mock", mock.url, [("list", "model", "mock-1")])],
		routes=[("fast", ["mock/mock-1"])], extra="\n" + uci([("listen", "lan_tls", lopts)]))
	gw = ctx.llmgw(conf)
	wait_listening(tport, time.monotonic() + 10, gw)	# bound after the plain one
	return mock, gw, tport


@test(timeout=60)
def tls_listener_serves_requests_and_resumes_sessions(ctx):
	cert, key = certgen(ctx, "tls")
	mock, gw, tport = tls_gateway(ctx, cert, key)
	wait_log(gw, "listening on 127.0.0.1:%d (TLS, certificate SHA-256 " % tport)
	sc = tls_context(cert)
	with TLSClient(tport, sc) as c:
		check(c.sock.version() == "TLSv1.2", "version %s" % c.sock.version())
		check(c.fingerprint() == fingerprint_of(cert), "another certificate was served")
		r = c.call("POST", "/v1/chat/completions", chat_body("fast", "over tls"))
		check(r.status == 200 and r.json()["choices"][0]["message"]["content"] == reply_for("over tls"),
			"chat over TLS: %s" % r.describe())
		# Keep-alive, and a stream on the same connection.
		r = c.call("POST", "/v1/chat/completions", chat_body("fast", "streamed", stream=True))
		content, done, errors, _ = stream_parts(r)
		check(r.status == 200 and done and not errors and content == reply_for("streamed"),
			"stream over TLS: %s %r" % (r.describe(), content))
		# A body of several TLS records (16 KB each).
		body = {"model": "fast", "messages": [{"role": "system", "content": "x" * 70000},
			{"role": "user", "content": "big"}]}
		r = c.call("POST", "/v1/chat/completions", body)
		check(r.status == 200 and r.json()["choices"][0]["message"]["content"] == reply_for("big"),
			"70 KB over TLS: %s" % r.describe())
		sess = c.sock.session
		check(not c.sock.session_reused, "the first connection claims a resumed session")
	check(sess is not None and sess.has_ticket is False, "no session id to resume: %r" % sess)
	# The next connections resume the session (no full handshake).
	for i in range(2):
		with TLSClient(tport, sc, session=sess) as c:
			check(c.sock.session_reused, "connection %d did not resume the session" % (i + 2))
			r = c.call("GET", "/healthz")
			check(r.status == 200, "healthz on a resumed session: %s" % r.describe())
	# Pipelined requests arriving in one TLS record are all answered.
	with TLSClient(tport, sc, session=sess) as c:
		c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 3)
		for i in range(3):
			r = c.read_response("GET")
			check(r.status == 200, "pipelined %d: %s" % (i, r.describe()))
	# Plain HTTP spoken to the TLS port, or a client that never finishes
	# its handshake: the connection is closed, the gateway goes on.
	with Client(tport) as c:
		c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		check(c.closed_by_server(5), "plain HTTP on the TLS port was not closed")
		check(not c.buf.startswith(b"HTTP/"), "plain HTTP answered on the TLS port: %r" % c.buf[:80])
	with Client(gw.port) as c:
		check(c.call("GET", "/healthz").status == 200, "the plain listener stopped answering")


@test(timeout=60)
def tls_listener_reload_replaces_certificate(ctx):
	"""SIGHUP loads the certificate again: new connections get the new one,
	an open connection keeps going; a broken certificate or key is logged
	and the one before it stays."""
	cert, key = certgen(ctx, "tls")
	mock, gw, tport = tls_gateway(ctx, cert, key)
	old_fp = fingerprint_of(cert)
	sc = tls_context(cert)
	keep = TLSClient(tport, sc)
	check(keep.fingerprint() == old_fp, "first certificate not served")
	check(keep.call("GET", "/healthz").status == 200, "first request")
	# A session made with the old certificate (unverified context: both
	# certificates have the same name, and the check is the fingerprint).
	nv = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
	nv.check_hostname = False
	nv.verify_mode = ssl.CERT_NONE
	with TLSClient(tport, nv) as c:
		check(c.call("GET", "/healthz").status == 200, "unverified first request")
		sess = c.sock.session

	certgen(ctx, "tls", force=True)	# what a renewal by certbot or acme.sh does
	new_fp = fingerprint_of(cert)
	check(new_fp != old_fp, "certgen made the same certificate twice")
	mark = len(gw.stderr())
	gw.signal(signal.SIGHUP)
	wait_log(gw, "listen '127.0.0.1:%d': new certificate, SHA-256" % tport, after=mark)
	wait_log(gw, "configuration reloaded", after=mark)
	sc2 = tls_context(cert)
	with TLSClient(tport, sc2) as c:
		check(c.fingerprint() == new_fp, "after the reload, new connections still get the old certificate")
		check(c.call("GET", "/healthz").status == 200, "request with the new certificate")
	# A session of the old certificate is not resumed (full handshake with the new one).
	with TLSClient(tport, nv, session=sess) as c:
		check(not c.sock.session_reused and c.fingerprint() == new_fp,
			"an old session was resumed after the certificate changed")
	# The connection opened before the reload goes on.
	r = keep.call("POST", "/v1/chat/completions", chat_body("fast", "still here"))
	check(r.status == 200, "the connection from before the reload: %s" % r.describe())
	keep.close()

	# Broken: a truncated certificate, then a key of another certificate.
	good_cert = open(cert).read()
	for what, path, content in (("truncated certificate", cert, good_cert[:200]),
			("key of another certificate", None, None)):
		if path:
			with open(path, "w") as f:
				f.write(content)
		else:
			with open(cert, "w") as f:
				f.write(good_cert)
			other_cert, other_key = certgen(ctx, "other")
			os.replace(other_key, key)
		mark = len(gw.stderr())
		gw.signal(signal.SIGHUP)
		wait_log(gw, "configuration reloaded", after=mark)
		err = gw.stderr()[mark:]
		check(re.search(r"ERROR: reload: listen '127\.0\.0\.1:%d': .*; it keeps serving the certificate it had"
			% tport, err), "%s: no clear error in the log:\n%s" % (what, err))
		with TLSClient(tport, sc2) as c:
			check(c.fingerprint() == new_fp, "%s: the certificate served changed" % what)
			check(c.call("GET", "/healthz").status == 200, "%s: request after the bad reload" % what)


@test(timeout=40)
def tls_listener_pool_full_closes_newcomers(ctx):
	cert, key = certgen(ctx, "tls")
	mock, gw, tport = tls_gateway(ctx, cert, key, gateway=[("option", "max_tls_connections", "2")])
	sc = tls_context(cert)
	a, b = TLSClient(tport, sc), TLSClient(tport, sc)
	try:
		check(a.call("GET", "/healthz").status == 200 and b.call("GET", "/healthz").status == 200,
			"two TLS connections")
		try:
			c = TLSClient(tport, sc, timeout=5)
			c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			got = c.sock.recv(100)
			check(not got, "a third TLS connection was served with 2 contexts: %r" % got)
		except (ssl.SSLError, ConnectionError, OSError):
			pass	# closed during the handshake: what is wanted
	finally:
		a.close()
		b.close()
	m = Client(gw.port).call("GET", "/metrics").text()
	check('llmgw_connections_refused_total{reason="tls_pool"} 1' in m, "tls_pool refusal not counted:\n%s"
		% "\n".join(l for l in m.splitlines() if "refused" in l))
	# Closed connections give their contexts back.
	deadline = time.monotonic() + 5
	while True:
		try:
			with TLSClient(tport, sc) as c:
				if c.call("GET", "/healthz").status == 200:
					break
		except (ssl.SSLError, ConnectionError, OSError):
			pass
		check(time.monotonic() < deadline, "the pool did not get its contexts back")
		time.sleep(0.1)


def refused(port, source):
	"""Connects from source (an address of 127.0.0.0/8), sends a request:
	True when the server closes without an answer."""
	s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
	try:
		try:
			s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			data = s.recv(4096)
		except ConnectionError:
			return True
		return data == b""
	finally:
		s.close()


def refused_count(port, source):
	s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
	try:
		s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		data = recv_all(s)
	finally:
		s.close()
	m = re.search(rb'llmgw_connections_refused_total\{reason="acl"\} (\d+)', data)
	check(m is not None, "no acl refusal counter in /metrics: %r" % data[:300])
	return int(m.group(1))


@test(timeout=40)
def allow_cidr_closes_other_addresses_at_accept(ctx):
	"""allow_cidr 127.0.0.2/32: a connection from 127.0.0.1 is closed
	without an answer and counted; one from 127.0.0.2 is served. A listen
	section has its own list; without one it takes the gateway's."""
	try:
		probe = socket.create_connection(("127.0.0.1", 9), timeout=1, source_address=("127.0.0.2", 0))
		probe.close()
	except ConnectionRefusedError:
		pass	# 127.0.0.2 is usable as a source
	cert, key = certgen(ctx, "tls")
	mock = ctx.mockprov()
	port, tport, pport = free_port(), free_port(), free_port()
	extra = uci([
		("listen", "tls_lan", [("option", "address", "127.0.0.1:%d" % tport), ("option", "tls_cert", cert),
			("option", "tls_key", key), ("list", "allow_cidr", "127.0.0.1/32"), ("list", "allow_cidr", "fd00::/8")]),
		("listen", "plain_more", [("option", "address", "127.0.0.1:%d" % pport)]),
	])
	conf = ctx.config(port, [("list", "allow_cidr", "127.0.0.2/32"), ("list", "allow_cidr", "192.168.1.0/24")],
		providers=[("mock", mock.url, [])], routes=[("fast", ["mock/mock-1"])], extra="\n" + extra)
	gw = ctx.llmgw(conf, port=pport)	# the last one bound (a refused connect still connects)
	before = refused_count(port, "127.0.0.2")
	check(refused(port, "127.0.0.1"), "a connection from 127.0.0.1 was answered (allow_cidr 127.0.0.2/32)")
	with Client(port) as c:	# harness.Client connects from 127.0.0.1 too
		check(c.closed_by_server(3) and c.buf == b"", "127.0.0.1 got bytes: %r" % c.buf[:100])
	check(not refused(port, "127.0.0.2"), "a connection from 127.0.0.2 was refused")
	s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.2", 0))
	s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		b"Content-Length: 68\r\nConnection: close\r\n\r\n"
		b'{"model":"fast","messages":[{"role":"user","content":"from two"}]}  ')
	data = recv_all(s)
	s.close()
	check(data.startswith(b"HTTP/1.1 200") and reply_for("from two").encode() in data,
		"chat from 127.0.0.2: %r" % data[:300])
	after = refused_count(port, "127.0.0.2")
	check(after == before + 2, "refusals counted: %d before, %d after two refused connections" % (before, after))
	check("peer=127.0.0.1 " not in gw.stderr(), "a refused connection reached the access log")
	# The listen section's own list: 127.0.0.1 is in, 127.0.0.2 out.
	sc = tls_context(cert)
	with TLSClient(tport, sc) as c:
		check(c.call("GET", "/healthz").status == 200, "TLS from 127.0.0.1 (in its allow_cidr)")
	check(refused(tport, "127.0.0.2"), "TLS listener answered 127.0.0.2 (outside its allow_cidr)")
	# A section without allow_cidr takes the gateway's.
	check(refused(pport, "127.0.0.1"), "plain listen section answered 127.0.0.1 (gateway's allow_cidr)")
	check(not refused(pport, "127.0.0.2"), "plain listen section refused 127.0.0.2")


@test(timeout=30)
def listen_config_errors_are_clear(ctx):
	cert, key = certgen(ctx, "tls")
	base = ctx.config(free_port())
	cases = [
		("gateway allow_cidr bad prefix",
			base.replace("config gateway 'main'\n", "config gateway 'main'\n\tlist allow_cidr '10.0.0.0/33'\n"),
			"allow_cidr '10.0.0.0/33': the prefix length after '/' must be 0-32 for IPv4, 0-128 for IPv6"),
		("gateway allow_cidr not an address",
			base.replace("config gateway 'main'\n", "config gateway 'main'\n\tlist allow_cidr 'lan'\n"),
			"allow_cidr 'lan' is not an IPv4 or IPv6 network"),
		("allow_cidr host bits",
			base + "config listen\n\toption address '127.0.0.1:%d'\n\tlist allow_cidr '192.168.1.5/24'\n" % free_port(),
			"listen: allow_cidr '192.168.1.5/24' has address bits set past its prefix length (the network is 192.168.1.0/24)"),
		("listen without address", base + "config listen 'x'\n\toption tls_cert '%s'\n\toption tls_key '%s'\n" % (cert, key),
			"listen 'x': option address is required"),
		("tls_cert without tls_key", base + "config listen\n\toption address ':8443'\n\toption tls_cert '%s'\n" % cert,
			"tls_cert and tls_key go together"),
		("listen address a name", base + "config listen\n\toption address 'router.lan:8443'\n",
			"address 'router.lan:8443' is not ip:port"),
		("key file missing", base + "config listen\n\toption address '127.0.0.1:8443'\n\toption tls_cert '%s'\n"
			"\toption tls_key '%s'\n" % (cert, ctx.path("nope.pem")), "listen '127.0.0.1:8443': cannot open %s" % ctx.path("nope.pem")),
		("key not a key", base + "config listen\n\toption address '127.0.0.1:8443'\n\toption tls_cert '%s'\n"
			"\toption tls_key '%s'\n" % (cert, cert), "no PRIVATE KEY in the file"),
		("unknown listen option", base + "config listen\n\toption address '127.0.0.1:8443'\n\toption tls_crt 'x'\n",
			"did you mean 'tls_cert'"),
	]
	for name, conf, want in cases:
		path = ctx.path("c.conf")
		with open(path, "w") as f:
			f.write(conf)
		rc, out, err = run_cli(ctx, ["-t", "-c", path])
		check(rc == 1 and want in err, "%s: exit %d, want %r in:\n%s" % (name, rc, want, err))
	with open(ctx.path("ok.conf"), "w") as f:
		f.write(base + "config listen\n\toption address '127.0.0.1:8443'\n\toption tls_cert '%s'\n"
			"\toption tls_key '%s'\n\tlist allow_cidr '192.168.1.0/24'\n\tlist allow_cidr 'fd00::/8'\n" % (cert, key))
	rc, out, err = run_cli(ctx, ["-t", "-c", ctx.path("ok.conf")])
	check(rc == 0, "a good listen section: exit %d:\n%s%s" % (rc, out, err))


@test(timeout=30)
def certgen_prints_a_listen_section_that_works(ctx):
	"""The `config listen` lines llmgw certgen prints, pasted into a
	configuration (address moved to a free loopback port), pass llmgw -t."""
	out = ctx.path("tls")
	os.mkdir(out)
	rc, so, se = run_cli(ctx, ["certgen", "--host", "localhost", "--ip", "127.0.0.1", "--out", "tls"])
	check(rc == 0, "certgen exited %d:\n%s%s" % (rc, so, se))
	i = so.find("config listen ")
	check(i >= 0, "no config listen section in certgen's output:\n%s" % so)
	section = so[i:]
	for want in ("\toption address '0.0.0.0:8443'\n", "\toption tls_cert '%s'\n" % os.path.join(out, "llmgw-cert.pem"),
			"\toption tls_key '%s'\n" % os.path.join(out, "llmgw-key.pem")):
		check(want in section, "%r not in:\n%s" % (want, section))
	conf = ctx.config(free_port()) + section.replace("0.0.0.0:8443", "127.0.0.1:%d" % free_port())
	with open(ctx.path("c.conf"), "w") as f:
		f.write(conf)
	rc, o, e = run_cli(ctx, ["-t", "-c", ctx.path("c.conf")])
	check(rc == 0, "certgen's section fails llmgw -t (%d):\n%s%s\n%s" % (rc, o, e, conf))
