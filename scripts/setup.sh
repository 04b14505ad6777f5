#!/usr/bin/env bash
# Installs every tool and library vmm needs on a bare Debian/Ubuntu machine.
# Idempotent: does nothing when everything is present. Runs as root or via sudo.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
host=$(uname -m)

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# zstd: the boot tests wrap the guest Image as a zstd EFI zboot image (tests/boot/mkzboot.py).
common="make git cpio gzip xz-utils zstd ca-certificates python3 device-tree-compiler util-linux gnuplot-nox"
if [ "$host" = "aarch64" ]; then
	libs="gcc libc6-dev libfdt-dev liburing-dev libcmocka-dev zlib1g-dev libzstd-dev linux-libc-dev qemu-system-arm clang libclang-rt-14-dev"
	for p in $common $libs; do have_pkg "$p" || need+=("$p"); done
else
	# Cross toolchain from Debian; arm64 libraries from the arm64 multiarch archive.
	# qemu-user-static runs the aarch64 unit tests; qemu-system-arm boots the nested L1.
	cross="gcc-aarch64-linux-gnu libc6-dev-arm64-cross linux-libc-dev-arm64-cross qemu-user-static qemu-system-arm"
	# zlib1g-dev and libzstd-dev are Multi-Arch: same: the arm64 ones (static libraries for
	# the vmm) and the native ones (make fuzz) install side by side, at the same version.
	arm="libfdt-dev:arm64 liburing-dev:arm64 libcmocka-dev:arm64 libcmocka0:arm64 zlib1g-dev:arm64 libzstd-dev:arm64"
	# make fuzz: clang with libFuzzer/ASan, host liburing headers, host libfdt. libfdt-dev is
	# not multi-arch (the amd64 one would remove libfdt-dev:arm64): the runtime libfdt1 is
	# linked by soname, with the headers libfdt-dev:arm64 installs.
	native=$(dpkg --print-architecture)
	fuzz="clang libclang-rt-14-dev liburing-dev:$native libfdt1:$native zlib1g-dev:$native libzstd-dev:$native"
	for p in $common $cross $arm $fuzz; do have_pkg "$p" || need+=("$p"); done
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		$SUDO dpkg --add-architecture arm64
		need+=(force-update)
	fi
fi

if [ "${#need[@]}" -eq 0 ]; then
	exit 0
fi
echo "setup: installing: ${need[*]}" >&2
pkgs=()
for p in "${need[@]}"; do [ "$p" = force-update ] || pkgs+=("$p"); done
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
echo "setup: done" >&2
