/* probe.h - what this host's KVM can give, found by creating things on scratch VMs. */
#ifndef VMM_PROBE_H
#define VMM_PROBE_H

#include <stdbool.h>
#include <stdio.h>

struct emit;

struct kvm_probe {
	bool gicv2, gicv3, its;   /* created for real on a scratch VM */
	bool msi_devid;           /* KVM_CAP_MSI_DEVID once an ITS exists */
	int max_vcpus;            /* KVM_CAP_MAX_VCPUS */
	int nr_vcpus;             /* KVM_CAP_NR_VCPUS: recommended */
	int ipa_bits;             /* KVM_CAP_ARM_VM_IPA_SIZE, 40 when absent */
	bool irqfd, irqfd_resample, irq_routing, signal_msi, ioeventfd;
	bool irq_line_layout_2;
	bool pmu, ptrauth_address, ptrauth_generic, mte, pvtime;
	bool sve;
	unsigned sve_vls[32];     /* supported SVE vector lengths in bits, tried on a vCPU */
	unsigned nr_sve_vls;
};

/* Only what starting a VM needs: vGIC models, ITS, MSI device IDs, KVM_CAP_MAX_VCPUS. */
int kvm_probe_gic(int kvm_fd, struct kvm_probe *p);
/* Only the vCPU features (PMU, pointer auth, MTE, pvtime, SVE and its vector lengths). */
void kvm_probe_cpu(int kvm_fd, struct kvm_probe *p);
/* Probe the KVM behind kvm_fd, everything `vmm probe` shows; 0 or -errno (logged). */
int kvm_probe(int kvm_fd, struct kvm_probe *p);
/* Open /dev/kvm with a one-line error naming the cause; the fd or -errno. */
int kvm_open_dev(void);
/* Describe a probe (emit.h): text lines "key value", keys padded by the caller, or one
 * JSON object. */
void kvm_probe_describe(const struct kvm_probe *p, struct emit *e);
/* Print a probe as text (vmm probe) or as one JSON object (vmm probe --json). */
void kvm_probe_print(const struct kvm_probe *p, FILE *f, bool json);

#endif
