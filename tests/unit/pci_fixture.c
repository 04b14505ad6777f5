/* Unit test support: the PCI and virtio fixtures; see pci_fixture.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <string.h>
#include <cmocka.h>

#include "../fake/test_env.h"
#include "fake_kvm.h"
#include "pci_fixture.h"

uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
struct vm vm;
struct vm_config cfg;
struct vcpu vcpu0;

void vm_init(const struct irqchip_ops *gic, bool its)
{

	memset(&vm, 0, sizeof(vm));
	memset(&kvm, 0, sizeof(kvm));
	memset(ram, 0, sizeof(ram));
	mmio_bus_init(&vm.mmio);
	vm.cfg = &cfg;
	vm.vm_fd = 1000; /* never a real fd: the wrapper answers by request code */
	vm.mem.hva = ram;
	vm.mem.gpa = RAM_GPA;
	vm.mem.size = sizeof(ram);
	vcpu0.mpidr = 0x80000000;
	vm.vcpus = &vcpu0;
	vm.nr_vcpus = 1;
	test_env_irqchip(&vm, gic, its);
	vm.irq.routing.msi_devid = true;
	if (gic == &gicv2m_ops)
		assert_int_equal(gicv2m_create(&vm.irq), 0);
	test_env_init(&vm);
	assert_int_equal(test_env_pci_create(&vm), 0);
}

void vm_fini(void)
{
	test_env_pci_destroy(&vm);
	gicv2m_destroy(&vm.irq);
}

uint64_t ecam_addr(unsigned slot, unsigned fn, uint32_t reg)
{
	return guest_memmap[MEM_PCI_ECAM].base + ((uint64_t)slot << 15) + ((uint64_t)fn << 12) + reg;
}

uint64_t mmio_read(uint64_t gpa, unsigned len)
{
	uint8_t data[8];

	memset(data, 0xa5, sizeof(data)); /* so a read that fills nothing shows */
	assert_int_equal(mmio_bus_access(&vm.mmio, gpa, data, len, false), 0);
	return le_load(data, len);
}

void mmio_write(uint64_t gpa, unsigned len, uint64_t val)
{
	uint8_t data[8];

	le_store(data, len, val);
	assert_int_equal(mmio_bus_access(&vm.mmio, gpa, data, len, true), 0);
}

uint32_t cfg_read_fn(unsigned slot, unsigned fn, uint32_t reg, unsigned len)
{
	return mmio_read(ecam_addr(slot, fn, reg), len);
}

uint32_t cfg_read(unsigned slot, uint32_t reg, unsigned len)
{
	return cfg_read_fn(slot, 0, reg, len);
}

void cfg_write(unsigned slot, uint32_t reg, unsigned len, uint32_t val)
{
	mmio_write(ecam_addr(slot, 0, reg), len, val);
}

unsigned find_cap(unsigned slot, uint8_t id, unsigned nth)
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

const struct device_ops plain_ops = {
	.name = "plain", .widths = WIDTH(4), .read = plain_read, .write = plain_write,
};

void plain_add(struct plain_dev *d)
{
	memset(d, 0, sizeof(*d));
	pci_device_init(&d->pci, "plain", 0x1234, 0x5678, 0x0c0330, 0xabcd, 0xef01);
	assert_int_equal(pci_bar_add(&d->pci, 0, PLAIN_BAR0_SIZE, false, &plain_ops, d), 0);
	assert_int_equal(pci_bar_add(&d->pci, 2, PLAIN_BAR2_SIZE, true, &plain_ops, d), 0);
	assert_int_equal(pci_device_add(vm.pci, &d->pci), 0);
}

struct plain_dev plain, plain2;

int plain_setup(void **state)
{
	(void)state;
	vm_init(&gicv3_ops, true);
	plain_add(&plain);
	return 0;
}

int plain_teardown(void **state)
{
	(void)state;
	vm_fini();
	return 0;
}

struct virtio_dev *vd;
uint64_t bar0;

uint64_t bar_rd(uint32_t off, unsigned len)
{
	return mmio_read(bar0 + off, len);
}

void bar_wr(uint32_t off, unsigned len, uint64_t val)
{
	mmio_write(bar0 + off, len, val);
}

