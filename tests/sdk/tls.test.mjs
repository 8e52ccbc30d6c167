// tls.test.mjs - the three official SDKs over llmgw's TLS listener.
//
// serve.py adds a `config listen` section with TLS on LLMGW_TLS_ORIGIN
// (https://127.0.0.1:PORT), its certificate made by
// `llmgw certgen --host localhost --ip 127.0.0.1`, and starts node with
// NODE_EXTRA_CA_CERTS pointing at that certificate: the one line of setup
// certgen prints for Node. Nothing else changes for the SDKs but the base
// URL. Each client speaks to the provider of its own dialect and to one of
// another (translated), plain and streamed; the answers are mockprov's
// ("mock reply to: " + the last user text).
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import { env, test, assert, show } from "./lib.mjs";

const origin = env.tlsOrigin;
const LIMIT_MS = 8000;
const openai = new OpenAI({ baseURL: `${origin}/v1`, apiKey: env.key, maxRetries: 0, timeout: 10000 });
const anthropic = new Anthropic({ baseURL: origin, apiKey: env.key, maxRetries: 0, timeout: 10000 });
const genai = new GoogleGenAI({
	vertexai: false,
	apiKey: env.key,
	httpOptions: { baseUrl: origin, apiVersion: "v1beta", retryOptions: { attempts: 1 } },
});

const want = (msg) => `mock reply to: ${msg}`;

const chat = {
	async openai(p, msg, signal) {
		const r = await openai.chat.completions.create({
			model: `${p}/mock-1`, messages: [{ role: "user", content: msg }],
		}, { signal });
		return r.choices?.[0]?.message?.content;
	},
	async anthropic(p, msg, signal) {
		const r = await anthropic.messages.create({
			model: `${p}/mock-1`, max_tokens: 256, messages: [{ role: "user", content: msg }],
		}, { signal });
		return r.content?.map((b) => b.text ?? "").join("");
	},
	async gemini(p, msg, signal) {
		const r = await genai.models.generateContent({ model: `${p}/mock-1`, contents: msg, config: { abortSignal: signal } });
		return r.text;
	},
};

const stream = {
	async openai(p, msg, signal) {
		const s = await openai.chat.completions.create({
			model: `${p}/mock-1`, messages: [{ role: "user", content: msg }], stream: true,
		}, { signal });
		let text = "";
		for await (const chunk of s) text += chunk.choices?.[0]?.delta?.content ?? "";
		return text;
	},
	async anthropic(p, msg, signal) {
		const s = await anthropic.messages.create({
			model: `${p}/mock-1`, max_tokens: 256, messages: [{ role: "user", content: msg }], stream: true,
		}, { signal });
		let text = "";
		for await (const e of s)
			if (e.type === "content_block_delta" && e.delta?.type === "text_delta") text += e.delta.text;
		return text;
	},
	async gemini(p, msg, signal) {
		const s = await genai.models.generateContentStream({ model: `${p}/mock-1`, contents: msg, config: { abortSignal: signal } });
		let text = "";
		for await (const chunk of s) text += chunk.text ?? "";
		return text;
	},
};

// Each client to its own dialect's provider and to another one.
const pairs = [["openai", "oai"], ["openai", "ant"], ["anthropic", "ant"], ["anthropic", "gem"],
	["gemini", "gem"], ["gemini", "oai"]];
for (const [client, p] of pairs) {
	for (const [kind, fn] of [["chat", chat], ["stream", stream]]) {
		await test(`sdk_tls_${client}_to_${p}_${kind}`, async (signal) => {
			const msg = `over tls ${client} ${p} ${kind}`;
			const got = await fn[client](p, msg, signal);
			assert(got === want(msg), `got ${show(got)}, want ${show(want(msg))}`);
		}, LIMIT_MS);
	}
}

// Without the certificate trusted, Node refuses the connection: the tests
// above pass because of NODE_EXTRA_CA_CERTS, not despite TLS.
await test("sdk_tls_untrusted_refused", async () => {
	const { spawnSync } = await import("node:child_process");
	const e = { ...process.env };
	delete e.NODE_EXTRA_CA_CERTS;
	const code = `fetch(${JSON.stringify(origin + "/healthz")}).then(() => process.exit(0), ` +
		`(e) => { console.log(e?.cause?.code ?? e?.message); process.exit(3); })`;
	const r = spawnSync(process.execPath, ["-e", code], { env: e, timeout: 6000, encoding: "utf8" });
	assert(r.status === 3, `fetch without the CA: exit ${r.status} ${show(r.stdout)} ${show(r.stderr)}`);
	assert(/SELF_SIGNED|CERT|certificate/i.test(r.stdout), `not a certificate error: ${show(r.stdout)}`);
}, LIMIT_MS);
