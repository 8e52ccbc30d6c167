"""test_hardening.py - what protects the keys in a running llmgw: no core
dumps (and no same-user ptrace or /proc/PID/mem).

Under `make check TOOLCHAIN=...` the process the tests see is qemu's;
PR_SET_DUMPABLE reaches it (qemu passes the call on)."""

import os
import time

from harness import test, check, chat, free_port, wait_listening, Proc


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
