/* hostile.h - a bare-metal guest that attacks vmm's devices from inside (issue 7).
 *
 * It runs at EL1 with the MMU off, so every data access is Device-nGnRnE
 * (ARM ARM D8.2.9 "Behavior when stage 1 translation is disabled"): accesses
 * must be aligned, and MMIO goes through the single-instruction accessors
 * below so that KVM sees a data abort with a valid syndrome (ISV=1, no
 * writeback) it can hand to vmm as KVM_EXIT_MMIO.
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- MMIO and shared-memory accessors ---- */

static inline void w8(uint64_t a, uint8_t v) { __asm__ volatile("strb %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }
static inline void w16(uint64_t a, uint16_t v) { __asm__ volatile("strh %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }
static inline void w32(uint64_t a, uint32_t v) { __asm__ volatile("str %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }
static inline void w64(uint64_t a, uint64_t v) { __asm__ volatile("str %0, [%1]" :: "r"(v), "r"(a) : "memory"); }

static inline uint8_t r8(uint64_t a)
{
	uint32_t v;

	__asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline uint16_t r16(uint64_t a)
{
	uint32_t v;

	__asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline uint32_t r32(uint64_t a)
{
	uint32_t v;

	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline uint64_t r64(uint64_t a)
{
	uint64_t v;

	__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

/* Write-then-read of any width, for the attacks that sweep every access size. */
void wN(uint64_t a, unsigned width, uint64_t v);
uint64_t rN(uint64_t a, unsigned width);

/* Descriptors and rings must be visible to the device before the index or the kick. */
static inline void dsb(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void dmb(void) { __asm__ volatile("dmb sy" ::: "memory"); }

static inline uint64_t addr_of(const volatile void *p) { return (uint64_t)(uintptr_t)p; }

/* ---- platform (io.c) ---- */

#define UART_BASE      0x01000000ULL /* arch/arm64/memmap.h */
#define TEST_EXIT_BASE 0x01010000ULL
#define GICD_BASE      0x08000000ULL
#define PCI_MMIO_BASE  0x10000000ULL /* the 32-bit window: virtio-blk's BAR0 */
#define PCI_NET_BAR0   0x10100000ULL /* virtio-net's, clear of it */

struct platform {
	uint64_t fdt;
	uint64_t ram_base, ram_size;
	uint64_t ecam;             /* 0 with --transport=mmio */
	uint64_t v2m;              /* GICv2m MSI frame, 0 without --gic=v2m */
	uint64_t mmio[8];          /* virtio,mmio windows */
	unsigned nr_mmio;
	bool psci_hvc;
};

void uart_init(void);
void putc_(char c);
void puts_(const char *s);
void puthex(uint64_t v);
void putdec(uint64_t v);
/* "HOSTILE: <name> ok", counted in attacks_ok. */
extern unsigned attacks_ok;
void report_ok(const char *name);
/* "HOSTILE-FAIL <what> <value>", then exit through the test-exit device. Never returns. */
void fail(const char *what, uint64_t val) __attribute__((noreturn));
void check(bool ok, const char *what, uint64_t val);
void poweroff(void) __attribute__((noreturn));
uint64_t now_us(void);
void delay_us(uint64_t us);
/* Read the DTB at x0: RAM, PCI ECAM or virtio-mmio windows, the PSCI conduit. */
void platform_probe(uint64_t fdt, struct platform *p);

/* Set by an attack that expects a synchronous abort; start.S clears it and saves ESR_EL1. */
extern volatile uint32_t abort_expected;
extern volatile uint64_t abort_esr;

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

/* ---- virtio driver (vio.c) ---- */

#define QSZ 16 /* our queue size: small, so "longer than the queue" is cheap to build */
#define RING_BYTES 0x1000 /* one queue's descriptors, driver area at +0x400, device area at +0x800 */

#define ID_NET 1 /* virtio device IDs (5) */
#define ID_BLK 2

#define ST_ACK         1
#define ST_DRIVER      2
#define ST_DRIVER_OK   4
#define ST_FEATURES_OK 8
#define ST_NEEDS_RESET 0x40

#define F_INDIRECT 28
#define F_VERSION_1 32

#define D_NEXT     1
#define D_WRITE    2
#define D_INDIRECT 4

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* One request's buffers: header, data, status (virtio 1.2, 5.2.6). */
struct blk_bufs {
	uint32_t type, reserved;
	uint64_t sector;
};

struct vdev {
	bool mmio;                 /* virtio-mmio (4.2) rather than virtio-pci (4.1) */
	uint64_t base;             /* virtio-mmio window */
	/* virtio-pci: the structures the vendor capabilities point at (4.1.4) */
	uint64_t common, notify, isr, devcfg;
	uint32_t notify_mult;
	uint16_t notify_off;
	uint64_t bar0;             /* where we put BAR0 */
	uint64_t bar0_size;
	uint8_t msix_cap;          /* config offset of the MSI-X capability, 0 if none */
	uint32_t dev_cfg_off;      /* ECAM offset of the function */
	/* the queue: index qidx on ring (RING_BYTES, 4096-aligned; NULL: vio.c's own) */
	uint16_t qidx;
	uint8_t *ring;
	bool no_status;            /* a used entry is the answer: no status byte (virtio-net) */
	volatile struct vdesc *desc;
	volatile uint16_t *avail;  /* flags, idx, ring[QSZ], used_event */
	volatile uint16_t *used;   /* flags, idx, then {u32 id, u32 len}[QSZ] */
	uint16_t avail_idx, used_idx;
	uint64_t features;
	unsigned breaks;           /* times the device reported DEVICE_NEEDS_RESET */
};

/* Request buffers and scratch memory in guest RAM (vio.c). */
extern volatile struct blk_bufs req_hdr;
extern volatile uint8_t req_status[16];
extern volatile uint8_t req_data[4096];
extern volatile struct vdesc ind_table[64];

enum outcome { OUT_OK, OUT_ERR, OUT_RESET, OUT_TIMEOUT };

uint8_t vio_status(struct vdev *d);
void vio_set_status(struct vdev *d, uint8_t s);
/* Reset and wait (bounded) until the status reads 0 (4.1.4.3.2, 4.2.2.1). */
void vio_reset(struct vdev *d);
/* Reset, ACK, DRIVER, features, FEATURES_OK (3.1.1 steps 1-6). */
void vio_begin(struct vdev *d);
/* vio_begin, then queue 0 and DRIVER_OK (3.1.1 steps 7-8). */
void vio_init(struct vdev *d);
/* vio_begin on qs[0], then each qs[i]'s queue (same transport), then DRIVER_OK. */
void vio_init_queues(struct vdev *qs, unsigned n);
/* Select queue 0 and enable it: did it take? */
bool vio_queue_try_enable(struct vdev *d);
/* Try to take the queue down or reconfigure it through another queue_select (pci). */
void vio_queue_disable(struct vdev *d);
/* Notify queues that do not exist. */
void vio_bogus_kicks(struct vdev *d);
void vio_set_features(struct vdev *d, uint64_t f);
void vio_kick(struct vdev *d);
/* Put head on the avail ring and kick. */
void vio_submit(struct vdev *d, uint16_t head);
/* Wait (bounded) for the next used entry or DEVICE_NEEDS_RESET. */
enum outcome vio_wait(struct vdev *d);
/* The three descriptors of a read of sector into req_data, at desc[0..2]. */
void vio_build_read(struct vdev *d, uint64_t sector, uint32_t len);
/* A read of sector 0 that must succeed with the disk's known content. */
void vio_good_read(struct vdev *d, const char *when);
/* Recover after an attack: reset, re-initialise, a good read. */
void vio_recover(struct vdev *d, const char *when);
/* The virtio-mmio window of a device_id device, if the DTB lists any. */
bool vio_find_mmio(const struct platform *p, struct vdev *d, uint32_t device_id);
/* Queue registers, for the attack that rewrites them after DRIVER_OK. */
void vio_queue_regs_write(struct vdev *d, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used);
bool vio_queue_regs_same(struct vdev *d);

/* ---- PCI (pci.c) ---- */

uint64_t cfg_base(struct vdev *d);
uint32_t cfg_r32(struct vdev *d, unsigned off);
void cfg_w32(struct vdev *d, unsigned off, uint32_t v);
uint16_t cfg_r16(struct vdev *d, unsigned off);
void cfg_w16(struct vdev *d, unsigned off, uint16_t v);
/* Find a device_id function, place BAR0 at bar0, enable it, find its structures. */
bool pci_find(const struct platform *p, struct vdev *d, uint32_t device_id, uint64_t bar0);
/* Program BAR0 at addr with memory decoding and bus mastering on. */
void pci_set_bar0(struct vdev *d, uint64_t addr);

/* ---- attacks (attacks.c, pci_attacks.c) ---- */

extern const char disk_magic[16];
void run_queue_attacks(struct vdev *d, const struct platform *p);
void run_pci_attacks(struct vdev *d, const struct platform *p);
void run_uart_attack(void);
void run_platform_attacks(const struct platform *p);
/* virtio-net (net_attacks.c): find it first (its BAR0 placed before virtio-blk's moves),
 * then attack it if there is one; returns the number of DEVICE_NEEDS_RESETs it set. */
void net_probe(const struct platform *p);
unsigned run_net_attacks(const struct platform *p);

#endif
