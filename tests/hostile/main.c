/* main.c - the hostile guest: find the virtio-blk device (and virtio-net), check a sane read works, then
 * attack it and the platform from inside; power off with PSCI when all went as it must. */
#include "hostile.h"

void main(uint64_t fdt);

static void find_device(const struct platform *p, struct vdev *d)
{
	if (p->ecam && pci_find(p, d, ID_BLK, PCI_MMIO_BASE)) {
		puts_("HOSTILE: virtio-blk on PCI, BAR0 at ");
		puthex(d->bar0);
		puts_("\n");
		return;
	}
	check(vio_find_mmio(p, d, ID_BLK), "no virtio-blk device", p->nr_mmio);
	puts_("HOSTILE: virtio-blk on virtio-mmio at ");
	puthex(d->base);
	puts_("\n");
}

void main(uint64_t fdt)
{
	struct platform p;
	struct vdev d = { 0 };

	uart_init();
	puts_("HOSTILE: start\n");
	platform_probe(fdt, &p);
	net_probe(&p);
	find_device(&p, &d);
	vio_init(&d);
	vio_good_read(&d, "first initialisation");
	puts_("HOSTILE: first read ok\n");
	run_queue_attacks(&d, &p);
	if (!d.mmio)
		run_pci_attacks(&d, &p);
	run_uart_attack();
	run_platform_attacks(&p);
	d.breaks += run_net_attacks(&p);
	vio_good_read(&d, "all attacks");
	puts_("HOSTILE-BREAKS ");
	putdec(d.breaks);
	puts_("\nHOSTILE-DONE ");
	putdec(attacks_ok);
	puts_(" attacks\n");
	poweroff();
}
