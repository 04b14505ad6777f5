/* kernel_fmt.h - what a kernel file holds, told by its content: a raw arm64 Image, a
 * gzip or zstd compressed one, or an EFI zboot image wrapping a compressed one. */
#ifndef VMM_ARM64_KERNEL_FMT_H
#define VMM_ARM64_KERNEL_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "../../cli.h"
#include "../../decomp.h"

enum kernel_kind {
	KERNEL_RAW,   /* --kernel-format=raw: the bytes as they are */
	KERNEL_IMAGE, /* an Image, or anything not recognised as compressed (image_parse decides) */
	KERNEL_GZIP,  /* a gzip file (Image.gz, Debian and Ubuntu's vmlinuz) */
	KERNEL_ZSTD,  /* a zstd file (Image.zst) */
	KERNEL_ZBOOT, /* an EFI zboot PE file (CONFIG_EFI_ZBOOT: Fedora and newer distributions) */
};

struct kernel_file {
	enum kernel_kind kind;
	enum decomp_kind comp;            /* KERNEL_GZIP, KERNEL_ZSTD, KERNEL_ZBOOT */
	uint64_t payload_off, payload_len; /* the compressed stream within the file */
};

/* Bytes of the file's start kernel_detect needs (the zboot header, the Image header). */
#define KERNEL_DETECT_LEN 64

/* Tell what a file of file_size bytes holds from its first head_len (min(file_size,
 * KERNEL_DETECT_LEN)) bytes; every zboot offset and size is checked against file_size.
 * 0, -ENOEXEC (a compression not supported) or -EINVAL (a bad header), reason in why. */
int kernel_detect(const uint8_t *head, size_t head_len, uint64_t file_size, enum kernel_format fmt,
		  struct kernel_file *kf, char *why, size_t whylen);
/* "gzip", "zstd", "EFI zboot (gzip)", ...: what the file is, for messages. */
const char *kernel_kind_name(const struct kernel_file *kf);

#endif
