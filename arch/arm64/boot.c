/* boot.c - loading an arm64 kernel per Documentation/arch/arm64/booting.rst: a raw Image, or
 * a compressed one (kernel_fmt.c tells which) decompressed straight into guest RAM. */
#include "arch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../util.h"
#include "../../vm.h"
#include "kernel_fmt.h"

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
	if (ki->image_size > UINT64_MAX - ki->text_offset - SZ_1M) {
		/* Said as the header has it: the MiB below would wrap. */
		snprintf(why, whylen, "the Image header's image_size 0x%" PRIx64 " is larger than guest RAM (%" PRIu64
			 " MiB): raise -m, or the header is corrupt", ki->image_size, ram_size >> 20);
		return -ENOMEM;
	}
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

/* Read the kernel file's first bytes and tell what it holds; 0 or -errno, logged. */
static int kernel_identify(struct vm *vm, uint8_t *hdr, size_t *hlen, struct kernel_file *kf)
{
	const struct vm_config *cfg = vm->cfg;
	struct boot_info *bi = &vm->boot;
	char why[200];
	int ret;

	*hlen = bi->kernel_file_size < KERNEL_DETECT_LEN ? bi->kernel_file_size : KERNEL_DETECT_LEN;
	ret = read_full(bi->kernel_fd, hdr, *hlen, 0);
	if (ret) {
		log_err("kernel: reading %s: %s", cfg->kernel, strerror(-ret));
		return ret;
	}
	ret = kernel_detect(hdr, *hlen, bi->kernel_file_size, cfg->kernel_format, kf, why, sizeof(why));
	if (ret)
		log_err("kernel: %s: %s", cfg->kernel, why);
	return ret;
}

static bool is_compressed(const struct kernel_file *kf)
{
	return kf->kind == KERNEL_GZIP || kf->kind == KERNEL_ZSTD || kf->kind == KERNEL_ZBOOT;
}

/* A zboot error names the layer it is in: the payload, not the PE file around it. */
static const char *payload_prefix(const struct kernel_file *kf)
{
	return kf->kind == KERNEL_ZBOOT ? "EFI zboot payload: " : "";
}

/*
 * A compressed kernel: only its Image header is decompressed here (the first 64 bytes),
 * enough to plan placement; boot_load decompresses the rest straight into guest RAM. The
 * header's image_size is the Image's size in RAM, bss included (booting.rst), which the
 * decompressed file does not exceed (a zboot payload is padded to exactly it).
 */
static int compressed_header(struct vm *vm, const struct kernel_file *kf, struct kernel_image *ki)
{
	const char *path = vm->cfg->kernel;
	struct decomp_in in = { .fd = vm->boot.kernel_fd, .off = kf->payload_off, .len = kf->payload_len };
	uint8_t img[ARM64_IMAGE_HEADER_SIZE];
	const char *what = decomp_name(kf->comp);
	size_t got;
	char why[200];
	int ret;

	ret = decomp_head(kf->comp, &in, img, sizeof(img), &got, why, sizeof(why));
	if (ret) {
		log_err("kernel: %s: %s%s", path, payload_prefix(kf), why);
		return ret;
	}
	if (got < sizeof(img)) {
		log_err("kernel: %s: %sthe decompressed %s data (%zu bytes) is shorter than the 64-byte "
			"arm64 Image header", path, payload_prefix(kf), what, got);
		return -EINVAL;
	}
	if (le_load(img + 56, 4) != ARM64_IMAGE_MAGIC) {
		log_err("kernel: %s: %sthe decompressed %s data is not an arm64 Image (no \"ARM\\x64\" "
			"magic at offset 56)", path, payload_prefix(kf), what);
		return -ENOEXEC;
	}
	if (le_load(img + 16, 8) == 0) {
		/* Without image_size the size in RAM is only known after decompressing it all. */
		log_err("kernel: %s: a compressed Image without image_size (before Linux 3.17): "
			"decompress it and boot the raw Image", path);
		return -EINVAL;
	}
	ret = image_parse(img, sizeof(img), sizeof(img), KERNEL_FORMAT_IMAGE, ki, why, sizeof(why));
	if (ret)
		log_err("kernel: %s: %s%s", path, payload_prefix(kf), why);
	return ret;
}

int boot_prepare(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct boot_info *bi = &vm->boot;
	uint8_t hdr[KERNEL_DETECT_LEN];
	struct kernel_file kf;
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
	ret = kernel_identify(vm, hdr, &hlen, &kf);
	if (ret)
		return ret;
	if (is_compressed(&kf)) {
		ret = compressed_header(vm, &kf, &ki);
		if (ret)
			return ret;
	} else {
		ret = image_parse(hdr, hlen, bi->kernel_file_size, cfg->kernel_format, &ki, why, sizeof(why));
		if (ret) {
			log_err("kernel: %s: %s", cfg->kernel, why);
			return ret;
		}
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

/*
 * Decompress the kernel straight into guest RAM at its load address. The limit is the RAM
 * free above it, up to the initrd or the DTB: a stream that inflates past it (a bomb, or
 * a kernel too big for -m) stops there with an error, having used no memory of its own.
 */
static int load_compressed(struct vm *vm, const struct kernel_file *kf)
{
	struct boot_info *bi = &vm->boot;
	struct decomp_in in = { .fd = bi->kernel_fd, .off = kf->payload_off, .len = kf->payload_len };
	uint64_t next = bi->initrd_size ? bi->initrd_gpa : bi->dtb_gpa;
	uint64_t room = next - bi->kernel_gpa;
	void *dst = guest_mem_ptr(&vm->mem, bi->kernel_gpa, room);
	size_t got;
	char why[200];
	int ret;

	if (!dst)
		return -EFAULT; /* boot_plan placed both inside RAM */
	ret = decomp_run(kf->comp, &in, dst, room, &got, why, sizeof(why));
	if (ret == -EFBIG) {
		log_err("kernel: %s: the decompressed Image does not fit in the %" PRIu64 " MiB of guest RAM "
			"free for it: raise -m", vm->cfg->kernel, room >> 20);
		return ret;
	}
	if (ret) {
		log_err("kernel: %s: %s%s", vm->cfg->kernel, payload_prefix(kf), why);
		return ret;
	}
	/* The Image header may understate its size, as for a raw Image: the data still fits. */
	if (bi->kernel_gpa + got > bi->kernel_end)
		bi->kernel_end = bi->kernel_gpa + got;
	log_debug("kernel: %s: %s, %" PRIu64 " bytes decompressed to %zu", vm->cfg->kernel,
		  kernel_kind_name(kf), kf->payload_len, got);
	return 0;
}

int boot_load(struct vm *vm)
{
	struct boot_info *bi = &vm->boot;
	uint8_t hdr[KERNEL_DETECT_LEN];
	struct kernel_file kf;
	size_t hlen;
	int ret;

	/* Told again from the same open file: boot_info keeps no format (vm.h). */
	ret = kernel_identify(vm, hdr, &hlen, &kf);
	if (ret)
		goto out;
	if (is_compressed(&kf)) {
		ret = load_compressed(vm, &kf);
		if (ret)
			goto out;
	} else {
		ret = read_full(bi->kernel_fd, guest_mem_ptr(&vm->mem, bi->kernel_gpa, bi->kernel_file_size),
				bi->kernel_file_size, 0);
		if (ret) {
			log_err("kernel: reading %s: %s", vm->cfg->kernel, strerror(-ret));
			goto out;
		}
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
