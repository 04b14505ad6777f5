/* Unit tests: the PCI host bridge, the virtio-pci transport and the PCI FDT node; KVM faked at ioctl(). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <libfdt.h>
#include <linux/kvm.h>

#include "../../arch/arm64/memmap.h"
#include "../../devices/pci.h"
#include "../../fdt/fdt_build.h"
#include "../../irqchip/irqchip.h"
#include "../../console.h"
#include "../../util.h"
#include "../../virtio/devices.h"
#include "../../virtio/virtio.h"
#include "../../vm.h"

/* ---- KVM stand-in: the Makefile links this test with -Wl,--wrap=ioctl ---- */

#define MAX_RECORDS 64

/* What the VMM asked KVM for; KVM_SET_GSI_ROUTING replaces the whole table, so keep the last. */
static struct {
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
} kvm;

int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);

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

/* Is fd registered with KVM at addr? */
static bool ioeventfd_at(int fd, uint64_t addr)
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

/* The entry KVM was last given for gsi, or NULL. */
static const struct kvm_irq_routing_entry *route_of(uint32_t gsi)
{
	for (unsigned i = 0; i < kvm.routing_nr; i++)
		if (kvm.routes[i].gsi == gsi)
			return &kvm.routes[i];
	return NULL;
}

/* The last KVM_IRQFD request for gsi, or NULL. */
static const struct kvm_irqfd *irqfd_of(uint32_t gsi)
{
	for (unsigned i = kvm.nr_irqfds; i-- > 0;)
		if (kvm.irqfds[i].gsi == gsi)
			return &kvm.irqfds[i];
	return NULL;
}

static const struct kvm_ioeventfd *last_ioeventfd(void)
{
	assert_true(kvm.nr_ioeventfds > 0);
	return &kvm.ioeventfds[kvm.nr_ioeventfds - 1];
}

/* ---- a fake VM: MMIO bus, IRQ layer, a little RAM for the rings ---- */

#define RAM_GPA   0x40000000ULL
#define RAM_SIZE  SZ_1M
#define DESC_GPA  (RAM_GPA + 0x0000)
#define AVAIL_GPA (RAM_GPA + 0x1000)
#define USED_GPA  (RAM_GPA + 0x2000)
#define DATA_GPA  (RAM_GPA + 0x10000)

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct vm vm;
static struct vm_config cfg;
static struct vcpu vcpu0;

static void vm_init(const struct irqchip_ops *gic, bool its)
{
	memset(&vm, 0, sizeof(vm));
	memset(&kvm, 0, sizeof(kvm));
	memset(ram, 0, sizeof(ram));
	mmio_bus_init(&vm.mmio);
	vm.cfg = &cfg;
	vm.vm_fd = 1000; /* never a real fd: the wrapper answers by request code */
	vm.gic_ops = gic;
	vm.gic.its_enabled = its;
	vm.gic.dev_fd = vm.gic.its_fd = -1;
	irq_routing_init(&vm.routing, true);
	vm.mem.hva = ram;
	vm.mem.gpa = RAM_GPA;
	vm.mem.size = sizeof(ram);
	vcpu0.mpidr = 0x80000000;
	vm.vcpus = &vcpu0;
	vm.nr_vcpus = 1;
	if (gic == &gicv2m_ops)
		assert_int_equal(gicv2m_create(&vm), 0);
	assert_int_equal(pci_bus_create(&vm), 0);
}

static void vm_fini(void)
{
	pci_bus_destroy(&vm);
	gicv2m_destroy(&vm);
}

/* ---- config space through ECAM, and plain MMIO ---- */

static uint64_t ecam_addr(unsigned slot, unsigned fn, uint32_t reg)
{
	return guest_memmap[MEM_PCI_ECAM].base + ((uint64_t)slot << 15) + ((uint64_t)fn << 12) + reg;
}

static uint64_t mmio_read(uint64_t gpa, unsigned len)
{
	uint8_t data[8];

	memset(data, 0xa5, sizeof(data)); /* so a read that fills nothing shows */
	assert_int_equal(mmio_bus_access(&vm.mmio, gpa, data, len, false), 0);
	return le_load(data, len);
}

static void mmio_write(uint64_t gpa, unsigned len, uint64_t val)
{
	uint8_t data[8];

	le_store(data, len, val);
	assert_int_equal(mmio_bus_access(&vm.mmio, gpa, data, len, true), 0);
}

static uint32_t cfg_read_fn(unsigned slot, unsigned fn, uint32_t reg, unsigned len)
{
	return mmio_read(ecam_addr(slot, fn, reg), len);
}

static uint32_t cfg_read(unsigned slot, uint32_t reg, unsigned len)
{
	return cfg_read_fn(slot, 0, reg, len);
}

static void cfg_write(unsigned slot, uint32_t reg, unsigned len, uint32_t val)
{
	mmio_write(ecam_addr(slot, 0, reg), len, val);
}

