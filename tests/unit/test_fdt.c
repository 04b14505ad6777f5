/* Unit tests: the guest device tree, built without KVM and read back with libfdt. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "../../arch/arm64/arch.h"
#include "../../arch/arm64/memmap.h"
#include "../../devices/uart.h"
#include "../../arch.h"
#include "../../fdt/fdt_build.h"
#include "../../irqchip/gic.h"
#include "../../irqchip/irq.h"
#include "../../vm.h"
#include "../fake/test_env.h"

struct fixture {
	struct vm vm;
	struct vm_config cfg;
	uint8_t buf[FDT_MAX_SIZE];
};

/* MPIDR as KVM assigns it (reset_mpidr): Aff0 = id[3:0], Aff1 = id[11:4], Aff2 = id[19:12]. */
static uint64_t kvm_mpidr(unsigned id)
{
	return 0x80000000ULL | ((id >> 12) & 0xff) << 16 | ((id >> 4) & 0xff) << 8 | (id & 0xf);
}

/* A tree for vCPUs with the given features (NULL: none, as every test but the PMU's and
 * pvtime's builds it: their nodes appear only when the feature is on). */
static struct fixture *build_cpu(const struct irqchip_ops *gic, bool its, unsigned nr_vcpus, const char *cmdline,
				 const struct cpu_features *cpu)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	if (cpu)
		f->vm.cpu = *cpu;
	f->cfg.cmdline = cmdline;
	f->vm.cfg = &f->cfg;
	mmio_bus_init(&f->vm.mmio);
	f->vm.vm_fd = -1;
	f->vm.nr_vcpus = nr_vcpus;
	test_env_irqchip(&f->vm, gic, its);
	f->vm.vcpus = calloc(nr_vcpus, sizeof(struct vcpu));
	for (unsigned i = 0; i < nr_vcpus; i++)
		f->vm.vcpus[i].mpidr = kvm_mpidr(i);
	f->vm.mem.gpa = 0x40000000;
	f->vm.mem.size = 512 << 20;
	f->vm.boot.initrd_gpa = 0x50000000;
	f->vm.boot.initrd_size = 0x123000;
	test_env_init(&f->vm);
	assert_int_equal(uart_create(&f->vm.env, guest_memmap[MEM_UART].base, guest_irqmap[IRQ_UART].intid, NULL,
				     &f->vm.uart), 0);
	assert_int_equal(arch_fdt_build(&f->vm, f->buf, sizeof(f->buf)), 0);
	assert_int_equal(fdt_check_header(f->buf), 0);
	return f;
}

static struct fixture *build(const struct irqchip_ops *gic, bool its, unsigned nr_vcpus, const char *cmdline)
{
	return build_cpu(gic, its, nr_vcpus, cmdline, NULL);
}

static void release(struct fixture *f)
{
	uart_destroy(f->vm.uart);
	free(f->vm.vcpus);
	free(f);
}

static const fdt32_t *prop(const void *fdt, const char *path, const char *name, int *len)
{
	int node = fdt_path_offset(fdt, path);
	const fdt32_t *p;

	assert_true(node >= 0);
	p = fdt_getprop(fdt, node, name, len);
	assert_non_null(p);
	return p;
}

static uint64_t cell64(const fdt32_t *p, unsigned i)
{
	return (uint64_t)fdt32_to_cpu(p[i]) << 32 | fdt32_to_cpu(p[i + 1]);
}

static void check_gic_common(const void *fdt, const char *path)
{
	int len;
	const fdt32_t *p = prop(fdt, path, "#interrupt-cells", &len);

	assert_int_equal(fdt32_to_cpu(p[0]), 3);
	prop(fdt, path, "interrupt-controller", &len);
	assert_int_equal(len, 0);
	p = prop(fdt, path, "phandle", &len);
	assert_int_equal(fdt32_to_cpu(p[0]), PHANDLE_GIC);
	p = prop(fdt, "/", "interrupt-parent", &len);
	assert_int_equal(fdt32_to_cpu(p[0]), PHANDLE_GIC);
}

