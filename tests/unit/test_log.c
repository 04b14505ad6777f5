/* test_log.c - vmm's own log lines (util.c): through an output queue (log_set_sink,
 * outq.c) a stderr nobody reads never blocks the thread that logs, and lines arrive whole
 * and in order; levels (debug only with -v). */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_log_never_blocks),
		cmocka_unit_test_setup_teardown(test_levels, cap_setup, cap_teardown),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
