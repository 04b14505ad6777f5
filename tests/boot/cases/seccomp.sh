# Boot cases, seccomp: per-thread filters, a violation reported, large replies, io_uring restrictions.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: the guest runs tests/boot/guest-init with vmmtest=<case name>; guest-init's table
# (at its end) maps the name to its guest_* function: grep the case name there.
# seccomp_guest passes the case name; seccomp-large-reply boots tests/boot/wfi-payload.S.

# ---- seccomp (issue 7): per-thread filters, a violation reported, io_uring restrictions ----
# task_modes PID: "NAME SECCOMP FILTERS" for every task of PID (/proc/PID/task/*/status).
task_modes() {
	for t in /proc/$1/task/*; do
		awk '/^Name:/ {n = $2} /^Seccomp:/ {s = $2} /^Seccomp_filters:/ {f = $2} END {print n, s, f}' $t/status
	done
}
# seccomp_guest NAME VM-NAME ARGS...: a guest with a disk and virtio-rng (so an I/O thread)
# doing disk I/O, then ticking; returns once it ticks ($pid is vmm, stdin a FIFO on fd 3).
seccomp_guest() {
	sname=$1 svm=$2
	shift 2
	make_disks
	start_with_fifo $sname --name $svm -c 2 -m 512 -d /tmp/disk.img --rng "$@" -i $G/initrd.cpio \
		-p "$CMD vmmtest=$sname" $G/Image
	wait_for $sname GUEST-TICKER-READY
	sleep 1
}
# seccomp_end NAME WANT_RC: wait for vmm and check its exit code; the client output
# (/tmp/NAME.ctl) joins the log only now, or vmm's own writes would overwrite it.
seccomp_end() {
	wait $pid
	rc=$?
	exec 3>&-
	echo "CASE $1 exit=$rc"
	cat /tmp/$1.ctl >>/tmp/$1.log 2>/dev/null
	[ $rc -eq $2 ] || { fail $1 "exit code $rc, expected $2"; return 1; }
}

# Every task of a running vmm is filtered: Seccomp 2 (SECCOMP_MODE_FILTER) with a filter.
# That includes the kernel's io_uring workers (iou-wrk-*), if the disk I/O made any: the
# kernel creates them as clones of the I/O thread after its filter went on, so they carry
# it. Seccomp cannot see what they do (they run the ring's requests inside the kernel, no
# system calls); the ring's own restrictions (io-uring-restricted below) cover that.
c=seccomp-threads
if want v3 $c; then
	rm -f /tmp/$c.ctl
	seccomp_guest $c sc1
	task_modes $pid >/tmp/$c.tasks
	sed "s/^/INFO $c task /" /tmp/$c.tasks
	why=""
	grep -q '^vcpu0 2 ' /tmp/$c.tasks && grep -q '^vcpu1 2 ' /tmp/$c.tasks && grep -q '^io 2 ' /tmp/$c.tasks &&
		grep -q '^vmm 2 ' /tmp/$c.tasks || why="a vmm thread (vmm, vcpu0, vcpu1, io) is missing or unfiltered"
	[ -n "$why" ] || ! awk '$2 != 2 || $3 < 1' /tmp/$c.tasks | grep -q . || why="a task without a filter"
	/vmm stop sc1 >>/tmp/$c.ctl 2>&1 || { why="${why:-vmm stop failed}"; /vmm stop sc1 --force; }
	seccomp_end $c 0 && if [ -n "$why" ]; then fail $c "$why"; else expect $c 'reboot: Power down' && pass $c; fi
fi
# --no-seccomp: no thread has a filter.
c=seccomp-off
if want v3 $c; then
	rm -f /tmp/$c.ctl
	seccomp_guest $c sc2 --no-seccomp
	task_modes $pid >/tmp/$c.tasks
	sed "s/^/INFO $c task /" /tmp/$c.tasks
	/vmm stop sc2 --force >>/tmp/$c.ctl 2>&1
	seccomp_end $c 8 && if awk '$2 != 0' /tmp/$c.tasks | grep -q . || ! grep -q '^io 0 ' /tmp/$c.tasks; then
		fail $c "a thread has a seccomp filter with --no-seccomp"; else pass $c; fi
fi
# A violation: VMM_SECCOMP_SELFTEST makes that thread call execve once its filter is on; vmm
# reports the thread and the call, and SIGSYS ends it: exit status 128+31.
for t in vcpu0 io main; do
	c=seccomp-violation-$t
	want v3 $c && cmd_case $c 159 env VMM_SECCOMP_SELFTEST=$t /vmm run -c 1 -m 512 --rng -i $G/initrd.cpio \
		-p "$CMD vmmtest=$c" $G/Image &&
		expect $c "^vmm: seccomp: thread $t made forbidden syscall 221 (execve)$" && pass $c
done
# Issue 11 (a): the largest control replies, on the largest VM the suite builds. `info gic
# all` on 128 vCPUs is over 256 KiB: the main thread grows it with realloc, which glibc does
# with mremap past the mmap threshold, and must answer it whole and live on. The guest is a
# raw payload that only waits (wfi), so every vCPU thread exists and nothing powers off.
c=seccomp-large-reply
if want v3 $c; then
	rm -f /tmp/$c.ctl
	bg_vmm $c --name big --gic=v3 --its -c 128 -m 64 --kernel-format=raw $G/wfi.bin
	i=0
	while ! /vmm status big >/dev/null 2>&1 && kill -0 $pid 2>/dev/null && [ $i -lt 120 ]; do
		sleep 1
		i=$((i + 1))
	done
	why=""
	/vmm info big gic all >/tmp/$c.all 2>>/tmp/$c.ctl || why="vmm info big gic all failed"
	size=$(wc -c </tmp/$c.all)
	shown=$(sed -n 's/^\([0-9]*\) interrupts shown$/\1/p' /tmp/$c.all)
	rows=$(grep -c '^ *[0-9][0-9]* [SPL]' /tmp/$c.all)
	echo "INFO $c info gic all: $size bytes, $rows rows, says ${shown:-none} shown"
	[ -n "$why" ] || [ "$(tail -n 1 /tmp/$c.all)" = ok ] || why="info gic all: no ok line at the end"
	[ -n "$why" ] || [ "$size" -gt 262144 ] || why="info gic all: only $size bytes"
	# Every vCPU's 32 private INTIDs, the 480 SPIs, and each vCPU's CPU interface.
	[ -n "$why" ] || [ "$shown" = $((128 * 32 + 480)) ] && [ "$rows" = "$shown" ] ||
		why="${why:-info gic all: $rows rows, says ${shown:-none} shown, expected 4576}"
	[ -n "$why" ] || grep -q '^cpu 127 interface: ICC_PMR_EL1=0x' /tmp/$c.all || why="no cpu 127 interface line"
	/vmm info big gic >/tmp/$c.idle 2>>/tmp/$c.ctl || why="${why:-vmm info big gic failed}"
	[ -n "$why" ] || { [ "$(tail -n 1 /tmp/$c.idle)" = ok ] && grep -q 'interrupts shown$' /tmp/$c.idle; } ||
		why="info gic: incomplete reply"
	/vmm status big >>/tmp/$c.ctl 2>&1 || why="${why:-vmm status failed after info gic}"
	/vmm stop big --force >>/tmp/$c.ctl 2>&1
	if wait_rc $c 8; then
		cat /tmp/$c.ctl >>/tmp/$c.log
		if [ -n "$why" ]; then fail $c "$why"
		elif grep -q '^vmm: seccomp' /tmp/$c.log; then fail $c "a seccomp report"
		else pass $c; fi
	fi
fi
# The ring was created disabled and enabled only after its restrictions; at start vmm checked
# that it refuses a register opcode and an sqe opcode outside the list (info io shows both).
c=io-uring-restricted
if want v3 $c; then
	rm -f /tmp/$c.ctl
	seccomp_guest $c sc3
	/vmm info sc3 io >>/tmp/$c.ctl 2>&1
	/vmm stop sc3 >>/tmp/$c.ctl 2>&1 || /vmm stop sc3 --force
	seccomp_end $c 0 && expect $c 'created IORING_SETUP_R_DISABLED, enabled after its restrictions' &&
		expect $c 'fixed files: 6 (eventfds 5, device files 1); every sqe must use IOSQE_FIXED_FILE' &&
		expect $c 'sqe opcodes allowed: readv writev fsync poll_add; register opcodes allowed: none' &&
		expect $c 'checked at start: register probe -> EACCES (refused), nop sqe -> EACCES (refused)' &&
		expect $c 'GUEST-TICKER-READY' && pass $c
fi
