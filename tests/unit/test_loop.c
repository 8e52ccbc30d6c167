/* test_loop.c - the poll() loop: timer order, re-arming, cancelling, which
 * timers one round runs, fd readiness, and watchers deleted or added from
 * inside callbacks. */
#include <fcntl.h>
#include <unistd.h>
#include "loop.h"
#include "test.h"

static int fired[8], order[8], norder;

struct tt { struct loop_timer t; int id; };

static void on_t(struct loop_timer *t)
{
	struct tt *x = container_of(t, struct tt, t);
	fired[x->id]++;
	order[norder++] = x->id;
}

TEST(timers_fire_in_due_order)
{
	struct tt a = { .id = 0 }, b = { .id = 1 }, c = { .id = 2 };
	loop_timer_init(&a.t); loop_timer_init(&b.t); loop_timer_init(&c.t);
	memset(fired, 0, sizeof fired);
	norder = 0;
	loop_run_once(0);
	loop_timer_set(&a.t, 30, on_t);
	loop_timer_set(&b.t, 10, on_t);
	loop_timer_set(&c.t, 20, on_t);
	for (int i = 0; i < 100 && norder < 3; i++)
		loop_run_once(-1);
	CHECK_EQ_INT(norder, 3);
	CHECK_EQ_INT(order[0], 1);
	CHECK_EQ_INT(order[1], 2);
	CHECK_EQ_INT(order[2], 0);
	CHECK(!loop_timer_armed(&a.t));
}

TEST(timer_stop_and_rearm)
{
	struct tt a = { .id = 3 }, b = { .id = 4 };
	loop_timer_init(&a.t); loop_timer_init(&b.t);
	memset(fired, 0, sizeof fired);
	norder = 0;
	loop_timer_set(&a.t, 5, on_t);
	loop_timer_set(&b.t, 15, on_t);
	loop_timer_stop(&a.t);
	loop_timer_stop(&a.t);		/* twice is harmless */
	loop_timer_set(&b.t, 40, on_t);	/* re-arm moves it */
	int64_t t0 = loop_now();
	for (int i = 0; i < 100 && norder < 1; i++)
		loop_run_once(-1);
	CHECK_EQ_INT(fired[3], 0);
	CHECK_EQ_INT(fired[4], 1);
	CHECK(loop_now() - t0 >= 39);
}

TEST(rearm_moves_timer_both_ways)
{
	struct tt t[4] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 } };
	memset(fired, 0, sizeof fired);
	norder = 0;
	loop_run_once(0);
	for (int i = 0; i < 4; i++) {
		loop_timer_init(&t[i].t);
		loop_timer_set(&t[i].t, 10 * (i + 1), on_t);
	}
	loop_timer_set(&t[3].t, 5, on_t);	/* 40 -> 5: up the heap */
	loop_timer_set(&t[0].t, 35, on_t);	/* 10 -> 35: down the heap */
	for (int i = 0; i < 100 && norder < 4; i++)
		loop_run_once(-1);
	REQUIRE(norder == 4);
	CHECK_EQ_INT(order[0], 3);
	CHECK_EQ_INT(order[1], 1);
	CHECK_EQ_INT(order[2], 2);
	CHECK_EQ_INT(order[3], 0);
}

/* A timer that re-arms itself for 0 ms from its own callback, up to cap
 * times: the cap only keeps a broken loop from spinning for ever. */
struct rt { struct loop_timer t; int n, cap; };

static void on_rearm(struct loop_timer *t)
{
	struct rt *r = container_of(t, struct rt, t);
	if (++r->n < r->cap)
		loop_timer_set(t, 0, on_rearm);
}

TEST(rearm_at_zero_fires_once_per_round)
{
	struct rt r = { .cap = 1000 };
	loop_timer_init(&r.t);
	loop_timer_set(&r.t, 0, on_rearm);
	for (int round = 1; round <= 5; round++) {
		loop_run_once(0);
		CHECK_EQ_INT(r.n, round);
		CHECK(loop_timer_armed(&r.t));
	}
	loop_timer_stop(&r.t);
}

TEST(rearming_timer_does_not_hold_back_others)
{
	/* Both due now: the re-armed one sorts after the one not yet run. */
	struct rt r = { .cap = 1000 };
	struct tt b = { .id = 5 };
	loop_timer_init(&r.t);
	loop_timer_init(&b.t);
	memset(fired, 0, sizeof fired);
	norder = 0;
	loop_timer_set(&r.t, 0, on_rearm);
	loop_timer_set(&b.t, 0, on_t);
	loop_run_once(0);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(fired[5], 1);
	loop_run_once(0);
	CHECK_EQ_INT(r.n, 2);
	CHECK_EQ_INT(fired[5], 1);
	loop_timer_stop(&r.t);
}

