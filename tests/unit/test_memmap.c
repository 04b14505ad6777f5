/* Unit tests: the guest memory map and IRQ table checks, the MMIO bus. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "../../arch.h"
#include "../../arch/arm64/memmap.h"
#include "../../irqchip/gic.h"
#include "../../irqchip/irq.h"
#include "../../util.h"
#include "../../vm.h"

static void test_real_map_is_valid(void **state)
{
	char why[160];

	(void)state;
	assert_int_equal(memmap_check(guest_memmap, MEM_NR, why, sizeof(why)), 0);
	assert_int_equal(irqmap_check(guest_irqmap, IRQ_NR, GIC_NR_IRQS, why, sizeof(why)), 0);
	/* 123 redistributors below the UART-free window, the rest in the high region. */
	assert_int_equal(memmap_redist_low_count(), 123);
	assert_true(memmap_redist_low_count() + guest_memmap[MEM_GIC_REDIST_HIGH].size / GICV3_REDIST_STRIDE
		    >= VMM_MAX_VCPUS);
	assert_true(guest_memmap[MEM_RAM].base + guest_memmap[MEM_RAM].size <=
		    guest_memmap[MEM_GIC_REDIST_HIGH].base);
}

/* The contract (arch.h) shows the same map the arch uses. */
static void test_contract_matches_map(void **state)
{
	unsigned n, ram, nirq;
	const struct mem_region *map = arch_memmap(&n, &ram);
	const struct irq_assign *irqs = arch_irqmap(&nirq);
	char cmdline[128];

	(void)state;
	assert_ptr_equal(map, guest_memmap);
	assert_int_equal(n, MEM_NR);
	assert_int_equal(ram, MEM_RAM);
	assert_ptr_equal(irqs, guest_irqmap);
	assert_int_equal(nirq, IRQ_NR);
	assert_int_equal(arch_ram_base(), guest_memmap[MEM_RAM].base);
	assert_int_equal(arch_ram_max(), guest_memmap[MEM_RAM].size);
	assert_int_equal(arch_max_vcpus(), VMM_MAX_VCPUS);
	assert_int_equal(arch_nr_irqs(), GIC_NR_IRQS);
	assert_int_equal(arch_check_layout(), 0);
	/* tests/boot reads this very string from vmm run --help. */
	arch_default_cmdline("ttyS0", cmdline, sizeof(cmdline));
	assert_string_equal(cmdline, "console=ttyS0 earlycon=uart8250,mmio,0x1000000");
	/* RAM alone; more vCPUs than the low redistributors hold; virtio's high PCI window. */
	assert_int_equal(arch_ipa_top(0x80000000, 1, false), 0x80000000);
	assert_int_equal(arch_ipa_top(0x80000000, 124, false),
			 guest_memmap[MEM_GIC_REDIST_HIGH].base + guest_memmap[MEM_GIC_REDIST_HIGH].size);
	assert_int_equal(arch_ipa_top(0x80000000, 1, true),
			 guest_memmap[MEM_PCI_MMIO_HIGH].base + guest_memmap[MEM_PCI_MMIO_HIGH].size);
}

static void test_overlap_refused(void **state)
{
	struct mem_region map[2] = {
		{ "a", 0x1000000, 0x20000, SZ_64K },
		{ "b", 0x1010000, 0x10000, SZ_64K },
	};
	char why[160];

	(void)state;
	assert_int_equal(memmap_check(map, 2, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "a and b overlap"));
	map[1].base = 0x1020000; /* adjacent is fine */
	assert_int_equal(memmap_check(map, 2, why, sizeof(why)), 0);
}