/* Walk the capability list from the header pointer: offset of the n-th capability with id, or 0. */
static unsigned find_cap(unsigned slot, uint8_t id, unsigned nth)
{
	unsigned p, hops = 0;

	if (!(cfg_read(slot, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	for (p = cfg_read(slot, PCI_CAPABILITY_LIST, 1); p; p = cfg_read(slot, p + 1, 1)) {
		assert_true(p >= 0x40 && p < PCI_CFG_SIZE && !(p & 3));
		assert_true(++hops < 48); /* a loop in the list would hang the guest's walk */
		if (cfg_read(slot, p, 1) == id && nth-- == 0)
			return p;
	}
	return 0;
}

/* ---- a plain device: a 16 KiB 32-bit BAR0 and a 64 KiB 64-bit BAR2 that log accesses ---- */

struct plain_dev {
	struct pci_device pci;
	unsigned reads, writes;
	uint64_t last_off, last_val;
};

static int plain_read(void *dev, uint64_t off, unsigned len, uint64_t *val)
{
	struct plain_dev *d = dev;

	(void)len;
	d->reads++;
	d->last_off = off;
	*val = 0xd0000000 | off; /* which offset answered */
	return 0;
}

static int plain_write(void *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct plain_dev *d = dev;

	(void)len;
	d->writes++;
	d->last_off = off;
	d->last_val = val;
	return 0;
}

static const struct device_ops plain_ops = {
	.name = "plain", .widths = WIDTH(4), .read = plain_read, .write = plain_write,
};

#define PLAIN_BAR0_SIZE 0x4000
#define PLAIN_BAR2_SIZE 0x10000

static void plain_add(struct plain_dev *d)
{
	memset(d, 0, sizeof(*d));
	pci_device_init(&d->pci, "plain", 0x1234, 0x5678, 0x0c0330, 0xabcd, 0xef01);
	assert_int_equal(pci_bar_add(&d->pci, 0, PLAIN_BAR0_SIZE, false, &plain_ops, d), 0);
	assert_int_equal(pci_bar_add(&d->pci, 2, PLAIN_BAR2_SIZE, true, &plain_ops, d), 0);
	assert_int_equal(pci_device_add(&vm, &d->pci), 0);
}

static struct plain_dev plain, plain2;

static int plain_setup(void **state)
{
	(void)state;
	vm_init(&gicv3_ops, true);
	plain_add(&plain);
	return 0;
}

static int plain_teardown(void **state)
{
	(void)state;
	vm_fini();
	return 0;
}

static void test_cfg_ids(void **state)
{
	(void)state;
	assert_int_equal(cfg_read(0, PCI_VENDOR_ID, 2), 0x1234);
	assert_int_equal(cfg_read(0, PCI_DEVICE_ID, 2), 0x5678);
	assert_int_equal(cfg_read(0, PCI_VENDOR_ID, 4), 0x56781234);
	assert_int_equal(cfg_read(0, PCI_REVISION_ID, 4), 0x0c033001);
	assert_int_equal(cfg_read(0, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(cfg_read(0, PCI_SUBSYSTEM_VENDOR_ID, 4), 0xef01abcd);
	assert_int_equal(cfg_read(0, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(cfg_read(0, PCI_INTERRUPT_LINE, 1), plain.pci.intx_intid - 32);
	assert_int_equal(pci_requester_id(&plain.pci), 0);
	/* No device in slot 1, and only function 0 exists: a master abort reads all ones. */
	assert_int_equal(cfg_read(1, PCI_VENDOR_ID, 4), 0xffffffff);
	assert_int_equal(cfg_read(1, PCI_VENDOR_ID, 2), 0xffff);
	assert_int_equal(cfg_read(31, PCI_HEADER_TYPE, 1), 0xff);
	assert_int_equal(cfg_read_fn(0, 1, PCI_VENDOR_ID, 4), 0xffffffff);
	assert_int_equal(cfg_read_fn(0, 7, PCI_VENDOR_ID, 2), 0xffff);
	/* Extended config space (PCIe) past 256 bytes reads 0 and ignores writes. */
	assert_int_equal(cfg_read(0, 0x100, 4), 0);
	assert_int_equal(cfg_read(0, 0xffc, 4), 0);
	cfg_write(0, 0x100, 4, 0x12345678);
	assert_int_equal(cfg_read(0, 0x100, 4), 0);
	assert_int_equal(pci_cfg_read(&plain.pci, 0xfe, 4), 0);
}

static void test_cfg_read_only(void **state)
{
	(void)state;
	cfg_write(0, PCI_VENDOR_ID, 4, 0xdeadbeef);
	assert_int_equal(cfg_read(0, PCI_VENDOR_ID, 4), 0x56781234);
	cfg_write(0, PCI_REVISION_ID, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, PCI_REVISION_ID, 4), 0x0c033001);
	cfg_write(0, PCI_INTERRUPT_PIN, 1, 4);
	assert_int_equal(cfg_read(0, PCI_INTERRUPT_PIN, 1), 1);
	/* Command: only MEMORY, MASTER and INTX_DISABLE are implemented; status is read-only. */
	cfg_write(0, PCI_COMMAND, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, PCI_COMMAND, 4),
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	/* Interrupt line is scratch space for the guest. */
	cfg_write(0, PCI_INTERRUPT_LINE, 1, 0x5a);
	assert_int_equal(cfg_read(0, PCI_INTERRUPT_LINE, 1), 0x5a);
	/* No capabilities: the status bit and pointer are clear. */
	assert_int_equal(cfg_read(0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	assert_int_equal(find_cap(0, PCI_CAP_ID_MSIX, 0), 0);
}

static void test_bar_sizing(void **state)
{
	static const unsigned unused[] = { 1, 4, 5 };
	uint32_t orig0 = cfg_read(0, PCI_BAR0, 4), orig2 = cfg_read(0, PCI_BAR0 + 8, 4);

	(void)state;
	/* Placed at the start of the 32-bit window, each naturally aligned. */
	assert_int_equal(orig0, guest_memmap[MEM_PCI_MMIO].base);
	assert_int_equal(orig2, (guest_memmap[MEM_PCI_MMIO].base + PLAIN_BAR2_SIZE) | PCI_BAR_MEM64);
	assert_int_equal(cfg_read(0, PCI_BAR0 + 12, 4), 0);
	/* Writing all ones reads back ~(size - 1) with the type bits kept. */
	cfg_write(0, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, PCI_BAR0, 4), (uint32_t)~(PLAIN_BAR0_SIZE - 1));
	cfg_write(0, PCI_BAR0 + 8, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, PCI_BAR0 + 8, 4), (uint32_t)~(PLAIN_BAR2_SIZE - 1) | PCI_BAR_MEM64);
	cfg_write(0, PCI_BAR0 + 12, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, PCI_BAR0 + 12, 4), 0xffffffff); /* size < 4 GiB */
	/* Unused BARs size as 0: not implemented. */
	for (unsigned i = 0; i < ARRAY_SIZE(unused); i++) {
		cfg_write(0, PCI_BAR0 + 4 * unused[i], 4, 0xffffffff);
		assert_int_equal(cfg_read(0, PCI_BAR0 + 4 * unused[i], 4), 0);
	}
	/* Low flag bits are read-only even with a 1-byte write. */
	cfg_write(0, PCI_BAR0, 1, 0x0f);
	assert_int_equal(cfg_read(0, PCI_BAR0, 4) & 0xf, 0);
	cfg_write(0, PCI_BAR0, 4, orig0);
	cfg_write(0, PCI_BAR0 + 8, 4, orig2);
	cfg_write(0, PCI_BAR0 + 12, 4, 0);
	assert_int_equal(cfg_read(0, PCI_BAR0, 4), orig0);
	assert_int_equal(cfg_read(0, PCI_BAR0 + 8, 4), orig2);
}

static void test_bar_add_invalid(void **state)
{
	struct pci_device pd;

	(void)state;
	pci_device_init(&pd, "bad", 1, 2, 0, 0, 0);
	assert_int_equal(pci_bar_add(&pd, 0, 0x3000, false, &plain_ops, NULL), -EINVAL);
	assert_int_equal(pci_bar_add(&pd, 0, 0x800, false, &plain_ops, NULL), -EINVAL);
	assert_int_equal(pci_bar_add(&pd, 0, 1ULL << 32, true, &plain_ops, NULL), -EINVAL);
	assert_int_equal(pci_bar_add(&pd, PCI_NR_BARS, SZ_4K, false, &plain_ops, NULL), -EINVAL);
	assert_int_equal(pci_bar_add(&pd, 5, SZ_4K, true, &plain_ops, NULL), -EINVAL);
	assert_int_equal(pci_bar_add(&pd, 5, SZ_4K, false, &plain_ops, NULL), 0);
}

/* Does an access at gpa reach the plain device, at offset off of one of its BARs? */
static bool plain_answers(uint64_t gpa, uint64_t off)
{
	unsigned before = plain.reads;
	uint64_t v = mmio_read(gpa, 4);

	if (plain.reads == before) {
		assert_int_equal(v, 0); /* unclaimed addresses read as zero */
		return false;
	}
	assert_int_equal(plain.last_off, off);
	assert_int_equal(v, 0xd0000000 | off);
	return true;
}

static void test_bar_mapping(void **state)
{
	uint64_t base = cfg_read(0, PCI_BAR0, 4), moved = guest_memmap[MEM_PCI_MMIO].base + 0x1000000;

	(void)state;
	/* Decoding is off until the guest sets MEMORY. */
	assert_false(plain_answers(base + 0x10, 0x10));
	cfg_write(0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_true(plain_answers(base + 0x10, 0x10));
	mmio_write(base + 0x20, 4, 0xcafe);
	assert_int_equal(plain.writes, 1);
	assert_int_equal(plain.last_val, 0xcafe);
	/* Moving the BAR unmaps the old address. */
	cfg_write(0, PCI_BAR0, 4, moved);
	assert_false(plain_answers(base + 0x10, 0x10));
	assert_true(plain_answers(moved + 0x3ffc, 0x3ffc));
	assert_int_equal(plain.pci.bars[0].mapped_at, moved);
	/* Sizing with decoding on: all ones is outside the windows and never lands on the bus. */
	cfg_write(0, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(plain.pci.bars[0].mapped_at, 0);
	assert_false(plain_answers(moved, 0));
	assert_false(plain_answers(0xffffc000, 0));
	/* Neither does an address outside both PCI windows (here: RAM). */
	cfg_write(0, PCI_BAR0, 4, RAM_GPA);
	assert_int_equal(plain.pci.bars[0].mapped_at, 0);
	cfg_write(0, PCI_BAR0, 4, moved);
	assert_true(plain_answers(moved, 0));
	/* Clearing MEMORY unmaps every BAR. */
	cfg_write(0, PCI_COMMAND, 2, 0);
	assert_false(plain_answers(moved, 0));
	assert_int_equal(plain.pci.bars[0].mapped_at, 0);
	assert_int_equal(plain.pci.bars[2].mapped_at, 0);
}

static void test_bar_64bit_high(void **state)
{
	uint64_t high = guest_memmap[MEM_PCI_MMIO_HIGH].base + 0x200000;

	(void)state;
	cfg_write(0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(plain.pci.bars[2].mapped_at, guest_memmap[MEM_PCI_MMIO].base + PLAIN_BAR2_SIZE);
	/* The guest writes the halves one at a time; the end state is what counts. */
	cfg_write(0, PCI_BAR0 + 8, 4, (uint32_t)high);
	cfg_write(0, PCI_BAR0 + 12, 4, high >> 32);
	assert_int_equal(plain.pci.bars[2].mapped_at, high);
	assert_true(plain_answers(high + 0x100, 0x100));
	assert_false(plain_answers(guest_memmap[MEM_PCI_MMIO].base + PLAIN_BAR2_SIZE + 0x100, 0));
	/* Past the end of the 64-bit window: not decoded. */
	cfg_write(0, PCI_BAR0 + 12, 4, 0xffffffff);
	assert_int_equal(plain.pci.bars[2].mapped_at, 0);
	assert_false(plain_answers(high + 0x100, 0));
}

static void test_bar_overlap(void **state)
{
	uint64_t a;

	(void)state;
	plain_add(&plain2);
	a = cfg_read(0, PCI_BAR0, 4);
	assert_int_not_equal(cfg_read(1, PCI_BAR0, 4), a);
	cfg_write(0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	cfg_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	/* Slot 1's BAR0 moved onto slot 0's: refused, slot 0 keeps the range. */
	cfg_write(1, PCI_BAR0, 4, a);
	assert_int_equal(plain2.pci.bars[0].mapped_at, 0);
	assert_true(plain_answers(a + 8, 8));
	assert_int_equal(plain2.reads, 0);
}

static void test_cap_add(void **state)
{
	static const uint8_t body[6] = { 1, 2, 3, 4, 5, 6 }, wmask[6] = { 0xff, 0x0f, 0, 0, 0, 0 };
	struct pci_device *pd = &plain.pci;
	int a, b;

	(void)state;
	a = pci_cap_add(pd, 0x05, body, sizeof(body), wmask);
	b = pci_cap_add(pd, 0x10, body, 3, NULL);
	assert_int_equal(a, 0x40);
	assert_int_equal(b, 0x48); /* 4-byte aligned after the first */
	assert_true(cfg_read(0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	assert_int_equal(find_cap(0, 0x05, 0), a);
	assert_int_equal(find_cap(0, 0x10, 0), b);
	assert_int_equal(cfg_read(0, b + 1, 1), 0); /* end of the list */
	assert_int_equal(cfg_read(0, a, 4), 0x02014805); /* id, next, body */
	assert_int_equal(cfg_read(0, a + 4, 4), 0x06050403);
	/* Only the wmask bits of the body are writable; the header never is. */
	cfg_write(0, a, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, a, 4), 0x0fff4805);
	/* Too big for what is left: refused, the list untouched. */
	assert_int_equal(pci_cap_add(pd, 0x09, body, 0xb0, NULL), -ENOSPC);
	assert_int_equal(cfg_read(0, b + 1, 1), 0);
}

/* A capability ending exactly at 0x100 fills config space: the next one is refused, and
 * the header is untouched (next_cap once wrapped to 0 here and overwrote the header). */
static void test_cap_add_full(void **state)
{
	static const uint8_t body[2] = { 1, 2 };
	struct pci_device *pd = &plain.pci;
	int off = 0;

	(void)state;
	/* 2-byte bodies take 4 bytes each: 0x40, 0x44, ..., the last at 0xfc ends at 0x100. */
	for (unsigned i = 0; i < (PCI_CFG_SIZE - 0x40) / 4; i++)
		off = pci_cap_add(pd, 0x09, body, sizeof(body), NULL);
	assert_int_equal(off, 0xfc);
	assert_int_equal(pci_cap_add(pd, 0x09, body, sizeof(body), NULL), -ENOSPC);
	assert_int_equal(cfg_read(0, PCI_VENDOR_ID, 4), 0x56781234);
}

/* ---- virtio-pci ---- */

#define VSLOT 1        /* the virtio function sits behind a plain device: devfn 8 */
#define VDEVFN (VSLOT << 3)

/* BAR0 layout and the common configuration structure (virtio 1.2, 4.1.4.3). */
#define BAR_COMMON 0x0000
#define BAR_ISR    0x1000
#define BAR_DEVICE 0x2000
#define BAR_NOTIFY 0x3000
#define BAR_TABLE  0x4000
#define BAR_PBA    0x5000
#define CC_DFSELECT    0x00
#define CC_DF          0x04
#define CC_GFSELECT    0x08
#define CC_GF          0x0c
#define CC_MSIX_CONFIG 0x10
#define CC_NUM_QUEUES  0x12
#define CC_STATUS      0x14
#define CC_CFG_GEN     0x15
#define CC_Q_SELECT    0x16
#define CC_Q_SIZE      0x18
#define CC_Q_MSIX      0x1a
#define CC_Q_ENABLE    0x1c
#define CC_Q_NOFF      0x1e
#define CC_Q_DESCLO    0x20
#define CC_Q_DESCHI    0x24
#define CC_Q_AVAILLO   0x28
#define CC_Q_AVAILHI   0x2c
#define CC_Q_USEDLO    0x30
#define CC_Q_USEDHI    0x34
#define NO_VECTOR      0xffff
#define MSIX_ENABLE    0x8000
#define MSIX_MASKALL   0x4000

static struct virtio_dev *vd;
static uint64_t bar0;

static uint64_t bar_rd(uint32_t off, unsigned len)
{
	return mmio_read(bar0 + off, len);
}

static void bar_wr(uint32_t off, unsigned len, uint64_t val)
{
	mmio_write(bar0 + off, len, val);
}

/* BAR0 decoding on, as the guest's PCI core does before the driver probes. */
static void virtio_enable_bar(void)
{
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	bar0 = cfg_read(VSLOT, PCI_BAR0, 4) & ~0xfu;
	assert_int_equal(vd->pci.bars[0].mapped_at, bar0);
}

static int virtio_setup_gic(const struct irqchip_ops *gic, bool its)
{
	vm_init(gic, its);
	plain_add(&plain);
	assert_int_equal(virtio_rng_create(&vm, &vd), 0);
	virtio_enable_bar();
	return 0;
}

static int virtio_setup(void **state)
{
	(void)state;
	return virtio_setup_gic(&gicv3_ops, true);
}

static int virtio_setup_v2m(void **state)
{
	(void)state;
	return virtio_setup_gic(&gicv2m_ops, false);
}

/* virtio-console in the slot the rng usually takes. */
static int virtio_setup_console(void **state)
{
	(void)state;
	vm_init(&gicv3_ops, true);
	plain_add(&plain);
	assert_int_equal(virtio_console_create(&vm, NULL, &vd), 0);
	virtio_enable_bar();
	return 0;
}

static int virtio_teardown(void **state)
{
	(void)state;
	virtio_destroy(vd);
	vd = NULL;
	vm_fini();
	return 0;
}

/* The count an eventfd holds (EFD_NONBLOCK: 0 when nothing was written). */
static uint64_t eventfd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

static void set_features(uint32_t select, uint32_t bits)
{
	bar_wr(CC_GFSELECT, 4, select);
	bar_wr(CC_GF, 4, bits);
}

/* ACKNOWLEDGE, DRIVER, VERSION_1 only, FEATURES_OK: what every test driver starts with. */
static void driver_init(void)
{
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(0, 0);
	set_features(1, 1); /* VIRTIO_F_VERSION_1 is bit 32 */
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
}

static void put64(uint32_t lo_off, uint64_t v)
{
	bar_wr(lo_off, 4, (uint32_t)v);
	bar_wr(lo_off + 4, 4, v >> 32);
}

static void queue_program(uint16_t q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	bar_wr(CC_Q_SELECT, 2, q);
	bar_wr(CC_Q_SIZE, 2, size);
	put64(CC_Q_DESCLO, desc);
	put64(CC_Q_AVAILLO, avail);
	put64(CC_Q_USEDLO, used);
}

/* Queue 0 of 16 entries on the fake RAM, enabled; the driver is at DRIVER_OK. */
static void queue_setup(void)
{
	driver_init();
	queue_program(0, 16, DESC_GPA, AVAIL_GPA, USED_GPA);
	bar_wr(CC_Q_ENABLE, 2, 1);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 1);
	bar_wr(CC_STATUS, 1, bar_rd(CC_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
}

/* What a device model does after pushing used buffers: the transport picks the interrupt. */
static void queue_interrupt(void)
{
	pthread_mutex_lock(&vd->lock);
	virtio_queue_interrupt(vd, 0);
	pthread_mutex_unlock(&vd->lock);
}

/* The nth virtio vendor capability of slot: struct virtio_pci_cap fields (virtio 1.2, 4.1.4). */
static unsigned check_vndr_cap(unsigned slot, unsigned nth, uint8_t type, uint32_t offset, uint32_t length)
{
	unsigned cap = find_cap(slot, PCI_CAP_ID_VNDR, nth);

	assert_int_not_equal(cap, 0);
	assert_int_equal(cfg_read(slot, cap + 2, 1), type == 2 ? 20 : 16); /* cap_len */
	assert_int_equal(cfg_read(slot, cap + 3, 1), type);
	assert_int_equal(cfg_read(slot, cap + 4, 1), 0); /* BAR0 */
	assert_int_equal(cfg_read(slot, cap + 8, 4), offset);
	assert_int_equal(cfg_read(slot, cap + 12, 4), length);
	return cap;
}

static void test_virtio_ids_and_caps(void **state)
{
	unsigned msix, cap;

	(void)state;
	/* Non-transitional: 0x1040 + device ID 4 (entropy), revision 1 (virtio 1.2, 4.1.2). */
	assert_int_equal(cfg_read(VSLOT, PCI_VENDOR_ID, 4), 0x10441af4);
	assert_int_equal(cfg_read(VSLOT, PCI_REVISION_ID, 1), 1);
	assert_int_equal(cfg_read(VSLOT, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_read(VSLOT, PCI_SUBSYSTEM_ID, 2), 0x40);
	assert_int_equal(cfg_read(VSLOT, PCI_BAR0, 4) & 0xf, 0); /* 32-bit memory BAR */
	cfg_write(VSLOT, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(cfg_read(VSLOT, PCI_BAR0, 4), 0xffff8000); /* 32 KiB */
	cfg_write(VSLOT, PCI_BAR0, 4, bar0);
	/* MSI-X: one vector per queue plus config; table and PBA in BAR0. */
	msix = find_cap(VSLOT, PCI_CAP_ID_MSIX, 0);
	assert_int_not_equal(msix, 0);
	assert_int_equal(cfg_read(VSLOT, msix + 2, 2), 1); /* table size - 1, disabled */
	assert_int_equal(cfg_read(VSLOT, msix + 4, 4), BAR_TABLE); /* BIR 0 */
	assert_int_equal(cfg_read(VSLOT, msix + 8, 4), BAR_PBA);
	/* Vendor capabilities in order: common, notify, ISR; rng has no device config. */
	check_vndr_cap(VSLOT, 0, 1, BAR_COMMON, 0x3c);
	cap = check_vndr_cap(VSLOT, 1, 2, BAR_NOTIFY, 4); /* one queue */
	assert_int_equal(cfg_read(VSLOT, cap + 16, 4), 4); /* notify_off_multiplier */
	cap = check_vndr_cap(VSLOT, 2, 3, BAR_ISR, 1);
	assert_int_equal(find_cap(VSLOT, PCI_CAP_ID_VNDR, 3), 0);
	/* Capabilities are read-only except MSI-X enable/mask. */
	cfg_write(VSLOT, cap + 8, 4, 0x7000);
	assert_int_equal(cfg_read(VSLOT, cap + 8, 4), BAR_ISR);
	cfg_write(VSLOT, msix + 2, 2, 0xffff);
	assert_int_equal(cfg_read(VSLOT, msix + 2, 2), MSIX_ENABLE | MSIX_MASKALL | 1);
}

/* A two-queue model with 6 bytes of device config, for the capability rng lacks. */
static const uint8_t model_config[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };

static void model_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev;
	assert_true(off + len <= sizeof(model_config));
	memcpy(buf, model_config + off, len);
}

static void model_notify(void *dev, unsigned q)
{
	(void)dev, (void)q;
}

static void model_noop(void *dev)
{
	(void)dev;
}

static const struct virtio_dev_ops model_ops = {
	.name = "test-model", .device_id = 3, .class_code = 0x078000, .nr_queues = 2, .queue_size = 32,
	.features = 1ULL << 5, .config_size = sizeof(model_config), .config_read = model_config_read,
	.queue_notify = model_notify, .reset = model_noop, .destroy = model_noop,
};

static void test_virtio_device_config(void **state)
{
	static int model_state;
	struct virtio_dev *m;
	unsigned cap;

	(void)state;
	assert_int_equal(virtio_pci_create(&vm, &model_ops, &model_state, 1ULL << 7, &m), 0);
	/* The model and every queue see guest RAM as the VM's one guest_mem, nothing else. */
	assert_ptr_equal(m->mem, &vm.mem);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		assert_ptr_equal(m->queues[q].vq.mem, &vm.mem);
	assert_int_equal(cfg_read(2, PCI_DEVICE_ID, 2), 0x1043);
	assert_int_equal(cfg_read(2, PCI_REVISION_ID, 4) >> 8, 0x078000);
	check_vndr_cap(2, 1, 2, BAR_NOTIFY, 2 * 4); /* two queues' notify addresses */
	cap = check_vndr_cap(2, 3, 4, BAR_DEVICE, sizeof(model_config));
	assert_int_equal(find_cap(2, PCI_CAP_ID_MSIX, 0) > cap, 1);
	/* Through its BAR: config bytes, a read past the end is cut short, then nothing. */
	cfg_write(2, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	bar0 = cfg_read(2, PCI_BAR0, 4) & ~0xfu;
	assert_int_equal(bar_rd(BAR_DEVICE, 4), 0x44332211);
	assert_int_equal(bar_rd(BAR_DEVICE + 5, 1), 0x66);
	assert_int_equal(bar_rd(BAR_DEVICE + 4, 4), 0x6655);
	assert_int_equal(bar_rd(BAR_DEVICE + 8, 4), 0);
	assert_int_equal(bar_rd(CC_NUM_QUEUES, 2), 2);
	/* Offered: the model's bit 5, the instance's bit 7, the transport's. */
	bar_wr(CC_DFSELECT, 4, 0);
	assert_int_equal(bar_rd(CC_DF, 4), 1u << 5 | 1u << 7 | 1u << VIRTIO_F_INDIRECT_DESC |
			 1u << VIRTIO_F_EVENT_IDX);
	bar_wr(CC_Q_SELECT, 2, 1);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 32);
	assert_int_equal(bar_rd(CC_Q_NOFF, 2), 1);
	virtio_destroy(m);
}

static void test_virtio_features(void **state)
{
	(void)state;
	bar_wr(CC_DFSELECT, 4, 1);
	assert_int_equal(bar_rd(CC_DFSELECT, 4), 1);
	assert_int_equal(bar_rd(CC_DF, 4) & 1, 1); /* VIRTIO_F_VERSION_1 */
	bar_wr(CC_DFSELECT, 4, 0);
	assert_int_equal(bar_rd(CC_DF, 4), 1u << VIRTIO_F_INDIRECT_DESC | 1u << VIRTIO_F_EVENT_IDX);
	bar_wr(CC_DFSELECT, 4, 2);
	assert_int_equal(bar_rd(CC_DF, 4), 0);
	assert_int_equal(bar_rd(CC_NUM_QUEUES, 2), 1);
	assert_int_equal(bar_rd(CC_MSIX_CONFIG, 2), NO_VECTOR);
	assert_int_equal(bar_rd(CC_STATUS, 1), 0);
}

static void test_virtio_feature_negotiation(void **state)
{
	const uint8_t ad = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	(void)state;
	bar_wr(CC_STATUS, 1, ad);
	assert_int_equal(bar_rd(CC_STATUS, 1), ad);
	/* A bit the device does not offer: FEATURES_OK does not stick. */
	set_features(1, 1);
	set_features(0, 1u << 3);
	assert_int_equal(bar_rd(CC_GF, 4), 1u << 3);
	bar_wr(CC_STATUS, 1, ad | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(bar_rd(CC_STATUS, 1), ad);
	/* Without VERSION_1 (a legacy driver) it does not either. */
	set_features(0, 1u << VIRTIO_F_EVENT_IDX);
	set_features(1, 0);
	bar_wr(CC_STATUS, 1, ad | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(bar_rd(CC_STATUS, 1), ad);
	/* A subset with VERSION_1 is accepted, and then features are frozen. */
	set_features(1, 1);
	bar_wr(CC_STATUS, 1, ad | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(bar_rd(CC_STATUS, 1), ad | VIRTIO_STATUS_FEATURES_OK);
	set_features(0, 0);
	assert_int_equal(bar_rd(CC_GF, 4), 1u << VIRTIO_F_EVENT_IDX);
	/* Reset clears status and the negotiated features. */
	bar_wr(CC_STATUS, 1, 0);
	assert_int_equal(bar_rd(CC_STATUS, 1), 0);
	bar_wr(CC_GFSELECT, 4, 1);
	assert_int_equal(bar_rd(CC_GF, 4), 0);
}

static void test_virtio_common_width(void **state)
{
	(void)state;
	/* Each field takes only its own width; anything else is dropped. */
	bar_wr(CC_STATUS, 4, 0x01010101);
	bar_wr(CC_STATUS, 2, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(bar_rd(CC_STATUS, 1), 0);
	bar_wr(CC_MSIX_CONFIG, 4, 0);
	assert_int_equal(bar_rd(CC_MSIX_CONFIG, 2), NO_VECTOR);
	bar_wr(CC_Q_SELECT, 1, 5);
	assert_int_equal(bar_rd(CC_Q_SELECT, 2), 0);
	bar_wr(CC_DFSELECT, 2, 1);
	assert_int_equal(bar_rd(CC_DFSELECT, 4), 0);
	bar_wr(CC_Q_DESCLO, 8, DESC_GPA + 0x100);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), 0);
	/* Wrong-width reads return 0, not a piece of the field. */
	assert_int_equal(bar_rd(CC_Q_SIZE, 4), 0);
	assert_int_equal(bar_rd(CC_Q_SIZE, 1), 0);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 64);
	assert_int_equal(bar_rd(CC_DFSELECT, 8), 0);
	assert_int_equal(bar_rd(CC_STATUS, 2), 0);
}

static void test_virtio_queue_select(void **state)
{
	(void)state;
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 64);
	bar_wr(CC_Q_SELECT, 2, 1); /* rng has one queue */
	assert_int_equal(bar_rd(CC_Q_SELECT, 2), 1);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 0);
	bar_wr(CC_Q_SIZE, 2, 16);
	bar_wr(CC_Q_ENABLE, 2, 1);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 0);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 0);
	bar_wr(CC_Q_SELECT, 2, 0xffff);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 0);
	bar_wr(CC_Q_SELECT, 2, 0);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 64);
	/* More than the model offers: refused outright. */
	bar_wr(CC_Q_SIZE, 2, 128);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 0);
}

static void test_virtio_queue_enable(void **state)
{
	const struct kvm_ioeventfd *ev;

	(void)state;
	driver_init();
	queue_program(0, 16, DESC_GPA, AVAIL_GPA, USED_GPA);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), (uint32_t)DESC_GPA);
	assert_int_equal(bar_rd(CC_Q_AVAILLO, 4), (uint32_t)AVAIL_GPA);
	assert_int_equal(bar_rd(CC_Q_USEDLO, 4), (uint32_t)USED_GPA);
	assert_int_equal(bar_rd(CC_Q_USEDHI, 4), 0);
	assert_int_equal(kvm.nr_ioeventfds, 0);
	bar_wr(CC_Q_ENABLE, 2, 1);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 1);
	/* The kick address: BAR0 + notify offset + queue_notify_off * multiplier, 16 bits wide. */
	assert_int_equal(kvm.nr_ioeventfds, 1);
	ev = last_ioeventfd();
	assert_int_equal(ev->addr, bar0 + BAR_NOTIFY + 0 * 4);
	assert_int_equal(ev->len, 2);
	assert_int_equal(ev->fd, vd->queues[0].kick_fd);
	assert_int_equal(ev->flags, 0);
	/* Once enabled, size and addresses are fixed. */
	bar_wr(CC_Q_SIZE, 2, 32);
	put64(CC_Q_DESCLO, DESC_GPA + 0x100);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 16);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), (uint32_t)DESC_GPA);
	/* Reset: the queue is disabled and its kick address deassigned. */
	bar_wr(CC_STATUS, 1, 0);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 0);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 64);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), 0);
	assert_int_equal(kvm.nr_ioeventfds, 2);
	ev = last_ioeventfd();
	assert_int_equal(ev->addr, bar0 + BAR_NOTIFY);
	assert_int_equal(ev->fd, vd->queues[0].kick_fd);
	assert_int_equal(ev->flags, KVM_IOEVENTFD_FLAG_DEASSIGN);
}

