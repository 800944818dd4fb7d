#!/usr/bin/env python3
"""Renders the JSON lines of bench/run.sh into one markdown table and a JSON document.

    report.py RESULTS.jsonl --md OUT.md --json OUT.json [--quick] [--meta KEY=VALUE ...]

Every input line pairs a subject with its baseline, one sample of each per round (measured back
to back, see bench/c/benchutil.h). The ratio is taken per round, subject / baseline, and the
table shows its median and min-max next to the medians (min-max) of both sides: never a lone
absolute time. Targets (from the issue) are checked on the median ratio, or on the subject's
median for absolute memory targets; in --quick mode they are shown but not judged.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

# id (exact or prefix ending in '.') -> (kind, value, text). kind: ratio_max, ratio_min, abs_max,
# equal (the subject's median equals the baseline's: a count that must not change), ratio_abs_max
# (value (ratio, absolute): both the median ratio and the subject's median at most that),
# delta_max (the subject's median exceeds the baseline's by at most value: threads added).
TARGETS = {
    "spawn.c.a": ("ratio_max", 1.10, "<= 1.10x"),
    "spawn.c.b": ("ratio_max", 1.10, "<= 1.10x"),
    "spawn.c.c": ("ratio_max", 1.10, "<= 1.10x"),
    "spawn.py.a": ("ratio_max", 1.25, "<= 1.25x"),
    "spawn.py.b": ("ratio_max", 1.25, "<= 1.25x"),
    "spawn.py.c": ("ratio_max", 1.25, "<= 1.25x"),
    "run.a": ("ratio_max", 1.15, "<= 1.15x"),
    "run.b": ("ratio_max", 1.15, "<= 1.15x"),
    "run.c": ("ratio_max", 1.15, "<= 1.15x"),
    "join.c": ("ratio_max", 1.25, "<= 1.25x"),  # a join execs nscore-init before it joins (issue 7)
    "exec.nscore": ("ratio_max", 1.0, "< 1x (faster)"),
    "hostsize.c": ("ratio_max", 1.2, "<= 1.2x"),
    "hostsize.py": ("ratio_max", 1.2, "<= 1.2x"),
    "fdcount.c": ("ratio_max", 1.2, "<= 1.2x (as host size)"),
    "threads.c.8": ("ratio_min", 0.9, ">= 0.9x"),
    "threads.py.8": ("ratio_min", 0.9, ">= 0.9x"),
    "run.b.rss.": ("abs_max", 2.0, "<= 2 MiB"),
    "mem.init": ("abs_max", 1024.0, "<= 1 MiB"),
    "rootfs.run": ("ratio_max", 1.15, "<= 1.15x"),
    "rootfs.run.vs.bwrap": ("ratio_max", 1.0, "< 1x (faster)"),
    "rootfs.run.vs.crun": ("ratio_max", 0.5, "<= 0.5x"),
    "rootfs.run.rss.": ("abs_max", 2.0, "<= 2 MiB"),
    "rootfs.c": ("ratio_max", 1.15, "<= 1.15x"),
    "rootfs.c.inproc": ("ratio_max", 1.15, "<= 1.15x"),
    "rootfs.threads.decay": ("ratio_min", 0.9, ">= 0.9x (no decay)"),
    "rootfs.threads.mounts": ("equal", 0, "= before (no mount left)"),
    "rootfs.threads.mounts.host": ("equal", 0, "= before (no mount left)"),
    "scale.rate": ("ratio_min", 0.9, ">= 0.9x (no decay of its own)"),
    "scale.decay": ("ratio_min", 0.9, ">= 0.9x (no decay)"),
    "veth.c.ready": ("ratio_max", 1.2, "<= 1.2x"),
    "veth.run": ("ratio_max", 1.2, "<= 1.2x"),
    "veth.run.vs.ip": ("ratio_max", 0.2, "<= 0.2x"),
    "veth.scale.rate": ("ratio_min", 0.9, ">= 0.9x (no decay of its own)"),
    "seccomp.install": ("ratio_abs_max", (0.05, 1000.0), "<= 0.05x and <= 1 ms"),
    "seccomp.install.cached": ("ratio_abs_max", (0.05, 1000.0), "<= 0.05x and <= 1 ms"),
    # getppid: both filters are always-allow for it, so the kernel's action cache runs neither
    # (equal by construction): 2% is the noise of the measurement.
    "seccomp.syscall.getppid": ("ratio_max", 1.02, "<= 1x (±2%)"),
    "seccomp.syscall.personality": ("ratio_max", 1.0, "<= 1x"),
    "security.spawn": ("ratio_max", 1.10, "<= 1.10x"),
    # Section 11: what a cgroup adds to a spawn against what its system calls cost (the spawn
    # without limits + the raw routine), and `nscore run` with limits against crun with the
    # same linux.resources. The stats rows have no target.
    "cgroup.c": ("ratio_max", 1.10, "<= 1.10x"),
    "cgroup.run.vs.crun": ("ratio_max", 0.5, "<= 0.5x"),
    "cgroup.leftover": ("equal", 0, "= 0 (nothing left)"),
    # Section 12: everyday use. nscore.run against subprocess.run (and unshare(1) making the
    # namespaces); the last of 1000 awaited containers done within 0.3 s of the last spawn, with
    # no thread per container; a 16 MiB output captured at least as fast as the baseline.
    "everyday.run.py.a": ("ratio_max", 1.0, "<= 1.0x"),
    "everyday.run.py.b": ("ratio_max", 1.0, "<= 1.0x"),
    "everyday.async.py.last": ("abs_max", 300.0, "<= 300 ms"),
    "everyday.async.swift.last": ("abs_max", 300.0, "<= 300 ms"),
    "everyday.async.py.threads": ("delta_max", 0, "+0 (no thread)"),
    "everyday.async.swift.threads": ("delta_max", 1, "<= +1 (the nscore-wait poller)"),
    "everyday.capture.py": ("ratio_min", 1.0, ">= 1.0x"),
    "everyday.capture.swift": ("ratio_min", 1.0, ">= 1.0x"),
}


def target_for(id_: str):
    if id_ in TARGETS:
        return TARGETS[id_]
    for key, t in TARGETS.items():
        if key.endswith(".") and id_.startswith(key):
            return t
    return None


def stats(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def fmt_value(v: float, unit: str) -> str:
    if unit == "us/op":
        return f"{v:.0f} µs" if v >= 100 else f"{v:.1f} µs"
    if unit == "ms/run":
        return f"{v:.2f} ms"
    if unit == "MiB":
        return f"{v:.2f} MiB"
    if unit == "KiB":
        return f"{v:.0f} KiB" if v >= 100 else f"{v:.1f} KiB"
    if unit == "lines":
        return f"{v:.0f} lines"
    if unit == "dirs":
        return f"{v:.0f} dirs"
    if unit == "ms":
        return f"{v:.1f} ms"
    if unit == "threads":
        return f"{v:.0f} threads"
    if unit == "MiB/s":
        return f"{v:.0f} MiB/s"
    if unit.endswith("/s"):
        return f"{v:.0f}/s"
    return f"{v:.4g} {unit}"


def fmt_range(s, unit: str) -> str:
    if s["n"] == 1:
        return fmt_value(s["median"], unit)
    lo, hi = fmt_value(s["min"], unit), fmt_value(s["max"], unit)
    return f"{fmt_value(s['median'], unit)} ({lo.split()[0]}–{hi})"


def fmt_ratio(s) -> str:
    if s is None:
        return "–"
    if s["n"] == 1:
        return f"{s['median']:.2f}x"
    return f"**{s['median']:.2f}x** ({s['min']:.2f}–{s['max']:.2f})"


def judge(r, quick: bool):
    t = target_for(r["id"])
    if not t:
        return "", ""
    kind, value, text = t
    if quick:
        return text, "n/a (quick)"
    if kind not in ("abs_max", "equal", "delta_max") and r["ratio"] is None:
        return text, "n/a"
    if kind == "equal":
        ok = r["subject_stats"]["median"] == r["baseline_stats"]["median"]
    elif kind == "ratio_max":
        ok = r["ratio"]["median"] <= value
    elif kind == "ratio_abs_max":
        ok = r["ratio"]["median"] <= value[0] and r["subject_stats"]["median"] <= value[1]
    elif kind == "ratio_min":
        ok = r["ratio"]["median"] >= value
    elif kind == "delta_max":
        ok = r["subject_stats"]["median"] - r["baseline_stats"]["median"] <= value
    else:
        ok = r["subject_stats"]["median"] <= value
    return text, "met" if ok else "**MISSED**"


def analyse(lines):
    results = []
    for r in lines:
        if "skipped" in r:
            results.append(r)
            continue
        subj, base = r["subject_samples"], r["baseline_samples"]
        if not subj or len(subj) != len(base):
            raise SystemExit(f"report.py: {r['id']}: unpaired samples")
        wants_ratio = r.get("params", {}).get("ratio", True)
        ratios = [s / b for s, b in zip(subj, base) if b > 0] if wants_ratio else []
        r["subject_stats"] = stats(subj)
        r["baseline_stats"] = stats(base)
        r["ratio_samples"] = ratios
        r["ratio"] = stats(ratios) if ratios else None
        results.append(r)

    # One table in section order ("1. ...", "2. ..."), keeping the run's order within a section.
    def section_key(r):
        head = r["section"].split(".", 1)[0]
        return int(head) if head.isdigit() else 99

    return sorted(results, key=section_key)


def render(results, meta, notes, quick: bool) -> str:
    out = []
    mode = "quick (tiny sizes: checks that every benchmark runs; targets not judged)" if quick else "full"
    out.append(f"# NSCore benchmarks ({mode})\n")
    out.append(
        "  \n".join(f"{k}: {v}" for k, v in meta.items())
        + "\n\nEvery figure is paired with its baseline measured in the same run, interleaved round by round; "
        "ratio = subject / baseline per round, shown as median (min–max). Lower is better for times and memory, "
        "higher for rates.\n"
    )
    out.append("| # | Subject | Baseline | Subject | Baseline | Ratio | Target | Status |")
    out.append("|---|---|---|---|---|---|---|---|")
    section = None
    n = 0
    for r in results:
        if r["section"] != section:
            section = r["section"]
            out.append(f"| | **{section}** | | | | | | |")
        n += 1
        if "skipped" in r:
            out.append(f"| {n} | {r['subject']} | {r['baseline']} | skipped: {r['skipped']} | | | | |")
            continue
        unit = r["unit"]
        params = r.get("params", {})
        extra = []
        if "namespaces" in params:
            extra.append(params["namespaces"])
        subject = r["subject"] + (f" [{', '.join(extra)}]" if extra else "")
        baseline = r["baseline"] + (f" [{params['detail']}]" if "detail" in params else "")
        text, status = judge(r, quick)
        out.append(
            f"| {n} | {subject} | {baseline} | {fmt_range(r['subject_stats'], unit)} | "
            f"{fmt_range(r['baseline_stats'], unit)} | {fmt_ratio(r['ratio'])} | {text} | {status} |"
        )
    if notes:
        out.append("")
        out.extend(f"- {x}" for x in notes)
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("jsonl")
    p.add_argument("--md", required=True)
    p.add_argument("--json", required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--meta", action="append", default=[])
    p.add_argument("--note", action="append", default=[])
    a = p.parse_args()
    lines = []
    with open(a.jsonl) as f:
        for i, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise SystemExit(f"report.py: {a.jsonl}:{i}: not JSON ({e}): {line[:120]}")
    results = analyse(lines)
    meta = dict(m.split("=", 1) for m in a.meta)
    md = render(results, meta, a.note, a.quick)
    with open(a.md, "w") as f:
        f.write(md)
    for r in results:
        if "subject_stats" in r:
            t = target_for(r["id"])
            text, status = judge(r, a.quick)
            r["target"] = {"kind": t[0], "value": t[1], "text": text, "status": status.strip("*")} if t else None
    with open(a.json, "w") as f:
        json.dump({"meta": meta, "quick": a.quick, "notes": a.note, "results": results}, f, indent=1)
        f.write("\n")
    sys.stdout.write(md)
    missing = [r["id"] for r in results if "subject_stats" not in r and "skipped" not in r]
    if missing:
        raise SystemExit(f"report.py: no numbers for {missing}")


if __name__ == "__main__":
    main()
