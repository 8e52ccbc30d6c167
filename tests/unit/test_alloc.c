/*
 * test_alloc.c - the static builds' allocator (port/alloc_static.c),
 * through its alloc_* functions, so the native build tests it under
 * ASan/UBSan beside the process's own malloc (in the musl builds the same
 * functions are also the process's malloc). Long random sequences of
 * malloc/calloc/realloc/aligned/free with every byte of every live block
 * checked, alignment, calloc zeroing of recycled blocks, large and
 * page-aligned blocks (unmapped on free), reuse after free, overflow and
 * bad-argument errors, and that a double free stops the process.
 */
#include "test.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc_static.h"

#define MAXALIGN _Alignof(max_align_t)

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned char pat(unsigned tag, size_t i)
{
	return (unsigned char)(tag * 131u + i * 7u + (i >> 8));
}
static void fill(void *p, size_t n, unsigned tag)
{
	unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		c[i] = pat(tag, i);
}
/* 1 when p[0..n) still holds fill(p, n, tag). */
static int intact(const void *p, size_t n, unsigned tag)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i] != pat(tag, i))
			return 0;
	return 1;
}
static int all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i])
			return 0;
	return 1;
}
/* 1 when no 4 KB page of [p, p+n) can be read any more: write() from it
 * into a pipe fails EFAULT. (Not msync or mincore: qemu-user keeps a 32-bit
 * guest's whole address space reserved on the host, so those succeed.) */
static int unmapped(void *p, size_t n)
{
	static int fd[2] = { -1, -1 };
	if (fd[0] < 0 && pipe(fd) != 0)
		return 0;
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095;
	for (; a < (uintptr_t)p + n; a += 4096) {
		if (write(fd[1], (void *)a, 1) == 1) {
			char c;
			(void)!read(fd[0], &c, 1);	/* keep the pipe empty */
			return 0;
		}
		if (errno != EFAULT)
			return 0;
	}
	return 1;
}

TEST(small_blocks_aligned_and_usable)
{
	void *p[300];
	for (size_t n = 0; n < 300; n++) {
		size_t sz = n * 13;	/* 0 .. 3887: all small */
		p[n] = alloc_malloc(sz);
		REQUIRE(p[n] != NULL);
		CHECK((uintptr_t)p[n] % MAXALIGN == 0);
		/* small pointers are never 4096-aligned: that tells them from
		 * large ones in free */
		CHECK((uintptr_t)p[n] % 4096 != 0);
		CHECK(alloc_usable(p[n]) >= sz);
		CHECK(alloc_usable(p[n]) < 2 * sz + 32);
		fill(p[n], alloc_usable(p[n]), (unsigned)n);
	}
	for (size_t n = 0; n < 300; n++) {
		CHECK(intact(p[n], alloc_usable(p[n]), (unsigned)n));
		alloc_free(p[n]);
	}
}

TEST(free_null_and_zero_size)
{
	alloc_free(NULL);
	CHECK(alloc_usable(NULL) == 0);
	void *a = alloc_malloc(0), *b = alloc_malloc(0);
	CHECK(a != NULL && b != NULL && a != b);
	alloc_free(a);
	alloc_free(b);
}

TEST(reuse_after_free)
{
	/* the same block comes back for the same class */
	void *p = alloc_malloc(100);
	REQUIRE(p != NULL);
	alloc_free(p);
	void *q = alloc_malloc(90);
	CHECK(q == p);
	alloc_free(q);

	/* a whole reload's worth freed and allocated again: the second round
	 * is served entirely from the freed blocks */
	enum { N = 400 };
	void *a[N], *b[N];
	for (int i = 0; i < N; i++) {
		a[i] = alloc_malloc((size_t)(i % 40) * 97);
		REQUIRE(a[i] != NULL);
	}
	for (int i = 0; i < N; i++)
		alloc_free(a[i]);
	for (int i = 0; i < N; i++) {
		b[i] = alloc_malloc((size_t)(i % 40) * 97);
		REQUIRE(b[i] != NULL);
		int found = 0;
		for (int j = 0; j < N && !found; j++)
			found = b[i] == a[j];
		CHECK(found);
	}
	for (int i = 0; i < N; i++)
		alloc_free(b[i]);
}

