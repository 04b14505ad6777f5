# Boot cases, virtio-net on a tap (issue 14): the userspace data path on the I/O thread
# (vhost=0), vhost-net (the kernel moves the frames), multiqueue (mq=2 on a multi-queue tap). Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: guest_net in tests/boot/guest-init (vmmtest=<case name>): the NIC with MAC
# 02:00:00:00:00:01 gets 10.0.2.15/24, pings the L1's tap at 10.0.2.1, sends a file to the
# L1 (port 5001) and fetches one (port 5002) with busybox nc, prints both checksums and the
# NIC's interrupt count and chip; a second NIC (02:00:00:00:00:02, if there is one) gets
# 10.0.3.15 and pings 10.0.3.1. net-created-tap boots the raw payload ($G/raw.bin); the
# other net-* cases boot nothing (vmm refuses first).

NET_MAC0=02:00:00:00:00:01
NET_MAC1=02:00:00:00:00:02

# net_mods (the tun and vhost-net modules) is in tests/boot/l1-cases.sh: hostile.sh uses it too.

# net_taps N: the modules, and taps tap0..tap(N-1) up at 10.0.(2+i).1/24; multi-queue ones
# (tests/boot/mqtap.c) when net_mq is set.
net_taps() {
	net_mods
	i=0
	while [ $i -lt "$1" ]; do
		if [ -n "$net_mq" ]; then mqtap tap$i; else tunctl -t tap$i >/dev/null; fi &&
			ip addr add 10.0.$((2 + i)).1/24 dev tap$i && ip link set tap$i up || return 1
		i=$((i + 1))
	done
}
net_taps_del() {
	for t in tap0 tap1; do
		[ -e /sys/class/net/$t ] && { tunctl -d $t >/dev/null 2>&1 || mqtap -d $t; }
	done
}

# The L1's ends of the two transfers. nc exits when its peer's side of the connection ends;
# a receiver whose stdin ended would end its side at once, so each receiver's stdin is a
# FIFO held open until the transfer is over.
net_listen() {
	head -c 262144 /dev/urandom >/tmp/net-down.bin
	NET_DOWN_MD5=$(md5sum /tmp/net-down.bin | cut -d' ' -f1)
	rm -f /tmp/net-up.bin /tmp/net-hold && mkfifo /tmp/net-hold
	nc -l -p 5001 </tmp/net-hold >/tmp/net-up.bin &
	net_up_pid=$!
	# Read-write: the open does not wait for nc's end (Linux FIFOs), so no signal can
	# interrupt it (busybox sh exits on a failed exec redirection, and init with it).
	exec 5<>/tmp/net-hold
	nc -l -p 5002 </tmp/net-down.bin >/dev/null &
	net_down_pid=$!
}
net_listen_end() {
	exec 5>&-
	kill $net_up_pid $net_down_pid 2>/dev/null
	wait $net_up_pid $net_down_pid 2>/dev/null
}

# net_checks NAME IRQCHIP: ping, both files intact, the NIC's interrupts through IRQCHIP,
# and the report's counters: with net_vhost set the log says vhost-net and the userspace
# packet counters stay 0; with net_mq the guest has two queue pairs, each queue with its
# own MSI-X line.
net_checks() {
	if [ -n "$net_mq" ]; then
		expect $1 "net: NIC 0 on tap tap0 ($net_mq queue pairs), MAC $NET_MAC0" &&
			expect $1 'GUEST-NET-QUEUES=rx-0 rx-1 tx-0 tx-1 $' || return 1
		# Each queue has its own line on IRQCHIP; which ones count depends on where tun's
		# flow hash and the guest's XPS put the three flows, so only queue 0's must.
		for q in input.0 output.0 input.1 output.1; do
			expect $1 "GUEST-IRQ-$q=[0-9][0-9]* $2" || return 1
		done
		expect $1 "GUEST-IRQ-input.0=[1-9][0-9]* $2" || return 1
	else
		expect $1 "net: NIC 0 on tap tap0, MAC $NET_MAC0" || return 1
	fi
	expect $1 'GUEST-NET-IF=eth' &&
		expect $1 'GUEST-PING-RC=0' && expect $1 'GUEST-NET-UP-RC=0' && expect $1 "GUEST-NET-DOWN-MD5=$NET_DOWN_MD5" &&
		expect $1 "GUEST-IRQ-NET=[1-9][0-9]* $2" || return 1
	! grep -q GUEST-PING1-RC /tmp/$1.log || expect $1 'GUEST-PING1-RC=0' || return 1
	up=$(tr -d '\r' </tmp/$1.log | sed -n 's/^GUEST-NET-UP-MD5=//p')
	[ -n "$up" ] && [ "$(md5sum /tmp/net-up.bin | cut -d' ' -f1)" = "$up" ] ||
		{ fail $1 "the file the guest sent arrived as $(md5sum /tmp/net-up.bin | cut -d' ' -f1), not $up"; return 1; }
	if [ -n "$net_vhost" ]; then
		expect $1 'net: vhost-net moves the frames of tap tap0' &&
			grep -q '"backend": "vhost-net tap tap0"' /tmp/$1.json && grep -q '"rx0_packets": 0,' /tmp/$1.json &&
			grep -q '"tx0_packets": 0,' /tmp/$1.json ||
			{ fail $1 "vhost-net not in the log or the report: $(grep -o '"name": "virtio-net"[^}]*' /tmp/$1.json)"; return 1; }
		return 0
	fi
	grep -q '"backend": "tap tap0"' /tmp/$1.json && grep -q '"rx0_packets": [1-9]' /tmp/$1.json &&
		grep -q '"tx0_packets": [1-9]' /tmp/$1.json ||
		{ fail $1 "the report has no virtio-net counters: $(grep -o '"name": "virtio-net"[^}]*' /tmp/$1.json)"; return 1; }
}