/* Try to enable queue 0 with a bad ring; it must stay disabled with no kick address. */
static void check_enable_refused(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	queue_program(0, size, desc, avail, used);
	bar_wr(CC_Q_ENABLE, 2, 1);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 0);
	assert_int_equal(kvm.nr_ioeventfds, 0);
}

static void test_virtio_queue_enable_refused(void **state)
{
	(void)state;
	driver_init();
	check_enable_refused(16, DESC_GPA + 8, AVAIL_GPA, USED_GPA);   /* desc: 16-byte aligned */
	check_enable_refused(16, DESC_GPA, AVAIL_GPA + 1, USED_GPA);   /* avail: 2 */
	check_enable_refused(16, DESC_GPA, AVAIL_GPA, USED_GPA + 2);   /* used: 4 */
	check_enable_refused(12, DESC_GPA, AVAIL_GPA, USED_GPA);       /* not a power of two */
	check_enable_refused(16, RAM_GPA + RAM_SIZE - 0x80, AVAIL_GPA, USED_GPA); /* past RAM */
	check_enable_refused(16, guest_memmap[MEM_PCI_MMIO].base, AVAIL_GPA, USED_GPA);
	/* A good ring still enables afterwards. */
	queue_program(0, 16, DESC_GPA, AVAIL_GPA, USED_GPA);
	bar_wr(CC_Q_ENABLE, 2, 1);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 1);
}

