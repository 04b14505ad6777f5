# Boot test cases, sourced by the L1's init. Each case runs ./vmm for real on
# the L1's KVM, checks its exit code and output, and prints one line
# "RESULT <name> PASS" or "RESULT <name> FAIL: <why>" followed by the log tail.
G=/guest
CMD="console=ttyS0 earlycon=uart8250,mmio,0x1000000 quiet panic=-1"

L1GIC=$(sed -n 's/.*l1gic=\([^ ]*\).*/\1/p' /proc/cmdline)
FILTER=$(sed -n 's/.*vmmcases=\([^ ]*\).*/\1/p' /proc/cmdline)

# want GIC NAME: run case NAME on an L1 with that GIC (v3, v2 or any), if
# vmmcases=a,b,... is absent from the L1 command line or names it.
want() {
	[ "$1" = any ] || [ "$1" = "$L1GIC" ] || return 1
	[ -z "$FILTER" ] || case ",$FILTER," in *",$2,"*) ;; *) return 1 ;; esac
	echo "BEGIN $2"
}
# pass NAME: report, with the guest's interrupt and timing lines (and any seccomp lines of
# vmm's, e.g. under VMM_SECCOMP_LOG=1) for the record.
pass() {
	tr -d '\r' <"/tmp/$1.log" | grep -E '^(GUEST-IRQ|VMM-STAT|vmm: seccomp)' | sed "s/^/INFO $1 /"
	echo "RESULT $1 PASS"
}
fail() {
	echo "RESULT $1 FAIL: $2"
	echo "---- tail of $1 output"
	tail -n 60 "/tmp/$1.log"
	echo "---- end of $1 output"
}
# vmm_case NAME WANT_RC ARGS...: run vmm with no stdin, check the exit code.
vmm_case() {
	name=$1 want_rc=$2
	shift 2
	cmd_case "$name" "$want_rc" /vmm "$@"
}
# cmd_case NAME WANT_RC COMMAND...: the same for any command.
cmd_case() {
	name=$1 want_rc=$2
	shift 2
	timeout 300 "$@" </dev/null >"/tmp/$name.log" 2>&1
	rc=$?
	echo "CASE $name exit=$rc uptime=$(cut -d" " -f1 /proc/uptime)"
	[ "$rc" -eq "$want_rc" ] || { fail "$name" "exit code $rc, expected $want_rc"; return 1; }
}
# expect NAME PATTERN: a line of the case's output (carriage returns dropped) matches the basic regex.
expect() {
	tr -d '\r' <"/tmp/$1.log" | grep -q -- "$2" || { fail "$1" "no line matching '$2' in the output"; return 1; }
}

# ctl NAME ARGS...: run a client command, its output appended to the case log.
ctl() {
	n=$1
	shift
	echo "== vmm $*" >>/tmp/$n.ctl
	/vmm "$@" >>/tmp/$n.ctl 2>&1
}

c=boot-v3-smp2
want v3 $c && vmm_case $c 0 run --gic=v3 -c 2 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=basic" -k $G/Image &&
	expect $c GUEST-INIT-OK && expect $c 'GICv3.*arch_timer' && expect $c 'GUEST-NPROC=2$' &&
	expect $c 'GUEST-CPUS-ONLINE=0-1' && expect $c 'ttyS0.*MMIO 0x1000000' && expect $c GUEST-DONE && pass $c

# Defaults: kernel as the last argument, default command line, auto GIC (v3 + ITS here).
c=boot-defaults
want v3 $c && vmm_case $c 0 run -i $G/initrd.cpio $G/Image &&
	expect $c GUEST-INIT-OK && expect $c 'GUEST-CMDLINE=console=ttyS0 earlycon=uart8250,mmio,0x1000000$' &&
	expect $c 'GUEST-NPROC=2$' && expect $c 'GUEST-DMESG: .*ITS.*0x0*8080000' && expect $c GUEST-DONE && pass $c

c=boot-v3-its
want v3 $c && vmm_case $c 0 run --gic=v3 --its -c 2 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=basic" -k $G/Image &&
	expect $c 'GUEST-DMESG: .*ITS.*0x0*8080000' && expect $c 'GICv3.*arch_timer' && expect $c GUEST-DONE && pass $c

