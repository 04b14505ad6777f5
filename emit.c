/* emit.c - structured output with a text and a JSON back end (emit.h). */
#include "emit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void emit_init(struct emit *e, struct strbuf *sb, enum emit_format fmt)
{
	*e = (struct emit){ .sb = sb, .fmt = fmt };
}

static void json_string(struct strbuf *sb, const char *s)
{
	sb_printf(sb, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			sb_printf(sb, "\\%c", *p);
		else if (*p < 0x20)
			sb_printf(sb, "\\u%04x", *p);
		else
			sb_printf(sb, "%c", *p);
	}
	sb_printf(sb, "\"");
}

/* JSON: the separator and "key": before a member. */
static void json_member(struct emit *e, const char *key)
{
	if (e->depth && e->any[e->depth - 1])
		sb_printf(e->sb, ", ");
	if (e->depth)
		e->any[e->depth - 1] = true;
	if (key) {
		json_string(e->sb, key);
		sb_printf(e->sb, ": ");
	}
}

void emit_text_width(struct emit *e, unsigned width)
{
	e->width = width;
}

/* Text: the start of a line, the path of keys padded to the key width. */
static void text_path(struct emit *e, const char *key)
{
	char path[256];
	size_t n = 0;

	path[0] = '\0';
	for (unsigned i = 0; i <= e->depth; i++) {
		const char *k = i < e->depth ? e->key[i] : key;

		if (k && n < sizeof(path))
			n += snprintf(path + n, sizeof(path) - n, "%s%s", n ? " " : "", k);
	}
	if (n)
		sb_printf(e->sb, "%-*s ", (int)e->width, path);
}

/* Text: end an array's line of scalars before anything else starts a line. */
static void text_end_line(struct emit *e)
{
	if (e->line_open)
		sb_printf(e->sb, "\n");
	e->line_open = false;
}

/* A place in a line template: "%s", "%-Ns" / "%Ns" (padded to N columns), or "%{A|B}" (a
 * boolean member: A if true, B, which may be left out with its bar, if false). */
struct place {
	const char *at;          /* the '%' */
	size_t len;              /* of the whole place */
	int width;               /* "%-Ns": negative, left-justified */
	const char *yes, *no;    /* "%{A|B}" */
	size_t yes_len, no_len;
};

/* The first place in t, or NULL if it has none (a '%' that starts no place is text). */
static const char *next_place(const char *t, struct place *pl)
{
	for (const char *at = strchr(t, '%'); at; at = strchr(at + 1, '%')) {
		const char *p = at + 1, *bar, *end;
		char *num_end;
		long w;

		*pl = (struct place){ .at = at };
		if (*p == '{' && (end = strchr(p, '}'))) {
			bar = memchr(p, '|', end - p);
			pl->yes = p + 1;
			pl->yes_len = (bar ? bar : end) - pl->yes;
			pl->no = bar ? bar + 1 : end;
			pl->no_len = end - pl->no;
			pl->len = end + 1 - at;
			return at;
		}
		w = strtol(p, &num_end, 10);
		if (*num_end == 's' && (num_end == p || (*p != '+' && *p != ' ' && w > -256 && w < 256))) {
			pl->width = (int)w;
			pl->len = num_end + 1 - at;
			return at;
		}
	}
	return NULL;
}

static void open_container(struct emit *e, const char *key, bool arr)
{
	if (e->depth == EMIT_MAX_DEPTH || e->tmpl) {
		e->bad = true;
		return;
	}
	if (e->fmt == EMIT_JSON) {
		json_member(e, key);
		sb_printf(e->sb, "%c", arr ? '[' : '{');
	} else {
		text_end_line(e);
		if (e->depth)
			e->any[e->depth - 1] = true;
	}
	e->key[e->depth] = key;
	e->any[e->depth] = false;
	e->arr[e->depth] = arr;
	e->dash[e->depth] = false;
	e->depth++;
}

