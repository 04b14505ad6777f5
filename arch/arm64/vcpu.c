/* vcpu.c - arm64 vCPUs: creation (api.rst KVM_ARM_VCPU_INIT), boot registers, the KVM_RUN loop. */
#include "arch.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "../../util.h"
#include "../../vm.h"

#define CORE_REG(name) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(name))
#define MPIDR_EL1      ARM64_SYS_REG(3, 0, 0, 0, 5)
/* EL1h with D, A, I and F masked, as booting.rst requires at kernel entry. */
#define PSTATE_EL1H_DAIF 0x3c5

static int vcpu_reg_get(struct vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)val };

	if (ioctl(v->fd, KVM_GET_ONE_REG, &reg) < 0) {
		int err = errno;

		log_err("vcpu%u: KVM_GET_ONE_REG(0x%" PRIx64 "): %s", v->id, id, strerror(err));
		return -err;
	}
	return 0;
}

static int vcpu_reg_set(struct vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&val };

	if (ioctl(v->fd, KVM_SET_ONE_REG, &reg) < 0) {
		int err = errno;

		log_err("vcpu%u: KVM_SET_ONE_REG(0x%" PRIx64 "): %s", v->id, id, strerror(err));
		return -err;
	}
	return 0;
}

static int vcpu_create_one(struct vm *vm, struct vcpu *v, const struct kvm_vcpu_init *target,
			   size_t run_size)
{
	struct kvm_vcpu_init init = *target;
	int err_ret;

	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->id);
	if (v->fd < 0) {
		int err = errno;

		log_err("vcpu%u: KVM_CREATE_VCPU: %s", v->id, strerror(err));
		return -err;
	}
	v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		int err = errno;

		v->run = NULL;
		log_err("vcpu%u: mmap of kvm_run: %s", v->id, strerror(err));
		return -err;
	}
	v->run_size = run_size;
	/* PSCI 0.2+ in the kernel; secondaries wait powered off for PSCI CPU_ON. */
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2 | cpu_features_init_bits(&vm->cpu);
	if (v->id)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
		int err = errno;

		log_err("vcpu%u: KVM_ARM_VCPU_INIT: %s", v->id, strerror(err));
		return -err;
	}
	err_ret = cpu_features_vcpu_init(v);
	if (err_ret)
		return err_ret;
	return vcpu_reg_get(v, MPIDR_EL1, &v->mpidr);
}

int vcpus_create(struct vm *vm)
{
	struct kvm_vcpu_init target;
	int run_size, ret;

	run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run)) {
		log_err("vcpu: KVM_GET_VCPU_MMAP_SIZE: %s", run_size < 0 ? strerror(errno) : "too small");
		return run_size < 0 ? -errno : -EINVAL;
	}
	memset(&target, 0, sizeof(target));
	if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &target) < 0) {
		int err = errno;

		log_err("vcpu: KVM_ARM_PREFERRED_TARGET: %s", strerror(err));
		return -err;
	}
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->vm = vm;
		v->id = i;
		v->fd = -1;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		ret = vcpu_create_one(vm, &vm->vcpus[i], &target, run_size);
		if (ret)
			return ret;
	}
	return 0;
}

void vcpus_destroy(struct vm *vm)
{
	if (!vm->vcpus) {
		cpu_features_release(vm);
		return;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->run)
			munmap(v->run, v->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	cpu_features_release(vm);
}

int vcpu_set_boot_regs(struct vm *vm)
{
	struct vcpu *boot = &vm->vcpus[0];
	int ret;

	/* booting.rst: x0 = DTB address, x1-x3 = 0, MMU off, enter at the Image's first byte. */
	ret = vcpu_reg_set(boot, CORE_REG(regs.pstate), PSTATE_EL1H_DAIF);
	if (!ret)
		ret = vcpu_reg_set(boot, CORE_REG(regs.regs[0]), vm->boot.dtb_gpa);
	for (unsigned i = 1; !ret && i < 4; i++)
		ret = vcpu_reg_set(boot, CORE_REG(regs.regs[i]), 0);
	if (!ret)
		ret = vcpu_reg_set(boot, CORE_REG(regs.pc), vm->boot.kernel_gpa);
	return ret;
}

int vcpu_counter_get(struct vcpu *v, uint64_t *cnt)
{
	return vcpu_reg_get(v, KVM_REG_ARM_TIMER_CNT, cnt);
}

int vcpu_counter_set(struct vcpu *v, uint64_t cnt)
{
	return vcpu_reg_set(v, KVM_REG_ARM_TIMER_CNT, cnt);
}

static void vcpu_system_event(struct vcpu *v)
{
	struct vm *vm = v->vm;

	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_stop(vm, VMM_EXIT_POWEROFF);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		/* Linux with panic=N resets after its panic banner: report the panic. */
		if (vm->t_panic)
			vm_request_stop(vm, VMM_EXIT_PANIC);
		else
			vm_request_stop(vm, vm->cfg->reboot_restart ? VMM_RESTART : VMM_EXIT_RESET);
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		vm_request_stop(vm, VMM_EXIT_PANIC);
		break;
	default:
		log_err("vcpu%u: unhandled system event %u", v->id, v->run->system_event.type);
		vm_request_stop(v->vm, VMM_EXIT_ERROR);
	}
}

/*
 * An access KVM could not decode for us (KVM_EXIT_ARM_NISV, enabled in vm.c): no device
 * can emulate a load pair or a writeback, so the guest gets a synchronous external
 * abort, as a bus error would give it on hardware; the VM goes on.
 */
static bool vcpu_abort_undecodable(struct vcpu *v)
{
	struct kvm_vcpu_events ev;

	log_ratelimited_obj(&v->nisv_rl, "vcpu%u: access at 0x%llx that KVM cannot decode (load/store pair, "
			    "writeback?): external abort to the guest", v->id,
			    (unsigned long long)v->run->arm_nisv.fault_ipa);
	memset(&ev, 0, sizeof(ev));
	ev.exception.ext_dabt_pending = 1;
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) == 0)
		return true;
	log_err("vcpu%u: KVM_SET_VCPU_EVENTS (external abort): %s", v->id, strerror(errno));
	return false;
}

/* Handle one exit; false when the VM must stop. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	if (run->exit_reason < VCPU_EXIT_REASONS)
		v->exits[run->exit_reason]++;
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		if (run->mmio.is_write)
			v->mmio_writes++;
		else
			v->mmio_reads++;
		mmio_bus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
				run->mmio.is_write);
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu_system_event(v);
		return false;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_ARM_NISV:
		if (vcpu_abort_undecodable(v))
			return true;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		log_err("vcpu%u: KVM_EXIT_FAIL_ENTRY, reason 0x%llx", v->id,
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		log_err("vcpu%u: KVM_EXIT_INTERNAL_ERROR, suberror %u", v->id, run->internal.suberror);
		break;
	default:
		log_err("vcpu%u: unhandled exit reason %u", v->id, run->exit_reason);
		break;
	}
	vm_request_stop(v->vm, VMM_EXIT_ERROR);
	return false;
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;

	if (v->id == 0)
		vm->t_first_run = vm_uptime(vm);
	while (!atomic_load(&vm->stopping)) {
		if (atomic_load(&vm->pause_requested)) {
			vm_vcpu_park(v);
			continue;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			/* A kick: clear it (the flags it announced are read at the loop's top), or
			 * every later KVM_RUN would return at once. */
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			log_err("vcpu%u: KVM_RUN: %s", v->id, strerror(errno));
			vm_request_stop(vm, VMM_EXIT_ERROR);
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	return NULL;
}