/* Policy (README "Security"): queue registers are frozen at DRIVER_OK until reset; a write
 * is refused and puts the device in DEVICE_NEEDS_RESET. Vector choices stay writable. */
static void test_virtio_queue_frozen_after_driver_ok(void **state)
{
	(void)state;
	queue_setup();
	assert_false(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	bar_wr(CC_Q_MSIX, 2, 0);
	assert_int_equal(bar_rd(CC_Q_MSIX, 2), 0);
	assert_false(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	put64(CC_Q_DESCLO, DESC_GPA + 0x100);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), (uint32_t)DESC_GPA);
	assert_true(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* Disabling and re-enabling the live queue is refused too: it stays as it was. */
	bar_wr(CC_Q_ENABLE, 2, 0);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 1);
	/* A reset thaws it: the driver may set the queue up again. */
	bar_wr(CC_STATUS, 1, 0);
	assert_int_equal(bar_rd(CC_STATUS, 1), 0);
	driver_init();
	queue_program(0, 16, DESC_GPA + 0x100, AVAIL_GPA, USED_GPA);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), (uint32_t)(DESC_GPA + 0x100));
	assert_false(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

/* 2.1.2: clearing a status bit is no reset: refused, so the freeze above cannot be thawed. */
static void test_virtio_status_bit_cleared(void **state)
{
	const uint8_t live = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			     VIRTIO_STATUS_DRIVER_OK;

	(void)state;
	queue_setup();
	assert_int_equal(bar_rd(CC_STATUS, 1), live);
	bar_wr(CC_STATUS, 1, live & ~VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(bar_rd(CC_STATUS, 1), live | VIRTIO_STATUS_NEEDS_RESET);
	put64(CC_Q_DESCLO, DESC_GPA + 0x100);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), (uint32_t)DESC_GPA);
	bar_wr(CC_GF, 4, 0);
	assert_int_not_equal(bar_rd(CC_GF, 4), 0);
	bar_wr(CC_STATUS, 1, 0);
	assert_int_equal(bar_rd(CC_STATUS, 1), 0);
}

/* DEVICE_NEEDS_RESET stops the queues: nothing is pushed to the used ring until the reset. */
static void test_virtio_needs_reset_stops_queues(void **state)
{
	struct virtq *q;
	uint16_t used_idx;

	(void)state;
	queue_setup();
	pthread_mutex_lock(&vd->lock);
	q = virtio_queue(vd, 0);
	virtio_needs_reset(vd, "test");
	assert_true(q->broken);
	assert_int_equal(virtq_push(q, 0, 1), -EINVAL);
	pthread_mutex_unlock(&vd->lock);
	memcpy(&used_idx, ram + (USED_GPA - RAM_GPA) + 2, 2);
	assert_int_equal(used_idx, 0);
	bar_wr(CC_STATUS, 1, 0);
	assert_false(q->broken);
}