# start_with_fifo NAME ARGS...: vmm run in the background, stdin a FIFO on fd 3 ($pid set).
start_with_fifo() {
	name=$1
	shift
	rm -f /tmp/in && mkfifo /tmp/in
	timeout 300 /vmm run "$@" </tmp/in >/tmp/$name.log 2>&1 &
	pid=$!
	exec 3>/tmp/in
}
# wait_for NAME MARKER: until the output shows MARKER, or vmm is gone, or 240 s.
wait_for() {
	i=0
	while ! grep -q "$2" /tmp/$1.log && kill -0 $pid 2>/dev/null && [ $i -lt 240 ]; do
		sleep 1
		i=$((i + 1))
	done
}
# input_case NAME INPUT ARGS...: type INPUT once the guest waits for it; it must echo it back.
input_case() {
	name=$1 input=$2
	shift 2
	start_with_fifo $name "$@"
	wait_for $name GUEST-READY-FOR-INPUT
	echo "$input" >&3
	wait $pid
	rc=$?
	exec 3>&-
	echo "CASE $name exit=$rc"
	[ $rc -eq 0 ] || { fail $name "exit code $rc, expected 0"; return 1; }
	expect $name "GUEST-GOT:$input"
}

# Console input: a line written to vmm's stdin once the guest waits for it.
c=console-input
want v3 $c && input_case $c hello-from-the-host -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=echo" $G/Image &&
	pass $c

c=guest-reboot
want v3 $c && vmm_case $c 3 run -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=reboot" $G/Image &&
	expect $c GUEST-REBOOTING && pass $c

c=raw-payload
want any $c && vmm_case $c 0 run --kernel-format=raw -c 1 -m 64 $G/raw.bin &&
	expect $c '^RAW-PAYLOAD-OK' && pass $c

# Bad input: one clear line and the documented exit code, for real on KVM.
c=bad-missing-kernel
want v3 $c && vmm_case $c 1 run -k /no/such/Image && expect $c 'cannot open /no/such/Image' && pass $c
c=bad-not-an-image
want v3 $c && vmm_case $c 1 run -k $G/initrd.cpio && expect $c 'not an arm64 Image' && pass $c
c=bad-truncated-image
if want v3 $c; then
	head -c 40 $G/Image >/tmp/trunc.img
	vmm_case $c 1 run -k /tmp/trunc.img && expect $c 'truncated' && pass $c
fi
c=bad-initrd-too-big
if want v3 $c; then
	dd if=/dev/zero of=/tmp/big.img bs=1M count=0 seek=200 2>/dev/null
	vmm_case $c 1 run -m 128 -i /tmp/big.img $G/Image && expect $c 'initrd .* does not fit' && pass $c
fi
c=bad-kernel-too-big
want v3 $c && vmm_case $c 1 run -m 64 --kernel-format=raw /tmp/big.img && expect $c 'kernel needs .* raise -m' && pass $c
c=bad-cpus
want v3 $c && vmm_case $c 2 run -c 0 $G/Image && expect $c '\-c 0: vCPUs must be a number' && pass $c
c=bad-mem
want v3 $c && vmm_case $c 2 run -m 12X $G/Image && expect $c '\-m 12X: not a size' && pass $c
c=bad-flag
want v3 $c && vmm_case $c 2 run --bogus $G/Image && expect $c 'unknown option --bogus' && pass $c

# No /dev/kvm, and no permission to open it: one clear line, exit 1.
c=bad-no-kvm
if want v3 $c; then
	mv /dev/kvm /dev/kvm.hidden
	vmm_case $c 1 run $G/Image && expect $c '/dev/kvm does not exist' && pass $c
	mv /dev/kvm.hidden /dev/kvm
fi
c=bad-kvm-permission
if want v3 $c; then
	mkdir -p /etc
	grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
	grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >>/etc/group
	chmod 0600 /dev/kvm
	chmod 0755 /vmm
	cmd_case $c 1 su -s /bin/sh nobody -c "/vmm run $G/Image" &&
		expect $c 'no permission to open /dev/kvm' && pass $c
fi

# ---- interrupt controllers (issue 3) ----
c=probe-v3
want v3 $c && vmm_case $c 0 probe && expect $c '^gicv3 *yes' && expect $c '^its *yes' &&
	expect $c '^gicv2 *no' && expect $c '^max_vcpus *[1-9]' && expect $c '^ipa_bits *[1-9]' && pass $c
c=probe-v3-json
want v3 $c && vmm_case $c 0 probe --json && expect $c '"gicv3": true' && expect $c '"its": true' &&
	expect $c '"gicv2": false' && expect $c '"msi_devid": true' && pass $c

