# lkvm compatibility (issue 13), sourced by the L1's init after the common helpers (want,
# vmm_case, cmd_case, expect, pass; $G, $CMD). A command line written for `lkvm run` boots
# with vmm run; vmm linked under the name lkvm behaves as kvmtool's lkvm: its kernel
# parameters, a headerless payload loaded raw at RAM + 0x80000, --dump-dtb that boots on,
# its help, version and exit codes. kvmtool options vmm lacks are refused by name.
# Guest halves: the Debian guests run guest_report (guest-init's table, vmmtest=$c);
# the headerless payload is tests/boot/raw-payload.S ($G/raw.bin, built by lib.sh), which
# prints RAW-PAYLOAD-OK when x0 points at the DTB.
LKVM=/tmp/lkvm # made by lkvm_link when a case runs (list-cases sources this file too)
lkvm_link() { ln -sf /vmm $LKVM; }

# kvmtool's spelling under vmm run: vmm's parameters (-p exact), kvmtool's option names.
c=lkvm-spelling
want v3 $c && vmm_case $c 0 run --kernel $G/Image --initrd $G/initrd.cpio --params "$CMD vmmtest=$c" \
	--cpus 2 --mem 512 --irqchip=gicv3-its --console serial --network mode=none --loglevel info &&
	expect $c GUEST-INIT-OK && expect $c 'GUEST-NPROC=2$' && expect $c 'GUEST-DMESG: .*ITS.*0x0*8080000' &&
	expect $c "GUEST-CMDLINE=$CMD vmmtest=$c\$" && expect $c GUEST-DONE && pass $c

# Through the link: kvmtool's kernel parameters (" console=ttyS0 root=/dev/vda rw " then -p).
c=lkvm-link-debian
want v3 $c && lkvm_link && cmd_case $c 0 $LKVM run -k $G/Image -i $G/initrd.cpio -p "quiet panic=-1 vmmtest=$c" \
	-c 2 -m 512 --irqchip gicv3 &&
	expect $c GUEST-INIT-OK && expect $c "GUEST-CMDLINE=.*console=ttyS0 root=/dev/vda rw .*quiet panic=-1 vmmtest=$c\$" &&
	expect $c 'GUEST-NPROC=2$' && expect $c GUEST-DONE && pass $c

# Through the link, a headerless payload, no -c/-m (lkvm's defaults), and kvmtool's
# --dump-dtb: the DTB is written and the guest boots on.
c=lkvm-link-raw
if want any $c; then
	lkvm_link && rm -f /tmp/$c.dtb
	cmd_case $c 0 $LKVM run --nodefaults --dump-dtb /tmp/$c.dtb $G/raw.bin && expect $c '^RAW-PAYLOAD-OK' &&
		expect $c "lkvm: $G/raw.bin: no arm64 Image header; loaded raw at RAM + 0x80000" &&
		{ [ -s /tmp/$c.dtb ] || { fail $c "--dump-dtb wrote no /tmp/$c.dtb"; false; }; } && pass $c
fi

# Refused by name: exit 2 under vmm run, 129 (kvmtool's usage status) through the link.
c=lkvm-unsupported
want any $c && vmm_case $c 2 run --balloon -k $G/Image &&
	expect $c 'run: --balloon: a kvmtool option vmm does not implement$' && pass $c
c=lkvm-link-unsupported
want any $c && lkvm_link && cmd_case $c 129 $LKVM run --vnc -k $G/Image &&
	expect $c 'run: --vnc: a kvmtool option vmm does not implement$' && pass $c

# lkvm's shape: version, run's usage (stderr, 129), the command list (lkvm --help: 22).
c=lkvm-link-help
if want any $c; then
	lkvm_link && cmd_case $c 0 $LKVM version && expect $c '^kvm tool ' &&
		cmd_case $c 129 $LKVM run --help && expect $c '^ usage: lkvm run \[<options>\] \[<kernel image>\]$' &&
		cmd_case $c 22 $LKVM --help && expect $c '^ usage: lkvm \[--version\] \[--help\] COMMAND \[ARGS\]$' &&
		pass $c
fi
