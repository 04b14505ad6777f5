#!/usr/bin/env bash
# Fetches Debian's arm64 kernel and busybox into the test cache and unpacks them.
# Output (in $VMM_CACHE, default ~/.cache/vmm): Image, busybox, modules/ (the
# kernel's lib/modules/<version> tree). Idempotent: a complete cache is reused.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${VMM_CACHE:-$HOME/.cache/vmm}
mkdir -p "$cache"
cd "$cache"
[ -s Image ] && [ -x busybox ] && [ -d modules ] && exit 0

bash "$top/scripts/setup.sh"
if ! apt-cache show linux-image-arm64:arm64 >/dev/null 2>&1; then
	apt-get update -qq
fi
# The metapackage names the current kernel ABI; its -unsigned twin is the raw Image.
kpkg=$(apt-cache depends linux-image-arm64:arm64 | sed -n 's/.*Depends: \(linux-image-[0-9][^:]*-arm64\).*/\1/p' | head -n1)
[ -n "$kpkg" ] || { echo "fetch: cannot find Debian's arm64 kernel package" >&2; exit 1; }
echo "fetch: $kpkg-unsigned and busybox-static (arm64)" >&2

rm -rf dl && mkdir dl && cd dl
apt-get download -qq "$kpkg-unsigned:arm64" busybox-static:arm64
for deb in *.deb; do dpkg-deb -x "$deb" root; done
cd ..
cp dl/root/boot/vmlinuz-* Image.tmp && mv Image.tmp Image
cp dl/root/bin/busybox busybox
rm -rf modules && mv dl/root/lib/modules/* modules
rm -rf dl
echo "fetch: cached in $cache" >&2
