// matrix.test.mjs - every official client SDK against every provider dialect.
//
// Clients: openai (chat.completions at LLMGW_BASE_URL), @anthropic-ai/sdk
// (messages at LLMGW_ORIGIN) and @google/genai (generateContent at
// LLMGW_ORIGIN, apiVersion v1beta), all with SDK retries off. Providers:
// 'oai' (openai-compatible), 'ant' (anthropic) and 'gem' (gemini), each its
// own mockprov (serve.py). Each of the 9 pairs runs these cases, named
// sdk_<client>_to_<provider>_<case>:
//   passthrough         (same dialect only) the body goes through as sent,
//                       unknown fields included, only the model renamed
//   chat                plain call with a system prompt; text, finish, usage
//   stream              streamed text, one finish, usage at the end
//   history             multi-turn + max tokens, stop sequences, temperature
//   image               text + base64 PNG
//   usage, stream_usage exact token counts with cached tokens counted once
//   stream_error_event  provider error event mid-stream: the SDK raises
//   stream_truncated    provider closes mid-stream: the SDK still raises
//   tools               tool call, result sent back, "tool said: ..."
//   two_results         two calls in one turn, both results sent back
//   tool_choice         a forced tool and "none" in the provider's form
//   count_tokens        (Anthropic client) answered or a clear error
//   errors              upstream 400/401/403/404/overload -> the SDK's own
//                       error class, the provider's message and request id
//   stream_rate_limit   the same for a stream refused before its first byte
//   rate_limit          upstream 429 -> the SDK's own rate-limit error
//   two_calls           two calls in one streamed turn, reassembled by the
//                       SDK's stream helpers (ids, names, arguments), then
//                       both results sent back, the answer streamed
// Besides what the SDK sees, each case reads the provider mockprov's
// GET /mock/last and checks what llmgw sent upstream: the provider's path
// (so a request sent in the wrong dialect cannot pass), no client key
// forwarded, the system prompt, turns, images, parameters, tools and tool
// results where that provider's API wants them, with matching ids.
//
// The three providers run in parallel (each has its own mockprov, so
// /mock/last belongs to the case that just ran); within a provider the
// cases run one after the other.
//
// mockprov behaviour relied on (tools/mockprov.c header): the reply is
// "mock reply to: " + the last user text; a tool result as the last turn
// gives "tool said: " + the result (a Gemini functionResponse as compact
// JSON); tools present and the last turn the user's: a call to the first
// tool with {"city":"Paris"}; first tool named "two_calls": two calls in
// one turn, the second to the second tool with {"city":"Rome"}; prompt
// tokens = max(1, body bytes / 4), completion tokens = words; fault:SPEC
// models (status=, retry_after=, cached=, error_event_after=,
// truncate_after=). mockprov validates Anthropic and Gemini requests like
// the real APIs (unknown fields, roles, tool_result pairing, auth header).
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI, ApiError, Type, FunctionCallingConfigMode } from "@google/genai";
import { env, test, assert, assertEq, show, TestFailure } from "./lib.mjs";

const PROVIDERS = ["oai", "ant", "gem"];
const CLIENTS = ["openai", "anthropic", "gemini"];
const SYSTEM = "answer briefly";
const TOOL_RESULT = "sunny, 21C";
const LIMIT_MS = 6000;
// mockprov's answer to a first tool named "two_calls": two calls in one turn.
// The first to the first tool, the second to the second tool.
const TWO_CALLS = [["two_calls", { city: "Paris" }], ["get_weather", { city: "Rome" }]];

const openai = new OpenAI({ baseURL: env.baseURL, apiKey: env.key, maxRetries: 0, timeout: 10000 });
const anthropic = new Anthropic({ baseURL: env.origin, apiKey: env.key, maxRetries: 0, timeout: 10000 });
const genai = new GoogleGenAI({
	vertexai: false,
	apiKey: env.key,
	httpOptions: { baseUrl: env.origin, apiVersion: "v1beta", retryOptions: { attempts: 1 } },
});

// Clients that also record the request they sent last: {headers, body}.
// The three providers' cases run in parallel, so each of these is used by
// one provider's cases only (passthrough), except that every Anthropic chat
// case reads the anthropic-version header, which is the same on every
// request of the SDK.
const sent = { openai: null, anthropic: null, anthropicPass: null, gemini: null };
const recorder = (who) => (url, init) => {
	sent[who] = {
		headers: new Headers(init?.headers),
		body: typeof init?.body === "string" ? JSON.parse(init.body) : null,
	};
	return fetch(url, init);
};
const openaiRec = new OpenAI({ baseURL: env.baseURL, apiKey: env.key, maxRetries: 0, timeout: 10000, fetch: recorder("openai") });
const anthropicRec = new Anthropic({ baseURL: env.origin, apiKey: env.key, maxRetries: 0, timeout: 10000, fetch: recorder("anthropic") });
const anthropicPass = new Anthropic({ baseURL: env.origin, apiKey: env.key, maxRetries: 0, timeout: 10000, fetch: recorder("anthropicPass") });
const genaiRec = new GoogleGenAI({
	vertexai: false,
	apiKey: env.key,
	httpOptions: { baseUrl: env.origin, apiVersion: "v1beta", retryOptions: { attempts: 1 }, fetch: recorder("gemini") },
});

// Same dialect: the body goes through as sent, only the model renamed
// (fields llmgw does not know included).
async function checkPassthrough(p, client) {
	const u = await upstream(p);
	const want = structuredClone(sent[client]?.body);
	assert(want, "the SDK's request body was not recorded (test set-up)");
	if (p !== "gem") want.model = "mock-1";
	assertEq(u.body, want, "upstream body (same dialect: passed through, only the model renamed)");
}

// ---------------------------------------------------------------- upstream view

async function mockLast(p) {
	const r = await fetch(`${env.mock[p]}/mock/last`);
	assert(r.status === 200, `mockprov_${p} /mock/last: status ${r.status} (no request reached the provider?)`);
	const j = await r.json();
	let body = j.body;
	if (typeof body === "string") {
		assert(!j.truncated, `mockprov_${p} /mock/last body truncated`);
		try {
			body = JSON.parse(body);
		} catch (e) {
			throw new Error(`upstream body is not JSON: ${show(j.body)}`);
		}
	}
	// {"name": "value"}, lowercased (mockprov's documented form; anything
	// else would quietly void the header checks).
	const h = j.headers;
	assert(h && typeof h === "object" && !Array.isArray(h), `/mock/last headers ${show(h)}`);
	const headers = {};
	for (const [k, v] of Object.entries(h)) headers[k.toLowerCase()] = String(v);
	return { method: j.method, target: j.target, headers, body, bodyLen: j.body_len };
}

// What llmgw must have sent to provider p: the provider's own path and
// model, the stream flag in that API's form, and never the client's key.
async function upstream(p, { model = "mock-1", stream = false } = {}) {
	const u = await mockLast(p);
	assert(u.method === "POST", `upstream method ${u.method}`);
	if (p === "oai") {
		assertEq(u.target, "/v1/chat/completions", "upstream path");
		assertEq(u.body?.model, model, "upstream body.model");
		assertEq(u.body?.stream === true, stream, "upstream body.stream");
	} else if (p === "ant") {
		assertEq(u.target, "/v1/messages", "upstream path");
		assertEq(u.body?.model, model, "upstream body.model");
		assertEq(u.body?.stream === true, stream, "upstream body.stream");
		assert(Number.isInteger(u.body?.max_tokens) && u.body.max_tokens > 0,
			`upstream max_tokens ${show(u.body?.max_tokens)} (required by the Messages API)`);
		for (const m of u.body?.messages ?? [])
			assert(m.role === "user" || m.role === "assistant", `upstream message role ${show(m.role)}`);
	} else {
		const want = stream ? [`/v1beta/models/${model}:streamGenerateContent?alt=sse`,
			`/v1beta/models/${model}:streamGenerateContent`] : [`/v1beta/models/${model}:generateContent`];
		assert(want.includes(u.target), `upstream path ${show(u.target)}, want ${want.join(" or ")}`);
		assert(!("model" in (u.body ?? {})), "upstream Gemini body carries a model field");
	}
	for (const [k, v] of Object.entries(u.headers))
		assert(!v.includes(env.key), `the client key was forwarded upstream in ${k}`);
	return u;
}

function upstreamSystem(p, body) {
	if (p === "oai") {
		const s = (body.messages ?? []).filter((m) => m.role === "system" || m.role === "developer");
		return s.map((m) => typeof m.content === "string" ? m.content : m.content.map((c) => c.text).join("")).join("");
	}
	if (p === "ant")
		return typeof body.system === "string" ? body.system : (body.system ?? []).map((b) => b.text).join("");
	return ((body.systemInstruction ?? body.system_instruction)?.parts ?? []).map((x) => x.text).join("");
}

// The tools as the provider's API declares them: [{name, schema}].
function upstreamTools(p, body) {
	if (p === "oai")
		return (body.tools ?? []).map((t) => ({ type: t.type, name: t.function?.name, schema: t.function?.parameters }));
	if (p === "ant")
		return (body.tools ?? []).map((t) => ({ name: t.name, schema: t.input_schema }));
	// Gemini takes its field names in camelCase or snake_case.
	return (body.tools ?? []).flatMap((t) => t.functionDeclarations ?? t.function_declarations ?? [])
		.map((d) => ({ name: d.name, schema: d.parameters ?? d.parametersJsonSchema ?? d.parameters_json_schema }));
}

function checkUpstreamTools(p, body, names) {
	const tools = upstreamTools(p, body);
	assertEq(tools.map((t) => t.name), names, "upstream tool names");
	for (const t of tools) {
		if (p === "oai") assertEq(t.type, "function", "upstream tools[].type");
		const s = t.schema;
		assert(s && typeof s === "object", `upstream tool ${t.name} has no schema: ${show(s)}`);
		// OpenAI and Anthropic take JSON Schema (lower-case types; a
		// Gemini client's "OBJECT" must be translated); Gemini takes both.
		const ty = (x) => p === "gem" ? String(x).toLowerCase() : x;
		assertEq(ty(s.type), "object", `upstream tool ${t.name} schema type`);
		assertEq(ty(s.properties?.city?.type), "string", `upstream tool ${t.name} schema properties.city.type`);
	}
}

