# Boot cases, boot: a guest on each GIC default, console input, reboot, a raw payload.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: the guest runs tests/boot/guest-init with vmmtest=<case name>; guest-init's table
# (at its end) maps the name to its guest_* function: grep the case name there.
# boot-defaults passes no vmmtest= (vmm's default command line): guest-init's default.
# raw-payload boots tests/boot/raw-payload.S instead.

c=boot-v3-smp2
want v3 $c && vmm_case $c 0 run --gic=v3 -c 2 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" -k $G/Image &&
	expect $c GUEST-INIT-OK && expect $c 'GICv3.*arch_timer' && expect $c 'GUEST-NPROC=2$' &&
	expect $c 'GUEST-CPUS-ONLINE=0-1' && expect $c 'ttyS0.*MMIO 0x1000000' && expect $c GUEST-DONE && pass $c

# Defaults: kernel as the last argument, default command line, auto GIC (v3 + ITS here).
c=boot-defaults
want v3 $c && vmm_case $c 0 run -i $G/initrd.cpio $G/Image &&
	expect $c GUEST-INIT-OK && expect $c "GUEST-CMDLINE=$GUEST_DEFAULT_CMDLINE\$" &&
	expect $c 'GUEST-NPROC=2$' && expect $c 'GUEST-DMESG: .*ITS.*0x0*8080000' && expect $c GUEST-DONE && pass $c

c=boot-v3-its
want v3 $c && vmm_case $c 0 run --gic=v3 --its -c 2 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" -k $G/Image &&
	expect $c 'GUEST-DMESG: .*ITS.*0x0*8080000' && expect $c 'GICv3.*arch_timer' && expect $c GUEST-DONE && pass $c

# Console input: a line written to vmm's stdin once the guest waits for it.
c=console-input
want v3 $c && input_case $c hello-from-the-host -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image &&
	pass $c

c=guest-reboot
want v3 $c && vmm_case $c 3 run -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image &&
	expect $c GUEST-REBOOTING && pass $c

c=raw-payload
want any $c && vmm_case $c 0 run --kernel-format=raw -c 1 -m 64 $G/raw.bin &&
	expect $c '^RAW-PAYLOAD-OK' && pass $c
