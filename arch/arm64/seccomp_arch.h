/* seccomp_arch.h - arm64 side of the seccomp filters: the audit architecture, the system
 * calls each thread makes (as glibc's static aarch64 build makes them), their names, and
 * the raw system call the VMM_SECCOMP_LOG debugging mode runs on a thread's behalf. */
#ifndef VMM_ARM64_SECCOMP_ARCH_H
#define VMM_ARM64_SECCOMP_ARCH_H

#include <stdint.h>

#include "../../seccomp.h"

/* AUDIT_ARCH_AARCH64: seccomp_data.arch of a native system call. */
extern const uint32_t seccomp_arch_audit;
/* The allowlist of a role; *n gets its length. */
const struct sc_rule *seccomp_arch_rules(enum sc_role role, unsigned *n);
/* The name of system call nr, or NULL if not in the table. */
const char *seccomp_arch_syscall_name(long nr);
/* Run system call nr with six arguments from this one place (log mode only). */
long seccomp_arch_syscall6(long a0, long a1, long a2, long a3, long a4, long a5, long nr);
/* The address seccomp sees as instruction_pointer for seccomp_arch_syscall6's call. */
uint64_t seccomp_arch_syscall6_pc(void);
/* From a SIGSYS handler's ucontext: the trapped call's number and its six arguments. */
void seccomp_arch_trapped(void *ucontext, long *nr, long args[6]);
/* In a SIGSYS handler's ucontext: what the trapped call returns once the handler is done. */
void seccomp_arch_set_return(void *ucontext, long ret);

#endif
