# Boot cases, made for CI: exit paths, --timeout, --expect/--fail-on, test-exit, --report.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: the guest runs tests/boot/guest-init with vmmtest=<case name>; guest-init's table
# (at its end) maps the name to its guest_* function: grep the case name there.
# bad-timeout and bad-regex boot no guest.

# ---- made for CI (issue 6): exit paths, timeout, expect/fail-on, test-exit, report ----
c=ci-panic
want v3 $c && vmm_case $c 4 run -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image &&
	expect $c 'Kernel panic - not syncing' && expect $c 'Call trace' && pass $c
# Without panic=N the guest spins after its panic: vmm stops it after the grace period.
c=ci-panic-hang
want v3 $c && vmm_case $c 4 run -c 1 -m 512 -i $G/initrd.cpio \
	-p "console=ttyS0 quiet vmmtest=$c" $G/Image && expect $c 'Kernel panic - not syncing' && pass $c
c=ci-timeout
if want v3 $c; then
	start=$(cut -d. -f1 /proc/uptime)
	vmm_case $c 5 run -c 1 -m 512 --timeout 20s -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image &&
		expect $c GUEST-HANGING && {
		took=$(($(cut -d. -f1 /proc/uptime) - start))
		echo "INFO $c stopped after ${took}s"
		[ $took -ge 19 ] && [ $took -le 40 ] || { fail $c "took ${took}s for --timeout 20s"; false; }
	} && pass $c
fi
c=ci-expect
want v3 $c && vmm_case $c 0 run -c 1 -m 512 --timeout 300 --expect 'GUEST-HANG[A-Z]+' \
	-i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image && expect $c GUEST-HANGING && pass $c
c=ci-fail-on
want v3 $c && vmm_case $c 6 run -c 1 -m 512 --timeout 300 --expect GUEST-DONE --fail-on 'GUEST-INIT-O.' \
	-i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image && pass $c
c=ci-expect-not-seen
want v3 $c && vmm_case $c 7 run -c 1 -m 512 --expect NEVER-PRINTED -i $G/initrd.cpio \
	-p "$CMD vmmtest=$c" $G/Image && expect $c GUEST-DONE && pass $c
c=ci-test-exit
want any $c && vmm_case $c 7 run -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image &&
	expect $c GUEST-EXIT-7 && pass $c
c=ci-reboot-restart
if want v3 $c; then
	head -c 1048576 /dev/zero >/tmp/boot.img
	vmm_case $c 0 run --reboot=restart -c 1 -m 512 -d /tmp/boot.img -i $G/initrd.cpio \
		-p "$CMD vmmtest=$c" $G/Image && expect $c GUEST-FIRST-BOOT &&
		expect $c 'restarting it (--reboot=restart, restart 1)' && expect $c GUEST-SECOND-BOOT && pass $c
fi
c=ci-console-log
if want v3 $c; then
	vmm_case $c 0 run -c 1 -m 512 --console-log /tmp/console.log -i $G/initrd.cpio \
		-p "$CMD vmmtest=$c" $G/Image && {
		grep -q GUEST-DONE /tmp/console.log && grep -q 'Linux version' /tmp/console.log && pass $c ||
			fail $c "console log incomplete"
	}
fi
# The report: printed whole between markers; run.sh validates the JSON on the host.
c=ci-report
if want v3 $c; then
	make_disks
	vmm_case $c 0 run -c 2 -m 512 --its -d /tmp/disk.img --expect GUEST-DONE --report /tmp/report.json \
		-i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image && {
		echo "REPORT-BEGIN $c"
		cat /tmp/report.json
		echo "REPORT-END $c"
	} && pass $c
fi
c=bad-timeout
want any $c && vmm_case $c 2 run --timeout 5x $G/Image && expect $c '\-\-timeout 5x: not a duration' && pass $c
c=bad-regex
want any $c && vmm_case $c 2 run --expect 'a(' $G/Image && expect $c 'not a valid extended regular' && pass $c
