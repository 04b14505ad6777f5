/* Unit tests: decomp.c, gzip and zstd streams decoded into a bounded buffer. Fixtures are
 * made here with zlib's deflate and ZSTD_compress: good, truncated, corrupt, concatenated,
 * followed by garbage, bombs past the limit, from memory and from a file at an offset. */
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
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "../../decomp.h"

static char why[256];

/* Half text-like (compressible), half pseudo-random (not): both decoder paths. */
static uint8_t *make_data(size_t n, uint32_t seed)
{
	uint8_t *p = malloc(n);
	uint32_t x = seed | 1;

	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		p[i] = (i / 4096) % 2 ? (uint8_t)x : (uint8_t)("kernel image "[i % 13]);
	}
	return p;
}

static uint8_t *gzip_of(const uint8_t *src, size_t n, size_t *out_n)
{
	z_stream zs = { 0 };
	size_t cap = n + n / 100 + 1024;
	uint8_t *out = malloc(cap);

	assert_non_null(out);
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (uint8_t *)src;
	zs.avail_in = n;
	zs.next_out = out;
	zs.avail_out = cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_n = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static uint8_t *zstd_of(const uint8_t *src, size_t n, int level, int window_log, bool checksum, size_t *out_n)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *out = malloc(cap);
	ZSTD_CCtx *c = ZSTD_createCCtx();

	assert_non_null(out);
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	if (window_log)
		ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, window_log);
	*out_n = ZSTD_compress2(c, out, cap, src, n);
	assert_false(ZSTD_isError(*out_n));
	ZSTD_freeCCtx(c);
	return out;
}

static int run_mem(enum decomp_kind k, const uint8_t *z, size_t zn, void *dst, size_t max, size_t *got)
{
	struct decomp_in in = { .mem = z, .len = zn };

	why[0] = 0;
	return decomp_run(k, &in, dst, max, got, why, sizeof(why));
}

/* Every good stream decodes to its input, at exactly its size too, and not at one less. */
static void check_roundtrip(enum decomp_kind k, const uint8_t *src, size_t n, const uint8_t *z, size_t zn)
{
	uint8_t *dst = malloc(n + 100);
	size_t got;

	assert_int_equal(run_mem(k, z, zn, dst, n + 100, &got), 0);
	assert_int_equal(got, n);
	assert_memory_equal(dst, src, n);
	assert_int_equal(run_mem(k, z, zn, dst, n, &got), 0);
	assert_int_equal(got, n);
	assert_int_equal(run_mem(k, z, zn, dst, n - 1, &got), -EFBIG);
	assert_true(got <= n - 1);
	free(dst);
}

static void test_gzip_good(void **state)
{
	size_t n = 300000, zn;
	uint8_t *src = make_data(n, 1), *z = gzip_of(src, n, &zn);

	(void)state;
	check_roundtrip(DECOMP_GZIP, src, n, z, zn);
	free(src), free(z);
}

static void test_gzip_truncated(void **state)
{
	size_t n = 200000, zn, got;
	uint8_t *src = make_data(n, 2), *z = gzip_of(src, n, &zn), *dst = malloc(n);
	size_t cuts[] = { 1, 5, 10, 11, 100, zn / 2, zn - 8, zn - 1 };

	(void)state;
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		assert_int_equal(run_mem(DECOMP_GZIP, z, cuts[i], dst, n, &got), -ENODATA);
		assert_non_null(strstr(why, "truncated gzip stream"));
	}
	assert_int_equal(run_mem(DECOMP_GZIP, z, 0, dst, n, &got), -ENODATA);
	free(src), free(z), free(dst);
}

static void test_gzip_corrupt(void **state)
{
	size_t n = 200000, zn, got;
	uint8_t *src = make_data(n, 3), *z = gzip_of(src, n, &zn), *dst = malloc(n);

	(void)state;
	z[zn - 6] ^= 0x40; /* the CRC-32 */
	assert_int_equal(run_mem(DECOMP_GZIP, z, zn, dst, n, &got), -EBADMSG);
	assert_non_null(strstr(why, "corrupt gzip stream"));
	z[zn - 6] ^= 0x40;
	z[2] = 7; /* not deflate */
	assert_int_equal(run_mem(DECOMP_GZIP, z, zn, dst, n, &got), -EBADMSG);
	z[2] = 8;
	memset(z + zn / 2, 0xff, 64); /* the deflate data */
	assert_int_equal(run_mem(DECOMP_GZIP, z, zn, dst, n, &got), -EBADMSG);
	free(src), free(z), free(dst);
}

