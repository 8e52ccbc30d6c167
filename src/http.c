/*
 * http.c - HTTP/1.1 message framing for llmgw: request and response heads,
 * what the headers say about the body, in-place chunked decoding and
 * Server-Sent Events framing.
 *
 * Ownership: nothing is allocated or copied; every pointer handed back
 * points into the caller's buffer, and all resumable state lives in
 * caller-owned structs (struct http_chunked). Nothing here blocks, does I/O
 * or keeps global state.
 *
 * Head parsers work in two phases, as picohttpparser does: first find the
 * end of the head (resuming from the previous call's last_len so a head that
 * arrives in small reads is scanned only once), then tokenize it, and only
 * once it is complete. Tokenizing is strict where a lax parser lets a
 * request be read two ways by two hops (request smuggling): no obs-fold, no
 * control bytes, no space before the colon, an exact request line.
 */
#include "http.h"
#include "util.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

/* RFC 9110 tchar: the bytes allowed in a method or a field name. */
static int is_tchar(unsigned char c)
{
	/* A bit per ASCII byte (one load, no search): ALPHA, DIGIT and
	 * !#$%&'*+-.^_`|~ . */
	static const uint8_t map[16] = { 0x00, 0x00, 0x00, 0x00, 0xfa, 0x6c, 0xff, 0x03, 0xfe, 0xff, 0xff, 0xc7, 0xff, 0xff, 0xff, 0x57 };
	return c < 128 && (map[c >> 3] >> (c & 7)) & 1;
}

/* Field values and reason phrases: HTAB, SP, VCHAR and obs-text. */
static int is_vbyte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Looks for the blank line that ends a head: a LF followed by LF or CRLF
 * (so "\r\n\r\n", "\n\n" and "\n\r\n" all end it). The previous call saw
 * last_len bytes without finding it, so a terminator can only end at or
 * after last_len: it is at most 3 bytes long, so scanning resumes 3 bytes
 * before. Returns the head length or 0 when the end is not there yet.
 */
