/* test_log.c - vmm's own log lines (util.c): through an output queue (log_set_sink,
 * outq.c) a stderr nobody reads never blocks the thread that logs, and lines arrive whole
 * and in order; levels (debug only with -v); rate-limit budgets that hold under threads
 * and are kept per object. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../outq.h"
#include "../../util.h"

static size_t put(void *q, const void *buf, size_t len)
{
	return outq_put(q, buf, len);
}

static void test_stalled_log_never_blocks(void **state)
{
	struct outq *q;
	struct timespec t0, t1;
	char buf[256];
	int fd[2];
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(fd), 0); /* blocking, like a terminal: only the writer may wait */
	assert_int_equal(fcntl(fd[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(outq_create(&q, fd[1], 4096, "log-writer", NULL), 0);
	log_set_sink(put, q);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 20000; i++)
		log_msg("test: line %05d of a log nobody reads", i);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_set_sink(NULL, NULL);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	assert_true(outq_dropped(q) > 0);
	n = read(fd[0], buf, 44);
	assert_int_equal(n, 44);
	assert_memory_equal(buf, "vmm: test: line 00000 of a log nobody reads\n", 44);
	/* The reader never comes back in full: teardown still returns. */
	outq_destroy(q, 100);
	close(fd[0]);
	close(fd[1]);
}

/* A sink that keeps what it is given (the log's lines, whole, one call each). */
static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static char cap_buf[8192];
static size_t cap_len;
static unsigned cap_lines;

static size_t cap_put(void *arg, const void *buf, size_t len)
{
	(void)arg;
	pthread_mutex_lock(&cap_lock);
	if (cap_len + len < sizeof(cap_buf)) {
		memcpy(cap_buf + cap_len, buf, len);
		cap_len += len;
		cap_buf[cap_len] = '\0';
	}
	cap_lines++;
	pthread_mutex_unlock(&cap_lock);
	return len;
}

static int cap_setup(void **state)
{
	(void)state;
	cap_len = 0;
	cap_lines = 0;
	cap_buf[0] = '\0';
	log_set_sink(cap_put, NULL);
	return 0;
}

static int cap_teardown(void **state)
{
	(void)state;
	log_set_sink(NULL, NULL);
	log_set_level(LOG_LVL_INFO);
	return 0;
}

static unsigned evaluated;

static int count_evaluation(void)
{
	return ++evaluated;
}

/* Every level keeps the "vmm: " prefix and the text as given; debug only once enabled,
 * and its arguments are not even evaluated before. */
static void test_levels(void **state)
{
	(void)state;
	log_err("test: an error %d", 1);
	log_warn("test: a warning");
	log_info("test: a note");
	log_msg("test: no level chosen");
	log_debug("test: debug %d", count_evaluation());
	assert_string_equal(cap_buf, "vmm: test: an error 1\n"
				     "vmm: test: a warning\n"
				     "vmm: test: a note\n"
				     "vmm: test: no level chosen\n");
	assert_int_equal(evaluated, 0);
	assert_false(log_enabled(LOG_LVL_DEBUG));
	assert_true(log_enabled(LOG_LVL_INFO));

	log_set_level(LOG_LVL_DEBUG); /* what `vmm run -v` does */
	cap_len = 0;
	log_debug("test: debug %d", count_evaluation());
	log_err("test: still an error");
	assert_string_equal(cap_buf, "vmm: test: debug 1\nvmm: test: still an error\n");

	log_set_level(LOG_LVL_ERROR);
	cap_len = 0;
	cap_buf[0] = '\0';
	log_warn("test: hidden");
	log_err("test: shown");
	assert_string_equal(cap_buf, "vmm: test: shown\n");
}

/* Wait for the start of a second, so a test's few calls fall in one window. */
static time_t next_second(void)
{
	time_t t = time(NULL);

	while (time(NULL) == t) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	return time(NULL);
}

/* One object's flood leaves another's budget whole; a budget renews each second. */
static void test_ratelimit_per_object(void **state)
{
	struct ratelimit a = { 0 }, b = { 0 };
	unsigned granted = 0;
	time_t t;

	(void)state;
	do {
		t = next_second();
		granted = 0;
		for (int i = 0; i < 100; i++)
			granted += ratelimit_ok(&a);
		for (int i = 0; i < RATELIMIT_BURST; i++)
			assert_true(ratelimit_ok(&b));
		assert_false(ratelimit_ok(&b));
	} while (time(NULL) != t); /* a second boundary fell in the middle: again */
	assert_int_equal(granted, RATELIMIT_BURST);
	assert_false(ratelimit_ok(&a));
	next_second();
	assert_true(ratelimit_ok(&a));

	/* The same through the log: device A floods, device B's one line still shows. */
	do {
		t = next_second();
		cap_len = 0;
		cap_lines = 0;
		for (int i = 0; i < 100; i++)
			log_ratelimited_obj(&a, "dev-a: flood %d", i);
		log_ratelimited_obj(&b, "dev-b: one line");
	} while (time(NULL) != t);
	assert_int_equal(cap_lines, RATELIMIT_BURST + 1);
	assert_non_null(strstr(cap_buf, "vmm: dev-a: flood 0\n"));
	assert_non_null(strstr(cap_buf, "vmm: dev-b: one line\n"));
	assert_null(strstr(cap_buf, "dev-a: flood 5"));
}

/* log_ratelimited: one budget for the call site, whoever reaches it. */
static void site(int i)
{
	log_ratelimited("site: line %d", i);
}

static void test_ratelimit_per_site(void **state)
{
	time_t t;

	(void)state;
	do {
		t = next_second();
		cap_lines = 0;
		for (int i = 0; i < 50; i++)
			site(i);
	} while (time(NULL) != t);
	assert_int_equal(cap_lines, RATELIMIT_BURST);
}

#define HAMMER_THREADS 8
#define FRESH_ROUNDS   2000

static struct ratelimit shared_rl;
static atomic_uint shared_granted, shared_calls;
static time_t hammer_until;

static void *hammer(void *arg)
{
	unsigned mine = 0, calls = 0;

	(void)arg;
	/* Across at least two second boundaries, where windows are taken over. */
	while (time(NULL) < hammer_until) {
		for (int i = 0; i < 1000; i++)
			mine += ratelimit_ok(&shared_rl);
		calls += 1000;
	}
	atomic_fetch_add(&shared_calls, calls);
	atomic_fetch_add(&shared_granted, mine);
	return NULL;
}

/* Threads hammering one budget together never get more than it holds: at most
 * RATELIMIT_BURST per second the run spans. */
static void test_ratelimit_threads(void **state)
{
	pthread_t th[HAMMER_THREADS];
	time_t t0, t1;
	unsigned granted;

	(void)state;
	t0 = time(NULL);
	hammer_until = t0 + 3;
	for (int i = 0; i < HAMMER_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < HAMMER_THREADS; i++)
		pthread_join(th[i], NULL);
	t1 = time(NULL);
	granted = atomic_load(&shared_granted);
	print_message("%u of %u calls granted over %lld windows\n", granted, atomic_load(&shared_calls),
		      (long long)(t1 - t0 + 1));
	assert_true(granted >= 3 * RATELIMIT_BURST);
	assert_true(granted <= RATELIMIT_BURST * (unsigned)(t1 - t0 + 1));
}

/* The racy moment is a fresh budget: every thread starts on the same one at once, round
 * after round (a plain counter let two threads both take its last line). */
static struct ratelimit fresh_rl[FRESH_ROUNDS];
static atomic_uint fresh_granted[FRESH_ROUNDS];
static pthread_barrier_t round_start, round_end;

static void *fresh_racer(void *arg)
{
	(void)arg;
	for (int r = 0; r < FRESH_ROUNDS; r++) {
		pthread_barrier_wait(&round_start);
		for (int i = 0; i < RATELIMIT_BURST; i++)
			if (ratelimit_ok(&fresh_rl[r]))
				atomic_fetch_add(&fresh_granted[r], 1);
		pthread_barrier_wait(&round_end);
	}
	return NULL;
}

static void test_ratelimit_fresh_race(void **state)
{
	pthread_t th[HAMMER_THREADS];
	unsigned checked = 0;

	(void)state;
	assert_int_equal(pthread_barrier_init(&round_start, NULL, HAMMER_THREADS + 1), 0);
	assert_int_equal(pthread_barrier_init(&round_end, NULL, HAMMER_THREADS + 1), 0);
	for (int i = 0; i < HAMMER_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, fresh_racer, NULL), 0);
	for (int r = 0; r < FRESH_ROUNDS; r++) {
		time_t before = time(NULL);

		pthread_barrier_wait(&round_start);
		pthread_barrier_wait(&round_end);
		/* All of the round's calls fell in one second: one window, one budget. */
		if (time(NULL) == before) {
			assert_int_equal(atomic_load(&fresh_granted[r]), RATELIMIT_BURST);
			checked++;
		}
	}
	for (int i = 0; i < HAMMER_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&round_start);
	pthread_barrier_destroy(&round_end);
	assert_true(checked > FRESH_ROUNDS / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_log_never_blocks),
		cmocka_unit_test_setup_teardown(test_levels, cap_setup, cap_teardown),
		cmocka_unit_test_setup_teardown(test_ratelimit_per_object, cap_setup, cap_teardown),
		cmocka_unit_test_setup_teardown(test_ratelimit_per_site, cap_setup, cap_teardown),
		cmocka_unit_test(test_ratelimit_threads),
		cmocka_unit_test(test_ratelimit_fresh_race),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
