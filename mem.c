/* mem.c - guest memory: bounds-checked guest-to-host address translation and copies. */
#include "mem.h"

#include <errno.h>
#include <string.h>

void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	/* Overflow-safe: gpa - m->gpa is only computed once gpa >= m->gpa, and size - len
	 * once len <= size, so no sum can wrap whatever the guest wrote. */
	if (!m->hva || gpa < m->gpa || len > m->size || gpa - m->gpa > m->size - len)
		return NULL;
	return m->hva + (gpa - m->gpa);
}

int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len)
{
	const void *p = guest_mem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = guest_mem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}
