# Boot cases, --dump-dtb: VMs built for real, not booted.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: none; nothing boots.

# --dump-dtb: the VM is built (KVM included), its DTB written, nothing booted.
c=dump-dtb
if want any $c && vmm_case $c 0 run --dump-dtb /tmp/dump.dtb -c 3 $G/Image; then
	[ "$(head -c 4 /tmp/dump.dtb | od -An -tx1 | tr -d ' ')" = d00dfeed ] && pass $c ||
		fail $c "no DTB with the FDT magic written"
fi
# 130 vCPUs: KVM takes both redistributor regions (123 low, 7 high) and initialises the vGIC
# (CTRL_INIT fails with ENXIO if any vCPU lacks a redistributor); built for real, not booted.
c=v3-two-redist-regions
want v3 $c && vmm_case $c 0 run --gic=v3 --its -c 130 --dump-dtb /tmp/130.dtb $G/Image &&
	[ -s /tmp/130.dtb ] && pass $c
