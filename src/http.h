/*
 * http.h - incremental, zero-copy HTTP/1.1 parsing: request heads, response
 * heads, chunked bodies (decoded in place) and Server-Sent Events framing.
 *
 * Contract (after picohttpparser): every parser takes the caller's buffer and
 * its length and returns the number of bytes consumed (>0), HTTP_INCOMPLETE
 * (-2) when more input is needed, or HTTP_BAD (-1) when the input is
 * malformed. Parsed strings point into the caller's buffer; nothing is copied
 * or allocated. Head parsers take last_len, the length already seen by the
 * previous (incomplete) call on the same buffer, so a head arriving in many
 * small reads is not rescanned from the start. Nothing here blocks or keeps
 * global state; all state lives in caller-owned structs.
 */
#ifndef LLMGW_HTTP_H
#define LLMGW_HTTP_H

#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include "util.h"

#define HTTP_BAD (-1)
#define HTTP_INCOMPLETE (-2)
#define HTTP_TOO_MANY_HEADERS (-3)	/* http_parse_request only: answer 431 */
/* Header fields a parsed head holds: the limit on a request head is its
 * size in bytes (the caller's buffer); this is only a backstop past the
 * hundred or so fields a browser with cookies or an SDK sends. */
#define HTTP_MAX_HEADERS 128

struct http_header {
	const char *name;
	size_t name_len;
	const char *value;	/* leading and trailing blanks stripped */
	size_t value_len;
};

struct http_request {
	const char *method;
	size_t method_len;
	const char *target;	/* request-target as sent: path and query */
	size_t target_len;
	int minor_version;	/* 0 or 1 for HTTP/1.x */
	size_t num_headers;
	struct http_header headers[HTTP_MAX_HEADERS];
};

struct http_response {
	int minor_version;
	int status;
	const char *reason;
	size_t reason_len;
	size_t num_headers;
	struct http_header headers[HTTP_MAX_HEADERS];
};

/* Returns the head's length including the final CRLFCRLF (or LFLF), HTTP_BAD
 * or HTTP_INCOMPLETE. More than HTTP_MAX_HEADERS headers in an otherwise
 * complete head is HTTP_TOO_MANY_HEADERS for a request (a 431, as for a
 * head over the byte limit) and HTTP_BAD for a response. Bare
 * LF line ends are accepted; obsolete line folding, NUL and other control
 * bytes in names or values, a space before the colon, and a request line
 * other than "METHOD SP target SP HTTP/1.x" are HTTP_BAD. One empty line
 * before a request line is skipped (and counted in the result). A response
 * status line is "HTTP/1.x SP 3DIGIT [SP reason]", status >= 100. Only
 * HTTP/1.0 and HTTP/1.1 are accepted. On HTTP_BAD or HTTP_INCOMPLETE the
 * struct's fields other than num_headers (0) are unspecified. */
int http_parse_request(const char *buf, size_t len, size_t last_len, struct http_request *req);
int http_parse_response(const char *buf, size_t len, size_t last_len, struct http_response *res);
/* The first phase of http_parse_request alone: the length of the request
 * head in buf, HTTP_INCOMPLETE, or HTTP_BAD when the bytes so far cannot
 * start a request line. Nothing is tokenized, so it is cheap to call on
 * every read of a head arriving in pieces (with last_len as above). */
int http_request_head_end(const char *buf, size_t len, size_t last_len);
/* RFC 9112 3.2: an HTTP/1.1 request has exactly one Host field, an HTTP/1.0
 * one at most, and its value is a host[:port] (no blanks, slashes or the
 * like; empty is allowed). 1 when the request meets that, else 0. */
int http_request_host_ok(const struct http_request *req);

/* Case-insensitive header lookup; NULL when absent (first match). */
const struct http_header *http_find_header(const struct http_header *h, size_t n, const char *name);
/* Case-insensitive comparison of a counted string with a C string. Inline
 * so that strlen of a literal is a constant: most header names differ in
 * length, and those cost one comparison. */
static inline int http_token_eq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && ascii_eq_nocase(s, lit, len);
}
/* Whether s[0..len) starts with lit, case-insensitively. */
static inline int http_token_prefix(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	return len >= n && ascii_eq_nocase(s, lit, n);
}
/* Whether a comma-separated header value list contains token (case-insensitive),
 * e.g. http_list_has(v, vlen, "chunked") or "close". */
int http_list_has(const char *v, size_t len, const char *token);

