/* msix.c - MSI-X for a PCI function (PCI Local Bus Specification 3.0, 6.8.2): the table and
 * PBA, masking, pending bits, and each vector's route and irqfd in KVM. */
#include "msix.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Entry fields (6.8.2.6-6.8.2.9). */
#define ENTRY_ADDR    0
#define ENTRY_DATA    8
#define ENTRY_CONTROL 12

static uint16_t msix_ctrl(struct msix *m)
{
	return pci_cfg_read(m->pd, m->cap + 2, 2);
}

bool msix_enabled(struct msix *m)
{
	return msix_ctrl(m) & MSIX_CTRL_ENABLE;
}

static bool may_send(struct msix *m)
{
	return !m->may_send || m->may_send(m->owner);
}

static void route_changed(struct msix *m, unsigned vec)
{
	if (m->route_changed)
		m->route_changed(m->owner, vec);
}

/* Give an unmasked vector its GSI route and irqfd; deliver what was pending. */
static void msix_vector_update(struct msix *m, unsigned i, bool function_masked)
{
	struct msix_vector *v = &m->vectors[i];
	struct irq_route rt;

	if (function_masked || v->masked)
		return;
	if (irq_msi_route(m->irq_ctx, v->addr, v->data, pci_requester_id(m->pd), &rt)) {
		log_ratelimited("%s: MSI-X vector %u: address 0x%" PRIx64 " data %u hits no MSI doorbell",
				m->pd->name, i, v->addr, v->data);
		/* The old message must not keep being delivered: the vector is now unroutable. */
		if (v->routed && irqfd_detach(m->irq_ctx, v->irq_fd, v->gsi) == 0) {
			v->routed = false;
			route_changed(m, i);
		}
		return;
	}
	if (!v->routed || memcmp(&rt, &v->route, sizeof(rt))) {
		if (irq_route_set(m->irq_ctx, v->gsi, &rt) || irq_routing_commit(m->irq_ctx))
			return;
		v->route = rt;
		if (!v->routed && irqfd_attach(m->irq_ctx, v->irq_fd, v->gsi, -1))
			return;
		v->routed = true;
		route_changed(m, i);
	}
	if (v->pending && may_send(m)) {
		v->pending = false;
		irq_gsi_signal(m->irq_ctx, v->gsi, v->irq_fd);
	}
}

void msix_update(struct msix *m)
{
	uint16_t ctrl = msix_ctrl(m);

	if (!(ctrl & MSIX_CTRL_ENABLE))
		return;
	for (unsigned i = 0; i < m->nr_vectors; i++)
		msix_vector_update(m, i, ctrl & MSIX_CTRL_MASKALL);
}

/* Masked (per vector or the whole function), unrouted or held by the owner: pending
 * (6.8.3.5), sent once it can be (msix_vector_update), so no interrupt is lost. */
int msix_signal(struct msix *m, unsigned vec)
{
	struct msix_vector *v;

	if (vec >= m->nr_vectors)
		return -EINVAL;
	v = &m->vectors[vec];
	if ((msix_ctrl(m) & MSIX_CTRL_MASKALL) || v->masked || !v->routed || !may_send(m)) {
		v->pending = true;
		return 0;
	}
	irq_gsi_signal(m->irq_ctx, v->gsi, v->irq_fd);
	return 1;
}

bool msix_vector_live(struct msix *m, unsigned vec)
{
	uint16_t ctrl = msix_ctrl(m);

	return vec < m->nr_vectors && (ctrl & MSIX_CTRL_ENABLE) && !(ctrl & MSIX_CTRL_MASKALL) &&
	       !m->vectors[vec].masked && m->vectors[vec].routed && may_send(m);
}

bool msix_cap_written(const struct msix *m, uint32_t off, unsigned len)
{
	return off + len > m->cap + 2 && off < m->cap + 4;
}

/* ---- the table and PBA ---- */

static uint32_t table_size(const struct msix *m)
{
	return m->nr_vectors * MSIX_ENTRY_SIZE;
}

static uint32_t pba_size(const struct msix *m)
{
	return (m->nr_vectors + 63) / 64 * 8; /* QWORDs of pending bits (6.8.2.10) */
}

static bool in_table(const struct msix *m, uint64_t off)
{
	return off >= m->table_off && off - m->table_off < table_size(m);
}

static bool in_pba(const struct msix *m, uint64_t off)
{
	return off >= m->pba_off && off - m->pba_off < pba_size(m);
}

bool msix_bar_claims(const struct msix *m, uint64_t off)
{
	return in_table(m, off) || in_pba(m, off);
}

/* The register at BAR offset off, for log lines. */
static const char *reg_name(const struct msix *m, uint64_t off, char *buf, size_t len)
{
	static const char *const field[4] = { "Message Address", "Message Upper Address", "Message Data",
					      "Vector Control" };

	if (in_table(m, off)) {
		uint32_t o = off - m->table_off;

		snprintf(buf, len, "table entry %u %s", o / MSIX_ENTRY_SIZE, field[o % MSIX_ENTRY_SIZE / 4]);
	} else {
		snprintf(buf, len, "PBA QWORD %u", (unsigned)((off - m->pba_off) / 8));
	}
	return buf;
}

