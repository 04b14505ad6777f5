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
/* Guest output waiting for stdout and for the log. Each has a writer thread (outq.h): a
 * reader or a disk that stops taking bytes costs the guest its output past this, never a
 * blocked vCPU, I/O thread or event loop. */
#define CONSOLE_OUT_BUF (256 * 1024)
#define CONSOLE_LOG_BUF (1024 * 1024)

struct outq;

/* What the console saw, for whoever runs the guest to decide on (vm_run.c: the exit code,
 * the panic grace period). The console decides nothing itself. */
enum console_event {
	CONSOLE_FAIL_ON_MATCHED,   /* a line matched --fail-on */
	CONSOLE_PANIC_BANNER,      /* the Linux panic banner (kernel/panic.c) */
	CONSOLE_EXPECT_MATCHED,    /* a line matched --expect */
};

struct console_listener {
	/* Called with the console's lock held, on the thread that gave the output (a vCPU,
	 * the I/O thread, or the main thread flushing): t is the time of the line. */
	void (*event)(void *arg, enum console_event ev, double t);
	void *arg;
	double t0;              /* times are seconds since this CLOCK_MONOTONIC time (the exec) */
};

struct console {
	struct vm *vm;          /* not read by the console (vm_create sets it); events go to the listener */
	pthread_mutex_t lock;   /* the line, the matches and the listener; never held across a write */
	struct console_listener listener; /* event NULL when nobody listens */
	double t0;              /* the last listener's t0: times stay right after console_detach */
	struct outq *out;       /* stdout, or NULL */
	struct outq *log;       /* --console-log, or NULL */
	int log_fd;             /* closed by console_destroy, on the thread that owns it */
	bool out_tty;           /* a terminal gets bytes at once; anything else whole lines */
	bool have_expect, have_fail_on;
	regex_t expect, fail_on;
	char line[CONSOLE_LINE_MAX];
	size_t line_len;
	uint64_t bytes;
	double first_byte;      /* seconds since exec, 0 before any output */
	double matches[CONSOLE_MAX_MATCHES]; /* times of --expect matches */
	unsigned nr_matches;
};

/* Set up the stream (regexes compiled, log opened, writer threads started); 0 or -errno
 * with a one-line reason. Call after seccomp_configure. */
int console_init(struct console *c, struct vm *vm, int out_fd, const char *log_path,
		 const char *expect, const char *fail_on, char *err, size_t errlen);
/* Guest output from any device: queued for stdout and the log, matched. Never blocks on
 * either. Thread safe. */
void console_output(struct console *c, const void *buf, size_t len);
/* The VMM's own text for the person at the console (the monitor prompt): stdout only,
 * neither logged nor matched. Never blocks. Thread safe. */
void console_host_output(struct console *c, const void *buf, size_t len);
/* Report events to *l (copied) from now on, until console_detach. */
void console_attach(struct console *c, const struct console_listener *l);
/* No event after this returns: one being reported is finished first. Output still goes
 * out, logged and matched (its times kept). Safe when not attached. */
void console_detach(struct console *c);
/* How many lines matched --expect so far. */
unsigned console_nr_matches(struct console *c);
/* Flush a partial line (at exit). */
void console_flush(struct console *c);
/* At exit: wait at most timeout_ms for stdout and the log to take what is queued. */
void console_finish(struct console *c, int timeout_ms);
/* Stop the writers (what they still hold is reported), free regexes, close the log. */
void console_destroy(struct console *c);

#endif
