/* util.c - logging, number parsing, I/O helpers. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t (*log_sink)(void *arg, const void *buf, size_t len);
static void *log_sink_arg;
static _Atomic int log_max_level = LOG_LVL_INFO;

void log_set_sink(size_t (*put)(void *arg, const void *buf, size_t len), void *arg)
{
	log_sink_arg = arg;
	log_sink = put;
}

void log_set_level(enum log_level max)
{
	atomic_store_explicit(&log_max_level, max, memory_order_relaxed);
}

bool log_enabled(enum log_level level)
{
	return (int)level <= atomic_load_explicit(&log_max_level, memory_order_relaxed);
}

void log_at(enum log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (!log_enabled(level))
		return;
	/* One write per line so lines from several threads do not interleave. */
	n = snprintf(line, sizeof(line), "vmm: ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 2, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (log_sink)
		log_sink(log_sink_arg, line, n);
	else
		(void)!write(STDERR_FILENO, line, n);
}

bool ratelimit_ok(struct ratelimit *rl)
{
	/* Window and count in one word, changed by compare-and-swap: two threads can
	 * neither both start a new window nor both take the last line of a budget. The
	 * window only moves forward: a thread that read the clock just before a new second
	 * began counts against the new window, never brings back the old one. */
	uint32_t now = (uint32_t)time(NULL);
	uint64_t old = atomic_load_explicit(&rl->state, memory_order_relaxed), next;

	do {
		uint32_t window = old >> 32, count = (uint32_t)old;

		if ((int32_t)(now - window) > 0 || !old)
			next = (uint64_t)now << 32 | 1;
		else if (count >= RATELIMIT_BURST)
			return false;
		else
			next = old + 1;
	} while (!atomic_compare_exchange_weak_explicit(&rl->state, &old, next, memory_order_relaxed,
							memory_order_relaxed));
	return true;
}

/* The decimal number s starts with (no sign, no space); *end is what follows it. */
static int parse_leading(const char *s, unsigned long long *v, char **end)
{
	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, end, 10);
	return errno == ERANGE ? -ERANGE : 0;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int ret = parse_leading(s, &v, &end);

	if (ret)
		return ret;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_mem_size(const char *s, uint64_t *bytes)
{
	unsigned long long v;
	uint64_t shift = 20; /* bare numbers are MiB, as in kvmtool */
	char *end;
	int ret = parse_leading(s, &v, &end);

	if (ret)
		return ret;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default: return -EINVAL;
		}
		end++;
		if (toupper((unsigned char)*end) == 'B' || toupper((unsigned char)*end) == 'I')
			end++;
		if (*end)
			return -EINVAL;
	}
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = (uint64_t)v << shift;
	return 0;
}

int parse_duration_ms(const char *s, uint64_t *ms)
{
	static const struct { const char *suffix; uint64_t ms; } units[] = {
		{ "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 }, { "h", 3600000 },
	};
	unsigned long long v;
	char *end;
	int ret = parse_leading(s, &v, &end);

	if (ret)
		return ret;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (!strcmp(end, units[i].suffix)) {
			if (v > UINT64_MAX / units[i].ms / 1000)
				return -ERANGE;
			*ms = v * units[i].ms;
			return 0;
		}
	}
	return -EINVAL;
}

int read_full(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

uint64_t le_load(const void *p, unsigned len)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (unsigned i = 0; i < len && i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

void le_store(void *p, unsigned len, uint64_t v)
{
	uint8_t *b = p;

	for (unsigned i = 0; i < len && i < 8; i++)
		b[i] = v >> (8 * i);
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = sb->cap - sb->len;

		va_start(ap, fmt);
		n = vsnprintf(sb->buf ? sb->buf + sb->len : NULL, sb->buf ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0 || sb->oom)
			return;
		if (sb->buf && (size_t)n < room) {
			sb->len += n;
			return;
		}
		size_t cap = sb->cap ? sb->cap * 2 : 256;
		while (cap < sb->len + n + 1)
			cap *= 2;
		char *nb = realloc(sb->buf, cap);
		if (!nb) {
			sb->oom = true;
			return;
		}
		sb->buf = nb;
		sb->cap = cap;
	}
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	*sb = (struct strbuf){ 0 };
}
