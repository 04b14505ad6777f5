# Boot cases, bad command lines, images and /dev/kvm: one clear line and the exit code.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: none; vmm refuses before any guest runs.

# Bad input: one clear line and the documented exit code, for real on KVM.
c=bad-missing-kernel
want v3 $c && vmm_case $c 1 run -k /no/such/Image && expect $c 'cannot open /no/such/Image' && pass $c
c=bad-not-an-image
want v3 $c && vmm_case $c 1 run -k $G/initrd.cpio && expect $c 'not an arm64 Image' && pass $c
c=bad-truncated-image
if want v3 $c; then
	head -c 40 $G/Image >/tmp/trunc.img
	vmm_case $c 1 run -k /tmp/trunc.img && expect $c 'truncated' && pass $c
fi
c=bad-initrd-too-big
if want v3 $c; then
	dd if=/dev/zero of=/tmp/big.img bs=1M count=0 seek=200 2>/dev/null
	vmm_case $c 1 run -m 128 -i /tmp/big.img $G/Image && expect $c 'initrd .* does not fit' && pass $c
fi
c=bad-kernel-too-big
want v3 $c && vmm_case $c 1 run -m 64 --kernel-format=raw /tmp/big.img && expect $c 'kernel needs .* raise -m' && pass $c
c=bad-cpus
want v3 $c && vmm_case $c 2 run -c 0 $G/Image && expect $c '\-c 0: vCPUs must be a number' && pass $c
c=bad-mem
want v3 $c && vmm_case $c 2 run -m 12X $G/Image && expect $c '\-m 12X: not a size' && pass $c
c=bad-flag
want v3 $c && vmm_case $c 2 run --bogus $G/Image && expect $c 'unknown option --bogus' && pass $c

# No /dev/kvm, and no permission to open it: one clear line, exit 1.
c=bad-no-kvm
if want v3 $c; then
	mv /dev/kvm /dev/kvm.hidden
	vmm_case $c 1 run $G/Image && expect $c '/dev/kvm does not exist' && pass $c
	mv /dev/kvm.hidden /dev/kvm
fi
c=bad-kvm-permission
if want v3 $c; then
	mkdir -p /etc
	grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
	grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >>/etc/group
	chmod 0600 /dev/kvm
	chmod 0755 /vmm
	cmd_case $c 1 su -s /bin/sh nobody -c "/vmm run $G/Image" &&
		expect $c 'no permission to open /dev/kvm' && pass $c
fi
