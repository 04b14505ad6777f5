#!/usr/bin/env python3
"""mkzboot.py gzip|zstd IMAGE OUT: wrap a raw arm64 Image as an EFI zboot image.

The layout Linux builds (drivers/firmware/efi/libstub/Makefile.zboot, zboot-header.S):
the Image padded with zeros to its image_size (header offset 16), compressed; a header
with "MZ", "zimg", the payload offset and size, the compression type ("gzip", or
"zstd22" as Linux names its zstd -22 payload) and LINUX_PE_MAGIC at 0x38; for zstd the
le32 decompressed size appended after the payload, outside its size. Only what a loader
reads from the header is written: the PE/COFF headers and the EFI decompressor stub that
firmware would run are left out (vmm never runs them).
zstd payloads come from the zstd tool with a 128 MiB window (--long=27), as Linux's
zstd -22 --ultra from a pipe gets: the decoder has to cope with that window.
"""
import gzip
import struct
import subprocess
import sys

PAYLOAD_OFF = 0x1000
LINUX_PE_MAGIC = 0x818223CD


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("gzip", "zstd"):
        sys.exit(__doc__.splitlines()[0])
    comp, src, out = sys.argv[1:]
    with open(src, "rb") as f:
        img = f.read()
    if len(img) < 64 or img[56:60] != b"ARM\x64":
        sys.exit(f"mkzboot: {src} is not an arm64 Image")
    image_size = struct.unpack_from("<Q", img, 16)[0]
    img = img.ljust(image_size, b"\0")
    if comp == "gzip":
        payload, tail, name = gzip.compress(img, 9, mtime=0), b"", "gzip"
    else:
        payload = subprocess.run(["zstd", "-q", "-c", "-T0", "-12", "--long=27"], input=img,
                                 stdout=subprocess.PIPE, check=True).stdout
        tail, name = struct.pack("<I", len(img)), "zstd22"
    hdr = b"MZ\0\0zimg" + struct.pack("<IIII", PAYLOAD_OFF, len(payload), 0, 0)
    hdr += name.encode().ljust(0x38 - 24, b"\0") + struct.pack("<II", LINUX_PE_MAGIC, 0x40)
    data = hdr.ljust(PAYLOAD_OFF, b"\0") + payload + tail
    with open(out, "wb") as f:
        f.write(data.ljust((len(data) + 511) // 512 * 512, b"\0"))


if __name__ == "__main__":
    main()
