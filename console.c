/* console.c - one path for guest console bytes: out, log, match. */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "vm.h"

/* Linux prints this on every panic (kernel/panic.c); a guest with panic=N then resets. */
static const char panic_banner[] = "Kernel panic - not syncing";

int console_init(struct console *c, struct vm *vm, int out_fd, const char *log_path,
		 const char *expect, const char *fail_on, char *err, size_t errlen)
{
	int r;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->vm = vm;
	c->out_fd = out_fd;
	c->out_tty = isatty(out_fd);
	c->log_fd = -1;
	if (out_fd >= 0 && !(c->out_buf = malloc(CONSOLE_OUT_BUF))) {
		snprintf(err, errlen, "console: out of memory");
		return -ENOMEM;
	}
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
			snprintf(err, errlen, "--console-log %s: %s", log_path, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* Queue bytes for stdout (lock held). The event loop writes them: a vCPU never waits on
 * a reader, however slow. */
static void console_queue_out(struct console *c, const uint8_t *buf, size_t len)
{
	bool was_empty = c->out_len == 0;
	size_t room = CONSOLE_OUT_BUF - c->out_len, n = len < room ? len : room;

	for (size_t i = 0; i < n; i++)
		c->out_buf[(c->out_head + c->out_len + i) % CONSOLE_OUT_BUF] = buf[i];
	c->out_len += n;
	if (n < len) {
		c->out_dropped += len - n;
		log_ratelimited("console: stdout is not keeping up; %llu bytes of guest output dropped "
				"(--console-log keeps them all)", (unsigned long long)c->out_dropped);
	}
	if (was_empty && n && c->vm)
		vm_wake(c->vm); /* the event loop now polls stdout */
}

static void console_write_out(struct console *c, const void *buf, size_t len)
{
	if (c->out_fd >= 0 && c->out_buf)
		console_queue_out(c, buf, len);
	if (c->log_fd >= 0 && write_full(c->log_fd, buf, len) < 0) {
		log_err("console: writing the console log failed: %s", strerror(errno));
		close(c->log_fd);
		c->log_fd = -1;
	}
}

/* A complete line (no newline, no carriage return): the first match decides the exit. */
static void console_match(struct console *c, const char *line)
{
	if (c->have_fail_on && regexec(&c->fail_on, line, 0, NULL, 0) == 0) {
		vm_request_stop(c->vm, VMM_EXIT_FAIL_ON);
	} else if (strstr(line, panic_banner)) {
		/* Keep the backtrace: the stop comes with the guest's reset, or after a grace period. */
		if (!c->vm->t_panic) {
			c->vm->t_panic = vm_uptime(c->vm);
			vm_wake(c->vm); /* the event loop now has a deadline */
		}
	} else if (c->have_expect && regexec(&c->expect, line, 0, NULL, 0) == 0) {
		if (c->nr_matches < CONSOLE_MAX_MATCHES)
			c->matches[c->nr_matches++] = vm_uptime(c->vm);
		vm_request_stop(c->vm, VMM_EXIT_POWEROFF);
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
		c->first_byte = vm_uptime(c->vm);
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

void console_flush(struct console *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->line_len)
		console_end_line(c);
	pthread_mutex_unlock(&c->lock);
}

int console_out_pollfd(struct console *c)
{
	int fd;

	pthread_mutex_lock(&c->lock);
	fd = c->out_len ? c->out_fd : -1;
	pthread_mutex_unlock(&c->lock);
	return fd;
}

void console_out_drain(struct console *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->out_fd >= 0 && c->out_len) {
		/* At most PIPE_BUF after POLLOUT: a pipe takes that much without blocking (pipe(7)). */
		size_t n = CONSOLE_OUT_BUF - c->out_head;
		struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };
		ssize_t w;

		n = n < c->out_len ? n : c->out_len;
		n = n < PIPE_BUF ? n : PIPE_BUF;
		w = write(c->out_fd, c->out_buf + c->out_head, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			if (errno != EAGAIN)
				c->out_fd = -1; /* output gone (closed pipe): the guest runs on */
			break;
		}
		c->out_head = (c->out_head + w) % CONSOLE_OUT_BUF;
		c->out_len -= w;
		if ((size_t)w < n)
			break;
		/* More only if stdout can still take it. */
		if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT))
			break;
	}
	pthread_mutex_unlock(&c->lock);
}

void console_out_finish(struct console *c, int timeout_ms)
{
	struct timespec t0, t;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((fd = console_out_pollfd(c)) >= 0) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		long spent;

		clock_gettime(CLOCK_MONOTONIC, &t);
		spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (spent >= timeout_ms || poll(&p, 1, timeout_ms - spent) != 1)
			break;
		console_out_drain(c);
	}
	if (c->out_len)
		log_err("console: %zu bytes of guest output not written: stdout is not reading", c->out_len);
}

void console_destroy(struct console *c)
{
	free(c->out_buf);
	c->out_buf = NULL;
	if (c->have_expect)
		regfree(&c->expect);
	if (c->have_fail_on)
		regfree(&c->fail_on);
	if (c->log_fd >= 0)
		close(c->log_fd);
	c->have_expect = c->have_fail_on = false;
	c->log_fd = -1;
}
