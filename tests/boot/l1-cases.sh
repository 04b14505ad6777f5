# Boot test cases, sourced by the L1's init. Each case runs ./vmm for real on
# the L1's KVM, checks its exit code and output, and prints one line
# "RESULT <name> PASS" or "RESULT <name> FAIL: <why>" followed by the log tail.
# This file holds what the cases share; the cases themselves are in tests/boot/cases/
# (in the L1: /cases/), one file a theme, sourced at the end in the order they run.
# tests/boot/list-cases lists them without running one.
#
# Guest halves: a case that boots tests/boot/guest-init puts vmmtest=<its own name> on the
# guest's command line, and guest-init's table (at its end) maps each case name to the
# function the guest runs; no vmmtest= (vmm's default command line) is boot-defaults.
G=/guest
# vmm's default guest command line, from the vmm under test (l1-init reads its --help).
CMD="$GUEST_DEFAULT_CMDLINE quiet panic=-1"
[ -n "$GUEST_DEFAULT_CMDLINE" ] || echo "L1: no default command line in vmm run --help: the guests will fail"

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

# start_with_fifo NAME ARGS...: vmm run in the background, stdin a FIFO on fd 3 ($pid set).
start_with_fifo() {
	name=$1
	shift
	rm -f /tmp/in && mkfifo /tmp/in
	timeout 300 /vmm run "$@" </tmp/in >/tmp/$name.log 2>&1 &
	pid=$!
	# Read-write: the open does not wait for vmm's end of the FIFO, so no signal can
	# interrupt it (busybox sh exits on a failed exec redirection, and init with it).
	exec 3<>/tmp/in
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
		-i $G/initrd.cpio -p "$CMD vmmtest=$dname" $G/Image && disk_checks $dname "$dchip" && pass $dname
}

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

# net_mods: tun, and vhost-net with what it needs (lib.sh copies them into the L1).
net_mods() {
	for m in tun tap vhost_iotlb vhost vhost_net; do
		[ -e /sys/module/$m ] || insmod /lib/modules/$m.ko 2>/dev/null
	done
	[ -c /dev/net/tun ]
}

L1_CASES_DIR=${L1_CASES_DIR:-/cases}
for theme in boot kernel-formats cpu-features cli-errors gic virtio-pci disk-faults console-faults ci control dtb virtio-mmio \
	seccomp drain-timeout hostile lkvm net vsock; do
	. "$L1_CASES_DIR/$theme.sh"
done
