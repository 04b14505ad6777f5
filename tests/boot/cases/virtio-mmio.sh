# Boot cases, virtio-mmio: the same disk checks, interrupts on level SPIs.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: the guest runs tests/boot/guest-init with vmmtest=<case name>; guest-init's table
# (at its end) maps the name to its guest_* function: grep the case name there.
# disk_case (l1-cases.sh) passes the case name.

# virtio-mmio (--transport=mmio): the same disk checks, interrupts on level SPIs.
disk_case virtio-blk-mmio v3 'GICv3$' --transport=mmio
disk_case virtio-blk-mmio-v2 v2 'GIC-0$' --transport=mmio --gic=v2
