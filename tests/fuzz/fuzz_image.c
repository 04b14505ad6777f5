/* fuzz_image.c - the arm64 Image loader (arch/arm64/boot.c): arbitrary kernel files through
 * header parsing, placement of kernel, initrd and DTB in RAM, and the copy into guest RAM.
 *
 * Input: options (format, RAM size, initrd size), then the kernel file. Two checks: the
 * plan keeps every piece inside RAM without overlaps, and the loaded bytes are the file's.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../arch/arm64/arch.h"
#include "../../arch/arm64/kernel_fmt.h"
#include "../../arch/arm64/memmap.h"
#include "../../util.h"
#include "fuzz.h"

#define RAM_MAX (64ULL << 20) /* the smallest RAM the CLI allows */

static struct vm *vm;
static struct vm_config cfg;
static int kernel_fd = -1, initrd_fd = -1;
static char kernel_path[64], initrd_path[64];

static void setup_once(void)
{
	const char *p;

	vm = fake_vm_create(RAM_MAX, FAKE_GICV3, 1);
	if (!(p = fake_file(NULL, 0, &kernel_fd)))
		abort();
	strcpy(kernel_path, p);
	if (!(p = fake_file(NULL, 0, &initrd_fd)))
		abort();
	strcpy(initrd_path, p);
	vm->cfg = &cfg;
}

/* The file the loader will open: exactly these bytes. */
static void set_file(int fd, const uint8_t *p, size_t n)
{
	if (ftruncate(fd, 0) || (n && pwrite(fd, p, n, 0) != (ssize_t)n))
		abort();
}

/* Kernel, initrd and DTB inside RAM, in that order, none overlapping (booting.rst). */
static void check_plan(const struct boot_info *bi, uint64_t file_size)
{
	uint64_t ram_end = vm->mem.gpa + vm->mem.size;

	FUZZ_CHECK(bi->kernel_gpa >= vm->mem.gpa && bi->kernel_gpa <= bi->kernel_end);
	FUZZ_CHECK(bi->kernel_end - bi->kernel_gpa >= file_size);
	FUZZ_CHECK(IS_ALIGNED(bi->dtb_gpa, SZ_2M) && bi->dtb_gpa >= bi->kernel_end);
	FUZZ_CHECK(bi->dtb_gpa + bi->dtb_max <= ram_end && bi->dtb_max <= SZ_2M);
	if (bi->initrd_size) {
		FUZZ_CHECK(IS_ALIGNED(bi->initrd_gpa, SZ_4K) && bi->initrd_gpa >= bi->kernel_end);
		FUZZ_CHECK(bi->initrd_gpa + bi->initrd_size <= bi->dtb_gpa);
	}
}

/* The pure planner with sizes no file on this machine could have (up to 255 GiB of RAM). */
static void plan_only(struct fuzz_in *in)
{
	uint64_t ram = (1 + fin_u64(in) % (guest_memmap[MEM_RAM].size / SZ_2M)) * SZ_2M;
	uint64_t file_size = fin_u64(in), initrd = fin_u64(in);
	struct kernel_image ki;
	struct boot_info bi = { 0 };
	uint8_t hdr[ARM64_IMAGE_HEADER_SIZE];
	char why[200];

	if (ram < CLI_MIN_MEM)
		ram = CLI_MIN_MEM;
	/* Sizes of every magnitude, not only near 2^64. */
	file_size >>= fin_u8(in) % 64;
	initrd >>= fin_u8(in) % 64;
	fin_bytes(in, hdr, sizeof(hdr));
	if (image_parse(hdr, sizeof(hdr), file_size, fin_u8(in) & 1, &ki, why, sizeof(why)))
		return;
	FUZZ_CHECK(ki.text_offset < SZ_2M && ki.image_size >= file_size);
	if (boot_plan(vm->mem.gpa, ram, &ki, initrd, SZ_64K, &bi, why, sizeof(why)) == 0) {
		uint64_t saved = vm->mem.size;

		vm->mem.size = ram;
		check_plan(&bi, file_size);
		vm->mem.size = saved;
	}
}

/* The real path: files opened, header read, plan, bytes copied into guest RAM. */
static void load(struct fuzz_in *in, uint8_t opts)
{
	/* Mostly small; sometimes up to RAM size and beyond (a sparse file: nothing written). */
	uint64_t isize = opts & 2 ? fin_u32(in) % (opts & 8 ? RAM_MAX + SZ_2M : SZ_64K) : 0;
	struct kernel_file kf;
	bool compressed;
	char why[200];

	set_file(kernel_fd, in->p, in->n);
	if (ftruncate(initrd_fd, 0) || ftruncate(initrd_fd, isize))
		abort();
	cfg.kernel = kernel_path;
	cfg.initrd = opts & 2 ? initrd_path : NULL;
	cfg.kernel_format = opts & 4 ? KERNEL_FORMAT_RAW : KERNEL_FORMAT_IMAGE;
	memset(&vm->boot, 0, sizeof(vm->boot));
	/* A compressed kernel (fuzz_kernel.c covers those) is planned from its Image header: its
	 * file size says nothing about its place, and RAM holds its decompressed bytes. */
	compressed = kernel_detect(in->p, in->n < KERNEL_DETECT_LEN ? in->n : KERNEL_DETECT_LEN, in->n,
				   cfg.kernel_format, &kf, why, sizeof(why)) == 0 &&
		     kf.kind != KERNEL_RAW && kf.kind != KERNEL_IMAGE;
	if (boot_prepare(vm) == 0) {
		check_plan(&vm->boot, compressed ? 0 : in->n);
		if (boot_load(vm) == 0 && !compressed)
			FUZZ_CHECK(!memcmp(vm->mem.hva + (vm->boot.kernel_gpa - vm->mem.gpa), in->p, in->n));
	}
	boot_close(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t opts = fin_u8(&in);

	if (!vm)
		setup_once();
	if (opts & 1)
		plan_only(&in);
	else
		load(&in, opts);
	return 0;
}
