#!/usr/bin/env python3
"""Turn the L1 serial log of tests/bench/l1-bench.sh into figures.

Reads the BENCH-RUN / BENCH-REPORT-BEGIN..END / BENCH-GUEST / BENCH-SKIP lines, prints a table,
writes OUT/bench.json, OUT/boot-vs-vcpus.dat and .gp, and runs gnuplot for OUT/boot-vs-vcpus.png.
Figures only: nothing here passes or fails on a timing. Python 3 standard library only."""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

NOTE = ("Nested TCG emulation: qemu-system-aarch64 (TCG, no hardware acceleration) runs an arm64 "
        "KVM host (L1) with 2 vCPUs, and vmm runs the guests on that L1's KVM. The figures compare "
        "vmm builds on this setup; they are not what vmm does on arm64 hardware.")


def parse_log(path):
    """Runs by id: rc, report (dict), guest (dict of key=value from BENCH-IO), tail; plus env and skips."""
    runs, env, skips = {}, {}, []
    env["done"] = False
    report_id, buf, tail_id = None, [], None
    for line in open(path, errors="replace").read().splitlines():
        if report_id is not None:
            if line == f"BENCH-REPORT-END {report_id}":
                try:
                    runs.setdefault(report_id, {})["report"] = json.loads("\n".join(buf))
                except ValueError as e:
                    runs.setdefault(report_id, {})["report_error"] = str(e)
                report_id = None
            else:
                buf.append(line)
            continue
        if tail_id is not None:
            if line == f"BENCH-TAIL-END {tail_id}":
                tail_id = None
            else:
                runs[tail_id].setdefault("tail", []).append(line)
            continue
        m = re.match(r"BENCH-RUN (\S+) rc=(\d+) uptime=([0-9.]+)", line)
        if m:
            runs.setdefault(m[1], {})["rc"] = int(m[2])
            env["l1_uptime_at_last_run_s"] = float(m[3])
        elif line.startswith("BENCH-REPORT-BEGIN "):
            report_id, buf = line.split()[1], []
        elif line.startswith("BENCH-TAIL-BEGIN "):
            tail_id = line.split()[1]
            runs.setdefault(tail_id, {})
        elif line.startswith("BENCH-GUEST "):
            _, rid, rest = line.split(" ", 2)
            if rest.startswith("BENCH-IO "):
                runs.setdefault(rid, {})["guest"] = dict(kv.split("=", 1) for kv in rest.split()[1:])
        elif line.startswith("BENCH-SKIP "):
            skips.append(line[len("BENCH-SKIP "):])
        elif line.startswith("BENCH-ENV "):
            env.update(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
        elif line == "BENCH-DONE":
            env["done"] = True
    return runs, env, skips


def summary(samples, unit, source, digits=3):
    """Median and range of the samples, with the samples themselves."""
    s = {"unit": unit, "n": len(samples), "samples": [round(x, digits) for x in samples], "source": source}
    if samples:
        s.update(median=round(statistics.median(samples), digits), min=round(min(samples), digits),
                 max=round(max(samples), digits))
    return s


def series(runs, prefix):
    """Runs named PREFIX-1, PREFIX-2, ... in order."""
    out = []
    for rid, r in runs.items():
        m = re.fullmatch(re.escape(prefix) + r"-(\d+)", rid)
        if m:
            out.append((int(m[1]), rid, r))
    return [(rid, r) for _, rid, r in sorted(out)]


def mmio_exits(report):
    return sum(v["exits"].get("mmio", 0) for v in report["vcpus"])


def blk_requests(report):
    blk = [d for d in report["devices"] if d["name"] == "virtio-blk"]
    if not blk:
        return None
    return blk[0]["reads"] + blk[0]["writes"] + blk[0]["flushes"]


def boot_figures(runs, n):
    """exec -> GUEST-INIT-OK of the N-vCPU boots, with the run outcomes."""
    ok, first_run, rss, timeouts, failed = [], [], [], 0, []
    for rid, r in series(runs, f"boot-c{n}"):
        rep = r.get("report")
        if r.get("rc") == 5:
            timeouts += 1
        elif r.get("rc") == 0 and rep and rep["timestamps"]["expect_matches"]:
            ok.append(rep["timestamps"]["expect_matches"][0])
            first_run.append(rep["timestamps"]["first_kvm_run"])
            rss.append(rep["memory"]["vmm_rss_kib_excluding_guest_ram"])
        else:
            failed.append(f"{rid} rc={r.get('rc')}" + ("" if rep else ", no report"))
    return ok, first_run, rss, timeouts, failed


def io_figures(runs, mib_default):
    """Per idle/io pair: exits per 1,000 virtio-blk requests and the guest's MB/s."""
    pairs, exits_per_k, write_mbs, read_mbs, io_rss, problems = [], [], [], [], [], []
    for rid, io in series(runs, "io"):
        idx = rid.split("-")[1]
        idle = runs.get(f"idle-{idx}", {})
        rep, base = io.get("report"), idle.get("report")
        if io.get("rc") != 0 or idle.get("rc") != 0 or not rep or not base:
            problems.append(f"pair {idx}: io rc={io.get('rc')}, idle rc={idle.get('rc')}")
            continue
        g = io.get("guest", {})
        raw = {"pair": int(idx),
               "io_mmio_exits": mmio_exits(rep), "baseline_mmio_exits": mmio_exits(base),
               "io_blk_requests": blk_requests(rep), "baseline_blk_requests": blk_requests(base),
               "io_blk_device": next((d for d in rep["devices"] if d["name"] == "virtio-blk"), None),
               "baseline_blk_device": next((d for d in base["devices"] if d["name"] == "virtio-blk"), None),
               "guest": g}
        pairs.append(raw)
        io_rss.append(rep["memory"]["vmm_rss_kib_excluding_guest_ram"])
        dreq = (raw["io_blk_requests"] or 0) - (raw["baseline_blk_requests"] or 0)
        if dreq > 0:
            exits_per_k.append(1000.0 * (raw["io_mmio_exits"] - raw["baseline_mmio_exits"]) / dreq)
        if g.get("write_rc") != "0" or g.get("read_rc") != "0":
            problems.append(f"pair {idx}: guest dd write_rc={g.get('write_rc')} read_rc={g.get('read_rc')}")
            continue
        mb = int(g.get("mib", mib_default)) * 1048576 / 1e6
        for key, out in (("write_ms", write_mbs), ("read_ms", read_mbs)):
            ms = int(g[key])
            if ms > 0:
                out.append(mb / (ms / 1000.0))
            else:
                problems.append(f"pair {idx}: {key}=0 (under the 10 ms clock resolution)")
    return pairs, exits_per_k, write_mbs, read_mbs, io_rss, problems


def fmt(s, digits=None):
    if "median" not in s:
        return "n/a", "n/a"
    d = 3 if digits is None else digits
    return f"{s['median']:.{d}f}", f"{s['min']:.{d}f}-{s['max']:.{d}f}"


def plot(out, vcpu_rows, repeat, timeout_s):
    """Data and script for gnuplot, then the PNG; the median with min-max bars per vCPU count."""
    dat, gp, png = (os.path.join(out, f"boot-vs-vcpus.{e}") for e in ("dat", "gp", "png"))
    with open(dat, "w") as f:
        f.write("# vcpus median_s min_s max_s (exec -> GUEST-INIT-OK, vmm --report)\n")
        for r in vcpu_rows:
            if "median" in r:
                f.write(f"{r['vcpus']} {r['median']} {r['min']} {r['max']}\n")
    # Counts without a figure get a red mark at the top, the text on the side with room for it.
    labels, counts = [], [r["vcpus"] for r in vcpu_rows]
    for r in vcpu_rows:
        if "median" in r and r["timeouts"]:
            labels.append(f'set label "{r["timeouts"]} of {r["ok"] + r["timeouts"]} timed out" at first {r["vcpus"]}, '
                          f'first {r["max"]} {"right offset -1,1" if r["vcpus"] > min(counts) else "left offset 1,1"} '
                          'textcolor rgb "red"')
        if "median" in r:
            continue
        what = f"timeout (> {timeout_s} s)" if r["timeouts"] else "failed"
        side = "right offset -1,0" if r["vcpus"] > min(counts) else "left offset 1,0"
        labels.append(f'set label "{r["vcpus"]} vCPUs: {what}" at first {r["vcpus"]}, graph 0.95 {side} '
                      f'point pt 2 ps 2 lc rgb "red" textcolor rgb "red"')
    with open(gp, "w") as f:
        f.write(f"""# gnuplot script written by tests/bench/analyze.py
set terminal png size 900,600
set output '{png}'
set title "vmm: exec -> guest init (GUEST-INIT-OK) against vCPUs\\nnested TCG emulation (QEMU -> L1 KVM -> guest), not hardware\\nmedian of the runs that finished (up to {repeat} per count); bars: min-max"
set xlabel "vCPUs (-c N, -m 512, GICv3 + ITS)"
set ylabel "seconds since vmm exec"
set logscale x 2
set xrange [{min(counts) / 1.5}:{max(counts) * 1.5}]
set xtics ({", ".join(str(c) for c in counts)})
set yrange [0:*]
set grid
set key top left
{chr(10).join(labels)}
""")
        if os.path.getsize(dat) and any("median" in r for r in vcpu_rows):
            f.write(f"plot '{dat}' using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'median (min-max)'\n")
        else:
            f.write("set yrange [0:1]\nplot NaN title 'no successful runs'\n")
    if not shutil.which("gnuplot"):
        return f"gnuplot not found: {gp} not drawn"
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    return png if r.returncode == 0 else f"gnuplot failed: {r.stderr.strip()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--log", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeat", type=int, required=True)
    ap.add_argument("--cpus", required=True)
    ap.add_argument("--binary-size", type=int, required=True)
    ap.add_argument("--stripped-size", type=int)
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--qemu", default="")
    ap.add_argument("--elapsed", type=int)
    a = ap.parse_args()
    runs, env, skips = parse_log(a.log)
    os.makedirs(a.out, exist_ok=True)
    cpus = [int(c) for c in a.cpus.split(",")]
    vcpu_timeout = int(env.get("vcpu_timeout", 0)) or None

    ok1, first_run, rss, _, failed1 = boot_figures(runs, 1)
    boot_src = "vmm --report, -c 1 -m 512 --gic=v3 --its, --expect GUEST-INIT-OK (vmm stops at the match)"
    metrics = {
        "exec_to_first_kvm_run": summary(first_run, "s", "timestamps.first_kvm_run; " + boot_src),
        "exec_to_guest_init": summary(ok1, "s", "timestamps.expect_matches[0] (GUEST-INIT-OK, the guest init's "
                                      "first line); " + boot_src),
        "vmm_rss_excluding_guest_ram": summary(rss, "KiB", "memory.vmm_rss_kib_excluding_guest_ram (smaps at exit) "
                                               "(VmHWM minus resident guest RAM); " + boot_src, 0),
    }
    pairs, exits_per_k, write_mbs, read_mbs, io_rss, io_problems = io_figures(runs, 64)
    mib = pairs[0]["guest"].get("mib", "?").lstrip("0") if pairs else "?"
    io_src = (f"-c 1 -m 512 -d disk ({mib} MiB file on the L1's tmpfs); guest dd bs=1M O_DIRECT, {mib} MiB "
              "written (conv=fsync) then read")
    metrics["vmm_rss_excluding_guest_ram_io"] = summary(
        io_rss, "KiB", "memory.vmm_rss_kib_excluding_guest_ram (smaps at exit) of the io runs; " + io_src, 0)
    metrics["exits_per_1000_blk_requests"] = summary(
        exits_per_k, "exits", "1000 x (sum vcpus[].exits.mmio, io run - idle run) / (virtio-blk reads+writes+"
        "flushes, io run - idle run); vmm --report; " + io_src)
    metrics["exits_per_1000_blk_requests"]["raw"] = pairs
    metrics["guest_seq_write"] = summary(write_mbs, "MB/s", "10^6 bytes/s; guest-timed (/proc/uptime, 10 ms "
                                         "resolution) dd write incl. its fsync; " + io_src, 1)
    metrics["guest_seq_read"] = summary(read_mbs, "MB/s", "10^6 bytes/s; guest-timed (/proc/uptime, 10 ms "
                                        "resolution) dd read; " + io_src, 1)
    metrics["binary_size"] = {"unit": "bytes", "file": a.binary_size, "stripped": a.stripped_size,
                              "source": "host stat -c %s of the ./vmm copied into the L1 (static, with debug "
                                        "info); stripped: the same after ${CROSS}strip"}

    vcpu_rows = []
    for n in cpus:
        ok, _, rss_n, timeouts, failed = boot_figures(runs, n)
        row = {"vcpus": n, "ok": len(ok), "timeouts": timeouts, "failed": failed,
               "vmm_rss_kib_median": statistics.median(rss_n) if rss_n else None}
        row.update({k: v for k, v in summary(ok, "s", "").items() if k in ("median", "min", "max", "samples")})
        vcpu_rows.append(row)

    result = plot(a.out, vcpu_rows, a.repeat, vcpu_timeout)
    doc = {"note": NOTE, "repeat": a.repeat, "vmm_commit": a.commit, "qemu": a.qemu, "l1": env,
           "host_cpu": host_cpu(), "elapsed_s_until_analysis": a.elapsed, "metrics": metrics,
           "boot_vs_vcpus": {"unit": "s", "source": "exec -> GUEST-INIT-OK, vmm --report timestamps."
                             "expect_matches[0]; -c N -m 512 --gic=v3 --its", "timeout_s": vcpu_timeout,
                             "rows": vcpu_rows, "plot": result},
           "skipped": skips,
           "problems": ([] if env["done"] else ["the L1 stopped before BENCH-DONE: later runs are missing"]) +
                       ([] if 1 in cpus else failed1) + io_problems + [f for r in vcpu_rows for f in r["failed"]],
           "runs_seen": sorted(runs)}
    with open(os.path.join(a.out, "bench.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")

    print_table(a, metrics, vcpu_rows, vcpu_timeout, env, doc, result, runs)
    # Not a judgement of timings: a run that failed (timeouts aside) means missing figures.
    if doc["problems"] or not runs:
        print(f"bench: {len(doc['problems']) if runs else 'all'} runs failed or are missing; see above")
        return 1
    return 0


def host_cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def print_table(a, m, vcpu_rows, vcpu_timeout, env, doc, plot_result, runs):
    print()
    print(f"vmm benchmarks, {a.repeat} runs per figure; vmm {a.commit}")
    print("NOTE: nested TCG emulation (qemu-system-aarch64 TCG -> L1 arm64 KVM host, "
          f"{env.get('l1_cpus', '?')} vCPUs -> guest),")
    print("      not hardware: compare builds with these numbers, do not quote them as vmm's speed.")
    print()
    rows = [
        ("exec -> first KVM_RUN (s)", m["exec_to_first_kvm_run"], 3, "report timestamps.first_kvm_run, -c 1"),
        ("exec -> GUEST-INIT-OK (s)", m["exec_to_guest_init"], 3, "report timestamps.expect_matches[0], -c 1"),
        ("VMM RSS excl. guest RAM (KiB)", m["vmm_rss_excluding_guest_ram"], 0, "report memory, boot run -c 1"),
        ("  same, I/O run with virtio-blk (KiB)", m["vmm_rss_excluding_guest_ram_io"], 0, "report memory, io run"),
        ("userspace exits / 1000 blk requests", m["exits_per_1000_blk_requests"], 1,
         "report: d(mmio exits) / d(blk reqs), io - idle"),
        ("guest seq. write (MB/s)", m["guest_seq_write"], 1, "guest dd O_DIRECT + fsync, /proc/uptime"),
        ("guest seq. read (MB/s)", m["guest_seq_read"], 1, "guest dd O_DIRECT, /proc/uptime"),
    ]
    print(f"{'figure':<38} {'median':>10} {'range (min-max)':>19} {'n':>3}  source")
    for name, s, d, src in rows:
        med, rng = fmt(s, d)
        print(f"{name:<38} {med:>10} {rng:>19} {s['n']:>3}  {src}")
    b = m["binary_size"]
    print(f"{'static binary ./vmm (bytes)':<38} {b['file']:>10} {'':>19} {'':>3}  host stat; "
          f"stripped: {b['stripped'] if b['stripped'] else 'n/a'}")
    print()
    print("exits per 1,000 virtio-blk requests, raw numbers per idle/io pair (exits: sum of vcpus[].exits.mmio;"
          " requests: reads+writes+flushes):")
    for p in m["exits_per_1000_blk_requests"]["raw"]:
        dev, base = p["io_blk_device"] or {}, p["baseline_blk_device"] or {}
        print(f"  pair {p['pair']}: io {p['io_mmio_exits']} exits, {p['io_blk_requests']} requests "
              f"(r {dev.get('reads')} w {dev.get('writes')} f {dev.get('flushes')}, kicks {dev.get('kicks')}); "
              f"idle {p['baseline_mmio_exits']} exits, {p['baseline_blk_requests']} requests "
              f"(r {base.get('reads')} w {base.get('writes')} f {base.get('flushes')}); "
              f"guest write {int(p['guest'].get('write_ms', 0))} ms, read {int(p['guest'].get('read_ms', 0))} ms")
    print()
    print(f"boot time against vCPUs: exec -> GUEST-INIT-OK (s), -m 512, --timeout {vcpu_timeout} s per run")
    print(f"{'vCPUs':>6} {'median':>9} {'range (min-max)':>19} {'ok':>4} {'timeouts':>9}  {'VMM RSS KiB':>11}")
    for r in vcpu_rows:
        med, rng = fmt(r, 3)
        if "median" not in r and r["timeouts"]:
            med, rng = "timeout", f"> {vcpu_timeout} s"
        rss = f"{r['vmm_rss_kib_median']:.0f}" if r["vmm_rss_kib_median"] is not None else "n/a"
        print(f"{r['vcpus']:>6} {med:>9} {rng:>19} {r['ok']:>4} {r['timeouts']:>9}  {rss:>11}")
    for s in doc["skipped"]:
        print(f"  skipped: {s}")
    for p in doc["problems"]:
        print(f"  problem: {p}")
    tails = [(rid, r["tail"]) for rid, r in sorted(runs.items()) if r.get("tail") and r.get("rc") != 5]
    if tails:
        print(f"  vmm output of the first failed run ({tails[0][0]}; the others are in the L1 log):")
        for line in tails[0][1]:
            print(f"    | {line}")
    print()
    print(f"JSON: {os.path.join(a.out, 'bench.json')}")
    print(f"plot: {plot_result}")
    if a.elapsed is not None:
        print(f"time: {a.elapsed} s from start to the end of the L1 (image build, lock wait and QEMU); "
              f"L1 uptime at its last run: {env.get('l1_uptime_at_last_run_s', '?')} s")


if __name__ == "__main__":
    sys.exit(main())