static void test_gicv3_its(void **state)
{
	struct fixture *f = build(&gicv3_ops, true, 2, "console=ttyS0 root=/dev/vda");
	const void *fdt = f->buf;
	const fdt32_t *p;
	int len;

	(void)state;
	assert_string_equal(prop(fdt, "/intc@8000000", "compatible", &len), "arm,gic-v3");
	check_gic_common(fdt, "/intc@8000000");
	p = prop(fdt, "/intc@8000000", "reg", &len);
	assert_int_equal(len, 2 * 16);
	assert_int_equal(cell64(p, 0), 0x8000000);
	assert_int_equal(cell64(p, 2), 0x10000);
	assert_int_equal(cell64(p, 4), 0x80a0000);
	assert_int_equal(cell64(p, 6), 2 * 0x20000);
	p = prop(fdt, "/intc@8000000", "#redistributor-regions", &len);
	assert_int_equal(fdt32_to_cpu(p[0]), 1);
	assert_string_equal(prop(fdt, "/intc@8000000/its@8080000", "compatible", &len), "arm,gic-v3-its");
	prop(fdt, "/intc@8000000/its@8080000", "msi-controller", &len);
	p = prop(fdt, "/intc@8000000/its@8080000", "#msi-cells", &len);
	assert_int_equal(fdt32_to_cpu(p[0]), 1);
	p = prop(fdt, "/intc@8000000/its@8080000", "reg", &len);
	assert_int_equal(cell64(p, 0), 0x8080000);
	assert_int_equal(cell64(p, 2), 0x20000);
	release(f);
}

static void test_gicv3_no_its(void **state)
{
	struct fixture *f = build(&gicv3_ops, false, 1, NULL);

	(void)state;
	assert_true(fdt_path_offset(f->buf, "/intc@8000000") >= 0);
	assert_true(fdt_path_offset(f->buf, "/intc@8000000/its@8080000") < 0);
	release(f);
}

static void test_gicv2(void **state)
{
	struct fixture *f = build(&gicv2_ops, false, 4, NULL);
	const void *fdt = f->buf;
	const fdt32_t *p;
	int len;

	(void)state;
	assert_string_equal(prop(fdt, "/intc@8000000", "compatible", &len), "arm,cortex-a15-gic");
	check_gic_common(fdt, "/intc@8000000");
	p = prop(fdt, "/intc@8000000", "reg", &len);
	assert_int_equal(len, 2 * 16);
	assert_int_equal(cell64(p, 0), 0x8000000);
	assert_int_equal(cell64(p, 2), 0x1000);
	assert_int_equal(cell64(p, 4), 0x8010000);
	assert_int_equal(cell64(p, 6), 0x2000);
	/* Timer PPIs on GICv2 carry the CPU mask: 4 CPUs -> 0xf << 8, level high. */
	p = prop(fdt, "/timer", "interrupts", &len);
	assert_int_equal(fdt32_to_cpu(p[2]), 0xf04);
	release(f);
}

static void test_gicv2m(void **state)
{
	struct fixture *f = build(&gicv2m_ops, false, 8, NULL);
	const void *fdt = f->buf;
	const fdt32_t *p;
	int len;

	(void)state;
	assert_string_equal(prop(fdt, "/intc@8000000", "compatible", &len), "arm,cortex-a15-gic");
	assert_string_equal(prop(fdt, "/intc@8000000/v2m@2000000", "compatible", &len), "arm,gic-v2m-frame");
	prop(fdt, "/intc@8000000/v2m@2000000", "msi-controller", &len);
	p = prop(fdt, "/intc@8000000/v2m@2000000", "reg", &len);
	assert_int_equal(cell64(p, 0), 0x2000000);
	assert_int_equal(cell64(p, 2), 0x1000);
	p = prop(fdt, "/timer", "interrupts", &len);
	assert_int_equal(fdt32_to_cpu(p[2]), 0xff04); /* 8 CPUs */
	release(f);
}

