#!/usr/bin/env python3
"""Per-thread CPU of a process while a command runs (docs/performance.md, "The secured broker on
the shared loop"): is one thread the bottleneck?

    bench/tools/thread_cpu.py COMMAND [ARGS...]          # the command's own threads
    SAMPLE_PID=<pid> bench/tools/thread_cpu.py COMMAND   # another process's, e.g. the broker JVM

Samples /proc/<pid>/task/*/stat (utime + stime) every 0.2 s until COMMAND exits, prints
COMMAND's output, then per thread (the 25 busiest): its name, the CPU seconds it used while
sampled, the span it was seen alive and the share of that span it was on a CPU ("busy"). A thread
near 100 % busy is saturated. Linux only; the process must be readable by the caller.
"""
import os
import subprocess
import sys
import tempfile
import time

TICK = os.sysconf("SC_CLK_TCK")


def sample(pid, seen, start, counts_from_zero):
    """One sample of every thread of `pid`. A thread's CPU counts from 0 when the process is the
    command's own (all its threads are new), else from the thread's first sample."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return
    now = time.time() - start
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                data = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = data[data.index("(") + 1:data.rindex(")")]
        fields = data[data.rindex(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        prev = seen.get(tid)
        first_cpu, first_seen = (prev[4], prev[2]) if prev else (0.0 if counts_from_zero else cpu, now)
        seen[tid] = (name, cpu - first_cpu, first_seen, now, first_cpu)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    # The command's output goes to a file, not a pipe nobody reads while it runs (a pipe fills
    # at 64 KiB and would stop it); its errors go where ours go.
    with tempfile.TemporaryFile() as output:
        command = subprocess.Popen(sys.argv[1:], stdout=output)
        target = int(os.environ.get("SAMPLE_PID", command.pid))
        seen, start = {}, time.time()
        while command.poll() is None:
            sample(target, seen, start, target == command.pid)
            time.sleep(0.2)
        output.seek(0)
        print(output.read().decode(errors="replace"))
    print(f"wall {time.time() - start:.1f} s, threads of pid {target}:")
    for tid, (name, cpu, first, last, _) in sorted(seen.items(), key=lambda kv: -kv[1][1])[:25]:
        span = max(last - first, 0.2)
        print(f"{tid:>8} {name:<16} cpu {cpu:6.2f} s  alive {first:6.1f}-{last:6.1f} s  busy {cpu / span:5.0%}")
    sys.exit(command.returncode)


if __name__ == "__main__":
    main()
