/* console.c - one path for guest console bytes: out, log, match. */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "outq.h"
#include "util.h"

/* Linux prints this on every panic (kernel/panic.c); a guest with panic=N then resets. */
static const char panic_banner[] = "Kernel panic - not syncing";

int console_init(struct console *c, struct vm *vm, int out_fd, const char *log_path,
		 const char *expect, const char *fail_on, char *err, size_t errlen)
{
	int r;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->vm = vm;
	c->out_tty = out_fd >= 0 && isatty(out_fd);
	c->log_fd = -1;
	if (expect && (r = regcomp(&c->expect, expect, REG_EXTENDED | REG_NOSUB))) {
		snprintf(err, errlen, "--expect '%s': not a valid extended regular expression", expect);
		return -EINVAL;
	}
	c->have_expect = expect != NULL;
	if (fail_on && (r = regcomp(&c->fail_on, fail_on, REG_EXTENDED | REG_NOSUB))) {
		snprintf(err, errlen, "--fail-on '%s': not a valid extended regular expression", fail_on);
		return -EINVAL;
	}
	c->have_fail_on = fail_on != NULL;
	if (log_path) {
		c->log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->log_fd < 0) {
			r = -errno;
			snprintf(err, errlen, "--console-log %s: %s", log_path, strerror(-r));
			return r;
		}
	}
	if ((out_fd >= 0 && (r = outq_create(&c->out, out_fd, CONSOLE_OUT_BUF, "console-out", "stdout"))) ||
	    (c->log_fd >= 0 && (r = outq_create(&c->log, c->log_fd, CONSOLE_LOG_BUF, "console-log", "--console-log")))) {
		snprintf(err, errlen, "console: cannot start its writer threads: %s", strerror(-r));
		return r;
	}
	return 0;
}

static void console_write_out(struct console *c, const void *buf, size_t len)
{
	if (c->out)
		outq_put(c->out, buf, len);
	if (c->log)
		outq_put(c->log, buf, len);
}

/* Seconds since the listener's t0 (vm_uptime's clock). */
static double console_now(const struct console *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9 - c->t0;
}

static void console_event(struct console *c, enum console_event ev, double t)
{
	if (c->listener.event)
		c->listener.event(c->listener.arg, ev, t);
}

/* A complete line (no newline, no carriage return): the first of fail-on, the panic banner
 * and expect that it matches is reported. */
static void console_match(struct console *c, const char *line)
{
	if (c->have_fail_on && regexec(&c->fail_on, line, 0, NULL, 0) == 0) {
		console_event(c, CONSOLE_FAIL_ON_MATCHED, console_now(c));
	} else if (strstr(line, panic_banner)) {
		console_event(c, CONSOLE_PANIC_BANNER, console_now(c));
	} else if (c->have_expect && regexec(&c->expect, line, 0, NULL, 0) == 0) {
		double t = console_now(c);

		if (c->nr_matches < CONSOLE_MAX_MATCHES)
			c->matches[c->nr_matches++] = t;
		console_event(c, CONSOLE_EXPECT_MATCHED, t);
	}
}

static void console_end_line(struct console *c)
{
	size_t n = c->line_len;

	if (!c->out_tty)
		console_write_out(c, c->line, n); /* whole lines when nobody watches live */
	while (n && (c->line[n - 1] == '\n' || c->line[n - 1] == '\r'))
		n--;
	c->line[n] = '\0';
	console_match(c, c->line);
	c->line_len = 0;
}

void console_output(struct console *c, const void *buf, size_t len)
{
	const char *p = buf;

	pthread_mutex_lock(&c->lock);
	if (!c->bytes && len)
		c->first_byte = console_now(c);
	c->bytes += len;
	if (c->out_tty)
		console_write_out(c, buf, len);
	for (size_t i = 0; i < len; i++) {
		c->line[c->line_len++] = p[i];
		/* A line longer than the buffer is matched in pieces. */
		if (p[i] == '\n' || c->line_len == sizeof(c->line) - 1)
			console_end_line(c);
	}
	pthread_mutex_unlock(&c->lock);
}

void console_attach(struct console *c, const struct console_listener *l)
{
	pthread_mutex_lock(&c->lock);
	c->listener = *l;
	c->t0 = l->t0;
	pthread_mutex_unlock(&c->lock);
}

void console_detach(struct console *c)
{
	pthread_mutex_lock(&c->lock);
	c->listener = (struct console_listener){ .t0 = c->t0 };
	pthread_mutex_unlock(&c->lock);
}

unsigned console_nr_matches(struct console *c)
{
	unsigned n;

	pthread_mutex_lock(&c->lock);
	n = c->nr_matches;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void console_flush(struct console *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->line_len)
		console_end_line(c);
	pthread_mutex_unlock(&c->lock);
}

void console_host_output(struct console *c, const void *buf, size_t len)
{
	if (c && c->out)
		outq_put(c->out, buf, len);
}

void console_finish(struct console *c, int timeout_ms)
{
	/* What is still queued after this is reported by console_destroy. */
	if (c->out)
		outq_flush(c->out, timeout_ms);
	if (c->log)
		outq_flush(c->log, timeout_ms);
}

void console_destroy(struct console *c)
{
	/* Writers first: the log fd is closed only once its writer is gone (or left blocked,
	 * in which case the fd stays open with it). */
	bool log_gone;

	outq_destroy(c->out, 0);
	c->out = NULL;
	log_gone = outq_destroy(c->log, 0);
	c->log = NULL;
	if (c->have_expect)
		regfree(&c->expect);
	if (c->have_fail_on)
		regfree(&c->fail_on);
	if (c->log_fd >= 0 && log_gone)
		close(c->log_fd);
	c->have_expect = c->have_fail_on = false;
	c->log_fd = -1;
}