static void test_timer_chosen_memory_uart(void **state)
{
	struct fixture *f = build(&gicv3_ops, false, 2, NULL);
	const void *fdt = f->buf;
	static const uint32_t want[12] = { 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4 };
	const fdt32_t *p;
	int len;

	(void)state;
	assert_string_equal(prop(fdt, "/timer", "compatible", &len), "arm,armv8-timer");
	p = prop(fdt, "/timer", "interrupts", &len);
	assert_int_equal(len, 12 * 4);
	for (unsigned i = 0; i < 12; i++)
		assert_int_equal(fdt32_to_cpu(p[i]), want[i]);
	/* No -p: the default console command line. */
	assert_string_equal(prop(fdt, "/chosen", "bootargs", &len),
			    "console=ttyS0 earlycon=uart8250,mmio,0x1000000");
	assert_string_equal(prop(fdt, "/chosen", "stdout-path", &len), "/uart@1000000");
	p = prop(fdt, "/chosen", "linux,initrd-start", &len);
	assert_int_equal(cell64(p, 0), 0x50000000);
	p = prop(fdt, "/chosen", "linux,initrd-end", &len);
	assert_int_equal(cell64(p, 0), 0x50123000);
	p = prop(fdt, "/memory@40000000", "reg", &len);
	assert_int_equal(cell64(p, 0), 0x40000000);
	assert_int_equal(cell64(p, 2), 512 << 20);
	assert_string_equal(prop(fdt, "/memory@40000000", "device_type", &len), "memory");
	assert_string_equal(prop(fdt, "/psci", "method", &len), "hvc");
	assert_string_equal(prop(fdt, "/uart@1000000", "compatible", &len), "ns16550a");
	p = prop(fdt, "/uart@1000000", "interrupts", &len);
	assert_int_equal(fdt32_to_cpu(p[0]), 0);
	assert_int_equal(fdt32_to_cpu(p[1]), guest_irqmap[IRQ_UART].intid - 32);
	release(f);
}

static void test_cmdline_exact(void **state)
{
	struct fixture *f = build(&gicv3_ops, false, 1, "root=/dev/vda  quiet");
	int len;

	(void)state;
	assert_string_equal(prop(f->buf, "/chosen", "bootargs", &len), "root=/dev/vda  quiet");
	release(f);
}

/* vCPU counts: cpu nodes carry KVM's MPIDR affinity; redistributors split at 123. */
static void check_vcpus(unsigned n)
{
	struct fixture *f = build(&gicv3_ops, true, n, NULL);
	const void *fdt = f->buf;
	unsigned low = n < 123 ? n : 123;
	const fdt32_t *p;
	char path[64];
	int len;

	p = prop(fdt, "/cpus", "#address-cells", &len);
	assert_int_equal(fdt32_to_cpu(p[0]), 1);
	for (unsigned i = 0; i < n; i++) {
		uint32_t aff = kvm_mpidr(i) & 0xffffff;

		snprintf(path, sizeof(path), "/cpus/cpu@%x", aff);
		p = prop(fdt, path, "reg", &len);
		assert_int_equal(len, 4);
		assert_int_equal(fdt32_to_cpu(p[0]), aff);
	}
	if (n > 16) { /* vCPU 16 is Aff1 = 1, Aff0 = 0 */
		assert_true(fdt_path_offset(fdt, "/cpus/cpu@100") >= 0);
	}
	p = prop(fdt, "/intc@8000000", "#redistributor-regions", &len);
	assert_int_equal(fdt32_to_cpu(p[0]), n > 123 ? 2 : 1);
	p = prop(fdt, "/intc@8000000", "reg", &len);
	assert_int_equal(len, (n > 123 ? 3 : 2) * 16);
	assert_int_equal(cell64(p, 6), low * 0x20000ULL);
	if (n > 123) {
		assert_int_equal(cell64(p, 8), guest_memmap[MEM_GIC_REDIST_HIGH].base);
		assert_int_equal(cell64(p, 10), (n - 123) * 0x20000ULL);
	}
	release(f);
}

