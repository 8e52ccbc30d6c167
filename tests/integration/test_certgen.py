"""llmgw certgen: the key and self-signed certificate for the TLS listener,
checked with OpenSSL (parsing, extensions, signature, key pair, fingerprint)
and by a real TLS handshake with Python's ssl against openssl s_server."""

import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import time

from harness import TestSkip, check, free_port, test
from test_cli import run_cli


def openssl(*args, inp=None):
	p = subprocess.run(["openssl"] + list(args), capture_output=True, timeout=20, input=inp)
	return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def need_openssl():
	if not shutil.which("openssl"):
		raise TestSkip("openssl not installed")


@test(timeout=40)
def certgen_makes_a_valid_certificate(ctx):
	need_openssl()
	out = ctx.path("tls")
	os.mkdir(out)
	rc, so, se = run_cli(ctx, ["certgen", "--host", "router.lan", "--host", "llmgw.home.arpa",
		"--ip", "192.168.1.1", "--ip", "fd00::1", "--out", out])
	check(rc == 0, "certgen exited %d:\n%s%s" % (rc, so, se))
	cert, key = os.path.join(out, "llmgw-cert.pem"), os.path.join(out, "llmgw-key.pem")
	check(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "key mode %o" % stat.S_IMODE(os.stat(key).st_mode))
	check(stat.S_IMODE(os.stat(cert).st_mode) == 0o644, "cert mode %o" % stat.S_IMODE(os.stat(cert).st_mode))
	check(not [f for f in os.listdir(out) if f.endswith(".tmp")], "temporary files left: %s" % os.listdir(out))

	rc, text, err = openssl("x509", "-in", cert, "-noout", "-text")
	check(rc == 0, "openssl x509 cannot read it: %s" % err)
	for want in ("Version: 3", "ecdsa-with-SHA256", "Subject: CN = router.lan", "Issuer: CN = router.lan",
			"prime256v1", "CA:FALSE", "Digital Signature", "TLS Web Server Authentication",
			"DNS:router.lan", "DNS:llmgw.home.arpa", "IP Address:192.168.1.1", "IP Address:FD00:0:0:0:0:0:0:1",
			"Subject Key Identifier"):
		check(want in text, "%r not in the certificate:\n%s" % (want, text))
	# Valid now, for at most 825 days.
	rc, _, err = openssl("x509", "-in", cert, "-noout", "-checkend", "0")
	check(rc == 0, "certificate not valid now: %s" % err)
	rc, _, _ = openssl("x509", "-in", cert, "-noout", "-checkend", str(826 * 86400))
	check(rc != 0, "certificate valid for more than 825 days")
	# Its own signature checks out, as a trust anchor for itself.
	rc, o, err = openssl("verify", "-CAfile", cert, cert)
	check(rc == 0 and ": OK" in o, "openssl verify: %s %s" % (o, err))
	# The key is the certificate's.
	rc, pub_from_key, err = openssl("pkey", "-in", key, "-pubout")
	check(rc == 0, "openssl pkey cannot read the key: %s" % err)
	rc, pub_from_cert, _ = openssl("x509", "-in", cert, "-noout", "-pubkey")
	check(pub_from_key == pub_from_cert, "key and certificate do not match")
	check("-----BEGIN PRIVATE KEY-----" in open(key).read(), "key is not PKCS#8 PEM")
	# The printed fingerprint is OpenSSL's.
	rc, fp, _ = openssl("x509", "-in", cert, "-noout", "-fingerprint", "-sha256")
	want = fp.strip().split("=", 1)[1]
	check("SHA-256 fingerprint: %s\n" % want in so, "fingerprint %s not printed:\n%s" % (want, so))
	for hint in ("NODE_EXTRA_CA_CERTS=" + cert, "SSL_CERT_FILE=" + cert, "REQUESTS_CA_BUNDLE=" + cert):
		check(hint in so, "%r not in the setup lines:\n%s" % (hint, so))
	check("PRIVATE KEY" not in so + se, "key material printed")


