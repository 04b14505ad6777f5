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

/* Print "vmm: <msg>" to stderr. Every line names its source in the format. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define log_err(...)  log_msg(__VA_ARGS__)
/* Send log lines to put(arg, line, len) (an output queue, so no thread ever waits on a
 * stalled stderr) instead of writing them to stderr; NULL puts stderr back. Call while no
 * other thread logs. */
void log_set_sink(size_t (*put)(void *arg, const void *buf, size_t len), void *arg);
/* Like log_msg, but at most a few lines per second per call site (guest-triggered paths). */
#define log_ratelimited(...)                                                  \
	do {                                                                  \
		static struct ratelimit rl_;                                  \
		if (ratelimit_ok(&rl_))                                       \
			log_msg(__VA_ARGS__);                                 \
	} while (0)

struct ratelimit {
	time_t window;
	unsigned count;
};
/* True if one more message fits in this call site's budget for the current second. */
bool ratelimit_ok(struct ratelimit *rl);

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
