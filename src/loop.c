/*
 * loop.c - poll() loop with a compact pollfd array and a binary timer heap.
 * See loop.h.
 *
 * The pollfd array stays dense: deleting a watcher moves the last entry into
 * its slot, so poll() never scans holes. Ready watchers are collected into a
 * separate list before any callback runs, because callbacks reshuffle the
 * array; a watcher deleted (or re-added) meanwhile has its revents cleared
 * and is skipped.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include "loop.h"

static struct pollfd *pfds;
static struct loop_fd **watchers;	/* parallel to pfds */
static struct loop_fd **ready;
static unsigned nfds, cap_fds;
static struct loop_timer **heap;
static unsigned ntimers, cap_timers;
static uint64_t passes;		/* timer passes begun (run_timers) */
static int64_t now_ms;
static int stopping;
static struct loop_defer *deferred;	/* hooks for the end of this round */

static int64_t clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t loop_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t loop_now(void)
{
	return now_ms;
}

int loop_init(unsigned max_fds, unsigned max_timers)
{
	pfds = calloc(max_fds, sizeof *pfds);
	watchers = calloc(max_fds, sizeof *watchers);
	ready = calloc(max_fds, sizeof *ready);
	heap = calloc(max_timers, sizeof *heap);
	if (!pfds || !watchers || !ready || !heap) {
		loop_free();
		return -1;
	}
	cap_fds = max_fds;
	cap_timers = max_timers;
	nfds = ntimers = 0;
	now_ms = clock_ms();
	stopping = 0;
	return 0;
}

void loop_free(void)
{
	free(pfds);
	free(watchers);
	free(ready);
	free(heap);
	pfds = NULL;
	watchers = ready = NULL;
	heap = NULL;
	cap_fds = cap_timers = nfds = ntimers = 0;
}

static short to_poll(unsigned ev)
{
	return (short)(((ev & LOOP_IN) ? POLLIN : 0) | ((ev & LOOP_OUT) ? POLLOUT : 0));
}

int loop_add(struct loop_fd *w, int fd, unsigned events, loop_fd_cb cb)
{
	if (w->slot >= 0)
		loop_del(w);
	if (nfds == cap_fds)
		return -1;
	w->fd = fd;
	w->events = events;
	w->revents = 0;
	w->cb = cb;
	w->slot = (int)nfds;
	pfds[nfds].fd = fd;
	pfds[nfds].events = to_poll(events);
	pfds[nfds].revents = 0;
	watchers[nfds++] = w;
	return 0;
}

void loop_set(struct loop_fd *w, unsigned events)
{
	w->events = events;
	if (w->slot >= 0)
		pfds[w->slot].events = to_poll(events);
}

void loop_del(struct loop_fd *w)
{
	if (w->slot < 0)
		return;
	unsigned i = (unsigned)w->slot, last = nfds - 1;
	if (i != last) {
		pfds[i] = pfds[last];
		watchers[i] = watchers[last];
		watchers[i]->slot = (int)i;
	}
	nfds--;
	w->slot = -1;
	w->revents = 0;
}

unsigned loop_fd_count(void)
{
	return nfds;
}

/* Timer heap: min-heap on (due, pass), so a timer armed during a timer
 * pass sorts after every timer due at the same millisecond that the pass
 * is running. Other ties keep no particular order. */
static int before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->pass < b->pass);
}

static void heap_swap(unsigned a, unsigned b)
{
	struct loop_timer *t = heap[a];
	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->heap = (int)a;
	heap[b]->heap = (int)b;
}

static void heap_up(unsigned i)
{
	while (i > 0) {
		unsigned p = (i - 1) / 2;
		if (!before(heap[i], heap[p]))
			break;
		heap_swap(i, p);
		i = p;
	}
}

static void heap_down(unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;
		if (l < ntimers && before(heap[l], heap[m]))
			m = l;
		if (r < ntimers && before(heap[r], heap[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

void loop_timer_stop(struct loop_timer *t)
{
	if (t->heap < 0)
		return;
	unsigned i = (unsigned)t->heap;
	t->heap = -1;
	if (i != --ntimers) {
		heap[i] = heap[ntimers];
		heap[i]->heap = (int)i;
		heap_down(i);
		heap_up(i);
	}
}

void loop_timer_set(struct loop_timer *t, int64_t after_ms, loop_timer_cb cb)
{
	t->cb = cb;
	t->due = now_ms + (after_ms > 0 ? after_ms : 0);
	t->pass = passes;
	if (t->heap >= 0) {
		heap_down((unsigned)t->heap);	/* re-armed: moves from where it is */
	} else {
		if (ntimers == cap_timers)
			return;	/* capacity is sized at start-up for every timer owner */
		t->heap = (int)ntimers;
		heap[ntimers++] = t;
	}
	heap_up((unsigned)t->heap);
}

/* Runs the timers due when the pass starts, and only those: a timer a
 * callback arms during the pass (even for 0 ms, even itself) is stamped
 * with this pass and waits for the next round, so it cannot starve the
 * fds. Timers the fd callbacks of this round armed for "now" carry an
 * earlier stamp: they are due and run. The cost is one heap pop per timer
 * run; nothing is collected or allocated. */
static void run_timers(void)
{
	int64_t until = now_ms;
	if (ntimers == 0 || heap[0]->due > until)
		return;		/* most rounds: nothing due, no pass */
	uint64_t pass = ++passes;
	while (ntimers > 0 && heap[0]->due <= until && heap[0]->pass < pass) {
		struct loop_timer *t = heap[0];
		loop_timer_stop(t);
		t->cb(t);
	}
}

int loop_run_once(int max_wait_ms)
{
	now_ms = clock_ms();
	int wait = max_wait_ms;
	if (ntimers > 0) {
		int64_t d = heap[0]->due - now_ms;
		if (d < 0)
			d = 0;
		if (wait < 0 || d < wait)
			wait = d > 1000000 ? 1000000 : (int)d;
	}
	int n = poll(pfds, nfds, wait);
	now_ms = clock_ms();
	if (n < 0) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	unsigned nready = 0;
	for (unsigned i = 0; i < nfds && nready < (unsigned)n; i++) {
		short re = pfds[i].revents;
		if (!re)
			continue;
		unsigned ev = 0;
		if (re & (POLLIN | POLLPRI))
			ev |= LOOP_IN;
		if (re & POLLOUT)
			ev |= LOOP_OUT;
		if (re & (POLLERR | POLLNVAL))
			ev |= LOOP_ERR;
		if (re & POLLHUP)
			ev |= LOOP_HUP;
		watchers[i]->revents = ev;
		ready[nready++] = watchers[i];
	}
	for (unsigned i = 0; i < nready; i++) {
		struct loop_fd *w = ready[i];
		unsigned ev = w->revents;
		if (!ev || w->slot < 0)
			continue;
		w->revents = 0;
		w->cb(w, ev);
	}
	run_timers();
	loop_run_deferred();
	return (int)nready;
}

void loop_defer(struct loop_defer *d, loop_defer_cb cb)
{
	d->cb = cb;
	if (d->queued)
		return;
	d->queued = 1;
	d->next = deferred;
	deferred = d;
}

void loop_run_deferred(void)
{
	while (deferred) {
		struct loop_defer *d = deferred;
		deferred = d->next;
		d->queued = 0;
		d->cb(d);
	}
}

void loop_run(void)
{
	stopping = 0;
	while (!stopping)
		if (loop_run_once(-1) < 0)
			break;
}

void loop_stop(void)
{
	stopping = 1;
}
