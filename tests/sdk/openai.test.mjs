// openai.test.mjs - llmgw driven by the official OpenAI Node SDK.
//
// tests/sdk/run.sh copies this next to BUILD/sdk/node_modules and runs it
// through tests/sdk/serve.py, which starts mockprov + llmgw and passes
// LLMGW_BASE_URL (http://127.0.0.1:PORT/v1) and LLMGW_KEY (a client key).
// Prints "ok   name" / "FAIL name: reason" and "sdk: N passed, N failed".
import OpenAI from "openai";

const baseURL = process.env.LLMGW_BASE_URL;
const apiKey = process.env.LLMGW_KEY;
if (!baseURL || !apiKey) {
	console.log("FAIL setup: LLMGW_BASE_URL / LLMGW_KEY not set");
	console.log("sdk: 0 passed, 1 failed");
	process.exit(1);
}

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 15000 });
let passed = 0;
let failed = 0;

function assert(cond, msg) {
	if (!cond) throw new Error(msg);
}

async function test(name, fn) {
	// A hard limit per test: a hung stream must not hang the suite.
	let timer;
	const limit = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error("timed out after 20 s")), 20000);
	});
	try {
		await Promise.race([fn(), limit]);
		passed++;
		console.log(`ok   ${name}`);
	} catch (e) {
		failed++;
		console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split("\n").slice(0, 3).join(" | ") : e}`);
	} finally {
		clearTimeout(timer);
	}
}

await test("sdk_chat", async () => {
	const r = await client.chat.completions.create({
		model: "fast",
		messages: [{ role: "user", content: "hello sdk" }],
	});
	const c = r.choices?.[0]?.message?.content;
	assert(c === "mock reply to: hello sdk", `content ${JSON.stringify(c)}`);
});

await test("sdk_chat_with_response", async () => {
	const { data, response } = await client.chat.completions
		.create({ model: "mock/mock-1", messages: [{ role: "user", content: "headers" }] })
		.withResponse();
	assert(response.status === 200, `status ${response.status}`);
	assert(response.headers.get("x-llmgw-provider") === "mock",
		`x-llmgw-provider ${response.headers.get("x-llmgw-provider")}`);
	assert(data.choices[0].message.content === "mock reply to: headers", "content");
});

await test("sdk_stream", async () => {
	const stream = await client.chat.completions.create({
		model: "fast",
		messages: [{ role: "user", content: "stream sdk" }],
		stream: true,
	});
	let text = "";
	let chunks = 0;
	for await (const chunk of stream) {
		chunks++;
		text += chunk.choices?.[0]?.delta?.content ?? "";
	}
	assert(chunks >= 2, `only ${chunks} chunks`);
	assert(text === "mock reply to: stream sdk", `reassembled ${JSON.stringify(text)}`);
});

await test("sdk_stream_helper", async () => {
	const runner = client.chat.completions.stream({
		model: "fast",
		messages: [{ role: "user", content: "helper" }],
	});
	const done = await runner.finalChatCompletion();
	const c = done.choices?.[0]?.message?.content;
	assert(c === "mock reply to: helper", `final content ${JSON.stringify(c)}`);
});

await test("sdk_rate_limit_error", async () => {
	let err;
	try {
		await client.chat.completions.create({
			model: "mock/fault:status=429,retry_after=7",
			messages: [{ role: "user", content: "x" }],
		});
	} catch (e) {
		err = e;
	}
	assert(err, "no error thrown for an upstream 429");
	assert(err instanceof OpenAI.RateLimitError, `got ${err?.constructor?.name} (status ${err?.status}), want RateLimitError`);
	assert(err.status === 429, `status ${err.status}`);
	const ra = err.headers?.get ? err.headers.get("retry-after") : err.headers?.["retry-after"];
	assert(ra === "7", `retry-after ${ra}`);
});

await test("sdk_auth_error", async () => {
	const bad = new OpenAI({ baseURL, apiKey: "not-a-valid-key", maxRetries: 0 });
	let err;
	try {
		await bad.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "x" }] });
	} catch (e) {
		err = e;
	}
	assert(err instanceof OpenAI.AuthenticationError, `got ${err?.constructor?.name} (status ${err?.status})`);
	assert(err.code === "invalid_api_key", `code ${err.code}`);
});

await test("sdk_not_found_error", async () => {
	let err;
	try {
		await client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] });
	} catch (e) {
		err = e;
	}
	assert(err instanceof OpenAI.NotFoundError, `got ${err?.constructor?.name} (status ${err?.status})`);
	assert(err.code === "model_not_found", `code ${err.code}`);
});

await test("sdk_models_list", async () => {
	const ids = [];
	for await (const m of client.models.list()) ids.push(m.id);
	assert(ids.includes("fast") && ids.includes("mock/mock-1"), `ids ${JSON.stringify(ids)}`);
});

console.log(`sdk: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
