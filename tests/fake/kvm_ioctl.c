/* kvm_ioctl.c - KVM faked at ioctl(); see kvm_ioctl.h. */
#include "kvm_ioctl.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/vhost.h>

struct fake_kvm kvm;
struct fake_vhost fake_vhost;
struct fake_kvm_stats fake_kvm;
int (*fake_kvm_get_attr)(struct kvm_device_attr *a);
int (*fake_vhost_ioctl)(int fd, unsigned long request, void *arg);
__attribute__((weak)) bool fake_kvm_accept_all = false;

__attribute__((weak)) void fake_kvm_fail(const char *what)
{
	fprintf(stderr, "fake KVM: %s\n", what);
	abort();
}

/* ---- the model ---- */

static void record_routing(const struct kvm_irq_routing *table)
{
	if (table->nr > IRQ_MAX_GSIS)
		fake_kvm_fail("KVM_SET_GSI_ROUTING: more entries than IRQ_MAX_GSIS");
	kvm.routing_calls++;
	kvm.routing_nr = table->nr;
	memcpy(kvm.routes, table->entries, table->nr * sizeof(table->entries[0]));
}

/* Append one ioctl argument to a record array; the tests never issue more than MAX_RECORDS. */
#define RECORD(array, count, arg)                                                   \
	do {                                                                        \
		if ((count) >= MAX_RECORDS)                                         \
			fake_kvm_fail("more than MAX_RECORDS in " #array);          \
		memcpy(&(array)[(count)++], (arg), sizeof((array)[0]));             \
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

static int model_ioctl(int fd, unsigned long request, void *arg)
{
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

/* ---- accept-all: every KVM ioctl (type 0xAE) succeeds without a kernel; others go through ---- */

static int accept_ioctl(int fd, unsigned long request, void *arg)
{
	if (_IOC_TYPE(request) != KVMIO)
		return __real_ioctl(fd, request, arg);
	switch (request) {
	case KVM_SET_GSI_ROUTING:
		/* KVM would read the whole table: make ASan look at it too. */
		fake_kvm.routing += ((const struct kvm_irq_routing *)arg)->nr <= IRQ_MAX_GSIS;
		break;
	case KVM_IRQFD: fake_kvm.irqfd++; break;
	case KVM_IOEVENTFD: fake_kvm.ioeventfd++; break;
	case KVM_IRQ_LINE: fake_kvm.irq_line++; break;
	case KVM_GET_DEVICE_ATTR:
		if (fake_kvm_get_attr)
			return fake_kvm_get_attr(arg);
		errno = ENXIO; /* no model of the vGIC's state: refuse, as a kernel may */
		return -1;
	case KVM_GET_ONE_REG:
		errno = ENXIO;
		return -1;
	default: fake_kvm.other++; break;
	}
	return 0;
}

static int vhost_ioctl(int fd, unsigned long request, void *arg)
{
	struct fake_vhost_rec r = { .req = request };

	if (fake_vhost_ioctl)
		return fake_vhost_ioctl(fd, request, arg);
	if (fake_vhost.fail_req == request) {
		errno = fake_vhost.fail_errno;
		return -1;
	}
	switch (request) {
	case VHOST_GET_FEATURES: *(uint64_t *)arg = fake_vhost.features; break;
	case VHOST_SET_FEATURES: r.val = *(uint64_t *)arg; break;
	case VHOST_SET_MEM_TABLE: r.val = ((struct vhost_memory *)arg)->regions[0].guest_phys_addr; break;
	case VHOST_SET_VRING_NUM: case VHOST_SET_VRING_BASE:
		r.index = ((struct vhost_vring_state *)arg)->index;
		r.val = ((struct vhost_vring_state *)arg)->num;
		break;
	case VHOST_GET_VRING_BASE:
		r.index = ((struct vhost_vring_state *)arg)->index;
		((struct vhost_vring_state *)arg)->num = 0;
		break;
	case VHOST_SET_VRING_ADDR:
		r.index = ((struct vhost_vring_addr *)arg)->index;
		r.val = ((struct vhost_vring_addr *)arg)->desc_user_addr;
		break;
	case VHOST_SET_VRING_KICK: case VHOST_SET_VRING_CALL: case VHOST_NET_SET_BACKEND:
		r.index = ((struct vhost_vring_file *)arg)->index;
		r.fd = ((struct vhost_vring_file *)arg)->fd;
		break;
	}
	if (fake_vhost.nr < sizeof(fake_vhost.rec) / sizeof(fake_vhost.rec[0]))
		fake_vhost.rec[fake_vhost.nr] = r;
	fake_vhost.nr++;
	return 0;
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (_IOC_TYPE(request) == VHOST_VIRTIO)
		return vhost_ioctl(fd, request, arg);
	return fake_kvm_accept_all ? accept_ioctl(fd, request, arg) : model_ioctl(fd, request, arg);
}