static void test_misaligned_refused(void **state)
{
	struct mem_region map[1] = { { "gic", 0x8001000, 0x10000, SZ_64K } };
	char why[160];

	(void)state;
	assert_int_equal(memmap_check(map, 1, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not 65536-byte aligned"));
	map[0] = (struct mem_region){ "wrap", 0xfffffffffffff000ULL, 0x2000, SZ_4K };
	assert_int_equal(memmap_check(map, 1, why, sizeof(why)), -EINVAL);
}

static void test_irqmap_refused(void **state)
{
	struct irq_assign map[2] = { { "x", 40, 4, true }, { "y", 43, 1, true } };
	char why[160];

	(void)state;
	assert_int_equal(irqmap_check(map, 2, 512, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "x and y overlap"));
	map[1].intid = 44;
	assert_int_equal(irqmap_check(map, 2, 512, why, sizeof(why)), 0);
	map[1].intid = 510; /* 510 + 4 > 512 */
	map[1].count = 4;
	assert_int_equal(irqmap_check(map, 2, 512, why, sizeof(why)), -EINVAL);
	map[1] = (struct irq_assign){ "ppi-spill", 30, 4, true }; /* PPIs into SPIs */
	assert_int_equal(irqmap_check(map, 2, 512, why, sizeof(why)), -EINVAL);
}

struct fake_dev {
	uint64_t last_off, last_val;
	unsigned last_len, writes;
};

static int fake_read(void *dev, uint64_t off, unsigned len, uint64_t *val)
{
	(void)dev;
	*val = 0x1122334455667788ULL >> (8 * (8 - len)) ^ off;
	return 0;
}

static int fake_write(void *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct fake_dev *d = dev;

	d->last_off = off;
	d->last_len = len;
	d->last_val = val;
	d->writes++;
	return 0;
}

static const struct device_ops fake_ops = {
	.name = "fake", .widths = WIDTH(1) | WIDTH(4), .read = fake_read, .write = fake_write,
};

static void test_bus_checks(void **state)
{
	struct mmio_bus bus;
	struct fake_dev d = { 0 };
	uint8_t data[8] = { 0x78, 0x56, 0x34, 0x12 };

	(void)state;
	mmio_bus_init(&bus);
	assert_int_equal(mmio_bus_register(&bus, 0x1000, 0x100, &fake_ops, &d), 0);
	assert_int_equal(mmio_bus_register(&bus, 0x10f0, 0x100, &fake_ops, &d), -EEXIST);
	assert_int_equal(mmio_bus_register(&bus, UINT64_MAX - 4, 0x100, &fake_ops, &d), -EINVAL);

	assert_int_equal(mmio_bus_access(&bus, 0x1004, data, 4, true), 0);
	assert_int_equal(d.writes, 1);
	assert_int_equal(d.last_off, 4);
	assert_int_equal(d.last_val, 0x12345678);
	/* Refused before the device sees them: bad width, misaligned, past the end, unmapped. */
	assert_int_equal(mmio_bus_access(&bus, 0x1004, data, 2, true), 0);
	assert_int_equal(mmio_bus_access(&bus, 0x1006, data, 4, true), 0);
	assert_int_equal(mmio_bus_access(&bus, 0x10fe, data, 4, true), 0);
	assert_int_equal(mmio_bus_access(&bus, 0x2000, data, 4, true), 0);
	assert_int_equal(d.writes, 1);
	/* Refused reads return zero. */
	memset(data, 0xff, sizeof(data));
	assert_int_equal(mmio_bus_access(&bus, 0x1002, data, 4, false), 0);
	assert_int_equal(le_load(data, 4), 0);
	assert_int_equal(mmio_bus_access(&bus, 0x1000, data, 4, false), 0);
	assert_int_equal(le_load(data, 4), 0x11223344);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_map_is_valid),
		cmocka_unit_test(test_contract_matches_map),
		cmocka_unit_test(test_overlap_refused),
		cmocka_unit_test(test_misaligned_refused),
		cmocka_unit_test(test_irqmap_refused),
		cmocka_unit_test(test_bus_checks),
	};
	return cmocka_run_group_tests_name("memmap", tests, NULL, NULL);
}