TEST(small_blocks_packed)
{
	/* different classes share chunks: 100 blocks of mixed small sizes
	 * lie within a few pages, not one mapping each */
	void *p[100];
	uintptr_t page[100];
	int npages = 0;
	for (int i = 0; i < 100; i++) {
		/* 20..220 bytes: 64- to 256-byte blocks, about 19 KB in all */
		p[i] = alloc_malloc(20 + (size_t)(i % 5) * 50);
		REQUIRE(p[i] != NULL);
		uintptr_t u = (uintptr_t)p[i] / 4096;
		int seen = 0;
		for (int j = 0; j < npages && !seen; j++)
			seen = page[j] == u;
		if (!seen)
			page[npages++] = u;
	}
	CHECK(npages <= 8);
	for (int i = 0; i < 100; i++)
		alloc_free(p[i]);
}

TEST(calloc_zeroes_recycled)
{
	for (size_t n = 1; n < 5000; n += 331) {
		unsigned char *p = alloc_malloc(n);
		REQUIRE(p != NULL);
		memset(p, 0xa5, alloc_usable(p));
		alloc_free(p);
		unsigned char *q = alloc_calloc(1, n);
		REQUIRE(q != NULL);
		if (n < 4000)
			CHECK(q == p);	/* recycled, so dirty before calloc */
		CHECK(all_zero(q, n));
		alloc_free(q);
	}
	unsigned char *big = alloc_calloc(1000, 1000);
	REQUIRE(big != NULL);
	CHECK(all_zero(big, 1000000));
	alloc_free(big);
}

TEST(overflow_and_bad_arguments)
{
	errno = 0;
	CHECK(alloc_calloc(SIZE_MAX / 2 + 2, 2) == NULL);
	CHECK(errno == ENOMEM);
	errno = 0;
	CHECK(alloc_calloc((size_t)1 << (sizeof(size_t) * 4), (size_t)1 << (sizeof(size_t) * 4)) == NULL);
	CHECK(errno == ENOMEM);
	errno = 0;
	CHECK(alloc_malloc(SIZE_MAX) == NULL);
	CHECK(errno == ENOMEM);
	CHECK(alloc_malloc(SIZE_MAX - 4000) == NULL);
	CHECK(alloc_aligned(65536, SIZE_MAX - 65536) == NULL);
	errno = 0;
	CHECK(alloc_aligned(24, 10) == NULL);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(alloc_aligned(0, 10) == NULL);
	CHECK(errno == EINVAL);
	void *c0 = alloc_calloc(0, 5);
	CHECK(c0 != NULL);
	alloc_free(c0);
}

TEST(large_blocks_mapped_and_unmapped)
{
	size_t sizes[] = { 4089, 4096, 5000, 65536, 100000, 1 << 20 };	/* all large, HDR 8 or 16 */
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		size_t n = sizes[i];
		unsigned char *p = alloc_malloc(n);
		REQUIRE(p != NULL);
		CHECK((uintptr_t)p % 4096 == 0);
		CHECK(alloc_usable(p) >= n);
		CHECK(all_zero(p, n));
		fill(p, alloc_usable(p), (unsigned)i);
		CHECK(intact(p, alloc_usable(p), (unsigned)i));
		CHECK(!unmapped(p, n));
		alloc_free(p);
		CHECK(unmapped(p, n));
	}
}

TEST(aligned_blocks)
{
	size_t aligns[] = { 1, 2, 8, 16, 32, 64, 256, 4096, 16384, 65536, 1 << 20 };
	for (size_t i = 0; i < sizeof aligns / sizeof *aligns; i++) {
		for (size_t n = 0; n < 70000; n = n * 3 + 1000) {	/* 0 too */
			unsigned char *p = alloc_aligned(aligns[i], n);
			REQUIRE(p != NULL);
			CHECK((uintptr_t)p % aligns[i] == 0);
			CHECK(alloc_usable(p) >= n);
			fill(p, n, (unsigned)(i + n));
			CHECK(intact(p, n, (unsigned)(i + n)));
			alloc_free(p);
		}
	}
	/* the server's exchange pool: page-aligned, page multiple */
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *pool = alloc_aligned(pg, 24 * pg);
	REQUIRE(pool != NULL);
	CHECK((uintptr_t)pool % pg == 0);
	CHECK(all_zero(pool, 24 * pg));
	fill(pool, 24 * pg, 9);
	CHECK(intact(pool, 24 * pg, 9));
	alloc_free(pool);
	CHECK(unmapped(pool, 24 * pg));
}