/* 6.8.2: software reads and writes the table and PBA as aligned DWORDs or QWORDs only (a
 * QWORD write of an entry's Message Data and Vector Control included). Other accesses are
 * undefined for software, refused here. */
static bool access_ok(struct msix *m, uint64_t off, unsigned len, bool write)
{
	char name[64];

	if ((len == 4 || len == 8) && !(off & (len - 1)) && !(write && in_pba(m, off)))
		return true;
	log_ratelimited_obj(&m->rl, "msix: %s: %u-byte %s of MSI-X %s refused", m->pd->name, len,
			    write ? "write" : "read", reg_name(m, off, name, sizeof(name)));
	return false;
}

/* A table entry as the guest sees it: address (8), data (4), vector control (4). */
static void msix_entry_pack(const struct msix_vector *v, uint8_t entry[MSIX_ENTRY_SIZE])
{
	le_store(entry + ENTRY_ADDR, 8, v->addr);
	le_store(entry + ENTRY_DATA, 4, v->data);
	le_store(entry + ENTRY_CONTROL, 4, v->masked);
}

static uint64_t msix_pba_read(struct msix *m, uint32_t off, unsigned len)
{
	uint64_t bits = 0;

	for (unsigned i = 0; i < 64 && off * 8 + i < m->nr_vectors; i++)
		bits |= (uint64_t)m->vectors[off * 8 + i].pending << i;
	return len == 8 ? bits : bits & ((1ULL << (8 * len)) - 1);
}

uint64_t msix_bar_read(struct msix *m, uint64_t off, unsigned len)
{
	uint8_t entry[MSIX_ENTRY_SIZE];
	uint32_t o;

	if (!msix_bar_claims(m, off) || !access_ok(m, off, len, false))
		return 0;
	if (in_pba(m, off))
		return msix_pba_read(m, off - m->pba_off, len);
	o = off - m->table_off;
	msix_entry_pack(&m->vectors[o / MSIX_ENTRY_SIZE], entry);
	return le_load(entry + o % MSIX_ENTRY_SIZE, len);
}

void msix_bar_write(struct msix *m, uint64_t off, unsigned len, uint64_t val)
{
	uint8_t entry[MSIX_ENTRY_SIZE];
	struct msix_vector *v;
	unsigned i;
	uint32_t o;

	if (!msix_bar_claims(m, off) || !access_ok(m, off, len, true))
		return;
	o = off - m->table_off;
	i = o / MSIX_ENTRY_SIZE;
	v = &m->vectors[i];
	msix_entry_pack(v, entry);
	le_store(entry + o % MSIX_ENTRY_SIZE, len, val);
	v->addr = le_load(entry + ENTRY_ADDR, 8);
	v->data = le_load(entry + ENTRY_DATA, 4);
	v->masked = le_load(entry + ENTRY_CONTROL, 4) & 1;
	/* Address/data take effect at unmask time, as for real hardware. */
	if (msix_enabled(m))
		msix_vector_update(m, i, msix_ctrl(m) & MSIX_CTRL_MASKALL);
}

/* ---- creation ---- */

int msix_init(struct msix *m, struct pci_device *pd, struct irqchip *irq_ctx, unsigned nr_vectors,
	      unsigned bar, uint32_t table_off, uint32_t pba_off)
{
	uint8_t cap[10] = { 0 }, wmask[10] = { 0 };
	int ret;

	/* Table Size is N - 1 in 11 bits; the table and PBA are QWORD-aligned (6.8.2.4-5). */
	if (!nr_vectors || nr_vectors > 2048 || bar >= PCI_NR_BARS || (table_off & 7) || (pba_off & 7))
		return -EINVAL;
	m->pd = pd;
	m->irq_ctx = irq_ctx;
	m->table_off = table_off;
	m->pba_off = pba_off;
	m->vectors = calloc(nr_vectors, sizeof(*m->vectors));
	if (!m->vectors)
		return -ENOMEM;
	m->nr_vectors = nr_vectors;
	for (unsigned i = 0; i < nr_vectors; i++) {
		m->vectors[i].irq_fd = -1;
		m->vectors[i].masked = true; /* 6.8.2.9: vectors come out of reset masked */
	}
	/* Table size - 1, table and PBA offset | BIR; enable and function mask writable. */
	le_store(cap, 2, nr_vectors - 1);
	le_store(cap + 2, 4, table_off | bar);
	le_store(cap + 6, 4, pba_off | bar);
	le_store(wmask, 2, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	ret = pci_cap_add(pd, PCI_CAP_ID_MSIX, cap, sizeof(cap), wmask);
	if (ret < 0)
		return ret;
	m->cap = ret;
	/* An eventfd and a GSI per vector; the route comes when the driver unmasks it. */
	for (unsigned i = 0; i < nr_vectors; i++) {
		struct msix_vector *v = &m->vectors[i];

		v->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->irq_fd < 0)
			return -errno;
		ret = irq_gsi_alloc(m->irq_ctx, &v->gsi);
		if (ret)
			return ret;
	}
	return 0;
}

void msix_destroy(struct msix *m)
{
	for (unsigned i = 0; m->vectors && i < m->nr_vectors; i++)
		if (m->vectors[i].irq_fd >= 0)
			close(m->vectors[i].irq_fd);
	free(m->vectors);
	m->vectors = NULL;
	m->nr_vectors = 0;
}
