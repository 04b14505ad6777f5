#!/usr/bin/env bash
# Nested boot tests: boots an arm64 KVM host (L1) under QEMU and runs
# tests/boot/l1-cases.sh in it, each case a real guest under ./vmm.
# VMM_CASES=a,b limits the cases; VMM_L1_APPEND adds L1 kernel parameters (NAME=VALUE ones
# reach the L1's init, and so every vmm, as environment variables: VMM_SECCOMP_LOG=1).
# The summary line is "N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -x "$top/vmm" ] || { echo "run.sh: build ./vmm first (make)" >&2; exit 1; }
build_images

# boot_and_check NAME QEMU_GIC_OPTS L1GIC: one L1 run; adds to passed/failed.
passed=0 failed=0
boot_and_check() {
	local log=$work/l1-$1.log p f b start
	echo "boot-test: L1 on $1, log in $log"
	start=$(date +%s)
	L1_TIMEOUT=1200 boot_l1 "$2" "l1gic=$3 ${VMM_CASES:+vmmcases=$VMM_CASES} ${VMM_L1_APPEND:-}" </dev/null >"$log" 2>&1 || true
	tr -d '\r' <"$log" >"$log.txt"
	echo "boot-test: L1 on $1 ran for $(( $(date +%s) - start )) s"
	# --report files printed by the L1 are checked here, where Python is.
	python3 "$top/tests/boot/check_report.py" "$log.txt" >>"$log.txt"
	p=$(grep -c '^RESULT .* PASS$' "$log.txt" || true)
	f=$(grep -c '^RESULT .* FAIL' "$log.txt" || true)
	# Every case begins once; each printed report adds its own JSON check.
	b=$(grep -c -E '^(BEGIN|REPORT-BEGIN) ' "$log.txt" || true)
	grep -E '^(RESULT|CASE|INFO) ' "$log.txt" | sed "s/^/[$1] /" || true
	if ! grep -q '^L1-READY kvm=yes' "$log.txt"; then
		echo "boot-test: FAIL: the L1 on $1 did not come up with /dev/kvm; its log ends:"
		tail -n 40 "$log.txt"
		f=$((f + 1))
	elif ! grep -q '^L1-CASES-DONE' "$log.txt" || [ "$b" -ne $((p + f)) ]; then
		echo "boot-test: FAIL: the L1 on $1 stopped before every case reported; its log ends:"
		tail -n 60 "$log.txt"
		f=$((f + 1))
	fi
	if [ "$f" -ne 0 ]; then
		echo "boot-test: failing cases on $1, with their output:"
		sed -n '/^RESULT .* FAIL/,/^---- end of/p' "$log.txt"
	fi
	passed=$((passed + p)) failed=$((failed + f))
}

# mte=on (TCG only; no cost seen in the suite): the L1 CPU gets MTE with tag memory, so its
# KVM offers KVM_CAP_ARM_MTE and the MTE cases run.
boot_and_check gicv3-its gic-version=3,its=on,mte=on v3
# A GICv2 L1 offers vGICv2 only (QEMU's GICv3 has no GICv2 compatibility).
boot_and_check gicv2 gic-version=2 v2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
