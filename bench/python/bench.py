"""NSCore through the Python bindings, against the raw clone3/setns loops of bench/c/rawloop.c
(loaded with ctypes into this same interpreter), interleaved round by round.

    bench.py spawn    --rounds R --batch N [--modes a,b,c]
    bench.py join     --rounds R --batch N
    bench.py hostsize --rounds R --batch N --mib M
    bench.py threads  --rounds R --total N --threads 1,2,8
    bench.py memory   --rounds R --containers N
    bench.py run      --rounds R --batch N
    bench.py async    --rounds R --containers N [--sleep S]
    bench.py capture  --rounds R --batch N --mib M

Needs NSCORE_LIBRARY (libnscore.so) and NSBENCH_RAWLOOP (librawloop.so built by bench/run.sh).
Prints one JSON line per result (see bench/c/benchutil.h); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import resource
import subprocess
import sys
import threading
import time
import warnings

TRUE = "/bin/true"
SLEEP = "/bin/sleep"

MODES = {
    "a": ("no new namespace", 0x00, False),
    "b": ("pid+ipc+uts+mnt+net", 0x1F, False),  # uts|ipc|pid|net|mnt as NSCORE_NS_* bits
    "c": ("all eight (user, root mapped)", 0xFF, True),
}


def emit(id_, section, subject, baseline, unit, better, subj, base, **params):
    print(
        json.dumps(
            {
                "id": id_,
                "section": section,
                "subject": subject,
                "baseline": baseline,
                "unit": unit,
                "better": better,
                "subject_samples": [round(x, 6) for x in subj],
                "baseline_samples": [round(x, 6) for x in base],
                "params": params,
            }
        ),
        flush=True,
    )


def load_raw():
    raw = ctypes.CDLL(os.environ["NSBENCH_RAWLOOP"])
    raw.raw_spawn_batch.restype = ctypes.c_int64
    raw.raw_spawn_batch.argtypes = [ctypes.c_uint32, ctypes.c_char_p, ctypes.c_int]
    raw.raw_spawn_wait.restype = ctypes.c_int
    raw.raw_spawn_wait.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
    raw.raw_join_batch.restype = ctypes.c_int64
    raw.raw_join_batch.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    raw.raw_join_open.restype = ctypes.c_int
    raw.raw_join_open.argtypes = [ctypes.c_void_p, ctypes.c_int]
    raw.raw_join_close.argtypes = [ctypes.c_void_p]
    raw.raw_big_alloc.restype = ctypes.c_void_p
    raw.raw_big_alloc.argtypes = [ctypes.c_size_t]
    raw.raw_big_free.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    return raw


class RawJoin(ctypes.Structure):
    _fields_ = [("pidfd", ctypes.c_int), ("pidns_fd", ctypes.c_int), ("self_pidns_fd", ctypes.c_int), ("flags", ctypes.c_uint32)]


def raw_batch_us(raw, ns, n):
    dt = raw.raw_spawn_batch(ns, TRUE.encode(), n)
    if dt < 0:
        raise OSError(-dt, f"raw spawn (ns {ns:#x}) failed")
    return dt / n / 1e3


def nscore_batch_us(nscore, ns, map_root, n):
    spawn = nscore.spawn
    argv = [TRUE]
    t0 = time.perf_counter_ns()
    for _ in range(n):
        c = spawn(argv, namespaces=ns, map_root_user=map_root)
        code = c.wait()
        c.close()
        if code != 0:
            raise RuntimeError(f"/bin/true exited {code}")
    return (time.perf_counter_ns() - t0) / n / 1e3


def interleave(rounds, base_fn, subj_fn):
    """Runs base and subject back to back in every round, alternating which goes first."""
    subj, base = rotate(rounds, [subj_fn, base_fn])
    return subj, base


def rotate(rounds, fns):
    """Runs every function once per round, the order rotating from round to round; returns one
    list of results per function."""
    out = [[] for _ in fns]
    for r in range(rounds):
        for k in range(len(fns)):
            i = (k + r) % len(fns)
            out[i].append(fns[i]())
    return out


def small_c_us(args, n):
    """The raw loop run by a small C process (bench/c/rawonce.c), which reports its own time."""
    out = subprocess.run([os.environ["NSBENCH_RAWONCE"], *args], check=True, capture_output=True, text=True)
    return int(out.stdout) / n / 1e3


def cmd_spawn(a, nscore, raw):
    for letter in a.modes.replace(",", ""):
        name, ns, map_root = MODES[letter]
        raw_batch_us(raw, ns, a.batch // 4 + 1)
        small_c_us(["--batch", str(a.batch // 4 + 1), letter], a.batch // 4 + 1)
        nscore_batch_us(nscore, ns, map_root, a.batch // 4 + 1)
        subj, small, same = rotate(a.rounds, [
            lambda: nscore_batch_us(nscore, ns, map_root, a.batch),
            lambda: small_c_us(["--batch", str(a.batch), letter], a.batch),
            lambda: raw_batch_us(raw, ns, a.batch),
        ])
        sec = "1. spawn /bin/true + wait, in-process"
        emit(f"spawn.py.{letter}", sec, "Python nscore.spawn", "raw clone3 loop (small C process)", "us/op", "lower",
             subj, small, mode=letter, namespaces=name, batch=a.batch)
        emit(f"spawn.py.{letter}.inproc", sec, "Python nscore.spawn", "raw clone3 loop (C, in this python3)", "us/op",
             "lower", subj, same, mode=letter, namespaces=name, batch=a.batch)


def start_target(nscore):
    return nscore.spawn([SLEEP, "100000"], namespaces=MODES["b"][1], stdin=nscore.DEVNULL, kill_on_parent_death=True)


def cmd_join(a, nscore, raw):
    target = start_target(nscore)
    j = RawJoin()
    rc = raw.raw_join_open(ctypes.byref(j), target.pid)
    if rc < 0:
        raise OSError(-rc, "raw_join_open")

    def raw_us(n):
        dt = raw.raw_join_batch(ctypes.byref(j), TRUE.encode(), n)
        if dt < 0:
            raise OSError(-dt, "raw join")
        return dt / n / 1e3

    def ns_us(n):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            c = nscore.join(target.pid, [TRUE])
            code = c.wait()
            c.close()
            if code != 0:
                raise RuntimeError(f"joined /bin/true exited {code}")
        return (time.perf_counter_ns() - t0) / n / 1e3

    def small_us(n):
        return small_c_us(["--join", str(n), str(target.pid)], n)

    try:
        raw_us(a.batch // 4 + 1)
        small_us(a.batch // 4 + 1)
        ns_us(a.batch // 4 + 1)
        subj, small, same = rotate(a.rounds, [lambda: ns_us(a.batch), lambda: small_us(a.batch), lambda: raw_us(a.batch)])
        sec = "2. join a running container + /bin/true"
        emit("join.py", sec, "Python nscore.join", "raw setns+clone loop (small C process)", "us/op", "lower",
             subj, small, target="pid+ipc+uts+mnt+net", batch=a.batch)
        emit("join.py.inproc", sec, "Python nscore.join", "raw setns+clone loop (C, in this python3)", "us/op", "lower",
             subj, same, target="pid+ipc+uts+mnt+net", batch=a.batch)
    finally:
        raw.raw_join_close(ctypes.byref(j))
        target.stop(1.0)
        target.close()


# As bench.c: NSCore's spawn is ~100x shorter than the raw loop's fork of a big host, so it is
# measured over more spawns. The machine gets HOST_SETTLE_S after touching the big host (any spawn,
# posix_spawn too, is slower for a while after 2 GiB were touched) and after freeing it.
HOST_NS_BATCH_FACTOR = 4
HOST_SETTLE_S = 0.2


def cmd_hostsize(a, nscore, raw):
    """As bench.c's hostsize: a small-host and a big-host phase per round, their order
    alternating; NSCore before the raw loop in each phase, one discarded spawn of each first,
    NSCore over HOST_NS_BATCH_FACTOR times the batch, HOST_SETTLE_S after touching and freeing."""
    size = a.mib << 20
    ns_small, ns_big, raw_small, raw_big = [], [], [], []
    for r in range(a.rounds):
        for phase in range(2):
            big = (phase == 0) == (r % 2 == 1)
            mem = raw.raw_big_alloc(size) if big else None
            if big and not mem:
                raise MemoryError(f"cannot map {a.mib} MiB")
            try:
                if big:
                    time.sleep(HOST_SETTLE_S)
                nscore_batch_us(nscore, 0, False, 1)
                raw_batch_us(raw, 0, 1)
                nscore_batch_us(nscore, 0, False, 1)
                (ns_big if big else ns_small).append(nscore_batch_us(nscore, 0, False, a.batch * HOST_NS_BATCH_FACTOR))
                (raw_big if big else raw_small).append(raw_batch_us(raw, 0, a.batch))
            finally:
                if mem:
                    raw.raw_big_free(mem, size)
            if big:
                time.sleep(HOST_SETTLE_S)
    sec = "3. host-size independence"
    emit("hostsize.py", sec, f"Python spawn, host touched {a.mib} MiB", "Python spawn, small host", "us/op", "lower",
         ns_big, ns_small, mode="a", host_mib=a.mib, batch=a.batch, ns_batch=a.batch * HOST_NS_BATCH_FACTOR)
    emit("hostsize.py.raw", sec, f"raw fork-style clone3 from Python, host touched {a.mib} MiB",
         "raw fork-style clone3 from Python, small host", "us/op", "lower", raw_big, raw_small,
         mode="a", host_mib=a.mib, batch=a.batch)
    emit("hostsize.py.vsraw", sec, f"Python spawn, host touched {a.mib} MiB",
         f"raw fork-style clone3 from Python, host touched {a.mib} MiB", "us/op", "lower", ns_big, raw_big,
         mode="a", host_mib=a.mib, batch=a.batch)


def run_threads(nscore, raw, nthreads, use_nscore, total):
    per = total // nthreads
    barrier = threading.Barrier(nthreads + 1)
    errors = []

    def work():
        try:
            barrier.wait()
            for _ in range(per):
                if use_nscore:
                    c = nscore.spawn([TRUE])
                    code = c.wait()
                    c.close()
                else:
                    code = raw.raw_spawn_wait(0, TRUE.encode())
                if code != 0:
                    raise RuntimeError(f"spawn returned {code}")
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(nthreads)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    dt = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return per * nthreads / dt


def cmd_threads(a, nscore, raw):
    run_threads(nscore, raw, 2, False, 8)
    run_threads(nscore, raw, 2, True, 8)
    for n in [int(x) for x in a.threads.split(",")]:
        subj, base = interleave(
            a.rounds, lambda: run_threads(nscore, raw, n, False, a.total), lambda: run_threads(nscore, raw, n, True, a.total)
        )
        plural = "s" if n > 1 else ""
        emit(f"threads.py.{n}", "4. parallel spawns (throughput)", f"Python spawn, {n} thread{plural}",
             f"raw fork-style clone3 from Python, {n} thread{plural}", "spawns/s", "higher", subj, base,
             threads=n, spawns_per_round=a.total // n * n, mode="a")


def rss_kib(pid="self"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


LOAD_PROBE = r"""
import ctypes, dataclasses, enum, json, os, subprocess, sys, threading, warnings
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
bare = rss()
if sys.argv[1] == "cdll":
    lib = ctypes.CDLL(os.environ["NSCORE_LIBRARY"])
    lib.nscore_version_string.restype = ctypes.c_char_p
    assert lib.nscore_version_string()