# 17 vCPUs: redistributors 0-16 in region 0, CPU 16 has MPIDR Aff1 = 1.
c=boot-v3-smp17
want v3 $c && vmm_case $c 0 run --gic=v3 --its -c 17 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=basic" $G/Image &&
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
want v2 $c && vmm_case $c 0 run --gic=v2 -c 8 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=basic" $G/Image &&
	expect $c 'GUEST-NPROC=8$' && expect $c 'GUEST-CPUS-ONLINE=0-7$' && expect $c 'GIC-0 *27 Level *arch_timer' &&
	expect $c 'GIC-0 *33 Level *ttyS0' && pass $c
c=boot-v2m
want v2 $c && vmm_case $c 0 run --gic=v2m -c 2 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=basic" $G/Image &&
	expect $c 'GUEST-DMESG: .*GICv2m: range\[mem 0x02000000-0x02000fff\], SPI\[96:159\]' &&
	expect $c 'GIC-0 *27 Level *arch_timer' && expect $c 'GUEST-NPROC=2$' && pass $c
# auto on a GICv2 host: v2 with the v2m frame.
c=boot-auto-v2
want v2 $c && vmm_case $c 0 run -i $G/initrd.cpio -p "$CMD vmmtest=basic" $G/Image &&
	expect $c 'GUEST-DMESG: .*GICv2m: range' && pass $c
c=refuse-v3-on-v2
want v2 $c && vmm_case $c 1 run --gic=v3 $G/Image && expect $c 'cannot create a vGICv3.*use --gic=v2' && pass $c
c=refuse-its-on-v2
want v2 $c && vmm_case $c 1 run --its $G/Image && expect $c 'cannot create a vGIC ITS' && pass $c
c=refuse-auto-9-on-v2
want v2 $c && vmm_case $c 1 run -c 9 $G/Image && expect $c 'gicv2m supports at most 8 vCPUs' && pass $c

# ---- virtio over PCI (issue 4) ----
# Fresh images with known checksums: a writable disk and a read-only one.
make_disks() {
	head -c 16777216 /dev/urandom >/tmp/disk.img
	head -c 4194304 /dev/urandom >/tmp/ro.img
	DISK_MD5=$(md5sum /tmp/disk.img | cut -d' ' -f1)
	RO_MD5=$(md5sum /tmp/ro.img | cut -d' ' -f1)
}
# disk_checks NAME IRQCHIP: the guest read the right data, wrote the pattern the host now
# sees, was refused on the read-only disk, and took its interrupts through IRQCHIP.
disk_checks() {
	expect $1 "GUEST-VDA-SIZE=16777216" && expect $1 "GUEST-VDA-MD5=$DISK_MD5" &&
		expect $1 'GUEST-WRITE-RC=0' && expect $1 "GUEST-VDB-RO=1" && expect $1 "GUEST-VDB-MD5=$RO_MD5" &&
		expect $1 'GUEST-VDB-WRITE-RC=[1-9]' && expect $1 'GUEST-HWRNG=virtio_rng' &&
		expect $1 'GUEST-HWRNG-BYTES=32$' && expect $1 "GUEST-IRQ-BLK=[1-9][0-9]* $2" &&
		expect $1 "GUEST-IRQ-RNG=[1-9][0-9]* $2" || return 1
	dd if=/tmp/disk.img bs=512 skip=2048 count=1 2>/dev/null | grep -q VMM-PATTERN-OK ||
		{ fail $1 "the guest's write is not in the host's image"; return 1; }
	[ "$(md5sum /tmp/ro.img | cut -d' ' -f1)" = "$RO_MD5" ] ||
		{ fail $1 "the read-only image changed"; return 1; }
}

# disk_case NAME L1GIC IRQCHIP VMM-OPTIONS...: a guest on fresh disks, judged by disk_checks.
disk_case() {
	dname=$1 dgic=$2 dchip=$3
	shift 3
	want $dgic $dname || return 0
	make_disks
	vmm_case $dname 0 run "$@" -c 2 -m 512 -d /tmp/disk.img -d /tmp/ro.img,ro --rng \
		-i $G/initrd.cpio -p "$CMD vmmtest=virtio" $G/Image && disk_checks $dname "$dchip" && pass $dname
}
disk_case virtio-blk-its v3 'ITS-MSI$' --gic=v3 --its
disk_case virtio-blk-v2m v2 'MSI$' --gic=v2m
disk_case virtio-blk-v2-intx v2 'GIC-0$' --gic=v2