// tool_choice in the provider's form: want is "none" or the one tool the
// model must call. For "none", dropping the tools altogether is as good.
function checkUpstreamToolChoice(p, body, want) {
	const noTools = upstreamTools(p, body).length === 0;
	if (p === "oai") {
		if (want === "none") assert(body.tool_choice === "none" || noTools, `upstream tool_choice ${show(body.tool_choice)}`);
		else assertEq(body.tool_choice, { type: "function", function: { name: want } }, "upstream tool_choice");
	} else if (p === "ant") {
		if (want === "none") assert(body.tool_choice?.type === "none" || noTools, `upstream tool_choice ${show(body.tool_choice)}`);
		else assertEq(body.tool_choice, { type: "tool", name: want }, "upstream tool_choice");
	} else {
		const fc = (body.toolConfig ?? body.tool_config)?.functionCallingConfig ??
			(body.toolConfig ?? body.tool_config)?.function_calling_config;
		if (want === "none") assert(fc?.mode === "NONE" || noTools, `upstream toolConfig ${show(body.toolConfig ?? body.tool_config)}`);
		else assertEq([fc?.mode, fc?.allowedFunctionNames ?? fc?.allowed_function_names], ["ANY", [want]], "upstream functionCallingConfig [mode, allowedFunctionNames]");
	}
}

// Tool calls and tool results in the upstream history, whatever the
// dialect: {calls: [{id, name, args}], results: [{id, name, text}]}.
function upstreamToolTurns(p, body) {
	const calls = [];
	const results = [];
	const text = (c) => typeof c === "string" ? c : JSON.stringify(c);
	if (p === "oai") {
		for (const m of body.messages ?? []) {
			for (const tc of m.tool_calls ?? []) {
				let args;
				try {
					args = JSON.parse(tc.function?.arguments);
				} catch (e) {
					throw new Error(`upstream tool_calls[].function.arguments is not a JSON string: ${show(tc.function?.arguments)}`);
				}
				assertEq(tc.type, "function", "upstream tool_calls[].type");
				calls.push({ role: m.role, id: tc.id, name: tc.function?.name, args });
			}
			if (m.role === "tool") results.push({ id: m.tool_call_id, text: text(m.content) });
		}
	} else if (p === "ant") {
		for (const m of body.messages ?? []) {
			if (typeof m.content === "string") continue;
			for (const b of m.content ?? []) {
				if (b.type === "tool_use") calls.push({ role: m.role, id: b.id, name: b.name, args: b.input });
				if (b.type === "tool_result") {
					assertEq(m.role, "user", "role of the upstream turn holding tool_result");
					results.push({ id: b.tool_use_id, text: text(b.content) });
				}
			}
		}
	} else {
		for (const c of body.contents ?? []) {
			for (const part of c.parts ?? []) {
				const fc = part.functionCall ?? part.function_call;
				const fr = part.functionResponse ?? part.function_response;
				if (fc) calls.push({ role: c.role, id: fc.id, name: fc.name, args: fc.args });
				if (fr) {
					const r = fr.response;
					assert(r && typeof r === "object" && !Array.isArray(r),
						`upstream functionResponse.response must be an object: ${show(r)}`);
					results.push({ id: fr.id, name: fr.name, text: text(r) });
				}
			}
		}
	}
	return { calls, results };
}

// After a tool round trip: one call to get_weather({"city":"Paris"}) by the
// assistant, then its result, tied to it the way the provider's API ties
// them (the id for OpenAI and Anthropic, the function name for Gemini).
function checkUpstreamRoundTrip(p, body) {
	const { calls, results } = upstreamToolTurns(p, body);
	assertEq(calls.length, 1, `upstream tool calls (${show(calls)})`);
	assertEq(calls[0].role, p === "gem" ? "model" : "assistant", "upstream role of the tool-calling turn");
	assertEq(calls[0].name, "get_weather", "upstream tool call name");
	assertEq(calls[0].args, { city: "Paris" }, "upstream tool call arguments");
	assertEq(results.length, 1, `upstream tool results (${show(results)})`);
	if (p === "gem") {
		assertEq(results[0].name, "get_weather", "upstream functionResponse.name");
	} else {
		assert(typeof calls[0].id === "string" && calls[0].id.length > 0, `upstream tool call id ${show(calls[0].id)}`);
		assertEq(results[0].id, calls[0].id, "upstream tool result id (must match the call's id)");
	}
	assert(results[0].text.includes(TOOL_RESULT), `upstream tool result ${show(results[0].text)} lacks ${show(TOOL_RESULT)}`);
}

// After answering two calls of one turn: both calls, then both results in
// the same order, each tied to its call (id, or name for Gemini); for
// Anthropic the results must share the one user turn after the calls
// (mockprov refuses anything else, as the API does).
const RESULTS = ["sunny in Paris", "rainy in Rome"];

function checkUpstreamTwoResults(p, body) {
	const { calls, results } = upstreamToolTurns(p, body);
	assertEq(calls.map((c) => [c.name, c.args]), TWO_CALLS, "upstream tool calls");
	assertEq(results.length, 2, `upstream tool results (${show(results)})`);
	for (let i = 0; i < 2; i++) {
		if (p === "gem") {
			assertEq(results[i].name, calls[i].name, `upstream functionResponse[${i}].name`);
		} else {
			assert(typeof calls[i].id === "string" && calls[i].id.length > 0, `upstream tool call ${i} id ${show(calls[i].id)}`);
			assertEq(results[i].id, calls[i].id, `upstream tool result ${i} id`);
		}
		assert(results[i].text.includes(RESULTS[i]), `upstream tool result ${i} ${show(results[i].text)} lacks ${show(RESULTS[i])}`);
	}
	assert(calls[0].id === undefined || calls[0].id !== calls[1].id, `upstream tool call ids not distinct: ${show(calls.map((c) => c.id))}`);
}

function checkToolSaidLast(text) {
	// mockprov's answer to several results differs by API (OpenAI: the
	// last tool message; Anthropic and Gemini: all of them), but always
	// holds the last one.
	assert(typeof text === "string" && text.startsWith("tool said: ") && text.includes(RESULTS[1]),
		`final answer ${show(text)}, want "tool said: ..." containing ${show(RESULTS[1])}`);
}

function checkToolSaid(client, p, text) {
	// mockprov answers a tool result with "tool said: " + the result. A
	// string result between string-content dialects (OpenAI, Anthropic)
	// must arrive verbatim; a Gemini functionResponse is an object (mockprov
	// echoes it as compact JSON), so where Gemini is on either side the
	// result may come back wrapped: it must still hold what the tool said.
	if (client !== "gemini" && p !== "gem")
		assertEq(text, `tool said: ${TOOL_RESULT}`, "final answer");
	else
		assert(typeof text === "string" && text.startsWith("tool said: ") && text.includes(TOOL_RESULT),
			`final answer ${show(text)}, want "tool said: ..." containing ${show(TOOL_RESULT)}`);
}

// The conversation as the provider got it, system prompt aside:
// [{role: "user" | "assistant", text, images: [{mime, data}]}].
function upstreamTurns(p, body) {
	const out = [];
	if (p === "oai") {
		for (const m of body.messages ?? []) {
			if (m.role === "system" || m.role === "developer") continue;
			const t = { role: m.role, text: "", images: [] };
			if (typeof m.content === "string") t.text = m.content;
			for (const c of Array.isArray(m.content) ? m.content : []) {
				if (c.type === "text") t.text += c.text;
				if (c.type === "image_url") {
					const mm = /^data:([^;,]+);base64,(.*)$/s.exec(c.image_url?.url ?? "");
					t.images.push(mm ? { mime: mm[1], data: mm[2] } : { url: c.image_url?.url });
				}
			}
			out.push(t);
		}
	} else if (p === "ant") {
		for (const m of body.messages ?? []) {
			const t = { role: m.role, text: "", images: [] };
			if (typeof m.content === "string") t.text = m.content;
			for (const b of Array.isArray(m.content) ? m.content : []) {
				if (b.type === "text") t.text += b.text;
				if (b.type === "image") t.images.push(b.source?.type === "base64"
					? { mime: b.source.media_type, data: b.source.data } : { source: b.source });
			}
			out.push(t);
		}
	} else {
		for (const c of body.contents ?? []) {
			const t = { role: c.role === "model" ? "assistant" : c.role, text: "", images: [] };
			for (const part of c.parts ?? []) {
				if (typeof part.text === "string") t.text += part.text;
				const d = part.inlineData ?? part.inline_data;
				if (d) t.images.push({ mime: d.mimeType ?? d.mime_type, data: d.data });
			}
			out.push(t);
		}
	}
	return out;
}

// A 1x1 PNG.
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const STOP = "STOPHERE";
const MAXTOK = 77;

// Max tokens, stop sequences and temperature where the provider's API
// wants them. Temperature may be dropped for Anthropic (newer API versions
// refuse sampling parameters for some models) but never changed.
function checkUpstreamParams(p, body) {
	if (p === "oai") {
		assertEq(body.max_completion_tokens ?? body.max_tokens, MAXTOK, "upstream max_completion_tokens");
		assertEq(typeof body.stop === "string" ? [body.stop] : body.stop, [STOP], "upstream stop");
		assertEq(body.temperature, 0.5, "upstream temperature");
	} else if (p === "ant") {
		assertEq(body.max_tokens, MAXTOK, "upstream max_tokens");
		assertEq(body.stop_sequences, [STOP], "upstream stop_sequences");
		if ("temperature" in body) assertEq(body.temperature, 0.5, "upstream temperature");
	} else {
		const g = body.generationConfig ?? body.generation_config ?? {};
		assertEq(g.maxOutputTokens ?? g.max_output_tokens, MAXTOK, "upstream generationConfig.maxOutputTokens");
		assertEq(g.stopSequences ?? g.stop_sequences, [STOP], "upstream generationConfig.stopSequences");
		assertEq(g.temperature, 0.5, "upstream generationConfig.temperature");
	}
}

