# Boot cases, virtio over PCI: disks and rng (MSI-X through the ITS, v2m, INTx), virtio-console.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: the guest runs tests/boot/guest-init with vmmtest=<case name>; guest-init's table
# (at its end) maps the name to its guest_* function: grep the case name there.
# disk_case (l1-cases.sh) passes the case name; bad-disk-* boot no guest.

# ---- virtio over PCI (issue 4) ----
disk_case virtio-blk-its v3 'ITS-MSI$' --gic=v3 --its
disk_case virtio-blk-v2m v2 'MSI$' --gic=v2m
disk_case virtio-blk-v2-intx v2 'GIC-0$' --gic=v2

# virtio-console: hvc0 output, and input written to vmm's stdin reaching the guest.
c=virtio-console
want v3 $c && input_case $c typed-into-hvc0 --console=virtio -c 1 -m 512 -i $G/initrd.cpio \
	-p "console=hvc0 quiet panic=-1 vmmtest=$c" $G/Image && expect $c GUEST-HVC0-OK &&
	expect $c 'GUEST-IRQ-CONSOLE=[1-9][0-9]* ITS-MSI' && pass $c

c=bad-disk-missing
want any $c && vmm_case $c 1 run -d /no/such.img $G/Image && expect $c 'cannot open disk /no/such.img' && pass $c
c=bad-disk-option
want any $c && vmm_case $c 2 run -d /tmp/x.img,rw $G/Image && expect $c 'unknown disk option' && pass $c
