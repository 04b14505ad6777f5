# Boot cases, interrupt controllers: probe, GICv3/ITS and GICv2/v2m guests, refused models.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: the guest runs tests/boot/guest-init with vmmtest=<case name>; guest-init's table
# (at its end) maps the name to its guest_* function: grep the case name there.
# probe-* and refuse-* boot no guest.

# ---- interrupt controllers (issue 3) ----
c=probe-v3
want v3 $c && vmm_case $c 0 probe && expect $c '^gicv3 *yes' && expect $c '^its *yes' &&
	expect $c '^gicv2 *no' && expect $c '^max_vcpus *[1-9]' && expect $c '^ipa_bits *[1-9]' && pass $c
c=probe-v3-json
want v3 $c && vmm_case $c 0 probe --json && expect $c '"gicv3": true' && expect $c '"its": true' &&
	expect $c '"gicv2": false' && expect $c '"msi_devid": true' && pass $c

# 17 vCPUs: redistributors 0-16 in region 0, CPU 16 has MPIDR Aff1 = 1.
c=boot-v3-smp17
want v3 $c && vmm_case $c 0 run --gic=v3 --its -c 17 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image &&
	expect $c 'GUEST-NPROC=17$' && expect $c 'GUEST-CPUS-ONLINE=0-16$' &&
	expect $c 'CPU16: found redistributor 100 region 0:0x0*82a0000' && pass $c

c=refuse-v2-on-v3
want v3 $c && vmm_case $c 1 run --gic=v2 $G/Image && expect $c 'cannot create a vGICv2.*use --gic=v3' && pass $c
c=refuse-v2m-on-v3
want v3 $c && vmm_case $c 1 run --gic=v2m $G/Image && expect $c 'cannot create a vGICv2' && pass $c
c=refuse-its-with-v2
want any $c && vmm_case $c 2 run --gic=v2 --its $G/Image && expect $c '\-\-its needs a GICv3' && pass $c
c=refuse-v2-9-vcpus
want any $c && vmm_case $c 2 run --gic=v2 -c 9 $G/Image && expect $c 'GICv2 supports at most 8 vCPUs' && pass $c

c=probe-v2
want v2 $c && vmm_case $c 0 probe && expect $c '^gicv2 *yes' && expect $c '^gicv2m *yes' &&
	expect $c '^gicv3 *no' && expect $c '^its *no' && pass $c
c=boot-v2-smp8
want v2 $c && vmm_case $c 0 run --gic=v2 -c 8 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image &&
	expect $c 'GUEST-NPROC=8$' && expect $c 'GUEST-CPUS-ONLINE=0-7$' && expect $c 'GIC-0 *27 Level *arch_timer' &&
	expect $c 'GIC-0 *33 Level *ttyS0' && pass $c
c=boot-v2m
want v2 $c && vmm_case $c 0 run --gic=v2m -c 2 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image &&
	expect $c 'GUEST-DMESG: .*GICv2m: range\[mem 0x02000000-0x02000fff\], SPI\[96:159\]' &&
	expect $c 'GIC-0 *27 Level *arch_timer' && expect $c 'GUEST-NPROC=2$' && pass $c
# auto on a GICv2 host: v2 with the v2m frame.
c=boot-auto-v2
want v2 $c && vmm_case $c 0 run -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image &&
	expect $c 'GUEST-DMESG: .*GICv2m: range' && pass $c
c=refuse-v3-on-v2
want v2 $c && vmm_case $c 1 run --gic=v3 $G/Image && expect $c 'cannot create a vGICv3.*use --gic=v2' && pass $c
c=refuse-its-on-v2
want v2 $c && vmm_case $c 1 run --its $G/Image && expect $c 'cannot create a vGIC ITS' && pass $c
c=refuse-auto-9-on-v2
want v2 $c && vmm_case $c 1 run -c 9 $G/Image && expect $c 'gicv2m supports at most 8 vCPUs' && pass $c
