/*
 * arena.h - a grow-only allocator for data that lives as long as one
 * loaded configuration: a chain of malloc'd chunks, freed all at once.
 *
 * The arena owns every block it hands out; there is no per-block free.
 * arena_free() wipes what was written (configurations hold provider keys)
 * before it frees the chunks. Allocation calls malloc: start-up and reload
 * only, never the request path. Nothing blocks.
 */
#ifndef LLMGW_ARENA_H
#define LLMGW_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;	/* newest chunk; NULL: nothing allocated */
	size_t total;			/* bytes malloc'd for the chunks */
};

/* n bytes, zeroed, 16-byte aligned, valid until arena_free(); NULL when
 * malloc fails (the arena stays usable). An empty arena is all zeros. */
void *arena_alloc(struct arena *a, size_t n);
/* Wipes and frees every chunk; the arena is empty again. */
void arena_free(struct arena *a);

#endif
