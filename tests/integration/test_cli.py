"""CLI: llmgw -t (config check) and llmgw keygen."""

import base64
import hashlib
import re
import subprocess

from harness import SAN_ENV, check, free_port, sanitizer_in, test
import os


def run_cli(ctx, args, timeout=15):
	env = dict(os.environ)
	env.update(SAN_ENV)
	env["MOCK_KEY"] = ctx.secret
	p = subprocess.run([ctx.binary("llmgw")] + args, capture_output=True, timeout=timeout,
		env=env, cwd=ctx.dir)
	out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
	m = sanitizer_in(err)
	check(m is None, "sanitizer report (%s) from llmgw %s:\n%s" % (m, " ".join(args), err[-2000:]))
	return p.returncode, out, err


@test(timeout=20)
def config_check_good(ctx):
	conf = ctx.config(free_port(),
		gateway=[("option", "max_connections", "64"), ("option", "header_timeout", "5s")],
		providers=[("mock", "http://127.0.0.1:9", [("list", "model", "mock-1")])],
		routes=[("fast", ["mock/mock-1"])],
		clients=[("tablet", "some-client-key", ["fast"])])
	path = ctx.path("good.conf")
	with open(path, "w") as f:
		f.write(conf)
	rc, out, err = run_cli(ctx, ["-t", "-c", path])
	check(rc == 0, "llmgw -t on a good config exited %d:\n%s%s" % (rc, out, err))


@test(timeout=20)
def config_check_bad(ctx):
	# Two independent errors on known lines: both must be reported (the
	# loader does not stop at the first), each as FILE:LINE: message.
	text = (
		"config gateway 'main'\n"			# 1
		"\toption listen '127.0.0.1:%d'\n"		# 2
		"\toption no_such_option 'x'\n"			# 3
		"\n"						# 4
		"config provider 'p'\n"				# 5
		"\toption type 'no-such-type'\n"		# 6
		"\toption base_url 'http://127.0.0.1:9'\n"	# 7
	) % free_port()
	path = ctx.path("bad.conf")
	with open(path, "w") as f:
		f.write(text)
	rc, out, err = run_cli(ctx, ["-t", "-c", path])
	check(rc == 1, "llmgw -t on a bad config exited %d, want 1:\n%s" % (rc, err))
	check("%s:3:" % path in err, "no '%s:3:' error in:\n%s" % (path, err))
	check("%s:6:" % path in err, "no '%s:6:' error in:\n%s" % (path, err))

	# A syntax error (unterminated quote) is reported with its line too.
	path2 = ctx.path("bad2.conf")
	with open(path2, "w") as f:
		f.write("config gateway 'main'\n\toption listen '127.0.0.1:1\n")
	rc, out, err = run_cli(ctx, ["-t", "-c", path2])
	check(rc == 1, "unterminated quote: exit %d, want 1:\n%s" % (rc, err))
	check("%s:2:" % path2 in err, "unterminated quote: no '%s:2:' in:\n%s" % (path2, err))

	# A missing file is an error too, not a silent default.
	rc, out, err = run_cli(ctx, ["-t", "-c", ctx.path("missing.conf")])
	check(rc == 1, "missing file: exit %d, want 1" % rc)
	check("missing.conf" in err, "missing file: error does not name the file:\n%s" % err)


@test(timeout=20)
def keygen(ctx):
	keys = set()
	for _ in range(2):
		rc, out, err = run_cli(ctx, ["keygen"])
		check(rc == 0, "keygen exited %d: %s" % (rc, err))
		lines = out.splitlines()
		check(len(lines) == 2, "keygen printed %d lines, want 2: %r" % (len(lines), out))
		m1 = re.fullmatch(r"key: (llmgw-[A-Za-z0-9_-]{43})", lines[0])
		check(m1, "first line %r is not 'key: llmgw-<43 base64url>'" % lines[0])
		m2 = re.fullmatch(r"option key_sha256 '([0-9a-f]{64})'", lines[1])
		check(m2, "second line %r is not \"option key_sha256 '<64 hex>'\"" % lines[1])
		key = m1.group(1)
		# 43 base64url chars: 32 random bytes without padding.
		raw = base64.urlsafe_b64decode(key[6:] + "=")
		check(len(raw) == 32, "key decodes to %d bytes, want 32" % len(raw))
		want = hashlib.sha256(key.encode()).hexdigest()
		check(m2.group(1) == want, "printed hash %s is not sha256(key) %s" % (m2.group(1), want))
		keys.add(key)
	check(len(keys) == 2, "two keygen runs printed the same key")


@test(timeout=20)
def help_and_version(ctx):
	rc, out, err = run_cli(ctx, ["-V"])
	check(rc == 0, "llmgw -V exited %d: %s" % (rc, err))
	check(re.search(r"llmgw\S* \S*\d", out + err), "llmgw -V printed no version: %r" % (out + err))
	rc, out, err = run_cli(ctx, ["-h"])
	check(rc == 0, "llmgw -h exited %d: %s" % (rc, err))
	text = out + err
	for w in ("-c", "-t", "keygen"):
		check(w in text, "llmgw -h does not mention %s: %r" % (w, text[:500]))
	rc, out, err = run_cli(ctx, ["--no-such-flag"])
	check(rc != 0, "an unknown flag exited 0")
