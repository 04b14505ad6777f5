/* decomp.h - bounded decompression of gzip (zlib) and zstd (libzstd) streams straight
 * into a caller's buffer: no output buffer of its own, memory independent of the output
 * size, time linear in the output limit plus the input. */
#ifndef VMM_DECOMP_H
#define VMM_DECOMP_H

#include <stddef.h>
#include <stdint.h>

enum decomp_kind { DECOMP_GZIP, DECOMP_ZSTD };

/* A compressed stream: len bytes at off, from mem if set (off is then ignored), else
 * read from fd with pread. */
struct decomp_in {
	const uint8_t *mem;
	int fd;
	uint64_t off, len;
};

/* The largest prefix decomp_head returns. */
#define DECOMP_HEAD_MAX 4096

/*
 * Errors, with why set to one phrase naming the compression ("truncated gzip stream"):
 *   -ENODATA  the stream ends before its end marker (truncated)
 *   -EBADMSG  corrupt: bad data, a checksum mismatch, trailing bytes that are not a stream
 *   -EFBIG    more output than the caller's limit (a stream too big or a bomb)
 *   -ENOMEM   the library could not get its working memory
 *   other     -errno from reading the file
 * gzip: members concatenated as gzip -d does; after the last one only zero bytes may
 * follow (padding). zstd: frames concatenated, skippable frames skipped; nothing else
 * may follow.
 */

/* Decompress the whole stream into dst[0, dst_max); *out_len = bytes written (also on
 * error: what was written before it). 0 or a negative error above. */
int decomp_run(enum decomp_kind kind, const struct decomp_in *in, void *dst, size_t dst_max,
	       size_t *out_len, char *why, size_t whylen);
/* Decompress only the first want (<= DECOMP_HEAD_MAX) bytes into dst; *out_len < want
 * when the stream holds less. The rest of the stream is not checked. 0 or an error. */
int decomp_head(enum decomp_kind kind, const struct decomp_in *in, void *dst, size_t want,
		size_t *out_len, char *why, size_t whylen);
/* "gzip" or "zstd". */
const char *decomp_name(enum decomp_kind kind);

#endif
