/* fuzz_uart.c - the 16550 register file (devices/uart.c): reads and writes of every register
 * with DLAB on and off, refused widths, host input, breaks and resets, with the guest's
 * output going through the console stream (its line buffer) to /dev/null.
 *
 * A small model checks what a register file must keep: DLL, DLM, SCR and LCR read back what
 * was written, LSR always reports an empty transmitter, IIR names one of three causes.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../arch/arm64/memmap.h"
#include "../../console.h"
#include "../../devices/uart.h"
#include "../../util.h"
#include "fuzz.h"

#define MAX_OPS 512
#define LCR_DLAB 0x80

struct model {
	uint8_t lcr, dll, dlm, scr;
};

static struct vm *vm;
static struct uart *uart;
static struct console con;
static struct console_sink con_sink;

static void setup_once(void)
{
	char err[128];
	int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	vm = fake_vm_create(0, FAKE_GICV3, 1);
	if (null_fd < 0 || console_init(&con, vm, null_fd, NULL, NULL, NULL, err, sizeof(err)) ||
	    (test_console_sink(&con_sink, &con), 0) ||
	    uart_create(&vm->env, guest_memmap[MEM_UART].base, guest_irqmap[IRQ_UART].intid, &con_sink, &uart))
		abort();
}

static uint8_t reg_read(unsigned reg, unsigned len)
{
	uint8_t data[8] = { 0 };

	mmio_bus_access(&vm->mmio, guest_memmap[MEM_UART].base + reg, data, len, false);
	return data[0];
}

static void reg_write(unsigned reg, unsigned len, uint8_t v)
{
	uint8_t data[8] = { v };

	mmio_bus_access(&vm->mmio, guest_memmap[MEM_UART].base + reg, data, len, true);
}

/* What must read back, whatever came before. */
static void check_read(const struct model *m, unsigned reg, uint8_t v)
{
	bool dlab = m->lcr & LCR_DLAB;

	switch (reg) {
	case 0: if (dlab) FUZZ_CHECK(v == m->dll); break;
	case 1: if (dlab) FUZZ_CHECK(v == m->dlm); break;
	case 2: FUZZ_CHECK((v & 0x0f) == 1 || (v & 0x0f) == 2 || (v & 0x0f) == 4); break;
	case 3: FUZZ_CHECK(v == m->lcr); break;
	case 5: FUZZ_CHECK((v & 0x60) == 0x60); break;
	case 7: FUZZ_CHECK(v == m->scr); break;
	}
}

static void model_write(struct model *m, unsigned reg, uint8_t v)
{
	bool dlab = m->lcr & LCR_DLAB;

	if (reg == 0 && dlab)
		m->dll = v;
	else if (reg == 1 && dlab)
		m->dlm = v;
	else if (reg == 3)
		m->lcr = v;
	else if (reg == 7)
		m->scr = v;
}

/* Back to power-on: the device's reset hook, as a VM restart runs it. */
static void uart_reset_all(struct model *m)
{
	for (unsigned i = 0; i < vm->mmio.nr; i++)
		if (vm->mmio.regions[i].dev == uart && vm->mmio.regions[i].ops->reset)
			vm->mmio.regions[i].ops->reset(uart);
	memset(m, 0, sizeof(*m));
}

static void step(struct model *m, struct fuzz_in *in)
{
	uint8_t op = fin_u8(in), reg = op >> 5, buf[64];
	size_t n;

	switch (op % 8) {
	case 0:
	case 1: check_read(m, reg, reg_read(reg, 1)); break;
	case 2:
	case 3: {
		uint8_t v = fin_u8(in);

		reg_write(reg, 1, v);
		model_write(m, reg, v);
		break;
	}
	case 4: reg_write(reg & 3, 2 << (op & 1), fin_u8(in)); break; /* refused: 1-byte registers */
	case 5:
		n = fin_bytes(in, buf, fin_u8(in) % sizeof(buf));
		FUZZ_CHECK(uart_receive(uart, buf, n) <= n);
		break;
	case 6:
		n = fin_bytes(in, buf, fin_u8(in) % 8);
		buf[n] = '\0';
		uart_send_break(uart, (char *)buf);
		break;
	case 7:
		/* Fill the 256-byte FIFO past full now and then. */
		if (op & 0x80) {
			memset(buf, 'x', sizeof(buf));
			for (unsigned i = 0; i < 5; i++)
				uart_receive(uart, buf, sizeof(buf));
		} else {
			uart_reset_all(m);
		}
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct model m;

	if (!vm)
		setup_once();
	uart_reset_all(&m);
	for (unsigned i = 0; i < MAX_OPS && !fin_empty(&in); i++)
		step(&m, &in);
	return 0;
}
