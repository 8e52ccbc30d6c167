#!/usr/bin/env python3
"""chromium_render.py - load a page in headless Chromium and return its DOM.

    chromium_render.py URL [--screenshot FILE] [--timeout S] [--expect TEXT]...
    chromium_render.py --selftest TEST_STATUS_BINARY

As a module (for the integration tests of /status):

    import chromium_render
    dom = chromium_render.render("http://127.0.0.1:8080/status", timeout=30,
                                 screenshot="/tmp/status.png")

render() runs Debian's `chromium` with a throwaway profile directory, no
network side-traffic (no sync, component updates, QUIC or background
requests), and a hard timeout; the whole process group is killed by PID if
it overruns. It returns the serialized DOM after load (what --dump-dom
prints), so a test can check what a browser actually built, not the bytes
the server sent. ChromiumMissing is raised when no chromium binary is found
(tests turn that into a SKIP).

--selftest runs the status unit test binary with LLMGW_STATUS_HTML set, so
it writes the page it rendered to a temp file, loads that file:// URL in
Chromium and checks that the browser built the three tables with the
expected rows, that the hostile target name came out as text (no <script>
element), and that a screenshot was written. It prints
"chromium_render: N passed, N failed" like the other suites.
"""

import argparse
import html.parser
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True


class ChromiumMissing(Exception):
	pass


class RenderError(Exception):
	pass


def find_chromium():
	for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
		p = shutil.which(name)
		if p:
			return p
	return None


def _run(argv, timeout):
	"""Runs argv in its own process group; returns (rc, stdout, stderr).
	On timeout the group is killed (by its PID) and RenderError raised."""
	p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			     stdin=subprocess.DEVNULL, start_new_session=True)
	try:
		out, err = p.communicate(timeout=timeout)
	except subprocess.TimeoutExpired:
		try:
			os.killpg(p.pid, signal.SIGKILL)
		except ProcessLookupError:
			pass
		p.communicate()
		raise RenderError("chromium did not finish within %s s" % timeout)
	return p.returncode, out, err


def render(url, timeout=60, screenshot=None, window="412,915", chromium=None):
	"""Loads url in headless Chromium; returns the DOM as text. With
	screenshot, also writes a PNG of the page there (a phone-sized window
	by default, so the test sees the layout a phone gets)."""
	exe = chromium or find_chromium()
	if not exe:
		raise ChromiumMissing("chromium not installed (apt-get install chromium)")
	profile = tempfile.mkdtemp(prefix="llmgw-chromium-")
	try:
		base = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
			"--no-first-run", "--disable-background-networking",
			"--disable-component-update", "--disable-sync",
			"--disable-dev-shm-usage", "--hide-scrollbars",
			"--user-data-dir=" + profile, "--window-size=" + window]
		rc, out, err = _run(base + ["--dump-dom", url], timeout)
		if rc != 0 or not out.strip():
			raise RenderError("chromium --dump-dom exited %d: %s" % (rc, err.decode("utf-8", "replace")[-2000:]))
		if screenshot:
			rc, _, err = _run(base + ["--screenshot=" + os.path.abspath(screenshot), url], timeout)
			if rc != 0 or not os.path.exists(screenshot):
				raise RenderError("chromium --screenshot exited %d: %s" % (rc, err.decode("utf-8", "replace")[-2000:]))
		return out.decode("utf-8", "replace")
	finally:
		shutil.rmtree(profile, ignore_errors=True)


class Dom(html.parser.HTMLParser):
	"""The parts of a serialized DOM the tests look at: tables by id with
	their rows' cell texts, every element's tag, and data-target values."""

	def __init__(self):
		super().__init__(convert_charrefs=True)
		self.tags = []
		self.tables = {}
		self.targets = []
		self._table = None
		self._row = None
		self._cell = None

	def handle_starttag(self, tag, attrs):
		a = dict(attrs)
		self.tags.append(tag)
		if tag == "table":
			self._table = a.get("id", "")
			self.tables[self._table] = []
		elif tag == "tr" and self._table is not None:
			self._row = []
			if "data-target" in a:
				self.targets.append(a["data-target"])
		elif tag in ("td", "th") and self._row is not None:
			self._cell = []

	def handle_endtag(self, tag):
		if tag in ("td", "th") and self._cell is not None:
			self._row.append(" ".join("".join(self._cell).split()))
			self._cell = None
		elif tag == "tr" and self._row is not None:
			self.tables[self._table].append(self._row)
			self._row = None
		elif tag == "table":
			self._table = None

	def handle_data(self, data):
		if self._cell is not None:
			self._cell.append(data)