static size_t find_head_end(const char *buf, size_t len, size_t from, size_t last_len)
{
	size_t i = last_len > from + 3 ? last_len - 3 : from;

	for (; i < len; i++) {
		const char *nl = memchr(buf + i, '\n', len - i);
		if (nl == NULL)
			return 0;
		i = (size_t)(nl - buf);
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/*
 * Returns the length of the line at p (excluding its terminator) and sets
 * *next to the byte after the terminator. The head is complete, so every
 * line ends with LF before end; a CR not followed by LF is a bare CR, which
 * the value checks reject, so here it simply stays inside the line.
 */
static size_t line_len(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	/* find_head_end guarantees a LF; be defensive anyway. */
	if (nl == NULL) {
		*next = end;
		return (size_t)(end - p);
	}
	*next = nl + 1;
	if (nl > p && nl[-1] == '\r')
		nl--;
	return (size_t)(nl - p);
}

/* Parses header lines from p up to and including the empty line at end:
 * 0, HTTP_BAD, or HTTP_TOO_MANY_HEADERS when h[] is full before the end. */
static int parse_headers(const char *p, const char *end, struct http_header *h, size_t *num)
{
	size_t n = 0;

	for (;;) {
		const char *next;
		size_t ll = line_len(p, end, &next);
		size_t i = 0, vs, ve;

		if (ll == 0)
			break;	/* the blank line that ends the head */
		if (n == HTTP_MAX_HEADERS)
			return HTTP_TOO_MANY_HEADERS;
		/* A leading blank is obs-fold (or a blank-started first line):
		 * rejected, because hops disagree about what it continues. */
		while (i < ll && is_tchar((unsigned char)p[i]))
			i++;
		if (i == 0 || i == ll || p[i] != ':')
			return HTTP_BAD;
		h[n].name = p;
		h[n].name_len = i;
		for (vs = i + 1; vs < ll; vs++)
			if (!is_vbyte((unsigned char)p[vs]))
				return HTTP_BAD;
		vs = i + 1;
		while (vs < ll && is_blank(p[vs]))
			vs++;
		ve = ll;
		while (ve > vs && is_blank(p[ve - 1]))
			ve--;
		h[n].value = p + vs;
		h[n].value_len = ve - vs;
		n++;
		p = next;
	}
	*num = n;
	return 0;
}

/* "HTTP/1.0" or "HTTP/1.1": sets *minor, returns 0, else HTTP_BAD. */
static int parse_version(const char *p, size_t n, int *minor)
{
	if (n != 8 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1'))
		return HTTP_BAD;
	*minor = p[7] - '0';
	return 0;
}

static size_t clamp_len(size_t len)
{
	/* Results are ints; no real head comes close, so just never look
	 * past what an int can report. */
	return len > (size_t)INT_MAX ? (size_t)INT_MAX : len;
}

int http_request_head_end(const char *buf, size_t len, size_t last_len)
{
	size_t skip = 0, head;

	len = clamp_len(len);
	if (last_len > len)
		last_len = 0;
	/* RFC 9112 2.2: ignore one empty line before the request line (some
	 * clients send a stray CRLF after a body). */
	if (len >= 1 && buf[0] == '\n') {
		skip = 1;
	} else if (len >= 1 && buf[0] == '\r') {
		if (len < 2)
			return HTTP_INCOMPLETE;
		if (buf[1] != '\n')
			return HTTP_BAD;
		skip = 2;
	}
	/* Cheap early out so binary garbage (a TLS hello on the plain port)
	 * fails now rather than when the buffer fills. */
	if (len > skip && !is_tchar((unsigned char)buf[skip]))
		return HTTP_BAD;
	head = find_head_end(buf, len, skip, last_len);
	return head ? (int)head : HTTP_INCOMPLETE;
}

int http_parse_request(const char *buf, size_t len, size_t last_len, struct http_request *req)
{
	size_t ll, i, t;
	const char *p, *end, *next;
	int head;

	req->num_headers = 0;
	head = http_request_head_end(buf, len, last_len);
	if (head < 0)
		return head;

	/* the empty line http_request_head_end skipped: LF or CRLF */
	p = buf + (buf[0] == '\n' ? 1 : buf[0] == '\r' ? 2 : 0);
	end = buf + head;
	ll = line_len(p, end, &next);
	/* METHOD SP target SP HTTP/1.x, each separated by exactly one SP. */
	for (i = 0; i < ll && is_tchar((unsigned char)p[i]); i++)
		;
	if (i == 0 || i == ll || p[i] != ' ')
		return HTTP_BAD;
	req->method = p;
	req->method_len = i;
	t = ++i;
	while (i < ll && (unsigned char)p[i] > 0x20 && (unsigned char)p[i] < 0x7f)
		i++;
	if (i == t || i == ll || p[i] != ' ')
		return HTTP_BAD;
	req->target = p + t;
	req->target_len = i - t;
	i++;
	if (parse_version(p + i, ll - i, &req->minor_version) != 0)
		return HTTP_BAD;
	/* parse_headers sets num_headers only on success: it stays 0. */
	int r = parse_headers(next, end, req->headers, &req->num_headers);
	return r ? r : head;
}

int http_parse_response(const char *buf, size_t len, size_t last_len, struct http_response *res)
{
	size_t head, ll, i;
	const char *p, *next;

	res->num_headers = 0;
	len = clamp_len(len);
	if (last_len > len)
		last_len = 0;
	if (len == 0)
		return HTTP_INCOMPLETE;
	/* Early out on anything that cannot become "HTTP/1.". */
	if (memcmp(buf, "HTTP/1.", len < 7 ? len : 7) != 0)
		return HTTP_BAD;
	head = find_head_end(buf, len, 0, last_len);
	if (head == 0)
		return HTTP_INCOMPLETE;

	p = buf;
	ll = line_len(p, buf + head, &next);
	/* HTTP/1.x SP 3DIGIT [SP reason]: a missing reason (and even its SP)
	 * is common enough from real servers to accept. */
	if (ll < 12 || parse_version(p, 8, &res->minor_version) != 0 || p[8] != ' ')
		return HTTP_BAD;
	for (i = 9; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return HTTP_BAD;
	res->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (res->status < 100)
		return HTTP_BAD;
	if (ll == 12) {
		res->reason = p + 12;
		res->reason_len = 0;
	} else {
		if (p[12] != ' ')
			return HTTP_BAD;
		for (i = 13; i < ll; i++)
			if (!is_vbyte((unsigned char)p[i]))
				return HTTP_BAD;
		res->reason = p + 13;
		res->reason_len = ll - 13;
	}
	return parse_headers(next, buf + head, res->headers, &res->num_headers) != 0 ? HTTP_BAD : (int)head;
}

int http_request_host_ok(const struct http_request *req)
{
	const struct http_header *host = NULL;

	for (size_t i = 0; i < req->num_headers; i++) {
		if (!http_token_eq(req->headers[i].name, req->headers[i].name_len, "host"))
			continue;
		if (host)
			return 0;	/* two: which one names the server? */
		host = &req->headers[i];
	}
	if (!host)
		return req->minor_version == 0;
	/* uri-host [ ":" port ]: a reg-name, an IPv4 address or an
	 * IP-literal in brackets; no blank, '/', '@' or other delimiter. */
	for (size_t i = 0; i < host->value_len; i++) {
		unsigned char c = (unsigned char)host->value[i];
		if (!is_tchar(c) && !memchr(":[](),;=", c, 8))
			return 0;
	}
	return 1;
}

const struct http_header *http_find_header(const struct http_header *h, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (h[i].name_len == nl && ascii_eq_nocase(h[i].name, name, nl))
			return &h[i];
	return NULL;
}

int http_list_has(const char *v, size_t len, const char *token)
{
	size_t i = 0, tl = strlen(token);

	while (i < len) {
		size_t s, e;

		while (i < len && (is_blank(v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		e = i;
		while (e > s && is_blank(v[e - 1]))
			e--;
		if (e > s && e - s == tl && ascii_eq_nocase(v + s, token, tl))
			return 1;
	}
	return 0;
}

/* Content-Length: 1*DIGIT, no sign, no blanks inside, no list, no
 * overflow (capped below 2^62, far beyond any body we would accept). */
static int parse_length(const char *v, size_t n, unsigned long long *out)
{
	unsigned long long x = 0;
	size_t i;

	if (n == 0)
		return HTTP_BAD;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return HTTP_BAD;
		/* checked before multiplying, so x never wraps */
		if (x > ((1ULL << 62) - 9) / 10)
			return HTTP_BAD;
		x = x * 10 + (unsigned long long)(v[i] - '0');
	}
	*out = x;
	return 0;
}

/* The framing headers of either kind of message, checked the same way. */
struct framing {
	int te;		/* Transfer-Encoding headers seen */
	int te_chunked;	/* ... and it was exactly one, "chunked" */
	int cl;		/* Content-Length headers seen */
	unsigned long long length;
	int keep_alive;
	int expect_continue;
};

static int scan_framing(const struct http_header *h, size_t n, int minor, struct framing *f)
{
	int conn_close = 0, conn_keep = 0;
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < n; i++) {
		const char *v = h[i].value, *nm = h[i].name;
		size_t vl = h[i].value_len;

		/* The name's length picks the one candidate to compare. */
		switch (h[i].name_len) {
		case 17:
			if (!ascii_eq_nocase(nm, "transfer-encoding", 17))
				break;
			f->te++;
			/* Two TE headers, a list, or anything but chunked:
			 * we cannot frame it the way another hop would. */
			f->te_chunked = f->te == 1 && vl == 7 && ascii_eq_nocase(v, "chunked", 7);
			break;
		case 14: {
			unsigned long long x;
			if (!ascii_eq_nocase(nm, "content-length", 14))
				break;
			if (parse_length(v, vl, &x) != 0)
				return HTTP_BAD;
			if (f->cl && x != f->length)
				return HTTP_BAD;
			f->cl++;
			f->length = x;
			break;
		}
		case 10:
			if (!ascii_eq_nocase(nm, "connection", 10))
				break;
			conn_close |= http_list_has(v, vl, "close");
			conn_keep |= http_list_has(v, vl, "keep-alive");
			break;
		case 6:
			if (ascii_eq_nocase(nm, "expect", 6))
				f->expect_continue = vl == 12 && ascii_eq_nocase(v, "100-continue", 12);
			break;
		}
	}
	if (conn_close)
		f->keep_alive = 0;
	else
		f->keep_alive = minor >= 1 || conn_keep;
	return 0;
}

/* Both kinds of message: a request (req) or a response, which has no body
 * at all when no_body (HEAD, 1xx, 204, 304). On HTTP_BAD *out is as far as
 * it got, exactly as each check leaves it. */
static int body_info(const struct http_header *h, size_t n, int minor, int req, int no_body,
		     struct http_body_info *out)
{
	struct framing f;

	memset(out, 0, sizeof(*out));
	if (scan_framing(h, n, minor, &f) != 0)
		return HTTP_BAD;
	if (req) {
		/* TE and CL together, TE other than chunked, or TE in HTTP/1.0
		 * (which has no chunked coding): the classic smuggling vectors. */
		if (f.te && (!f.te_chunked || f.cl || minor == 0))
			return HTTP_BAD;
		/* RFC 9110 10.1.1: ignore 100-continue from an HTTP/1.0 client. */
		out->expect_continue = f.expect_continue && minor >= 1;
	}
	out->keep_alive = f.keep_alive;
	if (no_body)
		return 0;	/* HTTP_BODY_NONE */
	if (f.te) {
		/* We never ask for other codings, so any other TE is a
		 * body we cannot find the end of. */
		if (!f.te_chunked)
			return HTTP_BAD;
		out->kind = HTTP_BODY_CHUNKED;
		/* RFC 9112 6.3: TE wins over CL, but the connection cannot
		 * be trusted for another message afterwards (a request with
		 * both never gets here). */
		if (f.cl)
			out->keep_alive = 0;
	} else if (f.cl) {
		out->kind = HTTP_BODY_LENGTH;
		out->length = f.length;
	} else if (!req) {
		out->kind = HTTP_BODY_UNTIL_CLOSE;
		out->keep_alive = 0;
	}
	return 0;
}

int http_request_body_info(const struct http_request *req, struct http_body_info *out)
{
	return body_info(req->headers, req->num_headers, req->minor_version, 1, 0, out);
}

int http_response_body_info(const struct http_response *res, int method_is_head, struct http_body_info *out)
{
	int st = res->status;

	return body_info(res->headers, res->num_headers, res->minor_version, 0,
			 method_is_head || (st >= 100 && st < 200) || st == 204 || st == 304, out);
}

/*
 * Chunked decoding: a byte-at-a-time state machine over the framing, with
 * chunk data moved in bulk. Every input byte is consumed on each call (the
 * state remembers where inside a line we are), which is what lets a call
 * end at any byte. Framing lines must end in CRLF: the bare-LF leniency of
 * heads is exactly where parsers disagree about chunk boundaries.
 */
enum {
	CH_SIZE0,	/* start of a chunk-size line, want a hex digit */
	CH_SIZE,	/* in the hex digits */
	CH_SIZE_WS,	/* blanks after the size (BWS before ';') */
	CH_EXT,		/* in ";ext=..." up to CR, ignored */
	CH_SIZE_LF,	/* CR of the size line seen, want LF */
	CH_DATA,	/* in chunk data, remaining bytes to go */
	CH_DATA_CR,	/* after the data, want CR */
	CH_DATA_LF,	/* want LF */
	CH_TRAILER0,	/* start of a trailer line or of the final CRLF */
	CH_TRAILER_NAME,
	CH_TRAILER_VAL,
	CH_TRAILER_LF,
	CH_END_LF,	/* CR of the final empty line seen, want LF */
	CH_DONE,
	CH_BAD
};

#define CHUNK_MAX (1ULL << 40)


ssize_t http_chunked_decode(struct http_chunked *d, char *buf, size_t *len)
{
	size_t r = 0, w = 0, n = *len;

	while (r < n && d->state != CH_DONE && d->state != CH_BAD) {
		unsigned char c = (unsigned char)buf[r];
		int hv;

		if (d->state == CH_DATA) {
			size_t take = n - r;
			if ((unsigned long long)take > d->remaining)
				take = (size_t)d->remaining;
			memmove(buf + w, buf + r, take);
			w += take;
			r += take;
			d->remaining -= take;
			if (d->remaining == 0)
				d->state = CH_DATA_CR;
			continue;
		}
		r++;
		switch (d->state) {
		case CH_SIZE0:
		case CH_SIZE:
			hv = hex_digit(c);
			if (hv >= 0) {
				d->remaining = d->remaining * 16 + (unsigned)hv;
				d->state = d->remaining > CHUNK_MAX ? CH_BAD : CH_SIZE;
			} else if (d->state == CH_SIZE0) {
				d->state = CH_BAD;
			} else if (c == ';') {
				d->state = CH_EXT;
			} else if (is_blank((char)c)) {
				d->state = CH_SIZE_WS;
			} else if (c == '\r') {
				d->state = CH_SIZE_LF;
			} else {
				d->state = CH_BAD;
			}
			break;
		case CH_SIZE_WS:
			if (c == ';')
				d->state = CH_EXT;
			else if (c == '\r')
				d->state = CH_SIZE_LF;
			else if (!is_blank((char)c))
				d->state = CH_BAD;
			break;
		case CH_EXT:
			if (c == '\r')
				d->state = CH_SIZE_LF;
			else if (!is_vbyte(c))
				d->state = CH_BAD;
			break;
		case CH_SIZE_LF:
			if (c != '\n')
				d->state = CH_BAD;
			else
				d->state = d->remaining ? CH_DATA : CH_TRAILER0;
			break;
		case CH_DATA_CR:
			d->state = c == '\r' ? CH_DATA_LF : CH_BAD;
			break;
		case CH_DATA_LF:
			d->state = c == '\n' ? CH_SIZE0 : CH_BAD;
			break;
		case CH_TRAILER0:
			if (c == '\r') {
				d->state = CH_END_LF;
			} else if (is_tchar(c) && d->trailer_lines < HTTP_MAX_HEADERS) {
				d->trailer_lines++;
				d->state = CH_TRAILER_NAME;
			} else {
				d->state = CH_BAD;	/* obs-fold, junk, too many */
			}
			break;
		case CH_TRAILER_NAME:
			if (c == ':')
				d->state = CH_TRAILER_VAL;
			else if (!is_tchar(c))
				d->state = CH_BAD;
			break;
		case CH_TRAILER_VAL:
			if (c == '\r')
				d->state = CH_TRAILER_LF;
			else if (!is_vbyte(c))
				d->state = CH_BAD;
			break;
		case CH_TRAILER_LF:
			d->state = c == '\n' ? CH_TRAILER0 : CH_BAD;
			break;
		case CH_END_LF:
			d->state = c == '\n' ? CH_DONE : CH_BAD;
			break;
		default:
			d->state = CH_BAD;
			break;
		}
	}
	if (d->state == CH_BAD) {
		*len = w;
		return HTTP_BAD;
	}
	if (d->state != CH_DONE) {
		*len = w;
		return HTTP_INCOMPLETE;
	}
	/* The leftover (the next message, on a kept-alive connection) goes
	 * right after the decoded data so the caller finds it at buf + *len. */
	memmove(buf + w, buf + r, n - r);
	*len = w;
	return (ssize_t)(n - r);
}

/*
 * SSE. A line ends at LF, CRLF or CR. The one ambiguous spot is a CR that
 * is the last byte of buf, since a LF may follow in the next read:
 *  - after a field line, it does not matter: the event still needs a blank
 *    line, which has not arrived, so the answer is INCOMPLETE either way;
 *  - as the blank line itself, the event is complete whatever follows, so
 *    it is returned at once (no waiting for a byte that may take the whole
 *    next event to arrive). If a LF does follow, the next call sees it as
 *    an empty line on its own: a one-byte event with no fields
 *    (data_lines 0, event NULL), which callers skip like a comment, and
 *    which the SSE spec also dispatches as nothing.
 */
static int sse_line(const char *p, size_t avail, size_t *ll, size_t *adv)
{
	size_t i;

	for (i = 0; i < avail; i++) {
		if (p[i] == '\n') {
			*ll = i;
			*adv = i + 1;
			return 1;
		}
		if (p[i] == '\r') {
			*ll = i;
			*adv = (i + 1 < avail && p[i + 1] == '\n') ? i + 2 : i + 1;
			return 1;
		}
	}
	return 0;
}

/* Splits a field line into name and value (one leading SP removed). */
static void sse_field(const char *p, size_t ll, size_t *nl, const char **v, size_t *vl)
{
	const char *colon = memchr(p, ':', ll);

	if (colon == NULL) {
		*nl = ll;
		*v = p + ll;
		*vl = 0;
		return;
	}
	*nl = (size_t)(colon - p);
	*v = colon + 1;
	*vl = ll - *nl - 1;
	if (*vl > 0 && **v == ' ') {
		(*v)++;
		(*vl)--;
	}
}

int sse_next(const char *buf, size_t len, struct sse_event *ev)
{
	size_t pos = 0;

	memset(ev, 0, sizeof(*ev));
	len = clamp_len(len);
	while (pos < len) {
		size_t ll, adv, nl, vl;
		const char *v;

		if (!sse_line(buf + pos, len - pos, &ll, &adv))
			break;
		pos += adv;
		if (ll == 0)
			return (int)pos;
		sse_field(buf + pos - adv, ll, &nl, &v, &vl);
		if (nl == 0)
			continue;	/* comment */
		/* Field names are case-sensitive in SSE. */
		if (nl == 4 && memcmp(buf + pos - adv, "data", 4) == 0) {
			if (ev->data_lines++ == 0) {
				ev->data = v;
				ev->data_len = vl;
			}
		} else if (nl == 5 && memcmp(buf + pos - adv, "event", 5) == 0) {
			ev->event = v;
			ev->event_len = vl;
		}
		/* id, retry and unknown fields are ignored. */
	}
	memset(ev, 0, sizeof(*ev));
	return HTTP_INCOMPLETE;
}

int sse_data_line(const char *span, size_t span_len, size_t *pos, const char **data, size_t *data_len)
{
	while (*pos < span_len) {
		const char *p = span + *pos;
		size_t ll, adv, nl, vl;
		const char *v;

		if (!sse_line(p, span_len - *pos, &ll, &adv)) {
			ll = span_len - *pos;
			adv = ll;
		}
		*pos += adv;
		if (ll == 0)
			return 0;
		sse_field(p, ll, &nl, &v, &vl);
		if (nl == 4 && memcmp(p, "data", 4) == 0) {
			*data = v;
			*data_len = vl;
			return 1;
		}
	}
	return 0;
}
