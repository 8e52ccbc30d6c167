/*
 * alloc_static.h - the small allocator of static musl builds
 * (port/alloc_static.c): what malloc, free, calloc, ... become when
 * LLMGW_OWN_MALLOC is set (port/toolchain/musl.mk), and what
 * tests/unit/test_alloc.c tests in every build.
 */
#ifndef LLMGW_ALLOC_STATIC_H
#define LLMGW_ALLOC_STATIC_H

#include <stddef.h>

void *alloc_aligned(size_t align, size_t n);
void *alloc_malloc(size_t n);
void *alloc_calloc(size_t m, size_t n);
void *alloc_realloc(void *p, size_t n);
void alloc_free(void *p);
size_t alloc_usable(void *p);

#endif
