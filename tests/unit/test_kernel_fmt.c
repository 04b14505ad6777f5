/* Unit tests: kernel formats told by content (arch/arm64/kernel_fmt.c) and loaded by
 * boot_prepare/boot_load: raw, gzip and zstd Images and EFI zboot images (gzip, zstd),
 * good and hostile (zboot offsets and sizes past the file or overflowing, unknown
 * compressions, truncated and corrupt streams, a bomb past guest RAM). Fixtures are made
 * here with zlib and libzstd. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "../../arch/arm64/arch.h"
#include "../../arch/arm64/kernel_fmt.h"
#include "../../util.h"
#include "../../vm.h"

static char why[256];
static char logbuf[4096];

static size_t log_put(void *arg, const void *buf, size_t len)
{
	size_t have = strlen(logbuf);

	(void)arg;
	if (have + len < sizeof(logbuf)) {
		memcpy(logbuf + have, buf, len);
		logbuf[have + len] = 0;
	}
	return len;
}

/* An Image: header (text_offset, image_size, magic) and a recognisable body. */
static uint8_t *make_image(size_t n, uint64_t text_offset, uint64_t image_size)
{
	uint8_t *p = malloc(n);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + i / 1000);
	memset(p, 0, ARM64_IMAGE_HEADER_SIZE);
	memcpy(p, "MZ", 2); /* as an EFI-stub Image starts */
	le_store(p + 8, 8, text_offset);
	le_store(p + 16, 8, image_size);
	le_store(p + 56, 4, ARM64_IMAGE_MAGIC);
	return p;
}

static uint8_t *gzip_of(const uint8_t *src, size_t n, size_t *out_n)
{
	uLongf cap = n + n / 100 + 1024;
	z_stream zs = { 0 };
	uint8_t *out = malloc(cap);

	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (uint8_t *)src, zs.avail_in = n, zs.next_out = out, zs.avail_out = cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_n = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static uint8_t *zstd_of(const uint8_t *src, size_t n, size_t *out_n)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *out = malloc(cap);

	*out_n = ZSTD_compress(out, cap, src, n, 3);
	assert_false(ZSTD_isError(*out_n));
	return out;
}

/* An EFI zboot file as Linux lays it out (zboot-header.S): header, payload at 4096, and
 * for zstd the le32 size Makefile.zboot appends, outside the payload size. */
static uint8_t *make_zboot(const char *type, const uint8_t *payload, size_t pn, size_t *out_n)
{
	size_t n = 4096 + pn + 4 + 512;
	uint8_t *f = calloc(1, n);

	memcpy(f, "MZ\0\0zimg", 8);
	le_store(f + 8, 4, 4096);
	le_store(f + 12, 4, pn);
	strcpy((char *)f + 24, type);
	le_store(f + 56, 4, 0x818223cd); /* LINUX_PE_MAGIC */
	le_store(f + 60, 4, 64);
	memcpy(f + 4096, payload, pn);
	le_store(f + 4096 + pn, 4, 0x12345678);
	*out_n = n;
	return f;
}

static int detect(const uint8_t *f, size_t n, struct kernel_file *kf)
{
	why[0] = 0;
	return kernel_detect(f, n < KERNEL_DETECT_LEN ? n : KERNEL_DETECT_LEN, n, KERNEL_FORMAT_IMAGE, kf,
			     why, sizeof(why));
}