@test(timeout=40)
def certgen_certificate_passes_a_real_handshake(ctx):
	need_openssl()
	out = ctx.path("tls")
	os.mkdir(out)
	rc, so, se = run_cli(ctx, ["certgen", "--host", "router.lan", "--ip", "127.0.0.1", "--out", out])
	check(rc == 0, "certgen exited %d:\n%s%s" % (rc, so, se))
	cert, key = os.path.join(out, "llmgw-cert.pem"), os.path.join(out, "llmgw-key.pem")
	port = free_port()
	srv = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", cert, "-key", key,
		"-www", "-quiet"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
	try:
		deadline = time.monotonic() + 10
		while True:
			try:
				socket.create_connection(("127.0.0.1", port), timeout=1).close()
				break
			except OSError:
				check(time.monotonic() < deadline and srv.poll() is None, "openssl s_server did not start")
				time.sleep(0.1)
		for name in ("router.lan", "127.0.0.1"):
			c = ssl.create_default_context(cafile=cert)	# hostname and chain checked
			with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
				with c.wrap_socket(s, server_hostname=name) as t:
					check(t.version() in ("TLSv1.2", "TLSv1.3"), "handshake as %s: %s" % (name, t.version()))
		# A name the certificate does not carry is refused.
		c = ssl.create_default_context(cafile=cert)
		try:
			with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
				c.wrap_socket(s, server_hostname="other.lan").close()
			check(False, "a name not in the certificate was accepted")
		except ssl.SSLCertVerificationError:
			pass
	finally:
		srv.kill()
		srv.wait()


@test(timeout=30)
def certgen_refuses_bad_input(ctx):
	out = ctx.path("tls")
	os.mkdir(out)
	cases = [
		([], "at least one --host or --ip"),
		(["--host", "bad name"], "'bad name' is not a host name"),
		(["--host", "a..b"], "is not a host name"),
		(["--ip", "300.1.1.1"], "'300.1.1.1' is not an IPv4 or IPv6 address"),
		(["--host", "x.lan", "--days", "900"], "--days '900'"),
		(["--host", "x.lan", "--days", "0"], "--days '0'"),
		(["--host", "-x.lan"], "'-x.lan' is not a host name"),
		(["--host", "x-.lan"], "'x-.lan' is not a host name"),
		(["--frob", "x"], "unknown argument '--frob'"),
		(["--host", "x.lan", "--out", os.path.join(out, "missing", "dir")], "cannot create"),
	]
	for args, want in cases:
		rc, so, se = run_cli(ctx, ["certgen"] + args + (["--out", out] if "--out" not in args else []))
		check(rc != 0, "certgen %s exited 0" % args)
		check(want in se, "certgen %s: %r not in:\n%s" % (args, want, se))
	rc, so, se = run_cli(ctx, ["certgen", "--out", out, "--host"])
	check(rc == 2 and "missing value after '--host'" in se, "a trailing --host: %d %s" % (rc, se))
	check(os.listdir(out) == [], "files left after refusals: %s" % os.listdir(out))

	# Existing files are kept unless --force.
	rc, so, se = run_cli(ctx, ["certgen", "--host", "x.lan", "--out", out])
	check(rc == 0, "certgen exited %d: %s" % (rc, se))
	before = open(os.path.join(out, "llmgw-key.pem")).read()
	rc, so, se = run_cli(ctx, ["certgen", "--host", "x.lan", "--out", out])
	check(rc == 1 and "exists already" in se, "second certgen: %d %s" % (rc, se))
	check(open(os.path.join(out, "llmgw-key.pem")).read() == before, "existing key overwritten")
	rc, so, se = run_cli(ctx, ["certgen", "--host", "x.lan", "--out", out, "--force"])
	check(rc == 0, "certgen --force exited %d: %s" % (rc, se))
	check(open(os.path.join(out, "llmgw-key.pem")).read() != before, "--force kept the old key")
