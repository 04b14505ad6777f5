#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

Each seed is a meaningful starting point in the target's input format (see the comment at
the top of tests/fuzz/fuzz_<target>.c): a valid 3-descriptor chain, a block write, BAR
sizing, an MSI-X vector set up and fired, the 8250 probe, control commands, a real Image
header, command lines that build a device tree. Run it again after changing a format.
"""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def u8(v): return struct.pack("<B", v & 0xff)
def u16(v): return struct.pack("<H", v & 0xffff)
def u32(v): return struct.pack("<I", v & 0xffffffff)
def u64(v): return struct.pack("<Q", v & 0xffffffffffffffff)


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- virtq: header (size, rings), then ops ----

def vq_gpa(off): return u8(0) + u16(off)          # inside RAM: RAM base + off
def vq_header(log2, event_idx=False):
    return u8(log2 | (0x40 if event_idx else 0)) + vq_gpa(0x0000) + vq_gpa(0x1000) + vq_gpa(0x2000)
def vq_desc(idx, off, length, flags, nxt):
    return u8(1) + u8(idx) + vq_gpa(off) + u8(1) + u32(length) + u8(flags) + u16(nxt)
def vq_avail(head): return u8(2) + u16(head)
def vq_pop(off=0, length=16, writable=0, written=0):
    return u8(3) + u16(off) + u16(length) + u8(writable) + u8(0) + u32(written)
def vq_raw(off, data): return u8(0) + u16(off) + u8(len(data)) + data
def vq_notify(): return u8(5)


def desc_bytes(addr, length, flags, nxt):
    return struct.pack("<QIHH", addr, length, flags, nxt)


def virtq():
    ram = 0x40000000
    chain = (vq_desc(0, 0x4000, 16, 1, 1) + vq_desc(1, 0x5000, 512, 3, 2) + vq_desc(2, 0x6000, 1, 2, 0))
    write("virtq", "chain3", vq_header(4) + chain + vq_avail(0) + vq_pop(0, 16, 0, 513) + vq_notify())
    write("virtq", "chain3-event-idx", vq_header(4, True) + chain + vq_avail(0) + vq_pop(0, 16, 1, 513)
          + vq_pop() + vq_notify())
    table = b"".join(desc_bytes(ram + 0x4000 + 0x100 * i, 64, 1 | (2 if i else 0), i + 1) for i in range(3))
    table = table[:-16] + desc_bytes(ram + 0x4300, 1, 2, 0)
    indirect = b"".join(vq_raw(0x3000 + 16 * i, table[16 * i:16 * i + 16]) for i in range(3))
    write("virtq", "indirect", vq_header(3) + indirect + vq_desc(0, 0x3000, 48, 4, 0) + vq_avail(0)
          + vq_pop(0, 64, 0, 65))
    write("virtq", "loop", vq_header(2) + vq_desc(0, 0x4000, 8, 1, 1) + vq_desc(1, 0x4000, 8, 1, 0)
          + vq_avail(0) + vq_pop())
    write("virtq", "max-queue", vq_header(8) + chain + b"".join(vq_avail(0) for _ in range(4))
          + b"".join(vq_pop() for _ in range(4)))


# ---- blk: device, driver init, then requests and I/O events ----

FEATURES = (1 << 9) | (1 << 28) | (1 << 29)  # FLUSH, INDIRECT_DESC, EVENT_IDX (bit 0 clear)


def blk_init(dev=0, qlog=4, features=FEATURES):
    return u8(dev) + u64(features) + u8(0) + u8(qlog)


def blk_req(head, rtype, sector, segs, indirect=False):
    flags = 1 if indirect else 0
    return (u8(0) + u8(head) + u8(rtype) + u8(len(segs)) + u8(flags) + u8(sector)
            + b"".join(u8(n // 512) for n in segs))


def blk_kick(): return u8(3)
def blk_complete(n=3): return u8(4) + u8(n)
def blk_fail(): return u8(5)
def blk_reset(): return u8(6)


def blk():
    write("blk", "write-read", blk_init() + blk_req(0, 1, 3, [512]) + blk_kick() + blk_complete()
          + blk_req(1, 0, 3, [512, 1024]) + blk_kick() + blk_complete())
    write("blk", "flush-getid", blk_init() + blk_req(0, 4, 0, []) + blk_req(1, 8, 0, [512]) + blk_kick()
          + blk_complete())
    write("blk", "indirect", blk_init() + blk_req(2, 0, 8, [2048, 512], indirect=True) + blk_kick()
          + blk_complete())
    write("blk", "reset-in-flight", blk_init() + blk_req(0, 1, 0, [4096]) + blk_kick() + blk_reset()
          + blk_complete() + blk_init())
    write("blk", "read-only", blk_init(dev=1) + blk_req(0, 1, 0, [512]) + blk_kick() + blk_fail())
    write("blk", "past-end", blk_init() + blk_req(0, 0, 127, [1024]) + blk_kick() + blk_complete())


# ---- pci: GIC byte, then config and BAR operations ----

def cfg(slot, reg, width_idx, val=0, write=False):
    # sel: 0x80 slot in the low bits, 0x20 a 16-bit register number;
    # width index into { 1, 2, 4, 8, 4, 2, 4, 3 }
    return u8(1 if write else 0) + u8(0xa0 | slot) + u16(reg) + u8(width_idx) + u32(val)


def pci():
    ids = b"".join(cfg(s, r, 2) for s in range(3) for r in (0, 8, 0x2c, 0x34))
    write("pci", "ids", u8(0) + ids)
    sizing = cfg(0, 0x10, 2, 0xffffffff, True) + cfg(0, 0x10, 2) + cfg(0, 0x10, 2, 0x10000000, True)
    write("pci", "bar-sizing", u8(0) + sizing + cfg(0, 4, 1, 6, True) + u8(4) + u16(0x14) + u8(0) + u8(0))
    # move BAR0 of slot 1 to the window's start + 1 MiB, MEMORY|MASTER, then common config
    move = u8(3) + u8(1) + u16(0x21) + u8(6)
    status = b"".join(u8(5) + u16(0x14) + u64(v) + u8(1) + u8(0) for v in (1, 3, 0xb))
    write("pci", "bar-move-driver", u8(1) + move + status + u8(4) + u16(0x1000) + u8(1) + u8(0))
    write("pci", "caps", u8(2) + b"".join(cfg(0, r, 0) for r in range(0x34, 0x90, 4)))
    # virtio-rng driven like Linux's virtio_pci_modern: status, features, queue 0, DRIVER_OK, kick
    def cc(field, val, ram=None):
        if ram is not None:
            return u8(8) + u8(field) + u8(0) + u16(ram)
        return u8(8) + u8(field) + u8(2) + u32(val)
    dev0 = cfg(0, 4, 1, 6, True)
    drv = (cc(6, 1) + cc(6, 3) + cc(2, 1) + cc(3, 1) + cc(6, 0xb) + cc(8, 0) + cc(9, 8)
           + cc(13, 0, 0x0000) + cc(15, 0, 0x1000) + cc(17, 0, 0x2000) + cc(11, 1) + cc(6, 0xf))
    ring = (u8(10) + u16(0) + u64(0x40004000) + u8(10) + u16(8) + u64(0x0002_0000_0040)
            + u8(10) + u16(0x1000) + u64(0x0000_0000_0001_0000))
    write("pci", "rng-driver", u8(0) + dev0 + drv + ring + u8(9) + u8(0))
    # the same for virtio-console's receiveq (slot 1), then host input
    def cc1(field, val, ram=None):
        if ram is not None:
            return u8(8) + u8(field) + u8(1) + u16(ram)
        return u8(8) + u8(field) + u8(3) + u32(val)
    drv1 = (cc1(6, 1) + cc1(6, 3) + cc1(2, 1) + cc1(3, 1) + cc1(6, 0xb) + cc1(8, 0) + cc1(9, 8)
            + cc1(13, 0, 0x0000) + cc1(15, 0, 0x1000) + cc1(17, 0, 0x2000) + cc1(11, 1) + cc1(6, 0xf))
    write("pci", "console-rx", u8(0) + cfg(1, 4, 1, 6, True) + drv1 + ring + u8(11) + u8(5) + b"hello")
    # the guest clears Bus Master Enable (shutdown, kexec): input must wait
    write("pci", "console-rx-no-master", u8(0) + cfg(1, 4, 1, 6, True) + drv1 + ring + cfg(1, 4, 1, 2, True)
          + u8(11) + u8(5) + b"hello")


# ---- msix: GIC byte, then MSI-X operations (BARs already decoded) ----

def msix_bar_dev(dev=0, width_idx=2): return u8(dev) + u8(width_idx)


def msix():
    enable = u8(0) + u8(0) + u8(0x80)
    addr = u8(1) + u8(0) + u8(0) + u8(0) + msix_bar_dev(0, 3)          # entry 0 address = ITS doorbell
    data = u8(1) + u8(0) + u8(1) + u8(1) + u32(5) + msix_bar_dev()      # entry 0 data = 5
    unmask = u8(1) + u8(0) + u8(2) + u8(0) + msix_bar_dev()
    # config vector (common config msix_config) = 0; the config interrupt is NEEDS_RESET
    assign = u8(6) + u8(0x80) + u8(0) + u8(0) + msix_bar_dev(0, 1)
    fire = u8(7) + u8(0) + u8(0x80)
    pba = u8(4) + u8(0) + u8(0) + msix_bar_dev()
    write("msix", "its-vector", u8(0) + enable + addr + data + unmask + assign + fire + pba)
    write("msix", "masked-pending", u8(0) + enable + addr + data + assign + fire + pba + unmask + pba)
    v2m_addr = u8(1) + u8(0) + u8(0) + u8(1) + msix_bar_dev(0, 3)
    v2m_data = u8(1) + u8(0) + u8(1) + u8(4) + msix_bar_dev()
    write("msix", "v2m-vector", u8(2) + enable + v2m_addr + v2m_data + unmask + assign + fire)
    write("msix", "function-mask", u8(0) + u8(0) + u8(0) + u8(0xc0) + addr + unmask + assign + fire
          + enable + pba)


# ---- uart: ops (register in the top 3 bits) ----

def uw(reg, v): return u8(reg << 5 | 2) + u8(v)
def ur(reg): return u8(reg << 5 | 0)
def urx(data): return u8(5) + u8(len(data)) + data


def uart():
    probe = uw(3, 0x80) + uw(0, 1) + uw(1, 0) + ur(0) + ur(1) + uw(3, 3) + uw(7, 0x55) + ur(7)
    probe += uw(4, 0x10) + ur(6) + uw(4, 0) + uw(2, 1) + ur(2) + uw(1, 3)
    write("uart", "probe", probe)
    write("uart", "rx", uw(1, 1) + urx(b"hello\n") + b"".join(ur(5) + ur(0) for _ in range(7)) + ur(2))
    write("uart", "break", u8(6) + u8(1) + b"s" + ur(5) + ur(0) + ur(5) + ur(0))
    write("uart", "loopback-tx", uw(4, 0x10) + uw(1, 2) + ur(2) + uw(0, 0x41) + ur(5) + ur(0) + u8(7))
    write("uart", "fifo-full", u8(0x87) + ur(5) + uw(2, 3) + ur(5))


# ---- command: option byte, then the bytes a client sends ----

def command():
    lines = b"help\nstatus\nstat\ninfo irq\ninfo pci\ninfo mem\ninfo gic\ninfo its\n"
    write("command", "info", u8(0) + lines)
    write("command", "inject", u8(0) + b"inject spi 40\ninject spi 41 1\ninject msi 8 1\ninject spi 1000\n")
    write("command", "pause-stop", u8(0) + b"pause\npause\nresume\nstop\nstop --force\n")
    write("command", "malformed", u8(2) + b"bogus\n\n \t\ninfo\na b c d e f g h i j\ninfo dtb\n" + b"x" * 1100 + b"\n")
    write("command", "monitor", u8(5) + b"status\rinfo mem\x7f\x7fem\r\x01a\x01x")


# ---- image: option byte, then an Image file (or planner sizes) ----

def image_header(text_offset=0, image_size=0x1000000, flags=0xa):
    h = struct.pack("<IIQQQQQQI", 0x91005a4d, 0x14000000, text_offset, image_size, flags, 0, 0, 0, 0x644d5241)
    return h + u32(0x40)


def image():
    write("image", "linux-image", u8(0) + image_header() + b"\x00" * 192)
    write("image", "pre-3.17", u8(0) + image_header(0x80000, 0) + b"\x1f" * 64)
    write("image", "with-initrd", u8(2) + u32(0x8000) + image_header(0, 0x200000) + b"\x00" * 64)
    write("image", "raw", u8(4) + b"\x00\x00\x00\x14" * 16)
    import gzip
    write("image", "gzip", u8(0) + gzip.compress(image_header(0, 0x20000) + b"\x00" * 4096, 9, mtime=0))
    write("image", "plan-big", u8(1) + u64(0x3fff) + u64(0x4000000) + u64(0x8000000) + u8(0) + u8(0)
          + image_header(0x1ff000, 0x3000000) + u8(0))


# ---- kernel: options, then a kernel file (gzip, zstd, EFI zboot) ----

def zboot(comp_type, payload, size_word=b""):
    # drivers/firmware/efi/libstub/zboot-header.S: MZ, "zimg", payload offset and size,
    # reserved, the compression type, LINUX_PE_MAGIC at 0x38, the PE header offset.
    h = b"MZ\0\0zimg" + u32(0x100) + u32(len(payload)) + u32(0) + u32(0)
    h += comp_type.encode().ljust(0x38 - 24, b"\0") + u32(0x818223cd) + u32(0x40)
    return h.ljust(0x100, b"\0") + payload + size_word


def kernel():
    import gzip
    import subprocess
    img = image_header(0, 0x20000) + bytes(range(256)) * 64
    gz = gzip.compress(img, 9, mtime=0)
    write("kernel", "gzip", u8(0x02) + gz)
    write("kernel", "gzip-file", u8(0x21) + gz + b"\0" * 16)
    write("kernel", "zboot-gzip", u8(0x01) + zboot("gzip", gz))
    write("kernel", "zboot-bad-type", u8(0x01) + zboot("xzkern", gz))
    try:
        zs = subprocess.run(["zstd", "-19", "-c", "-q"], input=img, stdout=subprocess.PIPE, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return  # no zstd tool: the gzip seeds still stand
    write("kernel", "zstd", u8(0x02) + zs)
    write("kernel", "zboot-zstd", u8(0x21) + zboot("zstd22", zs, u32(len(img))))


# ---- fdt: argv after "run", NUL-separated ----

def fdt():
    def args(*a): return b"\0".join(x.encode() for x in a)
    write("fdt", "minimal", args("Image"))
    write("fdt", "v3-its-disk", args("--gic=v3", "--its", "-c", "4", "-m", "512M", "-d", "disk.img", "--rng", "Image"))
    write("fdt", "v2m-disks", args("--gic=v2m", "-c", "8", "-d", "a", "-d", "b,ro", "-d", "c",
                                   "--console=virtio", "-k", "Image"))
    write("fdt", "mmio-initrd", args("--transport=mmio", "--rng", "-i", "initrd", "-p", "console=hvc0 quiet",
                                     "Image"))
    write("fdt", "many-cpus", args("-c", "512", "--gic=v3", "-m", "2G", "Image"))
    write("fdt", "ci", args("--timeout", "90s", "--expect", "OK", "--fail-on", "panic", "--reboot=restart",
                            "--name", "ci-1", "--kernel-format=raw", "Image"))


# ---- mmio: register writes, RAM, kicks, console input ----

def mw(dev, reg, val, ram_off=None):
    if ram_off is not None:
        return u8(0) + u8(dev) + u8(reg // 4) + u8(0) + u16(ram_off)
    return u8(0) + u8(dev) + u8(reg // 4) + u8(2) + u32(val)


def mmio():
    # virtio 1.2, 4.2.3.1: status, features (VERSION_1 in the high word), queue, DRIVER_OK
    init = b"".join(mw(1, 0x070, v) for v in (1, 3)) + mw(1, 0x024, 1) + mw(1, 0x020, 1) + mw(1, 0x070, 0xb)
    queue = (mw(1, 0x030, 0) + mw(1, 0x038, 16) + mw(1, 0x080, 0, 0x0000) + mw(1, 0x090, 0, 0x1000)
             + mw(1, 0x0a0, 0, 0x2000) + mw(1, 0x044, 1) + mw(1, 0x070, 0xf))
    desc = u8(4) + u16(0) + u64(0x40004000) + u8(4) + u16(8) + u64(0x0002_0000_0040)
    avail = u8(4) + u16(0x1000) + u64(0x0000_0000_0001_0000)
    rx = u8(6) + u8(5) + b"hello"
    write("mmio", "console-rx", init + queue + desc + avail + rx)
    write("mmio", "queue-down", init + queue + mw(1, 0x044, 0) + mw(1, 0x090, 0, 0x1001) + desc + avail + rx)
    write("mmio", "rng-kick", b"".join(mw(0, 0x070, v) for v in (1, 3)) + mw(0, 0x024, 1) + mw(0, 0x020, 1)
          + mw(0, 0x070, 0xb) + mw(0, 0x038, 8) + mw(0, 0x080, 0, 0x0000) + mw(0, 0x090, 0, 0x1000)
          + mw(0, 0x0a0, 0, 0x2000) + mw(0, 0x044, 1) + mw(0, 0x070, 0xf) + desc + avail + u8(5) + u8(0) + u8(0))


# ---- gic: options, register seed, ITS registers, table entries in RAM ----

def gic():
    ram = 0x40000000
    regs = u64(1) + u64(0x000f0000) + u64(0) * 3                     # CTLR enabled, TYPER
    # BASER0 devices (flat, 4K, 1 page) at RAM+0x10000, BASER1 collections at RAM+0x20000
    basers = u8(0x00) + u8(0x10) + u8(0x01) + u8(0x20) + (u8(0x80) + u8(0) + u64(0)) * 6
    def entry(off, v): return u16(off // 8) + u8(0) + u64(v)
    dte = entry(0x10000 + 8 * 8, 1 << 63 | ((ram + 0x30000) >> 8) << 5 | 4)   # devid 8 (slot 1)
    ite = entry(0x30000, (8192 << 16) | 0)                                    # event 0 -> LPI 8192, ICID 0
    cte = entry(0x20000, 1 << 63 | 0)                                         # collection 0 -> vcpu 0
    write("gic", "its-mapped", u8(0) + u64(0x1234) + regs + basers + dte + ite + cte)
    write("gic", "v2-all", u8(1 | 8 | 16) + u64(0x5678) + regs + basers)
    write("gic", "v3-gic-dump", u8(2 | 16) + u64(0x4321) + regs + basers)
    two_level = u8(0x02) + u8(0x10) + u8(0x01) + u8(0x20) + (u8(0x80) + u8(0) + u64(0)) * 6
    l1 = entry(0x10000, 1 << 63 | (ram + 0x40000))
    write("gic", "its-two-level", u8(2) + u64(0x9abc) + regs + two_level + l1
          + entry(0x40000 + 8 * 8, 1 << 63 | ((ram + 0x30000) >> 8) << 5 | 15) + ite + cte)


# ---- net: driver init (features, PCI command, two queue sizes), then chains and frames ----

def net():
    init = u64(0) + u8(0) + u8(4) + u8(4)                       # offered features, bus master, 16/16
    def rx(head, seg): return u8(0) + u8(head) + u8(0) + u8(0) + u16(head * 0x800) + u16(0x8000 | seg // 3)
    def tx(head, frame): return u8(2) + u8(head) + u8(1) + u8(0) + u16(0x2000) + u16(12) + u16(frame)
    def frame(n, fill): return u8(4) + u16(12 + n) + u8(fill)
    kick_rx, kick_tx, poll = u8(5), u8(6), u8(7)
    write("net", "rx-frame", init + rx(0, 1800) + kick_rx + frame(60, 0xab) + poll)
    write("net", "rx-short", init + rx(1, 600) + frame(1514, 0x11) + kick_rx + rx(2, 1800) + kick_rx)
    write("net", "tx-frames", init + tx(0, 60) + tx(2, 1514) + kick_tx)
    write("net", "tx-runt-reset", init + tx(0, 1) + kick_tx + u8(9) + u8(1) + tx(4, 100) + kick_tx)


def main():
    for gen in (virtq, blk, pci, msix, uart, command, image, kernel, fdt, mmio, gic, net):
        gen()
    return 0


if __name__ == "__main__":
    sys.exit(main())