else:
    import nscore
    assert nscore.__version__
print(bare, rss() - bare)
"""


def cmd_memory(a, nscore, raw):
    sec = "6. memory"
    # RSS added by loading the library: fresh interpreters, after the stdlib modules the
    # bindings use are imported; the baseline is that interpreter's own RSS.
    for how, label in (("cdll", "ctypes.CDLL(libnscore.so)"), ("import", "import nscore (bindings + library)")):
        added, bare = [], []
        for _ in range(a.rounds):
            out = subprocess.run([sys.executable, "-c", LOAD_PROBE, how], check=True, capture_output=True, text=True)
            b, d = (int(x) for x in out.stdout.split())
            bare.append(b / 1024)
            added.append(d / 1024)
        emit(f"mem.py.load.{how}", sec, f"RSS added by {label}", "RSS of the interpreter before it", "MiB", "lower",
             added, bare, how="VmRSS in a fresh python3")
    # RSS added to this process by N live containers, against N live subprocess.Popen children.
    n = a.containers
    # warm-up: the first spawn and Popen initialise lazily (the library's and Python's caches)
    w = nscore.spawn([TRUE], namespaces=MODES["b"][1])
    w.wait()
    w.close()
    subprocess.run([TRUE], check=True)
    subj, base = [], []
    for r in range(a.rounds):
        for phase in range(2):
            use_ns = (phase == 0) == (r % 2 == 1)
            before = rss_kib()
            # sleep 120: should this process be killed, the Popen children end on their own
            if use_ns:
                live = [nscore.spawn([SLEEP, "120"], namespaces=MODES["b"][1], stdin=nscore.DEVNULL,
                                     kill_on_parent_death=True) for _ in range(n)]
            else:
                live = [subprocess.Popen([SLEEP, "120"], stdin=subprocess.DEVNULL) for _ in range(n)]
            added = rss_kib() - before
            for c in live:
                c.kill()
            for c in live:
                c.wait()
                if use_ns:
                    c.close()
            del live
            (subj if use_ns else base).append(added)
    # Both are near zero (the handles live in heap pages already resident): the ratio of two
    # numbers at VmRSS's 4 KiB resolution would mean nothing, so the table shows none.
    emit("mem.py.containers", sec, f"RSS added by {n} live containers (pid+ipc+uts+mnt+net)",
         f"RSS added by {n} live subprocess.Popen children", "KiB", "lower", subj, base,
         containers=n, how="VmRSS of this python3, 4 KiB resolution", ratio=False)


# ---- 12. everyday use -------------------------------------------------------------------------

SEC_EVERYDAY = "12. everyday use"


def cmd_run(a, nscore, raw):
    """nscore.run(capture_output=True) against subprocess.run(capture_output=True): a plain
    child, then pid+mnt+net against unshare(1) making the same namespaces."""
    pmn = nscore.Namespace.PID | nscore.Namespace.MNT | nscore.Namespace.NET
    unshare = ["unshare", "--pid", "--fork", "--mount", "--net", "true"]
    cases = [
        ("a", "no new namespace", "nscore.run(['true'], capture_output=True)",
         lambda: nscore.run(["true"], capture_output=True),
         "subprocess.run(['true'], capture_output=True)",
         lambda: subprocess.run(["true"], capture_output=True)),
        ("b", "pid+mnt+net", "nscore.run(['true'], namespaces=PID|MNT|NET, capture_output=True)",
         lambda: nscore.run(["true"], namespaces=pmn, capture_output=True),
         "subprocess.run(['unshare', '--pid', '--fork', '--mount', '--net', 'true'], capture_output=True)",
         lambda: subprocess.run(unshare, capture_output=True)),
    ]
    for letter, name, subj_name, subj_fn, base_name, base_fn in cases:
        run_batch_us(subj_fn, a.batch // 4 + 1)
        run_batch_us(base_fn, a.batch // 4 + 1)
        subj, base = interleave(a.rounds, lambda f=base_fn: run_batch_us(f, a.batch),
                                lambda f=subj_fn: run_batch_us(f, a.batch))
        emit(f"everyday.run.py.{letter}", SEC_EVERYDAY, subj_name, base_name, "us/op", "lower", subj, base,
             namespaces=name, batch=a.batch)


def run_batch_us(fn, n):
    """µs per call of fn(), a run returning a CompletedProcess, over n calls."""
    t0 = time.perf_counter_ns()
    for _ in range(n):
        res = fn()
        if res.returncode != 0:
            raise RuntimeError(f"{res.args} exited {res.returncode}: {res.stderr!r}")
    return (time.perf_counter_ns() - t0) / n / 1e3


def raise_nofile():
    """Soft RLIMIT_NOFILE up to the hard limit: each pending container holds a pidfd (and an
    awaiting one a duplicate), more than the usual soft limit of 1024 for a thousand."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def thread_count():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise RuntimeError("no Threads: line")


