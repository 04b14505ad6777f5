/* fdt_build.h - helpers for the nodes of the guest's flattened device tree, written with
 * libfdt's sequential-write API; the arch assembles the tree (arch_fdt_build, ../arch.h). */
#ifndef VMM_FDT_BUILD_H
#define VMM_FDT_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include <libfdt.h>

/* Largest DTB we build; booting.rst caps the DTB at 2 MiB. */
#define FDT_MAX_SIZE 0x10000

/* Phandles are fixed up front: sequential write cannot patch them later. */
#define PHANDLE_GIC 1
#define PHANDLE_ITS 2
#define PHANDLE_V2M 3

/* Log a libfdt failure with the call that failed; returns -ENOSPC or -EINVAL. */
int fdt_fail(int err, const char *call);
/* Evaluate a libfdt call in a function returning int; return its error on failure. */
#define FDT_TRY(call)                                   \
	do {                                            \
		int fdt_r_ = (call);                    \
		if (fdt_r_ < 0)                         \
			return fdt_fail(fdt_r_, #call); \
	} while (0)

/* A "reg" property of (address, size) pairs, two cells each. */
int fdt_prop_reg(void *fdt, const uint64_t *pairs, unsigned nr_pairs);
/* A property of n 32-bit cells. */
int fdt_prop_cells(void *fdt, const char *name, const uint32_t *cells, unsigned n);
/* Begin a node named "<prefix>@<unit address in hex>". */
int fdt_begin_node_at(void *fdt, const char *prefix, uint64_t addr);

#endif
