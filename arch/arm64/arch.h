/* arch.h - arm64 internals behind the arch contract (../../arch.h): the Image header and
 * where kernel, initrd and DTB go in RAM (Documentation/arch/arm64/booting.rst). */
#ifndef VMM_ARM64_ARCH_H
#define VMM_ARM64_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "../../arch.h"
#include "../../cli.h"

struct boot_info;
struct cpu_features;
struct vcpu;
struct vm;

#define ARM64_IMAGE_MAGIC       0x644d5241u /* "ARM\x64" at offset 56 */
#define ARM64_IMAGE_HEADER_SIZE 64
#define ARM64_RAW_TEXT_OFFSET   0x80000     /* --kernel-format=raw, and pre-3.17 Images */

struct kernel_image {
	uint64_t text_offset;
	uint64_t image_size; /* bytes the kernel occupies once loaded, bss included */
	uint64_t file_size;
};

/* Parse an Image header (or describe a raw payload); 0 or -EINVAL/-ENOEXEC, reason in why. */
int image_parse(const uint8_t *hdr, size_t hdr_len, uint64_t file_size, enum kernel_format fmt,
		struct kernel_image *ki, char *why, size_t whylen);
/* Place kernel, initrd and DTB in RAM; 0 or -ENOMEM with a reason naming what does not fit. */
int boot_plan(uint64_t ram_gpa, uint64_t ram_size, const struct kernel_image *ki,
	      uint64_t initrd_size, uint64_t dtb_max, struct boot_info *bi, char *why, size_t whylen);

/* cpu_features.c: the KVM_ARM_VCPU_INIT feature bits (features[0]) for the chosen features. */
uint32_t cpu_features_init_bits(const struct cpu_features *f);
/* After KVM_ARM_VCPU_INIT: SVE's vector lengths and KVM_ARM_VCPU_FINALIZE; 0 or -errno. */
int cpu_features_vcpu_init(struct vcpu *v);
/* Unmap the pvtime region (after its vCPUs are gone). */
void cpu_features_release(struct vm *vm);

#endif
