// openai.test.mjs - llmgw driven by the official OpenAI Node SDK, same
// dialect: provider 'mock' (openai-compatible) and route 'fast'.
//
// Imported by main.mjs (see there and serve.py for the set-up); the
// cross-dialect tests are in matrix.test.mjs.
import OpenAI from "openai";
import { env, test, assert } from "./lib.mjs";

const baseURL = env.baseURL;
const apiKey = env.key;
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 15000 });

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