/* What the headers say about the body that follows. */
enum http_body_kind { HTTP_BODY_NONE, HTTP_BODY_LENGTH, HTTP_BODY_CHUNKED, HTTP_BODY_UNTIL_CLOSE };
struct http_body_info {
	enum http_body_kind kind;
	unsigned long long length;	/* for HTTP_BODY_LENGTH */
	int keep_alive;			/* connection persists after this message */
	int expect_continue;		/* request only: "Expect: 100-continue" */
};
/* For a request: Transfer-Encoding other than exactly "chunked", both
 * Transfer-Encoding and Content-Length, several differing Content-Length
 * values, or a non-numeric Content-Length is HTTP_BAD (request smuggling);
 * no body headers means HTTP_BODY_NONE. Returns 0 or HTTP_BAD.
 * Content-Length is 1*DIGIT (below 2^62); "Content-Length: 0" gives
 * HTTP_BODY_LENGTH with length 0. Transfer-Encoding in an HTTP/1.0 request
 * is HTTP_BAD. keep_alive: HTTP/1.1 unless "Connection: close"; HTTP/1.0
 * only with "Connection: keep-alive". expect_continue only for HTTP/1.1. */
int http_request_body_info(const struct http_request *req, struct http_body_info *out);
/* For a response to a request with method_is_head: 1xx, 204, 304 and HEAD
 * responses have no body; with neither length nor chunked, the body runs
 * until the connection closes (keep_alive 0). Returns 0 or HTTP_BAD.
 * Transfer-Encoding other than exactly "chunked", or a bad or conflicting
 * Content-Length, is HTTP_BAD; chunked together with Content-Length is
 * decoded as chunked with keep_alive forced to 0 (RFC 9112 6.3). */
int http_response_body_info(const struct http_response *res, int method_is_head, struct http_body_info *out);

/* Chunked transfer decoding in place. Initialise with memset 0. Feed it the
 * buffer region that holds not-yet-decoded bytes: *len in, decoded length
 * out (the decoded bytes are compacted to the start of buf). Returns
 * HTTP_INCOMPLETE while the body continues, HTTP_BAD on malformed framing
 * or a chunk size over 2^40, or, once the terminating chunk and trailers
 * are consumed, the number of bytes left over after the body (which stay
 * right after the decoded data in buf, moved to buf + *len). Decoding
 * resumes across calls at any byte boundary. Chunk extensions are ignored
 * and trailer fields consumed and dropped (at most HTTP_MAX_HEADERS).
 * Framing lines (size lines, the CRLF after data, trailers) must end in
 * CRLF: bare LF or CR there is HTTP_BAD, as is a chunk-size with no hex
 * digit. Once done, a further call returns all of *len as leftover. */
struct http_chunked {
	unsigned long long remaining;	/* bytes left in the current chunk */
	int state;
	int trailer_lines;
};
ssize_t http_chunked_decode(struct http_chunked *d, char *buf, size_t *len);

/* Server-Sent Events: finds the first complete event in buf. An event ends
 * at a blank line; lines end with \n, \r\n or \r, so separators are \n\n,
 * \r\r or \r\n\r\n. Returns the bytes the event spans (including its blank
 * line) or HTTP_INCOMPLETE; never HTTP_BAD (any bytes are a valid stream).
 * The fields point into buf: event is the last "event:" value (NULL when
 * none); data is the "data:" value when the event has exactly one data line
 * (data_lines counts them; with several, the caller walks the raw span);
 * a comment-only event (": ping") has data_lines 0 and event NULL. One
 * optional space after the colon is removed, as the SSE spec says. A line
 * without a colon is a field name with an empty value; "id", "retry" and
 * unknown fields are ignored; field names are case-sensitive.
 * A CR that is the last byte of buf: after a field line the event still
 * needs its blank line, so the result is HTTP_INCOMPLETE; as the blank line
 * itself it completes the event at once. If a LF then follows, the next
 * call returns it as a one-byte event with no fields (data_lines 0, event
 * NULL), which callers skip like a comment. A UTF-8 BOM at the very start
 * of a stream is not stripped (the caller knows where the stream starts). */
struct sse_event {
	const char *event;
	size_t event_len;
	const char *data;
	size_t data_len;
	unsigned data_lines;
};
int sse_next(const char *buf, size_t len, struct sse_event *ev);
/* Walks the data lines of an event span returned by sse_next: start with
 * *pos = 0; each call points *data (and *data_len) at the next "data"
 * value and returns 1, or returns 0 when there are no more. The SSE spec
 * joins them with "\n". */
int sse_data_line(const char *span, size_t span_len, size_t *pos, const char **data, size_t *data_len);

#endif
