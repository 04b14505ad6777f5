/* probe.c - host KVM capabilities by trying (api.rst KVM_CHECK_EXTENSION, KVM_CREATE_DEVICE). */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "arch.h"
#include "cli.h"
#include "emit.h"
#include "util.h"

int kvm_open_dev(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int err = errno;

	if (fd >= 0)
		return fd;
	if (err == ENOENT)
		log_err("kvm: /dev/kvm does not exist: this host has no KVM (load the kvm module, or enable virtualization)");
	else if (err == EACCES || err == EPERM)
		log_err("kvm: no permission to open /dev/kvm: add your user to the kvm group or run as root");
	else
		log_err("kvm: open /dev/kvm: %s", strerror(err));
	return -err;
}

static int cap(int fd, long c)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, c);

	return r < 0 ? 0 : r;
}

static int scratch_vm(int kvm_fd)
{
	int limit = cap(kvm_fd, KVM_CAP_ARM_VM_IPA_SIZE);
	unsigned long type = limit ? KVM_VM_TYPE_ARM_IPA_SIZE(limit < 40 ? limit : 40) : 0;
	int fd;

	do {
		fd = ioctl(kvm_fd, KVM_CREATE_VM, type);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		log_err("probe: KVM_CREATE_VM: %s", strerror(errno));
	return fd < 0 ? -errno : fd;
}

/* Create a device for real; its fd (caller closes) or -errno. */
static int try_device(int vm_fd, uint32_t type)
{
	struct kvm_create_device d = { .type = type };

	return ioctl(vm_fd, KVM_CREATE_DEVICE, &d) < 0 ? -errno : (int)d.fd;
}

static void probe_gic(int kvm_fd, struct kvm_probe *p)
{
	int vm = scratch_vm(kvm_fd), v3, its;

	if (vm < 0)
		return;
	v3 = try_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	p->gicv3 = v3 >= 0;
	if (p->gicv3) {
		its = try_device(vm, KVM_DEV_TYPE_ARM_VGIC_ITS);
		p->its = its >= 0;
		p->msi_devid = cap(vm, KVM_CAP_MSI_DEVID) > 0;
		if (its >= 0)
			close(its);
		close(v3);
	}
	close(vm);
	/* A VM holds one vGIC: v2 needs a VM of its own. */
	vm = scratch_vm(kvm_fd);
	if (vm < 0)
		return;
	v3 = try_device(vm, KVM_DEV_TYPE_ARM_VGIC_V2);
	p->gicv2 = v3 >= 0;
	if (v3 >= 0)
		close(v3);
	close(vm);
}

/* SVE vector lengths: a vCPU initialised with SVE reports them in KVM_REG_ARM64_SVE_VLS. */
static void probe_sve(int kvm_fd, struct kvm_probe *p)
{
	struct kvm_vcpu_init init;
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS] = { 0 };
	struct kvm_one_reg reg = { .id = KVM_REG_ARM64_SVE_VLS, .addr = (uint64_t)(uintptr_t)vls };
	int vm, vcpu;

	if (!p->sve || (vm = scratch_vm(kvm_fd)) < 0)
		return;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	memset(&init, 0, sizeof(init));
	if (vcpu >= 0 && ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) == 0) {
		init.features[0] |= 1u << KVM_ARM_VCPU_SVE;
		if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) == 0 && ioctl(vcpu, KVM_GET_ONE_REG, &reg) == 0) {
			for (unsigned vq = 1; vq <= 64 * KVM_ARM64_SVE_VLS_WORDS && p->nr_sve_vls < 32; vq++)
				if (vls[(vq - 1) / 64] & (1ULL << ((vq - 1) % 64)))
					p->sve_vls[p->nr_sve_vls++] = vq * 128;
		}
	}
	if (vcpu >= 0)
		close(vcpu);
	close(vm);
}

void kvm_probe_cpu(int kvm_fd, struct kvm_probe *p)
{
	p->pmu = cap(kvm_fd, KVM_CAP_ARM_PMU_V3);
	p->ptrauth_address = cap(kvm_fd, KVM_CAP_ARM_PTRAUTH_ADDRESS);
	p->ptrauth_generic = cap(kvm_fd, KVM_CAP_ARM_PTRAUTH_GENERIC);
	p->mte = cap(kvm_fd, KVM_CAP_ARM_MTE);
	p->pvtime = cap(kvm_fd, KVM_CAP_STEAL_TIME);
	p->sve = cap(kvm_fd, KVM_CAP_ARM_SVE);
	p->nr_sve_vls = 0;
	probe_sve(kvm_fd, p);
}

