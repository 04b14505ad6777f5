/* test_env.h - the device environment the unit tests and the fuzz targets hand devices:
 * built from a test's struct vm as vm.c does, with devices placed where the board puts them
 * (arch/arm64/board.c). One builder for both builds. */
#ifndef TESTS_FAKE_TEST_ENV_H
#define TESTS_FAKE_TEST_ENV_H

#include "../../vm.h"

struct console;

/* The IRQ context of a test VM: gic (its: with an ITS) at the board's GIC layout, over
 * vm->vm_fd, vm->nr_vcpus, vm->mem and vm->mmio, as vm_choose_gic sets it up. */
void test_env_irqchip(struct vm *vm, const struct irqchip_ops *gic, bool its);
/* Fill vm->env (mem, mmio, irq, vm_fd; stops through vm_request_stop) and vm->vhost (vm->io,
 * vm->pci, the board's virtio-mmio windows). Call once the irqchip is initialised, and again
 * after changing vm->io or vm->pci. */
void test_env_init(struct vm *vm);
/* The PCI host bridge where the board puts it, as vm->pci and vm->vhost.pci; 0 or -errno. */
int test_env_pci_create(struct vm *vm);
/* Free the bridge test_env_pci_create made (devices on it are the caller's). */
void test_env_pci_destroy(struct vm *vm);
/* A sink writing to console c (console_output), as vm.c gives devices. */
void test_console_sink(struct console_sink *sink, struct console *c);

#endif
