/* decomp.c - gzip and zstd streams decoded straight into the caller's buffer. */
#include "decomp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* the buffer-less API: no window buffer of its own */
#include <zstd.h>
#include <zstd_errors.h>

/*
 * The input side: the stream read in chunks into a buffer (or used in place when it is
 * in memory). The buffer holds at least one whole zstd block with its header, the
 * largest piece the zstd decoder asks for at once.
 */
#define RD_CAP ((size_t)ZSTD_BLOCKSIZE_MAX + 64)

struct rd {
	const struct decomp_in *in;
	uint64_t pos;           /* stream bytes consumed */
	uint8_t *buf;           /* fd only: stream bytes [pos, pos + fill) */
	size_t fill;
};

static uint64_t rd_left(const struct rd *r)
{
	return r->in->len - r->pos;
}

/* Make n (<= RD_CAP) contiguous stream bytes available at *p; 0, -ENODATA if the stream
 * has fewer left, or -errno reading the file. */
static int rd_peek(struct rd *r, size_t n, const uint8_t **p)
{
	if (n > rd_left(r))
		return -ENODATA;
	if (r->in->mem) {
		*p = r->in->mem + r->pos;
		return 0;
	}
	while (r->fill < n) {
		size_t want = RD_CAP - r->fill;
		ssize_t got;

		if (want > rd_left(r) - r->fill)
			want = rd_left(r) - r->fill;
		got = pread(r->in->fd, r->buf + r->fill, want, r->in->off + r->pos + r->fill);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -ENODATA; /* the file shrank under us */
		r->fill += got;
	}
	*p = r->buf;
	return 0;
}

/* Whatever is available next, at least one byte and at most RD_CAP; 0 or as rd_peek. */
static int rd_chunk(struct rd *r, const uint8_t **p, size_t *n)
{
	uint64_t left = rd_left(r);
	size_t want = left < RD_CAP ? left : RD_CAP;

	if (!r->in->mem && r->fill)
		want = r->fill;
	*n = want;
	return rd_peek(r, want, p);
}

static void rd_consume(struct rd *r, size_t n)
{
	r->pos += n;
	if (!r->in->mem) {
		memmove(r->buf, r->buf + n, r->fill - n);
		r->fill -= n;
	}
}

/* Are all bytes left zero (padding after the last gzip member)? 0/1 or -errno. */
static int rd_rest_is_zero(struct rd *r)
{
	while (rd_left(r)) {
		const uint8_t *p;
		size_t n;
		int ret = rd_chunk(r, &p, &n);

		if (ret)
			return ret;
		for (size_t i = 0; i < n; i++)
			if (p[i])
				return 0;
		rd_consume(r, n);
	}
	return 1;
}

static int read_error(int err, const char *what, char *why, size_t whylen)
{
	if (err == -ENODATA)
		snprintf(why, whylen, "truncated %s", what);
	else
		snprintf(why, whylen, "reading the %s: %s", what, strerror(-err));
	return err;
}

/*
 * gzip (RFC 1952) through zlib's inflate with windowBits 16 + MAX_WBITS (gzip wrapper
 * only). Output goes to out[0, cap); once cap is reached the decoder gets a one-byte
 * scratch, and any byte it produces there means the stream is larger than cap. With
 * stop, returns once stop bytes are out.
 */