def use_pidfd_watcher():
    """asyncio's pidfd child watcher (the default from Python 3.12; 3.11 defaults to one thread
    per child), so that the baseline waits the way nscore does."""
    if sys.version_info >= (3, 12):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        asyncio.get_event_loop_policy().set_child_watcher(asyncio.PidfdChildWatcher())


async def sample_threads(box):
    """Keeps the largest Threads: count seen in box[0] until cancelled."""
    while True:
        box[0] = max(box[0], thread_count())
        await asyncio.sleep(0.01)


def lateness(spawned, done, sleep_s):
    """(last completion - last spawn, the latest completion after the later of the command's
    end and the last spawn), in ms. spawned and done are monotonic times, by container."""
    last = max(spawned)
    late = max(d - max(s + sleep_s, last) for s, d in zip(spawned, done))
    return (max(done) - last) * 1e3, late * 1e3


async def async_nscore(nscore, n, sleep_s):
    """n containers of `sleep`, spawned one after the other, then awaited together with
    Container.wait_async and asyncio.gather."""
    before = thread_count()
    live, spawned, done = [], [], [0.0] * n
    peak = [before]

    async def one(i, c):
        code = await c.wait_async()
        done[i] = time.monotonic()
        if code != 0:
            raise RuntimeError(f"sleep exited {code}")

    try:
        for _ in range(n):
            live.append(nscore.spawn([SLEEP, str(sleep_s)], stdin=nscore.DEVNULL, kill_on_parent_death=True))
            spawned.append(time.monotonic())
        sampler = asyncio.ensure_future(sample_threads(peak))
        try:
            await asyncio.gather(*(one(i, c) for i, c in enumerate(live)))
        finally:
            sampler.cancel()
    finally:
        for c in live:
            c.close()  # kills and reaps any still running (after a failure)
    return (*lateness(spawned, done, sleep_s), peak[0], before)