struct pw { struct loop_fd w; int hits; struct loop_fd *victim; };

static void on_readable(struct loop_fd *w, unsigned ev)
{
	struct pw *p = container_of(w, struct pw, w);
	p->hits++;
	if (p->victim)
		loop_del(p->victim);	/* delete another ready watcher mid-round */
}

TEST(fd_ready_and_delete_during_dispatch)
{
	int a[2], b[2];
	REQUIRE(pipe2(a, O_NONBLOCK) == 0 && pipe2(b, O_NONBLOCK) == 0);
	struct pw pa = { 0 }, pb = { 0 };
	loop_fd_init(&pa.w); loop_fd_init(&pb.w);
	REQUIRE(loop_add(&pa.w, a[0], LOOP_IN, on_readable) == 0);
	REQUIRE(loop_add(&pb.w, b[0], LOOP_IN, on_readable) == 0);
	pa.victim = &pb.w;
	pb.victim = &pa.w;
	CHECK_EQ_INT(loop_fd_count(), 2);
	CHECK(write(a[1], "x", 1) == 1);
	CHECK(write(b[1], "y", 1) == 1);
	loop_run_once(100);
	/* Whichever ran first deleted the other: exactly one callback. */
	CHECK_EQ_INT(pa.hits + pb.hits, 1);
	CHECK_EQ_INT(loop_fd_count(), 1);
	loop_del(&pa.w);
	loop_del(&pb.w);
	CHECK_EQ_INT(loop_fd_count(), 0);
	close(a[0]); close(a[1]); close(b[0]); close(b[1]);
}

static struct tt armed_by_fd = { .id = 6 };

static void on_readable_arm(struct loop_fd *w, unsigned ev)
{
	struct pw *p = container_of(w, struct pw, w);
	p->hits++;
	loop_timer_set(&armed_by_fd.t, 0, on_t);
}

TEST(timer_armed_by_fd_for_now_runs_same_round)
{
	int p[2];
	REQUIRE(pipe2(p, O_NONBLOCK) == 0);
	struct pw pw = { 0 };
	loop_fd_init(&pw.w);
	loop_timer_init(&armed_by_fd.t);
	memset(fired, 0, sizeof fired);
	norder = 0;
	REQUIRE(loop_add(&pw.w, p[0], LOOP_IN, on_readable_arm) == 0);
	CHECK(write(p[1], "x", 1) == 1);
	CHECK_EQ_INT(loop_run_once(100), 1);
	CHECK_EQ_INT(pw.hits, 1);
	CHECK_EQ_INT(fired[6], 1);
	loop_del(&pw.w);
	close(p[0]);
	close(p[1]);
}

TEST(fd_array_stays_compact)
{
	int p[4][2];
	struct pw w[4];
	for (int i = 0; i < 4; i++) {
		REQUIRE(pipe2(p[i], O_NONBLOCK) == 0);
		memset(&w[i], 0, sizeof w[i]);
		loop_fd_init(&w[i].w);
		REQUIRE(loop_add(&w[i].w, p[i][0], LOOP_IN, on_readable) == 0);
	}
	loop_del(&w[1].w);
	CHECK_EQ_INT(loop_fd_count(), 3);
	CHECK(write(p[3][1], "z", 1) == 1);	/* the moved watcher still works */
	loop_run_once(100);
	CHECK_EQ_INT(w[3].hits, 1);
	CHECK_EQ_INT(w[1].hits, 0);
	for (int i = 0; i < 4; i++) {
		loop_del(&w[i].w);
		close(p[i][0]);
		close(p[i][1]);
	}
	CHECK_EQ_INT(loop_fd_count(), 0);
}

TEST(full_array_is_refused)
{
	struct loop_fd extra[40];
	int added = 0;
	for (int i = 0; i < 40; i++) {
		loop_fd_init(&extra[i]);
		if (loop_add(&extra[i], 0, 0, NULL) == 0)
			added++;
	}
	CHECK_EQ_INT(added, 16);
	for (int i = 0; i < 40; i++)
		loop_del(&extra[i]);
	CHECK_EQ_INT(loop_fd_count(), 0);
}

int main(void)
{
	test_suite = "loop";
	if (loop_init(16, 16) < 0)
		return 1;
	RUN(timers_fire_in_due_order);
	RUN(timer_stop_and_rearm);
	RUN(rearm_moves_timer_both_ways);
	RUN(rearm_at_zero_fires_once_per_round);
	RUN(rearming_timer_does_not_hold_back_others);
	RUN(fd_ready_and_delete_during_dispatch);
	RUN(timer_armed_by_fd_for_now_runs_same_round);
	RUN(fd_array_stays_compact);
	RUN(full_array_is_refused);
	loop_free();
	return test_summary();
}
