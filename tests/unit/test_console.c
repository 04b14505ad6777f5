/* test_console.c - the console stream: output goes through writer threads (outq.c), so a
 * stalled stdout or a failing log never blocks the thread that produced the output, keeps
 * at most its queue, drains in order once the reader is back, and a failed log write is
 * reported without the producer's thread closing anything. What the console sees (--expect,
 * --fail-on, the panic banner) goes to a fake sink, each event once, with no struct vm. */
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

static struct console con;
static int pipe_fd[2];

/* The fake sink: what it heard, in order, and a clock that ticks once per reading. */
struct sink {
	enum console_event ev[16];
	double t[16];
	unsigned n;
	double clock;
};
static struct sink sink;

static void sink_saw(void *arg, enum console_event ev, double t)
{
	struct sink *s = arg;

	assert_ptr_equal(s, &sink);
	if (s->n < 16) {
		s->ev[s->n] = ev;
		s->t[s->n] = t;
	}
	s->n++;
}

static double sink_now(void *arg)
{
	struct sink *s = arg;

	return s->clock += 1.0;
}

static const struct console_events sink_events = { .saw = sink_saw, .now = sink_now, .arg = &sink };

/* stdout a pipe whose write end blocks, like a terminal: only the writer thread may wait. */
static int setup_match(const char *log_path, const char *expect, const char *fail_on)
{
	char err[128];

	memset(&sink, 0, sizeof(sink));
	assert_int_equal(pipe(pipe_fd), 0);
	assert_int_equal(fcntl(pipe_fd[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(console_init(&con, &sink_events, pipe_fd[1], log_path, expect, fail_on, err,
				      sizeof(err)), 0);
	return 0;
}

static int setup_log(const char *log_path)
{
	return setup_match(log_path, NULL, NULL);
}

static int setup_patterns(void **state)
{
	(void)state;
	return setup_match(NULL, "^login:", "BUG:|Oops");
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

static void put(const char *s)
{
	console_output(&con, s, strlen(s));
}

/* Each event once, in the order of the lines, times from the sink's clock; the console
 * records every --expect match and the first of the others. */
static void test_events_once_each(void **state)
{
	double t[CONSOLE_MAX_MATCHES];

	(void)state;
	put("booting\r\n");
	assert_int_equal(sink.n, 0);
	assert_true(console_first_byte(&con) > 0);
	put("[    1.0] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n");
	put("[    1.1] Kernel panic - not syncing: again\r\n");
	put("BUG: soft lockup\r\n");
	put("Oops: again\r\n");
	put("login: ");        /* no newline yet: not a line */
	assert_int_equal(sink.n, 2);
	put("\r\nlogin: again\n");
	assert_int_equal(sink.n, 3);
	assert_int_equal(sink.ev[0], CONSOLE_PANIC_BANNER);
	assert_int_equal(sink.ev[1], CONSOLE_FAIL_ON_MATCHED);
	assert_int_equal(sink.ev[2], CONSOLE_EXPECT_MATCHED);
	assert_true(sink.t[0] > 0 && sink.t[0] < sink.t[1] && sink.t[1] < sink.t[2]);
	assert_true(console_first_seen(&con, CONSOLE_PANIC_BANNER) == sink.t[0]);
	assert_true(console_first_seen(&con, CONSOLE_FAIL_ON_MATCHED) == sink.t[1]);
	assert_true(console_first_seen(&con, CONSOLE_EXPECT_MATCHED) == sink.t[2]);
	assert_int_equal(console_expect_matches(&con, t, CONSOLE_MAX_MATCHES), 2);
	assert_true(t[0] == sink.t[2] && t[1] > t[0]);
	console_flush(&con);
	assert_int_equal(sink.n, 3);
}

/* One event per line: --fail-on wins over the banner and --expect on the same line. */
static void test_one_event_per_line(void **state)
{
	(void)state;
	put("login: Oops Kernel panic - not syncing\n");
	put("login: Kernel panic - not syncing\n");
	assert_int_equal(sink.n, 2);
	assert_int_equal(sink.ev[0], CONSOLE_FAIL_ON_MATCHED);
	assert_int_equal(sink.ev[1], CONSOLE_PANIC_BANNER);
	assert_int_equal(console_expect_matches(&con, NULL, 0), 0);
	assert_true(console_first_seen(&con, CONSOLE_EXPECT_MATCHED) == 0);
}

/* A partial line is matched by console_flush (at exit); a new sink (a VM built again) hears
 * each event once more, no sink hears nothing and the records still grow. */
static void test_flush_and_new_sink(void **state)
{
	(void)state;
	put("login:");
	assert_int_equal(sink.n, 0);
	console_flush(&con);
	assert_int_equal(sink.n, 1);
	put("login: again\n");
	assert_int_equal(sink.n, 1);
	console_set_events(&con, NULL);
	put("login: nobody hears\n");
	assert_int_equal(sink.n, 1);
	console_set_events(&con, &sink_events);
	put("login: once more\n");
	put("login: and again\n");
	assert_int_equal(sink.n, 2);
	assert_int_equal(sink.ev[1], CONSOLE_EXPECT_MATCHED);
	assert_int_equal(console_expect_matches(&con, NULL, 0), 5);
}

/* No patterns: only the banner is an event; no sink at all is fine too. */
static void test_no_patterns_no_sink(void **state)
{
	(void)state;
	put("login: BUG: Oops\n");
	assert_int_equal(sink.n, 0);
	put("Kernel panic - not syncing: x\n");
	assert_int_equal(sink.n, 1);
	assert_int_equal(sink.ev[0], CONSOLE_PANIC_BANNER);
	console_set_events(&con, NULL);
	put("Kernel panic - not syncing: y\n");
	assert_int_equal(sink.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_output_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_reader_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_with_stalled_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_write_fails, setup_full_log, teardown),
		cmocka_unit_test_setup_teardown(test_closed_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_once_each, setup_patterns, teardown),
		cmocka_unit_test_setup_teardown(test_one_event_per_line, setup_patterns, teardown),
		cmocka_unit_test_setup_teardown(test_flush_and_new_sink, setup_patterns, teardown),
		cmocka_unit_test_setup_teardown(test_no_patterns_no_sink, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