# virtio-console: hvc0 output, and input written to vmm's stdin reaching the guest.
c=virtio-console
want v3 $c && input_case $c typed-into-hvc0 --console=virtio -c 1 -m 512 -i $G/initrd.cpio \
	-p "console=hvc0 quiet panic=-1 vmmtest=hvc" $G/Image && expect $c GUEST-HVC0-OK &&
	expect $c 'GUEST-IRQ-CONSOLE=[1-9][0-9]* ITS-MSI' && pass $c

c=bad-disk-missing
want any $c && vmm_case $c 1 run -d /no/such.img $G/Image && expect $c 'cannot open disk /no/such.img' && pass $c
c=bad-disk-option
want any $c && vmm_case $c 2 run -d /tmp/x.img,rw $G/Image && expect $c 'unknown disk option' && pass $c

# ---- faults on the host (issue 7): full disks, failed flushes, kills, locks, floods ----
VCMD="$CMD panic=-1"
# bg_vmm NAME ARGS...: vmm run in the background with no stdin ($pid set).
bg_vmm() {
	name=$1
	shift
	timeout 300 /vmm run "$@" </dev/null >/tmp/$name.log 2>&1 &
	pid=$!
}
# wait_rc NAME WANT: wait for the background vmm and check its exit code.
wait_rc() {
	wait $pid
	rc=$?
	echo "CASE $1 exit=$rc uptime=$(cut -d" " -f1 /proc/uptime)"
	[ "$rc" -eq "$2" ] || { fail $1 "exit code $rc, expected $2"; return 1; }
}
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
	bg_vmm $c -c 1 -m 256 -d /mnt/full/disk.img -i $G/initrd.cpio -p "$VCMD vmmtest=enospc" $G/Image
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
	vmm_case $c 0 run -c 1 -m 256 -d /dev/loop0 -i $G/initrd.cpio -p "$VCMD vmmtest=flushfail" $G/Image &&
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
	bg_vmm $c -c 1 -m 256 -d /tmp/seq.img -i $G/initrd.cpio -p "$VCMD vmmtest=seqwrites" $G/Image
	wait_for $c 'FLUSHED 20'
	kill -KILL $pid
	wait_rc $c 137 && seq_check $c /tmp/seq.img && pass $c
fi

# SIGTERM: the guest stops, in-flight I/O is finished and synced, exit 128+15.
c=fault-sigterm
if want v3 $c; then
	truncate -s 16M /tmp/seq.img
	bg_vmm $c -c 1 -m 256 -d /tmp/seq.img -i $G/initrd.cpio -p "$VCMD vmmtest=seqwrites" $G/Image
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
	bg_vmm $c-first -c 1 -m 256 -d /tmp/lock.img -i $G/initrd.cpio -p "$VCMD vmmtest=ticker" $G/Image
	first=$pid
	wait_for $c-first GUEST-TICKER-READY
	vmm_case $c 1 run -d /tmp/lock.img $G/Image &&
		expect $c 'disk /tmp/lock.img is in use by another process' &&
		vmm_case $c 1 run -d /tmp/lock.img,ro $G/Image && pass $c
	kill -KILL $first; wait $first
fi

# A guest flooding the console while nobody reads vmm's stdout: the vCPU never blocks on
# it; output past the queue is dropped from stdout (said) and kept in the log.
c=fault-console-flood
if want v3 $c; then
	rm -f /tmp/stall && mkfifo /tmp/stall
	exec 4<>/tmp/stall # holds the pipe open and never reads it
	timeout 300 /vmm run -c 1 -m 256 --console-log /tmp/$c.clog -i $G/initrd.cpio \
		-p "$VCMD vmmtest=flood" $G/Image </dev/null >/tmp/stall 2>/tmp/$c.log
	rc=$?
	exec 4<&-
	echo "CASE $c exit=$rc uptime=$(cut -d" " -f1 /proc/uptime)"
	if [ $rc -ne 0 ]; then
		fail $c "exit code $rc, expected 0"
	elif ! grep -q GUEST-FLOOD-DONE /tmp/$c.clog; then
		fail $c "the console log does not end with the guest's last line"
	else
		# Past its queue, or at exit: what stdout never took is said.
		expect $c 'console: .*stdout is not' && pass $c
	fi
fi

