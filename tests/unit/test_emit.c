/* Unit tests: the structured-output emitter (emit.h), both back ends and the JSON reader. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "../../emit.h"
#include "../../util.h"

/* One description rendered by both back ends: nesting of objects and arrays. */
static void describe(struct emit *e)
{
	emit_obj_begin(e, NULL);
	emit_str(e, "name", "vm1");
	emit_fixed(e, "uptime", 1.23456, 3);
	emit_u64(e, "vcpus", 2);
	emit_bool(e, "its", true);
	emit_obj_begin(e, "ram");
	emit_u64(e, "mib", 512);
	emit_obj_end(e);
	emit_arr_begin(e, "disks");
	emit_str(e, NULL, "a.img");
	emit_obj_begin(e, NULL);
	emit_bool(e, "ro", false);
	emit_obj_end(e);
	emit_arr_end(e);
	emit_values_begin(e, "none");
	emit_arr_end(e);
	emit_arr_begin(e, "nothing"); /* a plain array: no line when empty */
	emit_arr_end(e);
	emit_obj_end(e);
}

static void test_text(void **state)
{
	struct strbuf sb = { 0 };
	struct emit e;

	(void)state;
	emit_init(&e, &sb, EMIT_TEXT);
	describe(&e);
	assert_int_equal(emit_end(&e), 0);
	assert_string_equal(sb.buf, "name vm1\nuptime 1.235\nvcpus 2\nits yes\nram mib 512\n"
				    "disks a.img\ndisks ro no\nnone -\n");
	sb_free(&sb);
}

/* Text: padded keys, arrays of scalars on one line, signed numbers (vmm probe's layout). */
static void test_text_layout(void **state)
{
	struct strbuf sb = { 0 };
	struct emit e;

	(void)state;
	emit_init(&e, &sb, EMIT_TEXT);
	emit_text_width(&e, 8);
	emit_obj_begin(&e, NULL);
	emit_i64(&e, "neg", -5);
	emit_bool(&e, "a_long_key", false);
	emit_arr_begin(&e, "vls");
	emit_u64(&e, NULL, 128);
	emit_u64(&e, NULL, 256);
	emit_arr_end(&e);
	emit_arr_begin(&e, "mixed");
	emit_str(&e, NULL, "x");
	emit_obj_begin(&e, NULL);
	emit_u64(&e, "n", 1);
	emit_obj_end(&e);
	emit_str(&e, NULL, "y");
	emit_arr_end(&e);
	emit_obj_end(&e);
	assert_int_equal(emit_end(&e), 0);
	assert_string_equal(sb.buf, "neg      -5\na_long_key no\nvls      128 256\nmixed    x\nmixed n  1\nmixed    y\n");
	sb_free(&sb);
}

/* Objects that are one text line each, from a template; JSON sees plain objects. */
static void test_line_template(void **state)
{
	static const char *const want[] = {
		"vcpu 0 exits: mmio 7 (reads 3), tag x\nvcpu 1 exits: mmio 9 (reads 1), tag y\nend ok\n",
		"{\"vcpus\": [{\"vcpu\": 0, \"mmio\": 7, \"reads\": 3, \"tag\": \"x\", \"extra\": true}, "
		"{\"vcpu\": 1, \"mmio\": 9, \"reads\": 1, \"tag\": \"y\", \"extra\": true}], \"end\": \"ok\"}\n",
	};

	(void)state;
	for (int fmt = EMIT_TEXT; fmt <= EMIT_JSON; fmt++) {
		struct strbuf sb = { 0 };
		struct emit e;

		emit_init(&e, &sb, fmt);
		emit_obj_begin(&e, NULL);
		emit_arr_begin(&e, "vcpus");
		for (unsigned i = 0; i < 2; i++) {
			emit_obj_line(&e, NULL, "vcpu %s exits: mmio %s (reads %s), tag %s");
			emit_u64(&e, "vcpu", i);
			emit_u64(&e, "mmio", i ? 9 : 7);
			emit_u64(&e, "reads", i ? 1 : 3);
			emit_str(&e, "tag", i ? "y" : "x");
			emit_bool(&e, "extra", true); /* past the last %s: JSON only */
			emit_obj_end(&e);
		}
		emit_arr_end(&e);
		emit_str(&e, "end", "ok");
		emit_obj_end(&e);
		assert_int_equal(emit_end(&e), 0);
		assert_string_equal(sb.buf, want[fmt]);
		sb_free(&sb);
	}
}

