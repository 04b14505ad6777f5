/* test_console.c - the console stream: output goes through writer threads (outq.c), so a
 * stalled stdout or a failing log never blocks the thread that produced the output, keeps
 * at most its queue, drains in order once the reader is back, and a failed log write is
 * reported without the producer's thread closing anything. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../console.h"
#include "../../outq.h"
#include "../../vm.h"

static struct vm vm;
static struct vm_config cfg;
static struct console con;
static int pipe_fd[2];

/* stdout a pipe whose write end blocks, like a terminal: only the writer thread may wait. */
static int setup_log(const char *log_path)
{
	char err[128];

	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.event_fd = -1;
	assert_int_equal(pipe(pipe_fd), 0);
	assert_int_equal(fcntl(pipe_fd[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(console_init(&con, &vm, pipe_fd[1], log_path, NULL, NULL, err, sizeof(err)), 0);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_log(NULL);
}

static int setup_full_log(void **state)
{
	(void)state;
	return setup_log("/dev/full");
}

static int teardown(void **state)
{
	(void)state;
	console_destroy(&con);
	close(pipe_fd[0]);
	close(pipe_fd[1]);
	return 0;
}

/* Read everything the pipe holds now; the byte count. */
static size_t pipe_drain(uint8_t *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap && (r = read(pipe_fd[0], buf + n, cap - n)) > 0)
		n += r;
	return n;
}

/* Lines numbered first.., 16 bytes each ("L0000000000012\r\n"). */
static void write_lines(unsigned first, unsigned n)
{
	char line[17];

	for (unsigned i = first; i < first + n; i++) {
		snprintf(line, sizeof(line), "L%013u\r\n", i);
		console_output(&con, line, 16);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_output_in_order(void **state)
{
	uint8_t buf[64];

	(void)state;
	write_lines(0, 2);
	console_finish(&con, 5000);
	assert_int_equal(outq_pending(con.out), 0);
	assert_int_equal(pipe_drain(buf, sizeof(buf)), 32);
	assert_memory_equal(buf, "L0000000000000\r\nL0000000000001\r\n", 32);
}

static void test_stalled_reader_bounded(void **state)
{
	static uint8_t buf[8 * CONSOLE_OUT_BUF];
	unsigned lines = 3 * CONSOLE_OUT_BUF / 16;
	size_t got = 0, kept;
	double t0 = now_s();

	(void)state;
	/* Nobody reads and the fd blocks: the producer still returns at once, every time. */
	write_lines(0, 2 * lines);
	assert_true(now_s() - t0 < 10);
	assert_true(outq_pending(con.out) <= CONSOLE_OUT_BUF + 16384);
	assert_true(outq_dropped(con.out) > 0);
	/* The reader comes back: what was kept arrives in order. */
	for (int idle = 0; idle < 200;) {
		size_t n = pipe_drain(buf + got, sizeof(buf) - got);

		got += n;
		idle = n || outq_pending(con.out) ? 0 : idle + 1;
		usleep(1000);
	}
	kept = got;
	assert_int_equal(kept + outq_dropped(con.out), 2 * (size_t)lines * 16);
	assert_memory_equal(buf, "L0000000000000\r\n", 16);
	for (size_t off = 16; off + 16 <= kept; off += 16)
		assert_int_equal(buf[off], 'L');
}

/* The reader never comes back: teardown does not wait for ever on the blocked writer. */
static void test_destroy_with_stalled_reader(void **state)
{
	double t0 = now_s();

	(void)state;
	write_lines(0, CONSOLE_OUT_BUF / 4);
	console_finish(&con, 200);
	console_destroy(&con);
	assert_true(now_s() - t0 < 10);
	assert_null(con.out);
}

/* A log on a full disk: the write fails on the writer thread, which reports it and drops the
 * rest; nothing is closed there (a vCPU's seccomp list has no close), the guest runs on. */
static void test_log_write_fails(void **state)
{
	int fd;

	(void)state;
	write_lines(0, 100);
	assert_int_equal(outq_flush(con.log, 5000), -ENOSPC);
	write_lines(100, 100);
	assert_int_equal(outq_pending(con.log), 0);
	assert_true(outq_dropped(con.log) >= 100 * 16);
	fd = con.log_fd;
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) >= 0); /* still open: only console_destroy closes it */
	/* stdout is unaffected. */
	console_finish(&con, 5000);
	assert_int_equal(outq_pending(con.out), 0);
}

static void test_closed_reader(void **state)
{
	(void)state;
	close(pipe_fd[0]);
	pipe_fd[0] = open("/dev/null", O_RDONLY);
	write_lines(0, 4);
	/* EPIPE (SIGPIPE ignored): output is gone, the guest runs on. */
	assert_int_equal(outq_flush(con.out, 5000), -EPIPE);
	write_lines(4, 4);
	assert_int_equal(outq_pending(con.out), 0);
}

/* What the console saw goes to the sink attached, in the order of the lines, the first of
 * fail-on, panic banner and expect per line; nothing once detached, but the match times
 * are still kept. The console decides no exit code itself. */
struct seen {
	enum console_event ev[8];
	double t[8];
	unsigned n;
};

static void record(void *arg, enum console_event ev, double t)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->ev[s->n] = ev;
		s->t[s->n++] = t;
	}
}

static void out(struct console *c, const char *s)
{
	console_output(c, s, strlen(s));
}

static void test_events(void **state)
{
	struct seen seen = { 0 };
	struct console c;
	struct timespec ts;
	char err[128];
	double now;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec + ts.tv_nsec / 1e9;
	assert_int_equal(console_init(&c, NULL, -1, NULL, "DONE", "FAIL", err, sizeof(err)), 0);
	console_attach(&c, &(struct console_listener){ .event = record, .arg = &seen, .t0 = now - 100 });
	out(&c, "boot\nDONE\n");
	out(&c, "[ 1.0] Kernel panic - not syncing: x\nFAIL and DONE\n");
	out(&c, "DON");
	console_flush(&c); /* a partial line is matched too: no event here, "DON" */
	out(&c, "E");
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.ev[0], CONSOLE_EXPECT_MATCHED);
	assert_int_equal(seen.ev[1], CONSOLE_PANIC_BANNER);
	assert_int_equal(seen.ev[2], CONSOLE_FAIL_ON_MATCHED);
	assert_true(seen.t[0] >= 100 && seen.t[0] < 200);
	assert_true(c.first_byte >= 100 && c.first_byte <= seen.t[0]);
	assert_int_equal(console_nr_matches(&c), 1);
	console_detach(&c);
	out(&c, "\nDONE\nFAIL\n");
	console_flush(&c);
	assert_int_equal(seen.n, 3);
	assert_int_equal(console_nr_matches(&c), 2);
	assert_true(c.matches[1] >= c.matches[0]);
	console_detach(&c); /* twice: fine */
	console_destroy(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_output_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_reader_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_with_stalled_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_write_fails, setup_full_log, teardown),
		cmocka_unit_test_setup_teardown(test_closed_reader, setup, teardown),
		cmocka_unit_test(test_events),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
