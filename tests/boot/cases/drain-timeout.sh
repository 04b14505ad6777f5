# Boot cases, a disk slower than the drain at stop: vmm gives up on it and exits.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: the guest runs tests/boot/guest-init with vmmtest=<case name>; guest-init's table
# (at its end) maps the name to its guest_* function: grep the case name there.

# ---- a disk slower than the drain at stop (issue 11): vmm gives up on its requests, leaves
# guest RAM and the image to them, and exits (never restarts, never crashes). null_blk with
# irqmode=2 completes every request after completion_nsec; VMM_DRAIN_TIMEOUT_S=2 (README)
# keeps the drain short.
slow_disk() {
	[ -b /dev/nullb0 ] && return 0
	insmod /lib/modules/configfs.ko 2>/dev/null
	insmod /lib/modules/null_blk.ko nr_devices=1 irqmode=2 completion_nsec=10000000000 gb=1
	[ -b /dev/nullb0 ] || { fail $1 "no /dev/nullb0 (null_blk)"; return 1; }
}
c=drain-timeout-stop
if want v3 $c && slow_disk $c; then
	# Stopped by SIGTERM once reads are in flight: the drain gives up after 2 s, vmm exits.
	export VMM_DRAIN_TIMEOUT_S=2
	bg_vmm $c -c 1 -m 256 -d /dev/nullb0 -i $G/initrd.cpio -p "$VCMD vmmtest=$c" $G/Image
	unset VMM_DRAIN_TIMEOUT_S
	wait_for $c GUEST-SLOWDISK-IO-STARTED
	kill -TERM $pid
	wait_rc $c 143 && expect $c GUEST-SLOWDISK-IO-STARTED && expect $c 'disk requests still unfinished after 2 s' &&
		expect $c 'disk requests never finished; exiting with 143 (signal)' && pass $c
	# The abandoned reads (10 s each) hold the disk, and with it vmm's lock, until the
	# kernel completes them: only then may the next case open it.
	sleep 11
fi
c=drain-timeout-restart
if want v3 $c && slow_disk $c; then
	cmd_case $c 1 env VMM_DRAIN_TIMEOUT_S=2 /vmm run --reboot=restart -c 1 -m 256 -d /dev/nullb0 \
		-i $G/initrd.cpio -p "$VCMD vmmtest=$c" $G/Image &&
		expect $c GUEST-SLOWDISK-IO-STARTED && expect $c 'disk requests still unfinished after 2 s' &&
		expect $c 'exiting with 1 (vmm-error) instead of restarting the guest' && {
		if grep -q 'restarting it (--reboot=restart' /tmp/$c.log; then fail $c "vmm restarted the guest"
		else pass $c; fi; }
fi
rmmod null_blk 2>/dev/null
