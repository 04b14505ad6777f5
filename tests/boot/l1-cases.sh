# Boot test cases, sourced by the L1's init. Each case runs ./vmm for real on
# the L1's KVM, checks its exit code and output, and prints one line
# "RESULT <name> PASS" or "RESULT <name> FAIL: <why>" followed by the log tail.
G=/guest
CMD="console=ttyS0 earlycon=uart8250,mmio,0x1000000 quiet panic=-1"

# Run a case only if vmmcases=a,b,... is absent from the L1 command line or names it.
want() {
	filter=$(sed -n 's/.*vmmcases=\([^ ]*\).*/\1/p' /proc/cmdline)
	[ -z "$filter" ] && { echo "BEGIN $1"; return 0; }
	case ",$filter," in *",$1,"*) echo "BEGIN $1"; return 0 ;; esac
	return 1
}
pass() { echo "RESULT $1 PASS"; }
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
	timeout 300 /vmm "$@" </dev/null >"/tmp/$name.log" 2>&1
	rc=$?
	echo "CASE $name exit=$rc uptime=$(cut -d" " -f1 /proc/uptime)"
	[ "$rc" -eq "$want_rc" ] || { fail "$name" "exit code $rc, expected $want_rc"; return 1; }
}
# expect NAME PATTERN: a line of the case's output (carriage returns dropped) matches the basic regex.
expect() {
	tr -d '\r' <"/tmp/$1.log" | grep -q -- "$2" || { fail "$1" "no line matching '$2' in the output"; return 1; }
}

c=boot-v3-smp2
want $c && vmm_case $c 0 run --gic=v3 -c 2 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=basic" -k $G/Image &&
	expect $c GUEST-INIT-OK && expect $c 'GICv3.*arch_timer' && expect $c 'GUEST-NPROC=2$' &&
	expect $c 'GUEST-CPUS-ONLINE=0-1' && expect $c 'ttyS0.*MMIO 0x1000000' && expect $c GUEST-DONE && pass $c

# Defaults: kernel as the last argument, default command line, auto GIC (v3 + ITS here).
c=boot-defaults
want $c && vmm_case $c 0 run -i $G/initrd.cpio $G/Image &&
	expect $c GUEST-INIT-OK && expect $c 'GUEST-CMDLINE=console=ttyS0 earlycon=uart8250,mmio,0x1000000$' &&
	expect $c 'GUEST-NPROC=2$' && expect $c 'GUEST-DMESG: .*ITS.*0x0*8080000' && expect $c GUEST-DONE && pass $c

c=boot-v3-its
want $c && vmm_case $c 0 run --gic=v3 --its -c 2 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=basic" -k $G/Image &&
	expect $c 'GUEST-DMESG: .*ITS.*0x0*8080000' && expect $c 'GICv3.*arch_timer' && expect $c GUEST-DONE && pass $c

# Console input: a line written to vmm's stdin once the guest waits for it.
c=console-input
if want $c; then
	rm -f /tmp/in && mkfifo /tmp/in
	timeout 300 /vmm run -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=echo" $G/Image \
		</tmp/in >/tmp/$c.log 2>&1 &
	pid=$!
	exec 3>/tmp/in
	i=0
	while ! grep -q GUEST-READY-FOR-INPUT /tmp/$c.log && kill -0 $pid 2>/dev/null && [ $i -lt 240 ]; do
		sleep 1
		i=$((i + 1))
	done
	echo "hello-from-the-host" >&3
	wait $pid
	rc=$?
	exec 3>&-
	echo "CASE $c exit=$rc"
	if [ $rc -ne 0 ]; then fail $c "exit code $rc, expected 0"
	else expect $c 'GUEST-GOT:hello-from-the-host' && pass $c; fi
fi

c=guest-reboot
want $c && vmm_case $c 3 run -c 1 -m 512 -i $G/initrd.cpio -p "$CMD vmmtest=reboot" $G/Image &&
	expect $c GUEST-REBOOTING && pass $c

c=raw-payload
want $c && vmm_case $c 0 run --kernel-format=raw -c 1 -m 64 $G/raw.bin &&
	expect $c '^RAW-PAYLOAD-OK' && pass $c

# Bad input: one clear line and the documented exit code, for real on KVM.
c=bad-missing-kernel
want $c && vmm_case $c 1 run -k /no/such/Image && expect $c 'cannot open /no/such/Image' && pass $c
c=bad-not-an-image
want $c && vmm_case $c 1 run -k $G/initrd.cpio && expect $c 'not an arm64 Image' && pass $c
c=bad-truncated-image
if want $c; then
	head -c 40 $G/Image >/tmp/trunc.img
	vmm_case $c 1 run -k /tmp/trunc.img && expect $c 'truncated' && pass $c
fi
c=bad-initrd-too-big
if want $c; then
	dd if=/dev/zero of=/tmp/big.img bs=1M count=0 seek=200 2>/dev/null
	vmm_case $c 1 run -m 128 -i /tmp/big.img $G/Image && expect $c 'initrd .* does not fit' && pass $c
fi
c=bad-kernel-too-big
want $c && vmm_case $c 1 run -m 64 --kernel-format=raw /tmp/big.img && expect $c 'kernel needs .* raise -m' && pass $c
c=bad-cpus
want $c && vmm_case $c 2 run -c 0 $G/Image && expect $c '\-c 0: vCPUs must be a number' && pass $c
c=bad-mem
want $c && vmm_case $c 2 run -m 12X $G/Image && expect $c '\-m 12X: not a size' && pass $c
c=bad-flag
want $c && vmm_case $c 2 run --bogus $G/Image && expect $c 'unknown option --bogus' && pass $c