static void test_detect(void **state)
{
	uint8_t *img = make_image(4096, 0, 1 << 20), *gz, *zs, *zb;
	size_t gn, zn, bn;
	struct kernel_file kf;

	(void)state;
	assert_int_equal(detect(img, 4096, &kf), 0);
	assert_int_equal(kf.kind, KERNEL_IMAGE); /* "MZ" at 0 but the Image magic at 56 */
	assert_int_equal(kernel_detect(img, 64, 4096, KERNEL_FORMAT_RAW, &kf, why, sizeof(why)), 0);
	assert_int_equal(kf.kind, KERNEL_RAW);
	gz = gzip_of(img, 4096, &gn);
	assert_int_equal(detect(gz, gn, &kf), 0);
	assert_int_equal(kf.kind, KERNEL_GZIP);
	assert_int_equal(kf.payload_off, 0);
	assert_int_equal(kf.payload_len, gn);
	/* --kernel-format=raw keeps the bytes as they are, compressed or not. */
	assert_int_equal(kernel_detect(gz, 64, gn, KERNEL_FORMAT_RAW, &kf, why, sizeof(why)), 0);
	assert_int_equal(kf.kind, KERNEL_RAW);
	zs = zstd_of(img, 4096, &zn);
	assert_int_equal(detect(zs, zn, &kf), 0);
	assert_int_equal(kf.kind, KERNEL_ZSTD);
	zb = make_zboot("gzip", gz, gn, &bn);
	assert_int_equal(detect(zb, bn, &kf), 0);
	assert_int_equal(kf.kind, KERNEL_ZBOOT);
	assert_int_equal(kf.comp, DECOMP_GZIP);
	assert_int_equal(kf.payload_off, 4096);
	assert_int_equal(kf.payload_len, gn);
	assert_string_equal(kernel_kind_name(&kf), "EFI zboot (gzip)");
	free(zb);
	zb = make_zboot("zstd22", zs, zn, &bn);
	assert_int_equal(detect(zb, bn, &kf), 0);
	assert_int_equal(kf.comp, DECOMP_ZSTD);
	free(zb);
	zb = make_zboot("zstd", zs, zn, &bn);
	assert_int_equal(detect(zb, bn, &kf), 0);
	assert_int_equal(kf.comp, DECOMP_ZSTD);
	/* Anything else falls to image_parse, which names what is missing. */
	assert_int_equal(detect((const uint8_t *)"070701", 6, &kf), 0);
	assert_int_equal(kf.kind, KERNEL_IMAGE);
	assert_int_equal(detect(NULL, 0, &kf), 0);
	assert_int_equal(kf.kind, KERNEL_IMAGE);
	free(zb), free(img), free(gz), free(zs);
}

