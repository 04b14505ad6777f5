/* Unit tests: the IRQ layer: KVM_IRQ_LINE encoding, SPI/GSI allocation, routing tables, MSI doorbells. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "../../arch/arm64/arch.h"
#include "../../arch/arm64/memmap.h"
#include "../../irqchip/gic.h"
#include "../../irqchip/irq.h"
#include "../../vm.h"

static void test_irq_line_encode(void **state)
{
	(void)state;
	/* api.rst KVM_IRQ_LINE: vcpu2_index[31:28] irq_type[27:24] vcpu_index[23:16] irq_id[15:0]. */
	assert_int_equal(irq_line_encode(KVM_IRQ_TYPE_SPI, 0, 33), 0x01000021);
	assert_int_equal(irq_line_encode(KVM_IRQ_TYPE_PPI, 3, 27), 0x0203001b);
	assert_int_equal(irq_line_encode(KVM_IRQ_TYPE_PPI, 300, 30), 0x122c001e);
	assert_int_equal(irq_line_encode(KVM_IRQ_TYPE_CPU, 1, 0), 0x00010000);
}

static void test_spi_alloc_exhaustion(void **state)
{
	static struct irq_routing r;
	const struct irq_assign *dyn = &guest_irqmap[IRQ_DYNAMIC];
	uint32_t first, a, b;
	unsigned n = 0;

	(void)state;
	irq_routing_init(&r, false, GIC_NR_IRQS, dyn->intid, dyn->count);
	assert_int_equal(irq_routing_spi_alloc(&r, 0, &first), -EINVAL);
	while (irq_routing_spi_alloc(&r, 1, &first) == 0) {
		assert_int_equal(first, dyn->intid + n);
		n++;
	}
	assert_int_equal(n, dyn->count);
	assert_int_equal(irq_routing_spi_alloc(&r, 1, &first), -ENOSPC);

	/* Blocks are contiguous and skip holes too small for them. */
	irq_routing_init(&r, false, GIC_NR_IRQS, dyn->intid, dyn->count);
	assert_int_equal(irq_routing_spi_alloc(&r, 4, &a), 0);
	assert_int_equal(irq_routing_spi_alloc(&r, 4, &b), 0);
	assert_int_equal(b, a + 4);
	irq_routing_spi_free(&r, a + 1, 2);                 /* a 2-SPI hole */
	assert_int_equal(irq_routing_spi_alloc(&r, 3, &first), 0);
	assert_int_equal(first, b + 4);             /* does not fit the hole */
	assert_int_equal(irq_routing_spi_alloc(&r, 2, &first), 0);
	assert_int_equal(first, a + 1);             /* fits exactly */
	assert_int_equal(irq_routing_spi_alloc(&r, dyn->count, &first), -ENOSPC);
}

