/* Unit tests: arm64 Image header parsing and placement in RAM (booting.rst). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "../../arch/arm64/arch.h"
#include "../../util.h"
#include "../../vm.h"

static void make_header(uint8_t *h, uint64_t text_offset, uint64_t image_size)
{
	memset(h, 0, ARM64_IMAGE_HEADER_SIZE);
	le_store(h + 8, 8, text_offset);
	le_store(h + 16, 8, image_size);
	le_store(h + 56, 4, ARM64_IMAGE_MAGIC);
}

static void test_image_good(void **state)
{
	uint8_t h[64];
	struct kernel_image ki;
	char why[200];

	(void)state;
	make_header(h, 0, 40 << 20);
	assert_int_equal(image_parse(h, 64, 30 << 20, KERNEL_FORMAT_IMAGE, &ki, why, sizeof(why)), 0);
	assert_int_equal(ki.text_offset, 0);
	assert_int_equal(ki.image_size, 40 << 20);
	assert_int_equal(ki.file_size, 30 << 20);
}

static void test_image_pre_317(void **state)
{
	uint8_t h[64];
	struct kernel_image ki;
	char why[200];

	(void)state;
	make_header(h, 0x1234, 0); /* image_size 0: text_offset is 0x80000 whatever it says */
	assert_int_equal(image_parse(h, 64, 5 << 20, KERNEL_FORMAT_IMAGE, &ki, why, sizeof(why)), 0);
	assert_int_equal(ki.text_offset, 0x80000);
	assert_int_equal(ki.image_size, 5 << 20);
}

static void test_image_bad_magic(void **state)
{
	uint8_t h[64];
	struct kernel_image ki;
	char why[200];

	(void)state;
	make_header(h, 0, 1 << 20);
	h[56] = 'X';
	assert_int_equal(image_parse(h, 64, 1 << 20, KERNEL_FORMAT_IMAGE, &ki, why, sizeof(why)), -ENOEXEC);
	assert_non_null(strstr(why, "not an arm64 Image"));
	/* The same bytes load as a raw payload at text_offset 0x80000. */
	assert_int_equal(image_parse(h, 64, 1 << 20, KERNEL_FORMAT_RAW, &ki, why, sizeof(why)), 0);
	assert_int_equal(ki.text_offset, 0x80000);
	assert_int_equal(ki.image_size, 1 << 20);
}

static void test_image_truncated(void **state)
{
	uint8_t h[64];
	struct kernel_image ki;
	char why[200];

	(void)state;
	make_header(h, 0, 1 << 20);
	assert_int_equal(image_parse(h, 40, 40, KERNEL_FORMAT_IMAGE, &ki, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "truncated"));
	assert_int_equal(image_parse(h, 0, 0, KERNEL_FORMAT_RAW, &ki, why, sizeof(why)), -EINVAL);
}

static void test_image_bad_text_offset(void **state)
{
	uint8_t h[64];
	struct kernel_image ki;
	char why[200];

	(void)state;
	make_header(h, 4 << 20, 1 << 20);
	assert_int_equal(image_parse(h, 64, 1 << 20, KERNEL_FORMAT_IMAGE, &ki, why, sizeof(why)), -EINVAL);
}

static void test_plan_layout(void **state)
{
	struct kernel_image ki = { .text_offset = 0, .image_size = 40 << 20, .file_size = 30 << 20 };
	struct boot_info bi;
	char why[200];
	uint64_t ram = 0x40000000, size = 512 << 20;

	(void)state;
	assert_int_equal(boot_plan(ram, size, &ki, 10 << 20, 0x10000, &bi, why, sizeof(why)), 0);
	assert_int_equal(bi.kernel_gpa, ram);
	assert_int_equal(bi.kernel_end, ram + (40 << 20));
	/* DTB: 2 MiB aligned, alone in the last 2 MiB of RAM. */
	assert_int_equal(bi.dtb_gpa, ram + size - (2 << 20));
	assert_true(IS_ALIGNED(bi.dtb_gpa, SZ_2M));
	/* initrd: page aligned, between the kernel and the DTB. */
	assert_true(IS_ALIGNED(bi.initrd_gpa, SZ_4K));
	assert_true(bi.initrd_gpa >= bi.kernel_end);
	assert_true(bi.initrd_gpa + bi.initrd_size <= bi.dtb_gpa);
}

static void test_plan_text_offset(void **state)
{
	struct kernel_image ki = { .text_offset = 0x80000, .image_size = 1 << 20, .file_size = 1 << 20 };
	struct boot_info bi;
	char why[200];

	(void)state;
	assert_int_equal(boot_plan(0x40000000, 64 << 20, &ki, 0, 0x10000, &bi, why, sizeof(why)), 0);
	assert_int_equal(bi.kernel_gpa, 0x40080000);
	assert_int_equal(bi.initrd_size, 0);
}

static void test_plan_too_big(void **state)
{
	struct kernel_image ki = { .text_offset = 0, .image_size = 100 << 20, .file_size = 100 << 20 };
	struct boot_info bi;
	char why[200];

	(void)state;
	assert_int_equal(boot_plan(0x40000000, 64 << 20, &ki, 0, 0x10000, &bi, why, sizeof(why)), -ENOMEM);
	assert_non_null(strstr(why, "kernel needs 100 MiB"));
	/* A header size whose MiB would wrap is said as the header has it. */
	ki.text_offset = 0x80000;
	ki.image_size = 0xfffffffffff00000ULL;
	assert_int_equal(boot_plan(0x40000000, 64 << 20, &ki, 0, 0x10000, &bi, why, sizeof(why)), -ENOMEM);
	assert_non_null(strstr(why, "image_size 0xfffffffffff00000 is larger than guest RAM (64 MiB)"));
	ki.text_offset = 0;
	ki.image_size = 63 << 20; /* fits in RAM, but leaves no 2 MiB block for the DTB */
	assert_int_equal(boot_plan(0x40000000, 64 << 20, &ki, 0, 0x10000, &bi, why, sizeof(why)), -ENOMEM);
	assert_non_null(strstr(why, "device tree"));
	ki.image_size = 40 << 20;
	assert_int_equal(boot_plan(0x40000000, 64 << 20, &ki, 30 << 20, 0x10000, &bi, why, sizeof(why)), -ENOMEM);
	assert_non_null(strstr(why, "initrd (30 MiB) does not fit"));
	/* Exactly filling the gap still fits. */
	assert_int_equal(boot_plan(0x40000000, 64 << 20, &ki, 22 << 20, 0x10000, &bi, why, sizeof(why)), 0);
	assert_int_equal(bi.initrd_gpa, 0x40000000 + (40 << 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_good),
		cmocka_unit_test(test_image_pre_317),
		cmocka_unit_test(test_image_bad_magic),
		cmocka_unit_test(test_image_truncated),
		cmocka_unit_test(test_image_bad_text_offset),
		cmocka_unit_test(test_plan_layout),
		cmocka_unit_test(test_plan_text_offset),
		cmocka_unit_test(test_plan_too_big),
	};
	return cmocka_run_group_tests_name("boot", tests, NULL, NULL);
}
