/* report.h - the --report JSON: timeline, exits, interrupts, I/O, memory, maps. */
#ifndef VMM_REPORT_H
#define VMM_REPORT_H

struct vm;

/* Write the report for a VM that ended with exit code code; 0 or -errno (logged). */
int report_write(const char *path, struct vm *vm, int code, unsigned restarts);

#endif
