/*
 * xlate.c - glue between a provider dialect's stream decoder and a client
 * dialect's stream encoder (dialect.h), and the dialect lookup: the one
 * place besides api.c that names a dialect's table, so a dialect switched
 * off in options.h is never linked (config.c refuses its provider type,
 * api.c answers its endpoints with "not in this build").
 */
#include <string.h>
#include <time.h>
#include "dialect.h"
#include "options.h"

const struct dialect_ops *dialect_get(enum dialect d)
{
	switch (d) {
	case DIALECT_OPENAI: return &dialect_openai;
#if LLMGW_DIALECT_ANTHROPIC
	case DIALECT_ANTHROPIC: return &dialect_anthropic;
#endif
#if LLMGW_DIALECT_GEMINI
	case DIALECT_GEMINI: return &dialect_gemini;
#endif
	default: break;	/* a dialect left out of this build (options.h) */
	}
	return NULL;
}

void xlate_begin(struct xlate_stream *s, const struct dialect_ops *from, const struct dialect_ops *to,
		 jsmntok_t *tok, int maxtok, char *scratch, size_t scratch_cap, const char *model, int sse)
{
	memset(s, 0, sizeof *s);
	s->from = from;
	s->to = to;
	s->tok = tok;
	s->maxtok = maxtok;
	s->scratch = scratch;
	s->scratch_cap = scratch_cap;
	s->model = model;
	s->created = (long long)time(NULL);
	s->sse = sse;
}

static void sink_encode(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o)
{
	(void)s;
	(void)ev;
	(void)o;
}

const struct dialect_ops dialect_sink = { .name = "sink", .encode_event = sink_encode };

void xlate_emit(struct xlate_stream *s, const struct ir_event *ev)
{
	if (s->ended || s->failed)
		return;
	s->last_kinds |= 1u << ev->kind;
	switch (ev->kind) {
	case EV_TEXT: case EV_THINKING: case EV_TOOL_START: case EV_TOOL_ARGS:
		s->content_events++;
		s->content_bytes += ev->text.n;
		break;
	case EV_USAGE:
		s->usage = ev->usage;
		break;
	case EV_FINISH:
		s->finish = ev->finish;
		break;
	case EV_ERROR:
		s->failed = 1;
		break;
	case EV_END:
		s->ended = 1;
		break;
	}
	s->events_out++;
	s->to->encode_event(s, ev, s->out);
}

int xlate_event(struct xlate_stream *s, const struct sse_event *ev, struct json_out *out)
{
	s->out = out;
	s->last_kinds = 0;
	return s->from->decode_event(s, ev);
}

void xlate_end(struct xlate_stream *s, struct json_out *out)
{
	s->out = out;
	if (!s->ended && !s->failed && !s->from->end_marker) {
		struct ir_event ev;
		memset(&ev, 0, sizeof ev);
		ev.kind = EV_END;
		xlate_emit(s, &ev);
	}
}
