/* routing.c - the GSI routing table and the dynamic SPI allocator (no KVM call here). */
#include "routing.h"

#include <errno.h>
#include <string.h>

void irq_routing_init(struct irq_routing *r, bool msi_devid, uint32_t nr_irqs, uint32_t dyn_first,
		      uint32_t dyn_count)
{
	memset(r->routes, 0, sizeof(r->routes));
	memset(r->spi_used, 0, sizeof(r->spi_used));
	r->msi_devid = msi_devid;
	r->nr_irqs = nr_irqs > IRQ_MAX_INTIDS ? IRQ_MAX_INTIDS : nr_irqs;
	r->dyn_first = dyn_first;
	r->dyn_count = dyn_first + dyn_count <= r->nr_irqs ? dyn_count : 0;
	pthread_mutex_init(&r->lock, NULL);
}

static bool spi_is_used(const struct irq_routing *r, uint32_t intid)
{
	return r->spi_used[intid / 8] & (1u << (intid % 8));
}

int irq_routing_spi_alloc(struct irq_routing *r, unsigned count, uint32_t *first)
{
	uint32_t end = r->dyn_first + r->dyn_count;
	int ret = -ENOSPC;

	if (!count)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	for (uint32_t base = r->dyn_first; base + count <= end; base++) {
		unsigned n = 0;

		while (n < count && !spi_is_used(r, base + n))
			n++;
		if (n < count) {
			base += n; /* skip past the used SPI */
			continue;
		}
		for (n = 0; n < count; n++)
			r->spi_used[(base + n) / 8] |= 1u << ((base + n) % 8);
		*first = base;
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void irq_routing_spi_free(struct irq_routing *r, uint32_t first, unsigned count)
{
	pthread_mutex_lock(&r->lock);
	for (uint32_t i = first; i < first + count && i < r->nr_irqs; i++)
		r->spi_used[i / 8] &= ~(1u << (i % 8));
	pthread_mutex_unlock(&r->lock);
}

int irq_routing_gsi_alloc(struct irq_routing *r, uint32_t *gsi)
{
	int ret = -ENOSPC;

	pthread_mutex_lock(&r->lock);
	for (uint32_t i = 0; i < IRQ_MAX_GSIS; i++) {
		if (!r->routes[i].used) {
			r->routes[i] = (struct irq_route){ .used = true, .type = ROUTE_NONE };
			*gsi = i;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void irq_routing_gsi_free(struct irq_routing *r, uint32_t gsi)
{
	if (gsi >= IRQ_MAX_GSIS)
		return;
	pthread_mutex_lock(&r->lock);
	memset(&r->routes[gsi], 0, sizeof(r->routes[gsi]));
	pthread_mutex_unlock(&r->lock);
}

int irq_routing_route_set(struct irq_routing *r, uint32_t gsi, const struct irq_route *route)
{
	int ret = 0;

	if (gsi >= IRQ_MAX_GSIS)
		return -EINVAL;
	if (route->type == ROUTE_SPI && (route->intid < 32 || route->intid >= r->nr_irqs))
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	if (!r->routes[gsi].used) {
		ret = -EINVAL;
	} else {
		uint64_t signals = r->routes[gsi].signals;

		r->routes[gsi] = *route;
		r->routes[gsi].used = true;
		r->routes[gsi].signals = signals;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

unsigned irq_routing_build_locked(struct irq_routing *r, struct kvm_irq_routing_entry *e, unsigned max)
{
	unsigned n = 0;

	for (uint32_t gsi = 0; gsi < IRQ_MAX_GSIS && n < max; gsi++) {
		const struct irq_route *rt = &r->routes[gsi];

		if (!rt->used || rt->type == ROUTE_NONE)
			continue;
		memset(&e[n], 0, sizeof(e[n]));
		e[n].gsi = gsi;
		if (rt->type == ROUTE_SPI) {
			/* vgic-irqfd.c: pin is the SPI number, INTID - 32. */
			e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
			e[n].u.irqchip.irqchip = 0;
			e[n].u.irqchip.pin = rt->intid - 32;
		} else {
			e[n].type = KVM_IRQ_ROUTING_MSI;
			e[n].u.msi.address_lo = (uint32_t)rt->msi_addr;
			e[n].u.msi.address_hi = (uint32_t)(rt->msi_addr >> 32);
			e[n].u.msi.data = rt->msi_data;
			if (r->msi_devid) {
				e[n].flags = KVM_MSI_VALID_DEVID;
				e[n].u.msi.devid = rt->devid;
			}
		}
		n++;
	}
	return n;
}

unsigned irq_routing_build(struct irq_routing *r, struct kvm_irq_routing_entry *e, unsigned max)
{
	unsigned n;

	pthread_mutex_lock(&r->lock);
	n = irq_routing_build_locked(r, e, max);
	pthread_mutex_unlock(&r->lock);
	return n;
}
