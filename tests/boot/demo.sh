#!/usr/bin/env bash
# `make run`: boot a demo guest to a shell under ./vmm. On an arm64 KVM host it
# runs directly; elsewhere inside a nested arm64 KVM host (L1) under QEMU.
# Leave the guest shell with `poweroff -f`; Ctrl-A x leaves QEMU at once.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build_images
if [ "$(uname -m)" = aarch64 ] && [ -c /dev/kvm ]; then
	exec "$top/vmm" run -c 2 -m 512 -i "$work/l1/guest/initrd.cpio" \
		-p "$(vmm_default_cmdline "$top/vmm") quiet vmmtest=shell" "$work/l1/guest/Image"
fi
echo "demo: booting the nested arm64 KVM host (L1), then a guest under vmm; this takes about a minute."
boot_l1 gic-version=3,its=on l1mode=demo
