#!/usr/bin/env bash
# Nested boot tests: boots an arm64 KVM host (L1) under QEMU and runs
# tests/boot/l1-cases.sh in it, each case a real guest under ./vmm.
# VMM_CASES=a,b limits the cases; the summary line is "N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -x "$top/vmm" ] || { echo "run.sh: build ./vmm first (make)" >&2; exit 1; }
build_images
log=$work/l1-gicv3.log
append=${VMM_CASES:+vmmcases=$VMM_CASES}
echo "boot-test: L1 on GICv3+ITS, log in $log"
start=$(date +%s)
L1_TIMEOUT=1500 boot_l1 gic-version=3,its=on "$append" </dev/null >"$log" 2>&1 || true
tr -d '\r' <"$log" >"$log.txt"
echo "boot-test: L1 ran for $(( $(date +%s) - start )) s"

passed=$(grep -c '^RESULT .* PASS$' "$log.txt" || true)
failed=$(grep -c '^RESULT .* FAIL' "$log.txt" || true)
begun=$(grep -c '^BEGIN ' "$log.txt" || true)
grep -E '^(RESULT|CASE) ' "$log.txt" || true
if ! grep -q '^L1-READY kvm=yes' "$log.txt"; then
	echo "boot-test: FAIL: the L1 did not come up with /dev/kvm; its log ends:"
	tail -n 40 "$log.txt"
	failed=$((failed + 1))
elif ! grep -q '^L1-CASES-DONE' "$log.txt" || [ "$begun" -ne $((passed + failed)) ]; then
	echo "boot-test: FAIL: the L1 stopped before every case reported; its log ends:"
	tail -n 60 "$log.txt"
	failed=$((failed + 1))
fi
if [ "$failed" -ne 0 ]; then
	echo "boot-test: failing cases, with their output:"
	sed -n '/^RESULT .* FAIL/,/^---- end of/p' "$log.txt"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
