/* pci_attacks.c - attacks on the virtio-pci function itself: its MSI-X table and PBA
 * (PCI Local Bus 3.0, 6.8.2), its whole configuration space, and BAR0 moved onto
 * guest RAM and onto the GIC distributor (6.2.5). */
#include "hostile.h"

#define MSIX_ENABLE 0x8000
#define STATUS_OK   (ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK)

/* A BAR-sized, BAR-aligned piece of our own RAM to move BAR0 onto. */
static uint8_t bar_scratch[0x8000] __attribute__((aligned(0x8000)));

struct msix {
	uint64_t table, pba;
	unsigned n;
};

static void msix_find(struct vdev *d, struct msix *m)
{
	uint16_t ctrl = cfg_r16(d, d->msix_cap + 2);
	uint32_t t = cfg_r32(d, d->msix_cap + 4), p = cfg_r32(d, d->msix_cap + 8);

	/* Table and PBA: BAR indicator in bits 2:0, offset in 31:3 (6.8.2.4, 6.8.2.5). */
	check((t & 7) == 0 && (p & 7) == 0, "MSI-X table or PBA outside BAR0", t);
	m->table = d->bar0 + (t & ~7u);
	m->pba = d->bar0 + (p & ~7u);
	m->n = (ctrl & 0x7ff) + 1;
}

/* Each entry: message address, upper address, data, vector control with Mask set. */
static void msix_fill(const struct msix *m)
{
	for (unsigned i = 0; i < m->n; i++) {
		w32(m->table + 16 * i, 0x1230 + 16 * i);
		w32(m->table + 16 * i + 4, 0);
		w32(m->table + 16 * i + 8, 0x40 + i);
		w32(m->table + 16 * i + 12, 1);
	}
}

static void msix_check(const struct msix *m, const char *what)
{
	for (unsigned i = 0; i < m->n; i++) {
		check(r32(m->table + 16 * i) == 0x1230 + 16 * i, what, i);
		check(r32(m->table + 16 * i + 4) == 0, what, i);
		check(r32(m->table + 16 * i + 8) == 0x40 + i, what, i);
		check((r32(m->table + 16 * i + 12) & 1) == 1, what, i);
	}
}

/* All ones at every width, first densely just past the end, then sparsely to the page end. */
static void sweep(uint64_t from, uint64_t to)
{
	for (unsigned w = 1; w <= 8; w *= 2) {
		for (uint64_t a = from; a < from + 64 && a < to; a += w) {
			wN(a, w, ~0ULL);
			(void)rN(a, w);
		}
		for (uint64_t a = from + 64; a < to; a += 0x100) {
			wN(a, w, ~0ULL);
			(void)rN(a, w);
		}
	}
}

static void msix_attack(struct vdev *d)
{
	struct msix m;

	msix_find(d, &m);
	cfg_w16(d, d->msix_cap + 2, MSIX_ENABLE);
	msix_fill(&m);
	sweep(m.table + 16 * m.n, (m.table | 0xfff) + 1);
	sweep(m.pba, (m.pba | 0xfff) + 1);
	/* Bytes and halfwords inside the entries: undefined for software, ignored here. */
	for (unsigned off = 0; off < 16 * m.n; off += 2) {
		w8(m.table + off, 0xee);
		w16(m.table + off, 0xeeee);
	}
	msix_check(&m, "MSI-X entry changed by a stray write");
	check(r32(m.pba) == 0 || r32(m.pba) <= 0x7, "PBA garbage", r32(m.pba));
	/* Unmasked at an address that is no MSI doorbell: vmm must refuse to route it. */
	w32(m.table + 12, 0);
	w32(m.table + 12, 1);
	cfg_w16(d, d->msix_cap + 2, 0);
	check(vio_status(d) == STATUS_OK, "device status after MSI-X attack", vio_status(d));
	vio_good_read(d, "MSI-X attack");
	report_ok("msix-writes-past-table-and-into-pba");
}