# The console log's filesystem (16 KiB) fills up (issue 11): the failed write is reported once and
# the log stops; nothing is closed on the vCPU thread that printed (its seccomp list has no
# close: this died of SIGSYS, exit 159), and the guest runs to its end.
c=fault-console-log-full
if want v3 $c; then
	mkdir -p /mnt/clog && mount -t tmpfs -o size=16k tmpfs /mnt/clog
	if vmm_case $c 0 run -c 1 -m 256 --console-log /mnt/clog/console.log -i $G/initrd.cpio \
		-p "$VCMD vmmtest=flood" $G/Image; then
		if grep -q '^vmm: seccomp' /tmp/$c.log; then
			fail $c "vmm reported a seccomp violation"
		else
			expect $c 'console: writing --console-log failed: No space left on device' &&
				expect $c GUEST-FLOOD-DONE && pass $c
		fi
	fi
	umount /mnt/clog
fi

# stdin and stdout a terminal whose reader stalls (an ssh session whose network stopped):
# the guest prints far more than the terminal holds and still powers off; vmm gives up on
# what the terminal never took, 2 s after the guest ends. Before the writer threads the event
# loop slept in write() holding the console lock, and every printing vCPU with it.
c=fault-stalled-tty
if want v3 $c; then
	mkdir -p /dev/pts && { mountpoint -q /dev/pts || mount -t devpts devpts /dev/pts; }
	cmd_case $c 0 ptystall /tmp/$c.err /vmm run -c 1 -m 256 -i $G/initrd.cpio \
		-p "$VCMD vmmtest=flood" $G/Image
	rc=$?
	cat /tmp/$c.err >>/tmp/$c.log
	[ $rc -eq 0 ] && expect $c 'bytes of output not written: stdout is not reading' && pass $c
fi

# rss_outside KB_OF_RAM: vmm's resident KiB outside the guest RAM mapping (smaps).
rss_outside() {
	awk -v ram="$1" '/^[0-9a-f]+-[0-9a-f]+ / { skip = 0 }
		/^Size:/ { if ($2 == ram) skip = 1 }
		/^Rss:/ { if (!skip) s += $2 } END { print s + 0 }' /proc/$pid/smaps
}
# Host stdin flooding the console: vmm reads only what the UART can take, so its memory
# stays flat and it stays responsive. (Under nested TCG the guest spends its time in the
# UART's receive interrupt: each byte is two MMIO exits.)
c=fault-stdin-flood
if want v3 $c; then
	yes "stdin-flood-line" | timeout 300 /vmm run --name stdinflood -c 1 -m 256 -i $G/initrd.cpio \
		-p "$VCMD vmmtest=hang" $G/Image >/tmp/$c.log 2>&1 &
	pid=$!
	sleep 5
	rss1=$(rss_outside 262144)
	sleep 15
	rss2=$(rss_outside 262144)
	echo "INFO $c vmm RSS outside guest RAM: $rss1 KiB after 5 s, $rss2 KiB after 20 s of flood"
	ctl $c status stdinflood
	st=$?
	ctl $c stop stdinflood --force
	cat /tmp/$c.ctl >>/tmp/$c.log
	if wait_rc $c 8; then
		if [ $st -ne 0 ]; then
			fail $c "vmm status failed during the flood"
		elif [ $((rss2 - rss1)) -gt 1024 ]; then
			fail $c "memory grew by $((rss2 - rss1)) KiB under the flood"
		else
			pass $c
		fi
	fi
fi

# ---- made for CI (issue 6): exit paths, timeout, expect/fail-on, test-exit, report ----
c=ci-panic
want v3 $c && vmm_case $c 4 run -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=panic" $G/Image &&
	expect $c 'Kernel panic - not syncing' && expect $c 'Call trace' && pass $c
# Without panic=N the guest spins after its panic: vmm stops it after the grace period.
c=ci-panic-hang
want v3 $c && vmm_case $c 4 run -c 1 -m 512 -i $G/initrd.cpio \
	-p "console=ttyS0 quiet vmmtest=panic" $G/Image && expect $c 'Kernel panic - not syncing' && pass $c
c=ci-timeout
if want v3 $c; then
	start=$(cut -d. -f1 /proc/uptime)
	vmm_case $c 5 run -c 1 -m 512 --timeout 20s -i $G/initrd.cpio -p "$CMD vmmtest=hang" $G/Image &&
		expect $c GUEST-HANGING && {
		took=$(($(cut -d. -f1 /proc/uptime) - start))
		echo "INFO $c stopped after ${took}s"
		[ $took -ge 19 ] && [ $took -le 40 ] || { fail $c "took ${took}s for --timeout 20s"; false; }
	} && pass $c