static void test_virtio_ioeventfd_follows_bar(void **state)
{
	uint64_t moved = guest_memmap[MEM_PCI_MMIO].base + 0x800000;
	const struct kvm_ioeventfd *ev;

	(void)state;
	queue_setup();
	assert_int_equal(kvm.nr_ioeventfds, 1);
	/* Decoding off: the kick address goes away with the BAR. */
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	assert_int_equal(kvm.nr_ioeventfds, 2);
	ev = last_ioeventfd();
	assert_int_equal(ev->flags, KVM_IOEVENTFD_FLAG_DEASSIGN);
	assert_int_equal(ev->addr, bar0 + BAR_NOTIFY);
	/* Moved and decoding again: registered at the new place. */
	cfg_write(VSLOT, PCI_BAR0, 4, moved);
	assert_int_equal(kvm.nr_ioeventfds, 2);
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(kvm.nr_ioeventfds, 3);
	ev = last_ioeventfd();
	assert_int_equal(ev->flags, 0);
	assert_int_equal(ev->addr, moved + BAR_NOTIFY);
	/* Moved while decoding: deassign the old, assign the new. */
	cfg_write(VSLOT, PCI_BAR0, 4, bar0);
	assert_int_equal(kvm.nr_ioeventfds, 5);
	assert_int_equal(kvm.ioeventfds[3].flags, KVM_IOEVENTFD_FLAG_DEASSIGN);
	assert_int_equal(kvm.ioeventfds[3].addr, moved + BAR_NOTIFY);
	assert_int_equal(kvm.ioeventfds[4].flags, 0);
	assert_int_equal(kvm.ioeventfds[4].addr, bar0 + BAR_NOTIFY);
	/* A config write that touches neither command nor BARs changes nothing. */
	cfg_write(VSLOT, PCI_INTERRUPT_LINE, 1, 3);
	assert_int_equal(kvm.nr_ioeventfds, 5);
}

/* Issue 11 defect 10: two vCPUs moving two functions' BARs. Each remapped its BAR, then in
 * a second step re-registered its kick: B could take the address A had just left while A's
 * kick was still registered there; KVM refused B's with EEXIST, logged without a rate
 * limit, and B's kicks took the slow path until its BAR moved again. */
#define RACE_ROUNDS 3000

struct bar_mover {
	unsigned slot;
	uint64_t addr[2]; /* BAR0 goes back and forth between these */
};

/* A vCPU: config writes through ECAM, as exits bring them (no cmocka asserts off the main thread). */
static void *bar_mover_run(void *arg)
{
	const struct bar_mover *m = arg;

	for (unsigned i = 0; i < RACE_ROUNDS; i++) {
		uint8_t data[4];

		le_store(data, 4, (uint32_t)m->addr[i & 1]);
		mmio_bus_access(&vm.mmio, ecam_addr(m->slot, 0, PCI_BAR0), data, 4, true);
	}
	return NULL;
}

static void test_bar_move_race(void **state)
{
	uint64_t w = guest_memmap[MEM_PCI_MMIO].base, x = w + 0x100000, y = w + 0x200000, z = w + 0x300000;
	/* A leaves X for Z and comes back; B takes X whenever A is away, then returns to Y. */
	struct bar_mover movers[2] = { { 0, { z, x } }, { 1, { x, y } } };
	struct virtio_dev *devs[2];
	pthread_t threads[2];
	unsigned mapped = 0;

	(void)state;
	vm_init(&gicv3_ops, true);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(virtio_rng_create(&vm, &devs[i]), 0);
		vd = devs[i];
		cfg_write(i, PCI_BAR0, 4, (uint32_t)movers[i].addr[1]);
		cfg_write(i, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		bar0 = movers[i].addr[1];
		assert_int_equal(vd->pci.bars[0].mapped_at, bar0);
		queue_setup();
		assert_true(ioeventfd_at(vd->queues[0].kick_fd, bar0 + BAR_NOTIFY));
	}
	kvm.ioeventfd_no_log = kvm.ioeventfd_yield = true;
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, bar_mover_run, &movers[i]), 0);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	/* No registration was refused, and each mapped function kicks at its notify address. */
	assert_int_equal(kvm.eexist, 0);
	for (unsigned i = 0; i < 2; i++) {
		struct virtio_queue_state *qs = &devs[i]->queues[0];
		uint64_t at = devs[i]->pci.bars[0].mapped_at;

		if (!at) {
			assert_int_equal(qs->ioeventfd_addr, 0);
			continue;
		}
		mapped++;
		assert_int_equal(qs->ioeventfd_addr, at + BAR_NOTIFY);
		assert_true(ioeventfd_at(qs->kick_fd, at + BAR_NOTIFY));
	}
	assert_int_equal(kvm.nr_active, mapped); /* nothing left behind at an old address */
	for (unsigned i = 0; i < 2; i++)
		virtio_destroy(devs[i]);
	vd = NULL;
	vm_fini();
}

/* A kick whose KVM_IOEVENTFD failed to register is tried again at the next slow kick,
 * not left on the slow path until the BAR moves. */
static void test_virtio_ioeventfd_retried(void **state)
{
	(void)state;
	kvm.ioeventfd_fail = ENOMEM;
	queue_setup();
	assert_int_equal(vd->queues[0].ioeventfd_addr, 0);
	assert_false(ioeventfd_at(vd->queues[0].kick_fd, bar0 + BAR_NOTIFY));
	bar_wr(BAR_NOTIFY, 2, 0); /* the exit KVM_IOEVENTFD would have caught */
	assert_int_equal(eventfd_take(vd->queues[0].kick_fd), 1);
	assert_int_equal(vd->queues[0].ioeventfd_addr, bar0 + BAR_NOTIFY);
	assert_true(ioeventfd_at(vd->queues[0].kick_fd, bar0 + BAR_NOTIFY));
}

static void test_virtio_notify_fallback(void **state)
{
	(void)state;
	queue_setup();
	/* A kick KVM_IOEVENTFD did not take (another width) reaches the same eventfd. */
	bar_wr(BAR_NOTIFY, 4, 0);
	assert_int_equal(eventfd_take(vd->queues[0].kick_fd), 1);
	bar_wr(BAR_NOTIFY + 4, 2, 1); /* no queue 1 */
	assert_int_equal(eventfd_take(vd->queues[0].kick_fd), 0);
}

/* Program MSI-X table entry i through BAR0, 4 bytes at a time as Linux does. */
static void msix_entry(unsigned i, uint64_t addr, uint32_t data, bool masked)
{
	bar_wr(BAR_TABLE + 16 * i, 4, (uint32_t)addr);
	bar_wr(BAR_TABLE + 16 * i + 4, 4, addr >> 32);
	bar_wr(BAR_TABLE + 16 * i + 8, 4, data);
	bar_wr(BAR_TABLE + 16 * i + 12, 4, masked);
}

static void msix_mask(unsigned i, bool masked)
{
	bar_wr(BAR_TABLE + 16 * i + 12, 4, masked);
}

static void msix_control(uint16_t ctrl)
{
	cfg_write(VSLOT, find_cap(VSLOT, PCI_CAP_ID_MSIX, 0) + 2, 2, ctrl);
}

static uint64_t its_doorbell(void)
{
	return guest_memmap[MEM_GIC_ITS].base + 0x10040; /* GITS_TRANSLATER */
}

/* KVM has an ITS MSI route for gsi with this data and the function's requester ID. */
static void check_msi_route(uint32_t gsi, uint32_t data)
{
	const struct kvm_irq_routing_entry *e = route_of(gsi);

	assert_non_null(e);
	assert_int_equal(e->type, KVM_IRQ_ROUTING_MSI);
	assert_int_equal(e->u.msi.address_lo, (uint32_t)its_doorbell());
	assert_int_equal(e->u.msi.address_hi, its_doorbell() >> 32);
	assert_int_equal(e->u.msi.data, data);
	assert_int_equal(e->flags, KVM_MSI_VALID_DEVID);
	assert_int_equal(e->u.msi.devid, VDEVFN);
}

/* Queue 0 ready, MSI-X enabled, vector 0 programmed masked and given to queue 0. */
static void msix_setup(uint32_t data)
{
	queue_setup();
	msix_control(MSIX_ENABLE);
	msix_entry(0, its_doorbell(), data, true);
	bar_wr(CC_Q_SELECT, 2, 0);
	bar_wr(CC_Q_MSIX, 2, 0);
	assert_int_equal(bar_rd(CC_Q_MSIX, 2), 0);
}

static void test_virtio_msix_route(void **state)
{
	struct virtio_msix_vector *v = &vd->vectors[0];
	unsigned calls = kvm.routing_calls, irqfds = kvm.nr_irqfds;
	const struct kvm_irqfd *fd;

	(void)state;
	msix_setup(33);
	/* Masked: nothing given to KVM yet. */
	assert_int_equal(kvm.routing_calls, calls);
	assert_null(route_of(v->gsi));
	assert_int_equal(bar_rd(BAR_TABLE, 8), its_doorbell());
	assert_int_equal(bar_rd(BAR_TABLE + 8, 4), 33);
	assert_int_equal(bar_rd(BAR_TABLE + 12, 4), 1);
	/* A vector past the table is refused. */
	bar_wr(CC_Q_MSIX, 2, 2);
	assert_int_equal(bar_rd(CC_Q_MSIX, 2), NO_VECTOR);
	bar_wr(CC_Q_MSIX, 2, 0);
	bar_wr(CC_MSIX_CONFIG, 2, 1);
	assert_int_equal(bar_rd(CC_MSIX_CONFIG, 2), 1);
	/* Unmask: route (ITS, device ID = requester ID) and irqfd on the vector's GSI. */
	msix_mask(0, false);
	assert_int_equal(kvm.routing_calls, calls + 1);
	check_msi_route(v->gsi, 33);
	assert_non_null(route_of(vd->intx_gsi)); /* the whole table: INTx's route stays */
	assert_int_equal(kvm.nr_irqfds, irqfds + 1);
	fd = irqfd_of(v->gsi);
	assert_non_null(fd);
	assert_int_equal(fd->fd, v->irq_fd);
	assert_int_equal(fd->flags, 0);
	assert_int_equal(bar_rd(BAR_TABLE + 12, 4), 0);
}

static void test_virtio_msix_route_update(void **state)
{
	struct virtio_msix_vector *v = &vd->vectors[0];
	unsigned calls, irqfds;

	(void)state;
	msix_setup(33);
	msix_mask(0, false);
	calls = kvm.routing_calls;
	irqfds = kvm.nr_irqfds;
	/* Unmasking again with the same message: KVM already has it. */
	msix_mask(0, false);
	assert_int_equal(kvm.routing_calls, calls);
	/* New data while unmasked: the route follows, the irqfd stays attached. */
	bar_wr(BAR_TABLE + 8, 4, 34);
	check_msi_route(v->gsi, 34);
	/* Masked, reprogrammed, unmasked: the new data at unmask time. */
	msix_mask(0, true);
	calls = kvm.routing_calls;
	bar_wr(BAR_TABLE + 8, 4, 35);
	assert_int_equal(kvm.routing_calls, calls);
	msix_mask(0, false);
	assert_int_equal(kvm.routing_calls, calls + 1);
	check_msi_route(v->gsi, 35);
	assert_int_equal(kvm.nr_irqfds, irqfds);
}

