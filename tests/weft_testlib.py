"""Shared helpers for the script tests: start weft servers on ephemeral ports, run the CLI,
wait on conditions (never on sleeps), and clean up only the processes a test started.

Outcomes: a test passes, fails (any exception), or skips (skip(), with the reason). main() runs
every test whatever happens to the others and exits 1 if any failed, else 77 (ctest: Skipped)
if any test or part of one was skipped, else 0: a skip never hides a failure. A tool that
scripts/install-deps.sh installs is required (require_tool), never a reason to skip."""
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback

WEFT = os.environ.get("WEFT_BIN", "weft")
EXAMPLES = os.environ.get("WEFT_EXAMPLES", "")
SOURCE = os.environ.get("WEFT_SOURCE", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = os.environ.get("PYTHON", sys.executable)
SEED = os.path.join(SOURCE, "tests", "interop", "seed_programs")

_started = []
_skipped_parts = []


class Skip(Exception):
    """Raised by skip(): the rest of the current test does not run; main() reports the reason."""


def skip(reason):
    """Skips the rest of the current test (main() goes on with the next one)."""
    raise Skip(reason)


def skip_part(reason):
    """Records that part of the current test cannot run here (its IPv6 half, say) and lets the
    rest go on; the script then reports Skipped unless something failed."""
    print("SKIP (part): " + reason)
    _skipped_parts.append(reason)


def require_tool(name, package):
    """The path of `name`; its absence is a failure, not a skip: `make test` installs it with
    scripts/install-deps.sh, so a missing one means that step went wrong."""
    path = shutil.which(name)
    check(path is not None, "%s is not installed (Debian package %s; scripts/install-deps.sh test installs it)"
          % (name, package))
    return path


def example(name):
    """The path of a built example program. Skips when the examples are not configured
    (WEFT_BUILD_EXAMPLES=OFF); fails when they are and this one is missing."""
    if not EXAMPLES:
        skip("the examples are not built (WEFT_BUILD_EXAMPLES=OFF)")
    path = os.path.join(EXAMPLES, name)
    check(os.access(path, os.X_OK), "example %s is not built (expected at %s)" % (name, path))
    return path


def ip_hosts():
    """The loopback addresses to test on: 127.0.0.1, and ::1 when the machine has IPv6 loopback
    (otherwise the IPv6 part is reported as skipped, never silently dropped)."""
    if has_ipv6_loopback():
        return ["127.0.0.1", "::1"]
    skip_part("no IPv6 loopback (::1 cannot be bound): the IPv6 cases did not run")
    return ["127.0.0.1"]


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
        terminate(self.proc)


def terminate(proc, timeout=10):
    """SIGTERM to a process this test started (by its PID) unless it ended; SIGKILL if it is
    still there after `timeout` seconds. Returns its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class Tap:
    """Reads a server's stderr (its access log) in a thread, so the pipe never fills; `lines`
    holds what it has read."""

    def __init__(self, srv):
        import threading
        self.srv, self.lines = srv, []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        for line in self.srv.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def stop(self):
        """SIGTERM, then the exit code; the log is complete afterwards."""
        self.srv.signal(signal.SIGTERM)
        try:
            rc = self.srv.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.srv.proc.kill()
            self.srv.proc.wait()
            rc = "killed after 15 s"
        self.thread.join(5)
        return rc


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


@contextlib.contextmanager
def refusing_port(kind=socket.SOCK_STREAM):
    """A 127.0.0.1 port where nobody answers, held for the duration of the `with`: connecting
    to it is refused, and no other process can take it meanwhile (a port bound and released
    again could be taken by a parallel test before it is used). TCP: bound, never listening.
    UDP: bound and connected to itself, so it matches no other sender's datagram and the
    kernel answers those with port unreachable."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        if kind == socket.SOCK_DGRAM:
            s.connect(("127.0.0.1", port))
        yield port


def _socket_inodes(pid):
    inodes = set()
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def _proc_net_sockets(proto):
    """(local port, state, inode) of every IPv4 and IPv6 socket in /proc/net/PROTO(6)."""
    for table in (proto, proto + "6"):
        try:
            with open("/proc/net/" + table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            yield int(f[1].rsplit(":", 1)[1], 16), f[3], f[9]


def echo_exchange(port, payload=b"ping", timeout=10):
    """One echo round trip on a new connection to 127.0.0.1:port; returns the socket, still open."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(payload)
    got = b""
    while len(got) < len(payload):
        part = s.recv(65536)
        check(part, "server closed during the exchange")
        got += part
    check(got == payload, "echo differs")
    return s


def bound_ports(pid, proto="tcp"):
    """The local ports of process pid's sockets, from /proc: listening ones for "tcp", bound
    ones for "udp"."""
    inodes = _socket_inodes(pid)
    return {port for port, state, inode in _proc_net_sockets(proto)
            if inode in inodes and (proto == "udp" or state == "0A")}  # 0A: TCP_LISTEN


def wait_for_bound_port(proc, proto="tcp", timeout=10):
    """The port a program started with port 0 has bound, once it has (read from /proc: the
    example programs do not print it). Race-free under ctest -j, unlike handing the program a
    port that was probed free beforehand."""
    found = []

    def bound():
        check(proc.poll() is None, "%s exited with %s before binding" % (proc.args[0], proc.returncode))
        found[:] = bound_ports(proc.pid, proto)
        return bool(found)
    wait_for(bound, timeout=timeout, what="%s to bind a %s port" % (proc.args[0], proto))
    check(len(found) == 1, "%s bound several %s ports: %s" % (proc.args[0], proto, found))
    return found[0]


def time_wait_ports():
    """Local ports that have a TCP connection in TIME_WAIT on this machine's loopback."""
    return {port for port, state, _ in _proc_net_sockets("tcp") if state == "06"}  # 06: TCP_TIME_WAIT


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
    """Runs every test function and prints a line per test. Exits 1 if any failed (whatever
    was skipped), else 77 if a test or part of one was skipped, else 0."""
    failed, skipped = [], []
    try:
        for t in tests:
            t0 = time.monotonic()
            parts = len(_skipped_parts)
            try:
                t()
                note = "  (part skipped)" if len(_skipped_parts) > parts else ""
                print("ok   %-50s %.2fs%s" % (t.__name__, time.monotonic() - t0, note))
            except Skip as e:
                skipped.append(t.__name__)
                print("SKIP %-50s %s" % (t.__name__, e))
            except (Exception, SystemExit) as e:  # report and go on to the next test
                failed.append(t.__name__)
                frames = traceback.extract_tb(e.__traceback__)
                # Where in the test script it failed (not inside check() here).
                where = ([f for f in frames if f.filename != __file__] or frames)[-1]
                print("FAIL %-50s %s: %s  [%s:%d]" % (t.__name__, type(e).__name__, e,
                                                     os.path.basename(where.filename), where.lineno))
    finally:
        cleanup()
    if failed:
        print("%d of %d tests failed: %s" % (len(failed), len(tests), ", ".join(failed)))
        sys.exit(1)
    if skipped or _skipped_parts:
        print("skipped: %s" % "; ".join(skipped + _skipped_parts))
        sys.exit(77)
    sys.exit(0)


@contextlib.contextmanager
def busy_cores(seconds=240):
    """Keeps every core busy (2 at least) while the block runs: one spinning process per core,
    each bounded by `seconds` by itself, so a test that dies cannot leave the machine loaded.
    Ended by PID on the way out. A test that uses it runs alone (RUN_SERIAL in CMake)."""
    code = "import time\nend = time.monotonic() + %d\nwhile time.monotonic() < end: pass\n" % seconds
    procs = []
    try:
        for _ in range(max(2, os.cpu_count() or 2)):
            procs.append(subprocess.Popen([PYTHON, "-c", code], stdin=subprocess.DEVNULL))
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


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
