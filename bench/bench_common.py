"""What the benchmark harnesses share (bench/capture/bench_capture.py, bench/dhcp/bench_dhcp.py;
bench/dns and bench/http use core_ticks): the processes a harness starts, and only those (kept
in STARTED, reaped, stopped by PID, timed with wait4's rusage), the CPU accounting of a process
and of each core (/proc/PID/task/*/schedstat, /proc/stat), and what other processes took
meanwhile (/proc/PID/stat)."""
import os
import re
import signal
import subprocess
import time

STARTED = []  # Popen objects of every process started by the harness and not yet reaped


def reap(proc, timeout):
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc in STARTED:
        STARTED.remove(proc)


def stop_all():
    """SIGTERM to every process started here and still running, SIGKILL after 5 s."""
    for proc in list(STARTED):
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
            except OSError:
                pass
    deadline = time.time() + 5
    for proc in list(STARTED):
        reap(proc, max(0.1, deadline - time.time()))


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


def must(args):
    r = run(args)
    if r.returncode != 0:
        raise RuntimeError(f"`{' '.join(args)}` failed: {(r.stderr or r.stdout).strip()}")
    return r.stdout


def wait_child(proc, limit_s):
    """Waits for proc with wait4 (its rusage), killing it after limit_s seconds.
    Returns (exit code, wall seconds, rusage)."""
    t0 = time.monotonic()
    signal.signal(signal.SIGALRM, lambda *_: proc.kill())
    signal.setitimer(signal.ITIMER_REAL, limit_s)
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc in STARTED:
        STARTED.remove(proc)
    return proc.returncode, wall, ru


def schedstat_ns(pid):
    """Run time in ns of every thread of pid (0 when it is gone)."""
    total = 0
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError):
                pass
    except OSError:
        pass
    return total


def core_ticks():
    """{cpu: (busy, total)} in USER_HZ ticks from /proc/stat."""
    res = {}
    with open("/proc/stat") as f:
        for line in f:
            m = re.match(r"cpu(\d+) (.*)", line)
            if m:
                v = [int(x) for x in m.group(2).split()]
                res[m.group(1)] = (sum(v[:8]) - v[3] - v[4], sum(v[:8]))
    return res


def busy_between(t0, t1, cpu):
    b = t1[cpu][0] - t0[cpu][0]
    t = t1[cpu][1] - t0[cpu][1]
    return b / t if t else float("nan")


PF_KTHREAD = 0x00200000  # /proc/PID/stat flags: a kernel thread


def proc_cpu():
    """{pid: (comm, CPU ticks, kernel thread?, last core)} of every process now (utime + stime,
    flags and processor of /proc/PID/stat)."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                text = f.read()
        except OSError:
            continue
        head, rest = text.rsplit(")", 1)
        v = rest.split()
        out[int(pid)] = (head.split("(", 1)[1], int(v[11]) + int(v[12]), bool(int(v[6]) & PF_KTHREAD), int(v[36]))
    return out


def others_busy(before, after, mine):
    """The processes not in `mine` that took CPU between two proc_cpu() snapshots, the largest
    first: [(comm, seconds, kernel thread?, last core)]. A process started meanwhile counts with
    all of its time; one that came and went in between is not seen."""
    hz = os.sysconf("SC_CLK_TCK")
    rows = []
    for pid, (comm, t1, kthread, core) in after.items():
        if pid in mine:
            continue
        dt = t1 - before[pid][1] if pid in before else t1
        if dt > 0:
            rows.append((comm, dt / hz, kthread, core))
    return sorted(rows, key=lambda r: -r[1])


def heavy_processes():
    """Compilers and load generators running now that this harness did not start (other
    people's work on this machine)."""
    r = run(["pgrep", "-af", r"(^|/)(cc1plus|cc1|ninja|make|wrk|dnsperf|perfdhcp|lintian|ld)( |$)"])
    mine = {str(p.pid) for p in STARTED}
    return [line for line in r.stdout.splitlines() if line.split()[0] not in mine]
