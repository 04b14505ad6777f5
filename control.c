/* control.c - the control socket (AF_UNIX, line protocol) and the console escape monitor. */
#include "control.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "command.h"
#include "console.h"
#include "util.h"
#include "vm.h"

struct control_client {
	int fd;
	char line[COMMAND_LINE_MAX];
	size_t len;
	bool overlong;          /* the current line outgrew the buffer: answered, then skipped */
};

struct control {
	int listen_fd;
	int dir_fd;             /* the control directory: the socket leaves with unlinkat in it */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t base;            /* where NAME.sock starts in path */
	struct control_client clients[CONTROL_MAX_CLIENTS];
	/* console escape and the (vmm) prompt on the serial console */
	bool escape, monitor;
	char mline[COMMAND_LINE_MAX];
	size_t mlen;
};

/* Try one candidate directory: create it 0700 and check nobody else can get in. */
static int try_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the control directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	/* Private: ours and nobody else's, or another user could drive our VMs. */
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(err, errlen, "%s must be a directory owned by you with mode 0700", dir);
		return -EPERM;
	}
	return 0;
}

int control_dir(char *buf, size_t len, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	int ret = -ENOENT;

	/* The first that works: $XDG_RUNTIME_DIR/vmm, /run/vmm (root), ~/.vmm, /tmp/vmm-UID.
	 * Servers and clients walk the same list, so they meet in the same place. */
	for (int i = 0; i < 4 && ret; i++) {
		if (i == 0 && xdg && xdg[0])
			snprintf(buf, len, "%s/vmm", xdg);
		else if (i == 1 && geteuid() == 0)
			snprintf(buf, len, "/run/vmm");
		else if (i == 2 && home && home[0] && strcmp(home, "/"))
			snprintf(buf, len, "%s/.vmm", home);
		else if (i == 3)
			snprintf(buf, len, "/tmp/vmm-%u", (unsigned)geteuid());
		else
			continue;
		ret = try_dir(buf, err, errlen);
	}
	return ret;
}

