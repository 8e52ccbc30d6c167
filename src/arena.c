/*
 * arena.c - see arena.h.
 */
#include <stdlib.h>
#include <string.h>
#include "arena.h"

#define CHUNK_MIN 16384		/* most configurations fit in one or two */

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (!a->head || a->head->size - a->head->used < n) {
		size_t sz = n > CHUNK_MIN ? n : CHUNK_MIN;
		struct arena_chunk *c = malloc(sizeof *c + sz);
		if (!c)
			return NULL;
		c->next = a->head;
		c->size = sz;
		c->used = 0;
		a->head = c;
		a->total += sizeof *c + sz;
	}
	void *p = a->head->data + a->head->used;
	a->head->used += n;
	memset(p, 0, n);
	return p;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		/* explicit_bzero: a plain memset before free() may be dropped
		 * as dead; the rest of the chunk was never written */
		explicit_bzero(c->data, c->used);
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}
