# Boot cases, host console faults: stalled stdout, full --console-log, stalled tty, stdin flood.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: the guest runs tests/boot/guest-init with vmmtest=<case name>; guest-init's table
# (at its end) maps the name to its guest_* function: grep the case name there.

# A guest flooding the console while nobody reads vmm's stdout: the vCPU never blocks on
# it; output past the queue is dropped from stdout (said) and kept in the log.
c=fault-console-flood
if want v3 $c; then
	rm -f /tmp/stall && mkfifo /tmp/stall
	exec 4<>/tmp/stall # holds the pipe open and never reads it
	timeout 300 /vmm run -c 1 -m 256 --console-log /tmp/$c.clog -i $G/initrd.cpio \
		-p "$VCMD vmmtest=$c" $G/Image </dev/null >/tmp/stall 2>/tmp/$c.log
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
		-p "$VCMD vmmtest=$c" $G/Image; then
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
		-p "$VCMD vmmtest=$c" $G/Image
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
		-p "$VCMD vmmtest=$c" $G/Image >/tmp/$c.log 2>&1 &
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
