/* vm.c - building and tearing down one VM (Documentation/virt/kvm/api.rst); vm_run.c runs it. */
#include "vm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "arch.h"
#include "console.h"
#include "fdt/fdt_build.h"
#include "irqchip/gic.h"
#include "probe.h"
#include "virtio/iothread.h"
#include "virtio/virtio.h"
#include "util.h"

double vm_uptime(const struct vm *vm)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9 - vm->cfg->t_exec;
}

const char *vm_exit_name(int code)
{
	switch (code) {
	case VMM_EXIT_POWEROFF: return "poweroff";
	case VMM_EXIT_ERROR: return "vmm-error";
	case VMM_EXIT_USAGE: return "usage";
	case VMM_EXIT_RESET: return "reset";
	case VMM_EXIT_PANIC: return "panic";
	case VMM_EXIT_TIMEOUT: return "timeout";
	case VMM_EXIT_FAIL_ON: return "fail-on";
	case VMM_EXIT_NO_EXPECT: return "expect-not-seen";
	case VMM_EXIT_FORCED: return "forced-stop";
	case VMM_RESTART: return "restart";
	default: return code > VMM_EXIT_SIGNAL ? "signal" : "guest-exit";
	}
}

void vm_wake(struct vm *vm)
{
	uint64_t one = 1;

	(void)!write(vm->event_fd, &one, sizeof(one));
}

void vm_request_stop(struct vm *vm, int exit_code)
{
	int none = -1;

	atomic_compare_exchange_strong(&vm->exit_code, &none, exit_code);
	atomic_store(&vm->stopping, true);
	/* A pause waiting for the vCPUs gives up at once. */
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	vm_wake(vm);
}

static int kvm_check_cap(struct vm *vm, long cap)
{
	int fd = vm->vm_fd >= 0 ? vm->vm_fd : vm->kvm_fd;
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

static int kvm_open(struct vm *vm)
{
	static const struct { long cap; const char *name; } required[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG" },
		{ KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL" },
		{ KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	};
	int ver;

	vm->kvm_fd = kvm_open_dev();
	if (vm->kvm_fd < 0)
		return vm->kvm_fd;
	ver = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		log_err("kvm: KVM_GET_API_VERSION: got %d, need %d", ver, KVM_API_VERSION);
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
		if (!kvm_check_cap(vm, required[i].cap)) {
			log_err("kvm: host KVM lacks %s", required[i].name);
			return -ENOTSUP;
		}
	}
	return 0;
}

/*
 * A guest access outside RAM that KVM cannot decode (no ESR_EL2.ISV: a load/store pair,
 * a writeback addressing mode) makes KVM_RUN fail with ENOSYS, which would stop the VM
 * on the guest's say-so. With KVM_CAP_ARM_NISV_TO_USER it is an exit instead, and
 * vcpu.c answers it with an external data abort (api.rst, KVM_CAP_ARM_INJECT_EXT_DABT).
 * Without both capabilities nothing changes.
 */
static void vm_enable_nisv(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_NISV_TO_USER };

	if (kvm_check_cap(vm, KVM_CAP_ARM_NISV_TO_USER) && kvm_check_cap(vm, KVM_CAP_ARM_INJECT_EXT_DABT) &&
	    ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		log_warn("kvm: KVM_ENABLE_CAP(KVM_CAP_ARM_NISV_TO_USER): %s", strerror(errno));
}

/* Highest guest physical address in use, +1. */
static uint64_t vm_ipa_top(const struct vm *vm)
{
	return arch_ipa_top(vm->mem.gpa + vm->mem.size, vm->nr_vcpus,
			    vm->cfg->nr_disks || vm->cfg->rng || vm->cfg->virtio_console || vm->cfg->nr_nics);
}

static int kvm_create_vm(struct vm *vm)
{
	uint64_t top = vm_ipa_top(vm);
	unsigned bits = 32, limit;
	unsigned long type = 0;

	while (bits < 64 && (1ULL << bits) < top)
		bits++;
	/* api.rst KVM_CREATE_VM: type 0 means a 40-bit IPA; the cap gives the host's limit. */
	limit = kvm_check_cap(vm, KVM_CAP_ARM_VM_IPA_SIZE);
	if (limit) {
		type = KVM_VM_TYPE_ARM_IPA_SIZE(bits);
	} else {
		limit = 40;
	}
	if (bits > limit) {
		log_err("kvm: the guest memory map needs a %u-bit IPA, this host offers %u: lower -m or -c", bits, limit);
		return -E2BIG;
	}
	vm->ipa_bits = type ? bits : 40;
	do {
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, type);
	} while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0) {
		int err = errno;

		log_err("kvm: KVM_CREATE_VM (IPA %u bits): %s", vm->ipa_bits, strerror(err));
		return -err;
	}
	vm_enable_nisv(vm);
	return 0;
}

