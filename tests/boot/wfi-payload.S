// A bare-metal payload for --kernel-format=raw that only waits: the boot vCPU sleeps in
// wfi for ever (the others stay off), so a VM lives until `vmm stop --force`.
	.text
	.globl	_start
_start:
1:	wfi
	b	1b
