# Shared by run.sh and demo.sh: build the guest and L1 initramfs images, boot the L1.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${VMM_CACHE:-$HOME/.cache/vmm}
# Overridable so the benchmark builds its own images beside the tests'.
work=${VMM_BOOT_WORK:-$top/build/boot}
GUEST_INIT=${GUEST_INIT:-$top/tests/boot/guest-init}
L1_CASES=${L1_CASES:-$top/tests/boot/l1-cases.sh}
# The case files l1-cases.sh sources, /cases/ in the L1 (empty: none, as for the benchmark's).
L1_CASES_DIR=${L1_CASES_DIR-$top/tests/boot/cases}
CROSS=${CROSS-aarch64-linux-gnu-}
[ "$(uname -m)" = aarch64 ] && CROSS=${CROSS:-}

# vmm_default_cmdline VMM: the guest command line VMM uses without -p, from its --help (the C
# defines it once; l1-init reads it the same way inside the L1).
vmm_default_cmdline() { "$1" run --help | sed -n 's/.*(default: "\(.*\)")$/\1/p'; }

# cpio_dir DIR OUT: pack DIR as an uncompressed newc archive (no decompression in the slow L1).
cpio_dir() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$2"; }

build_images() {
	bash "$top/tests/boot/fetch.sh"
	rm -rf "$work" && mkdir -p "$work/guest/bin" "$work/l1/bin" "$work/l1/guest"
	cp "$cache/busybox" "$work/guest/bin/busybox"
	install -m 755 "$GUEST_INIT" "$work/guest/init"
	# Debian builds the virtio transports and drivers as modules; the guest's init loads them.
	mkdir -p "$work/guest/lib/modules"
	for m in virtio_mmio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk virtio_console virtio-rng \
		failover net_failover virtio_net vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport; do
		find "$cache/modules" -name "$m.ko*" -exec cp {} "$work/guest/lib/modules/" \;
	done
	# perf_event_open of cycles and instructions (tests/boot/cases/cpu-features.sh): static,
	# in the guest and in the L1 (which tells what its own PMU counts).
	"${CROSS}gcc" -O2 -Wall -Wextra -Werror -static -o "$work/guest/bin/perfcount" "$top/tests/boot/perfcount.c"
	cp "$work/guest/bin/perfcount" "$work/l1/bin/perfcount"
	# One message each way over AF_VSOCK (tests/boot/cases/vsock.sh): busybox has no vsock.
	"${CROSS}gcc" -O2 -Wall -Wextra -Werror -static -o "$work/guest/bin/vsockmsg" "$top/tests/boot/vsockmsg.c"
	cp "$work/guest/bin/vsockmsg" "$work/l1/bin/vsockmsg"
	cpio_dir "$work/guest" "$work/l1/guest/initrd.cpio"

	"${CROSS}as" -o "$work/raw.o" "$top/tests/boot/raw-payload.S"
	"${CROSS}objcopy" -O binary "$work/raw.o" "$work/l1/guest/raw.bin"
	# A terminal nobody reads (fault-stalled-tty): static, the L1 has no libc.
	"${CROSS}gcc" -O2 -Wall -Wextra -Werror -static -o "$work/l1/bin/ptystall" "$top/tests/boot/ptystall.c"
	"${CROSS}gcc" -O2 -Wall -Wextra -Werror -static -o "$work/l1/bin/mqtap" "$top/tests/boot/mqtap.c"
	"${CROSS}as" -o "$work/wfi.o" "$top/tests/boot/wfi-payload.S"
	"${CROSS}objcopy" -O binary "$work/wfi.o" "$work/l1/guest/wfi.bin"
	# The hostile guest (tests/hostile): built by the Makefile's own rules.
	make -s -C "$top" CROSS="$CROSS" build/hostile/hostile.bin
	cp "$top/build/hostile/hostile.bin" "$work/l1/guest/hostile.bin"

	cp "$cache/busybox" "$work/l1/bin/busybox"
	# The L1 needs loop devices for a disk whose flushes fail (fault-flush-latched), and
	# null_blk (with configfs, its dependency) for a disk slower than the drain (drain-timeout-*),
	# tun for the taps of the virtio-net cases (net-*), vhost-net with what it needs (tap,
	# vhost_iotlb, vhost) for the net-vhost-* and net-mq-* cases, vhost-vsock (and what it
	# needs) for the vsock-* cases.
	mkdir -p "$work/l1/lib/modules"
	for m in loop configfs null_blk tun tap vhost_iotlb vhost vhost_net vsock vmw_vsock_virtio_transport_common vhost_vsock; do
		find "$cache/modules" -name "$m.ko*" -exec cp {} "$work/l1/lib/modules/" \;
	done
	install -m 755 "$top/tests/boot/l1-init" "$work/l1/init"
	cp "$L1_CASES" "$work/l1/cases.sh"
	[ -z "$L1_CASES_DIR" ] || { mkdir -p "$work/l1/cases" && cp "$L1_CASES_DIR"/*.sh "$work/l1/cases/"; }
	cp "$top/vmm" "$work/l1/vmm"
	cp "$cache/Image" "$work/l1/guest/Image"
	# The same kernel as users have it (tests/boot/cases/kernel-formats.sh), made here: the
	# L1 has neither python3 nor zstd. gzip as Debian's vmlinuz; EFI zboot as Fedora's.
	gzip -9 -n -c "$cache/Image" >"$work/l1/guest/Image.gz"
	python3 "$top/tests/boot/mkzboot.py" gzip "$cache/Image" "$work/l1/guest/zboot-gzip.efi"
	python3 "$top/tests/boot/mkzboot.py" zstd "$cache/Image" "$work/l1/guest/zboot-zstd.efi"
	cpio_dir "$work/l1" "$work/l1.cpio"
}

# boot_l1 GIC_OPTS APPEND: the L1 under QEMU, an arm64 KVM host with EL2 (virtualization=on).
# pauth-impdef: QEMU's default QARMA pointer-auth algorithm is very slow under TCG.
# With L1_TIMEOUT set, QEMU is killed after that many seconds. One QEMU at a time on this
# machine: boots wait for each other on a lock.
boot_l1() {
	flock "${VMM_QEMU_LOCK:-/tmp/vmm-qemu.lock}" \
	${L1_TIMEOUT:+timeout "$L1_TIMEOUT"} qemu-system-aarch64 -M "virt,virtualization=on,$1" -cpu max,pauth-impdef=on -smp 2 -m 3072 \
		-nographic -nic none -no-reboot -kernel "$cache/Image" -initrd "$work/l1.cpio" \
		-append "console=ttyAMA0 panic=-1 quiet $2"
}