async def async_subprocess(n, sleep_s):
    """The same with asyncio.create_subprocess_exec and Process.wait."""
    before = thread_count()
    live, spawned, done = [], [], [0.0] * n
    peak = [before]

    async def one(i, p):
        code = await p.wait()
        done[i] = time.monotonic()
        if code != 0:
            raise RuntimeError(f"sleep exited {code}")

    try:
        for _ in range(n):
            live.append(await asyncio.create_subprocess_exec(SLEEP, str(sleep_s), stdin=subprocess.DEVNULL))
            spawned.append(time.monotonic())
        sampler = asyncio.ensure_future(sample_threads(peak))
        try:
            await asyncio.gather(*(one(i, p) for i, p in enumerate(live)))
        finally:
            sampler.cancel()
    finally:
        for p in live:
            if p.returncode is None:
                try:
                    p.kill()
                except ProcessLookupError:
                    pass
                await p.wait()
    return (*lateness(spawned, done, sleep_s), peak[0], before)


def cmd_async(a, nscore, raw):
    raise_nofile()
    use_pidfd_watcher()
    n, sleep_s = a.containers, a.sleep
    out = {"ns": [], "sub": []}

    async def main():
        await async_nscore(nscore, min(n, 20), sleep_s)
        await async_subprocess(min(n, 20), sleep_s)
        for r in range(a.rounds):
            order = ["ns", "sub"] if r % 2 == 0 else ["sub", "ns"]
            for side in order:
                res = await (async_nscore(nscore, n, sleep_s) if side == "ns" else async_subprocess(n, sleep_s))
                out[side].append(res)

    asyncio.run(main())
    ns, sub = out["ns"], out["sub"]
    subj_name = f"Python: {n} nscore.spawn(sleep {sleep_s}), then asyncio.gather of Container.wait_async()"
    base_name = (f"{n} asyncio.create_subprocess_exec(sleep {sleep_s}), then asyncio.gather of Process.wait() "
                 "(pidfd watcher)")
    params = dict(containers=n, sleep_s=sleep_s, namespaces="no new namespace")
    emit("everyday.async.py.last", SEC_EVERYDAY, f"{subj_name}: last completion - last spawn", base_name, "ms",
         "lower", [x[0] for x in ns], [x[0] for x in sub], **params)
    emit("everyday.async.py.late", SEC_EVERYDAY,
         f"Python, the same: latest completion - max(its spawn + {sleep_s} s, last spawn)", base_name, "ms",
         "lower", [x[1] for x in ns], [x[1] for x in sub], **params)
    emit("everyday.async.py.threads", SEC_EVERYDAY, "Python, the same: most threads during the waits",
         "threads of the process before the spawns", "threads", "lower", [x[2] for x in ns], [x[3] for x in ns],
         ratio=False, **params)
    emit("everyday.async.py.threads.peer", SEC_EVERYDAY, "asyncio subprocesses: most threads during the waits",
         "threads of the process before the spawns", "threads", "lower", [x[2] for x in sub], [x[3] for x in sub],
         ratio=False, **params)


