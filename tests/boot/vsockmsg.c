/* vsockmsg.c - one message each way over AF_VSOCK for the vsock boot cases (busybox has no
 * vsock): static, in the guest's initrd and in the L1.
 *   vsockmsg listen PORT          accept one connection, print VSOCK-GOT=<message>, reply
 *                                 "reply:<message>", exit 0
 *   vsockmsg send CID PORT MSG    connect (retrying for up to 120 s while the peer is not
 *                                 listening yet), send MSG, print VSOCK-REPLY=<reply> */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

static int read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return (int)n;
}

static int do_listen(unsigned port)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port };
	char msg[256], reply[300];
	int s = socket(AF_VSOCK, SOCK_STREAM, 0), c;

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1)) {
		perror("vsockmsg: listen");
		return 1;
	}
	printf("VSOCK-LISTENING=%u\n", port);
	fflush(stdout);
	c = accept(s, NULL, NULL);
	if (c < 0) {
		perror("vsockmsg: accept");
		return 1;
	}
	read_all(c, msg, sizeof(msg));
	printf("VSOCK-GOT=%s\n", msg);
	fflush(stdout);
	snprintf(reply, sizeof(reply), "reply:%s", msg);
	if (write(c, reply, strlen(reply)) != (ssize_t)strlen(reply)) {
		perror("vsockmsg: write");
		return 1;
	}
	close(c);
	close(s);
	return 0;
}

static int do_send(unsigned cid, unsigned port, const char *msg)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };
	char reply[300];
	int s = -1;

	for (int tries = 0; tries < 240; tries++) {
		s = socket(AF_VSOCK, SOCK_STREAM, 0);
		if (s < 0) {
			perror("vsockmsg: socket");
			return 1;
		}
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
			break;
		if (errno != ECONNRESET && errno != ECONNREFUSED && errno != ETIMEDOUT && errno != ENODEV) {
			perror("vsockmsg: connect");
			return 1;
		}
		close(s);
		s = -1;
		usleep(500000);
	}
	if (s < 0) {
		fprintf(stderr, "vsockmsg: connect: nobody listened on %u:%u\n", cid, port);
		return 1;
	}
	if (write(s, msg, strlen(msg)) != (ssize_t)strlen(msg) || shutdown(s, SHUT_WR)) {
		perror("vsockmsg: write");
		return 1;
	}
	read_all(s, reply, sizeof(reply));
	printf("VSOCK-REPLY=%s\n", reply);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "listen"))
		return do_listen((unsigned)strtoul(argv[2], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "send"))
		return do_send((unsigned)strtoul(argv[2], NULL, 0), (unsigned)strtoul(argv[3], NULL, 0), argv[4]);
	fprintf(stderr, "usage: vsockmsg listen PORT | vsockmsg send CID PORT MSG\n");
	return 2;
}
