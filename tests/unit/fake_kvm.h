/* Unit test support: KVM faked at ioctl() (link with -Wl,--wrap=ioctl and
 * tests/fake/kvm_ioctl.o, which records GSI routing, irqfds and IRQ lines and keeps an
 * ioeventfd registry that answers as KVM does); here, the tests' questions about it. */
#ifndef TESTS_UNIT_FAKE_KVM_H
#define TESTS_UNIT_FAKE_KVM_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

/* The wrapper itself and its records (struct fake_kvm kvm): tests/fake/kvm_ioctl.h. */
#include "../fake/kvm_ioctl.h"

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