def cmd_capture(a, nscore, raw):
    size = a.mib << 20
    argv = ["head", "-c", str(size), "/dev/zero"]

    def mib_s(fn):
        t0 = time.perf_counter_ns()
        for _ in range(a.batch):
            res = fn()
            if res.returncode != 0 or len(res.stdout) != size:
                raise RuntimeError(f"capture: exit {res.returncode}, {len(res.stdout)} bytes")
        return a.mib * a.batch / ((time.perf_counter_ns() - t0) / 1e9)

    subj_fn = lambda: nscore.run(argv, capture_output=True)  # noqa: E731
    base_fn = lambda: subprocess.run(argv, capture_output=True)  # noqa: E731
    subj_fn()
    base_fn()
    subj, base = interleave(a.rounds, lambda: mib_s(base_fn), lambda: mib_s(subj_fn))
    emit("everyday.capture.py", SEC_EVERYDAY, f"nscore.run(head -c {a.mib} MiB, capture_output=True)",
         "subprocess.run(the same, capture_output=True)", "MiB/s", "higher", subj, base, mib=a.mib, batch=a.batch,
         namespaces="no new namespace")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["spawn", "join", "hostsize", "threads", "memory", "run", "async", "capture"])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batch", type=int, default=10)
    p.add_argument("--modes", default="a,b,c")
    p.add_argument("--mib", type=int, default=2048)
    p.add_argument("--total", type=int, default=64)
    p.add_argument("--threads", default="1,2,8")
    p.add_argument("--containers", type=int, default=100)
    p.add_argument("--sleep", type=float, default=0.2)
    a = p.parse_args()
    raw = load_raw()
    raw.raw_die_with_parent()  # nothing outlives a killed run
    import nscore

    cmds = {"spawn": cmd_spawn, "join": cmd_join, "hostsize": cmd_hostsize, "threads": cmd_threads,
            "memory": cmd_memory, "run": cmd_run, "async": cmd_async, "capture": cmd_capture}
    cmds[a.cmd](a, nscore, raw)


if __name__ == "__main__":
    main()
