# Boot cases, host disk faults: ENOSPC, failed flushes, SIGKILL/SIGTERM mid-write, read-only, locks.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: the guest runs tests/boot/guest-init with vmmtest=<case name>; guest-init's table
# (at its end) maps the name to its guest_* function: grep the case name there.
# fault-ro-image boots no guest.

# ---- faults on the host (issue 7): full disks, failed flushes, kills, locks, floods ----
# seq_check NAME IMAGE: every sector the guest announced as flushed holds its number.
seq_check() {
	last=$(tr -d '\r' </tmp/$1.log | sed -n 's/^FLUSHED \([0-9]*\)$/\1/p' | tail -n 1)
	[ -n "$last" ] || { fail $1 "the guest flushed nothing"; return 1; }
	echo "INFO $1 guest flushed $last sectors before the stop"
	i=1
	while [ $i -le "$last" ]; do
		dd if=$2 bs=512 skip=$((4096 + i)) count=1 2>/dev/null | grep -q "^SEQ-$i\$" ||
			{ fail $1 "sector $i was flushed but is not in the image"; return 1; }
		i=$((i + 1))
	done
}

# ENOSPC: the guest sees IOERR, vmm lives on, and writes work once the host frees space.
c=fault-enospc
if want v3 $c; then
	mkdir -p /mnt/full && mount -t tmpfs -o size=12m tmpfs /mnt/full &&
		head -c 8388608 /dev/zero >/mnt/full/filler && truncate -s 32M /mnt/full/disk.img
	bg_vmm $c -c 1 -m 256 -d /mnt/full/disk.img -i $G/initrd.cpio -p "$VCMD vmmtest=$c" $G/Image
	wait_for $c GUEST-WAITING-FOR-SPACE
	rm -f /mnt/full/filler
	wait_rc $c 0 && expect $c 'GUEST-ENOSPC-RC=[1-9]' && expect $c 'virtio-blk: host I/O failed' &&
		expect $c GUEST-WRITE-AFTER-FREE-OK && pass $c
	umount /mnt/full
fi

# fdatasync fails (a loop device over a full tmpfs loses its writeback): that FLUSH fails,
# and the next too, though the kernel would now report success; a device reset clears it.
c=fault-flush-latched
if want v3 $c; then
	insmod /lib/modules/loop.ko 2>/dev/null
	mkdir -p /mnt/lo && mount -t tmpfs -o size=8m tmpfs /mnt/lo && truncate -s 32M /mnt/lo/back.img &&
		losetup /dev/loop0 /mnt/lo/back.img
	vmm_case $c 0 run -c 1 -m 256 -d /dev/loop0 -i $G/initrd.cpio -p "$VCMD vmmtest=$c" $G/Image &&
		expect $c 'GUEST-FLUSH1-RC=[1-9]' && expect $c 'GUEST-FLUSH2-RC=[1-9]' &&
		expect $c 'virtio-blk: host flush failed' && expect $c 'FLUSH refused: an earlier flush failed' &&
		expect $c 'GUEST-FLUSH3-RC=0' && pass $c
	losetup -d /dev/loop0
	umount /mnt/lo
fi

# SIGKILL in the middle of guest writes: every write the guest saw flushed is in the image.
c=fault-sigkill
if want v3 $c; then
	truncate -s 16M /tmp/seq.img
	bg_vmm $c -c 1 -m 256 -d /tmp/seq.img -i $G/initrd.cpio -p "$VCMD vmmtest=$c" $G/Image
	wait_for $c 'FLUSHED 20'
	kill -KILL $pid
	wait_rc $c 137 && seq_check $c /tmp/seq.img && pass $c
fi

# SIGTERM: the guest stops, in-flight I/O is finished and synced, exit 128+15.
c=fault-sigterm
if want v3 $c; then
	truncate -s 16M /tmp/seq.img
	bg_vmm $c -c 1 -m 256 -d /tmp/seq.img -i $G/initrd.cpio -p "$VCMD vmmtest=$c" $G/Image
	wait_for $c 'FLUSHED 10'
	kill -TERM $pid
	wait_rc $c 143 && expect $c 'vm: Terminated: stopping the guest' && seq_check $c /tmp/seq.img && pass $c
fi

# A read-only image given for writing: refused at start, with the fix in the line.
c=fault-ro-image
if want v3 $c; then
	mkdir -p /mnt/ro && mount -t tmpfs tmpfs /mnt/ro && truncate -s 1M /mnt/ro/ro.img &&
		mount -o remount,ro /mnt/ro
	vmm_case $c 1 run -d /mnt/ro/ro.img $G/Image &&
		expect $c 'disk /mnt/ro/ro.img cannot be opened for writing (Read-only file system); give it as -d /mnt/ro/ro.img,ro' &&
		pass $c
	umount /mnt/ro
fi

# One image, two vmms: the second is refused while the first runs (OFD lock).
c=fault-image-locked
if want v3 $c; then
	truncate -s 16M /tmp/lock.img
	bg_vmm $c-first -c 1 -m 256 -d /tmp/lock.img -i $G/initrd.cpio -p "$VCMD vmmtest=$c" $G/Image
	first=$pid
	wait_for $c-first GUEST-TICKER-READY
	vmm_case $c 1 run -d /tmp/lock.img $G/Image &&
		expect $c 'disk /tmp/lock.img is in use by another process' &&
		vmm_case $c 1 run -d /tmp/lock.img,ro $G/Image && pass $c
	kill -KILL $first; wait $first
fi
