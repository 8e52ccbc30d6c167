/*
 * fuzz_retry.c - libFuzzer harness for health.c's retry-hint parsers, and
 * a short breaker state-machine run driven by the same bytes.
 *
 * Input: an optional first line with a status ("429"), then header lines
 * "name: value" up to an empty line, then the body. Header values point
 * into the fuzzer's buffer (never copied or NUL-terminated), so a parser
 * reading past a value is caught by ASan. Every hint must be -1 or within
 * [0, HEALTH_RETRY_MAX_MS]; the low-level parsers are also run on every
 * value and on the whole input. Then the bytes drive health_* calls on
 * three targets with a fake clock, checking that the half-open state
 * admits one trial at a time and that health_ready() agrees with
 * health_admit(). Any violation aborts.
 */
#include "health.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXIN (1 << 16)
#define MAXTOK 512

static jsmntok_t toks[MAXTOK];

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_ms(int64_t v)
{
	check(v == -1 || (v >= 0 && v <= HEALTH_RETRY_MAX_MS));
}

static void parse_all(const char *s, size_t n)
{
	int64_t ms;

	check_ms(health_parse_seconds(s, n));
	check_ms(health_parse_millis(s, n));
	check_ms(health_parse_go_duration(s, n));
	if (health_parse_http_date(s, n, &ms) == 0)
		check(ms >= -2208988800000LL && ms < 253402300801000LL);	/* 1900..9999 */
	if (health_parse_rfc3339(s, n, &ms) == 0)
		check(ms >= -2208988800000LL - 86400000LL && ms < 253402300801000LL + 86400000LL);
}

static size_t line_end(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] != '\n')
		i++;
	return i;
}

static void hints(const char *s, size_t n)
{
	struct http_header h[HTTP_MAX_HEADERS];
	size_t nh = 0, i = 0, e;
	int status = 429;

	/* status line: 3 digits alone */
	e = line_end(s, n, 0);
	if (e == 3 && s[0] >= '1' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9') {
		status = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
		i = e + 1;
	}
	while (i < n) {
		e = line_end(s, n, i);
		if (e == i) {		/* blank line: the body follows */
			i++;
			break;
		}
		const char *colon = memchr(s + i, ':', e - i);
		if (colon && nh < HTTP_MAX_HEADERS) {
			size_t v = (size_t)(colon - s) + 1;
			size_t ve = e;
			while (v < ve && s[v] == ' ')
				v++;
			while (ve > v && s[ve - 1] == ' ')
				ve--;
			h[nh].name = s + i;
			h[nh].name_len = (size_t)(colon - (s + i));
			h[nh].value = s + v;
			h[nh].value_len = ve - v;
			parse_all(h[nh].value, h[nh].value_len);
			nh++;
		}
		i = e + 1;
	}
	const char *body = i <= n ? s + i : NULL;
	size_t blen = i <= n ? n - i : 0;

	check_ms(health_retry_hint(status, h, nh, body, blen, 1730000000, toks, MAXTOK));
	check_ms(health_retry_hint(status, h, nh, body, blen, 0, toks, 4));
	check_ms(health_retry_hint(status, h, nh, body, blen, INT64_MAX, toks, MAXTOK));
	check_ms(health_retry_hint(status, h, nh, NULL, 0, INT64_MIN, NULL, 0));
	/* The hint with and without the body: the body only adds. */
	int64_t with = health_retry_hint(500, h, nh, body, blen, 1730000000, toks, MAXTOK);
	int64_t without = health_retry_hint(500, h, nh, NULL, 0, 1730000000, NULL, 0);
	check(with >= without);
	parse_all(s, n);
}

static void breaker(const uint8_t *d, size_t n)
{
	static const unsigned ids[3] = { 0, 1, 2 };
	int64_t now = 1000000;

	/* A fresh table per input, so a crash reproduces from its input alone. */
	{
		struct health_options o;
		memset(&o, 0, sizeof(o));
		o.failures = 3;
		o.min_requests = 4;
		o.cooldown_ms = 100;
		o.cooldown_max_ms = 1600;
		o.rate_limit_ms = 50;
		o.trial_timeout_ms = 500;
		o.window_ms = 1000;
		o.probe_interval_ms = 300;
		o.probe_interval_open_ms = 100;
		check(health_init(3, &o) == 0);
	}
	for (size_t i = 0; i + 1 < n && i < 512; i += 2) {
		unsigned t = d[i] % 4;		/* 3 is out of range on purpose */
		unsigned op = d[i + 1] % 16;
		int64_t arg = (int64_t)(d[i + 1] >> 4) * 37 - 1;
		now += d[i] >> 2;
		int was_ready = health_ready(t, now);
		enum health_state st = health_state(t, now);
		switch (op) {
		case 0: case 1: case 2: {
			int a = health_admit(t, now);
			check(a == was_ready);
			if (a && st == HEALTH_ST_HALF_OPEN)
				check(!health_admit(t, now) && !health_ready(t, now));
			break;
		}
		case 3: health_success(t, now, arg, arg / 2); break;
		case 4: case 5: case 6:
			health_failure(t, now, (enum health_kind)(d[i + 1] % HEALTH_NKINDS), arg);
			break;
		case 7: health_cancel(t, now); break;
		case 8: health_cool(t, now, arg); break;
		case 9: health_probe_start(t, now); break;
		case 10: health_probe_ok(t, now); break;
		case 11: health_probe_failed(t, now, (enum health_kind)(d[i] % HEALTH_NKINDS), arg); break;
		case 12: {
			int p = health_pick_fallback(ids, 1 + t % 3, now);
			check(p >= -1 && p < (int)(1 + t % 3));
			break;
		}
		case 13: health_reset_credentials(); break;
		default: {
			struct health_info in;
			health_get(t, now, &in);
			check(in.state == health_state(t, now));
			check(in.window_failures <= in.window_requests);
			if (t < 3) {
				check(in.cooldown_ms >= 0 && in.cooldown_ms <= 1600);
				check(health_probe_due(t, now) >= in.cooled_until ||
				      in.state == HEALTH_ST_CRED_BAD);
			}
			break;
		}
		}
		if (t < 3 && health_state(t, now) == HEALTH_ST_CRED_BAD)
			check(!health_ready(t, now));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAXIN)
		return 0;
	hints((const char *)data, size);
	breaker(data, size);
	return 0;
}
