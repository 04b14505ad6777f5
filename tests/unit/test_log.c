/* test_log.c - vmm's own log lines through an output queue (util.c log_set_sink, outq.c):
 * a stderr nobody reads never blocks the thread that logs; lines arrive whole and in order. */
#include <fcntl.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_log_never_blocks),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
