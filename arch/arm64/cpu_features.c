/* cpu_features.c - the arm64 vCPU features a guest gets: PMUv3, SVE, pointer authentication,
 * MTE and stolen time (api.rst KVM_ARM_VCPU_INIT, KVM_ARM_VCPU_FINALIZE, KVM_CAP_ARM_MTE;
 * Documentation/virt/kvm/devices/vcpu.rst; Documentation/virt/kvm/arm/pvtime.rst). */
#include "arch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "../../probe.h"
#include "../../util.h"
#include "../../vm.h"
#include "memmap.h"

/* The memslot of the pvtime region (RAM is slot 0, vm.c). */
#define PVTIME_SLOT 1

static int choose_sve(const struct vm_config *cfg, const struct kvm_probe *host, struct cpu_features *out,
		      char *err, size_t errlen)
{
	unsigned n = host->nr_sve_vls < ARRAY_SIZE(host->sve_vls) ? host->nr_sve_vls : ARRAY_SIZE(host->sve_vls);
	unsigned max = n ? host->sve_vls[n - 1] : 0;
	bool listed = false;
	size_t len;

	if (cfg->sve == FEAT_OFF)
		return 0;
	/* KVM_CAP_ARM_SVE without vector lengths read back from a vCPU: not usable. */
	if (!host->sve || !n) {
		if (cfg->sve != FEAT_ON)
			return 0;
		snprintf(err, errlen, "--sve-max-vl %u: this host's KVM has no SVE (KVM_CAP_ARM_SVE)", cfg->sve_max_vl);
		return -ENODEV;
	}
	if (cfg->sve_max_vl) {
		for (unsigned i = 0; i < n; i++)
			listed |= host->sve_vls[i] == cfg->sve_max_vl;
		if (cfg->sve_max_vl > max) {
			snprintf(err, errlen, "--sve-max-vl %u: this host's largest SVE vector length is %u bits",
				 cfg->sve_max_vl, max);
			return -ENODEV;
		}
		/* api.rst KVM_REG_ARM64_SVE_VLS: the set must hold every length the host has up
		 * to its largest, so a length the host lacks cannot be the guest's maximum. */
		if (!listed) {
			len = (size_t)snprintf(err, errlen, "--sve-max-vl %u: this host's SVE vector lengths are",
					       cfg->sve_max_vl);
			for (unsigned i = 0; i < n && len < errlen; i++)
				len += (size_t)snprintf(err + len, errlen - len, " %u", host->sve_vls[i]);
			if (len < errlen)
				snprintf(err + len, errlen - len, " bits");
			return -ENODEV;
		}
		max = cfg->sve_max_vl;
	}
	out->sve = true;
	out->sve_max_vl = max;
	return 0;
}

int arch_cpu_choose(const struct vm_config *cfg, const struct kvm_probe *host, struct cpu_features *out,
		    char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (cfg->pmu == FEAT_ON && !host->pmu) {
		snprintf(err, errlen, "--pmu: this host's KVM has no PMUv3 (KVM_CAP_ARM_PMU_V3)");
		return -ENODEV;
	}
	out->pmu = cfg->pmu != FEAT_OFF && host->pmu;
	/* Both keys or none: a guest sees pointer authentication as one feature (api.rst). */
	out->pauth = cfg->pauth != FEAT_OFF && host->ptrauth_address && host->ptrauth_generic;
	out->mte = cfg->mte != FEAT_OFF && host->mte;
	out->pvtime = cfg->pvtime != FEAT_OFF && host->pvtime;
	return choose_sve(cfg, host, out, err, errlen);
}

/*
 * api.rst KVM_CAP_ARM_MTE: only before any vCPU exists; then every memslot must be mapped
 * MAP_ANONYMOUS or from a RAM-based file (tmpfs, memfd) and never MAP_SHARED, or
 * KVM_SET_USER_MEMORY_REGION fails with EINVAL. RAM (vm.c vm_setup_ram) and the pvtime
 * region are MAP_PRIVATE | MAP_ANONYMOUS, and the cap goes on before either memslot. vmm's
 * own accesses to guest RAM (kernel loading, virtio, the DTB) go through that mapping,
 * which is not PROT_MTE: they are untagged and never tag-checked, and leave the guest's
 * tags alone, so nothing else is needed (no KVM_ARM_MTE_COPY_TAGS: vmm does not migrate).
 */
static int enable_mte(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_MTE };

	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		int err = errno;

		log_err("vcpu: KVM_ENABLE_CAP(KVM_CAP_ARM_MTE): %s (--no-mte boots without it)", strerror(err));
		return -err;
	}
	return 0;
}

/* The pvtime region is memory of its own outside RAM, so the guest never allocates it;
 * the guest finds each vCPU's structure with SMCCC PV_TIME_ST (pvtime.rst). */
static int setup_pvtime_region(struct vm *vm)
{
	const struct mem_region *r = &guest_memmap[MEM_PVTIME];
	struct kvm_userspace_memory_region region;
	void *map;

	map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		int err = errno;

		log_err("vcpu: mmap of the pvtime region: %s", strerror(err));
		return -err;
	}
	vm->pvtime_map = map;
	region = (struct kvm_userspace_memory_region){
		.slot = PVTIME_SLOT,
		.guest_phys_addr = r->base,
		.memory_size = r->size,
		.userspace_addr = (uint64_t)(uintptr_t)map,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		int err = errno;

		log_err("vcpu: KVM_SET_USER_MEMORY_REGION (pvtime): %s", strerror(err));
		return -err;
	}
	return 0;
}