static int gzip_run(struct rd *r, uint8_t *out, size_t cap, size_t stop, size_t *got,
		    char *why, size_t whylen)
{
	z_stream zs;
	uint8_t scratch;
	int zret, ret = 0;
	unsigned members = 0;

	memset(&zs, 0, sizeof(zs));
	*got = 0;
	if (rd_left(r) == 0)
		return read_error(-ENODATA, "gzip stream (empty)", why, whylen);
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		snprintf(why, whylen, "gzip: cannot set up zlib");
		return -ENOMEM;
	}
	zs.next_out = out;
	zs.avail_out = cap > UINT32_MAX ? UINT32_MAX : cap;
	for (;;) {
		const uint8_t *p;
		size_t n, before_out = zs.total_out;
		bool progress;

		if (zs.avail_out == 0 && *got < cap) {
			/* zlib counts avail_out in 32 bits: hand over the next piece. */
			size_t room = cap - *got;

			zs.next_out = out + *got;
			zs.avail_out = room > UINT32_MAX ? UINT32_MAX : room;
		} else if (zs.avail_out == 0) {
			zs.next_out = &scratch;
			zs.avail_out = 1;
		}
		ret = rd_chunk(r, &p, &n);
		if (ret) {
			read_error(ret, "gzip stream", why, whylen);
			goto out;
		}
		zs.next_in = (uint8_t *)p;
		zs.avail_in = n > UINT32_MAX ? UINT32_MAX : n;
		zret = inflate(&zs, Z_NO_FLUSH);
		if (zs.next_out == &scratch + 1) {
			snprintf(why, whylen, "gzip stream inflates past %zu bytes", cap);
			ret = -EFBIG;
			goto out;
		}
		if (zs.next_out != &scratch)
			*got += zs.total_out - before_out;
		progress = zs.avail_in != n || zs.total_out != before_out;
		rd_consume(r, n - zs.avail_in);
		if (stop && *got >= stop)
			goto out;
		if (zret == Z_STREAM_END) {
			members++;
			if (rd_left(r) == 0)
				goto out;
			ret = rd_peek(r, rd_left(r) < 2 ? 1 : 2, &p);
			if (ret) {
				read_error(ret, "gzip stream", why, whylen);
				goto out;
			}
			if (rd_left(r) >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
				/* Another member: gzip -d decodes concatenated members in turn. */
				inflateReset(&zs);
				continue;
			}
			ret = rd_rest_is_zero(r);
			if (ret < 0) {
				read_error(ret, "gzip stream", why, whylen);
				goto out;
			}
			if (ret == 0) {
				snprintf(why, whylen, "trailing garbage after the gzip stream (%u member%s)",
					 members, members == 1 ? "" : "s");
				ret = -EBADMSG;
				goto out;
			}
			ret = 0;
			goto out;
		}
		if (zret == Z_MEM_ERROR) {
			snprintf(why, whylen, "gzip: out of memory");
			ret = -ENOMEM;
			goto out;
		}
		if (zret == Z_DATA_ERROR || zret == Z_NEED_DICT || zret == Z_STREAM_ERROR) {
			snprintf(why, whylen, "corrupt gzip stream (%s)", zs.msg ? zs.msg : "bad data");
			ret = -EBADMSG;
			goto out;
		}
		/* Z_OK or Z_BUF_ERROR: more input needed, or more room (the scratch byte above). */
		if (rd_left(r) == 0 && (zs.avail_out != 0 || !progress)) {
			snprintf(why, whylen, "truncated gzip stream");
			ret = -ENODATA;
			goto out;
		}
		if (!progress) {
			/* Input and room but no progress: zlib says this does not happen; never spin. */
			snprintf(why, whylen, "corrupt gzip stream (the decoder made no progress)");
			ret = -EBADMSG;
			goto out;
		}
	}
out:
	inflateEnd(&zs);
	return ret;
}

static int zstd_error(size_t code, size_t cap, char *why, size_t whylen)
{
	if (ZSTD_getErrorCode(code) == ZSTD_error_dstSize_tooSmall) {
		snprintf(why, whylen, "zstd frame decompresses past %zu bytes", cap);
		return -EFBIG;
	}
	if (ZSTD_getErrorCode(code) == ZSTD_error_memory_allocation) {
		snprintf(why, whylen, "zstd: out of memory");
		return -ENOMEM;
	}
	snprintf(why, whylen, "corrupt zstd frame (%s)", ZSTD_getErrorName(code));
	return -EBADMSG;
}

/*
 * zstd (RFC 8878) through the buffer-less API: the decoder is handed exactly the bytes of
 * one header or block at a time and writes each block next to the previous one in out,
 * which serves as its window. So it needs no window buffer, whatever window size a frame
 * claims, and a block that does not fit in what is left of out is an error
 * (dstSize_tooSmall), not an allocation. ZSTD_d_windowLogMax limits the buffered
 * streaming API's allocation; here there is nothing to limit.
 */
