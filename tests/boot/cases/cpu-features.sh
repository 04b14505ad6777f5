# Boot cases, the vCPU features (issue 13): PMUv3, SVE, pointer authentication, MTE and
# stolen time reach the guest by default, and each --no-* flag takes its feature away.
# Sourced in order by tests/boot/l1-cases.sh, whose helpers they use.
# Guest halves: the guest runs tests/boot/guest-init with vmmtest=<case name>; guest-init's table
# (at its end) maps the name to its guest_* function (guest_cpu_features for all of these).
# The L1 is QEMU -cpu max (SVE, pointer auth, a PMU) without mte=on: its KVM has no MTE,
# and the MTE cases then report an INFO line instead of running (on stderr, the L1's console
# as well: tests/boot/list-cases reads only the case names on stdout).

# What the L1 itself offers: its probe, and whether its own PMU counts instructions (QEMU's
# TCG PMU does only with -icount), which a guest's PMU can then not count either.
/vmm probe >/tmp/cpu-probe.txt 2>&1
L1_MTE=no
grep -q '^mte *yes' /tmp/cpu-probe.txt && L1_MTE=yes
L1_INSNS=no
/bin/perfcount 2>/dev/null | grep -q '^PERF-INSTRUCTIONS=[1-9]' && L1_INSNS=yes

# cpu_run NAME VMM-ARGS...: boot guest_cpu_features (the args give -p with its vmmtest=);
# while it measures steal time, four busy loops in the L1 (two CPUs) keep the vCPU threads
# waiting. The report goes to /tmp/NAME.json, `vmm status NAME` (taken then) to /tmp/NAME.status.
cpu_run() {
	cname=$1
	shift
	bg_vmm $cname "$@" --name $cname -c 2 -m 512 --report /tmp/$cname.json -i $G/initrd.cpio $G/Image
	wait_for $cname GUEST-STEAL-READY
	/vmm status $cname >/tmp/$cname.status 2>&1
	hogs=""
	for i in 1 2 3 4; do
		(while :; do :; done) &
		hogs="$hogs $!"
	done
	wait_rc $cname 0
	crc=$?
	kill $hogs 2>/dev/null
	wait $hogs 2>/dev/null
	tr -d '\r' </tmp/$cname.log | grep -E '^(GUEST-STEAL|PERF-|GUEST-SVE)' | sed "s/^/INFO $cname /"
	return $crc
}
# lacks NAME PATTERN: no line of the case's output matches.
lacks() { ! tr -d '\r' <"/tmp/$1.log" | grep -q -- "$2" || { fail $1 "a line matches '$2'"; return 1; }; }
# steal_moved NAME: the guest's steal field moved under the L1's load.
steal_moved() { tr -d '\r' <"/tmp/$1.log" | grep -q 'GUEST-STEAL before=[0-9]* after=[0-9]* moved=[1-9]' ||
	{ fail $1 "the guest's /proc/stat steal did not move while the L1 was loaded"; return 1; }; }
# status_has NAME LINE: `vmm status` printed that line (a basic regex, anchored).
status_has() { grep -q -- "^$2\$" "/tmp/$1.status" || { fail $1 "vmm status lacks '$2'"; return 1; }; }
# report_has NAME JSON: the --report file holds that text.
report_has() { grep -q -- "$2" "/tmp/$1.json" || { fail $1 "the report lacks '$2'"; return 1; }; }
# perf_counts NAME: cycles (and instructions where the L1's PMU counts them) nonzero.
perf_counts() {
	expect $1 '^PERF-CYCLES=[1-9]' || return 1
	if [ $L1_INSNS = yes ]; then
		expect $1 '^PERF-INSTRUCTIONS=[1-9]' || return 1
	else
		echo "INFO $1 instructions not checked: the L1's own PMU does not count them (QEMU TCG without -icount)"
	fi
}

c=probe-cpu-features
want v3 $c && vmm_case $c 0 probe && expect $c '^pmu *yes' && expect $c '^sve *yes' &&
	expect $c '^ptrauth_address *yes' && expect $c '^pvtime *yes' && expect $c '^default_pmu *yes' &&
	expect $c '^default_sve *yes' && expect $c '^default_sve_max_vl *[1-9]' && expect $c '^default_pauth *yes' &&
	expect $c '^default_pvtime *yes' && expect $c "^default_mte *$L1_MTE" && pass $c

