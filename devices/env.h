/* env.h - what a device is handed at creation: a narrow environment, never struct vm.
 *
 * The VM (vm.c) owns every member and outlives its devices; a device keeps the pointer.
 * Where a device sits (its base address, its INTID) is not here: the board file
 * (arch/arm64/board.c) reads the memory map and passes the placement to each
 * constructor. */
#ifndef VMM_DEVICES_ENV_H
#define VMM_DEVICES_ENV_H

#include <stddef.h>

struct guest_mem;
struct mmio_bus;
struct irqchip;

/* What a device may ask of the VM. Each call is safe from any thread. */
struct vm_events {
	/* Stop the VM with a vmm exit code (vm.h enum vmm_exit_code); the first request wins. */
	void (*request_stop)(void *ctx, int exit_code);
	void *ctx;
};

/* Where a console device (the UART's THR, virtio-console's transmitq) sends guest output:
 * the VM's console stream (vm.c: console_output). Safe from any thread. */
struct console_sink {
	void (*write)(void *ctx, const void *buf, size_t len);
	void *ctx;
};

struct dev_env {
	const struct guest_mem *mem; /* guest RAM: the one checked accessor (mem.h) */
	struct mmio_bus *mmio;       /* where the device registers its MMIO regions */
	struct irqchip *irq;         /* lines, GSI routes, irqfds, MSI routes (irqchip/irq.h) */
	const struct vm_events *events;
	int vm_fd;                   /* the KVM VM fd, for KVM_IOEVENTFD only */
};

/* Ask the VM to stop (env->events->request_stop). */
void dev_env_request_stop(const struct dev_env *env, int exit_code);

/* Send guest console output to sink; a NULL sink drops it. */
void console_sink_write(const struct console_sink *sink, const void *buf, size_t len);

#endif
