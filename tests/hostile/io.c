/* io.c - the hostile guest's platform: 16550 console, generic timer, PSCI power-off,
 * the test-exit register, and just enough of the DTB (devicetree spec v0.4, chapter 5). */
#include "hostile.h"

/* 16550 registers (TI PC16550D datasheet, table 2). */
#define UART_THR 0
#define UART_LCR 3
#define UART_LSR 5
#define LSR_THRE 0x20
#define LCR_8N1  0x03

/* PSCI 1.1 (ARM DEN 0022), 5.1.9: SYSTEM_OFF, SMC32/HVC32 function ID. */
#define PSCI_SYSTEM_OFF 0x84000008u
/* Exit status on failure: the case sees it as vmm's exit code (devices/test_exit.c). */
#define FAIL_EXIT_CODE 9

void *memset(void *d, int c, size_t n)
{
	volatile uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile uint8_t *p = d;
	const volatile uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

void wN(uint64_t a, unsigned width, uint64_t v)
{
	switch (width) {
	case 1: w8(a, v); break;
	case 2: w16(a, v); break;
	case 4: w32(a, v); break;
	default: w64(a, v); break;
	}
}

uint64_t rN(uint64_t a, unsigned width)
{
	switch (width) {
	case 1: return r8(a);
	case 2: return r16(a);
	case 4: return r32(a);
	default: return r64(a);
	}
}

/* ---- time: the virtual counter (ARM ARM D11.1) ---- */

static uint64_t counter_hz(void)
{
	uint64_t f;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f ? f : 62500000; /* QEMU's virt frequency if firmware left it unset */
}

uint64_t now_us(void)
{
	uint64_t c;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(c) :: "memory");
	uint64_t per_us = counter_hz() / 1000000;

	return c / (per_us ? per_us : 1);
}

void delay_us(uint64_t us)
{
	uint64_t end = now_us() + us;

	while (now_us() < end)
		;
}

/* ---- console ---- */

void uart_init(void)
{
	w8(UART_BASE + UART_LCR, LCR_8N1);
}

void putc_(char c)
{
	/* Bounded: vmm's THR is always empty, a real one drains in microseconds. */
	for (unsigned i = 0; i < 100000 && !(r8(UART_BASE + UART_LSR) & LSR_THRE); i++)
		;
	w8(UART_BASE + UART_THR, (uint8_t)c);
}

void puts_(const char *s)
{
	while (*s) {
		if (*s == '\n')
			putc_('\r');
		putc_(*s++);
	}
}

