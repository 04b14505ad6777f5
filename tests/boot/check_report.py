#!/usr/bin/env python3
"""Validate --report JSON files printed between REPORT-BEGIN/REPORT-END markers in an L1 log.

Prints one "RESULT report-json-<case> PASS|FAIL: why" line per report found."""
import json
import sys

REQUIRED = ["exit_code", "exit_reason", "restarts", "gic", "its", "nr_vcpus", "timestamps", "vcpus",
            "irq_map", "spis_raised", "gsi_routes", "devices", "memory", "memory_map", "cpu_features"]
TIMELINE = ["exec", "kvm_ready", "dtb_built", "first_kvm_run", "first_console_byte", "end"]


def check(name, text):
    r = json.loads(text)
    for k in REQUIRED:
        assert k in r, f"missing field {k}"
    t = r["timestamps"]
    stamps = [t[k] for k in TIMELINE]
    assert all(b >= a for a, b in zip(stamps, stamps[1:])), f"timestamps not monotonic: {stamps}"
    assert stamps[-1] > 0, "no end time"
    for m in t["expect_matches"]:
        assert t["first_console_byte"] <= m <= t["end"], f"expect match at {m} outside the run"
    assert len(r["vcpus"]) == r["nr_vcpus"], "one entry per vCPU"
    assert sum(v["exits"].get("mmio", 0) for v in r["vcpus"]) > 0, "no MMIO exits counted"
    assert r["memory"]["vmm_rss_kib_excluding_guest_ram"] > 0, "no VMM RSS"
    blk = [d for d in r["devices"] if d["name"] == "virtio-blk"]
    assert blk and blk[0]["reads"] > 0 and blk[0]["interrupts"] > 0, "no block I/O counted"
    msi = [g for g in r["gsi_routes"] if g["type"] == "msi" and g["signals"] > 0]
    assert msi, "no MSI route delivered interrupts"
    return r


def main(path):
    lines = open(path, errors="replace").read().splitlines()
    name, buf, found = None, [], 0
    for line in lines:
        if line.startswith("REPORT-BEGIN "):
            name, buf = line.split()[1], []
        elif line.startswith("REPORT-END ") and name:
            found += 1
            try:
                r = check(name, "\n".join(buf))
                print(f"INFO report-json-{name} exit={r['exit_reason']} vmm_rss_kib="
                      f"{r['memory']['vmm_rss_kib_excluding_guest_ram']} first_run="
                      f"{r['timestamps']['first_kvm_run']:.3f}s")
                print(f"RESULT report-json-{name} PASS")
            except (AssertionError, ValueError, KeyError, TypeError) as e:
                print(f"RESULT report-json-{name} FAIL: {e}")
            name = None
        elif name:
            buf.append(line)
    return found


if __name__ == "__main__":
    main(sys.argv[1])