/* Members concatenated are one stream, as for gzip -d; zeros may pad it; nothing else. */
static void test_gzip_concat_trailing(void **state)
{
	size_t n = 70000, zn, got;
	uint8_t *src = make_data(2 * n, 4), *a, *b, *dst = malloc(2 * n + 10);
	uint8_t *cat;
	size_t an, bn;

	(void)state;
	a = gzip_of(src, n, &an);
	b = gzip_of(src + n, n, &bn);
	cat = malloc(an + bn + 4096);
	memcpy(cat, a, an);
	memcpy(cat + an, b, bn);
	zn = an + bn;
	assert_int_equal(run_mem(DECOMP_GZIP, cat, zn, dst, 2 * n, &got), 0);
	assert_int_equal(got, 2 * n);
	assert_memory_equal(dst, src, 2 * n);
	memset(cat + zn, 0, 4096);
	assert_int_equal(run_mem(DECOMP_GZIP, cat, zn + 4096, dst, 2 * n, &got), 0);
	cat[zn + 4000] = 1;
	assert_int_equal(run_mem(DECOMP_GZIP, cat, zn + 4096, dst, 2 * n, &got), -EBADMSG);
	assert_non_null(strstr(why, "trailing garbage after the gzip stream"));
	memcpy(cat + an, "garbage", 7);
	assert_int_equal(run_mem(DECOMP_GZIP, cat, an + 7, dst, 2 * n, &got), -EBADMSG);
	assert_non_null(strstr(why, "trailing garbage"));
	cat[an] = 0x1f; /* one byte that could start a member, then the end */
	assert_int_equal(run_mem(DECOMP_GZIP, cat, an + 1, dst, 2 * n, &got), -EBADMSG);
	free(src), free(a), free(b), free(cat), free(dst);
}

/* A small stream that inflates far past the limit stops at it, having written only there. */
static void test_bombs(void **state)
{
	size_t n = 64 << 20, zn, got, limit = 1 << 20;
	uint8_t *zeros = calloc(1, n), *z, *dst = malloc(limit + 1);

	(void)state;
	dst[limit] = 0xaa;
	z = gzip_of(zeros, n, &zn);
	assert_true(zn < n / 500);
	assert_int_equal(run_mem(DECOMP_GZIP, z, zn, dst, limit, &got), -EFBIG);
	assert_int_equal(got, limit);
	assert_int_equal(dst[limit], 0xaa);
	free(z);
	z = zstd_of(zeros, n, 19, 0, false, &zn);
	assert_int_equal(run_mem(DECOMP_ZSTD, z, zn, dst, limit, &got), -EFBIG);
	assert_true(got <= limit);
	assert_int_equal(dst[limit], 0xaa);
	assert_non_null(strstr(why, "past"));
	free(z), free(zeros), free(dst);
}

static void test_zstd_good(void **state)
{
	size_t n = 700000, zn;
	uint8_t *src = make_data(n, 5), *z;

	(void)state;
	z = zstd_of(src, n, 3, 0, false, &zn);
	check_roundtrip(DECOMP_ZSTD, src, n, z, zn);
	free(z);
	/* Linux's zstd22 (--ultra -22 from a pipe) uses a 128 MiB window: no window buffer here. */
	z = zstd_of(src, n, 19, 27, true, &zn);
	check_roundtrip(DECOMP_ZSTD, src, n, z, zn);
	free(src), free(z);
}

static void test_zstd_truncated_corrupt(void **state)
{
	size_t n = 300000, zn, got;
	uint8_t *src = make_data(n, 6), *z = zstd_of(src, n, 3, 0, true, &zn), *dst = malloc(n);
	size_t cuts[] = { 1, 4, 5, 6, 100, zn / 2, zn - 4, zn - 1 };

	(void)state;
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		int ret = run_mem(DECOMP_ZSTD, z, cuts[i], dst, n, &got);

		/* Under 4 bytes there is no magic to read: garbage rather than a frame. */
		assert_int_equal(ret, cuts[i] < 4 ? -EBADMSG : -ENODATA);
		if (cuts[i] >= 4)
			assert_non_null(strstr(why, "truncated zstd frame"));
	}
	z[zn - 2] ^= 1; /* the content checksum */
	assert_int_equal(run_mem(DECOMP_ZSTD, z, zn, dst, n, &got), -EBADMSG);
	assert_non_null(strstr(why, "corrupt zstd frame"));
	z[zn - 2] ^= 1;
	z[0] ^= 1; /* the magic */
	assert_int_equal(run_mem(DECOMP_ZSTD, z, zn, dst, n, &got), -EBADMSG);
	z[0] ^= 1;
	z[4] |= 0x08; /* the frame header's reserved bit */
	assert_int_equal(run_mem(DECOMP_ZSTD, z, zn, dst, n, &got), -EBADMSG);
	free(src), free(z), free(dst);
}

