/* mqtap [-d] NAME: create (or delete) a persistent multi-queue tap (IFF_MULTI_QUEUE), which
 * busybox's tunctl cannot, for the vmm -n tapif=NAME,mq=N boot cases (tests/boot/cases/net.sh). */
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

int main(int argc, char **argv)
{
	struct ifreq ifr;
	int fd, del = argc == 3 && !strcmp(argv[1], "-d");
	const char *name = argv[argc - 1];

	if (argc != 2 + del || strlen(name) >= IFNAMSIZ) {
		fprintf(stderr, "usage: mqtap [-d] NAME\n");
		return 2;
	}
	fd = open("/dev/net/tun", O_RDWR);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, !del) < 0) {
		perror("mqtap");
		return 1;
	}
	close(fd);
	return 0;
}
