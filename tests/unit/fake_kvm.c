/* Unit test support: questions about the fake KVM (tests/fake/kvm_ioctl.c); see fake_kvm.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake_kvm.h"

/* A record array full, or a routing table too big: the cmocka test fails (not an abort). */
void fake_kvm_fail(const char *what)
{
	fail_msg("fake KVM: %s", what);
	abort();
}

bool ioeventfd_at(int fd, uint64_t addr)
{
	for (unsigned i = 0; i < kvm.nr_active; i++)
		if (kvm.active[i].fd == fd && kvm.active[i].addr == addr)
			return true;
	return false;
}

const struct kvm_irq_routing_entry *route_of(uint32_t gsi)
{
	for (unsigned i = 0; i < kvm.routing_nr; i++)
		if (kvm.routes[i].gsi == gsi)
			return &kvm.routes[i];
	return NULL;
}

const struct kvm_irqfd *irqfd_of(uint32_t gsi)
{
	for (unsigned i = kvm.nr_irqfds; i-- > 0;)
		if (kvm.irqfds[i].gsi == gsi)
			return &kvm.irqfds[i];
	return NULL;
}

const struct kvm_ioeventfd *last_ioeventfd(void)
{
	assert_true(kvm.nr_ioeventfds > 0);
	return &kvm.ioeventfds[kvm.nr_ioeventfds - 1];
}

uint64_t eventfd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}