// Token counts mockprov reports for the request it just got (see its
// header): P = max(1, body bytes / 4) uncached prompt tokens, plus CACHED
// cached ones (fault item cached=N); completion = words in the reply. Every
// dialect carries the same facts in its own shape, so what the client sees
// is exact: cached tokens counted once, inside the total where its API
// puts them there (OpenAI, Gemini), beside it where it does not (Anthropic).
const CACHED = 5;
const USAGE_MODEL = `fault:cached=${CACHED}`;

async function upstreamUsage(p, stream, reply) {
	const u = await upstream(p, { model: USAGE_MODEL, stream });
	assert(Number.isInteger(u.bodyLen), `/mock/last body_len ${show(u.bodyLen)}`);
	const words = reply.split(/[ \t\r\n]+/).filter((w) => w).length;
	return { uncached: Math.max(1, Math.floor(u.bodyLen / 4)), cached: CACHED, out: words };
}

// A provider stream that breaks after two content pieces, either with an
// error event in its own dialect (error_event_after) or by closing the
// connection (truncate_after): the client must get an in-band error in ITS
// dialect, which its SDK raises, never a clean-looking end. What came
// before is a strict prefix of the reply, without a finish.
const BROKEN = {
	stream_error_event: "fault:error_event_after=2",
	stream_truncated: "fault:truncate_after=2",
};

function checkBrokenPrefix(text, full) {
	assert(full.startsWith(text) && text.length < full.length,
		`text before the error ${show(text)} is not a strict prefix of ${show(full)}`);
}

// Provider errors by class: the status a provider of each dialect sends
// (overload: Anthropic 529, the others 503) and what each client must see.
const ERROR_CLASSES = [
	{ name: "bad_request", up: { oai: 400, ant: 400, gem: 400 },
		openai: [400, OpenAI.BadRequestError], anthropic: [400, Anthropic.BadRequestError, "invalid_request_error"],
		gemini: [400, "INVALID_ARGUMENT"] },
	{ name: "auth", up: { oai: 401, ant: 401, gem: 401 },
		openai: [401, OpenAI.AuthenticationError], anthropic: [401, Anthropic.AuthenticationError, "authentication_error"],
		gemini: [401, "UNAUTHENTICATED"] },
	{ name: "permission", up: { oai: 403, ant: 403, gem: 403 },
		openai: [403, OpenAI.PermissionDeniedError], anthropic: [403, Anthropic.PermissionDeniedError, "permission_error"],
		gemini: [403, "PERMISSION_DENIED"] },
	{ name: "not_found", up: { oai: 404, ant: 404, gem: 404 },
		openai: [404, OpenAI.NotFoundError], anthropic: [404, Anthropic.NotFoundError, "not_found_error"],
		gemini: [404, "NOT_FOUND"] },
	{ name: "overload", up: { oai: 503, ant: 529, gem: 503 },
		openai: [503, OpenAI.InternalServerError], anthropic: [529, Anthropic.OverloadedError, "overloaded_error"],
		gemini: [503, "UNAVAILABLE"] },
];

// Runs every error class through call(model) and check(err, cls, upstatus);
// the provider's message ("mock error N") must reach the client. Returns
// the request ids the SDK saw, for the caller to check last.
async function errorClasses(p, call, check) {
	const ids = [];
	for (const cls of ERROR_CLASSES) {
		const upstatus = cls.up[p];
		const model = `fault:status=${upstatus}`;
		let err;
		try {
			await call(`${p}/${model}`);
		} catch (e) {
			err = e;
		}
		assert(err, `${cls.name}: no error raised for an upstream ${upstatus}`);
		try {
			check(err, cls, upstatus);
			assert(String(err.message).includes(`mock error ${upstatus}`),
				`the provider's message "mock error ${upstatus}" is not in ${show(err.message)}`);
			await upstream(p, { model });
		} catch (e) {
			throw new TestFailure(`${cls.name} (upstream ${upstatus}): ${e.message}`);
		}
		ids.push(err.requestID);
	}
	return ids;
}

function checkRequestIds(ids) {
	// mockprov's request ids are req_mock_N (x-request-id, and Anthropic's
	// request-id); the SDK must find the provider's id where it looks.
	assert(ids.every((id) => /^req_mock_\d+$/.test(id ?? "")), `request ids the SDK saw: ${show(ids)}, want the provider's req_mock_N`);
}

// ---------------------------------------------------------------- OpenAI client

const OAI_TOOL = (name) => ({
	type: "function",
	function: {
		name,
		description: "weather for a city",
		parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
	},
});

async function openaiBroken(p, tag, signal, fault) {
	const msg = `broken stream ${tag}`;
	const stream = await openai.chat.completions.create({
		model: `${p}/${fault}`, messages: [{ role: "user", content: msg }], stream: true,
	}, { signal });
	let text = "";
	const finishes = [];
	let err;
	try {
		for await (const chunk of stream) {
			for (const c of chunk.choices ?? []) {
				text += c.delta?.content ?? "";
				if (c.finish_reason) finishes.push(c.finish_reason);
			}
		}
	} catch (e) {
		err = e;
	}
	assert(err, `the stream ended cleanly (text ${show(text)}, finish ${show(finishes)})`);
	assert(err instanceof OpenAI.APIError && !(err instanceof OpenAI.APIConnectionError) &&
		typeof err.error?.message === "string" && err.error.message.length > 0,
		`got ${err?.constructor?.name}: ${err?.message}; want the SDK's APIError from an in-band {"error":{...}} event`);
	assertEq(finishes, [], "finish_reasons before the error");
	checkBrokenPrefix(text, `mock reply to: ${msg}`);
	await upstream(p, { model: fault, stream: true });
}