/* The PMU node: arm,armv8-pmuv3 with PPI 7 (INTID 23), level high; on GICv2 the CPU mask. */
static void check_pmu(const struct irqchip_ops *gic, unsigned nr_vcpus, uint32_t flags)
{
	static const struct cpu_features pmu = { .pmu = true };
	struct fixture *f = build_cpu(gic, false, nr_vcpus, NULL, &pmu);
	const fdt32_t *p;
	int len;

	assert_string_equal(prop(f->buf, "/pmu", "compatible", &len), "arm,armv8-pmuv3");
	p = prop(f->buf, "/pmu", "interrupts", &len);
	assert_int_equal(len, 3 * 4);
	assert_int_equal(fdt32_to_cpu(p[0]), 1); /* GIC_PPI */
	assert_int_equal(fdt32_to_cpu(p[1]), guest_irqmap[IRQ_PMU].intid - 16);
	assert_int_equal(fdt32_to_cpu(p[1]), 7);
	assert_int_equal(fdt32_to_cpu(p[2]), flags);
	assert_true(fdt_path_offset(f->buf, "/reserved-memory") < 0);
	release(f);
}

static void test_pmu(void **state)
{
	struct fixture *f;

	(void)state;
	check_pmu(&gicv3_ops, 4, 4);
	check_pmu(&gicv2_ops, 4, 0xf04);
	check_pmu(&gicv2m_ops, 8, 0xff04);
	/* Without the feature: no node. */
	f = build(&gicv3_ops, false, 2, NULL);
	assert_true(fdt_path_offset(f->buf, "/pmu") < 0);
	release(f);
}

/* The pvtime region: /reserved-memory/pvtime@b000000, no-map, the memory map's region. */
static void test_pvtime(void **state)
{
	static const struct cpu_features pv = { .pvtime = true };
	struct fixture *f = build_cpu(&gicv3_ops, true, 2, NULL, &pv);
	const fdt32_t *p;
	int len;

	(void)state;
	p = prop(f->buf, "/reserved-memory", "#address-cells", &len);
	assert_int_equal(fdt32_to_cpu(p[0]), 2);
	p = prop(f->buf, "/reserved-memory", "#size-cells", &len);
	assert_int_equal(fdt32_to_cpu(p[0]), 2);
	prop(f->buf, "/reserved-memory", "ranges", &len);
	assert_int_equal(len, 0);
	p = prop(f->buf, "/reserved-memory/pvtime@b000000", "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(cell64(p, 0), guest_memmap[MEM_PVTIME].base);
	assert_int_equal(cell64(p, 2), guest_memmap[MEM_PVTIME].size);
	/* One 64-byte structure per vCPU fits for the most vCPUs. */
	assert_true(guest_memmap[MEM_PVTIME].size >= VMM_MAX_VCPUS * PVTIME_STRUCT_SIZE);
	prop(f->buf, "/reserved-memory/pvtime@b000000", "no-map", &len);
	assert_true(fdt_path_offset(f->buf, "/pmu") < 0);
	release(f);
	/* Outside RAM: the guest's /memory never covers it. */
	assert_true(guest_memmap[MEM_PVTIME].base + guest_memmap[MEM_PVTIME].size <= guest_memmap[MEM_RAM].base);
	f = build(&gicv3_ops, false, 2, NULL);
	assert_true(fdt_path_offset(f->buf, "/reserved-memory") < 0);
	release(f);
}

static void test_vcpu_counts(void **state)
{
	static const unsigned counts[] = { 1, 8, 9, 17, 64, 123, 124, 256, 512 };

	(void)state;
	for (unsigned i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		check_vcpus(counts[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gicv3_its),
		cmocka_unit_test(test_gicv3_no_its),
		cmocka_unit_test(test_gicv2),
		cmocka_unit_test(test_gicv2m),
		cmocka_unit_test(test_timer_chosen_memory_uart),
		cmocka_unit_test(test_cmdline_exact),
		cmocka_unit_test(test_vcpu_counts),
		cmocka_unit_test(test_pmu),
		cmocka_unit_test(test_pvtime),
	};
	return cmocka_run_group_tests_name("fdt", tests, NULL, NULL);
}