void virtio_enable_bar(void)
{
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	bar0 = cfg_read(VSLOT, PCI_BAR0, 4) & ~0xfu;
	assert_int_equal(virtio_pci_function(vd)->bars[0].mapped_at, bar0);
}

int virtio_setup_gic(const struct irqchip_ops *gic, bool its)
{
	vm_init(gic, its);
	plain_add(&plain);
	assert_int_equal(virtio_rng_create(&vm.vhost, &vd), 0);
	virtio_enable_bar();
	return 0;
}

int virtio_setup(void **state)
{
	(void)state;
	return virtio_setup_gic(&gicv3_ops, true);
}

int virtio_setup_v2m(void **state)
{
	(void)state;
	return virtio_setup_gic(&gicv2m_ops, false);
}

/* virtio-console in the slot the rng usually takes. */
int virtio_setup_console(void **state)
{
	(void)state;
	vm_init(&gicv3_ops, true);
	plain_add(&plain);
	assert_int_equal(virtio_console_create(&vm.vhost, NULL, &vd), 0);
	virtio_enable_bar();
	return 0;
}

int virtio_teardown(void **state)
{
	(void)state;
	virtio_destroy(vd);
	vd = NULL;
	vm_fini();
	return 0;
}

void set_features(uint32_t select, uint32_t bits)
{
	bar_wr(CC_GFSELECT, 4, select);
	bar_wr(CC_GF, 4, bits);
}

void driver_init(void)
{
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(0, 0);
	set_features(1, 1); /* VIRTIO_F_VERSION_1 is bit 32 */
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
}

void put64(uint32_t lo_off, uint64_t v)
{
	bar_wr(lo_off, 4, (uint32_t)v);
	bar_wr(lo_off + 4, 4, v >> 32);
}

void queue_program(uint16_t q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	bar_wr(CC_Q_SELECT, 2, q);
	bar_wr(CC_Q_SIZE, 2, size);
	put64(CC_Q_DESCLO, desc);
	put64(CC_Q_AVAILLO, avail);
	put64(CC_Q_USEDLO, used);
}

/* Queue 0 of 16 entries on the fake RAM, enabled; the driver is at DRIVER_OK. */
void queue_setup(void)
{
	driver_init();
	queue_program(0, 16, DESC_GPA, AVAIL_GPA, USED_GPA);
	bar_wr(CC_Q_ENABLE, 2, 1);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 1);
	bar_wr(CC_STATUS, 1, bar_rd(CC_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
}

/* What a device model does after pushing used buffers: the transport picks the interrupt. */
void queue_interrupt(void)
{
	pthread_mutex_lock(&vd->lock);
	virtio_queue_interrupt(vd, 0);
	pthread_mutex_unlock(&vd->lock);
}

void msix_entry(unsigned i, uint64_t addr, uint32_t data, bool masked)
{
	bar_wr(BAR_TABLE + 16 * i, 4, (uint32_t)addr);
	bar_wr(BAR_TABLE + 16 * i + 4, 4, addr >> 32);
	bar_wr(BAR_TABLE + 16 * i + 8, 4, data);
	bar_wr(BAR_TABLE + 16 * i + 12, 4, masked);
}

void msix_mask(unsigned i, bool masked)
{
	bar_wr(BAR_TABLE + 16 * i + 12, 4, masked);
}

void msix_control(uint16_t ctrl)
{
	cfg_write(VSLOT, find_cap(VSLOT, PCI_CAP_ID_MSIX, 0) + 2, 2, ctrl);
}

uint64_t its_doorbell(void)
{
	return guest_memmap[MEM_GIC_ITS].base + 0x10040; /* GITS_TRANSLATER */
}

/* KVM has an ITS MSI route for gsi with this data and the function's requester ID. */
void check_msi_route(uint32_t gsi, uint32_t data)
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
void msix_setup(uint32_t data)
{
	queue_setup();
	msix_control(MSIX_ENABLE);
	msix_entry(0, its_doorbell(), data, true);
	bar_wr(CC_Q_SELECT, 2, 0);
	bar_wr(CC_Q_MSIX, 2, 0);
	assert_int_equal(bar_rd(CC_Q_MSIX, 2), 0);
}