/* Every width at the ECAM, ours and functions that do not exist (PCIe 7.2.2: 8 bytes is no
 * config access); all must be absorbed, and absent functions read as all ones. */
static void ecam_widths(struct vdev *d)
{
	uint32_t mine = d->dev_cfg_off;

	for (unsigned w = 1; w <= 8; w *= 2) {
		d->dev_cfg_off = 31 << 15 | 7 << 12; /* device 31, function 7 */
		wN(cfg_base(d), w, ~0ULL);
		check(cfg_r32(d, 0) == 0xffffffff, "absent function answers", cfg_r32(d, 0));
		d->dev_cfg_off = mine | 1 << 12;     /* function 1 of our device */
		wN(cfg_base(d) + 8, w, ~0ULL);
		check(cfg_r32(d, 0) == 0xffffffff, "function 1 answers", cfg_r32(d, 0));
		d->dev_cfg_off = mine;
		(void)rN(cfg_base(d) + 0x38, w);
		wN(cfg_base(d) + 0x38, w, ~0ULL); /* expansion ROM BAR (not implemented) */
	}
	check(cfg_r16(d, 0) == 0x1af4, "our function after width sweep", cfg_r32(d, 0));
}

/* All ones into every dword of the 4 KiB ECAM space, then enumerate and program it again. */
static void config_all_ones(struct vdev *d, const struct platform *p)
{
	ecam_widths(d);
	for (unsigned off = 0; off < 0x1000; off += 4)
		cfg_w32(d, off, 0xffffffff);
	check(cfg_r16(d, 0) == 0x1af4 && cfg_r16(d, 2) == 0x1042, "IDs changed", cfg_r32(d, 0));
	check(cfg_r16(d, d->msix_cap + 2) & MSIX_ENABLE, "MSI-X enable did not stick", 0);
	cfg_w16(d, d->msix_cap + 2, 0);
	check(pci_find(p, d, ID_BLK, PCI_MMIO_BASE), "function gone after all-ones config writes", 0);
	vio_recover(d, "config space all ones");
	report_ok("pci-config-all-ones");
}

/* BAR0 on our own RAM: accesses there must stay RAM accesses, the device untouched. */
static void bar_on_ram(struct vdev *d)
{
	uint64_t home = d->bar0, s = addr_of(bar_scratch);

	memset(bar_scratch, 0xa5, 64);
	pci_set_bar0(d, s);
	check(r8(d->common + 0x14) == 0xa5, "BAR0 decoded over RAM", r8(d->common + 0x14));
	w8(d->common + 0x14, 0);            /* would be a device reset */
	w16(d->notify, 0);                  /* would be a kick */
	check(bar_scratch[0x14] == 0, "RAM under BAR0 not written", bar_scratch[0x14]);
	pci_set_bar0(d, home);
	check(vio_status(d) == STATUS_OK, "device status after BAR0 on RAM", vio_status(d));
	vio_good_read(d, "BAR0 on RAM");
	report_ok("bar-moved-onto-ram");
}

/* BAR0 on the GIC distributor: the GIC must keep answering there, not the device. */
static void bar_on_gic(struct vdev *d)
{
	uint64_t home = d->bar0;
	uint32_t typer = r32(GICD_BASE + 4), iidr = r32(GICD_BASE + 8);

	pci_set_bar0(d, GICD_BASE);
	check(r32(GICD_BASE + 4) == typer && r32(GICD_BASE + 8) == iidr, "GICD changed", typer);
	w32(GICD_BASE + 0x14, 0);           /* reserved in the GIC; the device's status if decoded */
	(void)r32(d->common);
	pci_set_bar0(d, home);
	check(vio_status(d) == STATUS_OK, "device status after BAR0 on the GIC", vio_status(d));
	vio_good_read(d, "BAR0 on the GIC");
	report_ok("bar-moved-onto-gic-distributor");
}

void run_pci_attacks(struct vdev *d, const struct platform *p)
{
	msix_attack(d);
	bar_on_ram(d);
	bar_on_gic(d);
	config_all_ones(d, p);
}
