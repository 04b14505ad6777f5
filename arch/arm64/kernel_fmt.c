/* kernel_fmt.c - telling kernel file formats apart by content, never by file name. */
#include "kernel_fmt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../util.h"
#include "arch.h"

/*
 * The EFI zboot header (Linux drivers/firmware/efi/libstub/zboot-header.S; MZ_MAGIC from
 * include/linux/pe.h), little endian:
 *    0  .long MZ_MAGIC             "MZ\0\0" (the PE/COFF MS-DOS stub signature)
 *    4  .ascii "zimg"              image type
 *    8  .long payload offset       from the start of the file
 *   12  .long payload size         __efistub__gzdata_size - ZBOOT_SIZE_LEN: for gzip the
 *                                  whole member; for the others without the le32 size
 *                                  Makefile.zboot appends ("_with_size")
 *   16  .long 0, 0                 reserved
 *   24  .asciz COMP_TYPE           "gzip", "zstd22" (older trees: "zstd"), "xzkern", "lz4",
 *                                  "lzma", "lzo" (Makefile.zboot comp-type-y)
 *   56  .long LINUX_PE_MAGIC, 60  .long the PE header offset
 * The payload decompresses to the raw Image, padded to its image_size (Makefile.zboot
 * copy_and_pad): the kernel to load.
 */
#define ZBOOT_TYPE_OFF   24
#define ZBOOT_TYPE_MAX   (56 - ZBOOT_TYPE_OFF) /* the string and its NUL before offset 56 */
#define ZBOOT_HEADER_LEN 64

static const char *const unsupported[][2] = {
	/* magic, name: compressions Linux can build a kernel with, refused by name */
	{ "\xfd" "7zXZ", "xz" },
	{ "\x04\x22\x4d\x18", "lz4" },
	{ "\x02\x21\x4c\x18", "lz4 (legacy)" },
	{ "\x89LZO", "lzo" },
	{ "BZh", "bzip2" },
};

/* The zboot compression string with anything unprintable replaced, for the error line. */
static void printable(const uint8_t *s, size_t n, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < n && s[i] && i + 1 < outlen; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' ? s[i] : '?';
	out[i] = 0;
}

static int zboot_parse(const uint8_t *h, size_t hlen, uint64_t file_size, struct kernel_file *kf,
		       char *why, size_t whylen)
{
	const uint8_t *type = h + ZBOOT_TYPE_OFF;
	uint64_t off, len;
	char name[ZBOOT_TYPE_MAX + 1];

	if (hlen < ZBOOT_HEADER_LEN || file_size < ZBOOT_HEADER_LEN) {
		snprintf(why, whylen, "truncated EFI zboot image: %" PRIu64 " bytes is shorter than its "
			 "%d-byte header", file_size, ZBOOT_HEADER_LEN);
		return -EINVAL;
	}
	if (!memchr(type, 0, ZBOOT_TYPE_MAX)) {
		snprintf(why, whylen, "corrupt EFI zboot header: the compression type at offset %d is not "
			 "NUL-terminated", ZBOOT_TYPE_OFF);
		return -EINVAL;
	}
	if (!strcmp((const char *)type, "gzip")) {
		kf->comp = DECOMP_GZIP;
	} else if (!strcmp((const char *)type, "zstd22") || !strcmp((const char *)type, "zstd")) {
		kf->comp = DECOMP_ZSTD;
	} else {
		printable(type, ZBOOT_TYPE_MAX, name, sizeof(name));
		snprintf(why, whylen, "unknown EFI zboot compression \"%s\" (gzip and zstd are supported)",
			 name);
		return -ENOEXEC;
	}
	off = le_load(h + 8, 4);
	len = le_load(h + 12, 4);
	/* Both are 32-bit: their sum cannot wrap in 64 bits, but keep the check overflow-safe. */
	if (len == 0) {
		snprintf(why, whylen, "corrupt EFI zboot header: the payload size is 0");
		return -EINVAL;
	}
	if (off < ZBOOT_HEADER_LEN) {
		snprintf(why, whylen, "corrupt EFI zboot header: the payload offset 0x%" PRIx64
			 " is inside the header", off);
		return -EINVAL;
	}
	if (off > file_size || len > file_size - off) {
		snprintf(why, whylen, "EFI zboot payload (offset 0x%" PRIx64 ", %" PRIu64 " bytes) is past "
			 "the end of the %" PRIu64 "-byte file", off, len, file_size);
		return -EINVAL;
	}
	kf->kind = KERNEL_ZBOOT;
	kf->payload_off = off;
	kf->payload_len = len;
	return 0;
}

int kernel_detect(const uint8_t *head, size_t head_len, uint64_t file_size, enum kernel_format fmt,
		  struct kernel_file *kf, char *why, size_t whylen)
{
	memset(kf, 0, sizeof(*kf));
	kf->payload_len = file_size;
	if (head_len > file_size)
		head_len = file_size;
	if (fmt == KERNEL_FORMAT_RAW) {
		kf->kind = KERNEL_RAW;
		return 0;
	}
	kf->kind = KERNEL_IMAGE;
	/* An Image with the EFI stub starts with "MZ" too: its own magic decides first. */
	if (head_len >= ARM64_IMAGE_HEADER_SIZE && le_load(head + 56, 4) == ARM64_IMAGE_MAGIC)
		return 0;
	if (head_len >= 8 && !memcmp(head, "MZ", 2) && !memcmp(head + 4, "zimg", 4))
		return zboot_parse(head, head_len, file_size, kf, why, whylen);
	/* RFC 1952: ID1 ID2 = 1f 8b. */
	if (head_len >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
		kf->kind = KERNEL_GZIP;
		kf->comp = DECOMP_GZIP;
		return 0;
	}
	/* RFC 8878: the frame magic 0xFD2FB528, little endian. */
	if (head_len >= 4 && le_load(head, 4) == 0xfd2fb528u) {
		kf->kind = KERNEL_ZSTD;
		kf->comp = DECOMP_ZSTD;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++) {
		size_t n = strlen(unsupported[i][0]);

		if (head_len >= n && !memcmp(head, unsupported[i][0], n)) {
			snprintf(why, whylen, "a %s-compressed kernel: not supported (raw, gzip and zstd "
				 "Images and EFI zboot gzip/zstd images are)", unsupported[i][1]);
			return -ENOEXEC;
		}
	}
	return 0; /* image_parse says what is wrong, if anything */
}

const char *kernel_kind_name(const struct kernel_file *kf)
{
	switch (kf->kind) {
	case KERNEL_RAW: return "raw payload";
	case KERNEL_IMAGE: return "Image";
	case KERNEL_GZIP: return "gzip";
	case KERNEL_ZSTD: return "zstd";
	case KERNEL_ZBOOT: return kf->comp == DECOMP_GZIP ? "EFI zboot (gzip)" : "EFI zboot (zstd)";
	}
	return "?";
}
