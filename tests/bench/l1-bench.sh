# Benchmark runs, sourced by the L1's init (tests/boot/l1-init) in place of the boot tests.
# Every vmm run prints "BENCH-RUN <id> rc=N", its --report JSON between BENCH-REPORT-BEGIN/END
# and the guest's BENCH- lines; tests/bench/analyze.py turns them into figures on the host.
# Nothing here judges a timing.
G=/guest
CMD="console=ttyS0 earlycon=uart8250,mmio,0x1000000 quiet panic=-1"

# arg NAME DEFAULT: NAME=value from the L1 command line (set by tests/bench/run.sh).
arg() {
	v=$(sed -n "s/.* $1=\([^ ]*\).*/\1/p" /proc/cmdline)
	echo "${v:-$2}"
}
REPEAT=$(arg benchrepeat 3)
CPUS=$(arg benchcpus 1,4,16,64 | tr , ' ')
MIB=$(arg benchmib 64)
VCPU_TIMEOUT=$(arg benchvcputimeout 240)

# vmm keeps its control sockets under /run (as root); a real host has it, this initramfs may not.
mkdir -p /run
echo "BENCH-ENV l1_kernel=$(uname -r) l1_cpus=$(grep -c ^processor /proc/cpuinfo) repeat=$REPEAT cpus=$(echo $CPUS | tr ' ' ,) mib=$MIB vcpu_timeout=$VCPU_TIMEOUT"

# bench_run ID TIMEOUT_S VMM_RUN_ARGS...: one vmm run, capped by --timeout (and by busybox
# timeout, then SIGKILL, in case vmm itself hangs). The guest console goes to a file: only
# the report and the guest's BENCH- lines reach the serial log, plus vmm's output tail when
# it failed.
bench_run() {
	id=$1 limit=$2
	shift 2
	rm -f /tmp/report.json
	timeout -k 10 $((limit + 60)) /vmm run --timeout "$limit" --report /tmp/report.json "$@" </dev/null >/tmp/run.log 2>&1
	rc=$?
	echo "BENCH-RUN $id rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
	if [ -s /tmp/report.json ]; then
		echo "BENCH-REPORT-BEGIN $id"
		cat /tmp/report.json
		echo "BENCH-REPORT-END $id"
	fi
	tr -d '\r' </tmp/run.log | grep '^BENCH-' | sed "s/^/BENCH-GUEST $id /"
	if [ $rc -ne 0 ]; then
		echo "BENCH-TAIL-BEGIN $id"
		tr -d '\r' </tmp/run.log | tail -n 20
		echo "BENCH-TAIL-END $id"
	fi
	return $rc
}

# boot_series N: REPEAT boots with N vCPUs, each stopped by vmm as soon as the guest's first
# line is seen (--expect). After a timeout the remaining repeats are skipped: they would only
# time out again.
boot_series() {
	i=1
	while [ $i -le "$REPEAT" ]; do
		bench_run boot-c$1-$i "$VCPU_TIMEOUT" --gic=v3 --its -c "$1" -m 512 --expect GUEST-INIT-OK \
			-i $G/initrd.cpio -p "$CMD bench=boot" $G/Image
		if [ "$rc" -eq 5 ]; then
			echo "BENCH-SKIP boot-c$1 after a timeout at run $i of $REPEAT"
			break
		fi
		i=$((i + 1))
	done
}

# 1 vCPU first: it gives the exec -> first KVM_RUN, init marker and RSS figures too.
boot_series 1

# Disk I/O: an idle run (same guest and disk, no dd) and an io run, REPEAT pairs. The disk
# lives in the L1's tmpfs, so the figures are of vmm's virtio-blk path, not of a device.
dd if=/dev/zero of=/tmp/bench.img bs=1M count="$MIB" 2>/dev/null
i=1
while [ $i -le "$REPEAT" ]; do
	for mode in idle io; do
		bench_run $mode-$i 300 --gic=v3 --its -c 1 -m 512 -d /tmp/bench.img \
			-i $G/initrd.cpio -p "$CMD bench=$mode benchmib=$MIB" $G/Image
	done
	i=$((i + 1))
done
rm -f /tmp/bench.img

# The larger vCPU counts last: the slowest runs, and the first to go if the L1 runs out of time.
for n in $CPUS; do
	[ "$n" = 1 ] || boot_series "$n"
done
echo "BENCH-DONE"
