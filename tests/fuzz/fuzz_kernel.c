/* fuzz_kernel.c - kernel formats (arch/arm64/kernel_fmt.c) and the decompressors (decomp.c):
 * arbitrary files through format detection, then the compressed stream through
 * decomp_head and decomp_run into a small, exactly-sized buffer, from memory or a file.
 *
 * Input: one options byte (bits 0-3: the output limit in 64 KiB steps, bit 4:
 * --kernel-format=raw, bit 5: read the stream from a file), then the kernel file. Checks:
 * nothing written past the limit (ASan), the stream inside the file, every error one of
 * those decomp.h lists, and the header decomp_head returns is the start of what
 * decomp_run produced.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../arch/arm64/kernel_fmt.h"
#include "../../decomp.h"
#include "fuzz.h"

static int file_fd = -1;

static bool known_error(int ret)
{
	return ret == 0 || ret == -ENODATA || ret == -EBADMSG || ret == -EFBIG || ret == -ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t opts = fin_u8(&in);
	size_t limit = (size_t)(opts & 0x0f) * 0x10000 + 1, hn = 0, got = 0;
	struct kernel_file kf;
	struct decomp_in din = { 0 };
	uint8_t head[64], *out;
	char why[200];
	int hret, ret;

	if (file_fd < 0 && !fake_file(NULL, 0, &file_fd))
		abort();
	why[0] = 0;
	ret = kernel_detect(in.p, in.n < KERNEL_DETECT_LEN ? in.n : KERNEL_DETECT_LEN, in.n,
			    opts & 0x10 ? KERNEL_FORMAT_RAW : KERNEL_FORMAT_IMAGE, &kf, why, sizeof(why));
	if (ret) {
		FUZZ_CHECK((ret == -EINVAL || ret == -ENOEXEC) && why[0]);
		return 0;
	}
	FUZZ_CHECK(kf.payload_off <= in.n && kf.payload_len <= in.n - kf.payload_off);
	if (kf.kind == KERNEL_RAW || kf.kind == KERNEL_IMAGE)
		return 0;
	if (opts & 0x20) {
		if (ftruncate(file_fd, 0) || (in.n && pwrite(file_fd, in.p, in.n, 0) != (ssize_t)in.n))
			abort();
		din.fd = file_fd;
		din.off = kf.payload_off;
	} else {
		din.mem = in.p + kf.payload_off;
	}
	din.len = kf.payload_len;

	hret = decomp_head(kf.comp, &din, head, sizeof(head), &hn, why, sizeof(why));
	FUZZ_CHECK(known_error(hret) && hn <= sizeof(head));
	out = malloc(limit); /* exactly the limit: ASan catches a byte past it */
	if (!out)
		abort();
	ret = decomp_run(kf.comp, &din, out, limit, &got, why, sizeof(why));
	FUZZ_CHECK(known_error(ret) && got <= limit);
	if (ret == 0) {
		FUZZ_CHECK(hret == 0 && hn == (got < sizeof(head) ? got : sizeof(head)));
		FUZZ_CHECK(!memcmp(head, out, hn));
	}
	free(out);
	return 0;
}
