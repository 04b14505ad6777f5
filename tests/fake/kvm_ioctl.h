/* kvm_ioctl.h - KVM faked at ioctl() for the unit tests and the fuzzers (link with
 * -Wl,--wrap=ioctl). One wrapper, two ways of answering, chosen at link time:
 *  - the model (the default; the PCI and virtio unit tests): records GSI routing, irqfds
 *    and IRQ lines, keeps an ioeventfd registry that answers as KVM does, and passes the
 *    other ioctls on to the kernel;
 *  - accept-all (tests/fuzz/fake_vm.c defines fake_kvm_accept_all true: the fuzzers and
 *    test_blk): every KVM ioctl succeeds and is counted, KVM_GET_DEVICE_ATTR goes to
 *    fake_kvm_get_attr, KVM_GET_ONE_REG fails with ENXIO. */
#ifndef TESTS_FAKE_KVM_IOCTL_H
#define TESTS_FAKE_KVM_IOCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "../../irqchip/irq.h"

#define MAX_RECORDS 64

/* The model's records: what the VMM asked KVM for; KVM_SET_GSI_ROUTING replaces the whole
 * table, so keep the last. */
struct fake_kvm {
	unsigned routing_calls;
	unsigned routing_nr;
	struct kvm_irq_routing_entry routes[IRQ_MAX_GSIS];
	unsigned nr_irqfds;
	struct kvm_irqfd irqfds[MAX_RECORDS];
	unsigned nr_ioeventfds;
	struct kvm_ioeventfd ioeventfds[MAX_RECORDS];
	bool ioeventfd_no_log;  /* a test issuing more than MAX_RECORDS: keep no log */
	bool ioeventfd_yield;   /* yield before answering, to widen races between threads */
	int ioeventfd_fail;     /* errno for the next assignment, as a kernel short of memory */
	unsigned nr_active, eexist;
	struct kvm_ioeventfd active[MAX_RECORDS]; /* what KVM holds registered */
	unsigned nr_irq_lines;
	struct kvm_irq_level irq_lines[MAX_RECORDS];
};

/* Zeroed by vm_init (tests/unit/pci_fixture.c); tests set the knobs and read the records. */
extern struct fake_kvm kvm;

/* Accept-all: KVM ioctls seen since the last reset (fake_vm_create zeroes them). */
struct fake_kvm_stats {
	unsigned routing, irqfd, ioeventfd, irq_line, other;
};
extern struct fake_kvm_stats fake_kvm;
struct kvm_device_attr;
/* Accept-all: KVM_GET_DEVICE_ATTR answers (vGIC and ITS registers); NULL: refused with
 * ENXIO. Returns 0 with *a->addr filled, or -1 with errno set. */
extern int (*fake_kvm_get_attr)(struct kvm_device_attr *a);

/* vhost faked at the same wrapper, in both modes: every ioctl of type VHOST_VIRTIO
 * (any fd: the tests open /dev/null as /dev/vhost-net) is recorded and answered 0;
 * VHOST_GET_FEATURES gives features, VHOST_GET_VRING_BASE num 0; fail_req fails that
 * request with fail_errno. fake_vhost_ioctl, when set, takes them instead. */
struct fake_vhost_rec {
	unsigned long req;
	unsigned index;
	int fd;                 /* vhost_vring_file */
	uint64_t val;           /* vhost_vring_state num, a feature word, a ring's desc address */
};
struct fake_vhost {
	unsigned nr;            /* all seen; the first 128 recorded */
	struct fake_vhost_rec rec[128];
	uint64_t features;
	unsigned long fail_req;
	int fail_errno;
};
extern struct fake_vhost fake_vhost;

/* Which way the fake answers: false (weak default here) the model, true accept-all. */
extern bool fake_kvm_accept_all;

/* The model broke one of its own limits (a record array full): fail the test. Weak default
 * here prints what and aborts; tests/unit/fake_kvm.c fails the cmocka test instead. */
__attribute__((noreturn)) void fake_kvm_fail(const char *what);

/* A test's own vhost device (test_virtio_vsock.c's fake_vhost_vsock): when set, every
 * request of type VHOST_VIRTIO goes here instead of the fake_vhost recorder, in both modes. */
extern int (*fake_vhost_ioctl)(int fd, unsigned long request, void *arg);

int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);

#endif
