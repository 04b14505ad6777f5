/* uart.c - 16550A UART (register set of the NS16550A / TI PC16550D datasheet). */
#include "uart.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../bus.h"
#include "../fdt/fdt_build.h"
#include "../irqchip/irq.h"
#include "../util.h"
#include "device.h"
#include "env.h"

enum {
	UART_RBR_THR = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3,
	UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};
#define IER_RDI    0x01
#define IER_THRI   0x02
#define IIR_NO_INT 0x01
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_FIFO   0xc0
#define FCR_ENABLE 0x01
#define FCR_CLR_RX 0x02
#define LCR_DLAB   0x80
#define MCR_LOOP   0x10
#define LSR_DR     0x01
#define LSR_BI     0x10
#define LSR_THRE   0x20
#define LSR_TEMT   0x40
#define MSR_CTS    0x10
#define MSR_DSR    0x20
#define MSR_DCD    0x80

/* Larger than a real 16550's 16 bytes: the host side has no baud rate to pace it. */
#define RX_BREAK 0x100
#define UART_RX_FIFO 256

struct uart {
	const struct dev_env *env;
	pthread_mutex_t lock;
	uint64_t base;
	uint32_t intid;
	const struct console_sink *out;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending;  /* THR empty interrupt not yet acknowledged by an IIR read */
	bool irq_level;     /* last level driven on the SPI */
	uint16_t rx[UART_RX_FIFO];  /* byte, plus RX_BREAK for a break condition */
	unsigned rx_head, rx_count;
};

static uint8_t uart_iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((u->ier & IER_RDI) && u->rx_count)
		return IIR_RDI | fifo;
	if ((u->ier & IER_THRI) && u->thre_pending)
		return IIR_THRI | fifo;
	return IIR_NO_INT | fifo;
}

/* Drive the SPI to match the interrupt state; called with the lock held. */
static void uart_update_irq(struct uart *u)
{
	bool level = !(uart_iir(u) & IIR_NO_INT);

	if (level != u->irq_level && irq_spi_set(u->env->irq, u->intid, level) == 0)
		u->irq_level = level;
}

static void uart_rx_push(struct uart *u, uint16_t c)
{
	if (u->rx_count < UART_RX_FIFO) {
		u->rx[(u->rx_head + u->rx_count) % UART_RX_FIFO] = c;
		u->rx_count++;
	}
}

static uint8_t uart_rx_pop(struct uart *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head] & 0xff;
	u->rx_head = (u->rx_head + 1) % UART_RX_FIFO;
	u->rx_count--;
	return c;
}

static uint8_t uart_msr(const struct uart *u)
{
	/* Loopback wires RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD; the 8250 probe checks it. */
	if (u->mcr & MCR_LOOP)
		return (u->mcr & 0x0f) << 4;
	return MSR_DCD | MSR_DSR | MSR_CTS;
}

static uint8_t uart_read_reg(struct uart *u, unsigned reg)
{
	uint8_t v;

	switch (reg) {
	case UART_RBR_THR:
		return (u->lcr & LCR_DLAB) ? u->dll : uart_rx_pop(u);
	case UART_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR_FCR:
		v = uart_iir(u);
		/* Reading IIR while it reports THRE acknowledges that interrupt. */
		if ((v & 0x0f) == IIR_THRI)
			u->thre_pending = false;
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		/* Transmission is instantaneous: THR and the shifter are always empty. */
		return LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0) |
		       (u->rx_count && (u->rx[u->rx_head] & RX_BREAK) ? LSR_BI : 0);
	case UART_MSR:
		return uart_msr(u);
	default:
		return u->scr;
	}
}

static void uart_transmit(struct uart *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP)
		uart_rx_push(u, c);
	else if (u->out)
		console_sink_write(u->out, &c, 1);
	u->thre_pending = true;
}

static void uart_write_reg(struct uart *u, unsigned reg, uint8_t v)
{
	switch (reg) {
	case UART_RBR_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else
			uart_transmit(u, v);
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		/* Enabling THRI with THR empty raises the interrupt at once. */
		if ((v & IER_THRI) && !(u->ier & IER_THRI))
			u->thre_pending = true;
		u->ier = v & 0x0f;
		break;
	case UART_IIR_FCR:
		u->fcr = v & FCR_ENABLE;
		if (v & FCR_CLR_RX)
			u->rx_count = 0;
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1f;
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

static int uart_read(void *dev, uint64_t off, unsigned len, uint64_t *val)
{
	struct uart *u = dev;

	(void)len;
	pthread_mutex_lock(&u->lock);
	*val = uart_read_reg(u, off);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

static int uart_write(void *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct uart *u = dev;

	(void)len;
	pthread_mutex_lock(&u->lock);
	uart_write_reg(u, off, val);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	for (; n < len && u->rx_count < UART_RX_FIFO; n++)
		uart_rx_push(u, buf[n]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

int uart_send_break(struct uart *u, const char *then)
{
	size_t n = strlen(then);
	int ret = 0;

	pthread_mutex_lock(&u->lock);
	/* A break reads as a NUL with LSR.BI set, in order with the bytes around it. */
	if (u->rx_count + 1 + n > UART_RX_FIFO) {
		ret = -EBUSY;
	} else {
		uart_rx_push(u, RX_BREAK);
		for (size_t i = 0; i < n; i++)
			uart_rx_push(u, (uint8_t)then[i]);
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return ret;
}

static int uart_fdt_node(void *dev, void *fdt)
{
	struct uart *u = dev;
	uint64_t reg[2] = { u->base, 8 };
	uint32_t irq[3];

	irqchip_fdt_spi(u->intid, irq);
	FDT_TRY(fdt_begin_node_at(fdt, "uart", u->base));
	FDT_TRY(fdt_property_string(fdt, "compatible", "ns16550a"));
	FDT_TRY(fdt_prop_reg(fdt, reg, 1));
	FDT_TRY(fdt_prop_cells(fdt, "interrupts", irq, 3));
	FDT_TRY(fdt_property_u32(fdt, "clock-frequency", 1843200));
	FDT_TRY(fdt_property_u32(fdt, "reg-io-width", 1));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

static void uart_reset(void *dev)
{
	struct uart *u = dev;

	pthread_mutex_lock(&u->lock);
	u->ier = u->lcr = u->mcr = u->scr = u->dll = u->dlm = u->fcr = 0;
	u->thre_pending = false;
	u->rx_head = u->rx_count = 0;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static const struct device_ops uart_ops = {
	.name = "uart",
	.widths = WIDTH(1),
	.read = uart_read,
	.write = uart_write,
	.fdt_node = uart_fdt_node,
	.reset = uart_reset,
};

int uart_create(const struct dev_env *env, uint64_t base, uint32_t intid, const struct console_sink *out,
		struct uart **uart)
{
	struct uart *u = calloc(1, sizeof(*u));
	int ret;

	if (!u)
		return -ENOMEM;
	u->env = env;
	u->base = base;
	u->intid = intid;
	u->out = out;
	pthread_mutex_init(&u->lock, NULL);
	ret = mmio_bus_register(env->mmio, base, 8, &uart_ops, u);
	if (ret) {
		log_err("uart: cannot register at 0x%llx: %s", (unsigned long long)base, strerror(-ret));
		free(u);
		return ret;
	}
	*uart = u;
	return 0;
}

void uart_destroy(struct uart *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

static void uart_class_destroy(void *dev)
{
	uart_destroy(dev);
}

const struct device_class uart_device_class = {
	.name = "uart",
	.reset = uart_reset,
	.destroy = uart_class_destroy,
};
