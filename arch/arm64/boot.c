/* boot.c - loading an arm64 kernel per Documentation/arch/arm64/booting.rst. */
#include "arch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../util.h"
#include "../../vm.h"

int image_parse(const uint8_t *hdr, size_t hdr_len, uint64_t file_size, enum kernel_format fmt,
		struct kernel_image *ki, char *why, size_t whylen)
{
	if (file_size == 0) {
		snprintf(why, whylen, "the file is empty");
		return -EINVAL;
	}
	ki->file_size = file_size;
	if (fmt == KERNEL_FORMAT_RAW) {
		/* A bare payload is placed like an Image with text_offset 0x80000. */
		ki->text_offset = ARM64_RAW_TEXT_OFFSET;
		ki->image_size = file_size;
		return 0;
	}
	if (hdr_len < ARM64_IMAGE_HEADER_SIZE || file_size < ARM64_IMAGE_HEADER_SIZE) {
		snprintf(why, whylen, "truncated: %" PRIu64 " bytes is shorter than the 64-byte arm64 Image header",
			 file_size);
		return -EINVAL;
	}
	if (le_load(hdr + 56, 4) != ARM64_IMAGE_MAGIC) {
		snprintf(why, whylen, "not an arm64 Image (no \"ARM\\x64\" magic at offset 56); "
				      "use --kernel-format=raw for a bare-metal payload");
		return -ENOEXEC;
	}
	ki->text_offset = le_load(hdr + 8, 8);
	ki->image_size = le_load(hdr + 16, 8);
	if (ki->image_size == 0) {
		/* Pre-3.17 kernels: image_size is 0 and text_offset is 0x80000 (booting.rst). */
		ki->text_offset = ARM64_RAW_TEXT_OFFSET;
		ki->image_size = file_size;
	}
	if (ki->text_offset >= SZ_2M || !IS_ALIGNED(ki->text_offset, 8)) {
		snprintf(why, whylen, "Image text_offset 0x%" PRIx64 " is not below 2 MiB", ki->text_offset);
		return -EINVAL;
	}
	if (ki->image_size < file_size) {
		/* The header understates the size: the whole file still has to fit. */
		ki->image_size = file_size;
	}
	return 0;
}

int boot_plan(uint64_t ram_gpa, uint64_t ram_size, const struct kernel_image *ki,
	      uint64_t initrd_size, uint64_t dtb_max, struct boot_info *bi, char *why, size_t whylen)
{
	uint64_t ram_end = ram_gpa + ram_size;

	/* The kernel goes text_offset above a 2 MiB aligned base: the start of RAM. */
	bi->kernel_gpa = ram_gpa + ki->text_offset;
	if (ram_size < ki->text_offset || ki->image_size > ram_size - ki->text_offset) {
		snprintf(why, whylen, "kernel needs %" PRIu64 " MiB but guest RAM is %" PRIu64
			 " MiB: raise -m", (ki->text_offset + ki->image_size + SZ_1M - 1) >> 20,
			 ram_size >> 20);
		return -ENOMEM;
	}
	bi->kernel_end = bi->kernel_gpa + ki->image_size;

	/* The DTB gets the last 2 MiB block alone: the kernel maps it with 2 MiB blocks. */
	bi->dtb_max = dtb_max;
	bi->dtb_gpa = ram_end - SZ_2M;
	if (bi->dtb_gpa < ALIGN_UP(bi->kernel_end, SZ_2M)) {
		snprintf(why, whylen, "no room for the device tree above the kernel (%" PRIu64
			 " MiB RAM): raise -m", ram_size >> 20);
		return -ENOMEM;
	}

	/* The initrd sits just below the DTB, page aligned. */
	bi->initrd_size = initrd_size;
	bi->initrd_gpa = 0;
	if (initrd_size) {
		uint64_t room = bi->dtb_gpa - ALIGN_UP(bi->kernel_end, SZ_4K);

		if (initrd_size > room) {
			snprintf(why, whylen, "initrd (%" PRIu64 " MiB) does not fit in guest RAM beside the kernel "
				 "(%" PRIu64 " MiB free): raise -m", (initrd_size + SZ_1M - 1) >> 20, room >> 20);
			return -ENOMEM;
		}
		bi->initrd_gpa = (bi->dtb_gpa - initrd_size) & ~(SZ_4K - 1);
	}
	return 0;
}

/* Open a file the user named and get its size; -errno with the reason logged. */
static int open_input(const char *what, const char *path, uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		log_err("%s: cannot open %s: %s", what, path, strerror(err));
		return -err;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_err("%s: %s is not a regular file", what, path);
		close(fd);
		return -EINVAL;
	}
	*size = st.st_size;
	return fd;
}

int boot_prepare(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct boot_info *bi = &vm->boot;
	uint8_t hdr[ARM64_IMAGE_HEADER_SIZE];
	struct kernel_image ki;
	uint64_t isize = 0;
	size_t hlen;
	char why[200];
	int ret;

	bi->kernel_fd = bi->initrd_fd = -1;
	ret = open_input("kernel", cfg->kernel, &bi->kernel_file_size);
	if (ret < 0)
		return ret;
	bi->kernel_fd = ret;
	hlen = bi->kernel_file_size < sizeof(hdr) ? bi->kernel_file_size : sizeof(hdr);
	ret = read_full(bi->kernel_fd, hdr, hlen, 0);
	if (ret) {
		log_err("kernel: reading %s: %s", cfg->kernel, strerror(-ret));
		return ret;
	}
	ret = image_parse(hdr, hlen, bi->kernel_file_size, cfg->kernel_format, &ki, why, sizeof(why));
	if (ret) {
		log_err("kernel: %s: %s", cfg->kernel, why);
		return ret;
	}
	if (cfg->initrd) {
		ret = open_input("initrd", cfg->initrd, &isize);
		if (ret < 0)
			return ret;
		bi->initrd_fd = ret;
		if (isize == 0) {
			log_err("initrd: %s is empty", cfg->initrd);
			return -EINVAL;
		}
	}
	ret = boot_plan(vm->mem.gpa, vm->mem.size, &ki, isize, SZ_64K, bi, why, sizeof(why));
	if (ret)
		log_err("boot: %s", why);
	return ret;
}

int boot_load(struct vm *vm)
{
	struct boot_info *bi = &vm->boot;
	int ret;

	ret = read_full(bi->kernel_fd, guest_mem_ptr(&vm->mem, bi->kernel_gpa, bi->kernel_file_size),
			bi->kernel_file_size, 0);
	if (ret) {
		log_err("kernel: reading %s: %s", vm->cfg->kernel, strerror(-ret));
		goto out;
	}
	if (bi->initrd_fd >= 0) {
		ret = read_full(bi->initrd_fd, guest_mem_ptr(&vm->mem, bi->initrd_gpa, bi->initrd_size),
				bi->initrd_size, 0);
		if (ret)
			log_err("initrd: reading %s: %s", vm->cfg->initrd, strerror(-ret));
	}
out:
	boot_close(vm);
	return ret;
}

void boot_close(struct vm *vm)
{
	if (vm->boot.initrd_fd >= 0)
		close(vm->boot.initrd_fd);
	if (vm->boot.kernel_fd >= 0)
		close(vm->boot.kernel_fd);
	vm->boot.initrd_fd = vm->boot.kernel_fd = -1;
}