const openaiCases = {
	async passthrough(p, tag, signal) {
		const msg = `pass ${tag}`;
		const r = await openaiRec.chat.completions.create({
			model: `${p}/mock-1`, messages: [{ role: "user", content: msg, name: "tester" }],
			seed: 7, user: "u-1", metadata: { k: "v" }, logit_bias: { "50256": -100 }, presence_penalty: 0.25,
			x_unknown_field: { nested: [1, "two", null] },
		}, { signal });
		assertEq(r.choices?.[0]?.message?.content, `mock reply to: ${msg}`, "message.content");
		await checkPassthrough(p, "openai");
	},

	async chat(p, tag, signal) {
		const msg = `hello ${tag}`;
		const r = await openai.chat.completions.create({
			model: `${p}/mock-1`,
			messages: [{ role: "system", content: SYSTEM }, { role: "user", content: msg }],
		}, { signal });
		assertEq(r.object, "chat.completion", "object");
		const ch = r.choices?.[0];
		assertEq(ch?.message?.role, "assistant", "message.role");
		assertEq(ch?.message?.content, `mock reply to: ${msg}`, "message.content");
		assertEq(ch?.finish_reason, "stop", "finish_reason");
		const u = r.usage;
		assert(u && u.prompt_tokens > 0 && u.completion_tokens > 0, `usage ${show(u)}`);
		assertEq(u.total_tokens, u.prompt_tokens + u.completion_tokens, "usage.total_tokens");
		const up = await upstream(p);
		assertEq(upstreamSystem(p, up.body), SYSTEM, "upstream system prompt");
	},

	async stream(p, tag, signal) {
		const msg = `stream ${tag}`;
		const stream = await openai.chat.completions.create({
			model: `${p}/mock-1`,
			messages: [{ role: "user", content: msg }],
			stream: true,
			stream_options: { include_usage: true },
		}, { signal });
		let text = "";
		let deltas = 0;
		const finishes = [];
		let usage = null;
		let afterUsage = 0;
		for await (const chunk of stream) {
			assertEq(chunk.object, "chat.completion.chunk", "chunk.object");
			if (usage) afterUsage++;
			if (chunk.usage) usage = chunk.usage;
			for (const c of chunk.choices ?? []) {
				if (c.delta?.content) {
					text += c.delta.content;
					deltas++;
				}
				if (c.finish_reason) finishes.push(c.finish_reason);
			}
		}
		assertEq(text, `mock reply to: ${msg}`, "reassembled text");
		assert(deltas >= 2, `${deltas} content deltas: not streamed`);
		assertEq(finishes, ["stop"], "finish_reasons");
		assert(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0, `usage chunk ${show(usage)} (include_usage)`);
		assertEq(afterUsage, 0, "chunks after the usage chunk");
		await upstream(p, { stream: true });
	},

	async history(p, tag, signal) {
		const msg = `second ${tag}`;
		const r = await openai.chat.completions.create({
			model: `${p}/mock-1`,
			// "developer" is the newer name for "system".
			messages: [{ role: "developer", content: SYSTEM }, { role: "user", content: "first question" },
				{ role: "assistant", content: "first answer" }, { role: "user", content: msg }],
			max_completion_tokens: MAXTOK, stop: [STOP], temperature: 0.5,
		}, { signal });
		assertEq(r.choices?.[0]?.message?.content, `mock reply to: ${msg}`, "message.content");
		const up = await upstream(p);
		assertEq(upstreamSystem(p, up.body), SYSTEM, "upstream system prompt");
		assertEq(upstreamTurns(p, up.body).map((t) => [t.role, t.text]),
			[["user", "first question"], ["assistant", "first answer"], ["user", msg]], "upstream turns");
		checkUpstreamParams(p, up.body);
	},

	async image(p, tag, signal) {
		const msg = `what is this? ${tag}`;
		const r = await openai.chat.completions.create({
			model: `${p}/mock-1`,
			messages: [{ role: "user", content: [{ type: "text", text: msg },
				{ type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }] }],
		}, { signal });
		assertEq(r.choices?.[0]?.message?.content, `mock reply to: ${msg}`, "message.content");
		const up = await upstream(p);
		assertEq(upstreamTurns(p, up.body), [{ role: "user", text: msg, images: [{ mime: "image/png", data: PNG }] }], "upstream turns");
	},

	async usage(p, tag, signal) {
		const msg = `usage ${tag}`;
		const r = await openai.chat.completions.create({
			model: `${p}/${USAGE_MODEL}`, messages: [{ role: "user", content: msg }],
		}, { signal });
		assertEq(r.choices?.[0]?.message?.content, `mock reply to: ${msg}`, "message.content");
		const want = await upstreamUsage(p, false, `mock reply to: ${msg}`);
		const u = r.usage;
		assertEq([u?.prompt_tokens, u?.prompt_tokens_details?.cached_tokens, u?.completion_tokens, u?.total_tokens],
			[want.uncached + want.cached, want.cached, want.out, want.uncached + want.cached + want.out],
			"usage [prompt_tokens, cached_tokens, completion_tokens, total_tokens]");
	},

	async stream_usage(p, tag, signal) {
		const msg = `stream usage ${tag}`;
		const stream = await openai.chat.completions.create({
			model: `${p}/${USAGE_MODEL}`, messages: [{ role: "user", content: msg }],
			stream: true, stream_options: { include_usage: true },
		}, { signal });
		let u = null;
		let text = "";
		for await (const chunk of stream) {
			text += chunk.choices?.[0]?.delta?.content ?? "";
			if (chunk.usage) u = chunk.usage;
		}
		assertEq(text, `mock reply to: ${msg}`, "reassembled text");
		const want = await upstreamUsage(p, true, `mock reply to: ${msg}`);
		assertEq([u?.prompt_tokens, u?.prompt_tokens_details?.cached_tokens, u?.completion_tokens, u?.total_tokens],
			[want.uncached + want.cached, want.cached, want.out, want.uncached + want.cached + want.out],
			"usage chunk [prompt_tokens, cached_tokens, completion_tokens, total_tokens]");
	},

	async stream_error_event(p, tag, signal) {
		await openaiBroken(p, tag, signal, BROKEN.stream_error_event);
	},

	async stream_truncated(p, tag, signal) {
		await openaiBroken(p, tag, signal, BROKEN.stream_truncated);
	},

	async tools(p, tag, signal) {
		const messages = [{ role: "user", content: `weather in Paris? ${tag}` }];
		const r1 = await openai.chat.completions.create({
			model: `${p}/mock-1`, messages, tools: [OAI_TOOL("get_weather")],
		}, { signal });
		const m1 = r1.choices?.[0]?.message;
		assertEq(r1.choices?.[0]?.finish_reason, "tool_calls", "first finish_reason");
		assertEq(m1?.tool_calls?.length, 1, `tool_calls ${show(m1?.tool_calls)}`);
		const tc = m1.tool_calls[0];
		assertEq(tc.type, "function", "tool_calls[0].type");
		assert(typeof tc.id === "string" && tc.id.length > 0, `tool_calls[0].id ${show(tc.id)}`);
		assertEq(tc.function.name, "get_weather", "tool_calls[0].function.name");
		assert(typeof tc.function.arguments === "string", `arguments must be a JSON string: ${show(tc.function.arguments)}`);
		assertEq(JSON.parse(tc.function.arguments), { city: "Paris" }, "tool_calls[0].function.arguments");
		checkUpstreamTools(p, (await upstream(p)).body, ["get_weather"]);

		messages.push(m1, { role: "tool", tool_call_id: tc.id, content: TOOL_RESULT });
		const r2 = await openai.chat.completions.create({
			model: `${p}/mock-1`, messages, tools: [OAI_TOOL("get_weather")],
		}, { signal });
		checkToolSaid("openai", p, r2.choices?.[0]?.message?.content);
		assertEq(r2.choices?.[0]?.finish_reason, "stop", "second finish_reason");
		checkUpstreamRoundTrip(p, (await upstream(p)).body);
	},

	async two_results(p, tag, signal) {
		const tools = [OAI_TOOL("two_calls"), OAI_TOOL("get_weather")];
		const messages = [{ role: "user", content: `two calls ${tag}` }];
		const r1 = await openai.chat.completions.create({ model: `${p}/mock-1`, messages, tools }, { signal });
		const m1 = r1.choices?.[0]?.message;
		const tcs = m1?.tool_calls ?? [];
		assertEq(tcs.map((t) => [t.function.name, JSON.parse(t.function.arguments)]), TWO_CALLS, "tool_calls");
		messages.push(m1, ...tcs.map((t, i) => ({ role: "tool", tool_call_id: t.id, content: RESULTS[i] })));
		const r2 = await openai.chat.completions.create({ model: `${p}/mock-1`, messages, tools }, { signal });
		checkToolSaidLast(r2.choices?.[0]?.message?.content);
		checkUpstreamTwoResults(p, (await upstream(p)).body);
	},

	async errors(p, tag, signal) {
		const ids = await errorClasses(p, (model) => openai.chat.completions.create({
			model, messages: [{ role: "user", content: tag }] }, { signal }), (err, cls) => {
			const [status, type] = cls.openai;
			assert(err instanceof type, `got ${err?.constructor?.name} (status ${err?.status}), want ${type.name}`);
			assertEq(err.status, status, "status");
			assert(typeof err.error?.message === "string", `error body ${show(err.error)}`);
		});
		checkRequestIds(ids);
	},

	async stream_rate_limit(p, tag, signal) {
		// A stream refused before any byte: a plain HTTP 429, not a 200.
		const err = await caught(() => openai.chat.completions.create({
			model: `${p}/fault:status=429,retry_after=3`, messages: [{ role: "user", content: tag }], stream: true,
		}, { signal }));
		assert(err instanceof OpenAI.RateLimitError, `got ${err?.constructor?.name} (status ${err?.status}): ${err?.message}; want OpenAI.RateLimitError`);
		assertEq(err.headers?.get("retry-after"), "3", "retry-after header");
		await upstream(p, { model: "fault:status=429,retry_after=3", stream: true });
	},

	async tool_choice(p, tag, signal) {
		const tools = [OAI_TOOL("get_weather")];
		await openai.chat.completions.create({ model: `${p}/mock-1`, tools,
			messages: [{ role: "user", content: `forced ${tag}` }],
			tool_choice: { type: "function", function: { name: "get_weather" } } }, { signal });
		checkUpstreamToolChoice(p, (await upstream(p)).body, "get_weather");
		const msg = `no tools ${tag}`;
		const r = await openai.chat.completions.create({ model: `${p}/mock-1`, tools,
			messages: [{ role: "user", content: msg }], tool_choice: "none" }, { signal });
		checkUpstreamToolChoice(p, (await upstream(p)).body, "none");
		if (p !== "oai") {	// mockprov's OpenAI API ignores tool_choice
			assertEq(r.choices?.[0]?.message?.content, `mock reply to: ${msg}`, "content with tool_choice none");
			assertEq(r.choices?.[0]?.finish_reason, "stop", "finish_reason with tool_choice none");
		}
	},

	async rate_limit(p, tag, signal) {
		let err;
		try {
			await openai.chat.completions.create({
				model: `${p}/fault:status=429,retry_after=3`,
				messages: [{ role: "user", content: tag }],
			}, { signal });
		} catch (e) {
			err = e;
		}
		assert(err, "no error raised for an upstream 429");
		assert(err instanceof OpenAI.RateLimitError,
			`got ${err?.constructor?.name} (status ${err?.status}): ${err?.message}; want OpenAI.RateLimitError`);
		assertEq(err.status, 429, "status");
		assert(typeof err.error?.message === "string" && err.error.message.length > 0, `error body ${show(err.error)}`);
		assertEq(err.headers?.get("retry-after"), "3", "retry-after header");
		await upstream(p, { model: "fault:status=429,retry_after=3" });
	},

	async two_calls(p, tag, signal) {
		const runner = openai.chat.completions.stream({
			model: `${p}/mock-1`,
			messages: [{ role: "user", content: `two calls ${tag}` }],
			tools: [OAI_TOOL("two_calls"), OAI_TOOL("get_weather")],
		}, { signal });
		const seen = new Map();	// index -> {id, name} from the raw deltas
		runner.on("chunk", (chunk) => {
			for (const c of chunk.choices ?? []) {
				for (const d of c.delta?.tool_calls ?? []) {
					const s = seen.get(d.index) ?? { ids: [], names: [] };
					if (d.id) s.ids.push(d.id);
					if (d.function?.name) s.names.push(d.function.name);
					seen.set(d.index, s);
				}
			}
		});
		const done = await runner.finalChatCompletion();
		assertEq([...seen.keys()].sort(), [0, 1], "tool_call delta indices");
		for (const [i, s] of seen) assertEq(s.ids.length, 1, `ids sent for index ${i} (${show(s.ids)})`);
		const ch = done.choices?.[0];
		assertEq(ch?.finish_reason, "tool_calls", "finish_reason");
		const tcs = ch?.message?.tool_calls ?? [];
		assertEq(tcs.length, 2, `reassembled tool_calls ${show(tcs)}`);
		assert(tcs.every((t) => typeof t.id === "string" && t.id.length > 0), `tool call ids ${show(tcs.map((t) => t.id))}`);
		assert(tcs[0].id !== tcs[1].id, `tool call ids not distinct: ${show(tcs.map((t) => t.id))}`);
		assertEq(tcs.map((t) => [t.function.name, JSON.parse(t.function.arguments)]), TWO_CALLS, "reassembled calls");
		checkUpstreamTools(p, (await upstream(p, { stream: true })).body, ["two_calls", "get_weather"]);

		// The reassembled message and its ids work for the next turn (the
		// answer streamed too).
		const messages = [{ role: "user", content: `two calls ${tag}` }, ch.message,
			...tcs.map((t, i) => ({ role: "tool", tool_call_id: t.id, content: RESULTS[i] }))];
		const r2 = await openai.chat.completions.stream({
			model: `${p}/mock-1`, messages, tools: [OAI_TOOL("two_calls"), OAI_TOOL("get_weather")],
		}, { signal }).finalChatCompletion();
		checkToolSaidLast(r2.choices?.[0]?.message?.content);
		checkUpstreamTwoResults(p, (await upstream(p, { stream: true })).body);
	},
};

