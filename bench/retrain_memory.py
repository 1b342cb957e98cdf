"""The monthly retrain's memory as a 1 GiB VM sees it: anonymous memory (RssAnon) per process and in total.

    .venv/bin/python -m bench.retrain_memory [--cpu 0]

The same retrain as ``bench.retrain`` (three pairs, shipped settings, pinned to one core), with the
retrain's process tree sampled every 50 ms from /proc: each process's peak RssAnon (its own memory,
what a cgroup's MemoryMax and the VM really spend on it), RssFile (library and file pages, shared with
every other Python process and reclaimable as page cache) and the peak of the tree's summed RssAnon.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.retrain import _env, _setup


def _status(pid: int) -> dict[str, int]:
    """The kB figures of /proc/PID/status that matter here ({} if the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile", "RssShmem", "VmRSS"):
            out[key] = int(value.split()[0])
    return out


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree(root: int) -> list[int]:
    todo, seen = [root], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo += _children(pid)
    return seen


def _name(pid: int) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    text = " ".join(a.decode(errors="replace") for a in args if a)
    for phase in ("fit", "export", "holdback"):
        if f"--phase {phase}" in text:
            pair = text.split("--pairs ", 1)[1].split()[0] if "--pairs " in text else "?"
            return f"{pair} {phase}"
    return "retrain (parent)" if "retrain" in text else text[:40]


def main() -> None:
    """Run the retrain once, sampling its process tree; print each process's peaks and the tree's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", type=int, default=0, help="the core the retrain is pinned to (default 0)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, retrain pinned to core {args.cpu}; load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        config = _setup(Path(tmp))
        argv = ["taskset", "-c", str(args.cpu), sys.executable, "-m", "fxbot.cli", "retrain"]
        argv += ["--as-of", "2025-01-15", "--timeout", "7000", "--config", str(config)]
        peaks: dict[int, dict[str, int]] = {}
        names: dict[int, str] = {}
        tree_anon = 0
        start = time.monotonic()
        child = subprocess.Popen(argv, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while child.poll() is None:
            total = 0
            for pid in _tree(child.pid):
                now = _status(pid)
                if not now:
                    continue
                names.setdefault(pid, _name(pid))
                best = peaks.setdefault(pid, {})
                for key, value in now.items():
                    best[key] = max(best.get(key, 0), value)
                total += now.get("RssAnon", 0)
            tree_anon = max(tree_anon, total)
            time.sleep(0.05)
        wall = time.monotonic() - start
    print(f"retrain exit {child.returncode}, wall {wall:.0f} s")
    print(f"{'process':<22} {'RssAnon':>8} {'RssFile':>8} {'VmRSS':>8}  (peak MiB)")
    for pid, best in peaks.items():
        if best.get("VmRSS", 0) < 20 * 1024:  # taskset and short helpers
            continue
        mib = {k: v / 1024 for k, v in best.items()}
        print(f"{names[pid]:<22} {mib['RssAnon']:>8.0f} {mib['RssFile']:>8.0f} {mib['VmRSS']:>8.0f}")
    print(f"peak of the tree's summed RssAnon: {tree_anon / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
