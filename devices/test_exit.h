/* test_exit.h - a register a test inside the guest writes to end the VM with a status. */
#ifndef VMM_TEST_EXIT_H
#define VMM_TEST_EXIT_H

#include <stdint.h>

struct vm;

/* Register the test-exit device at base (a 32-bit write of N ends the VM with exit
 * status N & 0xff; FDT compatible "vmm,test-exit"). 0 or -errno. */
int test_exit_create(struct vm *vm, uint64_t base);

#endif
