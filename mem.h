/* mem.h - guest memory: the one checked way from a guest physical address to host memory.
 *
 * Everything that touches guest RAM on the guest's say-so (virtqueues, device models, the
 * ITS tables, the loader, the DTB) goes through guest_mem_ptr or the copies built on it, so
 * a guest address is bounds-checked in one place. Knows nothing of KVM or of struct vm.
 */
#ifndef VMM_MEM_H
#define VMM_MEM_H

#include <stdint.h>

/* One contiguous RAM region: guest [gpa, gpa + size) is host [hva, hva + size). */
struct guest_mem {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;          /* NULL: nothing mapped, every lookup fails */
};

/* Host pointer for guest [gpa, gpa + len) if it lies wholly inside m, else NULL; overflow-safe
 * for any gpa and len (len 0: any gpa from the base up to the end itself). */
void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Copy len bytes at gpa out of guest memory; 0, or -EFAULT (nothing copied) if not inside. */
int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len);
/* Copy len bytes into guest memory at gpa; 0, or -EFAULT (nothing written) if not inside. */
int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len);

#endif
