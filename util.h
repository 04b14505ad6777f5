/* util.h - logging, number parsing and small helpers shared by every subsystem. */
#ifndef VMM_UTIL_H
#define VMM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SZ_4K  ((uint64_t)0x1000)
#define SZ_64K ((uint64_t)0x10000)
#define SZ_1M  ((uint64_t)0x100000)
#define SZ_2M  ((uint64_t)0x200000)
#define SZ_1G  ((uint64_t)0x40000000)

#define ALIGN_UP(x, a)   (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((uint64_t)(a) - 1)) == 0)

/*
 * Log levels. Every line is "vmm: <subsystem>: <msg>" on stderr whatever its level (the
 * tests match lines literally); the level only decides whether it is printed at all:
 * error, warn and info always, debug only with `vmm run -v` (log_set_level).
 */
enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
/* Print "vmm: <msg>" if level is enabled. Every line names its source in the format.
 * The one function every log line goes through (the fuzzers wrap it). */
void log_at(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print lines up to and including max (LOG_LVL_INFO by default). Any thread, any time. */
void log_set_level(enum log_level max);
/* Would a line at this level be printed? (log_debug asks before formatting.) */
bool log_enabled(enum log_level level);
#define log_err(...)   log_at(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_at(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                        \
	do {                                                                  \
		if (log_enabled(LOG_LVL_DEBUG))                               \
			log_at(LOG_LVL_DEBUG, __VA_ARGS__);                   \
	} while (0)
/* A line with no level chosen yet: printed as info. */
#define log_msg(...)   log_info(__VA_ARGS__)
/* Send log lines to put(arg, line, len) (an output queue, so no thread ever waits on a
 * stalled stderr) instead of writing them to stderr; NULL puts stderr back. Call while no
 * other thread logs. */
void log_set_sink(size_t (*put)(void *arg, const void *buf, size_t len), void *arg);

/*
 * Rate limits for lines a guest can trigger: at most RATELIMIT_BURST lines per second per
 * budget. A budget is a struct ratelimit, zeroed to start (static, calloc or memset), and
 * is safe to share between threads (vCPUs, the I/O thread and the main loop all log).
 */
#define RATELIMIT_BURST 5
struct ratelimit {
	_Atomic uint64_t state; /* the second of the window << 32 | lines granted in it */
};
/* True if one more line fits in this budget for the current second. */
bool ratelimit_ok(struct ratelimit *rl);
/* A warning under the budget of the object it is about (a device, a queue, a vCPU), so one
 * object's flood cannot silence another's. */
#define log_ratelimited_obj(rl, ...)                                          \
	do {                                                                  \
		if (ratelimit_ok(rl))                                         \
			log_warn(__VA_ARGS__);                                \
	} while (0)
/* A warning under one budget per call site (shared by every object that reaches it). */
#define log_ratelimited(...)                                                  \
	do {                                                                  \
		static struct ratelimit rl_;                                  \
		log_ratelimited_obj(&rl_, __VA_ARGS__);                       \
	} while (0)

/* Parse a decimal unsigned integer in [min, max]; 0 or -EINVAL/-ERANGE. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Parse a memory size: plain numbers are MiB, K/M/G suffixes allowed; bytes out. */
int parse_mem_size(const char *s, uint64_t *bytes);

/* Parse a duration: plain seconds, or with ms, s, m or h; milliseconds out. */
int parse_duration_ms(const char *s, uint64_t *ms);
/* Read exactly len bytes at offset; 0, -EIO on short file, or -errno. */
int read_full(int fd, void *buf, size_t len, uint64_t off);
/* Write all of buf, retrying on EINTR and short writes; 0 or -errno. */
int write_full(int fd, const void *buf, size_t len);

/* A growing text buffer for command replies. */
struct strbuf {
	char *buf;
	size_t len, cap;
	bool oom;
};
/* Append formatted text (an allocation failure is remembered in oom). */
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Free the buffer and start empty. */
void sb_free(struct strbuf *sb);

/* Little-endian loads/stores of 1, 2, 4 or 8 bytes (MMIO data buffers). */
uint64_t le_load(const void *p, unsigned len);
void le_store(void *p, unsigned len, uint64_t v);

#endif
