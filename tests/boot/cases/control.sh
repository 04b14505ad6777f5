# Boot cases, the control socket, monitor and console escape steering a running guest.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: the guest runs tests/boot/guest-init with vmmtest=<case name>; guest-init's table
# (at its end) maps the name to its guest_* function: grep the case name there.

# ---- the command loop (issue 5): a second process and the console escape steer a guest ----
# last_tick LOG: the guest's own uptime in the last TICK line.
last_tick() { tr -d '\r' <"$1" | sed -n 's/^TICK \([0-9]*\)\..*/\1/p' | tail -n 1; }
c=control
if want v3 $c; then
	make_disks
	rm -f /tmp/$c.ctl
	start_with_fifo $c --name ctl1 --its -c 2 -m 512 -d /tmp/disk.img -i $G/initrd.cpio \
		-p "$CMD vmmtest=$c" $G/Image
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
	/vmm run --name dup -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=$c" $G/Image </dev/null >/tmp/dup1.log 2>&1 &
	pid=$!
	sleep 3
	if vmm_case $c 1 run --name dup $G/Image && expect $c 'a VM named dup is already running'; then
		/vmm stop dup --force >/dev/null 2>&1 && { wait $pid; [ $? -eq 8 ]; } && pass $c ||
			fail $c "vmm stop --force: the first VM did not end with exit code 8"
	fi
	kill $pid 2>/dev/null
fi