def parse_dom(text):
	d = Dom()
	d.feed(text)
	d.close()
	return d


def selftest(binary):
	passed = failed = 0

	def check(name, cond, detail=""):
		nonlocal passed, failed
		if cond:
			passed += 1
			print("ok   %s" % name)
		else:
			failed += 1
			print("FAIL %s%s" % (name, ": " + detail if detail else ""))

	tmp = tempfile.mkdtemp(prefix="llmgw-status-page-")
	try:
		page = os.path.join(tmp, "status.html")
		shot = os.path.join(tmp, "status.png")
		env = dict(os.environ, LLMGW_STATUS_HTML=page)
		r = subprocess.run([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
		if r.returncode != 0 or not os.path.exists(page):
			check("render_page", False, "%s exited %d" % (binary, r.returncode))
			return passed, failed
		try:
			dom = render("file://" + page, timeout=90, screenshot=shot)
		except ChromiumMissing as e:
			print("SKIP chromium_render: %s" % e)
			return passed, failed
		except RenderError as e:
			check("chromium_loads_page", False, str(e))
			return passed, failed
		d = parse_dom(dom)
		check("tables_built", all(t in d.tables for t in ("targets", "routes", "clients")), repr(list(d.tables)))
		evil = "local/<script>alert(1)</script>"
		check("target_rows", d.targets == ["oai/gpt-4.1-mini", evil, "oai/gpt-4.1"], repr(d.targets))
		rows = {r[0]: r for r in d.tables.get("targets", [])[1:] if r}
		m = rows.get("oai/gpt-4.1-mini", [])
		check("target_cells", m[1:3] == ["closed", "400 ms"] and m[-1] == "$0.7500", repr(m))
		e = rows.get(evil, [])
		check("hostile_name_is_text", len(e) > 1 and e[1] == "open", repr(e))
		check("no_script_element", "script" not in d.tags, "a <script> element was built")
		check("no_external_assets", not any(t in d.tags for t in ("link", "img", "iframe", "script")))
		clients = [r[0] for r in d.tables.get("clients", [])[1:] if r]
		check("client_rows", clients == ["laptop", "ph<b>&\"'one"], repr(clients))
		routes = [r[0] for r in d.tables.get("routes", [])[1:] if r]
		check("route_rows", routes == ["fast", "big"], repr(routes))
		with open(shot, "rb") as f:
			check("screenshot_png", f.read(8) == b"\x89PNG\r\n\x1a\n")
	finally:
		shutil.rmtree(tmp, ignore_errors=True)
	return passed, failed


def main():
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument("url", nargs="?")
	ap.add_argument("--screenshot")
	ap.add_argument("--timeout", type=float, default=60)
	ap.add_argument("--expect", action="append", default=[], help="text the DOM must contain (repeatable)")
	ap.add_argument("--selftest", metavar="TEST_STATUS_BINARY")
	a = ap.parse_args()
	if a.selftest:
		p, f = selftest(a.selftest)
		print("chromium_render: %d passed, %d failed" % (p, f))
		return 1 if f else 0
	if not a.url:
		ap.error("give a URL or --selftest")
	try:
		dom = render(a.url, timeout=a.timeout, screenshot=a.screenshot)
	except (ChromiumMissing, RenderError) as e:
		print("chromium_render: %s" % e, file=sys.stderr)
		return 2
	sys.stdout.write(dom)
	missing = [t for t in a.expect if t not in dom]
	for t in missing:
		print("chromium_render: DOM lacks %r" % t, file=sys.stderr)
	return 1 if missing else 0


if __name__ == "__main__":
	sys.exit(main())