fi
c=ci-expect
want v3 $c && vmm_case $c 0 run -c 1 -m 512 --timeout 300 --expect 'GUEST-HANG[A-Z]+' \
	-i $G/initrd.cpio -p "$CMD vmmtest=hang" $G/Image && expect $c GUEST-HANGING && pass $c
c=ci-fail-on
want v3 $c && vmm_case $c 6 run -c 1 -m 512 --timeout 300 --expect GUEST-DONE --fail-on 'GUEST-INIT-O.' \
	-i $G/initrd.cpio -p "$CMD vmmtest=basic" $G/Image && pass $c
c=ci-expect-not-seen
want v3 $c && vmm_case $c 7 run -c 1 -m 512 --expect NEVER-PRINTED -i $G/initrd.cpio \
	-p "$CMD vmmtest=basic" $G/Image && expect $c GUEST-DONE && pass $c
c=ci-test-exit
want any $c && vmm_case $c 7 run -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=exit7" $G/Image &&
	expect $c GUEST-EXIT-7 && pass $c
c=ci-reboot-restart
if want v3 $c; then
	head -c 1048576 /dev/zero >/tmp/boot.img
	vmm_case $c 0 run --reboot=restart -c 1 -m 512 -d /tmp/boot.img -i $G/initrd.cpio \
		-p "$CMD vmmtest=reboot-once" $G/Image && expect $c GUEST-FIRST-BOOT &&
		expect $c 'restarting it (--reboot=restart, restart 1)' && expect $c GUEST-SECOND-BOOT && pass $c
fi
c=ci-console-log
if want v3 $c; then
	vmm_case $c 0 run -c 1 -m 512 --console-log /tmp/console.log -i $G/initrd.cpio \
		-p "$CMD vmmtest=basic" $G/Image && {
		grep -q GUEST-DONE /tmp/console.log && grep -q 'Linux version' /tmp/console.log && pass $c ||
			fail $c "console log incomplete"
	}
fi
# The report: printed whole between markers; run.sh validates the JSON on the host.
c=ci-report
if want v3 $c; then
	make_disks
	vmm_case $c 0 run -c 2 -m 512 --its -d /tmp/disk.img --expect GUEST-DONE --report /tmp/report.json \
		-i $G/initrd.cpio -p "$CMD vmmtest=virtio" $G/Image && {
		echo "REPORT-BEGIN $c"
		cat /tmp/report.json
		echo "REPORT-END $c"
	} && pass $c
fi
c=bad-timeout
want any $c && vmm_case $c 2 run --timeout 5x $G/Image && expect $c '\-\-timeout 5x: not a duration' && pass $c
c=bad-regex
want any $c && vmm_case $c 2 run --expect 'a(' $G/Image && expect $c 'not a valid extended regular' && pass $c

