/* console.h - the guest console stream: to stdout and a log file, matched line by line
 * against --expect / --fail-on and the Linux panic banner. The console records what it saw
 * and reports it through struct console_events; what a match means (an exit code, a
 * deadline) is the VM's to decide (vm.c). */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H

#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_LINE_MAX 4096
#define CONSOLE_MAX_MATCHES 16
/* Guest output waiting for stdout and for the log. Each has a writer thread (outq.h): a
 * reader or a disk that stops taking bytes costs the guest its output past this, never a
 * blocked vCPU, I/O thread or event loop. */
#define CONSOLE_OUT_BUF (256 * 1024)
#define CONSOLE_LOG_BUF (1024 * 1024)

struct outq;

/* What a complete console line showed. */
enum console_event {
	CONSOLE_EXPECT_MATCHED,  /* --expect matched */
	CONSOLE_FAIL_ON_MATCHED, /* --fail-on matched */
	CONSOLE_PANIC_BANNER,    /* the Linux panic banner */
	CONSOLE_NR_EVENTS,
};

/* Who hears what the console saw, and its clock. saw() is called on the thread that wrote
 * the line (a vCPU, the I/O thread, or the main thread's console_flush) with the console's
 * lock held: it must not call into the console. Each event at most once per sink, in the
 * order the lines came. A line matches one event: --fail-on, else the banner, else --expect. */
struct console_events {
	void (*saw)(void *arg, enum console_event ev, double t);
	double (*now)(void *arg);  /* seconds since exec, for the records; NULL: 0 */
	void *arg;
};

struct console {
	pthread_mutex_t lock;   /* the line, the records and the sink; never held across a write */
	struct console_events ev; /* no sink: ev.saw NULL */
	bool reported[CONSOLE_NR_EVENTS]; /* told to this sink already */
	struct outq *out;       /* stdout, or NULL */
	struct outq *log;       /* --console-log, or NULL */
	int log_fd;             /* closed by console_destroy, on the thread that owns it */
	bool out_tty;           /* a terminal gets bytes at once; anything else whole lines */
	bool have_expect, have_fail_on;
	regex_t expect, fail_on;
	char line[CONSOLE_LINE_MAX];
	size_t line_len;
	/* What the console saw, over its whole life (a restart keeps them); read them through
	 * the accessors below. */
	uint64_t bytes;
	double first_byte;      /* seconds since exec, 0 before any output */
	double matches[CONSOLE_MAX_MATCHES]; /* times of --expect matches */
	unsigned nr_matches;    /* --expect matches, at most CONSOLE_MAX_MATCHES kept */
	double first_fail_on, first_panic; /* 0: not seen */
};

/* Set up the stream (regexes compiled, log opened, writer threads started); 0 or -errno
 * with a one-line reason. Call after seccomp_configure. */
int console_init(struct console *c, const struct console_events *ev, int out_fd, const char *log_path,
		 const char *expect, const char *fail_on, char *err, size_t errlen);
/* Point the reports at another sink (a VM built again), or none (NULL): each event is
 * reported to the new sink once more. Thread safe. */
void console_set_events(struct console *c, const struct console_events *ev);
/* When the first byte of output came (seconds since exec), 0 before any. Thread safe. */
double console_first_byte(struct console *c);
/* --expect matches so far (counted up to CONSOLE_MAX_MATCHES); their times into t[0..max),
 * when t is not NULL. Thread safe. */
unsigned console_expect_matches(struct console *c, double *t, unsigned max);
/* When the console first saw an event, 0 if never. Thread safe. */
double console_first_seen(struct console *c, enum console_event ev);
/* Guest output from any device: queued for stdout and the log, matched. Never blocks on
 * either. Thread safe. */
void console_output(struct console *c, const void *buf, size_t len);
/* The VMM's own text for the person at the console (the monitor prompt): stdout only,
 * neither logged nor matched. Never blocks. Thread safe. */
void console_host_output(struct console *c, const void *buf, size_t len);
/* Flush a partial line (at exit). */
void console_flush(struct console *c);
/* At exit: wait at most timeout_ms for stdout and the log to take what is queued. */
void console_finish(struct console *c, int timeout_ms);
/* Stop the writers (what they still hold is reported), free regexes, close the log. */
void console_destroy(struct console *c);

#endif