static void test_gsi_alloc_and_routes(void **state)
{
	static struct irq_routing r;
	static struct kvm_irq_routing_entry e[IRQ_MAX_GSIS];
	struct irq_route spi = { .type = ROUTE_SPI, .intid = 200 };
	struct irq_route msi = { .type = ROUTE_MSI, .msi_addr = 0x8090040, .msi_data = 7, .devid = 0x18 };
	uint32_t g0, g1, g2, gsi;

	(void)state;
	irq_routing_init(&r, true, GIC_NR_IRQS, guest_irqmap[IRQ_DYNAMIC].intid, guest_irqmap[IRQ_DYNAMIC].count);
	assert_int_equal(irq_routing_gsi_alloc(&r, &g0), 0);
	assert_int_equal(irq_routing_gsi_alloc(&r, &g1), 0);
	assert_int_equal(irq_routing_gsi_alloc(&r, &g2), 0);
	assert_int_not_equal(g0, g1);
	assert_int_equal(irq_routing_route_set(&r, g0, &spi), 0);
	assert_int_equal(irq_routing_route_set(&r, g1, &msi), 0);
	/* g2 has no route yet: not in the table. */
	assert_int_equal(irq_routing_build(&r, e, IRQ_MAX_GSIS), 2);
	assert_int_equal(e[0].gsi, g0);
	assert_int_equal(e[0].type, KVM_IRQ_ROUTING_IRQCHIP);
	assert_int_equal(e[0].u.irqchip.pin, 200 - 32);
	assert_int_equal(e[1].gsi, g1);
	assert_int_equal(e[1].type, KVM_IRQ_ROUTING_MSI);
	assert_int_equal(e[1].flags, KVM_MSI_VALID_DEVID);
	assert_int_equal(e[1].u.msi.address_lo, 0x8090040);
	assert_int_equal(e[1].u.msi.address_hi, 0);
	assert_int_equal(e[1].u.msi.data, 7);
	assert_int_equal(e[1].u.msi.devid, 0x18);

	/* Without KVM_CAP_MSI_DEVID the device ID is left out. */
	r.msi_devid = false;
	assert_int_equal(irq_routing_build(&r, e, IRQ_MAX_GSIS), 2);
	assert_int_equal(e[1].flags, 0);
	assert_int_equal(e[1].u.msi.devid, 0);

	/* Bad routes and unallocated GSIs are refused. */
	spi.intid = 20;
	assert_int_equal(irq_routing_route_set(&r, g2, &spi), -EINVAL);
	spi.intid = GIC_NR_IRQS;
	assert_int_equal(irq_routing_route_set(&r, g2, &spi), -EINVAL);
	assert_int_equal(irq_routing_route_set(&r, IRQ_MAX_GSIS, &msi), -EINVAL);
	irq_routing_gsi_free(&r, g1);
	assert_int_equal(irq_routing_route_set(&r, g1, &msi), -EINVAL);
	assert_int_equal(irq_routing_build(&r, e, IRQ_MAX_GSIS), 1);

	/* A freed GSI is reused; then allocate until exhausted. */
	assert_int_equal(irq_routing_gsi_alloc(&r, &gsi), 0);
	assert_int_equal(gsi, g1);
	while (irq_routing_gsi_alloc(&r, &gsi) == 0)
		;
	assert_int_equal(irq_routing_gsi_alloc(&r, &gsi), -ENOSPC);
	/* The table never exceeds what the caller can hold. */
	for (uint32_t i = 0; i < IRQ_MAX_GSIS; i++)
		irq_routing_route_set(&r, i, &msi);
	assert_int_equal(irq_routing_build(&r, e, 10), 10);
}

static void test_msi_doorbells(void **state)
{
	static struct irqchip ic;
	struct gic_layout layout;
	struct irq_route rt;
	uint64_t its = guest_memmap[MEM_GIC_ITS].base, v2m = guest_memmap[MEM_GICV2M].base;

	(void)state;
	board_gic_layout(&layout);
	irqchip_init(&ic, -1, 1, &gicv3_ops, true, &layout, NULL, NULL);
	/* GICv3 + ITS: GITS_TRANSLATER, device ID kept. */
	assert_int_equal(gicv3_ops.msi_route(&ic, its + 0x10040, 5, 0x10, &rt), 0);
	assert_int_equal(rt.type, ROUTE_MSI);
	assert_int_equal(rt.msi_addr, its + 0x10040);
	assert_int_equal(rt.devid, 0x10);
	assert_int_equal(gicv3_ops.msi_route(&ic, its + 0x40, 5, 0x10, &rt), -EINVAL);
	ic.its_enabled = false;
	assert_int_equal(gicv3_ops.msi_route(&ic, its + 0x10040, 5, 0x10, &rt), -ENOTSUP);
	/* GICv2m: SETSPI_NS with an SPI of the frame becomes an SPI route. */
	assert_int_equal(gicv2m_ops.msi_route(&ic, v2m + 0x40, 100, 0, &rt), 0);
	assert_int_equal(rt.type, ROUTE_SPI);
	assert_int_equal(rt.intid, 100);
	assert_int_equal(gicv2m_ops.msi_route(&ic, v2m + 0x40, 160, 0, &rt), -EINVAL);
	assert_int_equal(gicv2m_ops.msi_route(&ic, v2m + 0x40, 95, 0, &rt), -EINVAL);
	assert_int_equal(gicv2m_ops.msi_route(&ic, v2m + 0x44, 100, 0, &rt), -EINVAL);
	/* Plain GICv2: no doorbell. */
	assert_int_equal(gicv2_ops.msi_route(&ic, v2m + 0x40, 100, 0, &rt), -ENOTSUP);
	/* irq_msi_route asks the model the irqchip was set up with. */
	irqchip_init(&ic, -1, 1, &gicv2_ops, false, &layout, NULL, NULL);
	assert_int_equal(irq_msi_route(&ic, v2m + 0x40, 100, 0, &rt), -ENOTSUP);
	irqchip_init(&ic, -1, 1, &gicv2m_ops, false, &layout, NULL, NULL);
	assert_int_equal(irq_msi_route(&ic, v2m + 0x40, 100, 0, &rt), 0);
	assert_int_equal(rt.intid, 100);
}