TEST(realloc_keeps_content)
{
	void *z = alloc_realloc(NULL, 0);	/* like malloc(0) */
	CHECK(z != NULL);
	alloc_free(z);
	unsigned char *p = alloc_realloc(NULL, 10);
	REQUIRE(p != NULL);
	fill(p, 10, 1);
	size_t sizes[] = { 30, 5, 500, 3000, 9000, 200000, 4000, 100, 1 };
	size_t have = 10;
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		size_t n = sizes[i], keep = have < n ? have : n;
		unsigned char *q = alloc_realloc(p, n);
		REQUIRE(q != NULL);
		CHECK(intact(q, keep, 1));
		/* refill so the pattern is complete for the next step */
		fill(q, n, 1);
		p = q;
		have = n;
	}
	/* a failed realloc leaves the block as it was */
	errno = 0;
	CHECK(alloc_realloc(p, SIZE_MAX) == NULL);
	CHECK(errno == ENOMEM);
	CHECK(intact(p, have, 1));
	alloc_free(p);
}

/* Random interleavings: each live block holds its own pattern, checked
 * before every free and realloc and at the end, so any overlap between
 * blocks, or a block handed out twice, shows up. */
TEST(random_sequences)
{
	enum { SLOTS = 256, OPS = 60000 };
	static unsigned char *p[SLOTS];
	static size_t len[SLOTS];
	static unsigned tag[SLOTS];
	int bad = 0;
	for (unsigned op = 0; op < OPS && !bad; op++) {
		unsigned s = (unsigned)(next() % SLOTS);
		uint64_t r = next();
		size_t n;
		switch (r % 16) {
		case 0:
			n = 4000 + (size_t)((r >> 8) % 300000);	/* large */
			break;
		case 1:
		case 2:
			n = (size_t)((r >> 8) % 4200);	/* around the small/large edge */
			break;
		default:
			n = (size_t)((r >> 8) % 300);
		}
		if (p[s] && !intact(p[s], len[s], tag[s])) {
			bad = 1;
			break;
		}
		unsigned kind = (unsigned)((r >> 40) % 6);
		if (p[s] && kind < 2) {
			alloc_free(p[s]);
			p[s] = NULL;
			continue;
		}
		if (p[s] && kind == 2) {
			unsigned char *q = alloc_realloc(p[s], n);
			if (!q) {
				bad = 2;
				break;
			}
			if (!intact(q, len[s] < n ? len[s] : n, tag[s])) {
				bad = 3;
				break;
			}
			p[s] = q;
		} else {
			alloc_free(p[s]);
			if (kind == 3) {
				p[s] = alloc_calloc(1 + n % 7, n / 7 + 1);
				n = (1 + n % 7) * (n / 7 + 1);
				if (p[s] && !all_zero(p[s], n)) {
					bad = 4;
					break;
				}
			} else if (kind == 4) {
				size_t a = (size_t)1 << ((r >> 48) % 17);
				p[s] = alloc_aligned(a, n);
				if (p[s] && (uintptr_t)p[s] % a) {
					bad = 5;
					break;
				}
			} else {
				p[s] = alloc_malloc(n);
			}
			if (!p[s]) {
				bad = 6;
				break;
			}
			if ((uintptr_t)p[s] % MAXALIGN || alloc_usable(p[s]) < n) {
				bad = 7;
				break;
			}
		}
		len[s] = n;
		tag[s] = op;
		fill(p[s], n, op);
	}
	CHECK_EQ_INT(bad, 0);
	for (unsigned s = 0; s < SLOTS; s++) {
		if (p[s])
			CHECK(intact(p[s], len[s], tag[s]));
		alloc_free(p[s]);
		p[s] = NULL;
	}
}

/* The process must stop on a double free instead of handing the block out
 * twice later; both kinds of block, in a child (under qemu-user the trap
 * is reported on stderr as "uncaught target signal 5": expected). */
static int dies(void (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);	/* no core file left behind */
		fn();
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return 0;
	return WIFSIGNALED(st);
}
static void double_free_small(void)
{
	void *p = alloc_malloc(40);
	alloc_free(p);
	alloc_free(p);
}
static void double_free_large(void)
{
	void *p = alloc_malloc(100000);
	alloc_free(p);
	alloc_free(p);
}
TEST(double_free_stops)
{
	CHECK(dies(double_free_small));
	CHECK(dies(double_free_large));
}

int main(void)
{
	test_suite = "alloc";
	RUN(small_blocks_aligned_and_usable);
	RUN(free_null_and_zero_size);
	RUN(reuse_after_free);
	RUN(small_blocks_packed);
	RUN(calloc_zeroes_recycled);
	RUN(overflow_and_bad_arguments);
	RUN(large_blocks_mapped_and_unmapped);
	RUN(aligned_blocks);
	RUN(realloc_keeps_content);
	RUN(random_sequences);
	RUN(double_free_stops);
	return test_summary();
}