static int socket_path(const char *name, char *path, size_t len, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int ret = control_dir(dir, sizeof(dir), err, errlen);

	if (ret)
		return ret;
	/* The same check as --name (cli.c): a name never leads outside the directory. */
	if (!cli_name_valid(name)) {
		snprintf(err, errlen, "'%.80s' is not a VM name: " CLI_NAME_RULE, name);
		return -EINVAL;
	}
	if ((size_t)snprintf(path, len, "%s/%s.sock", dir, name) >= len) {
		snprintf(err, errlen, "control socket path %s/%s.sock is too long", dir, name);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Remove path if it is a socket (a VM's, gone); anything else is left alone. 0 if removed. */
static int unlink_socket(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	return unlink(path) < 0 ? -errno : 0;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* A VM that is stopped (SIGSTOP) or stuck must not hang `vmm list` and friends. */
	struct timeval tv = { .tv_sec = 30 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

int control_open(struct vm *vm, const char *name, struct control **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *c = calloc(1, sizeof(*c));
	struct stat st;
	char err[256];
	int fd, ret;

	(void)vm;
	if (!c)
		return -ENOMEM;
	c->listen_fd = c->dir_fd = -1;
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	ret = socket_path(name, c->path, sizeof(c->path), err, sizeof(err));
	if (ret) {
		log_err("control: %s", err);
		free(c);
		return ret;
	}
	/* Opened now, at setup: the main thread's filter allows unlinkat in this fd only. */
	c->base = strrchr(c->path, '/') + 1 - c->path;
	c->path[c->base - 1] = '\0';
	c->dir_fd = open(c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c->path[c->base - 1] = '/';
	if (c->dir_fd < 0) {
		ret = -errno;
		log_err("control: %.*s: %s", (int)c->base - 1, c->path, strerror(-ret));
		free(c);
		return ret;
	}
	fd = unix_connect(c->path);
	if (fd >= 0) {
		close(fd);
		log_err("control: a VM named %s is already running (%s); pick another --name", name, c->path);
		c->path[0] = '\0';
		control_close(c);
		return -EEXIST;
	}
	/* Bind and listen under a private name, then rename into place: a client never sees
	 * a socket that refuses connections, so never takes a starting VM's socket for stale. */
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.%d", c->path, (int)getpid()) >=
	    sizeof(sa.sun_path)) {
		log_err("control: socket path %s is too long", c->path);
		c->path[0] = '\0';
		control_close(c);
		return -ENAMETOOLONG;
	}
	unlink_socket(sa.sun_path);
	/* rename() replaces whatever is there: only ever a socket (a stale one). */
	if (lstat(c->path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		log_err("control: %s is not a socket; remove it or pick another --name", c->path);
		c->path[0] = '\0';
		control_close(c);
		return -EEXIST;
	}
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(sa.sun_path, 0600) < 0 || listen(c->listen_fd, 8) < 0 || rename(sa.sun_path, c->path) < 0) {
		ret = -errno;
		log_err("control: cannot listen on %s: %s", c->path, strerror(-ret));
		unlink_socket(sa.sun_path);
		c->path[0] = '\0';
		control_close(c);
		return ret;
	}
	*out = c;
	return 0;
}

void control_seccomp_fds(const struct control *c, int *dir_fd, int *listen_fd)
{
	*dir_fd = c ? c->dir_fd : -1;
	*listen_fd = c ? c->listen_fd : -1;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].fd >= 0)
			close(c->clients[i].fd);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->path[0] && unlinkat(c->dir_fd, c->path + c->base, 0) < 0)
		log_warn("control: removing %s: %s", c->path, strerror(errno));
	if (c->dir_fd >= 0)
		close(c->dir_fd);
	free(c);
}

unsigned control_pollfds(struct control *c, struct pollfd *pfd, unsigned max)
{
	unsigned n = 0;

	if (!c || !max)
		return 0;
	pfd[n++] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS && n < max; i++)
		pfd[n++] = (struct pollfd){ .fd = c->clients[i].fd, .events = POLLIN };
	return n;
}

static void client_drop(struct control_client *cl)
{
	close(cl->fd);
	cl->fd = -1;
	cl->len = 0;
	cl->overlong = false;
}

/* Send a whole reply within a second; a client that reads too slowly or hangs up is
 * dropped, so no client holds up the event loop (and with it the console and signals). */
static void client_reply(struct control_client *cl, const struct strbuf *sb)
{
	struct timespec start, now;
	size_t off = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (cl->fd >= 0 && off < sb->len) {
		ssize_t n = send(cl->fd, sb->buf + off, sb->len - off, MSG_NOSIGNAL);
		long left_ms;

		if (n > 0) {
			off += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = 1000 - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
		if (n < 0 && errno == EAGAIN && left_ms > 0) {
			struct pollfd p = { .fd = cl->fd, .events = POLLOUT };

			if (poll(&p, 1, left_ms) > 0)
				continue;
		}
		client_drop(cl);
	}
}

static void client_line(struct control_client *cl, struct vm *vm, const char *line)
{
	struct strbuf sb = { 0 };

	command_run(vm, line, &sb);
	if (sb.oom) {
		sb_free(&sb);
		sb_printf(&sb, "error: out of memory\n");
	}
	client_reply(cl, &sb);
	sb_free(&sb);
}

/* Read what the client sent and run every complete line. */
static void client_input(struct control_client *cl, struct vm *vm)
{
	char buf[512];
	ssize_t n = recv(cl->fd, buf, sizeof(buf), 0);

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			client_drop(cl);
		return;
	}
	for (ssize_t i = 0; i < n && cl->fd >= 0; i++) {
		if (buf[i] == '\n') {
			cl->line[cl->len] = '\0';
			if (cl->overlong) {
				struct strbuf sb = { 0 };

				sb_printf(&sb, "error: line longer than %d bytes\n", COMMAND_LINE_MAX - 1);
				client_reply(cl, &sb);
				sb_free(&sb);
			} else {
				client_line(cl, vm, cl->line);
			}
			cl->len = 0;
			cl->overlong = false;
		} else if (cl->len + 1 < sizeof(cl->line)) {
			cl->line[cl->len++] = buf[i];
		} else {
			cl->overlong = true;
		}
	}
}

static void control_accept(struct control *c)
{
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (c->clients[i].fd < 0) {
			c->clients[i].fd = fd;
			c->clients[i].len = 0;
			return;
		}
	}
	/* Too many at once: say so and hang up; the VM is not affected. */
	(void)!send(fd, "error: too many control clients\n", 32, MSG_NOSIGNAL);
	close(fd);
}

