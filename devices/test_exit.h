/* test_exit.h - a register a test inside the guest writes to end the VM with a status. */
#ifndef VMM_TEST_EXIT_H
#define VMM_TEST_EXIT_H

#include <stdint.h>

struct device_class;
struct dev_env;
struct test_exit;

/* Register the test-exit device at base (a 32-bit write of N ends the VM with exit
 * status N & 0xff, through dev_env_request_stop; FDT compatible "vmm,test-exit").
 * 0 or -errno. */
int test_exit_create(const struct dev_env *env, uint64_t base, struct test_exit **out);
/* Free it. Safe on NULL. */
void test_exit_destroy(struct test_exit *t);
/* test-exit in the VM's device list. */
extern const struct device_class test_exit_device_class;

#endif