/* A template with places left over, or a container inside one: reported. */
static void test_line_template_misuse(void **state)
{
	struct strbuf sb = { 0 };
	struct emit e;

	(void)state;
	emit_init(&e, &sb, EMIT_TEXT);
	emit_obj_line(&e, NULL, "a %s b %s");
	emit_u64(&e, "a", 1);
	emit_obj_end(&e);
	assert_int_equal(emit_end(&e), -EINVAL);
	sb_free(&sb);
	emit_init(&e, &sb, EMIT_TEXT);
	emit_obj_line(&e, NULL, "a %s");
	emit_arr_begin(&e, "x");
	emit_obj_end(&e);
	assert_int_equal(emit_end(&e), -EINVAL);
	sb_free(&sb);
}

/* Template places with a width and for booleans, hex numbers, and headings only in text. */
static void test_line_template_places(void **state)
{
	static const char *const want[] = {
		"heading:\n  uart     at 0x00001000 masked\n  rtc      unmapped, programmed 0x00002000\n",
		"{\"regions\": [{\"name\": \"uart\", \"mapped\": true, \"base\": \"0x1000\", \"masked\": true}, "
		"{\"name\": \"rtc\", \"mapped\": false, \"base\": \"0x2000\", \"masked\": false}]}\n",
	};

	(void)state;
	for (int fmt = EMIT_TEXT; fmt <= EMIT_JSON; fmt++) {
		struct strbuf sb = { 0 };
		struct emit e;

		emit_init(&e, &sb, fmt);
		emit_obj_begin(&e, NULL);
		emit_text_line(&e, "heading:");
		emit_arr_begin(&e, "regions");
		for (unsigned i = 0; i < 2; i++) {
			emit_obj_line(&e, NULL, "  %-8s %{at |unmapped, programmed }%s%{ masked}");
			emit_str(&e, "name", i ? "rtc" : "uart");
			emit_bool(&e, "mapped", !i);
			emit_hex(&e, "base", 0x1000 * (i + 1), 8);
			emit_bool(&e, "masked", !i);
			emit_obj_end(&e);
		}
		emit_arr_end(&e);
		emit_obj_end(&e);
		assert_int_equal(emit_end(&e), 0);
		assert_string_equal(sb.buf, want[fmt]);
		sb_free(&sb);
	}
}

/* A boolean place given a number is reported, and so is a heading inside a template. */
static void test_line_template_bool_misuse(void **state)
{
	struct strbuf sb = { 0 };
	struct emit e;

	(void)state;
	emit_init(&e, &sb, EMIT_TEXT);
	emit_obj_line(&e, NULL, "a%{ yes}");
	emit_u64(&e, "a", 1);
	emit_obj_end(&e);
	assert_int_equal(emit_end(&e), -EINVAL);
	sb_free(&sb);
	emit_init(&e, &sb, EMIT_TEXT);
	emit_obj_line(&e, NULL, "a %s");
	emit_text_line(&e, "x");
	emit_u64(&e, "a", 1);
	emit_obj_end(&e);
	assert_int_equal(emit_end(&e), -EINVAL);
	sb_free(&sb);
}

static void test_json(void **state)
{
	struct strbuf sb = { 0 };
	struct emit e;

	(void)state;
	emit_init(&e, &sb, EMIT_JSON);
	describe(&e);
	assert_int_equal(emit_end(&e), 0);
	assert_string_equal(sb.buf, "{\"name\": \"vm1\", \"uptime\": 1.235, \"vcpus\": 2, \"its\": true, "
				    "\"ram\": {\"mib\": 512}, \"disks\": [\"a.img\", {\"ro\": false}], \"none\": [], \"nothing\": []}\n");
	sb_free(&sb);
}

static void test_json_escaping(void **state)
{
	struct strbuf sb = { 0 };
	struct emit e;

	(void)state;
	emit_init(&e, &sb, EMIT_JSON);
	emit_obj_begin(&e, NULL);
	emit_str(&e, "q\"k", "a\"b\\c\n\t\x01\x1f\x7f\xc3\xa9/");
	emit_obj_end(&e);
	assert_int_equal(emit_end(&e), 0);
	assert_string_equal(sb.buf, "{\"q\\\"k\": \"a\\\"b\\\\c\\u000a\\u0009\\u0001\\u001f\x7f\xc3\xa9/\"}\n");
	sb_free(&sb);
}