static void test_virtio_msix_pending(void **state)
{
	struct virtio_msix_vector *v = &vd->vectors[0];

	(void)state;
	msix_setup(40);
	/* Raised while masked: the PBA bit, no eventfd write. */
	queue_interrupt();
	assert_int_equal(bar_rd(BAR_PBA, 4), 1);
	assert_int_equal(bar_rd(BAR_PBA, 8), 1);
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	/* Unmask delivers it through the irqfd. */
	msix_mask(0, false);
	assert_int_equal(bar_rd(BAR_PBA, 4), 0);
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	/* Unmasked: straight to the irqfd. */
	queue_interrupt();
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	assert_int_equal(bar_rd(BAR_ISR, 1), 0); /* MSI-X does not use the ISR */
	/* The function mask holds it back the same way. */
	msix_control(MSIX_ENABLE | MSIX_MASKALL);
	queue_interrupt();
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	assert_int_equal(bar_rd(BAR_PBA, 4), 1);
	msix_control(MSIX_ENABLE);
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	assert_int_equal(bar_rd(BAR_PBA, 4), 0);
	/* No vector for the queue: nothing at all. */
	bar_wr(CC_Q_MSIX, 2, NO_VECTOR);
	queue_interrupt();
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	assert_int_equal(eventfd_take(vd->intx_fd), 0);
}

/* An MSI-X message is a memory write: none with Bus Master Enable clear (PCIe 4.0,
 * 7.5.1.1.3). Held pending, as while masked, and sent when it is set again, with a kick
 * for the live queue (what waited for bus mastering is taken then). */
static void test_virtio_msix_held_without_bus_master(void **state)
{
	struct virtio_msix_vector *v = &vd->vectors[0];

	(void)state;
	msix_setup(42);
	msix_mask(0, false);
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	queue_interrupt();
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	assert_int_equal(bar_rd(BAR_PBA, 4), 1);
	assert_int_equal(eventfd_take(vd->queues[0].kick_fd), 0);
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	assert_int_equal(bar_rd(BAR_PBA, 4), 0);
	assert_int_equal(eventfd_take(vd->queues[0].kick_fd), 1);
	/* Rewriting the command register with Bus Master Enable still set kicks nothing. */
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(eventfd_take(vd->queues[0].kick_fd), 0);
	queue_interrupt();
	assert_int_equal(eventfd_take(v->irq_fd), 1);
}

/* The driver puts one 64-byte device-writable buffer in queue 0; the rng model fills it. */
static void rng_request(void)
{
	uint16_t idx = 1;
	uint64_t addr = DATA_GPA;
	uint32_t len = 64;
	uint16_t flags = VIRTQ_DESC_F_WRITE;

	memcpy(ram + (DESC_GPA - RAM_GPA), &addr, 8);
	memcpy(ram + (DESC_GPA - RAM_GPA) + 8, &len, 4);
	memcpy(ram + (DESC_GPA - RAM_GPA) + 12, &flags, 2);
	memset(ram + (AVAIL_GPA - RAM_GPA) + 4, 0, 2); /* ring[0] = head 0 */
	memcpy(ram + (AVAIL_GPA - RAM_GPA) + 2, &idx, 2);
	pthread_mutex_lock(&vd->lock);
	vd->ops->queue_notify(vd->dev, 0);
	pthread_mutex_unlock(&vd->lock);
}

static void test_virtio_rng_end_to_end(void **state)
{
	struct virtio_msix_vector *v = &vd->vectors[0];
	uint32_t used_len;
	uint16_t used_idx;

	(void)state;
	msix_setup(41);
	msix_mask(0, false);
	rng_request();
	memcpy(&used_idx, ram + (USED_GPA - RAM_GPA) + 2, 2);
	memcpy(&used_len, ram + (USED_GPA - RAM_GPA) + 8, 4);
	assert_int_equal(used_idx, 1);
	assert_int_equal(used_len, 64);
	assert_int_equal(eventfd_take(v->irq_fd), 1);
}

/* Found by fuzz_pci: host console input reached virtio-console's receiveq with Bus Master
 * Enable clear (PCI 3.0, 6.2.2: no memory requests then), e.g. after the guest shut the
 * device down for kexec: the VMM wrote into RAM the guest had handed to something else. */
static void test_virtio_console_no_dma_without_master(void **state)
{
	uint16_t idx = 1, flags = VIRTQ_DESC_F_WRITE, used_idx;
	uint64_t addr = DATA_GPA;
	uint32_t len = 16;

	(void)state;
	queue_setup(); /* queue 0: the receiveq */
	memcpy(ram + (DESC_GPA - RAM_GPA), &addr, 8);
	memcpy(ram + (DESC_GPA - RAM_GPA) + 8, &len, 4);
	memcpy(ram + (DESC_GPA - RAM_GPA) + 12, &flags, 2);
	memcpy(ram + (AVAIL_GPA - RAM_GPA) + 2, &idx, 2);
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(virtio_console_receive(vd, (const uint8_t *)"hi", 2), 0);
	memcpy(&used_idx, ram + (USED_GPA - RAM_GPA) + 2, 2);
	assert_int_equal(used_idx, 0);
	assert_int_equal(ram[DATA_GPA - RAM_GPA], 0);
	/* Bus mastering back on: the input is delivered. */
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(virtio_console_receive(vd, (const uint8_t *)"hi", 2), 2);
	assert_memory_equal(ram + (DATA_GPA - RAM_GPA), "hi", 2);
}

/* Issue 11 (5): a transmit chain's size is the driver's. Chains whose descriptors each
 * cover all of RAM give the console at most 64 KiB each, and one notification at most its
 * budget, after which the queue is kicked again (the I/O thread serves others first). */
#define TXQ_DESC  (RAM_GPA + 0x4000)
#define TXQ_AVAIL (RAM_GPA + 0x5000)
#define TXQ_USED  (RAM_GPA + 0x6000)
static struct console tx_con;

static int virtio_setup_console_out(void **state)
{
	char err[128];

	(void)state;
	vm_init(&gicv3_ops, true);
	assert_int_equal(console_init(&tx_con, NULL, -1, NULL, NULL, NULL, err, sizeof(err)), 0);
	plain_add(&plain);
	assert_int_equal(virtio_console_create(&vm, &tx_con, &vd), 0);
	virtio_enable_bar();
	return 0;
}

static int virtio_teardown_console_out(void **state)
{
	virtio_teardown(state);
	console_destroy(&tx_con);
	return 0;
}

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = ram + (table - RAM_GPA) + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static uint16_t txq_used_idx(void)
{
	uint16_t v;

	memcpy(&v, ram + (TXQ_USED - RAM_GPA) + 2, 2);
	return v;
}

static void tx_notify(void)
{
	pthread_mutex_lock(&vd->lock);
	vd->ops->queue_notify(vd->dev, 1);
	pthread_mutex_unlock(&vd->lock);
}