// ---------------------------------------------------------------- Anthropic client

const ANT_TOOL = (name) => ({
	name,
	description: "weather for a city",
	input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
});

// Checks the event grammar of a Messages stream and returns what it says.
function antStreamCheck(events) {
	const types = events.map((e) => e.type).filter((t) => t !== "ping");
	assert(types.length > 0, "no events");
	assertEq(types[0], "message_start", `first event (of ${show(types)})`);
	assertEq(types[types.length - 1], "message_stop", `last event (of ${show(types)})`);
	const start = events.find((e) => e.type === "message_start");
	assertEq(start.message?.role, "assistant", "message_start.message.role");
	// Input tokens come in message_start, or (when the provider reports
	// them only at the end) in message_delta's usage, as the API allows.
	let inTokens = start.message?.usage?.input_tokens ?? 0;
	let open = -1;
	let next = 0;
	let stop = null;
	let outTokens = 0;
	const blocks = [];
	for (const e of events) {
		if (e.type === "content_block_start") {
			assertEq(open, -1, `content_block_start ${e.index} while block ${open} is open`);
			assertEq(e.index, next, "content_block_start index");
			open = e.index;
			next++;
			const b = { ...e.content_block };
			if (b.type === "text") b.text = b.text ?? "";
			if (b.type === "tool_use") {
				assertEq(b.input, {}, "tool_use content_block_start input");
				b.json = "";
			}
			blocks.push(b);
		} else if (e.type === "content_block_delta") {
			assertEq(e.index, open, "content_block_delta index");
			const b = blocks[open];
			if (e.delta.type === "text_delta") {
				assertEq(b.type, "text", "text_delta in a block of type");
				b.text += e.delta.text;
				b.deltas = (b.deltas ?? 0) + 1;
			} else if (e.delta.type === "input_json_delta") {
				assertEq(b.type, "tool_use", "input_json_delta in a block of type");
				b.json += e.delta.partial_json;
			}
		} else if (e.type === "content_block_stop") {
			assertEq(e.index, open, "content_block_stop index");
			open = -1;
		} else if (e.type === "message_delta") {
			assertEq(open, -1, "message_delta while a block is open");
			stop = e.delta?.stop_reason;
			outTokens = e.usage?.output_tokens;
			if (e.usage?.input_tokens) inTokens = e.usage.input_tokens;
		}
	}
	assert(inTokens > 0, `no input_tokens in message_start or message_delta usage`);
	for (const b of blocks)
		if (b.type === "tool_use") b.input = b.json === "" ? {} : JSON.parse(b.json);
	return { blocks, stop, outTokens };
}

async function anthropicBroken(p, tag, signal, fault) {
	const msg = `broken stream ${tag}`;
	const stream = await anthropic.messages.create({
		model: `${p}/${fault}`, max_tokens: 256, messages: [{ role: "user", content: msg }], stream: true,
	}, { signal });
	let text = "";
	const types = [];
	let err;
	try {
		for await (const e of stream) {
			types.push(e.type);
			if (e.type === "content_block_delta" && e.delta?.type === "text_delta") text += e.delta.text;
		}
	} catch (e) {
		err = e;
	}
	assert(err, `the stream ended cleanly (text ${show(text)}, events ${show(types)})`);
	assert(err instanceof Anthropic.APIError && !(err instanceof Anthropic.APIConnectionError) &&
		err.error?.type === "error" && typeof err.error?.error?.type === "string" &&
		typeof err.error?.error?.message === "string" && err.error.error.message.length > 0,
		`got ${err?.constructor?.name}: ${err?.message}; want the SDK's APIError from an in-band "event: error"`);
	assert(!types.includes("message_stop") && !types.includes("message_delta"),
		`events before the error ${show(types)} include the end of the message`);
	checkBrokenPrefix(text, `mock reply to: ${msg}`);
	await upstream(p, { model: fault, stream: true });
}

