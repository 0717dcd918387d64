"""Shared helpers for the script tests: start weft servers on ephemeral ports, run the CLI,
wait on conditions (never on sleeps), and clean up only the processes a test started."""
import os
import signal
import socket
import subprocess
import sys
import time

WEFT = os.environ.get("WEFT_BIN", "weft")
EXAMPLES = os.environ.get("WEFT_EXAMPLES", "")
SOURCE = os.environ.get("WEFT_SOURCE", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = os.environ.get("PYTHON", sys.executable)
SEED = os.path.join(SOURCE, "tests", "interop", "seed_programs")

_started = []


def skip(reason):
    """Exit with ctest's skip code after saying why."""
    print("SKIP: " + reason)
    sys.exit(77)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Server:
    """A server process that prints 'listening on ADDR:PORT' once it is bound."""

    def __init__(self, argv, timeout=10):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _started.append(self.proc)
        line = _readline_with_deadline(self.proc, timeout)
        check(line.startswith("listening on "), "server did not report its address: %r (stderr: %s)"
              % (line, self._stderr_now()))
        self.banner = line
        addr = line.split()[2]
        self.host, _, port = addr.rpartition(":")
        self.host = self.host.strip("[]")
        self.port = int(port)

    def _stderr_now(self):
        if self.proc.poll() is None:
            return "(still running)"
        return self.proc.stderr.read()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=15):
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _readline_with_deadline(proc, timeout):
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(timeout=max(0.0, deadline - time.monotonic())):
            return proc.stdout.readline().strip()
        if proc.poll() is not None:
            break
    return ""


def weft_serve(kind, *args):
    return Server([WEFT, kind, "serve", "--port", "0", *args])


def run(argv, input=None, timeout=30):
    """Runs a command to completion; returns (rc, stdout bytes, stderr text)."""
    p = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def free_port(family=socket.AF_INET, kind=socket.SOCK_STREAM):
    """A port nobody listens on right now (bound then released)."""
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for(cond, timeout=10, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.01)  # polling a condition, bounded by the deadline
    raise AssertionError("timed out waiting for " + what)


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def pattern(n, seed=1):
    """n bytes that a lost, duplicated or reordered block would break."""
    import random
    return random.Random(seed).randbytes(n)


def cleanup():
    for p in _started:
        if p.poll() is None:
            p.kill()
            p.wait()


def main(tests):
    """Runs each test function, prints a line per test, exits 1 if any failed."""
    failed = 0
    try:
        for t in tests:
            t0 = time.monotonic()
            try:
                t()
                print("ok   %-50s %.2fs" % (t.__name__, time.monotonic() - t0))
            except Exception as e:  # report and go on to the next test
                failed += 1
                print("FAIL %-50s %s: %s" % (t.__name__, type(e).__name__, e))
    finally:
        cleanup()
    sys.exit(1 if failed else 0)


def raise_fd_limit(wanted):
    """Raises this process's soft RLIMIT_NOFILE towards `wanted` (children inherit it);
    returns the soft limit now in force."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def recv_until_closed(sock, timeout=10):
    """Everything the peer sends until it closes; (data, how) with how "eof" or "reset".
    Raises socket.timeout when the peer neither sends nor closes within `timeout`."""
    sock.settimeout(timeout)
    got = bytearray()
    while True:
        try:
            part = sock.recv(65536)
        except ConnectionResetError:
            return bytes(got), "reset"
        if not part:
            return bytes(got), "eof"
        got += part