static int vm_setup_ram(struct vm *vm)
{
	struct kvm_userspace_memory_region region;

	/* Over-allocate by 2 MiB to align RAM for transparent huge pages. */
	vm->ram_map_size = vm->mem.size + SZ_2M;
	vm->ram_map = mmap(NULL, vm->ram_map_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram_map == MAP_FAILED) {
		int err = errno;

		vm->ram_map = NULL;
		log_err("ram: mmap of %" PRIu64 " MiB: %s", vm->mem.size >> 20, strerror(err));
		return -err;
	}
	vm->mem.hva = (uint8_t *)ALIGN_UP((uintptr_t)vm->ram_map, SZ_2M);
	madvise(vm->mem.hva, vm->mem.size, MADV_HUGEPAGE);
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = vm->mem.gpa,
		.memory_size = vm->mem.size,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem.hva,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		int err = errno;

		log_err("ram: KVM_SET_USER_MEMORY_REGION: %s", strerror(err));
		return -err;
	}
	return 0;
}

/* Pick the GIC model from the command line and what the host can create (probe.c). */
static int vm_choose_gic(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct kvm_probe p;
	enum gic_model model = cfg->gic;
	const struct irqchip_ops *ops;
	struct gic_layout layout;
	int ret = kvm_probe_gic(vm->kvm_fd, &p);

	if (ret)
		return ret;
	if ((model == GIC_V3 && !p.gicv3) || ((model == GIC_V2 || model == GIC_V2M) && !p.gicv2) ||
	    (!p.gicv2 && !p.gicv3)) {
		log_err("gic: --gic=%s: this host's KVM cannot create a vGIC%s%s", cli_gic_name(model),
			model == GIC_V3 ? "v3" : model == GIC_AUTO ? "" : "v2 (a GICv3 host needs the GICv2 compatibility interface)",
			p.gicv3 ? "; use --gic=v3" : p.gicv2 ? "; use --gic=v2" : "");
		return -ENODEV;
	}
	/* auto: v3 with ITS where the host can, else v2 with the v2m MSI frame. */
	if (model == GIC_AUTO)
		model = p.gicv3 ? GIC_V3 : GIC_V2M;
	ops = irqchip_ops_for(model == GIC_V3 ? IRQCHIP_GICV3 : model == GIC_V2M ? IRQCHIP_GICV2M : IRQCHIP_GICV2);
	board_gic_layout(&layout);
	irqchip_init(&vm->irq, vm->vm_fd, vm->nr_vcpus, ops,
		     model == GIC_V3 && (cfg->its || cfg->gic == GIC_AUTO) && p.its, &layout, &vm->mem, &vm->mmio);
	if (cfg->its && !vm->irq.its_enabled) {
		log_err("gic: --its: this host's KVM cannot create a vGIC ITS");
		return -ENODEV;
	}
	if (vm->nr_vcpus > ops->max_vcpus) {
		log_err("gic: %s supports at most %u vCPUs, -c asked for %u%s", ops->name, ops->max_vcpus,
			vm->nr_vcpus, p.gicv3 ? "; use --gic=v3" : "");
		return -EINVAL;
	}
	if (p.max_vcpus && vm->nr_vcpus > (unsigned)p.max_vcpus) {
		log_err("kvm: this host allows at most %d vCPUs (KVM_CAP_MAX_VCPUS), -c asked for %u",
			p.max_vcpus, vm->nr_vcpus);
		return -EINVAL;
	}
	return 0;
}

static void vm_events_request_stop(void *ctx, int exit_code)
{
	vm_request_stop(ctx, exit_code);
}

static void vm_console_write(void *ctx, const void *buf, size_t len)
{
	console_output(ctx, buf, len);
}

/* The environment devices are created with, then the board's devices (board.c). */
static int vm_create_devices(struct vm *vm)
{
	vm->events = (struct vm_events){ .request_stop = vm_events_request_stop, .ctx = vm };
	vm->console_sink = (struct console_sink){ .write = vm_console_write, .ctx = vm->console };
	vm->console_out = vm->console ? &vm->console_sink : NULL;
	vm->env = (struct dev_env){
		.mem = &vm->mem, .mmio = &vm->mmio, .irq = &vm->irq, .events = &vm->events, .vm_fd = vm->vm_fd,
	};
	return board_create_devices(vm);
}

static int vm_build_fdt(struct vm *vm)
{
	void *buf = guest_mem_ptr(&vm->mem, vm->boot.dtb_gpa, vm->boot.dtb_max);
	int ret;

	if (!buf)
		return -EINVAL;
	ret = arch_fdt_build(vm, buf, vm->boot.dtb_max);
	if (ret)
		return ret;
	vm->fdt = buf;
	/* Once the guest runs, the copy in its RAM is the guest's to rewrite (totalsize too):
	 * what vmm reports is this copy, taken while the size is still the one we built. */
	vm->dtb_size = fdt_totalsize(buf);
	if (vm->dtb_size > vm->boot.dtb_max)
		return -EOVERFLOW;
	vm->dtb = malloc(vm->dtb_size);
	if (!vm->dtb)
		return -ENOMEM;
	memcpy(vm->dtb, buf, vm->dtb_size);
	return 0;
}