# net_case NAME L1GIC IRQCHIP NICS VMM-OPTIONS...: a guest on NICS taps, judged by net_checks.
net_case() {
	nname=$1 ngic=$2 nchip=$3 nnics=$4
	shift 4
	want $ngic $nname || return 0
	net_taps "$nnics" || { fail $nname "cannot make the taps"; net_taps_del; return 1; }
	net_listen
	vmm_case $nname 0 run "$@" -c 2 -m 512 --report /tmp/$nname.json -i $G/initrd.cpio \
		-p "$CMD vmmtest=$nname" $G/Image && net_checks $nname "$nchip" && pass $nname
	net_listen_end
	net_taps_del
}

# MSI-X through the ITS; a second NIC on virtio-mmio (trans=mmio) beside it.
# vhost=0: the userspace data path (the L1 has vhost-net loaded).
net_case net-tap-its v3 'ITS-MSI$' 2 --gic=v3 --its -n mode=tap,tapif=tap0,guest_mac=$NET_MAC0,vhost=0 \
	--network mode=tap,tapif=tap1,guest_mac=$NET_MAC1,trans=mmio,vhost=0
net_case net-tap-v2m v2 'MSI$' 1 --gic=v2m -n mode=tap,tapif=tap0,guest_mac=$NET_MAC0,vhost=0
net_case net-tap-v2-intx v2 'GIC-0$' 1 --gic=v2 -n tapif=tap0,guest_mac=$NET_MAC0,vhost=0

# vhost-net: the kernel moves the frames, the vector's irqfd takes its interrupts.
net_vhost=1
net_case net-vhost-its v3 'ITS-MSI$' 1 --gic=v3 --its -n mode=tap,tapif=tap0,guest_mac=$NET_MAC0,vhost=1
# Two queue pairs on a multi-queue tap, vhost-net on each, an MSI-X vector per queue.
net_mq=2
net_case net-mq-its v3 'ITS-MSI$' 1 --gic=v3 --its -n mode=tap,tapif=tap0,guest_mac=$NET_MAC0,mq=2
net_vhost= net_mq=

# Without /dev/vhost-net: vhost=1 is refused with one line; the default says it goes
# without and the guest's network still works (the userspace path).
c=net-vhost-fallback
if want v3 $c; then
	net_mods
	mv /dev/vhost-net /dev/vhost-net.off 2>/dev/null
	net_taps 1 && net_listen &&
		vmm_case $c-required 1 run -n mode=tap,tapif=tap0,vhost=1 $G/Image &&
		expect $c-required 'net: cannot open /dev/vhost-net: No such file or directory' &&
		vmm_case $c 0 run --gic=v3 --its -c 2 -m 512 --report /tmp/$c.json -i $G/initrd.cpio \
			-n mode=tap,tapif=tap0,guest_mac=$NET_MAC0 -p "$CMD vmmtest=$c" $G/Image &&
		expect $c 'net: vhost-net unavailable (/dev/vhost-net: No such file or directory): the frames go through' &&
		net_checks $c 'ITS-MSI$' && pass $c
	net_listen_end
	net_taps_del
	mv /dev/vhost-net.off /dev/vhost-net 2>/dev/null
fi

# No tapif=: vmm creates a tap (vmmN, logged) for the VM's life; with the raw payload (no
# Linux boot) the NIC is built, watched by the I/O thread under its seccomp filter, and
# torn down.
c=net-created-tap
if want any $c; then
	[ -c /dev/net/tun ] || insmod /lib/modules/tun.ko 2>/dev/null
	vmm_case $c 0 run --kernel-format=raw -c 1 -m 64 -n mode=tap $G/raw.bin && expect $c '^RAW-PAYLOAD-OK' &&
		expect $c 'net: created tap vmm[0-9]* for the guest' && expect $c 'net: NIC 0 on tap vmm[0-9]*, MAC [0-9a-f][26ae]:' &&
		{ ! ls -d /sys/class/net/vmm* >/dev/null 2>&1 || { fail $c "the tap outlived vmm: $(ls -d /sys/class/net/vmm*)"; false; }; } &&
		pass $c
fi

# Bad options and a missing tap: one clear line each; usage errors exit 2, host errors 1.
c=net-bad-mode
want any $c && vmm_case $c 2 run -n mode=bridge $G/Image &&
	expect $c 'run: -n mode=bridge: unknown mode bridge; use mode=tap or mode=none$' && pass $c
c=net-bad-mac
want any $c && vmm_case $c 2 run -n mode=tap,guest_mac=01:00:5e:00:00:01 $G/Image &&
	expect $c 'run: -n mode=tap,guest_mac=01:00:5e:00:00:01: 01:00:5e:00:00:01 is not a unicast MAC' && pass $c
c=net-bad-mq
want any $c && vmm_case $c 2 run -n mode=tap,mq=0 $G/Image &&
	expect $c 'run: -n mode=tap,mq=0: mq is the number of queue pairs, 1 or more$' && pass $c
c=net-missing-tap
if want any $c; then
	[ -c /dev/net/tun ] || insmod /lib/modules/tun.ko 2>/dev/null
	vmm_case $c 1 run -n mode=tap,tapif=nosuch0 $G/Image &&
		expect $c 'net: tap nosuch0 does not exist (create it: ip tuntap add nosuch0 mode tap' && pass $c
fi
