/* Unit test support: KVM faked at ioctl() (link with -Wl,--wrap=ioctl). Records GSI
 * routing, irqfds and IRQ lines; keeps an ioeventfd registry that answers as KVM does. */
#ifndef TESTS_UNIT_FAKE_KVM_H
#define TESTS_UNIT_FAKE_KVM_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "../../irqchip/gic.h"
#include "../../irqchip/irq.h"

#define MAX_RECORDS 64

/* What the VMM asked KVM for; KVM_SET_GSI_ROUTING replaces the whole table, so keep the last. */
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

/* Zeroed by vm_init (pci_fixture.c); tests set the knobs and read the records. */
extern struct fake_kvm kvm;

int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);

/* Is fd registered with KVM at addr? */
bool ioeventfd_at(int fd, uint64_t addr);
/* The entry KVM was last given for gsi, or NULL. */
const struct kvm_irq_routing_entry *route_of(uint32_t gsi);
/* The last KVM_IRQFD request for gsi, or NULL. */
const struct kvm_irqfd *irqfd_of(uint32_t gsi);
const struct kvm_ioeventfd *last_ioeventfd(void);
/* The count an eventfd holds (EFD_NONBLOCK: 0 when nothing was written). */
uint64_t eventfd_take(int fd);

#endif
