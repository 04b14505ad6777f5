#!/usr/bin/env bash
# Benchmarks (make bench): boots one L1 (arm64 KVM host under qemu-system-aarch64, TCG) that
# runs tests/bench/l1-bench.sh, every vmm run REPEAT times, then turns the serial log into a
# table, build/bench/bench.json and build/bench/boot-vs-vcpus.png (tests/bench/analyze.py).
# Figures only, never pass/fail on a timing: they come from nested TCG emulation, not hardware.
#
#   REPEAT=3             runs per figure
#   BENCH_CPUS=1,4,16,64 vCPU counts for the boot-time plot
#   BENCH_MIB=64         MiB written and read by the I/O guest
#   BENCH_VCPU_TIMEOUT=240  --timeout of each boot run (s); a timed-out count is recorded as such
#   BENCH_L1_TIMEOUT=1200   QEMU is killed after this many seconds (s)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# lib.sh builds its images in VMM_BOOT_WORK and takes our guest init and L1 script.
VMM_BOOT_WORK=$top/build/bench
GUEST_INIT=$top/tests/bench/guest-init
L1_CASES=$top/tests/bench/l1-bench.sh
. "$top/tests/boot/lib.sh"

REPEAT=${REPEAT:-3}
BENCH_CPUS=${BENCH_CPUS:-1,4,16,64}
BENCH_MIB=${BENCH_MIB:-64}
BENCH_VCPU_TIMEOUT=${BENCH_VCPU_TIMEOUT:-240}
BENCH_L1_TIMEOUT=${BENCH_L1_TIMEOUT:-1200}
# They go on the L1's kernel command line: keep them to plain numbers.
for v in REPEAT BENCH_MIB BENCH_VCPU_TIMEOUT BENCH_L1_TIMEOUT; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench: $v=${!v}: want a positive number" >&2; exit 2; }
done
[[ $BENCH_CPUS =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "bench: BENCH_CPUS=$BENCH_CPUS: want e.g. 1,4,16,64" >&2; exit 2; }

[ -x "$top/vmm" ] || { echo "bench: build ./vmm first (make)" >&2; exit 1; }
start=$(date +%s)
build_images
log=$work/l1-bench.log

# Sizes of the very binary copied into the L1 (./vmm may be rebuilt meanwhile).
size=$(stat -c %s "$work/l1/vmm")
stripped=
if command -v "${CROSS}strip" >/dev/null; then
	"${CROSS}strip" -o "$work/vmm.stripped" "$work/l1/vmm" && stripped=$(stat -c %s "$work/vmm.stripped")
fi

echo "bench: L1 under QEMU, log in $log (waits while another QEMU holds the lock; up to ${BENCH_L1_TIMEOUT}s once it runs)"
L1_TIMEOUT=$BENCH_L1_TIMEOUT boot_l1 gic-version=3,its=on \
	"l1gic=v3 benchrepeat=$REPEAT benchcpus=$BENCH_CPUS benchmib=$BENCH_MIB benchvcputimeout=$BENCH_VCPU_TIMEOUT" \
	</dev/null >"$log" 2>&1 || echo "bench: QEMU exited with $? (killed by the timeout if 124); using what the log has"
tr -d '\r' <"$log" >"$log.txt"
grep -q '^L1-READY kvm=yes' "$log.txt" || { echo "bench: the L1 did not come up with /dev/kvm; its log ends:"; tail -n 40 "$log.txt"; exit 1; }
grep -q '^BENCH-DONE' "$log.txt" || echo "bench: the L1 stopped before all runs finished; the figures below use the runs it completed"

python3 "$top/tests/bench/analyze.py" --log "$log.txt" --out "$work" --repeat "$REPEAT" \
	--cpus "$BENCH_CPUS" --binary-size "$size" ${stripped:+--stripped-size "$stripped"} \
	--commit "$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)" \
	--qemu "$(qemu-system-aarch64 --version | head -n 1)" --elapsed "$(($(date +%s) - start))"
