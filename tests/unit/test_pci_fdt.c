/* Unit tests: the PCI host bridge's FDT node: ranges, msi-map or msi-parent, interrupt-map.
 * KVM faked at ioctl() (fake_kvm.c), fixtures in pci_fixture.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <libfdt.h>
#include <cmocka.h>

#include "../../arch.h"
#include "../../fdt/fdt_build.h"
#include "fake_kvm.h"
#include "pci_fixture.h"

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
	assert_int_equal(arch_fdt_build(&vm, fdt_buf, sizeof(fdt_buf)), 0);
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
	devs[1] = virtio_pci_function(vd);
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
	devs[1] = virtio_pci_function(vd);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		VIRTIO_TEST(test_fdt_its),
		V2M_TEST(test_fdt_v2m),
		cmocka_unit_test(test_fdt_no_msi),
		cmocka_unit_test(test_fdt_full_bus),
	};
	return cmocka_run_group_tests_name("pci_fdt", tests, NULL, NULL);
}
