/* fdt.c - the guest device tree: root, chosen, memory, then arch, GIC and bus devices. */
#include "fdt_build.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "../arch/arm64/arch.h"
#include "../arch/arm64/memmap.h"
#include "../irqchip/gic.h"
#include "../irqchip/irq.h"
#include "../util.h"
#include "../vm.h"

int fdt_fail(int err, const char *call)
{
	log_err("fdt: %s: %s", call, fdt_strerror(err));
	return err == -FDT_ERR_NOSPACE ? -ENOSPC : -EINVAL;
}

int fdt_prop_reg(void *fdt, const uint64_t *pairs, unsigned nr_pairs)
{
	fdt64_t cells[16];

	if (nr_pairs > ARRAY_SIZE(cells) / 2)
		return -FDT_ERR_BADVALUE;
	for (unsigned i = 0; i < 2 * nr_pairs; i++)
		cells[i] = cpu_to_fdt64(pairs[i]);
	return fdt_property(fdt, "reg", cells, 2 * nr_pairs * sizeof(cells[0]));
}

int fdt_prop_cells(void *fdt, const char *name, const uint32_t *cells, unsigned n)
{
	fdt32_t *be;
	int ret;

	/* Converted in place in the tree: no cap on n (a full PCI bus's interrupt-map is 320
	 * cells; a 32-cell local buffer refused four devices). */
	if (n > INT32_MAX / sizeof(*be))
		return -FDT_ERR_BADVALUE;
	ret = fdt_property_placeholder(fdt, name, n * sizeof(*be), (void **)&be);
	if (ret)
		return ret;
	for (unsigned i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	return 0;
}

int fdt_begin_node_at(void *fdt, const char *prefix, uint64_t addr)
{
	char name[64];

	snprintf(name, sizeof(name), "%s@%" PRIx64, prefix, addr);
	return fdt_begin_node(fdt, name);
}

static int fdt_add_chosen(struct vm *vm, void *fdt)
{
	uint64_t uart = guest_memmap[MEM_UART].base;
	char cmdline[128], stdout_path[64];
	uint8_t seed[64];

	/* Default: the 16550 (or hvc0) as console, the 16550 for earlycon before drivers bind. */
	snprintf(cmdline, sizeof(cmdline), "console=%s earlycon=uart8250,mmio,0x%" PRIx64,
		 vm->cfg->virtio_console ? "hvc0" : "ttyS0", uart);
	snprintf(stdout_path, sizeof(stdout_path), "/uart@%" PRIx64, uart);
	FDT_TRY(fdt_begin_node(fdt, "chosen"));
	FDT_TRY(fdt_property_string(fdt, "bootargs", vm->cfg->cmdline ? vm->cfg->cmdline : cmdline));
	FDT_TRY(fdt_property_string(fdt, "stdout-path", stdout_path));
	if (vm->boot.initrd_size) {
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-start", vm->boot.initrd_gpa));
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-end", vm->boot.initrd_gpa + vm->boot.initrd_size));
	}
	/* Early entropy, so the guest's CRNG is ready without waiting (chosen.yaml rng-seed). */
	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		FDT_TRY(fdt_property(fdt, "rng-seed", seed, sizeof(seed)));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

static int fdt_add_memory(struct vm *vm, void *fdt)
{
	uint64_t reg[2] = { vm->mem.gpa, vm->mem.size };

	FDT_TRY(fdt_begin_node_at(fdt, "memory", vm->mem.gpa));
	FDT_TRY(fdt_property_string(fdt, "device_type", "memory"));
	FDT_TRY(fdt_prop_reg(fdt, reg, 1));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

static int fdt_add_device(const struct mmio_region *r, void *fdt)
{
	return r->ops->fdt_node ? r->ops->fdt_node(r->dev, fdt) : 0;
}

static int fdt_add_devices(struct vm *vm, void *fdt)
{
	return mmio_bus_for_each(&vm->mmio, fdt_add_device, fdt);
}

int fdt_build(struct vm *vm, void *buf, size_t size)
{
	int ret;

	FDT_TRY(fdt_create(buf, size));
	FDT_TRY(fdt_finish_reservemap(buf));
	FDT_TRY(fdt_begin_node(buf, ""));
	FDT_TRY(fdt_property_string(buf, "compatible", "linux,dummy-virt"));
	FDT_TRY(fdt_property_string(buf, "model", "vmm"));
	FDT_TRY(fdt_property_u32(buf, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(buf, "#size-cells", 2));
	FDT_TRY(fdt_property_u32(buf, "interrupt-parent", irqchip_phandle(&vm->irq)));
	ret = fdt_add_chosen(vm, buf);
	if (!ret)
		ret = fdt_add_memory(vm, buf);
	if (!ret)
		ret = arch_fdt_nodes(vm, buf);
	if (!ret)
		ret = irqchip_fdt_node(&vm->irq, buf);
	if (!ret)
		ret = fdt_add_devices(vm, buf);
	if (ret)
		return ret;
	FDT_TRY(fdt_end_node(buf));
	FDT_TRY(fdt_finish(buf));
	return 0;
}