const anthropicCases = {
	async passthrough(p, tag, signal) {
		const msg = `pass ${tag}`;
		const r = await anthropicPass.messages.create({
			model: `${p}/mock-1`, max_tokens: 100, top_k: 5, metadata: { user_id: "u-1" },
			system: [{ type: "text", text: SYSTEM, cache_control: { type: "ephemeral" } }],
			messages: [{ role: "user", content: [{ type: "text", text: msg, cache_control: { type: "ephemeral" } }] }],
		}, { signal });
		assertEq(r.content?.[0]?.text, `mock reply to: ${msg}`, "content[0].text");
		await checkPassthrough(p, "anthropicPass");
	},

	async chat(p, tag, signal) {
		const msg = `hello ${tag}`;
		const r = await anthropicRec.messages.create({
			model: `${p}/mock-1`, max_tokens: 256, system: SYSTEM,
			messages: [{ role: "user", content: msg }],
		}, { signal, headers: { "anthropic-beta": "llmgw-test-2026-01-01" } });
		const version = sent.anthropic?.headers.get("anthropic-version");
		assert(version, "the SDK sent no anthropic-version (test set-up)");
		assertEq(r.type, "message", "type");
		assertEq(r.role, "assistant", "role");
		assertEq(r.content?.map((b) => b.type), ["text"], "content block types");
		assertEq(r.content[0].text, `mock reply to: ${msg}`, "content[0].text");
		assertEq(r.stop_reason, "end_turn", "stop_reason");
		assert(r.usage?.input_tokens > 0 && r.usage?.output_tokens > 0, `usage ${show(r.usage)}`);
		const up = await upstream(p);
		assertEq(upstreamSystem(p, up.body), SYSTEM, "upstream system prompt");
		if (p === "ant") {
			// Anthropic to Anthropic: the client's API version and betas go through.
			assertEq(up.headers["anthropic-version"], version, "upstream anthropic-version");
			assertEq(up.headers["anthropic-beta"], "llmgw-test-2026-01-01", "upstream anthropic-beta");
		}
	},

	async stream(p, tag, signal) {
		const msg = `stream ${tag}`;
		const stream = await anthropic.messages.create({
			model: `${p}/mock-1`, max_tokens: 256,
			messages: [{ role: "user", content: msg }], stream: true,
		}, { signal });
		const events = [];
		for await (const e of stream) events.push(e);
		const { blocks, stop, outTokens } = antStreamCheck(events);
		assertEq(blocks.map((b) => b.type), ["text"], "content blocks");
		assertEq(blocks[0].text, `mock reply to: ${msg}`, "reassembled text");
		assert(blocks[0].deltas >= 2, `${blocks[0].deltas} text deltas: not streamed`);
		assertEq(stop, "end_turn", "message_delta stop_reason");
		assert(outTokens > 0, `message_delta usage.output_tokens ${show(outTokens)}`);
		await upstream(p, { stream: true });
	},

	async history(p, tag, signal) {
		const msg = `second ${tag}`;
		const r = await anthropic.messages.create({
			model: `${p}/mock-1`, max_tokens: MAXTOK, system: SYSTEM, stop_sequences: [STOP], temperature: 0.5,
			messages: [{ role: "user", content: "first question" },
				{ role: "assistant", content: "first answer" }, { role: "user", content: msg }],
		}, { signal });
		assertEq(r.content?.[0]?.text, `mock reply to: ${msg}`, "content[0].text");
		const up = await upstream(p);
		assertEq(upstreamSystem(p, up.body), SYSTEM, "upstream system prompt");
		assertEq(upstreamTurns(p, up.body).map((t) => [t.role, t.text]),
			[["user", "first question"], ["assistant", "first answer"], ["user", msg]], "upstream turns");
		checkUpstreamParams(p, up.body);
	},

	async image(p, tag, signal) {
		const msg = `what is this? ${tag}`;
		const r = await anthropic.messages.create({
			model: `${p}/mock-1`, max_tokens: 256,
			messages: [{ role: "user", content: [{ type: "text", text: msg },
				{ type: "image", source: { type: "base64", media_type: "image/png", data: PNG } }] }],
		}, { signal });
		assertEq(r.content?.[0]?.text, `mock reply to: ${msg}`, "content[0].text");
		const up = await upstream(p);
		assertEq(upstreamTurns(p, up.body), [{ role: "user", text: msg, images: [{ mime: "image/png", data: PNG }] }], "upstream turns");
	},

	async usage(p, tag, signal) {
		const msg = `usage ${tag}`;
		const r = await anthropic.messages.create({
			model: `${p}/${USAGE_MODEL}`, max_tokens: 256, messages: [{ role: "user", content: msg }],
		}, { signal });
		assertEq(r.content?.[0]?.text, `mock reply to: ${msg}`, "content[0].text");
		const want = await upstreamUsage(p, false, `mock reply to: ${msg}`);
		const u = r.usage;
		assertEq([u?.input_tokens, u?.cache_read_input_tokens, u?.cache_creation_input_tokens ?? 0, u?.output_tokens],
			[want.uncached, want.cached, 0, want.out],
			"usage [input_tokens, cache_read_input_tokens, cache_creation_input_tokens, output_tokens]");
	},

	async stream_usage(p, tag, signal) {
		const msg = `stream usage ${tag}`;
		const stream = anthropic.messages.stream({
			model: `${p}/${USAGE_MODEL}`, max_tokens: 256, messages: [{ role: "user", content: msg }],
		}, { signal });
		const m = await stream.finalMessage();
		assertEq(m.content?.[0]?.text, `mock reply to: ${msg}`, "reassembled text");
		const want = await upstreamUsage(p, true, `mock reply to: ${msg}`);
		const u = m.usage;
		assertEq([u?.input_tokens, u?.cache_read_input_tokens, u?.cache_creation_input_tokens ?? 0, u?.output_tokens],
			[want.uncached, want.cached, 0, want.out],
			"final usage [input_tokens, cache_read_input_tokens, cache_creation_input_tokens, output_tokens]");
	},

	async stream_error_event(p, tag, signal) {
		await anthropicBroken(p, tag, signal, BROKEN.stream_error_event);
	},

	async stream_truncated(p, tag, signal) {
		await anthropicBroken(p, tag, signal, BROKEN.stream_truncated);
	},

	async tools(p, tag, signal) {
		const messages = [{ role: "user", content: `weather in Paris? ${tag}` }];
		const r1 = await anthropic.messages.create({
			model: `${p}/mock-1`, max_tokens: 256, messages, tools: [ANT_TOOL("get_weather")],
		}, { signal });
		assertEq(r1.stop_reason, "tool_use", "first stop_reason");
		const uses = r1.content.filter((b) => b.type === "tool_use");
		assertEq(uses.length, 1, `tool_use blocks in ${show(r1.content)}`);
		assert(typeof uses[0].id === "string" && uses[0].id.length > 0, `tool_use id ${show(uses[0].id)}`);
		assertEq(uses[0].name, "get_weather", "tool_use name");
		assertEq(uses[0].input, { city: "Paris" }, "tool_use input");
		checkUpstreamTools(p, (await upstream(p)).body, ["get_weather"]);

		messages.push({ role: "assistant", content: r1.content },
			{ role: "user", content: [{ type: "tool_result", tool_use_id: uses[0].id, content: TOOL_RESULT }] });
		const r2 = await anthropic.messages.create({
			model: `${p}/mock-1`, max_tokens: 256, messages, tools: [ANT_TOOL("get_weather")],
		}, { signal });
		assertEq(r2.content?.map((b) => b.type), ["text"], "second content block types");
		checkToolSaid("anthropic", p, r2.content[0].text);
		assertEq(r2.stop_reason, "end_turn", "second stop_reason");
		checkUpstreamRoundTrip(p, (await upstream(p)).body);
	},

	async two_results(p, tag, signal) {
		const tools = [ANT_TOOL("two_calls"), ANT_TOOL("get_weather")];
		const messages = [{ role: "user", content: `two calls ${tag}` }];
		const r1 = await anthropic.messages.create({ model: `${p}/mock-1`, max_tokens: 256, messages, tools }, { signal });
		const uses = r1.content.filter((b) => b.type === "tool_use");
		assertEq(uses.map((u) => [u.name, u.input]), TWO_CALLS, "tool_use blocks");
		messages.push({ role: "assistant", content: r1.content }, { role: "user",
			content: uses.map((u, i) => ({ type: "tool_result", tool_use_id: u.id, content: RESULTS[i] })) });
		const r2 = await anthropic.messages.create({ model: `${p}/mock-1`, max_tokens: 256, messages, tools }, { signal });
		checkToolSaidLast(r2.content?.[0]?.text);
		checkUpstreamTwoResults(p, (await upstream(p)).body);
	},

	async count_tokens(p, tag, signal) {
		// Anthropic and Gemini can count tokens (Gemini: :countTokens), so
		// llmgw must answer from them; OpenAI cannot: a clear error in the
		// Anthropic shape.
		const req = { model: `${p}/mock-1`, system: SYSTEM, messages: [{ role: "user", content: `count ${tag}` }] };
		if (p === "oai") {
			const err = await caught(() => anthropic.messages.countTokens(req, { signal }));
			assert(err instanceof Anthropic.APIError && !(err instanceof Anthropic.APIConnectionError) &&
				err.status >= 400 && err.error?.type === "error" &&
				typeof err.error?.error?.message === "string" && err.error.error.message.length > 0,
				`got ${err?.constructor?.name} (status ${err?.status}): ${err?.message}; want an Anthropic-shaped error`);
			return;
		}
		const r = await anthropic.messages.countTokens(req, { signal });
		const u = await mockLast(p);
		const want = p === "ant" ? "/v1/messages/count_tokens" : "/v1beta/models/mock-1:countTokens";
		assertEq(u.target, want, "upstream path");
		for (const [k, v] of Object.entries(u.headers))
			assert(!v.includes(env.key), `the client key was forwarded upstream in ${k}`);
		assertEq(r.input_tokens, Math.max(1, Math.floor(u.bodyLen / 4)), "input_tokens (mockprov: upstream body bytes / 4)");
	},

	async errors(p, tag, signal) {
		const ids = await errorClasses(p, (model) => anthropic.messages.create({
			model, max_tokens: 16, messages: [{ role: "user", content: tag }] }, { signal }), (err, cls) => {
			const [status, type, etype] = cls.anthropic;
			assert(err instanceof type, `got ${err?.constructor?.name} (status ${err?.status}), want ${type.name}`);
			assertEq(err.status, status, "status");
			assertEq(err.error?.type, "error", "error body type");
			assertEq(err.error?.error?.type, etype, "error body error.type");
		});
		checkRequestIds(ids);
	},

	async stream_rate_limit(p, tag, signal) {
		const err = await caught(() => anthropic.messages.create({
			model: `${p}/fault:status=429,retry_after=3`, max_tokens: 64,
			messages: [{ role: "user", content: tag }], stream: true,
		}, { signal }));
		assert(err instanceof Anthropic.RateLimitError, `got ${err?.constructor?.name} (status ${err?.status}): ${err?.message}; want Anthropic.RateLimitError`);
		assertEq(err.error?.error?.type, "rate_limit_error", "error body error.type");
		assertEq(err.headers?.get("retry-after"), "3", "retry-after header");
		await upstream(p, { model: "fault:status=429,retry_after=3", stream: true });
	},

	async tool_choice(p, tag, signal) {
		const tools = [ANT_TOOL("get_weather")];
		await anthropic.messages.create({ model: `${p}/mock-1`, max_tokens: 256, tools,
			messages: [{ role: "user", content: `forced ${tag}` }],
			tool_choice: { type: "tool", name: "get_weather" } }, { signal });
		checkUpstreamToolChoice(p, (await upstream(p)).body, "get_weather");
		const msg = `no tools ${tag}`;
		const r = await anthropic.messages.create({ model: `${p}/mock-1`, max_tokens: 256, tools,
			messages: [{ role: "user", content: msg }], tool_choice: { type: "none" } }, { signal });
		checkUpstreamToolChoice(p, (await upstream(p)).body, "none");
		if (p !== "oai") {	// mockprov's OpenAI API ignores tool_choice
			assertEq(r.content?.map((b) => b.type), ["text"], "content with tool_choice none");
			assertEq(r.content[0].text, `mock reply to: ${msg}`, "text with tool_choice none");
			assertEq(r.stop_reason, "end_turn", "stop_reason with tool_choice none");
		}
	},

	async rate_limit(p, tag, signal) {
		let err;
		try {
			await anthropic.messages.create({
				model: `${p}/fault:status=429,retry_after=3`, max_tokens: 64,
				messages: [{ role: "user", content: tag }],
			}, { signal });
		} catch (e) {
			err = e;
		}
		assert(err, "no error raised for an upstream 429");
		assert(err instanceof Anthropic.RateLimitError,
			`got ${err?.constructor?.name} (status ${err?.status}): ${err?.message}; want Anthropic.RateLimitError`);
		assertEq(err.status, 429, "status");
		assertEq(err.error?.type, "error", "error body type");
		assertEq(err.error?.error?.type, "rate_limit_error", "error body error.type");
		assert(typeof err.error?.error?.message === "string" && err.error.error.message.length > 0, `error body ${show(err.error)}`);
		assertEq(err.headers?.get("retry-after"), "3", "retry-after header");
		await upstream(p, { model: "fault:status=429,retry_after=3" });
	},

	async two_calls(p, tag, signal) {
		const stream = anthropic.messages.stream({
			model: `${p}/mock-1`, max_tokens: 256,
			messages: [{ role: "user", content: `two calls ${tag}` }],
			tools: [ANT_TOOL("two_calls"), ANT_TOOL("get_weather")],
		}, { signal });
		const events = [];
		stream.on("streamEvent", (e) => events.push(e));
		const msg = await stream.finalMessage();
		const raw = antStreamCheck(events);
		assertEq(raw.stop, "tool_use", "message_delta stop_reason");
		assertEq(raw.blocks.filter((b) => b.type === "tool_use").map((b) => [b.name, b.input]), TWO_CALLS, "calls in the raw events");
		assertEq(msg.stop_reason, "tool_use", "final stop_reason");
		const uses = msg.content.filter((b) => b.type === "tool_use");
		assertEq(uses.length, 2, `reassembled tool_use blocks ${show(msg.content)}`);
		assert(uses.every((u) => typeof u.id === "string" && u.id.length > 0) && uses[0].id !== uses[1].id,
			`tool_use ids ${show(uses.map((u) => u.id))}`);
		assertEq(uses.map((u) => [u.name, u.input]), TWO_CALLS, "reassembled calls");
		checkUpstreamTools(p, (await upstream(p, { stream: true })).body, ["two_calls", "get_weather"]);

		// The reassembled message and its ids work for the next turn (the
		// answer streamed too).
		const r2 = await anthropic.messages.stream({
			model: `${p}/mock-1`, max_tokens: 256, tools: [ANT_TOOL("two_calls"), ANT_TOOL("get_weather")],
			messages: [{ role: "user", content: `two calls ${tag}` }, { role: "assistant", content: msg.content },
				{ role: "user", content: uses.map((u, i) => ({ type: "tool_result", tool_use_id: u.id, content: RESULTS[i] })) }],
		}, { signal }).finalMessage();
		checkToolSaidLast(r2.content?.[0]?.text);
		checkUpstreamTwoResults(p, (await upstream(p, { stream: true })).body);
	},
};

// ---------------------------------------------------------------- Gemini client

const GEM_TOOLS = (...names) => [{
	functionDeclarations: names.map((name) => ({
		name,
		description: "weather for a city",
		parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } }, required: ["city"] },
	})),
}];

function gemError(err) {
	// ApiError.message is the JSON error body.
	try {
		return JSON.parse(err.message);
	} catch (e) {
		return null;
	}
}

