/* board.c - the arm64 board: where each device sits (memmap.h) and the VM's device list. */
#include "arch.h"

#include <errno.h>
#include <string.h>

#include "../../devices/device.h"
#include "../../devices/pci.h"
#include "../../devices/test_exit.h"
#include "../../devices/uart.h"
#include "../../irqchip/gic.h"
#include "../../virtio/devices.h"
#include "../../virtio/iothread.h"
#include "../../virtio/net.h"
#include "../../virtio/vsock.h"
#include "../../virtio/virtio.h"
#include "../../vm.h"
#include "memmap.h"

void board_gic_layout(struct gic_layout *l)
{
	*l = (struct gic_layout){
		.dist_base = guest_memmap[MEM_GIC_DIST].base,
		.dist_size = guest_memmap[MEM_GIC_DIST].size,
		.cpu_base = guest_memmap[MEM_GIC_CPU].base,
		.its_base = guest_memmap[MEM_GIC_ITS].base,
		.its_size = guest_memmap[MEM_GIC_ITS].size,
		.v2m_base = guest_memmap[MEM_GICV2M].base,
		.v2m_size = guest_memmap[MEM_GICV2M].size,
		.v2m_spi_first = guest_irqmap[IRQ_GICV2M].intid,
		.v2m_spi_count = guest_irqmap[IRQ_GICV2M].count,
		.redist_base = { guest_memmap[MEM_GIC_REDIST].base, guest_memmap[MEM_GIC_REDIST_HIGH].base },
		.redist_count = { memmap_redist_low_count(),
				  (unsigned)(guest_memmap[MEM_GIC_REDIST_HIGH].size / GICV3_REDIST_STRIDE) },
		.nr_irqs = GIC_NR_IRQS,
		.dyn_spi_first = guest_irqmap[IRQ_DYNAMIC].intid,
		.dyn_spi_count = guest_irqmap[IRQ_DYNAMIC].count,
	};
}

/* List a device just created; when the list is full, destroy it and fail. */
static int board_keep(struct vm *vm, const struct device_class *cls, void *dev)
{
	int ret = device_list_add(&vm->devices, cls, dev);

	if (ret)
		cls->destroy(dev);
	return ret;
}

void board_forget_virtio(struct vm *vm)
{
	struct device_list *l = &vm->devices;
	unsigned n = 0;

	for (unsigned i = 0; i < l->nr; i++)
		if (l->items[i].cls != &virtio_device_class)
			l->items[n++] = l->items[i];
	l->nr = n;
	vm->nr_virtio = 0;
}

static void board_io_failed(void *arg)
{
	vm_request_stop(arg, VMM_EXIT_ERROR);
}

static size_t uart_console_in(void *dev, const uint8_t *buf, size_t len)
{
	return uart_receive(dev, buf, len);
}

/* The virtio devices of the command line, each listed and kept in vm->virtio for `stat`. */
static int board_add_virtio(struct vm *vm, int ret, struct virtio_dev *vd)
{
	if (!ret)
		ret = board_keep(vm, &virtio_device_class, vd);
	if (!ret)
		vm->virtio[vm->nr_virtio++] = vd;
	return ret;
}

void board_pci_layout(struct pci_layout *l)
{
	*l = (struct pci_layout){
		.ecam = { guest_memmap[MEM_PCI_ECAM].base, guest_memmap[MEM_PCI_ECAM].size },
		.mmio32 = { guest_memmap[MEM_PCI_MMIO].base, guest_memmap[MEM_PCI_MMIO].size },
		.mmio64 = { guest_memmap[MEM_PCI_MMIO_HIGH].base, guest_memmap[MEM_PCI_MMIO_HIGH].size },
	};
}

void board_virtio_host(struct vm *vm)
{
	vm->vhost = (struct virtio_host){
		.env = &vm->env,
		.io = vm->io,
		.pci = vm->pci,
		.mmio_base = guest_memmap[MEM_VIRTIO_MMIO].base,
		.mmio_size = guest_memmap[MEM_VIRTIO_MMIO].size,
		.mmio_spi_first = guest_irqmap[IRQ_VIRTIO_MMIO].intid,
		.mmio_spi_count = guest_irqmap[IRQ_VIRTIO_MMIO].count,
	};
}

/* NIC i of the command line: its tap (one queue per pair), its MAC (given, or stable for
 * the VM's name). mq=N is capped at one pair per vCPU (more gives a vCPU two queues' work
 * and their interrupts) and at NET_MAX_PAIRS. */
