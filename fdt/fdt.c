/* fdt.c - helpers for writing device tree nodes with libfdt's sequential-write API. The tree
 * itself is assembled by the arch (arch_fdt_build, ../arch.h). */
#include "fdt_build.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../util.h"

int fdt_fail(int err, const char *call)
{
	log_err("fdt: %s: %s", call, fdt_strerror(err));
	return err == -FDT_ERR_NOSPACE ? -ENOSPC : -EINVAL;
}

int fdt_prop_reg(void *fdt, const uint64_t *pairs, unsigned nr_pairs)
{
	fdt64_t cells[16];

	if (nr_pairs > ARRAY_SIZE(cells) / 2)
		return -FDT_ERR_BADVALUE;
	for (unsigned i = 0; i < 2 * nr_pairs; i++)
		cells[i] = cpu_to_fdt64(pairs[i]);
	return fdt_property(fdt, "reg", cells, 2 * nr_pairs * sizeof(cells[0]));
}

int fdt_prop_cells(void *fdt, const char *name, const uint32_t *cells, unsigned n)
{
	fdt32_t *be;
	int ret;

	/* Converted in place in the tree: no cap on n (a full PCI bus's interrupt-map is 320
	 * cells; a 32-cell local buffer refused four devices). */
	if (n > INT32_MAX / sizeof(*be))
		return -FDT_ERR_BADVALUE;
	ret = fdt_property_placeholder(fdt, name, n * sizeof(*be), (void **)&be);
	if (ret)
		return ret;
	for (unsigned i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	return 0;
}

int fdt_begin_node_at(void *fdt, const char *prefix, uint64_t addr)
{
	char name[64];

	snprintf(name, sizeof(name), "%s@%" PRIx64, prefix, addr);
	return fdt_begin_node(fdt, name);
}