static void test_detect_hostile(void **state)
{
	uint8_t payload[100] = { 0x1f, 0x8b }, *zb;
	size_t bn;
	struct kernel_file kf;

	(void)state;
	zb = make_zboot("xzkern", payload, sizeof(payload), &bn);
	assert_int_equal(detect(zb, bn, &kf), -ENOEXEC);
	assert_non_null(strstr(why, "unknown EFI zboot compression \"xzkern\""));
	memset(zb + 24, 'A', 32); /* no NUL before offset 56 */
	assert_int_equal(detect(zb, bn, &kf), -EINVAL);
	assert_non_null(strstr(why, "not NUL-terminated"));
	strcpy((char *)zb + 24, "gz\x01\"ip");
	assert_int_equal(detect(zb, bn, &kf), -ENOEXEC);
	assert_non_null(strstr(why, "\"gz??ip\"")); /* unprintable bytes never reach the log */
	memset(zb + 24, 0, 32);
	strcpy((char *)zb + 24, "gzip");
	/* Offsets and sizes past the file, overflowing 32 bits, inside the header, empty. */
	const uint32_t bad[][2] = {
		{ 4096, 101 + 4 + 512 }, { 0xffffffff, 0xffffffff }, { 0xffffff00, 0x200 },
		{ 4096, 0xffffffff }, { (uint32_t)bn, 1 }, { (uint32_t)bn + 1, 0x10 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		le_store(zb + 8, 4, bad[i][0]);
		le_store(zb + 12, 4, bad[i][1]);
		assert_int_equal(detect(zb, bn, &kf), -EINVAL);
		assert_non_null(strstr(why, "past the end of the"));
	}
	le_store(zb + 8, 4, 4096);
	le_store(zb + 12, 4, 0);
	assert_int_equal(detect(zb, bn, &kf), -EINVAL);
	assert_non_null(strstr(why, "payload size is 0"));
	le_store(zb + 8, 4, 16);
	le_store(zb + 12, 4, 100);
	assert_int_equal(detect(zb, bn, &kf), -EINVAL);
	assert_non_null(strstr(why, "inside the header"));
	/* The payload ending exactly at the end of the file is fine. */
	le_store(zb + 8, 4, bn - 100);
	assert_int_equal(detect(zb, bn, &kf), 0);
	assert_int_equal(kf.payload_off + kf.payload_len, bn);
	/* A zboot header cut short. */
	assert_int_equal(detect(zb, 40, &kf), -EINVAL);
	assert_non_null(strstr(why, "truncated EFI zboot image"));
	/* Compressions Linux can build but vmm does not read are refused by name. */
	assert_int_equal(detect((const uint8_t *)"\xfd" "7zXZ\0\0\0", 8, &kf), -ENOEXEC);
	assert_non_null(strstr(why, "xz-compressed kernel: not supported"));
	assert_int_equal(detect((const uint8_t *)"\x04\x22\x4d\x18....", 8, &kf), -ENOEXEC);
	free(zb);
}

/* ---- through boot_prepare and boot_load, on a VM with RAM and nothing else ---- */

#define RAM_GPA  0x40000000ULL
#define RAM_SIZE (64ULL << 20)

static struct vm vm;
static struct vm_config cfg;
static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	strcpy(path, "/tmp/test_kernel_fmt.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	memset(&vm, 0, sizeof(vm));
	memset(&cfg, 0, sizeof(cfg));
	vm.mem.gpa = RAM_GPA;
	vm.mem.size = RAM_SIZE;
	vm.mem.hva = calloc(1, RAM_SIZE);
	vm.cfg = &cfg;
	cfg.kernel = path;
	cfg.kernel_format = KERNEL_FORMAT_IMAGE;
	log_set_sink(log_put, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_set_sink(NULL, NULL);
	unlink(path);
	free(vm.mem.hva);
	return 0;
}

static void write_file(const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* Prepare and load the file; 0 or the first error, the log in logbuf. */
static int boot_file(const uint8_t *p, size_t n)
{
	int ret;

	write_file(p, n);
	logbuf[0] = 0;
	memset(&vm.boot, 0, sizeof(vm.boot));
	memset(vm.mem.hva, 0, RAM_SIZE);
	ret = boot_prepare(&vm);
	if (!ret)
		ret = boot_load(&vm);
	else
		boot_close(&vm);
	if (getenv("TEST_SHOW_LOG"))
		fprintf(stderr, "%s", logbuf);
	return ret;
}

static void check_loaded(const uint8_t *img, size_t n, uint64_t text_offset)
{
	assert_int_equal(vm.boot.kernel_gpa, RAM_GPA + text_offset);
	assert_memory_equal(vm.mem.hva + text_offset, img, n);
	assert_true(vm.boot.kernel_end >= vm.boot.kernel_gpa + n);
	assert_int_equal(vm.boot.kernel_fd, -1); /* closed */
}

static void test_boot_formats(void **state)
{
	size_t n = 3 << 20, gn, zn, bn;
	uint8_t *img = make_image(n, 0x80000, 4 << 20), *gz = gzip_of(img, n, &gn), *zs = zstd_of(img, n, &zn);
	uint8_t *zb;

	(void)state;
	assert_int_equal(boot_file(img, n), 0);
	check_loaded(img, n, 0x80000);
	assert_int_equal(boot_file(gz, gn), 0);
	check_loaded(img, n, 0x80000);
	assert_int_equal(vm.boot.kernel_end, RAM_GPA + 0x80000 + (4 << 20));
	assert_int_equal(boot_file(zs, zn), 0);
	check_loaded(img, n, 0x80000);
	zb = make_zboot("gzip", gz, gn, &bn);
	assert_int_equal(boot_file(zb, bn), 0);
	check_loaded(img, n, 0x80000);
	free(zb);
	zb = make_zboot("zstd22", zs, zn, &bn);
	assert_int_equal(boot_file(zb, bn), 0);
	check_loaded(img, n, 0x80000);
	/* --kernel-format=raw: the zboot file itself, byte for byte, at 0x80000. */
	cfg.kernel_format = KERNEL_FORMAT_RAW;
	assert_int_equal(boot_file(zb, bn), 0);
	check_loaded(zb, bn, 0x80000);
	cfg.kernel_format = KERNEL_FORMAT_IMAGE;
	free(zb), free(img), free(gz), free(zs);
}

static void test_boot_errors(void **state)
{
	size_t n = 3 << 20, gn, zn, bn;
	uint8_t *img = make_image(n, 0, 4 << 20), *gz = gzip_of(img, n, &gn), *zs = zstd_of(img, n, &zn);
	uint8_t *zb, *bomb, *notimg;

	(void)state;
	/* Cut after the header: planned, then refused while loading. */
	assert_int_equal(boot_file(gz, gn / 2), -ENODATA);
	assert_non_null(strstr(logbuf, "kernel: "));
	assert_non_null(strstr(logbuf, ": truncated gzip stream"));
	assert_null(strchr(logbuf, '\n') == logbuf + strlen(logbuf) - 1 ? NULL : "more than one line");
	assert_int_equal(boot_file(gz, 10), -ENODATA);
	assert_non_null(strstr(logbuf, "truncated gzip stream"));
	zb = make_zboot("zstd22", zs, zn, &bn);
	zb[4096 + zn / 2] ^= 0xff;
	assert_int_not_equal(boot_file(zb, bn), 0);
	assert_non_null(strstr(logbuf, "EFI zboot payload: corrupt zstd frame"));
	/* The file cut off inside the payload: refused before any decompression. */
	assert_int_equal(boot_file(zb, 4096 + zn - 1), -EINVAL);
	assert_non_null(strstr(logbuf, "EFI zboot payload (offset 0x1000"));
	assert_non_null(strstr(logbuf, "is past the end of the"));
	free(zb);
	zb = make_zboot("lz4", zs, zn, &bn);
	assert_int_equal(boot_file(zb, bn), -ENOEXEC);
	assert_non_null(strstr(logbuf, "unknown EFI zboot compression \"lz4\""));
	free(zb);
	/* A bomb: a small header saying 4 MiB, then 80 MiB of zeros; RAM is 64 MiB. */
	bomb = calloc(1, 80 << 20);
	memcpy(bomb, img, 64);
	free(gz);
	gz = gzip_of(bomb, 80 << 20, &gn);
	assert_true(gn < (1 << 20));
	assert_int_equal(boot_file(gz, gn), -EFBIG);
	assert_non_null(strstr(logbuf, "the decompressed Image does not fit in the 62 MiB of guest RAM "
				       "free for it: raise -m"));
	free(zs);
	zs = zstd_of(bomb, 80 << 20, &zn);
	assert_int_equal(boot_file(zs, zn), -EFBIG);
	assert_non_null(strstr(logbuf, "raise -m"));
	free(bomb);
	/* Decompressed, but not an Image; an Image without image_size; too short for one. */
	notimg = calloc(1, 4096);
	free(gz);
	gz = gzip_of(notimg, 4096, &gn);
	assert_int_equal(boot_file(gz, gn), -ENOEXEC);
	assert_non_null(strstr(logbuf, "the decompressed gzip data is not an arm64 Image"));
	memcpy(notimg, img, 64);
	le_store(notimg + 16, 8, 0);
	free(gz);
	gz = gzip_of(notimg, 4096, &gn);
	assert_int_equal(boot_file(gz, gn), -EINVAL);
	assert_non_null(strstr(logbuf, "without image_size"));
	free(gz);
	gz = gzip_of(notimg, 40, &gn);
	assert_int_equal(boot_file(gz, gn), -EINVAL);
	assert_non_null(strstr(logbuf, "(40 bytes) is shorter than the 64-byte arm64 Image header"));
	/* A header too big for RAM is refused while planning, as for a raw Image. */
	le_store(notimg + 16, 8, 100 << 20);
	free(gz);
	gz = gzip_of(notimg, 4096, &gn);
	assert_int_equal(boot_file(gz, gn), -ENOMEM);
	assert_non_null(strstr(logbuf, "kernel needs 100 MiB"));
	free(gz), free(img), free(notimg), free(zs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_detect_hostile),
		cmocka_unit_test_setup_teardown(test_boot_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_errors, setup, teardown),
	};
	return cmocka_run_group_tests_name("kernel_fmt", tests, NULL, NULL);
}
