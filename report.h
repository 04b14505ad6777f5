/* report.h - the --report JSON: timeline, exits, interrupts, I/O, memory, maps. */
#ifndef VMM_REPORT_H
#define VMM_REPORT_H

#include <stdio.h>

struct vm;

/* The report's file and the /proc files it reads, open from setup on: the main thread's
 * seccomp filter lets it open no file once the VM runs. */
struct report {
	FILE *out, *status, *smaps;
};

/* Open path for writing (truncated now) and /proc/self/status and smaps for reading, before
 * any VM is built; 0 or -errno (logged). */
int report_open(struct report *r, const char *path);
/* Write the report for a VM that ended with exit code code, and close the files; 0 or
 * -errno (logged). */
int report_write(struct report *r, struct vm *vm, int code, unsigned restarts);
/* Close whatever is still open. Safe twice, and on a zeroed struct. */
void report_close(struct report *r);

#endif
