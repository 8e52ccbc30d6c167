/*
 * alloc_static.c - a small malloc for the static musl builds, in place of
 * musl's mallocng (about 8.7 KB of aarch64 code that llmgw does not need:
 * it allocates at start-up and on reload, single-threaded, and nothing on
 * the request path but page-aligned pool blocks).
 *
 * The allocator is always compiled, as alloc_* functions (so the native
 * unit test runs it under ASan without replacing the process's malloc);
 * malloc, free, calloc, realloc, aligned_alloc, posix_memalign and
 * malloc_usable_size are defined only when LLMGW_OWN_MALLOC is set, which
 * port/toolchain/musl.mk does. Glibc and sanitizer builds keep their own.
 *
 * Small requests (block with its header up to 4 KB): power-of-two blocks
 * with a one-word header (the size class) before the pointer, carved in
 * order from 64 KB anonymous mappings, one free list per class; freed
 * blocks are reused, never returned to the kernel. Packing every class into
 * the same chunk keeps idle RSS to the pages really used, which matters
 * with 16 KB and 64 KB pages. Everything else, and every alignment above
 * the header's, gets its own mapping, found on free through a list of
 * descriptors (small blocks) and unmapped. Large pointers are always
 * 4096-aligned and small ones never are (chunks are page-aligned and every
 * block size a multiple of 32, so a small pointer is HDR past a multiple of
 * 32): that is how free tells them apart without reading before a
 * page-aligned pointer.
 *
 * Not thread-safe (llmgw is single-threaded). Nothing here blocks; uses
 * only mmap, munmap, memset and memcpy, none of which allocates.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc_static.h"

/* The header keeps user pointers aligned for any type (16 bytes on
 * 64-bit targets, 8 on mipsel). */
#define HDR _Alignof(max_align_t)
#define MIN_SHIFT 5		/* smallest block: 32 bytes */
#define MAX_SHIFT 12		/* largest: 4 KB, header included */
#define TAG 4096		/* large pointers are aligned to this, small ones never */
#define CHUNK 65536		/* small blocks are carved from mappings this big */
#define FREED 0x80		/* in a free block's header: catches double frees */

struct big {			/* one per large block, itself a small block */
	struct big *next;
	char *user, *base;
	size_t len;
};

static void *bins[MAX_SHIFT + 1];	/* free list per class shift */
static char *cur, *end;		/* the unused rest of the current chunk */
static struct big *bigs;

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static size_t *hdr(void *p)
{
	return (size_t *)((char *)p - HDR);
}

void *alloc_aligned(size_t align, size_t n)
{
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	if (align <= HDR && n <= ((size_t)1 << MAX_SHIFT) - HDR) {
		unsigned b = MIN_SHIFT;
		while (((size_t)1 << b) - HDR < n)
			b++;
		char *p = bins[b];
		size_t sz = (size_t)1 << b;
		if (p) {
			bins[b] = *(void **)p;
		} else {
			/* The rest of a full chunk (under 4 KB) is given up. */
			if ((uintptr_t)end - (uintptr_t)cur < sz) {
				char *c = map(CHUNK);
				if (!c)
					return NULL;
				cur = c;
				end = c + CHUNK;
			}
			p = cur + HDR;
			cur += sz;
		}
		*hdr(p) = b;
		return p;
	}
	/* Own mapping, rounded to 4 KB (the kernel rounds to its page), at
	 * least one (n | 1: mmap refuses length 0); alignments above 4 KB
	 * (larger pages) map extra to align within. */
	size_t extra = align > TAG ? align : 0;
	if (n > SIZE_MAX - TAG - extra) {
		errno = ENOMEM;
		return NULL;
	}
	size_t len = (((n | 1) + TAG - 1) & ~(size_t)(TAG - 1)) + extra;
	struct big *g = alloc_malloc(sizeof *g);
	char *base = g ? map(len) : NULL;
	if (!base) {
		alloc_free(g);
		return NULL;
	}
	g->base = base;
	g->len = len;
	g->user = (char *)(((uintptr_t)base + align - 1) & ~(uintptr_t)(align - 1));
	g->next = bigs;
	bigs = g;
	return g->user;
}

void *alloc_malloc(size_t n)
{
	return alloc_aligned(HDR, n);
}

/* The descriptor of large block p: the link pointing to it. */
static struct big **big_find(void *p)
{
	struct big **pp = &bigs;
	while (*pp && (*pp)->user != p)
		pp = &(*pp)->next;
	if (!*pp)
		__builtin_trap();	/* not ours, or freed twice */
	return pp;
}

void alloc_free(void *p)
{
	if (!p)
		return;
	if ((uintptr_t)p % TAG) {
		size_t b = *hdr(p);
		if (b < MIN_SHIFT || b > MAX_SHIFT)
			__builtin_trap();	/* freed twice, or not ours */
		*hdr(p) = b | FREED;
		*(void **)p = bins[b];
		bins[b] = p;
		return;
	}
	struct big **pp = big_find(p), *g = *pp;
	*pp = g->next;
	munmap(g->base, g->len);
	alloc_free(g);
}

size_t alloc_usable(void *p)
{
	if (!p)
		return 0;
	if ((uintptr_t)p % TAG)
		return ((size_t)1 << *hdr(p)) - HDR;
	struct big *g = *big_find(p);
	return (size_t)(g->base + g->len - g->user);
}

void *alloc_calloc(size_t m, size_t n)
{
	size_t t;
	if (__builtin_mul_overflow(m, n, &t)) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = alloc_malloc(t);
	/* Fresh mappings read as zeros; a small block may be recycled. */
	if (p && (uintptr_t)p % TAG)
		memset(p, 0, t);
	return p;
}

/* Always moves: llmgw no longer calls realloc, so simple beats clever. On
 * failure p is left as it was. */
void *alloc_realloc(void *p, size_t n)
{
	void *q = alloc_malloc(n);
	if (q && p) {
		size_t o = alloc_usable(p);
		memcpy(q, p, o < n ? o : n);
		alloc_free(p);
	}
	return q;
}

#if LLMGW_OWN_MALLOC
#include <stdlib.h>
#include <malloc.h>

void *malloc(size_t n) __attribute__((alias("alloc_malloc")));
void free(void *p) __attribute__((alias("alloc_free")));
void *calloc(size_t m, size_t n) __attribute__((alias("alloc_calloc")));
void *realloc(void *p, size_t n) __attribute__((alias("alloc_realloc")));
void *aligned_alloc(size_t align, size_t n) __attribute__((alias("alloc_aligned")));
size_t malloc_usable_size(void *p) __attribute__((alias("alloc_usable")));

int posix_memalign(void **res, size_t align, size_t n)
{
	if (align % sizeof(void *))
		return EINVAL;
	void *p = alloc_aligned(align, n);
	if (!p)
		return errno;
	*res = p;
	return 0;
}
#endif
