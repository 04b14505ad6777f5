/* Unit tests: the pure parts of the I/O thread (virtio/iothread.c): which kernels' rings it
 * takes, and which completions are its own (qemu-user has no io_uring to run the rest). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "../../virtio/iothread.h"

/* What io_uring_setup reports on the releases that matter (io_uring_create in fs/io_uring.c). */
#define FEAT_5_10 (IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP | IORING_FEAT_SUBMIT_STABLE | \
		   IORING_FEAT_RW_CUR_POS | IORING_FEAT_CUR_PERSONALITY | IORING_FEAT_FAST_POLL | \
		   IORING_FEAT_POLL_32BITS)
#define FEAT_5_11 (FEAT_5_10 | IORING_FEAT_SQPOLL_NONFIXED | IORING_FEAT_EXT_ARG)
#define FEAT_5_12 (FEAT_5_11 | IORING_FEAT_NATIVE_WORKERS)
#define FEAT_5_13 (FEAT_5_12 | IORING_FEAT_RSRC_TAGS)

static void test_features_refuse_before_5_13(void **state)
{
	const char *missing = NULL;

	(void)state;
	/* 5.10: liburing would emulate the wait timeout with an sqe the ring refuses. */
	assert_int_equal(iothread_features_check(FEAT_5_10, &missing), -EOPNOTSUPP);
	assert_non_null(strstr(missing, "IORING_FEAT_EXT_ARG"));
	/* 5.11 and 5.12: no multishot poll. */
	missing = NULL;
	assert_int_equal(iothread_features_check(FEAT_5_11, &missing), -EOPNOTSUPP);
	assert_non_null(strstr(missing, "5.13"));
	missing = NULL;
	assert_int_equal(iothread_features_check(FEAT_5_12, &missing), -EOPNOTSUPP);
	assert_non_null(strstr(missing, "5.13"));
	/* A flag alone is not enough. */
	assert_int_equal(iothread_features_check(IORING_FEAT_RSRC_TAGS, &missing), -EOPNOTSUPP);
}

static void test_features_accept_5_13_and_later(void **state)
{
	const char *missing = NULL;

	(void)state;
	assert_int_equal(iothread_features_check(FEAT_5_13, &missing), 0);
	assert_int_equal(iothread_features_check(FEAT_5_13 | IORING_FEAT_CQE_SKIP | IORING_FEAT_LINKED_FILE, &missing), 0);
	assert_null(missing);
}

/* liburing's own completions (LIBURING_UDATA_TIMEOUT: all ones, so bit 0 is set) are no
 * watch of ours, nor is the start-up NOP's 0; aligned pointers are ops, tagged ones watches. */
static void test_cqe_kinds(void **state)
{
	static uint64_t op_storage[2], watch_storage[2];
	uint64_t op = (uint64_t)(uintptr_t)op_storage, watch = (uint64_t)(uintptr_t)watch_storage | 1;

	(void)state;
	assert_int_equal(iothread_cqe_kind(LIBURING_UDATA_TIMEOUT), IO_CQE_FOREIGN);
	assert_int_equal(iothread_cqe_kind(0), IO_CQE_FOREIGN);
	assert_int_equal(iothread_cqe_kind(op), IO_CQE_OP);
	assert_int_equal(iothread_cqe_kind(watch), IO_CQE_WATCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features_refuse_before_5_13),
		cmocka_unit_test(test_features_accept_5_13_and_later),
		cmocka_unit_test(test_cqe_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