static void test_virtio_console_tx_bounded(void **state)
{
	uint16_t avail_idx;

	(void)state;
	driver_init();
	queue_program(1, 16, TXQ_DESC, TXQ_AVAIL, TXQ_USED);
	bar_wr(CC_Q_ENABLE, 2, 1);
	bar_wr(CC_STATUS, 1, bar_rd(CC_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
	/* Two chains of 8 descriptors, each descriptor all of RAM: 16 MiB of "output". */
	for (unsigned i = 0; i < 16; i++)
		put_desc(TXQ_DESC, i, RAM_GPA, RAM_SIZE, i % 8 == 7 ? 0 : VIRTQ_DESC_F_NEXT, i + 1);
	for (uint16_t i = 0; i < 2; i++) {
		uint16_t head = 8 * i;

		memcpy(ram + (TXQ_AVAIL - RAM_GPA) + 4 + 2 * i, &head, 2);
	}
	avail_idx = 2;
	memcpy(ram + (TXQ_AVAIL - RAM_GPA) + 2, &avail_idx, 2);
	eventfd_take(vd->queues[1].kick_fd);
	tx_notify();
	assert_int_equal(txq_used_idx(), 2);
	assert_int_equal(tx_con.bytes, 2 * 64 * 1024);
	assert_int_equal(eventfd_take(vd->queues[1].kick_fd), 0); /* under budget: no re-kick */

	/* Sixteen one-descriptor chains of all RAM: 4 x 64 KiB fill the budget, then a re-kick. */
	for (unsigned i = 0; i < 16; i++) {
		uint16_t head = i;

		put_desc(TXQ_DESC, i, RAM_GPA, RAM_SIZE, 0, 0);
		memcpy(ram + (TXQ_AVAIL - RAM_GPA) + 4 + 2 * ((avail_idx + i) % 16), &head, 2);
	}
	avail_idx += 16;
	memcpy(ram + (TXQ_AVAIL - RAM_GPA) + 2, &avail_idx, 2);
	tx_notify();
	assert_int_equal(txq_used_idx(), 2 + 4);
	assert_int_equal(tx_con.bytes, 6 * 64 * 1024);
	assert_int_equal(eventfd_take(vd->queues[1].kick_fd), 1);
	/* Each kick makes progress; the queue drains. */
	for (int k = 0; k < 8 && txq_used_idx() != avail_idx; k++)
		tx_notify();
	assert_int_equal(txq_used_idx(), avail_idx);
	assert_int_equal(tx_con.bytes, 18 * 64 * 1024);
}

static void test_virtio_msix_bad_address(void **state)
{
	struct virtio_msix_vector *v = &vd->vectors[1];
	unsigned calls, irqfds;

	(void)state;
	msix_setup(33);
	calls = kvm.routing_calls;
	irqfds = kvm.nr_irqfds;
	/* The ITS frame but not GITS_TRANSLATER, then plain RAM: no doorbell, no route. */
	msix_entry(1, guest_memmap[MEM_GIC_ITS].base + 0x40, 7, false);
	msix_entry(1, RAM_GPA, 7, false);
	assert_int_equal(kvm.routing_calls, calls);
	assert_int_equal(kvm.nr_irqfds, irqfds);
	assert_null(route_of(v->gsi));
	assert_false(v->routed);
	/* An interrupt on it stays pending rather than going anywhere. */
	bar_wr(CC_MSIX_CONFIG, 2, 1);
	pthread_mutex_lock(&vd->lock);
	virtio_needs_reset(vd, "test");
	pthread_mutex_unlock(&vd->lock);
	assert_int_equal(bar_rd(BAR_PBA, 4), 2);
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	assert_true(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_virtio_msix_table_width(void **state)
{
	(void)state;
	msix_setup(33);
	/* 1- and 2-byte table accesses are ignored (PCI 3.0, 6.8.2: DWORD or QWORD only). */
	bar_wr(BAR_TABLE + 8, 1, 0x55);
	bar_wr(BAR_TABLE + 8, 2, 0x5555);
	bar_wr(BAR_TABLE + 12, 2, 0);
	bar_wr(BAR_TABLE + 12, 1, 0);
	assert_int_equal(bar_rd(BAR_TABLE + 8, 4), 33);
	assert_int_equal(bar_rd(BAR_TABLE + 12, 4), 1);
	assert_int_equal(bar_rd(BAR_TABLE + 8, 2), 0);
	assert_int_equal(bar_rd(BAR_TABLE + 8, 1), 0);
	/* An 8-byte write of address, or of data + control, is fine. */
	bar_wr(BAR_TABLE + 16, 8, its_doorbell());
	assert_int_equal(bar_rd(BAR_TABLE + 16, 4), (uint32_t)its_doorbell());
	bar_wr(BAR_TABLE + 8, 8, 36);
	check_msi_route(vd->vectors[0].gsi, 36);
	/* Entries past the table read 0 and ignore writes. */
	bar_wr(BAR_TABLE + 16 * 2, 4, 0x1234);
	assert_int_equal(bar_rd(BAR_TABLE + 16 * 2, 4), 0);
}

static void test_virtio_msix_v2m(void **state)
{
	struct virtio_msix_vector *v = &vd->vectors[0];
	uint32_t spi = guest_irqmap[IRQ_GICV2M].intid + 3;
	const struct kvm_irq_routing_entry *e;

	(void)state;
	queue_setup();
	msix_control(MSIX_ENABLE);
	/* GICv2m: the frame's SETSPI_NS doorbell with an SPI of the frame as data. */
	msix_entry(0, guest_memmap[MEM_GICV2M].base + 0x40, spi, false);
	e = route_of(v->gsi);
	assert_non_null(e);
	assert_int_equal(e->type, KVM_IRQ_ROUTING_IRQCHIP);
	assert_int_equal(e->u.irqchip.pin, spi - 32);
	assert_non_null(irqfd_of(v->gsi));
	/* An SPI outside the frame is no doorbell hit. */
	msix_entry(1, guest_memmap[MEM_GICV2M].base + 0x40, spi + 200, false);
	assert_null(route_of(vd->vectors[1].gsi));
}

static void test_virtio_intx(void **state)
{
	const struct kvm_irq_routing_entry *e = route_of(vd->intx_gsi);
	const struct kvm_irqfd *fd = irqfd_of(vd->intx_gsi);

	(void)state;
	/* At creation: an irqchip route to the INTx SPI and a resampling irqfd on it. */
	assert_non_null(e);
	assert_int_equal(e->type, KVM_IRQ_ROUTING_IRQCHIP);
	assert_int_equal(e->u.irqchip.irqchip, 0);
	assert_int_equal(e->u.irqchip.pin, vd->pci.intx_intid - 32);
	assert_non_null(fd);
	assert_int_equal(fd->fd, vd->intx_fd);
	assert_int_equal(fd->flags, KVM_IRQFD_FLAG_RESAMPLE);
	assert_int_equal(fd->resamplefd, vd->intx_resample_fd);
	assert_int_equal(cfg_read(VSLOT, PCI_INTERRUPT_LINE, 1), vd->pci.intx_intid - 32);
	assert_int_equal(cfg_read(VSLOT, PCI_INTERRUPT_PIN, 1), 1);
	/* MSI-X off: a queue interrupt sets ISR bit 0 and raises the line. */
	queue_setup();
	queue_interrupt();
	assert_int_equal(eventfd_take(vd->intx_fd), 1);
	assert_int_equal(bar_rd(BAR_ISR, 1), 1);
	assert_int_equal(bar_rd(BAR_ISR, 1), 0); /* reading cleared it */
	/* INTX_DISABLE keeps the line down; the ISR still records it. */
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	queue_interrupt();
	assert_int_equal(eventfd_take(vd->intx_fd), 0);
	assert_int_equal(bar_rd(BAR_ISR, 4), 1);
	assert_int_equal(bar_rd(BAR_ISR, 4), 0);
	/* A config change (here NEEDS_RESET) is ISR bit 1. */
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	pthread_mutex_lock(&vd->lock);
	virtio_needs_reset(vd, "test");
	pthread_mutex_unlock(&vd->lock);
	assert_int_equal(eventfd_take(vd->intx_fd), 1);
	assert_int_equal(bar_rd(BAR_ISR, 1), 2);
	assert_int_equal(bar_rd(CC_CFG_GEN, 1), 1);
	/* The avail ring's NO_INTERRUPT flag suppresses queue interrupts. */
	ram[AVAIL_GPA - RAM_GPA] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	queue_interrupt();
	assert_int_equal(eventfd_take(vd->intx_fd), 0);
	assert_int_equal(bar_rd(BAR_ISR, 1), 0);
}

/* ---- the host bridge's FDT node ---- */

static uint8_t fdt_buf[FDT_MAX_SIZE];

static const fdt32_t *pcie_prop(const char *name, int *len)
{
	int node = fdt_path_offset(fdt_buf, "/pcie@30000000");
	const fdt32_t *p;

	assert_true(node >= 0);
	p = fdt_getprop(fdt_buf, node, name, len);
	assert_non_null(p);
	return p;
}

static bool pcie_has(const char *name)
{
	int node = fdt_path_offset(fdt_buf, "/pcie@30000000"), len;

	return fdt_getprop(fdt_buf, node, name, &len) != NULL;
}

static uint32_t cell(const fdt32_t *p, unsigned i)
{
	return fdt32_to_cpu(p[i]);
}

static uint64_t cell64(const fdt32_t *p, unsigned i)
{
	return (uint64_t)cell(p, i) << 32 | cell(p, i + 1);
}

static void fdt_build_now(void)
{
	assert_int_equal(fdt_build(&vm, fdt_buf, sizeof(fdt_buf)), 0);
	assert_int_equal(fdt_check_header(fdt_buf), 0);
}

/* ranges: one window as <space (3 cells)> <cpu address (2)> <size (2)>, PCI address = CPU address. */
static void check_range(const fdt32_t *p, uint32_t space, enum mem_region_id id)
{
	const struct mem_region *w = &guest_memmap[id];

	assert_int_equal(cell(p, 0), space);
	assert_int_equal(cell64(p, 1), w->base);
	assert_int_equal(cell64(p, 3), w->base);
	assert_int_equal(cell64(p, 5), w->size);
}

static void check_interrupt_map(const struct pci_device *const *devs, unsigned n)
{
	const fdt32_t *p;
	int len;

	p = pcie_prop("interrupt-map-mask", &len);
	assert_int_equal(len, 4 * 4);
	assert_int_equal(cell(p, 0), 0xf800);
	assert_int_equal(cell(p, 1), 0);
	assert_int_equal(cell(p, 2), 0);
	assert_int_equal(cell(p, 3), 7);
	p = pcie_prop("interrupt-map", &len);
	assert_int_equal(len, (int)(n * 10 * 4));
	for (unsigned i = 0; i < n; i++, p += 10) {
		const uint32_t want[10] = { (uint32_t)devs[i]->devfn << 8, 0, 0, 1, PHANDLE_GIC, 0, 0,
					    0, devs[i]->intx_intid - 32, 4 };

		for (unsigned c = 0; c < 10; c++)
			assert_int_equal(cell(p, c), want[c]);
	}
}

static void test_fdt_its(void **state)
{
	const struct pci_device *devs[2];
	const fdt32_t *p;
	int len;

	(void)state;
	devs[0] = &plain.pci;
	devs[1] = &vd->pci;
	fdt_build_now();
	assert_string_equal((const char *)pcie_prop("compatible", &len), "pci-host-ecam-generic");
	assert_string_equal((const char *)pcie_prop("device_type", &len), "pci");
	assert_int_equal(cell(pcie_prop("#address-cells", &len), 0), 3);
	assert_int_equal(cell(pcie_prop("#size-cells", &len), 0), 2);
	assert_int_equal(cell(pcie_prop("#interrupt-cells", &len), 0), 1);
	p = pcie_prop("bus-range", &len);
	assert_int_equal(len, 8);
	assert_int_equal(cell(p, 0), 0);
	assert_int_equal(cell(p, 1), 0);
	p = pcie_prop("reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(cell64(p, 0), guest_memmap[MEM_PCI_ECAM].base);
	assert_int_equal(cell64(p, 2), guest_memmap[MEM_PCI_ECAM].size);
	p = pcie_prop("ranges", &len);
	assert_int_equal(len, 2 * 7 * 4);
	check_range(p, 0x02000000, MEM_PCI_MMIO);
	check_range(p + 7, 0x03000000, MEM_PCI_MMIO_HIGH);
	/* ITS: requester ID = device ID for the whole bus. */
	p = pcie_prop("msi-map", &len);
	assert_int_equal(len, 16);
	assert_int_equal(cell(p, 0), 0);
	assert_int_equal(cell(p, 1), PHANDLE_ITS);
	assert_int_equal(cell(p, 2), 0);
	assert_int_equal(cell(p, 3), 0x10000);
	assert_false(pcie_has("msi-parent"));
	check_interrupt_map(devs, 2);
}

static void test_fdt_v2m(void **state)
{
	const struct pci_device *devs[2];
	int len;

	(void)state;
	devs[0] = &plain.pci;
	devs[1] = &vd->pci;
	fdt_build_now();
	assert_int_equal(cell(pcie_prop("msi-parent", &len), 0), PHANDLE_V2M);
	assert_int_equal(len, 4);
	assert_false(pcie_has("msi-map"));
	check_interrupt_map(devs, 2);
}

static void test_fdt_no_msi(void **state)
{
	(void)state;
	vm_init(&gicv3_ops, false);
	fdt_build_now();
	/* No ITS and no v2m: INTx only; no devices, so only the mask. */
	assert_false(pcie_has("msi-map"));
	assert_false(pcie_has("msi-parent"));
	assert_true(pcie_has("interrupt-map-mask"));
	assert_false(pcie_has("interrupt-map"));
	vm_fini();
}

/* Found by fuzz_fdt: four or more functions (vmm run -d a -d b -d c -d d) made the
 * interrupt-map longer than fdt_prop_cells allowed, and the VM could not build its DTB. */
static void test_fdt_full_bus(void **state)
{
	static struct plain_dev devs[PCI_MAX_DEVICES];
	const struct pci_device *pds[PCI_MAX_DEVICES];

	(void)state;
	vm_init(&gicv3_ops, true);
	for (unsigned i = 0; i < PCI_MAX_DEVICES; i++) {
		plain_add(&devs[i]);
		pds[i] = &devs[i].pci;
	}
	fdt_build_now();
	check_interrupt_map(pds, PCI_MAX_DEVICES);
	vm_fini();
}

#define PLAIN_TEST(fn) cmocka_unit_test_setup_teardown(fn, plain_setup, plain_teardown)
#define VIRTIO_TEST(fn) cmocka_unit_test_setup_teardown(fn, virtio_setup, virtio_teardown)
#define V2M_TEST(fn) cmocka_unit_test_setup_teardown(fn, virtio_setup_v2m, virtio_teardown)

/* ---- virtio-mmio (virtio 1.2, 4.2.2): registers, kicks matched on the queue index, the SPI ---- */

static void test_virtio_mmio(void **state)
{
	uint64_t base = guest_memmap[MEM_VIRTIO_MMIO].base;
	const struct kvm_ioeventfd *ev;
	struct virtio_dev *md;

	(void)state;
	vm_init(&gicv3_ops, false);
	cfg.virtio_mmio = true;
	assert_int_equal(virtio_rng_create(&vm, &md), 0);
	cfg.virtio_mmio = false;
	assert_null(md->pci.vm); /* not on the PCI bus */
	assert_int_equal(mmio_read(base + 0x000, 4), 0x74726976); /* "virt" */
	assert_int_equal(mmio_read(base + 0x004, 4), 2);
	assert_int_equal(mmio_read(base + 0x008, 4), 4);          /* entropy */
	assert_int_equal(mmio_read(base + 0x000, 2), 0);          /* registers are 32-bit only */
	/* The SPI is a resampling irqfd on an irqchip route. */
	assert_non_null(route_of(md->intx_gsi));
	assert_int_equal(route_of(md->intx_gsi)->u.irqchip.pin, guest_irqmap[IRQ_VIRTIO_MMIO].intid - 32);
	assert_int_equal(irqfd_of(md->intx_gsi)->flags, KVM_IRQFD_FLAG_RESAMPLE);
	/* Features: VERSION_1 in the high half; FEATURES_OK then DRIVER_OK. */
	mmio_write(base + 0x014, 4, 1);
	assert_int_equal(mmio_read(base + 0x010, 4) & 1, 1);
	mmio_write(base + 0x024, 4, 1);
	mmio_write(base + 0x020, 4, 1);
	mmio_write(base + 0x070, 4, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_true(mmio_read(base + 0x070, 4) & VIRTIO_STATUS_FEATURES_OK);
	/* A queue past the last one, even one that only a 32-bit QueueSel names, has no size. */
	mmio_write(base + 0x030, 4, 0x10000);
	assert_int_equal(mmio_read(base + 0x034, 4), 0);
	mmio_write(base + 0x030, 4, 0);
	assert_int_equal(mmio_read(base + 0x034, 4), 64);
	mmio_write(base + 0x038, 4, 16);
	mmio_write(base + 0x080, 4, (uint32_t)DESC_GPA);
	mmio_write(base + 0x090, 4, (uint32_t)AVAIL_GPA);
	mmio_write(base + 0x0a0, 4, (uint32_t)USED_GPA);
	mmio_write(base + 0x044, 4, 1);
	assert_int_equal(mmio_read(base + 0x044, 4), 1);
	/* The kick: QueueNotify, 4 bytes, matched on queue index 0. */
	ev = last_ioeventfd();
	assert_int_equal(ev->addr, base + 0x050);
	assert_int_equal(ev->len, 4);
	assert_int_equal(ev->flags, KVM_IOEVENTFD_FLAG_DATAMATCH);
	assert_int_equal(ev->datamatch, 0);
	assert_int_equal(ev->fd, md->queues[0].kick_fd);
	/* A queue interrupt: InterruptStatus bit 0 and the line raised; ACK clears the bit. */
	pthread_mutex_lock(&md->lock);
	virtio_queue_interrupt(md, 0);
	pthread_mutex_unlock(&md->lock);
	assert_int_equal(mmio_read(base + 0x060, 4), 1);
	assert_int_equal(eventfd_take(md->intx_fd), 1);
	mmio_write(base + 0x064, 4, 1);
	assert_int_equal(mmio_read(base + 0x060, 4), 0);
	/* QueueReady 0 takes the queue down (Linux checks it reads back 0) and drops the kick. */
	mmio_write(base + 0x044, 4, 0);
	assert_int_equal(mmio_read(base + 0x044, 4), 0);
	ev = last_ioeventfd();
	assert_int_equal(ev->flags, KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_DEASSIGN);
	/* A notify write KVM did not catch reaches the same eventfd; a bad index is ignored. */
	mmio_write(base + 0x050, 4, 0);
	mmio_write(base + 0x050, 4, 7);
	assert_int_equal(eventfd_take(md->queues[0].kick_fd), 1);
	/* At DRIVER_OK the queue registers freeze: a write means DEVICE_NEEDS_RESET. */
	mmio_write(base + 0x070, 4, mmio_read(base + 0x070, 4) | VIRTIO_STATUS_DRIVER_OK);
	mmio_write(base + 0x038, 4, 32);
	assert_true(mmio_read(base + 0x070, 4) & VIRTIO_STATUS_NEEDS_RESET);
	mmio_write(base + 0x070, 4, 0);
	assert_int_equal(mmio_read(base + 0x070, 4), 0);
	virtio_destroy(md);
	vm_fini();
}

/* Found by fuzz_mmio: QueueReady 0 left the ring marked ready, so host console input (and
 * blk completions) kept using a queue the driver was reprogramming: an odd avail address
 * was read with atomic 16-bit loads, which fault on arm64 when misaligned. */
static void test_virtio_mmio_queue_down(void **state)
{
	uint64_t base = guest_memmap[MEM_VIRTIO_MMIO].base;
	struct virtio_dev *md;

	(void)state;
	vm_init(&gicv3_ops, false);
	cfg.virtio_mmio = true;
	assert_int_equal(virtio_console_create(&vm, NULL, &md), 0);
	cfg.virtio_mmio = false;
	mmio_write(base + 0x024, 4, 1);
	mmio_write(base + 0x020, 4, 1);
	mmio_write(base + 0x070, 4, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	/* Before DRIVER_OK (after it the queue registers are frozen): set up, then take down. */
	mmio_write(base + 0x038, 4, 16);
	mmio_write(base + 0x080, 4, (uint32_t)DESC_GPA);
	mmio_write(base + 0x090, 4, (uint32_t)AVAIL_GPA);
	mmio_write(base + 0x0a0, 4, (uint32_t)USED_GPA);
	mmio_write(base + 0x044, 4, 1);
	assert_true(md->queues[0].vq.ready);
	/* Taken down: not used until QueueReady 1 checks the new placement again. */
	mmio_write(base + 0x044, 4, 0);
	assert_false(md->queues[0].vq.ready);
	mmio_write(base + 0x090, 4, (uint32_t)AVAIL_GPA + 1);
	ram[AVAIL_GPA + 3 - RAM_GPA] = 1; /* an avail idx at the odd address */
	assert_int_equal(virtio_console_receive(md, (const uint8_t *)"x", 1), 0);
	mmio_write(base + 0x044, 4, 1);
	assert_false(md->queues[0].vq.ready);
	assert_int_equal(mmio_read(base + 0x044, 4), 0);
	virtio_destroy(md);
	vm_fini();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PLAIN_TEST(test_cfg_ids),
		PLAIN_TEST(test_cfg_read_only),
		PLAIN_TEST(test_bar_sizing),
		cmocka_unit_test(test_bar_add_invalid),
		PLAIN_TEST(test_bar_mapping),
		PLAIN_TEST(test_bar_64bit_high),
		PLAIN_TEST(test_bar_overlap),
		PLAIN_TEST(test_cap_add),
		PLAIN_TEST(test_cap_add_full),
		VIRTIO_TEST(test_virtio_ids_and_caps),
		VIRTIO_TEST(test_virtio_device_config),
		VIRTIO_TEST(test_virtio_features),
		VIRTIO_TEST(test_virtio_feature_negotiation),
		VIRTIO_TEST(test_virtio_common_width),
		VIRTIO_TEST(test_virtio_queue_select),
		VIRTIO_TEST(test_virtio_queue_enable),
		VIRTIO_TEST(test_virtio_queue_enable_refused),
		VIRTIO_TEST(test_virtio_queue_frozen_after_driver_ok),
		VIRTIO_TEST(test_virtio_status_bit_cleared),
		VIRTIO_TEST(test_virtio_needs_reset_stops_queues),
		VIRTIO_TEST(test_virtio_ioeventfd_follows_bar),
		cmocka_unit_test(test_bar_move_race),
		VIRTIO_TEST(test_virtio_ioeventfd_retried),
		VIRTIO_TEST(test_virtio_notify_fallback),
		VIRTIO_TEST(test_virtio_msix_route),
		VIRTIO_TEST(test_virtio_msix_route_update),
		VIRTIO_TEST(test_virtio_msix_pending),
		VIRTIO_TEST(test_virtio_msix_held_without_bus_master),
		VIRTIO_TEST(test_virtio_rng_end_to_end),
		cmocka_unit_test_setup_teardown(test_virtio_console_tx_bounded, virtio_setup_console_out,
						virtio_teardown_console_out),
		cmocka_unit_test_setup_teardown(test_virtio_console_no_dma_without_master, virtio_setup_console,
						virtio_teardown),
		VIRTIO_TEST(test_virtio_msix_bad_address),
		VIRTIO_TEST(test_virtio_msix_table_width),
		V2M_TEST(test_virtio_msix_v2m),
		VIRTIO_TEST(test_virtio_intx),
		VIRTIO_TEST(test_fdt_its),
		V2M_TEST(test_fdt_v2m),
		cmocka_unit_test(test_fdt_no_msi),
		cmocka_unit_test(test_fdt_full_bus),
		cmocka_unit_test(test_virtio_mmio),
		cmocka_unit_test(test_virtio_mmio_queue_down),
	};
	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