static void test_unbalanced(void **state)
{
	struct strbuf sb = { 0 };
	struct emit e;

	(void)state;
	emit_init(&e, &sb, EMIT_JSON);
	emit_obj_begin(&e, NULL);
	assert_int_equal(emit_end(&e), -EINVAL);
	sb_free(&sb);
	emit_init(&e, &sb, EMIT_TEXT);
	emit_obj_end(&e);
	assert_int_equal(emit_end(&e), -EINVAL);
	sb_free(&sb);
	emit_init(&e, &sb, EMIT_JSON);
	emit_obj_begin(&e, NULL);
	emit_arr_end(&e); /* the wrong kind */
	emit_obj_end(&e);
	assert_int_equal(emit_end(&e), -EINVAL);
	sb_free(&sb);
	emit_init(&e, &sb, EMIT_JSON);
	for (int i = 0; i < EMIT_MAX_DEPTH + 1; i++)
		emit_arr_begin(&e, NULL);
	for (int i = 0; i < EMIT_MAX_DEPTH; i++)
		emit_arr_end(&e);
	assert_int_equal(emit_end(&e), -EINVAL);
	sb_free(&sb);
}

/* What the JSON back end writes, the reader gives back, escapes and all. */
static void test_json_roundtrip(void **state)
{
	const char *nasty = "a\"b\\c\n\x01 z";
	struct strbuf sb = { 0 };
	struct emit e;
	char val[64];

	(void)state;
	emit_init(&e, &sb, EMIT_JSON);
	emit_obj_begin(&e, NULL);
	emit_obj_begin(&e, "nest"); /* a nested "state" is not the top-level one */
	emit_str(&e, "state", "inner");
	emit_obj_end(&e);
	emit_arr_begin(&e, "list");
	emit_str(&e, NULL, "x]}");
	emit_arr_end(&e);
	emit_str(&e, "state", nasty);
	emit_fixed(&e, "uptime", 2.5, 3);
	emit_bool(&e, "its", false);
	emit_obj_end(&e);
	assert_int_equal(emit_end(&e), 0);
	assert_int_equal(emit_json_get(sb.buf, "state", val, sizeof(val)), 0);
	assert_string_equal(val, nasty);
	assert_int_equal(emit_json_get(sb.buf, "uptime", val, sizeof(val)), 0);
	assert_string_equal(val, "2.500");
	assert_int_equal(emit_json_get(sb.buf, "its", val, sizeof(val)), 0);
	assert_string_equal(val, "false");
	assert_int_equal(emit_json_get(sb.buf, "nope", val, sizeof(val)), -ENOENT);
	assert_int_equal(emit_json_get(sb.buf, "state", val, 4), -EINVAL);
	sb_free(&sb);
}

static void test_json_reader_malformed(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{", "{\"a\"}", "{\"a\": }", "{\"a\": \"x}", "{\"a\": 1 \"b\": 2}",
		"{\"a\": \"\\q\"}", "{\"a\": \"\\u00e9\"}", "{\"a\": [1, 2}", "{\"a\": \"\x01\"}",
	};
	char val[16];

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(emit_json_get(bad[i], "b", val, sizeof(val)), -EINVAL);
	assert_int_equal(emit_json_get("{}", "b", val, sizeof(val)), -ENOENT);
	assert_int_equal(emit_json_get(" {\"a\":[{\"b\":1}],\"b\":\"\\u0041\"}", "b", val, sizeof(val)), 0);
	assert_string_equal(val, "A");
}

/* A relayed JSON value goes in as it is, and only if it is one well-formed value. */
static void test_json_raw(void **state)
{
	struct strbuf sb = { 0 };
	struct emit e;

	(void)state;
	emit_init(&e, &sb, EMIT_JSON);
	emit_obj_begin(&e, NULL);
	emit_bool(&e, "ok", true);
	assert_int_equal(emit_json_raw(&e, "status", " {\"a\": [1, \"}\"]}\n"), 0);
	assert_int_equal(emit_json_raw(&e, "bad", "{\"a\": 1} trailing"), -EINVAL);
	assert_int_equal(emit_json_raw(&e, "bad", "{\"a\": "), -EINVAL);
	assert_int_equal(emit_json_raw(&e, "bad", "error: usage"), -EINVAL);
	emit_obj_end(&e);
	assert_int_equal(emit_end(&e), 0);
	assert_string_equal(sb.buf, "{\"ok\": true, \"status\": {\"a\": [1, \"}\"]}}\n");
	sb_free(&sb);
	emit_init(&e, &sb, EMIT_TEXT);
	assert_int_equal(emit_json_raw(&e, "status", "[1]"), 0);
	assert_int_equal(emit_end(&e), 0);
	assert_string_equal(sb.buf, "status [1]\n");
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_layout),
		cmocka_unit_test(test_line_template),
		cmocka_unit_test(test_line_template_misuse),
		cmocka_unit_test(test_line_template_places),
		cmocka_unit_test(test_line_template_bool_misuse),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_unbalanced),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_json_reader_malformed),
		cmocka_unit_test(test_json_raw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
