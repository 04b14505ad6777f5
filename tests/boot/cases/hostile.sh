# Boot cases, a hostile guest attacking virtio-blk, virtio-net, PCI and the UART.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: tests/hostile (hostile.bin, a raw payload), the same for every case here.

# ---- a hostile guest (issue 7): tests/hostile attacks virtio-blk, PCI and the UART from inside ----
# (and virtio-net, issue 14: on a tap with no address, hostap0, so what it sends just leaves)
# hostile_case NAME L1GIC VMM-OPTIONS...: every attack answered (HOSTILE-DONE, exit 0) and the
# misbehaviour named in vmm's log, which stays rate-limited: while the guest breaks the queue
# 100 times (two messages each), vmm may log 5 lines a second per message (util.c).
hostile_case() {
	hname=$1
	want $2 $hname || return 0
	shift 2
	head -c 1048576 /dev/zero >/tmp/hostile.img
	printf 'HOSTILE-DISK-OK!' | dd of=/tmp/hostile.img conv=notrunc 2>/dev/null
	net_mods && tunctl -t hostap0 >/dev/null && ip link set hostap0 up ||
		{ fail $hname "no tap hostap0 for the virtio-net attacks"; return 0; }
	vmm_case $hname 0 run --kernel-format=raw -c 1 -m 64 --timeout 120 -d /tmp/hostile.img "$@" \
		$G/hostile.bin
	hrc=$?
	tunctl -d hostap0 >/dev/null 2>&1
	# What vmm reported, each message once with its count (numbers folded).
	grep '^vmm: ' /tmp/$hname.log | sed 's/0x[0-9a-f]*/N/g; s/[0-9][0-9]*/N/g' | sort | uniq -c |
		sed "s/^ */INFO $hname vmm-log /"
	[ $hrc -eq 0 ] && expect $hname '^HOSTILE-DONE [1-9][0-9]* attacks' &&
		expect $hname '^HOSTILE: net-config-space-writes ok' &&
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
hostile_case hostile-pci v3 --its -n mode=tap,tapif=hostap0,vhost=0
hostile_case hostile-mmio v3 --transport=mmio -n mode=tap,tapif=hostap0,vhost=0
hostile_case hostile-v2m v2 --gic=v2m -n mode=tap,tapif=hostap0,vhost=0
