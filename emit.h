/* emit.h - structured output: objects, arrays and key/value pairs written once, rendered
 * as text lines or as JSON into a struct strbuf.
 *
 * Text back end: a scalar in an object is one line "PATH value", PATH being the keys of
 * the enclosing keyed containers and the scalar's own key joined by spaces, padded to
 * the key width (emit_text_width; 0 gives today's "key value" lines). The scalars of an
 * array share one line "PATH v1 v2 ..." (emit_values_begin: "PATH -" if there are none);
 * an object in an array gives its own lines. An object opened with a line template
 * (emit_obj_line) is one line instead: the template with each place replaced by the next
 * member's value ("%s"; "%-Ns" or "%Ns" padded to N columns; "%{A|B}" for a boolean: A if
 * true, else B, which may be left out with its bar); members past the last place are JSON
 * only. Strings go out as they are, booleans as yes/no; emit_text_line adds a line of text
 * alone (a heading), which JSON leaves out.
 * JSON back end: one line, ", " and ": " separators, strings escaped (quote, backslash,
 * control bytes as \u00XX; other bytes passed through). */
#ifndef VMM_EMIT_H
#define VMM_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

enum emit_format { EMIT_TEXT, EMIT_JSON };

#define EMIT_MAX_DEPTH 8

struct emit {
	struct strbuf *sb;
	enum emit_format fmt;
	unsigned depth;
	unsigned width;                    /* text: keys padded to this many columns */
	bool bad;                          /* unbalanced or too deep: emit_end says so */
	bool line_open;                    /* text: an array's line of scalars is not ended yet */
	bool any[EMIT_MAX_DEPTH];          /* the container has a member already */
	bool arr[EMIT_MAX_DEPTH];          /* the container is an array */
	bool dash[EMIT_MAX_DEPTH];         /* text: an empty array still has its line, "PATH -" */
	const char *key[EMIT_MAX_DEPTH];   /* text: the key each open container was opened under */
	const char *tmpl;                  /* text: what is left of the open line template */
};

/* Start rendering into sb (appended to) in fmt. */
void emit_init(struct emit *e, struct strbuf *sb, enum emit_format fmt);
/* Text back end: pad the keys of each line to width columns ("%-*s value"). */
void emit_text_width(struct emit *e, unsigned width);
/* Open an object or an array; key is NULL at the top and inside arrays. */
void emit_obj_begin(struct emit *e, const char *key);
void emit_arr_begin(struct emit *e, const char *key);
/* An array of scalars: in text one line even when empty ("PATH -"). */
void emit_values_begin(struct emit *e, const char *key);
/* An object that is one text line: tmpl with each %s replaced by the next member's value
 * (no container inside it; one such object open at a time). */
void emit_obj_line(struct emit *e, const char *key, const char *tmpl);
/* Close the innermost open object or array. */
void emit_obj_end(struct emit *e);
void emit_arr_end(struct emit *e);
/* One scalar member (key NULL inside arrays). */
void emit_str(struct emit *e, const char *key, const char *val);
void emit_u64(struct emit *e, const char *key, uint64_t val);
void emit_i64(struct emit *e, const char *key, int64_t val);
void emit_bool(struct emit *e, const char *key, bool val);
/* A number with this many decimals ("%.*f"). */
void emit_fixed(struct emit *e, const char *key, double val, unsigned decimals);
/* A number in hex: "0x" and at least digits hex digits in text, the string "0x..." (no
 * padding) in JSON, the way addresses are written there. */
void emit_hex(struct emit *e, const char *key, uint64_t val, unsigned digits);
/* Text back end only: line as it is, on a line of its own (not inside a line template). */
void emit_text_line(struct emit *e, const char *line);
/* A member whose value is already JSON (a JSON back end's object relayed from a VM): put
 * in as it is by the JSON back end, as a string by the text one. -EINVAL, and nothing
 * written, unless json is exactly one well-formed value (surrounding blanks allowed). */
int emit_json_raw(struct emit *e, const char *key, const char *json);
/* Finish: the JSON back end ends its line. 0, -EINVAL if containers were left open or
 * closed twice, or -ENOMEM if the buffer could not grow. */
int emit_end(struct emit *e);

/* Reading a JSON back end's object: the value of top-level key in json (a string
 * unescaped, anything else as written) into val; 0, -ENOENT or -EINVAL (malformed or
 * longer than len - 1). */
int emit_json_get(const char *json, const char *key, char *val, size_t len);

#endif