/* The models answer what callers ask; the FDT specifiers come from one helper each. */
static void test_models_and_specifiers(void **state)
{
	struct gic_layout l;
	uint32_t c[3];

	(void)state;
	assert_ptr_equal(irqchip_ops_for(IRQCHIP_GICV2), &gicv2_ops);
	assert_ptr_equal(irqchip_ops_for(IRQCHIP_GICV2M), &gicv2m_ops);
	assert_ptr_equal(irqchip_ops_for(IRQCHIP_GICV3), &gicv3_ops);
	assert_int_equal(gicv2m_ops.model, IRQCHIP_GICV2M);
	assert_true(gicv2m_ops.v2m);
	assert_false(gicv2_ops.v2m || gicv3_ops.v2m);
	assert_int_equal(gicv2_ops.max_vcpus, GICV2_MAX_VCPUS);
	assert_int_equal(gicv2m_ops.max_vcpus, GICV2_MAX_VCPUS);
	irqchip_fdt_spi(33, c);
	assert_int_equal(c[0], 0);
	assert_int_equal(c[1], 1);
	assert_int_equal(c[2], 4);
	irqchip_fdt_ppi(27, 0xf04, c);
	assert_int_equal(c[0], 1);
	assert_int_equal(c[1], 11);
	assert_int_equal(c[2], 0xf04);
	/* The layout the VM hands the GIC is the memory and IRQ maps'. */
	board_gic_layout(&l);
	assert_int_equal(l.v2m_spi_first, guest_irqmap[IRQ_GICV2M].intid);
	assert_int_equal(l.v2m_spi_count, guest_irqmap[IRQ_GICV2M].count);
	assert_int_equal(l.v2m_base, guest_memmap[MEM_GICV2M].base);
	assert_int_equal(l.its_base, guest_memmap[MEM_GIC_ITS].base);
	assert_int_equal(l.dist_base, guest_memmap[MEM_GIC_DIST].base);
	assert_int_equal(l.redist_count[0], memmap_redist_low_count());
	assert_int_equal(l.nr_irqs, GIC_NR_IRQS);
	assert_int_equal(l.dyn_spi_first, guest_irqmap[IRQ_DYNAMIC].intid);
	assert_int_equal(gicv3_ops.max_vcpus, VMM_MAX_VCPUS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_irq_line_encode),
		cmocka_unit_test(test_spi_alloc_exhaustion),
		cmocka_unit_test(test_gsi_alloc_and_routes),
		cmocka_unit_test(test_msi_doorbells),
		cmocka_unit_test(test_models_and_specifiers),
	};
	return cmocka_run_group_tests_name("irq", tests, NULL, NULL);
}
