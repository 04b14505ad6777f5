/* test_console.c - the console stream: a stalled stdout never blocks the writer,
 * keeps at most CONSOLE_OUT_BUF bytes, and drains in order once the reader is back. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../console.h"
#include "../../vm.h"

static struct vm vm;
static struct vm_config cfg;
static struct console con;
static int pipe_fd[2];

static int setup(void **state)
{
	char err[128];

	(void)state;
	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.event_fd = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(pipe2(pipe_fd, O_NONBLOCK), 0);
	assert_int_equal(console_init(&con, &vm, pipe_fd[1], NULL, NULL, NULL, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	console_destroy(&con);
	close(pipe_fd[0]);
	close(pipe_fd[1]);
	close(vm.event_fd);
	return 0;
}

/* Read everything the pipe holds; the byte count. */
static size_t pipe_drain(uint8_t *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap && (r = read(pipe_fd[0], buf + n, cap - n)) > 0)
		n += r;
	return n;
}

/* Lines numbered 0..n-1, 16 bytes each ("L0000012345678\r\n" style). */
static void write_lines(unsigned first, unsigned n)
{
	char line[17];

	for (unsigned i = first; i < first + n; i++) {
		snprintf(line, sizeof(line), "L%013u\r\n", i);
		console_output(&con, line, 16);
	}
}

static void test_output_queued_and_drained(void **state)
{
	uint8_t buf[64];
	uint64_t wakes = 0;

	(void)state;
	write_lines(0, 2);
	/* Nothing is written by the writer itself: the event loop is woken to do it. */
	assert_int_equal(read(pipe_fd[0], buf, sizeof(buf)), -1);
	assert_int_equal(read(vm.event_fd, &wakes, sizeof(wakes)), sizeof(wakes));
	assert_int_equal(wakes, 1);
	assert_int_equal(console_out_pollfd(&con), pipe_fd[1]);
	console_out_drain(&con);
	assert_int_equal(console_out_pollfd(&con), -1);
	assert_int_equal(pipe_drain(buf, sizeof(buf)), 32);
	assert_memory_equal(buf, "L0000000000000\r\nL0000000000001\r\n", 32);
}

static void test_stalled_reader_bounded(void **state)
{
	static uint8_t buf[4 * CONSOLE_OUT_BUF];
	unsigned lines = 3 * CONSOLE_OUT_BUF / 16;
	size_t got, pipe_cap;

	(void)state;
	/* Nobody reads: fill the pipe through the console, then flood it. */
	write_lines(0, lines);
	console_out_drain(&con);    /* the pipe takes what it can and no more */
	write_lines(lines, lines);  /* the writer never blocks */
	assert_true(con.out_len <= CONSOLE_OUT_BUF);
	assert_true(con.out_dropped > 0);
	/* The reader comes back: what was kept arrives in order, whole lines first. */
	got = pipe_drain(buf, sizeof(buf));
	pipe_cap = got;
	while (console_out_pollfd(&con) >= 0) {
		console_out_drain(&con);
		got += pipe_drain(buf + got, sizeof(buf) - got);
	}
	assert_true(pipe_cap > 0);
	assert_int_equal(got + con.out_dropped, 2 * (size_t)lines * 16);
	assert_memory_equal(buf, "L0000000000000\r\n", 16);
	for (size_t off = 16; off + 16 <= pipe_cap; off += 16)
		assert_int_equal(buf[off], 'L');
}

static void test_closed_reader(void **state)
{
	(void)state;
	close(pipe_fd[0]);
	pipe_fd[0] = open("/dev/null", O_RDONLY);
	write_lines(0, 4);
	console_out_drain(&con); /* EPIPE (SIGPIPE ignored): output is gone, the guest runs on */
	assert_int_equal(con.out_fd, -1);
	write_lines(4, 4);
	assert_int_equal(console_out_pollfd(&con), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_output_queued_and_drained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_reader_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_reader, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
