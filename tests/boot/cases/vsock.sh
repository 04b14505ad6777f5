# Boot cases, virtio-vsock through the L1's vhost-vsock (issue 14, vsock part). Sourced in
# order by tests/boot/l1-cases.sh, whose helpers they use. tests/boot/vsockmsg.c (static,
# /bin/vsockmsg in the L1 and in the guest) sends one message each way. Guest half:
# guest_vsock in tests/boot/guest-init (vmmtest=vsock-its) listens on port 5000, prints
# what it got (VSOCK-GOT=), replies "reply:<message>", prints the device's interrupts
# and powers off. vsock-cid-in-use boots only the raw wfi payload, vsock-cid-bad nothing.

# vsock_modules: vhost-vsock and what it needs, loaded in dependency order; true if
# /dev/vhost-vsock is there.
vsock_modules() {
	for m in vhost_iotlb vhost vsock vmw_vsock_virtio_transport_common vhost_vsock; do
		f=$(ls /lib/modules/$m.ko* 2>/dev/null | head -n 1)
		[ -n "$f" ] && insmod "$f" 2>/dev/null
	done
	[ -c /dev/vhost-vsock ]
}

# MSI-X through the ITS: the L1 connects to the guest's CID 3, both messages arrive, the
# guest's rx/tx interrupts came (vhost signals the vectors' irqfds), the report has the CID.
c=vsock-its
if want v3 $c; then
	if ! vsock_modules; then
		fail $c "no /dev/vhost-vsock in the L1 (vhost_vsock did not load)"
	else
		bg_vmm $c --gic=v3 --its -c 2 -m 512 --vsock 3 --report /tmp/$c.json -i $G/initrd.cpio \
			-p "$CMD vmmtest=$c" $G/Image
		wait_for $c VSOCK-LISTENING=5000
		timeout 150 vsockmsg send 3 5000 hello-from-l1 >/tmp/$c.send 2>&1
		sed "s/^/INFO $c L1: /" /tmp/$c.send
		wait_rc $c 0 && expect $c 'vsock: guest CID 3 on vhost-vsock' && expect $c '^VSOCK-GOT=hello-from-l1$' && expect $c 'GUEST-VSOCK-RC=0' &&
			{ grep -q '^VSOCK-REPLY=reply:hello-from-l1$' /tmp/$c.send ||
				{ fail $c "the L1 got no reply: $(cat /tmp/$c.send)"; false; }; } &&
			expect $c 'GUEST-IRQ-VSOCK=[1-9][0-9]* ITS-MSI$' &&
			{ grep -q '"cid": 3' /tmp/$c.json || { fail $c "the report has no CID"; false; }; } && pass $c
	fi
fi

# A reserved CID: the command line refuses it (usage error, exit 2).
c=vsock-cid-bad
want any $c && vmm_case $c 2 run --vsock 2 $G/Image &&
	expect $c 'run: --vsock 2: a guest CID is a number from 3 to 4294967294 (0, 1 and 2 are reserved, 4294967295 is VMADDR_CID_ANY)$' &&
	pass $c

# Two VMs with one CID: the second is refused with one line (exit 1); the first runs on.
c=vsock-cid-in-use
if want any $c; then
	if ! vsock_modules; then
		fail $c "no /dev/vhost-vsock in the L1 (vhost_vsock did not load)"
	else
		bg_vmm $c-first --name vsfirst -c 1 -m 64 --vsock 4 --kernel-format=raw $G/wfi.bin
		i=0
		while ! /vmm status vsfirst >/dev/null 2>&1 && kill -0 $pid 2>/dev/null && [ $i -lt 120 ]; do
			sleep 1
			i=$((i + 1))
		done
		/vmm stat vsfirst 2>&1 | grep -i vsock | sed "s/^/INFO $c first: /"
		vmm_case $c 1 run -c 1 -m 64 --vsock 4 --kernel-format=raw $G/wfi.bin &&
			expect $c 'vsock: CID 4 is in use by another VM on this host$' &&
			{ kill -0 $pid 2>/dev/null || { fail $c "the first VM did not run on"; false; }; } && pass $c
		kill $pid 2>/dev/null
		wait $pid 2>/dev/null
	fi
fi
