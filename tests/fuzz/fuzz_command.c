/* fuzz_command.c - the control-socket protocol and command parser (control.c, command.c):
 * arbitrary bytes from a client on a real AF_UNIX socket, and the same bytes typed on the
 * console through the Ctrl-A escape and the (vmm) monitor. The VM behind them is fake: KVM
 * answers through the ioctl wrapper; "info dtb" finds no tree (and the VM side writes no file).
 *
 * Input: one byte of options (which paths, chunking), then the bytes themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../arch/arm64/memmap.h"
#include "../../control.h"
#include "../../devices/uart.h"
#include "../../util.h"
#include "../../virtio/devices.h"
#include "fuzz.h"

#define CHUNK 512

static char dir[] = "/tmp/vmm-fuzz-XXXXXX";

/* The socket directory control_dir made under dir, then dir itself. */
static void remove_dirs(void)
{
	char sub[sizeof(dir) + 8];

	snprintf(sub, sizeof(sub), "%s/vmm", dir);
	rmdir(sub);
	rmdir(dir);
}

static void setup_once(void)
{
	int null_fd = open("/dev/null", O_WRONLY);

	/* The monitor prints to stdout: keep libFuzzer's output readable. */
	if (!mkdtemp(dir) || setenv("XDG_RUNTIME_DIR", dir, 1) || null_fd < 0 || dup2(null_fd, STDOUT_FILENO) < 0)
		abort();
	close(null_fd);
	atexit(remove_dirs);
}

static struct vm *vm_with_devices(void)
{
	struct vm *vm = fake_vm_create(0x10000, FAKE_GICV3_ITS, 2);

	if (uart_create(&vm->env, guest_memmap[MEM_UART].base, guest_irqmap[IRQ_UART].intid, NULL, &vm->uart) ||
	    virtio_rng_create(&vm->vhost, &vm->virtio[0]))
		abort();
	vm->nr_virtio = 1;
	return vm;
}

/* Serve what is waiting: a new client, or bytes from the connected one. */
static void serve(struct control *c, struct vm *vm)
{
	struct pollfd pfd[1 + CONTROL_MAX_CLIENTS];
	unsigned n = control_pollfds(c, pfd, ARRAY_SIZE(pfd));

	if (poll(pfd, n, 0) > 0)
		control_serve(c, vm, pfd, n);
}

/* Read the replies so the server never blocks on a full socket. */
static void drain(int fd)
{
	char buf[4096];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* The server drops a client whose replies stay unread for a second. Hundreds of short
 * replies to one 512-byte read fill a unix socket's default buffer (it counts each
 * reply's overhead), so give the server's end room: no input stalls for a second. */
static void roomy_server_end(struct control *c)
{
	struct pollfd pfd[1 + CONTROL_MAX_CLIENTS];
	unsigned n = control_pollfds(c, pfd, ARRAY_SIZE(pfd));
	int size = 16 << 20;

	for (unsigned i = 1; i < n; i++)
		if (pfd[i].fd >= 0)
			setsockopt(pfd[i].fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
}

static void over_socket(struct control *c, struct vm *vm, const uint8_t *p, size_t n, size_t chunk)
{
	char err[256];
	int fd = control_connect("fuzz", err, sizeof(err));

	if (fd < 0)
		abort();
	serve(c, vm); /* accept */
	roomy_server_end(c);
	for (size_t off = 0; off < n; off += chunk) {
		size_t len = n - off < chunk ? n - off : chunk;

		/* A refused send is the server having dropped us: that is its right. */
		if (send(fd, p + off, len, MSG_NOSIGNAL) != (ssize_t)len)
			break;
		serve(c, vm);
		drain(fd);
	}
	/* End the last line, so every byte was parsed. */
	(void)!send(fd, "\n", 1, MSG_NOSIGNAL);
	serve(c, vm);
	drain(fd);
	close(fd);
	serve(c, vm); /* the hang-up */
}

static void over_console(struct control *c, struct vm *vm, const uint8_t *p, size_t n)
{
	uint8_t *buf = malloc(n + 3);
	size_t out;

	if (!buf)
		abort();
	/* Ctrl-A c opens the monitor first, then the bytes are typed, then Enter. */
	buf[0] = CONSOLE_ESCAPE;
	buf[1] = 'c';
	memcpy(buf + 2, p, n);
	buf[n + 2] = '\r';
	out = control_console_filter(c, vm, buf, n + 3);
	FUZZ_CHECK(out <= n + 3);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct fuzz_in in = { data, size };
	uint8_t opts = fin_u8(&in);
	struct control *c;
	struct vm *vm;

	if (!ready)
		setup_once();
	ready = true;
	vm = vm_with_devices();
	if (control_open(vm, "fuzz", &c))
		abort();
	vm->control = c;
	if (!(opts & 1))
		over_socket(c, vm, in.p, in.n, opts & 2 ? 1 + opts % 64 : CHUNK);
	if (opts & 5)
		over_console(c, vm, in.p, in.n);
	control_close(c);
	fake_vm_destroy(vm);
	return 0;
}