# ---- the command loop (issue 5): a second process and the console escape steer a guest ----
# last_tick LOG: the guest's own uptime in the last TICK line.
last_tick() { tr -d '\r' <"$1" | sed -n 's/^TICK \([0-9]*\)\..*/\1/p' | tail -n 1; }
c=control
if want v3 $c; then
	make_disks
	rm -f /tmp/$c.ctl
	start_with_fifo $c --name ctl1 --its -c 2 -m 512 -d /tmp/disk.img -i $G/initrd.cpio \
		-p "$CMD vmmtest=ticker" $G/Image
	wait_for $c GUEST-TICKER-READY
	sleep 2
	ok=1
	why=""
	# check CMD...: the first failing check is the case's reason; later ones are skipped.
	check() { [ $ok = 1 ] || return 0; "$@" || { ok=0; why="failed: $*"; }; }
	refused() { ! "$@"; }
	check ctl $c list
	check grep -q '^ctl1 *running' /tmp/$c.ctl
	check ctl $c list --json
	check grep -q '"name": "ctl1", "state": "running"' /tmp/$c.ctl
	# Pause: the guest's clock must not move while wall time does.
	before=$(last_tick /tmp/$c.log)
	check ctl $c pause ctl1
	check ctl $c status ctl1
	check grep -q '^state paused' /tmp/$c.ctl
	sleep 6
	check ctl $c info ctl1 gic
	check ctl $c resume ctl1
	sleep 3
	after=$(last_tick /tmp/$c.log)
	echo "INFO $c guest uptime before pause ${before}s, 3 s after a 6 s pause ${after}s"
	check [ $((after - before)) -le 5 ]
	check grep -q '^ *33 SPI .* enabled .* ttyS0\|^ *33 SPI .* enabled' /tmp/$c.ctl
	check grep -q '^ *27 PPI *0 .* enabled' /tmp/$c.ctl
	check grep -q 'cpu 0 interface: ICC_PMR_EL1=0x' /tmp/$c.ctl
	check ctl $c info ctl1 its
	check grep -q 'event 0 -> LPI [0-9]* -> collection [0-9]* -> vcpu' /tmp/$c.ctl
	check ctl $c info ctl1 irq
	# The disk is the first PCI function, 00:00.0: requester ID, so ITS device ID, 0.
	check grep -q 'gsi [0-9]* msi address 0x8090040 data [0-9]* devid 0x0 signals [1-9]' /tmp/$c.ctl
	check ctl $c info ctl1 pci
	check grep -q '00:00.0 virtio-blk .* MSI-X enabled' /tmp/$c.ctl
	check ctl $c stat ctl1
	check grep -q '^vcpu 0 exits: mmio [1-9]' /tmp/$c.ctl
	# The client writes the file, from the host's copy of the DTB the VM sends (issue 11 b).
	check ctl $c info ctl1 dtb /tmp/ctl1.dtb
	check [ "$(head -c 4 /tmp/ctl1.dtb | od -An -tx1 | tr -d ' ')" = d00dfeed ]
	check grep -q "^wrote $(wc -c </tmp/ctl1.dtb) bytes to /tmp/ctl1.dtb" /tmp/$c.ctl
	printf 'info dtb /tmp/ctl1-mon.dtb\n' | /vmm monitor ctl1 >>/tmp/$c.ctl 2>&1
	check cmp -s /tmp/ctl1.dtb /tmp/ctl1-mon.dtb
	# A name is a name (issue 11 c): no path out of the control directory.
	check refused ctl $c status ../vmm/ctl1
	check grep -q "'../vmm/ctl1' is not a VM name" /tmp/$c.ctl
	check ctl $c info ctl1 mem
	check grep -q '^gicv3-its *0x000008080000 size 0x20000' /tmp/$c.ctl
	check ctl $c inject ctl1 spi 200
	check ctl $c inject ctl1 msi 0 0
	check grep -q 'msi devid 0x0 event 0 signalled' /tmp/$c.ctl
	# Bad input: errors, and the guest keeps running.
	check refused ctl $c frobnicate ctl1
	check grep -q 'unknown command' /tmp/$c.ctl
	printf 'bogus\ninfo\ninfo gic extra words here\n' | /vmm monitor ctl1 >>/tmp/$c.ctl 2>&1
	check grep -q "error: unknown command 'bogus'" /tmp/$c.ctl
	check grep -q 'error: usage: info' /tmp/$c.ctl
	head -c 3000 /dev/zero | tr '\0' x | /vmm monitor ctl1 >>/tmp/$c.ctl 2>&1
	check grep -q 'error: line longer than 1023 bytes' /tmp/$c.ctl
	check refused ctl $c pause no-such-vm
	check grep -q 'no VM named no-such-vm' /tmp/$c.ctl
	# A client that hangs up mid-reply, then more clients than the VM serves at once.
	echo "info gic all" | /vmm monitor ctl1 | head -c 100 >/dev/null
	idle=""
	for i in $(seq 18); do
		sleep 20 | /vmm monitor ctl1 >/dev/null 2>&1 &
		idle="$idle $!"
	done
	sleep 2
	check refused ctl $c status ctl1
	check grep -q 'error: too many control clients' /tmp/$c.ctl
	kill $idle 2>/dev/null
	pkill -f 'vmm monitor ctl1'
	sleep 1
	check ctl $c status ctl1
	# The console escape: Ctrl-A c, a command, Ctrl-A c back to the guest.
	printf '\001cstatus\r\001c' >&3
	sleep 2
	check grep -q '^state running' /tmp/$c.log
	t1=$(last_tick /tmp/$c.log)
	sleep 3
	check [ "$(last_tick /tmp/$c.log)" -gt "$t1" ]
	# Whatever failed above, end the guest the clean way: vmm stop waits for its power-off.
	ctl $c stop ctl1 || { [ $ok = 0 ] || why="vmm stop failed"; ok=0; /vmm stop ctl1 --force; }
	wait $pid
	rc=$?
	exec 3>&-
	echo "CASE $c exit=$rc"
	cat /tmp/$c.ctl >>/tmp/$c.log
	if [ $ok != 1 ]; then fail $c "$why"
	elif [ $rc -ne 0 ]; then fail $c "vmm exited $rc after vmm stop, expected 0"
	else expect $c 'reboot: Power down' && pass $c; fi