int vcpus_features_prepare(struct vm *vm)
{
	struct kvm_probe host;
	char why[160];
	int ret;

	memset(&host, 0, sizeof(host));
	kvm_probe_cpu(vm->kvm_fd, &host);
	ret = arch_cpu_choose(vm->cfg, &host, &vm->cpu, why, sizeof(why));
	if (ret) {
		log_err("vcpu: %s", why);
		return ret;
	}
	if (vm->nr_vcpus * PVTIME_STRUCT_SIZE > guest_memmap[MEM_PVTIME].size)
		vm->cpu.pvtime = false; /* cannot happen with VMM_MAX_VCPUS; never overrun it */
	if (vm->cpu.mte)
		ret = enable_mte(vm);
	if (!ret && vm->cpu.pvtime)
		ret = setup_pvtime_region(vm);
	return ret;
}

void cpu_features_release(struct vm *vm)
{
	if (vm->pvtime_map)
		munmap(vm->pvtime_map, guest_memmap[MEM_PVTIME].size);
	vm->pvtime_map = NULL;
}

uint32_t cpu_features_init_bits(const struct cpu_features *f)
{
	uint32_t bits = 0;

	if (f->pmu)
		bits |= 1u << KVM_ARM_VCPU_PMU_V3;
	if (f->sve)
		bits |= 1u << KVM_ARM_VCPU_SVE;
	/* api.rst: address and generic authentication are asked for together. */
	if (f->pauth)
		bits |= 1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS | 1u << KVM_ARM_VCPU_PTRAUTH_GENERIC;
	return bits;
}

/* api.rst KVM_REG_ARM64_SVE_VLS: after KVM_ARM_VCPU_INIT with SVE it holds every length the
 * host has; keep those up to the chosen maximum, then KVM_ARM_VCPU_FINALIZE(SVE), before
 * anything reads SVE registers or runs the vCPU. */
int cpu_features_vcpu_init(struct vcpu *v)
{
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS];
	struct kvm_one_reg reg = { .id = KVM_REG_ARM64_SVE_VLS, .addr = (uint64_t)(uintptr_t)vls };
	unsigned max_vq = v->vm->cpu.sve_max_vl / 128;
	int feature = KVM_ARM_VCPU_SVE;

	if (!v->vm->cpu.sve)
		return 0;
	if (ioctl(v->fd, KVM_GET_ONE_REG, &reg) < 0)
		goto fail_reg;
	for (unsigned vq = max_vq + 1; vq <= 64 * KVM_ARM64_SVE_VLS_WORDS; vq++)
		vls[(vq - 1) / 64] &= ~(1ULL << ((vq - 1) % 64));
	if (ioctl(v->fd, KVM_SET_ONE_REG, &reg) < 0)
		goto fail_reg;
	if (ioctl(v->fd, KVM_ARM_VCPU_FINALIZE, &feature) < 0) {
		int err = errno;

		log_err("vcpu%u: KVM_ARM_VCPU_FINALIZE(SVE): %s", v->id, strerror(err));
		return -err;
	}
	return 0;
fail_reg:
	feature = errno;
	log_err("vcpu%u: KVM_REG_ARM64_SVE_VLS (max %u bits): %s", v->id, v->vm->cpu.sve_max_vl, strerror(feature));
	return -feature;
}

static int vcpu_attr_set(struct vcpu *v, uint32_t group, uint64_t attr, void *val, const char *what)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)val };

	if (ioctl(v->fd, KVM_SET_DEVICE_ATTR, &a) < 0) {
		int err = errno;

		log_err("vcpu%u: KVM_SET_DEVICE_ATTR(%s): %s", v->id, what, strerror(err));
		return -err;
	}
	return 0;
}

int vcpus_features_finalize(struct vm *vm)
{
	int ret = 0;

	for (unsigned i = 0; !ret && i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		int irq = (int)guest_irqmap[IRQ_PMU].intid;
		uint64_t ipa = guest_memmap[MEM_PVTIME].base + (uint64_t)v->id * PVTIME_STRUCT_SIZE;

		/* vcpu.rst: the overflow interrupt (a PPI, the same on every vCPU), then INIT,
		 * which needs the in-kernel vGIC initialised (irqchip_finalize). */
		if (vm->cpu.pmu)
			ret = vcpu_attr_set(v, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, &irq, "PMU_V3_IRQ");
		if (!ret && vm->cpu.pmu)
			ret = vcpu_attr_set(v, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT, NULL, "PMU_V3_INIT");
		/* vcpu.rst PVTIME_IPA: 64-byte aligned, inside a memslot (setup_pvtime_region). */
		if (!ret && vm->cpu.pvtime)
			ret = vcpu_attr_set(v, KVM_ARM_VCPU_PVTIME_CTRL, KVM_ARM_VCPU_PVTIME_IPA, &ipa, "PVTIME_IPA");
	}
	return ret;
}
