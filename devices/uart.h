/* uart.h - a 16550A UART on the MMIO bus, its interrupt through the IRQ layer. */
#ifndef VMM_UART_H
#define VMM_UART_H

#include <stddef.h>
#include <stdint.h>

struct device_class;
struct dev_env;
struct uart;
struct console_sink;

/* Create the UART at base with SPI intid, output to out (NULL: dropped; kept, it must
 * outlive the UART), and register it on env's bus. 0 or -errno. */
int uart_create(const struct dev_env *env, uint64_t base, uint32_t intid, const struct console_sink *out,
		struct uart **uart);
/* Queue host input for the guest; returns how many bytes fit in the receive FIFO. */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);
/* Send a break condition followed by the bytes of then (Linux: a SysRq key). 0 or -EBUSY. */
int uart_send_break(struct uart *u, const char *then);
/* Free the UART. */
void uart_destroy(struct uart *u);
/* The UART in the VM's device list: reset to power-on state, destroy. */
extern const struct device_class uart_device_class;

#endif
