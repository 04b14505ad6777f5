/* Unit tests: guest memory (mem.h): the accessor's bounds, len 0, wrap-around, the copies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "../../mem.h"

#define BASE 0x40000000ULL
#define SIZE 4096ULL

static uint8_t ram[SIZE];
static const struct guest_mem mem = { .gpa = BASE, .size = SIZE, .hva = ram };

static void test_inside(void **state)
{
	(void)state;
	assert_ptr_equal(guest_mem_ptr(&mem, BASE, SIZE), ram);
	assert_ptr_equal(guest_mem_ptr(&mem, BASE, 1), ram);
	assert_ptr_equal(guest_mem_ptr(&mem, BASE + 0xff0, 16), ram + 0xff0);
	assert_ptr_equal(guest_mem_ptr(&mem, BASE + SIZE - 1, 1), ram + SIZE - 1);
}

static void test_boundaries(void **state)
{
	(void)state;
	assert_null(guest_mem_ptr(&mem, BASE + 0xff0, 17));   /* one byte past the end */
	assert_null(guest_mem_ptr(&mem, BASE, SIZE + 1));
	assert_null(guest_mem_ptr(&mem, BASE + SIZE, 1));     /* starts at the end */
	assert_null(guest_mem_ptr(&mem, BASE - 16, 16));      /* ends at the base */
	assert_null(guest_mem_ptr(&mem, BASE - 16, 32));      /* straddles the base */
	assert_null(guest_mem_ptr(&mem, BASE - 1, 1));        /* gpa below the base */
	assert_null(guest_mem_ptr(&mem, 0, 1));
}

static void test_len_zero(void **state)
{
	(void)state;
	/* An empty range anywhere from the base up to the end itself is inside. */
	assert_ptr_equal(guest_mem_ptr(&mem, BASE, 0), ram);
	assert_ptr_equal(guest_mem_ptr(&mem, BASE + SIZE, 0), ram + SIZE);
	assert_null(guest_mem_ptr(&mem, BASE + SIZE + 1, 0));
	assert_null(guest_mem_ptr(&mem, BASE - 1, 0));
}

static void test_wrap_around(void **state)
{
	(void)state;
	/* gpa + len wraps past 2^64 and would land inside if the sum were computed. */
	assert_null(guest_mem_ptr(&mem, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(&mem, UINT64_MAX, BASE + 2));
	assert_null(guest_mem_ptr(&mem, BASE + 1, UINT64_MAX));
	assert_null(guest_mem_ptr(&mem, BASE, UINT64_MAX));
	assert_null(guest_mem_ptr(&mem, UINT64_MAX, UINT64_MAX));
	assert_null(guest_mem_ptr(&mem, UINT64_MAX, 0));
}

static void test_region_at_top(void **state)
{
	/* A region ending at 2^64 exactly: its last byte is reachable, nothing beyond it. */
	const struct guest_mem top = { .gpa = UINT64_MAX - SIZE + 1, .size = SIZE, .hva = ram };

	(void)state;
	assert_ptr_equal(guest_mem_ptr(&top, UINT64_MAX, 1), ram + SIZE - 1);
	assert_ptr_equal(guest_mem_ptr(&top, top.gpa, SIZE), ram);
	assert_null(guest_mem_ptr(&top, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(&top, top.gpa, SIZE + 1));
}

static void test_unmapped(void **state)
{
	const struct guest_mem none = { 0 };
	const struct guest_mem sized = { .gpa = BASE, .size = SIZE, .hva = NULL };

	(void)state;
	assert_null(guest_mem_ptr(&none, 0, 0));
	assert_null(guest_mem_ptr(&none, 0, 1));
	assert_null(guest_mem_ptr(&sized, BASE, 1));
}

static void test_read_write(void **state)
{
	uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, got[8];

	(void)state;
	memset(ram, 0xaa, sizeof(ram));
	assert_int_equal(guest_mem_write(&mem, BASE + SIZE - 8, buf, 8), 0);
	assert_memory_equal(ram + SIZE - 8, buf, 8);
	memset(got, 0, sizeof(got));
	assert_int_equal(guest_mem_read(&mem, BASE + SIZE - 8, got, 8), 0);
	assert_memory_equal(got, buf, 8);

	/* Refused copies touch neither side. */
	memset(got, 0x55, sizeof(got));
	assert_int_equal(guest_mem_read(&mem, BASE + SIZE - 7, got, 8), -EFAULT);
	assert_int_equal(got[0], 0x55);
	assert_int_equal(guest_mem_write(&mem, BASE + SIZE - 7, buf, 8), -EFAULT);
	assert_memory_equal(ram + SIZE - 8, buf, 8);
	assert_int_equal(guest_mem_write(&mem, BASE - 4, buf, 8), -EFAULT);
	assert_int_equal(ram[0], 0xaa);
	assert_int_equal(guest_mem_read(&mem, UINT64_MAX, got, 2), -EFAULT);
	assert_int_equal(guest_mem_write(&mem, BASE + 1, buf, UINT64_MAX), -EFAULT);

	/* Empty copies inside succeed. */
	assert_int_equal(guest_mem_read(&mem, BASE + SIZE, got, 0), 0);
	assert_int_equal(guest_mem_write(&mem, BASE, buf, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inside),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_len_zero),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_region_at_top),
		cmocka_unit_test(test_unmapped),
		cmocka_unit_test(test_read_write),
	};
	return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
