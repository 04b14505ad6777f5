// start.S - entry of the hostile guest. vmm enters here at RAM + 0x80000 with
// x0 = DTB address, MMU and caches off, DAIF masked (Documentation/arch/arm64/booting.rst).
	.section .text.start, "ax"
	.globl	_start
_start:
	mov	x19, x0
	msr	daifset, #0xf			// polled I/O only: no interrupt is ever taken
	adr	x1, vectors
	msr	vbar_el1, x1			// an unexpected exception reports itself
	isb
	ldr	x1, =__stack_top
	mov	sp, x1
	// Zero .bss with aligned 8-byte stores: with the MMU off RAM is Device
	// memory, where DC ZVA and unaligned accesses fault.
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1]
	add	x1, x1, #8
	b	1b
2:	mov	x0, x19
	bl	main
3:	wfi
	b	3b

// VBAR_EL1: 16 entries of 128 bytes, the table 2 KiB aligned (ARM ARM D1.10.2).
	.balign	2048
vectors:
	.rept	16
	.balign	128
	b	exc_entry
	.endr

exc_entry:
	// An abort the current attack asked for (abort_expected): note ESR_EL1, step over
	// the faulting instruction and return; x0/x1 are restored, nothing else is touched.
	stp	x0, x1, [sp, #-16]!
	ldr	x0, =abort_expected
	ldr	w1, [x0]
	cbz	w1, 4f
	str	wzr, [x0]
	ldr	x0, =abort_esr
	mrs	x1, esr_el1
	str	x1, [x0]
	mrs	x1, elr_el1
	add	x1, x1, #4
	msr	elr_el1, x1
	ldp	x0, x1, [sp], #16
	eret
4:	ldp	x0, x1, [sp], #16
	mrs	x0, esr_el1
	mrs	x1, elr_el1
	mrs	x2, far_el1
	bl	exception
	b	.
	.ltorg