void control_serve(struct control *c, struct vm *vm, const struct pollfd *pfd, unsigned n)
{
	if (!c || !n)
		return;
	for (unsigned i = 1; i < n; i++) {
		struct control_client *cl = &c->clients[i - 1];

		if (cl->fd >= 0 && pfd[i].fd == cl->fd && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			client_input(cl, vm);
	}
	if (pfd[0].revents & POLLIN)
		control_accept(c);
}

/* ---- console escape ---- */

/* Through the console's stdout queue: a stalled terminal never blocks the event loop. */
static void monitor_print(struct vm *vm, const char *s)
{
	console_host_output(vm->console, s, strlen(s));
}

static void monitor_key(struct control *c, struct vm *vm, uint8_t ch)
{
	if (ch == '\r' || ch == '\n') {
		struct strbuf sb = { 0 };

		monitor_print(vm, "\n");
		c->mline[c->mlen] = '\0';
		if (c->mlen) {
			command_run(vm, c->mline, &sb);
			if (sb.buf)
				monitor_print(vm, sb.buf);
			sb_free(&sb);
		}
		c->mlen = 0;
		monitor_print(vm, "(vmm) ");
	} else if (ch == 0x7f || ch == 0x08) {
		if (c->mlen) {
			c->mlen--;
			monitor_print(vm, "\b \b");
		}
	} else if (ch >= 0x20 && ch < 0x7f && c->mlen + 1 < sizeof(c->mline)) {
		char s[2] = { (char)ch, 0 };

		c->mline[c->mlen++] = ch;
		monitor_print(vm, s);
	}
}

/* After Ctrl-A: c toggles the monitor, a sends a Ctrl-A on, x stops the VM, else ignored. */
static bool escape_key(struct control *c, struct vm *vm, uint8_t ch)
{
	switch (ch) {
	case 'c':
		c->monitor = !c->monitor;
		c->mlen = 0;
		monitor_print(vm, c->monitor ? "\n(vmm) " : "\n");
		return false;
	case 'x':
		vm_request_stop(vm, VMM_EXIT_FORCED);
		return false;
	case CONSOLE_ESCAPE:
	case 'a':
		return true;
	default:
		return false;
	}
}

size_t control_console_filter(struct control *c, struct vm *vm, uint8_t *buf, size_t len)
{
	size_t out = 0;

	if (!c)
		return len;
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = buf[i];

		if (c->escape) {
			c->escape = false;
			if (escape_key(c, vm, ch) && !c->monitor)
				buf[out++] = CONSOLE_ESCAPE;
		} else if (ch == CONSOLE_ESCAPE) {
			c->escape = true;
		} else if (c->monitor) {
			monitor_key(c, vm, ch);
		} else {
			buf[out++] = ch;
		}
	}
	return out;
}

/* ---- client side ---- */

int control_connect(const char *name, char *err, size_t errlen)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int ret = socket_path(name, path, sizeof(path), err, errlen);

	if (ret)
		return ret;
	ret = unix_connect(path);
	if (ret == -ECONNREFUSED && !unlink_socket(path)) {
		/* stale: its VM is gone */
		snprintf(err, errlen, "no VM named %s is running (removed its stale socket)", name);
	} else if (ret == -ECONNREFUSED) {
		snprintf(err, errlen, "no VM named %s is running (%s is not a socket; left alone)", name, path);
	} else if (ret < 0) {
		snprintf(err, errlen, "no VM named %s is running (%s)", name, strerror(-ret));
	}
	return ret;
}

/* Send all of buf without SIGPIPE (a client process does not ignore it); 0 or -errno. */
static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

int control_request(int fd, const char *line, struct strbuf *reply)
{
	size_t start = reply->len;
	/* A VM that hangs up before reading the line (too many clients) said why first:
	 * read that reply even when the send failed. */
	int sent = send_all(fd, line, strlen(line));

	if (!sent)
		sent = send_all(fd, "\n", 1);
	for (;;) {
		char buf[4096];
		ssize_t got = recv(fd, buf, sizeof(buf), 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return sent ? sent : -ECONNRESET;
		sb_printf(reply, "%.*s", (int)got, buf);
		/* The reply ends at a line "ok" or "error: ...". */
		for (char *p = reply->buf + start; reply->buf && p < reply->buf + reply->len;) {
			char *nl = memchr(p, '\n', reply->buf + reply->len - p);

			if (!nl)
				break;
			if (nl - p == 2 && !strncmp(p, "ok", 2))
				return 0;
			if (!strncmp(p, "error: ", 7))
				return 1;
			p = nl + 1;
		}
	}
}

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