static void close_container(struct emit *e, bool arr)
{
	if (!e->depth || e->arr[e->depth - 1] != arr) {
		e->bad = true;
		return;
	}
	if (e->fmt == EMIT_JSON) {
		sb_printf(e->sb, "%c", arr ? ']' : '}');
	} else if (e->tmpl) {
		struct place pl;

		if (next_place(e->tmpl, &pl))
			e->bad = true; /* fewer members than the template has places */
		sb_printf(e->sb, "%s\n", e->tmpl);
		e->tmpl = NULL;
	} else if (arr && e->dash[e->depth - 1] && !e->any[e->depth - 1]) {
		text_path(e, NULL);
		sb_printf(e->sb, "-\n"); /* an empty array still has its line */
	} else {
		text_end_line(e);
	}
	e->depth--;
}

void emit_obj_begin(struct emit *e, const char *key)
{
	open_container(e, key, false);
}

void emit_arr_begin(struct emit *e, const char *key)
{
	open_container(e, key, true);
}

void emit_values_begin(struct emit *e, const char *key)
{
	open_container(e, key, true);
	if (!e->bad)
		e->dash[e->depth - 1] = true;
}

void emit_obj_line(struct emit *e, const char *key, const char *tmpl)
{
	open_container(e, key, false);
	if (e->fmt == EMIT_TEXT && !e->bad)
		e->tmpl = tmpl;
}

void emit_obj_end(struct emit *e)
{
	close_container(e, false);
}

void emit_arr_end(struct emit *e)
{
	close_container(e, true);
}

/* A scalar already formatted: text as it is, JSON quoted only if it is a string. */
static void scalar(struct emit *e, const char *key, const char *val, bool is_string, int truth)
{
	struct place pl;

	if (e->fmt == EMIT_TEXT && e->tmpl) {
		if (!next_place(e->tmpl, &pl))
			return; /* past the last place: a member for JSON only */
		sb_printf(e->sb, "%.*s", (int)(pl.at - e->tmpl), e->tmpl);
		if (pl.yes && truth < 0)
			e->bad = true; /* "%{...}" is for a boolean */
		else if (pl.yes)
			sb_printf(e->sb, "%.*s", (int)(truth ? pl.yes_len : pl.no_len), truth ? pl.yes : pl.no);
		else
			sb_printf(e->sb, "%*s", pl.width, val);
		e->tmpl = pl.at + pl.len;
		return;
	}
	if (e->fmt == EMIT_TEXT) {
		bool in_arr = e->depth && e->arr[e->depth - 1];

		if (in_arr && e->line_open) {
			sb_printf(e->sb, " %s", val);
		} else {
			text_path(e, in_arr ? NULL : key);
			sb_printf(e->sb, in_arr ? "%s" : "%s\n", val);
		}
		e->line_open = in_arr;
		if (e->depth)
			e->any[e->depth - 1] = true;
		return;
	}
	json_member(e, key);
	if (is_string)
		json_string(e->sb, val);
	else
		sb_printf(e->sb, "%s", val);
}

void emit_str(struct emit *e, const char *key, const char *val)
{
	scalar(e, key, val ? val : "", true, -1);
}

void emit_u64(struct emit *e, const char *key, uint64_t val)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, val);
	scalar(e, key, buf, false, -1);
}

void emit_i64(struct emit *e, const char *key, int64_t val)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, val);
	scalar(e, key, buf, false, -1);
}

void emit_bool(struct emit *e, const char *key, bool val)
{
	if (e->fmt == EMIT_TEXT)
		scalar(e, key, val ? "yes" : "no", false, val);
	else
		scalar(e, key, val ? "true" : "false", false, val);
}

void emit_fixed(struct emit *e, const char *key, double val, unsigned decimals)
{
	char buf[64];

	/* JSON has no NaN or infinity; neither has a meaningful reading here. */
	if (val != val || val > 1e300 || val < -1e300)
		val = 0;
	snprintf(buf, sizeof(buf), "%.*f", (int)decimals, val);
	scalar(e, key, buf, false, -1);
}

void emit_hex(struct emit *e, const char *key, uint64_t val, unsigned digits)
{
	char buf[24];

	if (e->fmt == EMIT_TEXT)
		snprintf(buf, sizeof(buf), "0x%0*" PRIx64, (int)(digits > 16 ? 16 : digits), val);
	else
		snprintf(buf, sizeof(buf), "0x%" PRIx64, val);
	scalar(e, key, buf, e->fmt == EMIT_JSON, -1);
}

