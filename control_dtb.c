/* control_dtb.c - `info dtb FILE` on the client side: the VM sends the DTB as base64 lines
 * (command.c info_dtb), and the client process decodes them and writes FILE, so the VM
 * process opens no file once it runs (README, Security). */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "util.h"

const char *control_dtb_file(const char *line, char *buf, size_t len)
{
	char copy[COMMAND_LINE_MAX], *w[4], *save = NULL;
	unsigned n = 0;

	if (snprintf(copy, sizeof(copy), "%s", line) >= (int)sizeof(copy))
		return NULL;
	for (char *t = strtok_r(copy, " \t\r\n", &save); t && n < 4; t = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = t;
	if (n != 3 || strcmp(w[0], "info") || strcmp(w[1], "dtb") || strlen(w[2]) >= len)
		return NULL;
	return strcpy(buf, w[2]);
}

int dtb_write_file(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), ret;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = write_full(fd, buf, len);
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	return ret;
}

static int b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

/* One "dtb:" line of base64 (whole quads, '=' padding only at the end) onto out. */
static int b64_line(const char *p, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	if (n % 4)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = (p[i + 3] == '=') + (p[i + 2] == '=' && p[i + 3] == '=');
		uint32_t w = 0;

		for (int j = 0; j < 4; j++) {
			v[j] = j >= 4 - pad ? 0 : b64_value(p[i + j]);
			if (v[j] < 0)
				return -EINVAL;
			w = w << 6 | v[j];
		}
		if (pad && i + 4 != n)
			return -EINVAL;
		if (*len + 3 - pad > cap)
			return -EFBIG;
		out[(*len)++] = w >> 16;
		if (pad < 2)
			out[(*len)++] = w >> 8;
		if (pad < 1)
			out[(*len)++] = w;
	}
	return 0;
}

int control_save_dtb(const struct strbuf *reply, const char *path, size_t *size, char *err, size_t errlen)
{
	const char *p = reply->buf ? reply->buf : "", *end = p + reply->len;
	size_t want = SIZE_MAX, len = 0;
	uint8_t *buf = NULL;
	int ret = 0;

	for (; p < end && !ret; ) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (want == SIZE_MAX && sscanf(p, "dtb %zu bytes, base64:", &want) == 1) {
			/* A DTB is at most a few hundred KiB (arch_fdt_build's room in RAM). */
			buf = want <= (64u << 20) ? malloc(want ? want : 1) : NULL;
			ret = buf ? 0 : -EFBIG;
		} else if (n >= 4 && !strncmp(p, "dtb:", 4)) {
			ret = buf ? b64_line(p + 4, n - 4, buf, want, &len) : -EINVAL;
		}
		p += n + 1;
	}
	if (ret || !buf || len != want) {
		ret = -EINVAL;
		snprintf(err, errlen, "the VM's info dtb reply is malformed or incomplete");
	} else {
		ret = dtb_write_file(path, buf, len, err, errlen);
	}
	if (!ret)
		*size = len;
	free(buf);
	return ret;
}
