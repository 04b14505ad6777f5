/* test_env.c - the device environment of unit tests and fuzz targets; see test_env.h. */
#include "test_env.h"

#include "../../arch/arm64/arch.h"
#include "../../console.h"
#include "../../devices/pci.h"
#include "../../irqchip/gic.h"

static void test_request_stop(void *ctx, int exit_code)
{
	vm_request_stop(ctx, exit_code);
}

static void test_console_write(void *ctx, const void *buf, size_t len)
{
	console_output(ctx, buf, len);
}

void test_console_sink(struct console_sink *sink, struct console *c)
{
	*sink = (struct console_sink){ .write = test_console_write, .ctx = c };
}

void test_env_irqchip(struct vm *vm, const struct irqchip_ops *gic, bool its)
{
	struct gic_layout layout;

	board_gic_layout(&layout);
	irqchip_init(&vm->irq, vm->vm_fd, vm->nr_vcpus, gic, its, &layout, &vm->mem, &vm->mmio);
}

void test_env_init(struct vm *vm)
{
	vm->events = (struct vm_events){ .request_stop = test_request_stop, .ctx = vm };
	test_console_sink(&vm->console_sink, vm->console);
	vm->console_out = vm->console ? &vm->console_sink : NULL;
	vm->env = (struct dev_env){
		.mem = &vm->mem, .mmio = &vm->mmio, .irq = &vm->irq, .events = &vm->events, .vm_fd = vm->vm_fd,
	};
	board_virtio_host(vm);
}

int test_env_pci_create(struct vm *vm)
{
	struct pci_layout l;
	int ret;

	board_pci_layout(&l);
	ret = pci_bus_create(&vm->env, &l, &vm->pci);
	vm->vhost.pci = vm->pci;
	return ret;
}

void test_env_pci_destroy(struct vm *vm)
{
	pci_bus_destroy(vm->pci);
	vm->pci = vm->vhost.pci = NULL;
}