fi
c=control-name-taken
if want v3 $c; then
	/vmm run --name dup -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=hang" $G/Image </dev/null >/tmp/dup1.log 2>&1 &
	pid=$!
	sleep 3
	if vmm_case $c 1 run --name dup $G/Image && expect $c 'a VM named dup is already running'; then
		/vmm stop dup --force >/dev/null 2>&1 && { wait $pid; [ $? -eq 8 ]; } && pass $c ||
			fail $c "vmm stop --force: the first VM did not end with exit code 8"
	fi
	kill $pid 2>/dev/null
fi

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

# virtio-mmio (--transport=mmio): the same disk checks, interrupts on level SPIs.
disk_case virtio-blk-mmio v3 'GICv3$' --transport=mmio
disk_case virtio-blk-mmio-v2 v2 'GIC-0$' --transport=mmio --gic=v2

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
		-p "$CMD vmmtest=ticker" $G/Image
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
		-p "$CMD vmmtest=hang" $G/Image &&
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
	bg_vmm $c -c 1 -m 256 -d /dev/nullb0 -i $G/initrd.cpio -p "$VCMD vmmtest=slowdisk-hang" $G/Image
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
		-i $G/initrd.cpio -p "$VCMD vmmtest=slowdisk-reset" $G/Image &&
		expect $c GUEST-SLOWDISK-IO-STARTED && expect $c 'disk requests still unfinished after 2 s' &&
		expect $c 'exiting with 1 (vmm-error) instead of restarting the guest' && {
		if grep -q 'restarting it (--reboot=restart' /tmp/$c.log; then fail $c "vmm restarted the guest"
		else pass $c; fi; }
fi
rmmod null_blk 2>/dev/null

# ---- a hostile guest (issue 7): tests/hostile attacks virtio-blk, PCI and the UART from inside ----
# hostile_case NAME L1GIC VMM-OPTIONS...: every attack answered (HOSTILE-DONE, exit 0) and the
# misbehaviour named in vmm's log, which stays rate-limited: while the guest breaks the queue
# 100 times (two messages each), vmm may log 5 lines a second per message (util.c).
hostile_case() {
	hname=$1
	want $2 $hname || return 0
	shift 2
	head -c 1048576 /dev/zero >/tmp/hostile.img
	printf 'HOSTILE-DISK-OK!' | dd of=/tmp/hostile.img conv=notrunc 2>/dev/null
	vmm_case $hname 0 run --kernel-format=raw -c 1 -m 64 --timeout 120 -d /tmp/hostile.img "$@" \
		$G/hostile.bin
	hrc=$?
	# What vmm reported, each message once with its count (numbers folded).
	grep '^vmm: ' /tmp/$hname.log | sed 's/0x[0-9a-f]*/N/g; s/[0-9][0-9]*/N/g' | sort | uniq -c |
		sed "s/^ */INFO $hname vmm-log /"
	[ $hrc -eq 0 ] && expect $hname '^HOSTILE-DONE [1-9][0-9]* attacks' &&
		expect $hname 'DEVICE_NEEDS_RESET' && expect $hname '^vmm: virtq: ' || return 0
	tr -d '\r' </tmp/$hname.log >/tmp/$hname.txt
	grep -E '^HOSTILE-(DONE|BREAKS)' /tmp/$hname.txt | sed "s/^/INFO $hname /"
	ms=$(sed -n 's/^HOSTILE: hammer took \([0-9]*\) ms$/\1/p' /tmp/$hname.txt)
	# The two messages each break makes; the console's markers may lag stderr a little.
	hl=$(sed -n '/^HOSTILE: hammer start/,/^HOSTILE: hammer took/p' /tmp/$hname.txt |
		grep -c -E '^vmm: (virtq: |.*DEVICE_NEEDS_RESET)')
	bound=$((10 * (${ms:-0} / 1000 + 3)))
	echo "INFO $hname hammer: 100 queue breaks in ${ms}ms, $hl vmm log lines (bound $bound), $(grep -c '^vmm: ' /tmp/$hname.txt) in all"
	[ -n "$ms" ] && [ "$hl" -le "$bound" ] && [ "$hl" -lt 100 ] ||
		{ fail $hname "$hl vmm log lines for 100 queue breaks in ${ms}ms: not rate-limited"; return 0; }
	pass $hname
}
hostile_case hostile-pci v3 --its
hostile_case hostile-mmio v3 --transport=mmio
hostile_case hostile-v2m v2 --gic=v2m
