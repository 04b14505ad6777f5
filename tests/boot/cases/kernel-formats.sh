# Kernel formats (issue 13), sourced by the L1's init after the common helpers (want,
# vmm_case, expect, pass; $G, $CMD). The same Debian kernel as the raw $G/Image, as
# tests/boot/lib.sh prepared it on the build host: gzip-compressed ($G/Image.gz, as
# Debian's and Ubuntu's vmlinuz) and wrapped as EFI zboot images with gzip and zstd
# payloads (tests/boot/mkzboot.py, as CONFIG_EFI_ZBOOT builds them). Each boots to the
# guest's init; broken ones are refused with their one line and exit code 1.

c=kernel-gzip
want v3 $c && vmm_case $c 0 run -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image.gz &&
	expect $c GUEST-INIT-OK && expect $c GUEST-DONE && pass $c

c=kernel-zboot-gzip
want v3 $c && vmm_case $c 0 run -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/zboot-gzip.efi &&
	expect $c GUEST-INIT-OK && expect $c GUEST-DONE && pass $c

# The zstd payload has a 128 MiB window (as Linux's zstd -22 has): decoded with no window buffer.
c=kernel-zboot-zstd
want v3 $c && vmm_case $c 0 run -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/zboot-zstd.efi &&
	expect $c GUEST-INIT-OK && expect $c GUEST-DONE && pass $c

# A restart decompresses the kernel again, now under the main thread's setup seccomp
# filter (--reboot=restart): the guest half is the one ci-reboot-restart uses (a disk marks the boot).
c=kernel-zboot-zstd-restart
if want v3 $c; then
	head -c 1048576 /dev/zero >/tmp/kboot.img
	vmm_case $c 0 run --reboot=restart -c 1 -m 512 -d /tmp/kboot.img -i $G/initrd.cpio \
		-p "$CMD vmmtest=$c" $G/zboot-zstd.efi && expect $c GUEST-FIRST-BOOT &&
		expect $c 'restarting it (--reboot=restart, restart 1)' && expect $c GUEST-SECOND-BOOT && pass $c
fi

# Cut in the middle of the deflate data: the header decompresses and the plan is made, then
# loading finds the stream's end missing.
c=bad-kernel-truncated-gzip
if want v3 $c; then
	head -c 4000000 $G/Image.gz >/tmp/trunc.gz
	vmm_case $c 1 run -m 512 -k /tmp/trunc.gz && expect $c 'kernel: /tmp/trunc.gz: truncated gzip stream$' && pass $c
fi

# A zboot file cut short: its header points past the end, refused before KVM is touched.
c=bad-kernel-zboot-cut
if want v3 $c; then
	head -c 1000000 $G/zboot-zstd.efi >/tmp/cut.efi
	vmm_case $c 1 run -k /tmp/cut.efi &&
		expect $c 'kernel: /tmp/cut.efi: EFI zboot payload (offset 0x1000, [0-9]* bytes) is past the end of the 1000000-byte file$' &&
		pass $c
fi

# A compression Linux can build zboot images with but vmm does not read (xz: "xzkern").
c=bad-kernel-zboot-xz
if want v3 $c; then
	{ head -c 24 $G/zboot-gzip.efi; printf 'xzkern\000\000'; tail -c +33 $G/zboot-gzip.efi; } >/tmp/xz.efi
	vmm_case $c 1 run -k /tmp/xz.efi && expect $c 'kernel: /tmp/xz.efi: unknown EFI zboot compression "xzkern"' && pass $c
fi