static int zstd_run(struct rd *r, uint8_t *out, size_t cap, size_t stop, size_t *got,
		    char *why, size_t whylen)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	int ret = 0;

	*got = 0;
	if (!dctx) {
		snprintf(why, whylen, "zstd: cannot set up the decoder");
		return -ENOMEM;
	}
	if (rd_left(r) == 0) {
		ret = read_error(-ENODATA, "zstd frame (empty)", why, whylen);
		goto out;
	}
	while (rd_left(r)) {
		const uint8_t *p;
		uint32_t magic;
		size_t code, n;

		ret = rd_peek(r, 4, &p);
		if (ret) {
			snprintf(why, whylen, ret == -ENODATA ? "trailing garbage after the zstd frame" :
				 "reading the zstd frame: %s", strerror(-ret));
			ret = ret == -ENODATA ? -EBADMSG : ret;
			goto out;
		}
		magic = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
		if ((magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START) {
			uint64_t skip;

			ret = rd_peek(r, 8, &p);
			if (ret) {
				ret = read_error(ret, "zstd skippable frame", why, whylen);
				goto out;
			}
			skip = 8 + (uint64_t)(p[4] | p[5] << 8 | p[6] << 16 | (uint32_t)p[7] << 24);
			if (skip > rd_left(r)) {
				ret = read_error(-ENODATA, "zstd skippable frame", why, whylen);
				goto out;
			}
			while (skip) {
				size_t piece = skip < RD_CAP ? skip : RD_CAP;

				ret = rd_peek(r, piece, &p);
				if (ret) {
					ret = read_error(ret, "zstd skippable frame", why, whylen);
					goto out;
				}
				rd_consume(r, piece);
				skip -= piece;
			}
			continue;
		}
		if (magic != ZSTD_MAGICNUMBER) {
			snprintf(why, whylen, *got ? "trailing garbage after the zstd frame" :
				 "corrupt zstd frame (no zstd magic)");
			ret = -EBADMSG;
			goto out;
		}
		ZSTD_decompressBegin(dctx);
		while ((n = ZSTD_nextSrcSizeToDecompress(dctx)) != 0) {
			if (n > RD_CAP) {
				snprintf(why, whylen, "corrupt zstd frame (a %zu-byte block)", n);
				ret = -EBADMSG;
				goto out;
			}
			ret = rd_peek(r, n, &p);
			if (ret) {
				ret = read_error(ret, "zstd frame", why, whylen);
				goto out;
			}
			code = ZSTD_decompressContinue(dctx, out + *got, cap - *got, p, n);
			if (ZSTD_isError(code)) {
				ret = zstd_error(code, cap, why, whylen);
				goto out;
			}
			rd_consume(r, n);
			*got += code;
			if (stop && *got >= stop)
				goto out;
		}
	}
out:
	ZSTD_freeDCtx(dctx);
	return ret;
}

static int run(enum decomp_kind kind, const struct decomp_in *in, uint8_t *out, size_t cap,
	       size_t stop, size_t *got, char *why, size_t whylen)
{
	struct rd r = { .in = in };
	int ret;

	*got = 0;
	if (!in->mem) {
		r.buf = malloc(RD_CAP);
		if (!r.buf) {
			snprintf(why, whylen, "%s: out of memory", decomp_name(kind));
			return -ENOMEM;
		}
	}
	if (kind == DECOMP_GZIP)
		ret = gzip_run(&r, out, cap, stop, got, why, whylen);
	else
		ret = zstd_run(&r, out, cap, stop, got, why, whylen);
	free(r.buf);
	return ret;
}

int decomp_run(enum decomp_kind kind, const struct decomp_in *in, void *dst, size_t dst_max,
	       size_t *out_len, char *why, size_t whylen)
{
	return run(kind, in, dst, dst_max, 0, out_len, why, whylen);
}

int decomp_head(enum decomp_kind kind, const struct decomp_in *in, void *dst, size_t want,
		size_t *out_len, char *why, size_t whylen)
{
	uint8_t *tmp;
	int ret;

	*out_len = 0;
	if (want == 0 || want > DECOMP_HEAD_MAX)
		return -EINVAL;
	if (kind == DECOMP_GZIP)
		return run(kind, in, dst, want, want, out_len, why, whylen);
	/* A zstd block is written whole: room for one more block past want. */
	tmp = malloc(want + ZSTD_BLOCKSIZE_MAX);
	if (!tmp) {
		snprintf(why, whylen, "zstd: out of memory");
		return -ENOMEM;
	}
	ret = run(kind, in, tmp, want + ZSTD_BLOCKSIZE_MAX, want, out_len, why, whylen);
	if (*out_len > want)
		*out_len = want;
	memcpy(dst, tmp, *out_len);
	free(tmp);
	return ret;
}

const char *decomp_name(enum decomp_kind kind)
{
	return kind == DECOMP_GZIP ? "gzip" : "zstd";
}
