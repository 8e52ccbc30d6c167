// main.mjs - runs every SDK test file against one llmgw and prints the
// closing "sdk: N passed, N failed" line.
//
// tests/sdk/run.sh copies tests/sdk/*.mjs next to BUILD/sdk/node_modules
// (so the SDK imports resolve there) and runs this through serve.py, which
// starts the mockprovs + llmgw and passes their addresses in the
// environment (see serve.py). The files run one after the other; a
// watchdog ends the run if something hangs past every per-test limit.
import { env, fail, summary } from "./lib.mjs";

if (!env.baseURL || !env.origin || !env.tlsOrigin || !env.key || !env.mock.oai || !env.mock.ant || !env.mock.gem) {
	console.log("FAIL setup: LLMGW_BASE_URL / LLMGW_ORIGIN / LLMGW_TLS_ORIGIN / LLMGW_KEY / MOCK_URL_* not set (run through serve.py)");
	console.log("sdk: 0 passed, 1 failed");
	process.exit(1);
}

const watchdog = setTimeout(() => {
	fail("watchdog", "the SDK suite ran longer than 55 s (hung requests?); the rest was not run");
	summary();
	process.exit(1);
}, 55000);
watchdog.unref();

await import("./openai.test.mjs");
await import("./matrix.test.mjs");
await import("./tls.test.mjs");
process.exit(summary() ? 1 : 0);
