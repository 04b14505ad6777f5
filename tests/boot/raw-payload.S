// A bare-metal payload for --kernel-format=raw: checks that x0 points at the
// DTB (FDT magic), says so on the 16550 at 0x01000000, then PSCI SYSTEM_OFF.
	.text
	.globl	_start
_start:
	movz	x2, #0x0100, lsl #16		// UART THR
	ldr	w1, [x0]			// first word of the DTB
	movz	w3, #0x0dd0
	movk	w3, #0xedfe, lsl #16		// 0xd00dfeed, big-endian, read little-endian
	adr	x4, msg_ok
	cmp	w1, w3
	b.eq	1f
	adr	x4, msg_bad
1:	ldrb	w5, [x4], #1
	cbz	w5, 2f
	strb	w5, [x2]
	b	1b
2:	movz	w0, #0x0008
	movk	w0, #0x8400, lsl #16		// PSCI_0_2_FN_SYSTEM_OFF
	hvc	#0
3:	wfi
	b	3b
msg_ok:
	.asciz	"RAW-PAYLOAD-OK\r\n"
msg_bad:
	.asciz	"RAW-PAYLOAD-BAD-X0\r\n"