# Defaults: every feature the L1's KVM offers.
c=cpu-features
want v3 $c && cpu_run $c --gic=v3 -p "$CMD vmmtest=$c" && expect $c 'GUEST-HAS-sve=yes' &&
	expect $c 'GUEST-HAS-paca=yes' &&
	expect $c 'GUEST-HAS-pacg=yes' && perf_counts $c && expect $c 'GUEST-DMESG: .*hw perfevents: enabled' &&
	expect $c 'GUEST-DMESG: .*arm-pv: using stolen time PV' && steal_moved $c &&
	report_has $c '"cpu_features": {"pmu": true, "sve": true, "sve_max_vl": [1-9][0-9]*, "pauth": true' &&
	report_has $c '"pvtime": true}' && status_has $c 'pmu yes' && status_has $c 'sve yes' &&
	status_has $c 'sve_max_vl [1-9][0-9]*' && status_has $c 'pauth yes' && status_has $c 'pvtime yes' && pass $c

# Each --no-* flag removes its feature: no sve/paca/pacg, perf_event_open fails, steal stays 0.
c=cpu-features-off
want v3 $c && cpu_run $c --gic=v3 --no-pmu --no-sve --no-pauth --no-mte --no-pvtime -p "$CMD vmmtest=$c" &&
	expect $c 'GUEST-HAS-sve=no' && expect $c 'GUEST-HAS-paca=no' && expect $c 'GUEST-HAS-pacg=no' &&
	expect $c 'GUEST-HAS-mte=no' && expect $c '^PERF-OPEN-FAILED cycles' && expect $c 'GUEST-PERF-RC=1' &&
	expect $c 'GUEST-STEAL before=0 after=0 moved=0' && lacks $c 'stolen time PV' &&
	lacks $c 'hw perfevents: enabled' &&
	report_has $c '"cpu_features": {"pmu": false, "sve": false, "sve_max_vl": 0, "pauth": false, "mte": false, "pvtime": false}' &&
	status_has $c 'pmu no' && status_has $c 'sve no' && status_has $c 'pvtime no' && pass $c

# --sve-max-vl 256: the guest's SVE default vector length (64 bytes unless capped) is 32 bytes.
c=cpu-features-sve-vl
want v3 $c && cpu_run $c --gic=v3 --sve-max-vl 256 -p "$CMD vmmtest=$c" && expect $c 'GUEST-HAS-sve=yes' &&
	expect $c 'GUEST-SVE-DEFAULT-VL=32$' && report_has $c '"sve": true, "sve_max_vl": 256' &&
	status_has $c 'sve_max_vl 256' && pass $c

# Refused: a length that is no multiple of 128 (the command line, exit 2); one above the
# host's largest or one it lacks (the host, exit 1, one line naming the option).
c=refuse-sve-max-vl-200
want any $c && vmm_case $c 2 run --sve-max-vl 200 $G/Image && expect $c '\-\-sve-max-vl 200: give a vector length' &&
	pass $c
c=refuse-sve-max-vl-host
vls=" $(sed -n 's/^sve_vector_lengths *//p' /tmp/cpu-probe.txt) "
bad=""
for vl in 128 256 384 512 640 768 896 1024 1152 1280 1408 1536 1664 1792 1920 2048; do
	case "$vls" in *" $vl "*) ;; *) bad=$vl; break ;; esac
done
if [ -n "$bad" ]; then
	want any $c && vmm_case $c 1 run --sve-max-vl $bad $G/Image &&
		expect $c "vcpu: --sve-max-vl $bad: this host's" && pass $c
else
	echo "INFO $c not run: this L1's KVM has every SVE vector length (${vls# }), none to refuse" >&2
fi

# GICv2: the PMU's PPI carries the CPU mask; the guest's PMU driver takes it and counts.
c=cpu-features-v2
want v2 $c && cpu_run $c --gic=v2 -p "$CMD vmmtest=$c" && expect $c 'GUEST-DMESG: .*hw perfevents: enabled' && perf_counts $c &&
	expect $c 'GUEST-HAS-sve=yes' && steal_moved $c && pass $c

# MTE, where the L1's KVM has it (QEMU -M virt,mte=on): on by default, off with --no-mte.
# The guest half is cpu-features' (these cases exist only on such an L1).
if [ $L1_MTE = yes ]; then
	c=cpu-features-mte
	want v3 $c && cpu_run $c --gic=v3 -p "$CMD vmmtest=cpu-features" && expect $c 'GUEST-HAS-mte=yes' &&
		report_has $c '"mte": true' && status_has $c 'mte yes' && pass $c
	c=cpu-features-no-mte
	want v3 $c && cpu_run $c --gic=v3 --no-mte -p "$CMD vmmtest=cpu-features" && expect $c 'GUEST-HAS-mte=no' &&
		report_has $c '"mte": false' && pass $c
else
	echo "INFO cpu-features-mte not run: the L1's KVM has no MTE (KVM_CAP_ARM_MTE); QEMU gives it with -M virt,...,mte=on" >&2
fi
