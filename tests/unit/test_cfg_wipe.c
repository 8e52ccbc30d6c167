/*
 * test_cfg_wipe.c - key material is wiped before memory is given back:
 * loading a configuration (its file, key_file, key_env, inline key, client
 * key_sha256), replacing it with another and freeing it, and a load that
 * fails, leave no block freed with a key still in it.
 *
 * The sanitizer runtime's free hook (ASan and LeakSanitizer call it with
 * every block about to be freed) looks through each block for the
 * secrets; no hook in llmgw's own code. Builds without the sanitizer (the
 * emulated `make check TOOLCHAIN=...`) skip the tests that need it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include "test.h"
#include "config.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_FREE_HOOK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_FREE_HOOK 1
#endif
#endif

#ifdef HAVE_FREE_HOOK
#define KEY_ENV "sk-wipe-env-7c1e0f5b9a2d4c68"
#define KEY_FILE "sk-wipe-file-3f8a61d0e2b94c75"
#define KEY_INLINE "sk-wipe-inline-a4d2c9e8b1f06357"
#define KEY_NEXT "sk-wipe-next-5e9b0c2a7d1f8346"
#define CLIENT_SHA "9f3b6a1c0e2d4f5a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a"

static const char *const secrets[] = { KEY_ENV, KEY_FILE, KEY_INLINE, KEY_NEXT, CLIENT_SHA };
#define NSECRETS (sizeof secrets / sizeof secrets[0])

/* The runtime's own interface (sanitizer/allocator_interface.h, which
 * gcc does not install). */
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
					      void (*f)(const volatile void *));
size_t __sanitizer_get_allocated_size(const volatile void *p);

static volatile int leaked[NSECRETS];	/* blocks freed holding secret i */

/* In the hook: no allocation, no intercepted calls (a plain byte loop). */
static int holds(const volatile unsigned char *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0;
		while (j < k && p[i + j] == (unsigned char)s[j])
			j++;
		if (j == k)
			return 1;
	}
	return 0;
}

static void on_free(const volatile void *ptr)
{
	if (!ptr)
		return;
	size_t n = __sanitizer_get_allocated_size(ptr);
	for (unsigned i = 0; i < NSECRETS; i++)
		if (holds(ptr, n, secrets[i]))
			leaked[i]++;
}

static void on_malloc(const volatile void *ptr, size_t n)
{
}

static int hooked;

static void watch(void)
{
	if (!hooked)
		hooked = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);	/* both or none */
	for (unsigned i = 0; i < NSECRETS; i++)
		leaked[i] = 0;
}

static int nothing_leaked(void)
{
	int ok = 1;
	for (unsigned i = 0; i < NSECRETS; i++)
		if (leaked[i]) {
			fprintf(stderr, "  %d freed block(s) still held %s\n", leaked[i], secrets[i]);
			ok = 0;
		}
	return ok;
}

static char key_path[64], conf_path[64], next_path[64];

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A configuration with a key from each source and a client, as a file. */
static int setup(void)
{
	char conf[1024];
	snprintf(key_path, sizeof key_path, "/tmp/llmgw-wipe-key-%d", (int)getpid());
	snprintf(conf_path, sizeof conf_path, "/tmp/llmgw-wipe-%d.conf", (int)getpid());
	snprintf(next_path, sizeof next_path, "/tmp/llmgw-wipe-next-%d.conf", (int)getpid());
	setenv("LLMGW_WIPE_KEY", KEY_ENV, 1);
	snprintf(conf, sizeof conf,
		 "config provider 'e'\n\toption type 'openai'\n\toption key_env 'LLMGW_WIPE_KEY'\n"
		 "config provider 'f'\n\toption type 'anthropic'\n\toption key_file '%s'\n"
		 "config provider 'i'\n\toption type 'openai-compatible'\n"
		 "\toption base_url 'http://127.0.0.1:9/v1'\n\toption key '" KEY_INLINE "'\n"
		 "config client 'c'\n\toption key_sha256 '" CLIENT_SHA "'\n",
		 key_path);
	return write_file(key_path, KEY_FILE "\n") || write_file(conf_path, conf) ||
	       write_file(next_path, "config provider 'n'\n\toption type 'openai-compatible'\n"
				     "\toption base_url 'http://127.0.0.1:9/v1'\n\toption key '" KEY_NEXT "'\n");
}

static void cleanup(void)
{
	unlink(key_path);
	unlink(conf_path);
	unlink(next_path);
}

/* The detector itself: a block freed with a secret in it is seen. */
TEST(hook_sees_a_secret_freed_unwiped)
{
	watch();
	REQUIRE(hooked);
	char *volatile p = malloc(64);
	REQUIRE(p);
	memcpy(p, KEY_FILE, sizeof KEY_FILE);
	free(p);
	CHECK_EQ_INT(leaked[1], 1);
}

TEST(replaced_configuration_is_wiped)
{
	REQUIRE(setup() == 0);
	watch();
	struct cfg *old = calloc(1, sizeof *old), *next = calloc(1, sizeof *next);
	REQUIRE(old && next);
	REQUIRE(cfg_load_file(conf_path, old, NULL, NULL) == 0);
	/* The keys really are in it (so a leak would have been there to see). */
	REQUIRE(old->nproviders == 3 && old->nclients == 1);
	CHECK(old->providers[0].key && strcmp(old->providers[0].key, KEY_ENV) == 0);
	CHECK(old->providers[1].key && strcmp(old->providers[1].key, KEY_FILE) == 0);
	CHECK(old->providers[2].key && strcmp(old->providers[2].key, KEY_INLINE) == 0);
	CHECK(nothing_leaked());	/* the file, key_file and parser buffers */
	/* A reload: the next configuration comes in, the old one goes. */
	REQUIRE(cfg_load_file(next_path, next, NULL, NULL) == 0);
	cfg_free(old);
	free(old);
	CHECK(nothing_leaked());
	/* At exit. */
	cfg_free(next);
	free(next);
	CHECK(nothing_leaked());
	cleanup();
}

/* A reload refused for an error frees what it loaded, keys included. */
TEST(refused_configuration_is_wiped)
{
	REQUIRE(setup() == 0);
	char conf[1024];
	snprintf(conf, sizeof conf,
		 "config provider 'f'\n\toption type 'anthropic'\n\toption key_file '%s'\n"
		 "config provider 'i'\n\toption type 'openai-compatible'\n"
		 "\toption base_url 'http://127.0.0.1:9/v1'\n\toption key '" KEY_INLINE "'\n"
		 "config route 'r'\n\tlist target 'nosuch/model'\n", key_path);
	REQUIRE(write_file(conf_path, conf) == 0);
	watch();
	struct cfg c;
	CHECK(cfg_load_file(conf_path, &c, NULL, NULL) > 0);
	CHECK(nothing_leaked());
	cleanup();
}

int main(void)
{
	test_suite = "cfg_wipe";
	RUN(hook_sees_a_secret_freed_unwiped);
	RUN(replaced_configuration_is_wiped);
	RUN(refused_configuration_is_wiped);
	return test_summary();
}
#else
TEST(wiped_before_free)
{
	SKIP_TEST("needs the sanitizer runtime's free hook (the ASan build)");
}

int main(void)
{
	test_suite = "cfg_wipe";
	RUN(wiped_before_free);
	return test_summary();
}
#endif
