/* perfcount: count CPU cycles and instructions of a busy loop with perf_event_open and print
 * them, for the guest's PMU check (tests/boot/cases/cpu-features.sh). Static: the guest's
 * initrd and the L1 have no libc. For each event a line "PERF-CYCLES=N" (or
 * PERF-INSTRUCTIONS=N), or "PERF-OPEN-FAILED <event>: <error>" (no PMU: what --no-pmu must
 * give; QEMU's TCG PMU counts instructions only with -icount, so an L1 may lack that one).
 * Exits 0 when both counted, 1 otherwise. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_counter(uint64_t config, const char *name)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = config;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0)
		printf("PERF-OPEN-FAILED %s: %s\n", name, strerror(errno));
	return fd;
}

/* Count one event over the busy loop: the count, or -1 when it cannot be opened or read. */
static long long count(uint64_t config, const char *name)
{
	volatile uint64_t sink = 0;
	uint64_t n = 0;
	int fd = open_counter(config, name);

	if (fd < 0)
		return -1;
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	for (uint64_t i = 0; i < 10000000; i++)
		sink += i;
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	if (read(fd, &n, sizeof(n)) != sizeof(n)) {
		printf("PERF-READ-FAILED %s: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return (long long)n;
}

int main(void)
{
	long long cycles = count(PERF_COUNT_HW_CPU_CYCLES, "cycles");
	long long instructions = count(PERF_COUNT_HW_INSTRUCTIONS, "instructions");

	if (cycles >= 0)
		printf("PERF-CYCLES=%lld\n", cycles);
	if (instructions >= 0)
		printf("PERF-INSTRUCTIONS=%lld\n", instructions);
	fflush(stdout);
	return cycles > 0 && instructions > 0 ? 0 : 1;
}