async function geminiBroken(p, tag, signal, fault) {
	const msg = `broken stream ${tag}`;
	const stream = await genai.models.generateContentStream({
		model: `${p}/${fault}`, contents: msg, config: { abortSignal: signal },
	});
	let text = "";
	const finishes = [];
	let err;
	try {
		for await (const chunk of stream) {
			text += chunk.text ?? "";
			const f = chunk.candidates?.[0]?.finishReason;
			if (f) finishes.push(f);
		}
	} catch (e) {
		err = e;
	}
	assert(err, `the stream ended cleanly (text ${show(text)}, finishReasons ${show(finishes)})`);
	assert(err instanceof ApiError && err.status >= 500 && err.status < 600,
		`got ${err?.constructor?.name} (status ${err?.status}): ${err?.message}; want ApiError 5xx from an in-band {"error":{...}} chunk`);
	assertEq(finishes, [], "finishReasons before the error");
	checkBrokenPrefix(text, `mock reply to: ${msg}`);
	await upstream(p, { model: fault, stream: true });
}

const geminiCases = {
	async passthrough(p, tag, signal) {
		const msg = `pass ${tag}`;
		const r = await genaiRec.models.generateContent({
			model: `${p}/mock-1`, contents: msg,
			config: {
				abortSignal: signal, topK: 5, candidateCount: 1, responseMimeType: "text/plain",
				safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
			},
		});
		assertEq(r.text, `mock reply to: ${msg}`, "text");
		await checkPassthrough(p, "gemini");
	},

	async chat(p, tag, signal) {
		const msg = `hello ${tag}`;
		const r = await genai.models.generateContent({
			model: `${p}/mock-1`,
			contents: [{ role: "user", parts: [{ text: msg }] }],
			config: { systemInstruction: SYSTEM, abortSignal: signal },
		});
		const cand = r.candidates?.[0];
		assertEq(cand?.content?.role, "model", "candidates[0].content.role");
		assertEq(r.text, `mock reply to: ${msg}`, "text");
		assertEq(cand?.finishReason, "STOP", "finishReason");
		const u = r.usageMetadata;
		assert(u && u.promptTokenCount > 0 && u.candidatesTokenCount > 0, `usageMetadata ${show(u)}`);
		assertEq(u.totalTokenCount, u.promptTokenCount + u.candidatesTokenCount + (u.thoughtsTokenCount ?? 0), "usageMetadata.totalTokenCount");
		const up = await upstream(p);
		assertEq(upstreamSystem(p, up.body), SYSTEM, "upstream system prompt");
	},

	async stream(p, tag, signal) {
		const msg = `stream ${tag}`;
		const stream = await genai.models.generateContentStream({
			model: `${p}/mock-1`,
			contents: msg,
			config: { abortSignal: signal },
		});
		let text = "";
		let deltas = 0;
		const finishes = [];
		let usage = null;
		for await (const chunk of stream) {
			const t = chunk.text;
			if (t) {
				text += t;
				deltas++;
			}
			const f = chunk.candidates?.[0]?.finishReason;
			if (f) finishes.push(f);
			if (chunk.usageMetadata) usage = chunk.usageMetadata;
		}
		assertEq(text, `mock reply to: ${msg}`, "reassembled text");
		assert(deltas >= 2, `${deltas} text chunks: not streamed`);
		assertEq(finishes, ["STOP"], "finishReasons");
		assert(usage && usage.promptTokenCount > 0 && usage.candidatesTokenCount > 0, `last usageMetadata ${show(usage)}`);
		await upstream(p, { stream: true });
	},

	async history(p, tag, signal) {
		const msg = `second ${tag}`;
		const r = await genai.models.generateContent({
			model: `${p}/mock-1`,
			contents: [{ role: "user", parts: [{ text: "first question" }] },
				{ role: "model", parts: [{ text: "first answer" }] }, { role: "user", parts: [{ text: msg }] }],
			config: { systemInstruction: SYSTEM, maxOutputTokens: MAXTOK, stopSequences: [STOP], temperature: 0.5, abortSignal: signal },
		});
		assertEq(r.text, `mock reply to: ${msg}`, "text");
		const up = await upstream(p);
		assertEq(upstreamSystem(p, up.body), SYSTEM, "upstream system prompt");
		assertEq(upstreamTurns(p, up.body).map((t) => [t.role, t.text]),
			[["user", "first question"], ["assistant", "first answer"], ["user", msg]], "upstream turns");
		checkUpstreamParams(p, up.body);
	},

	async image(p, tag, signal) {
		const msg = `what is this? ${tag}`;
		const r = await genai.models.generateContent({
			model: `${p}/mock-1`,
			contents: [{ role: "user", parts: [{ text: msg }, { inlineData: { mimeType: "image/png", data: PNG } }] }],
			config: { abortSignal: signal },
		});
		assertEq(r.text, `mock reply to: ${msg}`, "text");
		const up = await upstream(p);
		assertEq(upstreamTurns(p, up.body), [{ role: "user", text: msg, images: [{ mime: "image/png", data: PNG }] }], "upstream turns");
	},

	async usage(p, tag, signal) {
		const msg = `usage ${tag}`;
		const r = await genai.models.generateContent({
			model: `${p}/${USAGE_MODEL}`, contents: msg, config: { abortSignal: signal },
		});
		assertEq(r.text, `mock reply to: ${msg}`, "text");
		const want = await upstreamUsage(p, false, `mock reply to: ${msg}`);
		const u = r.usageMetadata;
		assertEq([u?.promptTokenCount, u?.cachedContentTokenCount, u?.candidatesTokenCount, u?.totalTokenCount],
			[want.uncached + want.cached, want.cached, want.out, want.uncached + want.cached + want.out],
			"usageMetadata [promptTokenCount, cachedContentTokenCount, candidatesTokenCount, totalTokenCount]");
	},

	async stream_usage(p, tag, signal) {
		const msg = `stream usage ${tag}`;
		const stream = await genai.models.generateContentStream({
			model: `${p}/${USAGE_MODEL}`, contents: msg, config: { abortSignal: signal },
		});
		let u = null;
		let text = "";
		for await (const chunk of stream) {
			text += chunk.text ?? "";
			if (chunk.usageMetadata) u = chunk.usageMetadata;
		}
		assertEq(text, `mock reply to: ${msg}`, "reassembled text");
		const want = await upstreamUsage(p, true, `mock reply to: ${msg}`);
		assertEq([u?.promptTokenCount, u?.cachedContentTokenCount, u?.candidatesTokenCount, u?.totalTokenCount],
			[want.uncached + want.cached, want.cached, want.out, want.uncached + want.cached + want.out],
			"last usageMetadata [promptTokenCount, cachedContentTokenCount, candidatesTokenCount, totalTokenCount]");
	},

	async stream_error_event(p, tag, signal) {
		await geminiBroken(p, tag, signal, BROKEN.stream_error_event);
	},

	async stream_truncated(p, tag, signal) {
		await geminiBroken(p, tag, signal, BROKEN.stream_truncated);
	},

	async tools(p, tag, signal) {
		const contents = [{ role: "user", parts: [{ text: `weather in Paris? ${tag}` }] }];
		const r1 = await genai.models.generateContent({
			model: `${p}/mock-1`, contents, config: { tools: GEM_TOOLS("get_weather"), abortSignal: signal },
		});
		const fcs = r1.functionCalls ?? [];
		assertEq(fcs.length, 1, `functionCalls ${show(fcs)}`);
		assertEq(fcs[0].name, "get_weather", "functionCall.name");
		assertEq(fcs[0].args, { city: "Paris" }, "functionCall.args");
		// Gemini says STOP when the model called a function.
		assertEq(r1.candidates?.[0]?.finishReason, "STOP", "first finishReason");
		checkUpstreamTools(p, (await upstream(p)).body, ["get_weather"]);

		const resp = { name: fcs[0].name, response: { result: TOOL_RESULT } };
		if (fcs[0].id) resp.id = fcs[0].id;
		contents.push(r1.candidates[0].content, { role: "user", parts: [{ functionResponse: resp }] });
		const r2 = await genai.models.generateContent({
			model: `${p}/mock-1`, contents, config: { tools: GEM_TOOLS("get_weather"), abortSignal: signal },
		});
		checkToolSaid("gemini", p, r2.text);
		assert(!r2.functionCalls?.length, `second answer calls a tool again: ${show(r2.functionCalls)}`);
		assertEq(r2.candidates?.[0]?.finishReason, "STOP", "second finishReason");
		checkUpstreamRoundTrip(p, (await upstream(p)).body);
	},

	async two_results(p, tag, signal) {
		const config = { tools: GEM_TOOLS("two_calls", "get_weather"), abortSignal: signal };
		const contents = [{ role: "user", parts: [{ text: `two calls ${tag}` }] }];
		const r1 = await genai.models.generateContent({ model: `${p}/mock-1`, contents, config });
		const fcs = r1.functionCalls ?? [];
		assertEq(fcs.map((c) => [c.name, c.args]), TWO_CALLS, "functionCalls");
		contents.push(r1.candidates[0].content, { role: "user", parts: fcs.map((fc, i) => ({
			functionResponse: { ...(fc.id ? { id: fc.id } : {}), name: fc.name, response: { result: RESULTS[i] } } })) });
		const r2 = await genai.models.generateContent({ model: `${p}/mock-1`, contents, config });
		checkToolSaidLast(r2.text);
		checkUpstreamTwoResults(p, (await upstream(p)).body);
	},

	async errors(p, tag, signal) {
		await errorClasses(p, (model) => genai.models.generateContent({
			model, contents: tag, config: { abortSignal: signal } }), (err, cls) => {
			const [status, gstatus] = cls.gemini;
			assert(err instanceof ApiError, `got ${err?.constructor?.name}: ${err?.message}; want ApiError`);
			assertEq(err.status, status, "ApiError.status");
			const body = gemError(err);
			assertEq(body?.error?.code, status, `error.code in ${show(err.message)}`);
			assertEq(body?.error?.status, gstatus, `error.status in ${show(err.message)}`);
		});
		// ApiError keeps no response headers: no request id to check.
	},

	async stream_rate_limit(p, tag, signal) {
		const err = await caught(async () => {
			for await (const c of await genai.models.generateContentStream({
				model: `${p}/fault:status=429,retry_after=3`, contents: tag, config: { abortSignal: signal } })) void c;
		});
		assert(err instanceof ApiError, `got ${err?.constructor?.name}: ${err?.message}; want ApiError`);
		assertEq(err.status, 429, "ApiError.status");
		assertEq(gemError(err)?.error?.status, "RESOURCE_EXHAUSTED", `error.status in ${show(err.message)}`);
		await upstream(p, { model: "fault:status=429,retry_after=3", stream: true });
	},

	async tool_choice(p, tag, signal) {
		const tools = GEM_TOOLS("get_weather");
		await genai.models.generateContent({ model: `${p}/mock-1`, contents: `forced ${tag}`,
			config: { tools, abortSignal: signal, toolConfig: { functionCallingConfig: {
				mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: ["get_weather"] } } } });
		checkUpstreamToolChoice(p, (await upstream(p)).body, "get_weather");
		const msg = `no tools ${tag}`;
		const r = await genai.models.generateContent({ model: `${p}/mock-1`, contents: msg,
			config: { tools, abortSignal: signal, toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.NONE } } } });
		checkUpstreamToolChoice(p, (await upstream(p)).body, "none");
		if (p !== "oai") {	// mockprov's OpenAI API ignores tool_choice
			assertEq(r.text, `mock reply to: ${msg}`, "text with mode NONE");
			assert(!r.functionCalls?.length, `functionCalls with mode NONE: ${show(r.functionCalls)}`);
		}
	},

	async rate_limit(p, tag, signal) {
		let err;
		try {
			await genai.models.generateContent({
				model: `${p}/fault:status=429,retry_after=3`,
				contents: tag,
				config: { abortSignal: signal },
			});
		} catch (e) {
			err = e;
		}
		assert(err, "no error raised for an upstream 429");
		assert(err instanceof ApiError, `got ${err?.constructor?.name}: ${err?.message}; want ApiError`);
		assertEq(err.status, 429, "ApiError.status");
		const body = gemError(err);
		assertEq(body?.error?.code, 429, `error.code in ${show(err.message)}`);
		assertEq(body?.error?.status, "RESOURCE_EXHAUSTED", `error.status in ${show(err.message)}`);
		assert(typeof body?.error?.message === "string" && body.error.message.length > 0, `error.message in ${show(err.message)}`);
		await upstream(p, { model: "fault:status=429,retry_after=3" });
	},

	async two_calls(p, tag, signal) {
		const stream = await genai.models.generateContentStream({
			model: `${p}/mock-1`,
			contents: `two calls ${tag}`,
			config: { tools: GEM_TOOLS("two_calls", "get_weather"), abortSignal: signal },
		});
		const calls = [];
		const finishes = [];
		for await (const chunk of stream) {
			for (const fc of chunk.functionCalls ?? []) calls.push(fc);
			const f = chunk.candidates?.[0]?.finishReason;
			if (f) finishes.push(f);
		}
		assertEq(calls.map((c) => [c.name, c.args]), TWO_CALLS, "streamed functionCalls");
		assertEq(finishes, ["STOP"], "finishReasons");
		checkUpstreamTools(p, (await upstream(p, { stream: true })).body, ["two_calls", "get_weather"]);

		// The streamed calls work for the next turn (the answer streamed too).
		const stream2 = await genai.models.generateContentStream({
			model: `${p}/mock-1`,
			contents: [{ role: "user", parts: [{ text: `two calls ${tag}` }] },
				{ role: "model", parts: calls.map((fc) => ({ functionCall: fc })) },
				{ role: "user", parts: calls.map((fc, i) => ({ functionResponse: {
					...(fc.id ? { id: fc.id } : {}), name: fc.name, response: { result: RESULTS[i] } } })) }],
			config: { tools: GEM_TOOLS("two_calls", "get_weather"), abortSignal: signal },
		});
		let text = "";
		for await (const chunk of stream2) text += chunk.text ?? "";
		checkToolSaidLast(text);
		checkUpstreamTwoResults(p, (await upstream(p, { stream: true })).body);
	},
};

