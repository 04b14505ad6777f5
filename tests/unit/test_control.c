/* Unit tests: the control socket's client side (control.c): which names reach a socket
 * path, and what a failed connection may remove. The control directory is a temporary
 * $XDG_RUNTIME_DIR/vmm; unix sockets work under qemu-user. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../cli.h"
#include "../../control.h"
#include "../../util.h"

static char top[64];    /* $XDG_RUNTIME_DIR */
static char dir[128];   /* the control directory in it */

static int setup(void **state)
{
	char err[256];

	(void)state;
	snprintf(top, sizeof(top), "/tmp/vmm-test-control-XXXXXX");
	if (!mkdtemp(top))
		return -1;
	setenv("XDG_RUNTIME_DIR", top, 1);
	return control_dir(dir, sizeof(dir), err, sizeof(err));
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	return system(cmd) ? -1 : 0;
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fclose(f);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* A unix socket bound at path: listening (fd returned) or closed at once (stale). */
static int bound_socket(const char *path, bool listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listening) {
		assert_int_equal(listen(fd, 1), 0);
		return fd;
	}
	close(fd);
	return -1;
}

static void test_name_rules(void **state)
{
	char n64[65], n65[66];

	(void)state;
	memset(n64, 'a', 64), n64[64] = '\0';
	memset(n65, 'a', 65), n65[65] = '\0';
	assert_true(cli_name_valid("ci-1.vm_2"));
	assert_true(cli_name_valid(n64));
	assert_false(cli_name_valid(n65));
	assert_false(cli_name_valid(""));
	assert_false(cli_name_valid(".."));
	assert_false(cli_name_valid(".hidden"));
	assert_false(cli_name_valid("-x"));
	assert_false(cli_name_valid("a/b"));
	assert_false(cli_name_valid("../../x"));
	assert_false(cli_name_valid("a b"));
}

/* Issue 11 (c): a client name with a path in it is refused before any connect or unlink,
 * so it neither reaches a socket outside the directory nor removes a file there. */
static void test_name_cannot_leave_the_directory(void **state)
{
	char path[256], err[256];
	int lfd;

	(void)state;
	snprintf(path, sizeof(path), "%s/outside.sock", top);
	touch(path);
	assert_int_equal(control_connect("../outside", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not a VM name"));
	assert_true(exists(path));

	snprintf(path, sizeof(path), "%s/listening.sock", top);
	lfd = bound_socket(path, true);
	assert_int_equal(control_connect("../listening", err, sizeof(err)), -EINVAL);
	close(lfd);
	/* The server checks the same way. */
	assert_int_equal(control_open(NULL, "../listening", &(struct control *){ NULL }), -EINVAL);
}

/* Only a socket is stale: a file that refuses connections is left where it is. */
static void test_only_sockets_are_unlinked(void **state)
{
	char path[256], err[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/file.sock", dir);
	touch(path);
	assert_int_equal(control_connect("file", err, sizeof(err)), -ECONNREFUSED);
	assert_non_null(strstr(err, "not a socket; left alone"));
	assert_true(exists(path));

	snprintf(path, sizeof(path), "%s/stale.sock", dir);
	bound_socket(path, false);
	assert_int_equal(control_connect("stale", err, sizeof(err)), -ECONNREFUSED);
	assert_non_null(strstr(err, "removed its stale socket"));
	assert_false(exists(path));
}

/* A live VM's socket: connected, and nothing removed. */
static void test_live_socket(void **state)
{
	char path[256], err[256];
	int lfd, fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/live.sock", dir);
	lfd = bound_socket(path, true);
	fd = control_connect("live", err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	close(lfd);
	assert_true(exists(path));
}

/* The server side: it never replaces a non-socket with its own, and at exit removes its
 * socket (unlinkat in the directory fd it opened at setup) and nothing else. */
static void test_server_socket(void **state)
{
	struct control *c = NULL;
	char path[256], err[256];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/plain.sock", dir);
	touch(path);
	assert_int_equal(control_open(NULL, "plain", &c), -EEXIST);
	assert_true(exists(path));

	assert_int_equal(control_open(NULL, "served", &c), 0);
	fd = control_connect("served", err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	control_close(c);
	snprintf(path, sizeof(path), "%s/served.sock", dir);
	assert_false(exists(path));
}

/* The client's reading of "info dtb FILE": exactly three words, nothing else. */
static void test_dtb_file_words(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(control_dtb_file("info dtb /tmp/x.dtb", buf, sizeof(buf)), "/tmp/x.dtb");
	assert_string_equal(control_dtb_file("  info\tdtb  f  ", buf, sizeof(buf)), "f");
	assert_null(control_dtb_file("info dtbfile", buf, sizeof(buf)));
	assert_null(control_dtb_file("info dtb", buf, sizeof(buf)));
	assert_null(control_dtb_file("info dtb a b", buf, sizeof(buf)));
	assert_null(control_dtb_file("info gic all", buf, sizeof(buf)));
	assert_null(control_dtb_file("info dtb 0123456789abcdef", buf, sizeof(buf)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_name_cannot_leave_the_directory),
		cmocka_unit_test(test_only_sockets_are_unlinked),
		cmocka_unit_test(test_live_socket),
		cmocka_unit_test(test_server_socket),
		cmocka_unit_test(test_dtb_file_words),
	};
	return cmocka_run_group_tests_name("control", tests, setup, teardown);
}
