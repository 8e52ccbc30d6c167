"""test_hardening.py - what protects the keys in a running llmgw: no core
dumps (and no same-user ptrace or /proc/PID/mem) and the seccomp filter,
through start-up, requests and a SIGHUP reload.

Under `make check TOOLCHAIN=...` llmgw runs in qemu-user, which refuses a
guest's seccomp filter: there the test checks the documented answer (a
warning, then llmgw serves unfiltered). The process the tests see is then
qemu's; PR_SET_DUMPABLE reaches it (qemu passes the call on)."""

import os
import signal
import subprocess
import time

from harness import test, check, chat, free_port, wait_listening, Proc, TestSkip


def emulated(ctx):
	"""True when llmgw runs under qemu-user: the binary is the wrapper
	script of `make check TOOLCHAIN=...` and names a qemu (x86_64's runs
	the binary natively)."""
	with open(ctx.binary("llmgw"), "rb") as f:
		head = f.read(4096)
	return head.startswith(b"#!") and b"qemu-" in head


def built_without(ctx, switch):
	out = subprocess.run([ctx.binary("llmgw"), "-V"], capture_output=True, timeout=30).stdout.decode()
	return ("LLMGW_%s=0" % switch) in out


def proc_status(pid):
	out = {}
	with open("/proc/%d/status" % pid) as f:
		for line in f:
			k, _, v = line.partition(":")
			out[k] = v.strip()
	return out


def wait_log(proc, text, secs=10):
	deadline = time.monotonic() + secs
	while time.monotonic() < deadline:
		if text in proc.stderr():
			return True
		time.sleep(0.05)
	return False


@test(timeout=30)
def not_dumpable_as_unprivileged_user(ctx):
	"""Started as an ordinary user (procd's `user llmgw`: no privilege drop
	of its own, so nothing resets the flag), llmgw turns core dumps off:
	its /proc/PID files then belong to root instead of its own user, so
	that user's other processes cannot read its memory or environment."""
	mock = ctx.mockprov()
	port = free_port()
	if os.geteuid() == 0:
		uid = 65534		# nobody; root runs it there through setpriv
		os.chmod(ctx.dir, 0o755)
		state = ctx.path("state")
		os.mkdir(state)
		os.chown(state, uid, uid)
		prefix = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups"]
	else:
		uid, state, prefix = os.geteuid(), ctx.dir, []
	conf = ctx.config(port, [("option", "state_dir", state)],
		providers=[("mock", mock.url, [("list", "model", "mock-1")])], routes=[("fast", ["mock/mock-1"])])
	cpath = ctx.path("llmgw.conf")
	with open(cpath, "w") as f:
		f.write(conf)
	os.chmod(cpath, 0o644)
	gw = Proc(ctx, "llmgw", prefix + [ctx.binary("llmgw"), "-c", cpath], env={"MOCK_KEY": ctx.secret},
		check_exit=True)
	wait_listening(port, time.monotonic() + 10, gw)
	r = chat(port, "fast")
	check(r.status == 200, "chat: %s" % r.describe())
	st = proc_status(gw.pid)
	check(st.get("Uid", "").split()[:1] == [str(uid)], "llmgw runs as %r, want uid %d" % (st.get("Uid"), uid))
	owner = os.stat("/proc/%d/status" % gw.pid).st_uid
	check(owner == 0, "/proc/%d belongs to uid %d, not root: llmgw is dumpable" % (gw.pid, owner))


@test(timeout=40)
def seccomp_filter_through_requests_and_reload(ctx):
	"""Natively: the filter is installed after start-up (Seccomp: 2 in
	/proc/PID/status) and llmgw keeps serving under it, streams too, across
	a SIGHUP reload that reads a key_file and brings a new route, with
	usage totals flushed at exit. Under qemu-user: a warning says the
	filter is unavailable and llmgw serves all the same."""
	if built_without(ctx, "SECCOMP"):
		raise TestSkip("built with LLMGW_SECCOMP=0")
	mock, gw = ctx.standard()
	r = chat(gw.port, "fast", "one")
	check(r.status == 200, "chat: %s" % r.describe())
	if emulated(ctx):
		check("seccomp: not supported by this kernel or emulator" in gw.stderr() and
			"running without the system call filter" in gw.stderr(),
			"no warning that the filter is unavailable:\n%s" % gw.tail())
	else:
		check("seccomp: system call filter installed" in gw.stderr(), "no log line for the filter:\n%s" % gw.tail())
		check(proc_status(gw.pid).get("Seccomp") == "2", "Seccomp: %r in /proc/%d/status, want 2"
			% (proc_status(gw.pid).get("Seccomp"), gw.pid))
	r = chat(gw.port, "fast", "streamed", stream=True)
	check(r.status == 200 and r.complete, "stream: %s" % r.describe())
	kpath = ctx.path("mock.key")
	with open(kpath, "w") as f:
		f.write(ctx.secret + "\n")
	conf = open(gw.conf_path).read().replace("option key_env 'MOCK_KEY'", "option key_file '%s'" % kpath)
	conf += "\nconfig route 'later'\n\tlist target 'mock/mock-1'\n"
	with open(gw.conf_path, "w") as f:
		f.write(conf)
	gw.signal(signal.SIGHUP)
	check(wait_log(gw, "configuration reloaded"), "no reload:\n%s" % gw.tail())
	r = chat(gw.port, "later", "after the reload")
	check(r.status == 200, "chat on the reloaded route: %s" % r.describe())
	gw.stop()
	check(gw.exit_code == 0, "llmgw exited %r:\n%s" % (gw.exit_code, gw.tail()))
	check("is not allowed" not in gw.stderr(), "a system call was refused:\n%s" % gw.tail())
	check(os.path.exists(ctx.path("usage.state")), "usage totals were not saved at exit")
