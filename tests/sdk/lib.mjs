// lib.mjs - the tiny test runner shared by the SDK tests.
//
// test(name, fn) runs fn(signal) under a hard time limit; when the limit
// passes, signal aborts (every test hands it to its SDK call, so a hung
// request or stream is torn down) and the test fails. Prints
// "ok   name" / "FAIL name: reason"; summary() prints the closing
// "sdk: N passed, N failed" line that serve.py looks for.
import { isDeepStrictEqual, inspect } from "node:util";

export const env = {
	baseURL: process.env.LLMGW_BASE_URL,	// http://127.0.0.1:PORT/v1
	origin: process.env.LLMGW_ORIGIN,	// http://127.0.0.1:PORT
	key: process.env.LLMGW_KEY,
	tlsOrigin: process.env.LLMGW_TLS_ORIGIN,	// https://127.0.0.1:PORT (the TLS listener)
	mock: {
		oai: process.env.MOCK_URL_OAI,
		ant: process.env.MOCK_URL_ANT,
		gem: process.env.MOCK_URL_GEM,
	},
};

let passed = 0;
let failed = 0;

export class TestFailure extends Error {}

export function assert(cond, msg) {
	if (!cond) throw new TestFailure(msg);
}

export function assertEq(got, want, what) {
	if (!isDeepStrictEqual(got, want))
		throw new TestFailure(`${what}: got ${show(got)}, want ${show(want)}`);
}

export function show(v) {
	return inspect(v, { depth: 6, compact: true, breakLength: Infinity, maxStringLength: 300 });
}

function describe(e) {
	if (e instanceof TestFailure) return e.message;
	// An SDK error: its class, status and body say most.
	let s = `${e?.constructor?.name ?? typeof e}`;
	if (e?.status !== undefined) s += ` (status ${e.status})`;
	s += `: ${e?.message ?? e}`;
	if (e?.cause) s += ` [cause: ${e.cause?.code ?? ""} ${e.cause?.message ?? e.cause}]`;
	const where = e?.stack?.split("\n").slice(1, 3).map((l) => l.trim()).join(" | ");
	if (where) s += ` | ${where}`;
	return s.replace(/\s*\n\s*/g, " ");
}

export async function test(name, fn, limitMs = 8000) {
	const ac = new AbortController();
	let timer;
	const limit = new Promise((_, reject) => {
		timer = setTimeout(() => {
			reject(new TestFailure(`timed out after ${limitMs / 1000} s`));
			ac.abort();
		}, limitMs);
	});
	const run = (async () => fn(ac.signal))();
	run.catch(() => {});	// a late rejection after the time limit is not unhandled
	try {
		await Promise.race([run, limit]);
		passed++;
		console.log(`ok   ${name}`);
	} catch (e) {
		failed++;
		console.log(`FAIL ${name}: ${describe(e)}`);
	} finally {
		clearTimeout(timer);
		ac.abort();	// drop whatever the test left open
	}
}

// A failure found outside test() (the watchdog in main.mjs).
export function fail(name, reason) {
	failed++;
	console.log(`FAIL ${name}: ${reason}`);
}

export function summary() {
	console.log(`sdk: ${passed} passed, ${failed} failed`);
	return failed;
}
