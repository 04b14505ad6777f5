/* Unit test support for the PCI and virtio tests: a fake VM (MMIO bus, IRQ layer, a little
 * RAM for the rings), config space through ECAM, a plain two-BAR device, and a virtio-pci
 * driver's steps (BAR0, feature negotiation, queue setup, MSI-X programming). */
#ifndef TESTS_UNIT_PCI_FIXTURE_H
#define TESTS_UNIT_PCI_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "../../arch/arm64/memmap.h"
#include "../../devices/msix.h"
#include "../../devices/pci.h"
#include "../../irqchip/gic.h"
#include "../../irqchip/irq.h"
#include "../../util.h"
#include "../../virtio/devices.h"
#include "../../virtio/virtio.h"
#include "../../vm.h"
#include "../../arch/arm64/arch.h"

/* ---- a fake VM: MMIO bus, IRQ layer, a little RAM for the rings ---- */

#define RAM_GPA   0x40000000ULL
#define RAM_SIZE  SZ_1M
#define DESC_GPA  (RAM_GPA + 0x0000)
#define AVAIL_GPA (RAM_GPA + 0x1000)
#define USED_GPA  (RAM_GPA + 0x2000)
#define DATA_GPA  (RAM_GPA + 0x10000)

extern uint8_t ram[RAM_SIZE];
extern struct vm vm;
extern struct vm_config cfg;
extern struct vcpu vcpu0;

void vm_init(const struct irqchip_ops *gic, bool its);
void vm_fini(void);

/* ---- config space through ECAM, and plain MMIO ---- */

uint64_t ecam_addr(unsigned slot, unsigned fn, uint32_t reg);
uint64_t mmio_read(uint64_t gpa, unsigned len);
void mmio_write(uint64_t gpa, unsigned len, uint64_t val);
uint32_t cfg_read_fn(unsigned slot, unsigned fn, uint32_t reg, unsigned len);
uint32_t cfg_read(unsigned slot, uint32_t reg, unsigned len);
void cfg_write(unsigned slot, uint32_t reg, unsigned len, uint32_t val);
/* Walk the capability list from the header pointer: offset of the n-th capability with id, or 0. */
unsigned find_cap(unsigned slot, uint8_t id, unsigned nth);

/* ---- a plain device: a 16 KiB 32-bit BAR0 and a 64 KiB 64-bit BAR2 that log accesses ---- */

struct plain_dev {
	struct pci_device pci;
	unsigned reads, writes;
	uint64_t last_off, last_val;
};

extern const struct device_ops plain_ops;

#define PLAIN_BAR0_SIZE 0x4000
#define PLAIN_BAR2_SIZE 0x10000

void plain_add(struct plain_dev *d);
extern struct plain_dev plain, plain2;
int plain_setup(void **state);
int plain_teardown(void **state);

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

extern struct virtio_dev *vd;
extern uint64_t bar0;

uint64_t bar_rd(uint32_t off, unsigned len);
void bar_wr(uint32_t off, unsigned len, uint64_t val);
/* BAR0 decoding on, as the guest's PCI core does before the driver probes. */
void virtio_enable_bar(void);
int virtio_setup_gic(const struct irqchip_ops *gic, bool its);
int virtio_setup(void **state);
int virtio_setup_v2m(void **state);
/* virtio-console in the slot the rng usually takes. */
int virtio_setup_console(void **state);
int virtio_teardown(void **state);
void set_features(uint32_t select, uint32_t bits);
/* ACKNOWLEDGE, DRIVER, VERSION_1 only, FEATURES_OK: what every test driver starts with. */
void driver_init(void);
void put64(uint32_t lo_off, uint64_t v);
void queue_program(uint16_t q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used);
/* Queue 0 of 16 entries on the fake RAM, enabled; the driver is at DRIVER_OK. */
void queue_setup(void);
/* What a device model does after pushing used buffers: the transport picks the interrupt. */
void queue_interrupt(void);

/* ---- MSI-X through BAR0 and the capability ---- */

/* Program MSI-X table entry i through BAR0, 4 bytes at a time as Linux does. */
void msix_entry(unsigned i, uint64_t addr, uint32_t data, bool masked);
void msix_mask(unsigned i, bool masked);
void msix_control(uint16_t ctrl);
uint64_t its_doorbell(void);
/* KVM has an ITS MSI route for gsi with this data and the function's requester ID. */
void check_msi_route(uint32_t gsi, uint32_t data);
/* Queue 0 ready, MSI-X enabled, vector 0 programmed masked and given to queue 0. */
void msix_setup(uint32_t data);

#define PLAIN_TEST(fn) cmocka_unit_test_setup_teardown(fn, plain_setup, plain_teardown)
#define VIRTIO_TEST(fn) cmocka_unit_test_setup_teardown(fn, virtio_setup, virtio_teardown)
#define V2M_TEST(fn) cmocka_unit_test_setup_teardown(fn, virtio_setup_v2m, virtio_teardown)

#endif
