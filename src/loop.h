/*
 * loop.h - the single-threaded poll() event loop and its monotonic timers.
 *
 * There is one loop per process (llmgw and mockprov are single-threaded).
 * Callers embed a struct loop_fd or struct loop_timer in their own objects
 * and get back to the object with container_of() in the callback; the loop
 * never allocates or frees caller memory. The pollfd array and the timer
 * heap are allocated once by loop_init() with fixed capacities.
 *
 * Only loop_run_once() blocks, in poll(), and never longer than the nearest
 * timer. A callback may add, change or delete any watcher or timer,
 * including its own; a watcher deleted during a dispatch round is not called
 * again in that round.
 */
#ifndef LLMGW_LOOP_H
#define LLMGW_LOOP_H

#include <stddef.h>
#include <stdint.h>

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

enum { LOOP_IN = 1, LOOP_OUT = 2, LOOP_ERR = 4, LOOP_HUP = 8 };

struct loop_fd;
typedef void (*loop_fd_cb)(struct loop_fd *w, unsigned revents);
struct loop_fd {
	int fd;
	int slot;		/* index in the pollfd array, -1 when not added */
	unsigned events;	/* LOOP_IN | LOOP_OUT */
	unsigned revents;	/* pending for this round's dispatch */
	loop_fd_cb cb;
};

struct loop_timer;
typedef void (*loop_timer_cb)(struct loop_timer *t);
struct loop_timer {
	int64_t due;		/* loop_now() milliseconds */
	uint64_t pass;		/* timer passes begun when armed: defers re-arms */
	int heap;		/* index in the timer heap, -1 when not armed */
	loop_timer_cb cb;
};

/* Allocates the pollfd array and timer heap. 0 on success, -1 on ENOMEM. */
int loop_init(unsigned max_fds, unsigned max_timers);
void loop_free(void);

/* Watches fd for events (LOOP_IN|LOOP_OUT); LOOP_ERR/LOOP_HUP are always
 * reported. -1 when the array is full. The fd must be non-blocking. */
int loop_add(struct loop_fd *w, int fd, unsigned events, loop_fd_cb cb);
void loop_set(struct loop_fd *w, unsigned events);
void loop_del(struct loop_fd *w);	/* safe on a watcher not added */
static inline void loop_fd_init(struct loop_fd *w) { w->fd = -1; w->slot = -1; w->events = 0; w->revents = 0; w->cb = NULL; }

/* Arms t to fire after_ms (<= 0: 0) from loop_now() (re-arms if already
 * armed). One armed from a timer callback, even for 0 ms, fires in the
 * next round at the earliest. */
void loop_timer_set(struct loop_timer *t, int64_t after_ms, loop_timer_cb cb);
void loop_timer_stop(struct loop_timer *t);	/* safe on a timer not armed */
static inline void loop_timer_init(struct loop_timer *t) { t->due = 0; t->pass = 0; t->heap = -1; t->cb = NULL; }
static inline int loop_timer_armed(const struct loop_timer *t) { return t->heap >= 0; }

/* Monotonic milliseconds, refreshed at each loop iteration. */
int64_t loop_now(void);
/* Monotonic microseconds, read from the clock now (for latency figures). */
int64_t loop_now_us(void);

/* Work for the end of the round, after the fds and the timers: an owner that
 * ends an object inside a callback queues its return to the pool here, so
 * no caller up the stack sees the object reused within the same round
 * (redis frees clients the same way, in beforeSleep). Embed one in the
 * owner; queuing a hook already queued does nothing. */
struct loop_defer;
typedef void (*loop_defer_cb)(struct loop_defer *d);
struct loop_defer {
	struct loop_defer *next;
	loop_defer_cb cb;
	int queued;
};
void loop_defer(struct loop_defer *d, loop_defer_cb cb);
/* Runs the queued hooks now (loop_run_once does at the end of each round;
 * an owner calls it before freeing its pools). */
void loop_run_deferred(void);

/* One poll() round: waits at most max_wait_ms (-1: until the nearest timer),
 * dispatches ready fds, then the timers due when the timer pass starts
 * (including those the fd callbacks just armed for now, not those armed by
 * the timer callbacks of this pass), then the deferred hooks. Returns the
 * number of fds dispatched, or -1 on a poll() error other than EINTR. */
int loop_run_once(int max_wait_ms);
/* Runs rounds until loop_stop() is called. */
void loop_run(void);
void loop_stop(void);
unsigned loop_fd_count(void);

#endif
