"""What the benchmark harnesses share (bench/capture/bench_capture.py, bench/dhcp/bench_dhcp.py):
the processes a harness starts, and only those (kept in STARTED, reaped, stopped by PID, timed
with wait4's rusage), and the CPU accounting of a process and of each core (/proc/PID/task/*/
schedstat, /proc/stat)."""
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