int kvm_probe_gic(int kvm_fd, struct kvm_probe *p)
{
	memset(p, 0, sizeof(*p));
	if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		log_err("probe: KVM_GET_API_VERSION is not %d", KVM_API_VERSION);
		return -EINVAL;
	}
	p->max_vcpus = cap(kvm_fd, KVM_CAP_MAX_VCPUS);
	probe_gic(kvm_fd, p);
	return 0;
}

int kvm_probe(int kvm_fd, struct kvm_probe *p)
{
	int ret = kvm_probe_gic(kvm_fd, p);

	if (ret)
		return ret;
	p->nr_vcpus = cap(kvm_fd, KVM_CAP_NR_VCPUS);
	p->ipa_bits = cap(kvm_fd, KVM_CAP_ARM_VM_IPA_SIZE);
	if (!p->ipa_bits)
		p->ipa_bits = 40;
	p->irqfd = cap(kvm_fd, KVM_CAP_IRQFD);
	p->irqfd_resample = cap(kvm_fd, KVM_CAP_IRQFD_RESAMPLE);
	p->irq_routing = cap(kvm_fd, KVM_CAP_IRQ_ROUTING);
	p->signal_msi = cap(kvm_fd, KVM_CAP_SIGNAL_MSI);
	p->ioeventfd = cap(kvm_fd, KVM_CAP_IOEVENTFD);
	p->irq_line_layout_2 = cap(kvm_fd, KVM_CAP_ARM_IRQ_LINE_LAYOUT_2);
	kvm_probe_cpu(kvm_fd, p);
	return 0;
}

void kvm_probe_describe(const struct kvm_probe *p, struct emit *e)
{
	static const struct vm_config auto_cfg; /* every feature FEAT_AUTO */
	struct cpu_features def;
	char why[160];
	struct { const char *name; bool v; } flags[] = {
		{ "gicv2", p->gicv2 }, { "gicv2m", p->gicv2 }, { "gicv3", p->gicv3 }, { "its", p->its },
		{ "msi_devid", p->msi_devid }, { "irqfd", p->irqfd }, { "irqfd_resample", p->irqfd_resample },
		{ "irq_routing", p->irq_routing }, { "signal_msi", p->signal_msi }, { "ioeventfd", p->ioeventfd },
		{ "irq_line_layout_2", p->irq_line_layout_2 }, { "pmu", p->pmu },
		{ "ptrauth_address", p->ptrauth_address }, { "ptrauth_generic", p->ptrauth_generic },
		{ "mte", p->mte }, { "pvtime", p->pvtime }, { "sve", p->sve },
	};

	emit_obj_begin(e, NULL);
	emit_i64(e, "max_vcpus", p->max_vcpus);
	emit_i64(e, "recommended_vcpus", p->nr_vcpus);
	emit_i64(e, "ipa_bits", p->ipa_bits);
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		emit_bool(e, flags[i].name, flags[i].v);
	emit_values_begin(e, "sve_vector_lengths");
	for (unsigned i = 0; i < p->nr_sve_vls && i < ARRAY_SIZE(p->sve_vls); i++)
		emit_u64(e, NULL, p->sve_vls[i]);
	emit_arr_end(e);
	/* What vmm run gives a guest here without vCPU feature flags (arch_cpu_choose). */
	if (!arch_cpu_choose(&auto_cfg, p, &def, why, sizeof(why))) {
		emit_bool(e, "default_pmu", def.pmu);
		emit_bool(e, "default_sve", def.sve);
		emit_u64(e, "default_sve_max_vl", def.sve_max_vl);
		emit_bool(e, "default_pauth", def.pauth);
		emit_bool(e, "default_mte", def.mte);
		emit_bool(e, "default_pvtime", def.pvtime);
	}
	emit_obj_end(e);
}

void kvm_probe_print(const struct kvm_probe *p, FILE *f, bool json)
{
	struct strbuf sb = { 0 };
	struct emit e;

	emit_init(&e, &sb, json ? EMIT_JSON : EMIT_TEXT);
	emit_text_width(&e, 16); /* the column vmm probe has always lined its values up in */
	kvm_probe_describe(p, &e);
	emit_end(&e);
	if (sb.buf)
		fputs(sb.buf, f);
	sb_free(&sb);
}