// ---------------------------------------------------------------- client-side errors

// llmgw's own errors in each client's dialect (no provider involved).
const badAnthropic = new Anthropic({ baseURL: env.origin, apiKey: "not-a-valid-key", maxRetries: 0, timeout: 10000 });
const badGenai = new GoogleGenAI({
	vertexai: false, apiKey: "not-a-valid-key",
	httpOptions: { baseUrl: env.origin, apiVersion: "v1beta", retryOptions: { attempts: 1 } },
});

async function caught(fn) {
	try {
		await fn();
	} catch (e) {
		return e;
	}
	throw new Error("no error raised");
}

await test("sdk_anthropic_auth_error", async (signal) => {
	const err = await caught(() => badAnthropic.messages.create({
		model: "ant/mock-1", max_tokens: 16, messages: [{ role: "user", content: "x" }] }, { signal }));
	assert(err instanceof Anthropic.AuthenticationError, `got ${err?.constructor?.name} (status ${err?.status}): ${err?.message}`);
	assertEq(err.error?.type, "error", "error body type");
	assertEq(err.error?.error?.type, "authentication_error", "error body error.type");
}, LIMIT_MS);

await test("sdk_anthropic_not_found_error", async (signal) => {
	const err = await caught(() => anthropic.messages.create({
		model: "no-such-model", max_tokens: 16, messages: [{ role: "user", content: "x" }] }, { signal }));
	assert(err instanceof Anthropic.NotFoundError, `got ${err?.constructor?.name} (status ${err?.status}): ${err?.message}`);
	assertEq(err.error?.error?.type, "not_found_error", "error body error.type");
}, LIMIT_MS);

await test("sdk_gemini_auth_error", async (signal) => {
	const err = await caught(() => badGenai.models.generateContent({
		model: "gem/mock-1", contents: "x", config: { abortSignal: signal } }));
	assert(err instanceof ApiError, `got ${err?.constructor?.name}: ${err?.message}`);
	assertEq(err.status, 401, "ApiError.status");
	const body = gemError(err);
	assertEq(body?.error?.code, 401, `error.code in ${show(err.message)}`);
	assertEq(body?.error?.status, "UNAUTHENTICATED", `error.status in ${show(err.message)}`);
}, LIMIT_MS);

await test("sdk_gemini_not_found_error", async (signal) => {
	const err = await caught(() => genai.models.generateContent({
		model: "no-such-model", contents: "x", config: { abortSignal: signal } }));
	assert(err instanceof ApiError, `got ${err?.constructor?.name}: ${err?.message}`);
	assertEq(err.status, 404, "ApiError.status");
	const body = gemError(err);
	assertEq(body?.error?.code, 404, `error.code in ${show(err.message)}`);
	assertEq(body?.error?.status, "NOT_FOUND", `error.status in ${show(err.message)}`);
}, LIMIT_MS);

// Route 'limited' (serve.py): its one target answers 429 with retry-after
// 20, then cools down; from then on llmgw itself answers 429, in each
// client's dialect, saying when the target is back. The SDKs' retries are
// off, so none of them waits those 20 s.
async function routeLimited(call) {
	let err;
	for (let i = 0; i < 2; i++) {	// the first call may still reach the provider
		err = await caught(call);
		if (/every target is rate-limited/.test(err?.message ?? "")) break;
	}
	return err;
}

function checkBackIn(err, withMs) {
	assertEq(err.status, 429, "status");
	const ra = Number(err.headers?.get("retry-after"));
	assert(ra >= 1 && ra <= 20, `retry-after ${show(err.headers?.get("retry-after"))}`);
	const ms = err.headers?.get("retry-after-ms");
	if (withMs)
		assert(Number(ms) > 0 && Number(ms) <= 20000 && Math.ceil(Number(ms) / 1000) === ra, `retry-after-ms ${show(ms)}`);
	else
		assertEq(ms, null, "retry-after-ms");
}

await test("sdk_openai_route_rate_limited", async (signal) => {
	const err = await routeLimited(() => openai.chat.completions.create({
		model: "limited", messages: [{ role: "user", content: "x" }] }, { signal }));
	assert(err instanceof OpenAI.RateLimitError, `got ${err?.constructor?.name} (status ${err?.status}): ${err?.message}`);
	assertEq(err.error?.code, "rate_limit_exceeded", "error.code");
	checkBackIn(err, true);
}, LIMIT_MS);

await test("sdk_anthropic_route_rate_limited", async (signal) => {
	const err = await routeLimited(() => anthropic.messages.create({
		model: "limited", max_tokens: 16, messages: [{ role: "user", content: "x" }] }, { signal }));
	assert(err instanceof Anthropic.RateLimitError, `got ${err?.constructor?.name} (status ${err?.status}): ${err?.message}`);
	assertEq(err.error?.error?.type, "rate_limit_error", "error body error.type");
	checkBackIn(err, true);
}, LIMIT_MS);

await test("sdk_gemini_route_rate_limited", async (signal) => {
	const err = await routeLimited(() => genai.models.generateContent({
		model: "limited", contents: "x", config: { abortSignal: signal } }));
	assert(err instanceof ApiError, `got ${err?.constructor?.name}: ${err?.message}`);
	assertEq(err.status, 429, "ApiError.status");
	const body = gemError(err);
	assertEq(body?.error?.status, "RESOURCE_EXHAUSTED", `error.status in ${show(err.message)}`);
}, LIMIT_MS);

// ---------------------------------------------------------------- the matrix

const CASES = { openai: openaiCases, anthropic: anthropicCases, gemini: geminiCases };
const SHORT = { openai: "openai", anthropic: "anthropic", gemini: "gemini" };

// Cases that only make sense when client and provider share a dialect.
const SAME_ONLY = new Set(["passthrough"]);
const DIALECT = { oai: "openai", ant: "anthropic", gem: "gemini" };

async function runProvider(p) {
	for (const c of CLIENTS) {
		for (const [name, fn] of Object.entries(CASES[c])) {
			if (SAME_ONLY.has(name) && DIALECT[p] !== c) continue;
			const tag = `${c}-${p}-${name}`;
			await test(`sdk_${SHORT[c]}_to_${p}_${name}`, (signal) => fn(p, tag, signal), LIMIT_MS);
		}
	}
}

await Promise.all(PROVIDERS.map(runProvider));
