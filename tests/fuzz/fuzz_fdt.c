/* fuzz_fdt.c - from the command line to the device tree: the input split into argv for
 * `vmm run` (cli.c); when it parses, the VM's devices are created as vm_create would (without
 * KVM; disks, kernel and initrd swapped for memfds) and the tree is built (fdt/,
 * arch/arm64/fdt_arch.c, the memory map) and checked with libfdt's fdt_check_full.
 *
 * Input: NUL- or newline-separated arguments after "run".
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libfdt.h>

#include "../../arch/arm64/arch.h"
#include "../../arch/arm64/memmap.h"
#include "../../devices/pci.h"
#include "../../devices/test_exit.h"
#include "../../devices/uart.h"
#include "../../fdt/fdt_build.h"
#include "../../util.h"
#include "../../virtio/devices.h"
#include "fuzz.h"

#define MAX_ARGS 64

static char kernel_path[64], initrd_path[64], disk_path[CLI_MAX_DISKS][64];
static uint8_t fdt[FDT_MAX_SIZE];

/* A minimal valid Image (header only), a one-page initrd and a small file per disk (one
 * each: a disk takes an exclusive lock), once. */
static void setup_once(void)
{
	static uint8_t image[ARM64_IMAGE_HEADER_SIZE], page[4096];
	const char *p;
	int fd;

	le_store(image + 8, 8, 0x80000);
	le_store(image + 16, 8, 0x100000);
	le_store(image + 56, 4, ARM64_IMAGE_MAGIC);
	if (!(p = fake_file(image, sizeof(image), &fd)))
		abort();
	strcpy(kernel_path, p);
	if (!(p = fake_file(page, sizeof(page), &fd)))
		abort();
	strcpy(initrd_path, p);
	for (unsigned i = 0; i < CLI_MAX_DISKS; i++) {
		if (!(p = fake_file(page, sizeof(page), &fd)))
			abort();
		strcpy(disk_path[i], p);
	}
}

/* Split at NUL and newline; argv[0] is "run". Returns argc. */
static int split_args(char *buf, size_t n, char **argv)
{
	int argc = 0;
	size_t start = 0;

	argv[argc++] = "run";
	for (size_t i = 0; i <= n && argc < MAX_ARGS; i++) {
		if (i == n || buf[i] == '\0' || buf[i] == '\n') {
			buf[i] = '\0';
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	return argc;
}

/* The files the user named stay unopened: a fuzzer must not open /dev/watchdog O_RDWR. */
static void swap_files(struct vm_config *cfg)
{
	cfg->kernel = kernel_path;
	if (cfg->initrd)
		cfg->initrd = initrd_path;
	for (unsigned i = 0; i < cfg->nr_disks; i++)
		cfg->disks[i].path = disk_path[i];
}

static enum fake_gic gic_of(const struct vm_config *cfg)
{
	/* auto picks v3 with an ITS where the host has one: assume it does. */
	if (cfg->gic == GIC_V2)
		return FAKE_GICV2;
	if (cfg->gic == GIC_V2M)
		return FAKE_GICV2M;
	return cfg->its || cfg->gic == GIC_AUTO ? FAKE_GICV3_ITS : FAKE_GICV3;
}

static struct test_exit *test_exit;

/* vm_create's devices, in its order: UART, test-exit, PCI (or none), virtio devices. */
static void create_devices(struct vm *vm, const struct vm_config *cfg)
{
	bool virtio = cfg->nr_disks || cfg->rng || cfg->virtio_console;

	if (!virtio || cfg->virtio_mmio) {
		mmio_bus_unregister(&vm->mmio, guest_memmap[MEM_PCI_ECAM].base, vm->pci);
		test_env_pci_destroy(vm);
	}
	FUZZ_CHECK(!uart_create(&vm->env, guest_memmap[MEM_UART].base, guest_irqmap[IRQ_UART].intid, NULL, &vm->uart));
	FUZZ_CHECK(!test_exit_create(&vm->env, guest_memmap[MEM_TEST_EXIT].base, &test_exit));
	for (unsigned i = 0; i < cfg->nr_disks; i++)
		FUZZ_CHECK(!virtio_blk_create(&vm->vhost, cfg->disks[i].path, cfg->disks[i].read_only, i,
					      &vm->virtio[vm->nr_virtio++]));
	if (cfg->rng)
		FUZZ_CHECK(!virtio_rng_create(&vm->vhost, &vm->virtio[vm->nr_virtio++]));
	if (cfg->virtio_console)
		FUZZ_CHECK(!virtio_console_create(&vm->vhost, NULL, &vm->virtio[vm->nr_virtio++]));
}

/* What the tree must say about this configuration. */
static void check_tree(const struct vm *vm, const struct vm_config *cfg)
{
	int node, len, cpus = 0;
	const char *args;

	FUZZ_CHECK(fdt_check_full(fdt, sizeof(fdt)) == 0);
	node = fdt_path_offset(fdt, "/chosen");
	FUZZ_CHECK(node >= 0);
	args = fdt_getprop(fdt, node, "bootargs", &len);
	FUZZ_CHECK(args && (!cfg->cmdline || !strcmp(args, cfg->cmdline)));
	FUZZ_CHECK(!cfg->initrd || fdt_getprop(fdt, node, "linux,initrd-start", &len));
	node = fdt_path_offset(fdt, "/cpus");
	FUZZ_CHECK(node >= 0);
	for (int sub = fdt_first_subnode(fdt, node); sub >= 0; sub = fdt_next_subnode(fdt, sub))
		cpus++;
	FUZZ_CHECK(cpus == (int)vm->nr_vcpus);
	FUZZ_CHECK((fdt_path_offset(fdt, "/pcie@30000000") >= 0) == (vm->pci != NULL));
}

static void build(const struct vm_config *cfg)
{
	struct vm *vm = fake_vm_create(0, gic_of(cfg), cfg->nr_vcpus);
	char why[160];
	int ret;

	vm->cfg = cfg;
	vm->mem.size = cfg->mem_size; /* the tree needs the size, not the memory */
	FUZZ_CHECK(!memmap_check(guest_memmap, MEM_NR, why, sizeof(why)));
	create_devices(vm, cfg);
	ret = boot_prepare(vm);
	boot_close(vm);
	if (ret == 0) {
		FUZZ_CHECK(arch_fdt_build(vm, fdt, sizeof(fdt)) == 0);
		check_tree(vm, cfg);
	}
	test_exit_destroy(test_exit);
	test_exit = NULL;
	fake_vm_destroy(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm_config cfg;
	char *argv[MAX_ARGS + 1] = { 0 }, err[256];
	char *buf = malloc(size + 1);
	int argc;

	if (!buf)
		abort();
	if (!kernel_path[0])
		setup_once();
	memcpy(buf, data, size);
	argc = split_args(buf, size, argv);
	if (cli_parse_run(argc, argv, &cfg, err, sizeof(err)) == 0 && !cfg.help) {
		FUZZ_CHECK(cfg.kernel && cfg.nr_vcpus >= 1 && cfg.nr_vcpus <= VMM_MAX_VCPUS);
		swap_files(&cfg);
		build(&cfg);
	} else {
		FUZZ_CHECK(cfg.help || err[0]); /* a refusal always says why */
	}
	free(buf);
	return 0;
}
