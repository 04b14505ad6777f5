/* Unit test support: KVM faked at ioctl(); see fake_kvm.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake_kvm.h"

struct fake_kvm kvm;

static void record_routing(const struct kvm_irq_routing *table)
{
	assert_true(table->nr <= IRQ_MAX_GSIS);
	kvm.routing_calls++;
	kvm.routing_nr = table->nr;
	memcpy(kvm.routes, table->entries, table->nr * sizeof(table->entries[0]));
}

/* Append one ioctl argument to a record array; the tests never issue more than MAX_RECORDS. */
#define RECORD(array, count, arg)                                       \
	do {                                                            \
		assert_true((count) < MAX_RECORDS);                     \
		memcpy(&(array)[(count)++], (arg), sizeof((array)[0])); \
	} while (0)

/* Guards the ioeventfd table: vCPU threads may register at once (test_bar_move_race). */
static pthread_mutex_t ioeventfd_lock = PTHREAD_MUTEX_INITIALIZER;

static bool ioeventfd_same(const struct kvm_ioeventfd *a, const struct kvm_ioeventfd *b)
{
	bool dm_a = a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH, dm_b = b->flags & KVM_IOEVENTFD_FLAG_DATAMATCH;

	return a->addr == b->addr && a->len == b->len && dm_a == dm_b && (!dm_a || a->datamatch == b->datamatch);
}

/* As KVM does (virt/kvm/eventfd.c): an assignment colliding with one already registered
 * (same address and length, a wildcard or the same datamatch) fails with EEXIST; a
 * deassignment must name the fd, address, length and datamatch of one, else ENOENT. */
static int ioeventfd_ioctl(const struct kvm_ioeventfd *ev)
{
	bool dm = ev->flags & KVM_IOEVENTFD_FLAG_DATAMATCH;
	int err = 0;

	if (kvm.ioeventfd_yield)
		sched_yield();
	pthread_mutex_lock(&ioeventfd_lock);
	if (!kvm.ioeventfd_no_log)
		RECORD(kvm.ioeventfds, kvm.nr_ioeventfds, ev);
	if (ev->flags & KVM_IOEVENTFD_FLAG_DEASSIGN) {
		err = ENOENT;
		for (unsigned i = 0; i < kvm.nr_active && err; i++) {
			if (kvm.active[i].fd == ev->fd && ioeventfd_same(&kvm.active[i], ev)) {
				kvm.active[i] = kvm.active[--kvm.nr_active];
				err = 0;
			}
		}
	} else {
		err = kvm.ioeventfd_fail;
		kvm.ioeventfd_fail = 0;
		for (unsigned i = 0; i < kvm.nr_active && !err; i++) {
			const struct kvm_ioeventfd *a = &kvm.active[i];
			bool adm = a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH;

			if (a->addr == ev->addr && (a->len == ev->len || !a->len || !ev->len) &&
			    (!adm || !dm || a->datamatch == ev->datamatch))
				err = EEXIST;
		}
		if (err == EEXIST)
			kvm.eexist++;
		if (!err)
			RECORD(kvm.active, kvm.nr_active, ev);
	}
	pthread_mutex_unlock(&ioeventfd_lock);
	errno = err;
	return err ? -1 : 0;
}

bool ioeventfd_at(int fd, uint64_t addr)
{
	for (unsigned i = 0; i < kvm.nr_active; i++)
		if (kvm.active[i].fd == fd && kvm.active[i].addr == addr)
			return true;
	return false;
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	switch (request) {
	case KVM_SET_GSI_ROUTING:
		record_routing(arg);
		return 0;
	case KVM_IRQFD:
		RECORD(kvm.irqfds, kvm.nr_irqfds, arg);
		return 0;
	case KVM_IOEVENTFD:
		return ioeventfd_ioctl(arg);
	case KVM_IRQ_LINE:
		RECORD(kvm.irq_lines, kvm.nr_irq_lines, arg);
		return 0;
	}
	return __real_ioctl(fd, request, arg);
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