static int board_add_nic(struct vm *vm, unsigned i)
{
	const struct nic_config *nic = &vm->cfg->nics[i];
	struct net_tap_params tp = { .ifname = nic->tapif, .fd = nic->fd };
	struct virtio_net_params np = {
		.mmio = nic->mmio,
		.pairs = nic->pairs ? nic->pairs : 1,
		.vhost = nic->vhost < 0 ? NET_VHOST_AUTO : nic->vhost ? NET_VHOST_ON : NET_VHOST_OFF,
	};
	struct net_backend *be[NET_MAX_PAIRS];
	struct virtio_dev *vd = NULL;
	unsigned cap = vm->cfg->nr_vcpus < NET_MAX_PAIRS ? vm->cfg->nr_vcpus : NET_MAX_PAIRS;
	int ret;

	if (np.pairs > cap) {
		log_info("net: NIC %u: mq=%u capped to %u queue pairs (one per vCPU, at most %u)", i, np.pairs, cap,
			 NET_MAX_PAIRS);
		np.pairs = cap;
	}
	if (nic->mac_given)
		memcpy(np.mac, nic->mac, sizeof(np.mac));
	else
		net_mac_generate(vm->cfg->name ? vm->cfg->name : "vmm", i, np.mac);
	tp.multi_queue = np.pairs > 1;
	for (unsigned q = 0; q < np.pairs; q++) {
		ret = net_tap_open(&tp, &be[q]);
		if (ret) {
			while (q--)
				be[q]->ops->close(be[q]);
			return ret;
		}
		tp.ifname = be[0]->ifname; /* the next queues of the same tap */
		tp.quiet = true;
	}
	if (np.pairs > 1)
		log_info("net: NIC %u on %s (%u queue pairs), MAC %02x:%02x:%02x:%02x:%02x:%02x", i, be[0]->desc,
			 np.pairs, np.mac[0], np.mac[1], np.mac[2], np.mac[3], np.mac[4], np.mac[5]);
	else
		log_info("net: NIC %u on %s, MAC %02x:%02x:%02x:%02x:%02x:%02x", i, be[0]->desc, np.mac[0], np.mac[1],
			 np.mac[2], np.mac[3], np.mac[4], np.mac[5]);
	return board_add_virtio(vm, virtio_net_create_mq(&vm->vhost, &np, be, &vd), vd);
}

static int board_create_virtio(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct virtio_host *h = &vm->vhost;
	struct virtio_dev *vd = NULL;
	int ret = 0;

	board_virtio_host(vm);
	for (unsigned i = 0; !ret && i < cfg->nr_disks; i++)
		ret = board_add_virtio(vm, virtio_blk_create(h, cfg->disks[i].path, cfg->disks[i].read_only, i, &vd),
				       vd);
	if (!ret && cfg->rng)
		ret = board_add_virtio(vm, virtio_rng_create(h, &vd), vd);
	if (!ret && cfg->virtio_console) {
		ret = board_add_virtio(vm, virtio_console_create(h, vm->console_out, &vd), vd);
		if (!ret) {
			vm->console_in = virtio_console_receive;
			vm->console_dev = vd;
		}
	}
	for (unsigned i = 0; !ret && i < cfg->nr_nics; i++)
		ret = board_add_nic(vm, i);
	if (!ret && cfg->vsock_cid) {
		struct virtio_vsock_params vp = { .cid = cfg->vsock_cid };

		ret = board_add_virtio(vm, virtio_vsock_create(h, &vp, &vd), vd);
		if (!ret)
			log_info("vsock: guest CID %llu on vhost-vsock", (unsigned long long)cfg->vsock_cid);
	}
	for (unsigned i = 0; !ret && i < vm->nr_virtio; i++)
		ret = virtio_watch(vm->virtio[i], vm->io);
	return ret;
}

/* The 16550, then the PCI bridge and virtio devices with the I/O thread that serves them. */
int board_create_devices(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct test_exit *te;
	struct uart *uart;
	int ret;

	ret = uart_create(&vm->env, guest_memmap[MEM_UART].base, guest_irqmap[IRQ_UART].intid, vm->console_out,
			  &uart);
	if (!ret)
		ret = board_keep(vm, &uart_device_class, uart);
	if (ret)
		return ret;
	vm->uart = uart;
	ret = test_exit_create(&vm->env, guest_memmap[MEM_TEST_EXIT].base, &te);
	if (!ret)
		ret = board_keep(vm, &test_exit_device_class, te);
	if (ret)
		return ret;
	vm->console_in = uart_console_in;
	vm->console_dev = vm->uart;
	if (!cfg->nr_disks && !cfg->rng && !cfg->virtio_console && !cfg->nr_nics && !cfg->vsock_cid)
		return 0;
	ret = iothread_create(&vm->io, board_io_failed, vm);
	if (!ret && !cfg->virtio_mmio) {
		struct pci_layout l;
		struct pci_bus *bus;

		board_pci_layout(&l);
		ret = pci_bus_create(&vm->env, &l, &bus);
		if (!ret)
			ret = board_keep(vm, &pci_bus_device_class, bus);
		if (!ret)
			vm->pci = bus;
	}
	return ret ? ret : board_create_virtio(vm);
}