void puthex(uint64_t v)
{
	char buf[19];
	int i = 18;

	buf[i] = 0;
	do {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	puts_(buf + i);
}

void putdec(uint64_t v)
{
	char buf[21];
	int i = 20;

	buf[i] = 0;
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	puts_(buf + i);
}

unsigned attacks_ok;
volatile uint32_t abort_expected __attribute__((aligned(8)));
volatile uint64_t abort_esr;

void report_ok(const char *name)
{
	attacks_ok++;
	puts_("HOSTILE: ");
	puts_(name);
	puts_(" ok\n");
}

void fail(const char *what, uint64_t val)
{
	puts_("HOSTILE-FAIL ");
	puts_(what);
	puts_(" ");
	puthex(val);
	puts_("\n");
	/* A non-zero test-exit value stops vmm with that code: the case fails loudly. */
	w32(TEST_EXIT_BASE, FAIL_EXIT_CODE);
	for (;;)
		__asm__ volatile("wfi");
}

void check(bool ok, const char *what, uint64_t val)
{
	if (!ok)
		fail(what, val);
}

void poweroff(void)
{
	register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;

	/* The conduit is the DTB's /psci method, checked in platform_probe. */
	__asm__ volatile("hvc #0" : "+r"(x0) :: "x1", "x2", "x3", "memory");
	fail("PSCI SYSTEM_OFF returned", x0);
}

/* Any exception (alignment fault, external abort from vmm, undefined instruction). */
void exception(uint64_t esr, uint64_t elr, uint64_t far);
void exception(uint64_t esr, uint64_t elr, uint64_t far)
{
	puts_("HOSTILE-FAIL exception esr ");
	puthex(esr);
	puts_(" elr ");
	puthex(elr);
	fail("far", far);
}

/* ---- the DTB: big-endian structure block of tokens (devicetree spec 5.4) ---- */

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

static uint32_t be32(uint64_t a)
{
	return __builtin_bswap32(r32(a));
}

static uint64_t be64(uint64_t a)
{
	return (uint64_t)be32(a) << 32 | be32(a + 4);
}

static bool str_at(uint64_t a, const char *s)
{
	for (; *s; s++, a++)
		if (r8(a) != (uint8_t)*s)
			return false;
	return r8(a) == 0;
}

static bool prefix_at(uint64_t a, const char *s)
{
	for (; *s; s++, a++)
		if (r8(a) != (uint8_t)*s)
			return false;
	return true;
}

/* Is s one of the NUL-separated strings of a property value? */
static bool strlist_has(uint64_t v, uint32_t len, const char *s)
{
	uint64_t end = v + len;

	while (v < end) {
		if (str_at(v, s))
			return true;
		while (v < end && r8(v))
			v++;
		v++;
	}
	return false;
}

/* What one node told us; committed at its END_NODE. Every parent on the way has
 * #address-cells = #size-cells = 2 and identity ranges (arch/arm64/fdt_arch.c, irqchip/gicv2.c). */
struct fdt_node {
	uint64_t name;
	bool ecam, vmmio, v2m;
	uint64_t reg_base, reg_size;
};

static void fdt_prop(struct fdt_node *cur, uint64_t pname, uint64_t v, uint32_t len, struct platform *p)
{
	if (str_at(pname, "compatible")) {
		cur->ecam |= strlist_has(v, len, "pci-host-ecam-generic");
		cur->vmmio |= strlist_has(v, len, "virtio,mmio");
		cur->v2m |= strlist_has(v, len, "arm,gic-v2m-frame");
	} else if (str_at(pname, "reg") && len >= 16) {
		cur->reg_base = be64(v);
		cur->reg_size = be64(v + 8);
	} else if (str_at(pname, "method") && prefix_at(cur->name, "psci")) {
		p->psci_hvc = str_at(v, "hvc");
	}
}

static void fdt_commit(const struct fdt_node *n, struct platform *p)
{
	if (prefix_at(n->name, "memory@")) {
		p->ram_base = n->reg_base;
		p->ram_size = n->reg_size;
	}
	if (n->ecam)
		p->ecam = n->reg_base;
	if (n->v2m)
		p->v2m = n->reg_base;
	if (n->vmmio && p->nr_mmio < 8)
		p->mmio[p->nr_mmio++] = n->reg_base;
}

static uint64_t align4(uint64_t a)
{
	return (a + 3) & ~3ULL;
}

#define FDT_MAX_DEPTH 8

void platform_probe(uint64_t fdt, struct platform *p)
{
	struct fdt_node nodes[FDT_MAX_DEPTH];
	uint64_t tok, strings, end;
	int depth = 0;

	memset(p, 0, sizeof(*p));
	p->fdt = fdt;
	check(be32(fdt) == FDT_MAGIC, "no DTB at x0", fdt);
	tok = fdt + be32(fdt + 8);
	strings = fdt + be32(fdt + 12);
	end = fdt + be32(fdt + 4);
	while (tok < end) {
		uint32_t t = be32(tok);

		tok += 4;
		if (t == FDT_BEGIN_NODE) {
			depth++;
			check(depth < FDT_MAX_DEPTH, "DTB nested too deep", depth);
			nodes[depth] = (struct fdt_node){ .name = tok };
			while (tok < end && r8(tok))
				tok++;
			tok = align4(tok + 1);
		} else if (t == FDT_END_NODE) {
			check(depth > 0, "DTB END_NODE without node", 0);
			fdt_commit(&nodes[depth--], p);
		} else if (t == FDT_PROP) {
			uint32_t len = be32(tok);

			if (depth > 0)
				fdt_prop(&nodes[depth], strings + be32(tok + 4), tok + 8, len, p);
			tok = align4(tok + 8 + len);
		} else if (t == FDT_END) {
			break;
		} else if (t != FDT_NOP) {
			fail("bad DTB token", t);
		}
	}
	check(p->ram_size != 0, "no /memory node in the DTB", 0);
	check(p->psci_hvc, "the DTB's PSCI conduit is not hvc", 0);
}
