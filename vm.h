/* vm.h - the virtual machine: one struct owns every fd, the memory, the bus and the devices. */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "cli.h"
#include "bus.h"
#include "devices/device.h"
#include "devices/env.h"
#include "irqchip/gic.h"
#include "mem.h"
#include "util.h"
#include "virtio/virtio.h"

/* Exit codes of `vmm`, documented in the README and --help. */
enum vmm_exit_code {
	VMM_EXIT_POWEROFF = 0, /* guest powered off (PSCI SYSTEM_OFF), or --expect matched */
	VMM_EXIT_ERROR = 1,    /* VMM error: setup or KVM failure */
	VMM_EXIT_USAGE = 2,    /* bad command line */
	VMM_EXIT_RESET = 3,    /* guest reset (PSCI SYSTEM_RESET) with --reboot=exit */
	VMM_EXIT_PANIC = 4,    /* guest panicked (Linux panic banner, or KVM_SYSTEM_EVENT_CRASH) */
	VMM_EXIT_TIMEOUT = 5,  /* --timeout expired */
	VMM_EXIT_FAIL_ON = 6,  /* --fail-on matched the console */
	VMM_EXIT_NO_EXPECT = 7, /* the guest stopped before --expect matched */
	VMM_EXIT_FORCED = 8,   /* vmm stop --force */
	VMM_EXIT_SIGNAL = 128, /* + signal number: stopped by SIGINT/SIGTERM/SIGHUP */
	VMM_RESTART = 256,     /* internal: --reboot=restart, build the VM again */
};

/* Exit reasons counted per vCPU (KVM_EXIT_* values below this). */
#define VCPU_EXIT_REASONS 64

struct console;

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	uint64_t mpidr;        /* MPIDR_EL1 as KVM set it (KVM_GET_ONE_REG) */
	pthread_t thread;
	bool thread_started;
	uint64_t exits[VCPU_EXIT_REASONS]; /* by KVM exit reason; written by the vCPU thread */
	uint64_t mmio_reads, mmio_writes;
	struct ratelimit nisv_rl; /* this vCPU's "cannot decode" lines */
};

struct boot_info {
	uint64_t kernel_gpa;   /* load address = entry point */
	uint64_t kernel_end;   /* load address + max(image_size, file size) */
	uint64_t initrd_gpa;
	uint64_t initrd_size;
	uint64_t dtb_gpa;
	uint64_t dtb_max;      /* room reserved for the DTB */
	int kernel_fd;         /* open between boot_prepare and boot_load */
	int initrd_fd;
	uint64_t kernel_file_size;
};

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	unsigned ipa_bits;

	struct guest_mem mem;  /* guest RAM; hva 2 MiB aligned, for THP */
	void *ram_map;         /* the whole mmap, for munmap */
	size_t ram_map_size;

	struct irqchip irq;    /* the vGIC and the IRQ layer (ops NULL until vm_choose_gic) */

	unsigned nr_vcpus;
	struct vcpu *vcpus;
	struct cpu_features cpu; /* what the vCPUs were given (vcpus_features_prepare) */
	void *pvtime_map;      /* host memory of the pvtime region's memslot, NULL without */

	struct mmio_bus mmio;
	/* What devices are created with (vm.c fills it; the board, arch/arm64/board.c, places
	 * and lists them): they never see struct vm. */
	struct dev_env env;
	struct vm_events events;
	struct console_sink console_sink;
	const struct console_sink *console_out; /* &console_sink, NULL without a console */
	struct virtio_host vhost;
	struct device_list devices; /* every device, destroyed in reverse by vm_destroy */
	/* Typed pointers the top layer uses, set by the board; the list owns the devices. */
	struct pci_bus *pci;   /* NULL without PCI devices */
	struct iothread *io;   /* NULL without virtio devices */
	/* The I/O thread stopped with disk requests still in the kernel (drain timeout): guest
	 * RAM and the disks' files stay as they are until the process exits. */
	bool io_abandoned;
	struct virtio_dev *virtio[CLI_MAX_DISKS + 2 + CLI_MAX_NICS + 1]; /* + 1: vsock */
	unsigned nr_virtio;
	struct uart *uart;
	/* Where console input goes: the UART, or virtio-console's receiveq. */
	size_t (*console_in)(void *dev, const uint8_t *buf, size_t len);
	void *console_dev;
	struct boot_info boot;
	void *fdt;             /* the DTB in guest RAM: the guest may rewrite it, header and all */
	void *dtb;             /* the host's copy of the DTB as built (info dtb, --dump-dtb) */
	size_t dtb_size;
	struct console *console; /* the console stream (owned by the caller: it outlives restarts) */

	/* Timeline for --report, seconds since exec (cfg->t_exec); 0 = not yet. */
	double t_kvm_ready, t_dtb, t_first_run, t_end;
	/* When the console saw the panic banner (vm_run.c, from the thread that printed it;
	 * read by the event loop and the vCPUs). */
	_Atomic double t_panic;
	const char *exit_reason;

	int event_fd;          /* eventfd: wakes the event loop (a stop, a new deadline) */

	/* Pausing: vCPU threads park on pause_cond while pause_requested is set. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	atomic_bool pause_requested;
	unsigned nr_parked;
	bool paused;
	uint64_t paused_counter; /* CNTVCT at pause, restored at resume: guest time stands still */

	struct control *control; /* the control socket, NULL without one */
	atomic_bool stopping;
	atomic_int exit_code;
	bool tty_raw;
};

/* Seconds since `vmm` started (CLOCK_MONOTONIC). */
double vm_uptime(const struct vm *vm);
/* Ask the VM to stop with an exit code; the first request wins. Safe from any thread. */
void vm_request_stop(struct vm *vm, int exit_code);
/* Wake the event loop to look at stop requests and deadlines again. Any thread. */
void vm_wake(struct vm *vm);
/* A word for an exit code: "poweroff", "timeout", "guest-exit"... */
const char *vm_exit_name(int exit_code);
/* Stop every vCPU outside KVM_RUN and freeze the guest's virtual counter; 0 or -errno. */
int vm_pause(struct vm *vm);
/* Restore the counter and let the vCPUs run again; 0 or -errno. */
int vm_resume(struct vm *vm);
/* On a vCPU thread: wait here while a pause is requested. */
void vm_vcpu_park(struct vcpu *v);
/* Build the whole VM from a config: KVM, RAM, vGIC, vCPUs, devices, kernel, DTB, with
 * console output to con; 0 or -errno. */
int vm_create(struct vm *vm, const struct vm_config *cfg, struct console *con);
/* Run until the guest stops; returns the vmm exit code. */
int vm_run(struct vm *vm);
/* poll(2)'s timeout for a deadline wait_s seconds away (< 0: none, -1): rounded up, at most
 * a day (the event loop then computes it again), never negative otherwise. */
int vm_poll_timeout_ms(double wait_s);
/* Stop the I/O thread, letting submitted disk requests finish (bounded): 0, or -EBUSY
 * when some never did; then the process must exit, not build the VM again. */
int vm_stop_io(struct vm *vm);
/* Release everything vm_create acquired; safe on a partially built VM. After a failed
 * drain (vm_stop_io), guest RAM and the devices are left to the process's exit. */
void vm_destroy(struct vm *vm);

#endif