void emit_text_line(struct emit *e, const char *line)
{
	if (e->fmt != EMIT_TEXT)
		return;
	if (e->tmpl) {
		e->bad = true;
		return;
	}
	text_end_line(e);
	sb_printf(e->sb, "%s\n", line);
}

int emit_end(struct emit *e)
{
	if (e->fmt == EMIT_JSON)
		sb_printf(e->sb, "\n");
	else
		text_end_line(e);
	if (e->bad || e->depth)
		return -EINVAL;
	return e->sb->oom ? -ENOMEM : 0;
}

/* ---- reading one top-level field back (vmm list reads `status --json`) ---- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* A string at p (its opening quote): unescaped into out (NULL: skipped); past its end, or
 * NULL if malformed or too long. Only \u escapes below 0x80 are taken (the writer's). */
static const char *json_str(const char *p, char *out, size_t len)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	size_t n = 0;

	for (p++; *p != '"'; p++) {
		char c = *p;

		if (!c || (unsigned char)c < 0x20)
			return NULL;
		if (c == '\\') {
			const char *k = *++p ? strchr(from, *p) : NULL;
			int u;

			if (*p == 'u') {
				if ((u = hex4(p + 1)) < 0 || u >= 0x80)
					return NULL;
				c = u, p += 4;
			} else if (!k) {
				return NULL;
			} else {
				c = to[k - from];
			}
		}
		if (out) {
			if (n + 1 >= len)
				return NULL;
			out[n] = c;
		}
		n++;
	}
	if (out)
		out[n] = '\0';
	return p + 1;
}

/* Past the value at p (nested up to a depth), or NULL if malformed. */
static const char *json_skip(const char *p, unsigned depth)
{
	char close;

	p = skip_ws(p);
	if (*p == '"')
		return json_str(p, NULL, 0);
	if (*p != '{' && *p != '[') {
		const char *s = p;

		while (*p && !strchr(",}] \t\r\n", *p))
			p++;
		return p == s ? NULL : p;
	}
	if (!depth)
		return NULL;
	close = *p == '{' ? '}' : ']';
	p = skip_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			if (*p != '"' || !(p = json_str(p, NULL, 0)) || *(p = skip_ws(p)) != ':')
				return NULL;
			p++;
		}
		if (!(p = json_skip(p, depth - 1)))
			return NULL;
		p = skip_ws(p);
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p = skip_ws(p + 1);
	}
}

int emit_json_raw(struct emit *e, const char *key, const char *json)
{
	const char *v = skip_ws(json), *end = json_skip(v, EMIT_MAX_DEPTH);

	if (!end || *skip_ws(end))
		return -EINVAL;
	if (e->fmt == EMIT_TEXT) {
		emit_str(e, key, json);
		return 0;
	}
	json_member(e, key);
	sb_printf(e->sb, "%.*s", (int)(end - v), v);
	return 0;
}

int emit_json_get(const char *json, const char *key, char *val, size_t len)
{
	const char *p = skip_ws(json);
	char k[64];

	if (*p++ != '{' || !len)
		return -EINVAL;
	p = skip_ws(p);
	if (*p == '}')
		return -ENOENT;
	for (;;) {
		const char *v, *end;

		if (*p != '"' || !(p = json_str(p, k, sizeof(k))) || *(p = skip_ws(p)) != ':')
			return -EINVAL;
		v = skip_ws(p + 1);
		if (!(end = json_skip(v, EMIT_MAX_DEPTH)))
			return -EINVAL;
		if (!strcmp(k, key)) {
			if (*v == '"')
				return json_str(v, val, len) ? 0 : -EINVAL;
			if ((size_t)(end - v) >= len)
				return -EINVAL;
			memcpy(val, v, end - v);
			val[end - v] = '\0';
			return 0;
		}
		p = skip_ws(end);
		if (*p == '}')
			return -ENOENT;
		if (*p != ',')
			return -EINVAL;
		p = skip_ws(p + 1);
	}
}