int vm_create(struct vm *vm, const struct vm_config *cfg, struct console *con)
{
	int ret;

	memset(vm, 0, sizeof(*vm));
	mmio_bus_init(&vm->mmio);
	vm->cfg = cfg;
	vm->console = con;
	if (con)
		con->vm = vm;
	vm->kvm_fd = vm->vm_fd = vm->event_fd = -1;
	vm->irq.dev_fd = vm->irq.its_fd = -1;
	vm->boot.kernel_fd = vm->boot.initrd_fd = -1;
	atomic_init(&vm->exit_code, -1);
	atomic_init(&vm->stopping, false);
	atomic_init(&vm->pause_requested, false);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	vm->nr_vcpus = cfg->nr_vcpus;
	vm->mem.gpa = arch_ram_base();
	vm->mem.size = cfg->mem_size;

	ret = arch_check_layout();
	if (ret)
		return ret;
	if (vm->mem.size > arch_ram_max()) {
		log_err("ram: -m %" PRIu64 "M exceeds the %" PRIu64 " MiB RAM window", vm->mem.size >> 20,
			arch_ram_max() >> 20);
		return -EINVAL;
	}
	/* User files first: a wrong path is reported before anything touches KVM. */
	ret = boot_prepare(vm);
	if (ret)
		return ret;
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_fd < 0)
		return -errno;
	ret = kvm_open(vm);
	if (!ret)
		ret = kvm_create_vm(vm);
	/* The vCPU features: MTE is VM-wide and must be on before any memslot and vCPU. */
	if (!ret)
		ret = vcpus_features_prepare(vm);
	if (!ret)
		ret = vm_setup_ram(vm);
	if (!ret)
		ret = vm_choose_gic(vm);
	/* Documentation/virt/kvm/devices/arm-vgic-v3.rst: device and addresses, then vCPUs, then init. */
	if (!ret)
		ret = irqchip_create(&vm->irq);
	if (!ret)
		ret = vcpus_create(vm);
	if (!ret)
		ret = irqchip_finalize(&vm->irq);
	/* vcpu.rst: the PMU's init needs the initialised vGIC. */
	if (!ret)
		ret = vcpus_features_finalize(vm);
	if (!ret)
		vm->t_kvm_ready = vm_uptime(vm);
	/* After CTRL_INIT: vGIC init installs KVM's default GSI routing over any earlier table. */
	if (!ret)
		ret = vm_create_devices(vm);
	if (!ret)
		ret = boot_load(vm);
	if (!ret)
		ret = vm_build_fdt(vm);
	if (!ret)
		vm->t_dtb = vm_uptime(vm);
	if (!ret)
		ret = vcpu_set_boot_regs(vm);
	if (!ret)
		log_debug("vm: created: %u vCPUs, %" PRIu64 " MiB RAM at 0x%" PRIx64 ", %s, a %zu-byte DTB",
			  vm->nr_vcpus, vm->mem.size >> 20, vm->mem.gpa, vm->irq.ops->name, vm->dtb_size);
	return ret;
}

int vm_stop_io(struct vm *vm)
{
	if (vm->io && iothread_destroy(vm->io) < 0)
		vm->io_abandoned = true;
	vm->io = NULL;
	return vm->io_abandoned ? -EBUSY : 0;
}

void vm_destroy(struct vm *vm)
{
	/* vCPUs are stopped: the I/O thread goes first, then the devices it served. */
	vm_stop_io(vm);
	/* Requests the drain gave up on are still the kernel's (io-wq workers): they read and
	 * write guest RAM and use the disks' files, and the image's OFD lock must hold while a
	 * write may land. Nothing of that is released; the process exits (vmm.c). */
	if (vm->io_abandoned)
		board_forget_virtio(vm);
	/* The board listed them in creation order: virtio devices, the bridge, test-exit and
	 * the UART go in reverse. */
	device_list_destroy(&vm->devices);
	vm->nr_virtio = 0;
	vm->pci = NULL;
	vm->uart = NULL;
	boot_close(vm);
	vcpus_destroy(vm);
	irqchip_destroy(&vm->irq);
	if (vm->ram_map && !vm->io_abandoned)
		munmap(vm->ram_map, vm->ram_map_size);
	vm->ram_map = NULL;
	vm->fdt = NULL;
	free(vm->dtb);
	vm->dtb = NULL;
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	vm->vm_fd = vm->kvm_fd = vm->event_fd = -1;
}
