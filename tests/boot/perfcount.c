/* perfcount: count CPU cycles and instructions of a busy loop with perf_event_open and print
 * them, for the guest's PMU check (tests/boot/cases/cpu-features.sh). Static: the guest's
 * initrd has no libc. Prints "PERF-CYCLES=N PERF-INSTRUCTIONS=N" and exits 0, or
 * "PERF-OPEN-FAILED <event>: <error>" and exits 1 (no PMU: what --no-pmu must give). */
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

int main(void)
{
	volatile uint64_t sink = 0;
	uint64_t cycles = 0, instructions = 0;
	int cfd = open_counter(PERF_COUNT_HW_CPU_CYCLES, "cycles");
	int ifd = cfd < 0 ? -1 : open_counter(PERF_COUNT_HW_INSTRUCTIONS, "instructions");

	if (cfd < 0 || ifd < 0)
		return 1;
	ioctl(cfd, PERF_EVENT_IOC_ENABLE, 0);
	ioctl(ifd, PERF_EVENT_IOC_ENABLE, 0);
	for (uint64_t i = 0; i < 10000000; i++)
		sink += i;
	ioctl(cfd, PERF_EVENT_IOC_DISABLE, 0);
	ioctl(ifd, PERF_EVENT_IOC_DISABLE, 0);
	if (read(cfd, &cycles, sizeof(cycles)) != sizeof(cycles) ||
	    read(ifd, &instructions, sizeof(instructions)) != sizeof(instructions)) {
		printf("PERF-READ-FAILED: %s\n", strerror(errno));
		return 1;
	}
	printf("PERF-CYCLES=%llu PERF-INSTRUCTIONS=%llu\n", (unsigned long long)cycles,
	       (unsigned long long)instructions);
	return 0;
}