static void test_zstd_frames(void **state)
{
	size_t n = 50000, an, bn, got;
	uint8_t *src = make_data(2 * n, 7), *a = zstd_of(src, n, 3, 0, false, &an);
	uint8_t *b = zstd_of(src + n, n, 3, 0, false, &bn), *dst = malloc(2 * n);
	uint8_t *cat = malloc(16 + an + bn + 8);
	static const uint8_t skip[] = { 0x50, 0x2a, 0x4d, 0x18, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 };

	(void)state;
	memcpy(cat, skip, 16);
	memcpy(cat + 16, a, an);
	memcpy(cat + 16 + an, b, bn);
	assert_int_equal(run_mem(DECOMP_ZSTD, cat, 16 + an + bn, dst, 2 * n, &got), 0);
	assert_int_equal(got, 2 * n);
	assert_memory_equal(dst, src, 2 * n);
	/* Linux's "_with_size" le32 after the frame is not part of a zboot payload: garbage. */
	memcpy(cat + 16 + an + bn, "\x50\xc3\x00\x00", 4);
	assert_int_equal(run_mem(DECOMP_ZSTD, cat, 16 + an + bn + 4, dst, 2 * n, &got), -EBADMSG);
	assert_non_null(strstr(why, "trailing garbage after the zstd frame"));
	/* A skippable frame claiming more than is there. */
	cat[4] = 0xff, cat[5] = 0xff, cat[6] = 0xff, cat[7] = 0xff;
	assert_int_equal(run_mem(DECOMP_ZSTD, cat, 16 + an, dst, 2 * n, &got), -ENODATA);
	free(src), free(a), free(b), free(cat), free(dst);
}

static void test_head(void **state)
{
	size_t n = 500000, zn, got;
	uint8_t *src = make_data(n, 8), *z, out[64];
	struct decomp_in in = { 0 };

	(void)state;
	z = gzip_of(src, n, &zn);
	in.mem = z, in.len = zn;
	assert_int_equal(decomp_head(DECOMP_GZIP, &in, out, 64, &got, why, sizeof(why)), 0);
	assert_int_equal(got, 64);
	assert_memory_equal(out, src, 64);
	/* The header is there even if the rest is cut off. */
	in.len = zn / 2;
	assert_int_equal(decomp_head(DECOMP_GZIP, &in, out, 64, &got, why, sizeof(why)), 0);
	free(z);
	z = zstd_of(src, n, 19, 27, false, &zn);
	in.mem = z, in.len = zn;
	assert_int_equal(decomp_head(DECOMP_ZSTD, &in, out, 64, &got, why, sizeof(why)), 0);
	assert_int_equal(got, 64);
	assert_memory_equal(out, src, 64);
	free(z);
	/* A stream shorter than asked for. */
	z = zstd_of(src, 10, 3, 0, false, &zn);
	in.mem = z, in.len = zn;
	assert_int_equal(decomp_head(DECOMP_ZSTD, &in, out, 64, &got, why, sizeof(why)), 0);
	assert_int_equal(got, 10);
	free(z);
	z = gzip_of(src, 10, &zn);
	in.mem = z, in.len = zn;
	assert_int_equal(decomp_head(DECOMP_GZIP, &in, out, 64, &got, why, sizeof(why)), 0);
	assert_int_equal(got, 10);
	assert_int_equal(decomp_head(DECOMP_GZIP, &in, out, DECOMP_HEAD_MAX + 1, &got, why, sizeof(why)), -EINVAL);
	free(z), free(src);
}

/* From a file, at an offset inside it, with streams longer than the read buffer. */
static void test_from_file(void **state)
{
	size_t n = 1 << 20, zn, got;
	uint8_t *src = make_data(n, 9), *dst = malloc(n), *z;
	char path[] = "/tmp/test_decomp.XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	for (int k = 0; k < 2; k++) {
		struct decomp_in in = { .fd = fd, .off = 1000 };

		z = k ? zstd_of(src, n, 3, 0, true, &zn) : gzip_of(src, n, &zn);
		assert_true(zn > 200000);
		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(pwrite(fd, z, zn, 1000), (ssize_t)zn);
		assert_int_equal(pwrite(fd, "tail", 4, 1000 + zn), 4);
		in.len = zn;
		assert_int_equal(decomp_run(k ? DECOMP_ZSTD : DECOMP_GZIP, &in, dst, n, &got, why, sizeof(why)), 0);
		assert_int_equal(got, n);
		assert_memory_equal(dst, src, n);
		/* The stream said to go past the end of the file. */
		in.len = zn + 100;
		assert_int_not_equal(decomp_run(k ? DECOMP_ZSTD : DECOMP_GZIP, &in, dst, n, &got, why, sizeof(why)), 0);
		free(z);
	}
	close(fd);
	free(src), free(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip_good),
		cmocka_unit_test(test_gzip_truncated),
		cmocka_unit_test(test_gzip_corrupt),
		cmocka_unit_test(test_gzip_concat_trailing),
		cmocka_unit_test(test_bombs),
		cmocka_unit_test(test_zstd_good),
		cmocka_unit_test(test_zstd_truncated_corrupt),
		cmocka_unit_test(test_zstd_frames),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_from_file),
	};
	return cmocka_run_group_tests_name("decomp", tests, NULL, NULL);
}
