/* console.h - the guest console stream: to stdout and a log file, matched line by line
 * against --expect / --fail-on and the Linux panic banner. */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H

#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

#define CONSOLE_LINE_MAX 4096
#define CONSOLE_MAX_MATCHES 16
/* Guest output waiting for stdout. A reader that stops reading costs the guest its
 * output past this, never a blocked vCPU (the log file still gets every byte). */
#define CONSOLE_OUT_BUF (64 * 1024)

struct console {
	struct vm *vm;
	pthread_mutex_t lock;
	int out_fd;             /* stdout; -1 once it is gone */
	uint8_t *out_buf;       /* CONSOLE_OUT_BUF bytes for out_fd, written by the event loop */
	size_t out_head, out_len;
	uint64_t out_dropped;   /* bytes stdout could not take in time */
	bool out_tty;           /* a terminal gets bytes at once; anything else whole lines */
	int log_fd;             /* --console-log, or -1 */
	bool have_expect, have_fail_on;
	regex_t expect, fail_on;
	char line[CONSOLE_LINE_MAX];
	size_t line_len;
	uint64_t bytes;
	double first_byte;      /* seconds since exec, 0 before any output */
	double matches[CONSOLE_MAX_MATCHES]; /* times of --expect matches */
	unsigned nr_matches;
};

/* Set up the stream (regexes compiled, log opened); 0 or -errno with a one-line reason. */
int console_init(struct console *c, struct vm *vm, int out_fd, const char *log_path,
		 const char *expect, const char *fail_on, char *err, size_t errlen);
/* Guest output from any device: written out, logged, matched. Thread safe. */
void console_output(struct console *c, const void *buf, size_t len);
/* Flush a partial line (at exit). */
void console_flush(struct console *c);
/* The fd the event loop should poll for POLLOUT (output is waiting), or -1. */
int console_out_pollfd(struct console *c);
/* Write waiting output to stdout without blocking (event loop, after POLLOUT). */
void console_out_drain(struct console *c);
/* At exit: write what is left, waiting at most timeout_ms for a slow reader. */
void console_out_finish(struct console *c, int timeout_ms);
/* Free regexes, close the log. */
void console_destroy(struct console *c);

#endif
