"""The graceful stop under CPU load (issue 8, section 1): `weft tcp serve` stopped with SIGTERM
while a client is still sending 16 MiB and reading the echo slowly must answer every byte,
run after run, with both cores kept busy. Before the stop judged connections by their state,
a connection the loaded client left silent for 100 ms was cut with an RST mid-echo.

Also: three idle clients do not hold the stop up, under the same load."""
import fcntl
import os
import signal
import socket
import struct
import sys
import termios
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import busy_cores, check, main, pattern, recv_until_closed, wait_for, weft_serve  # noqa: E402

RUNS = 20
SIZE = 16 << 20          # bytes each client sends (and must get back)
READ_RATE = 40 << 20     # bytes/s the client reads the echo at: slower than it sends


def refused(port):
    """Whether a connect to the server is refused: its listener is closed, so its stop began."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return False
    except ConnectionRefusedError:
        return True


def one_run(data, run):
    # One loop: the listener's close and the judgement of every connection happen in one call
    # of the stop, so a refused connect below means this connection has been judged.
    srv = weft_serve("tcp", "-q", "--drain-timeout", "60", "--threads", "1")
    conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A small receive buffer, set before connecting (no autotuning), so the accounting below
    # is reached with a few MiB whatever the kernel's defaults.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 << 10)
    conn.settimeout(60)
    conn.connect(("127.0.0.1", srv.port))
    # What the server can have echoed while the client reads nothing: the client's receive
    # buffer plus the server's send buffer at its largest (both upper bounds of the data they hold).
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        echo_room = conn.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) + int(f.read().split()[2])
    sent = [0]
    errors = []
    release = threading.Event()

    def sender():
        try:
            view = memoryview(data)
            for i in range(0, len(view), 65536):
                conn.sendall(view[i:i + 65536])
                sent[0] = i + len(view[i:i + 65536])
            conn.shutdown(socket.SHUT_WR)
        except OSError as e:
            errors.append("send: %s" % e)

    received = bytearray()
    how = []

    def reader():
        if not release.wait(120):
            how.append("never released")
            return
        start = time.monotonic()
        while True:
            try:
                part = conn.recv(65536)
            except ConnectionResetError:
                how.append("reset")
                return
            except OSError as e:
                how.append("error: %s" % e)
                return
            if not part:
                how.append("eof")
                return
            received.extend(part)
            # Pace the reading, a slow client: the server's echo keeps backing up.
            ahead = len(received) / READ_RATE - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)

    threads = [threading.Thread(target=sender), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    # The reader waits while the server's kernel acknowledges more than the server can have
    # echoed into the buffers: from then on the server holds bytes it has not answered (unread,
    # or in a write that waits), and nothing can change that until the client reads. It is
    # mid-exchange when the stop judges it, however the threads and processes are scheduled.
    deadline, acked = time.monotonic() + 60, 0
    try:
        while acked <= echo_room + (64 << 10) and time.monotonic() < deadline and not errors:
            handed = sent[0]  # first: SIOCOUTQ may count part of a sendall not yet in sent[0]
            acked = handed - struct.unpack("i", fcntl.ioctl(conn.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
            if acked <= echo_room + (64 << 10):
                time.sleep(0.005)  # polling the kernel's counts, bounded by the deadline
        check(acked > echo_room + (64 << 10), "run %d: the server's kernel acknowledged only %d bytes, %d can be "
              "echoed into buffers (%s)" % (run, acked, echo_room, errors))
        srv.signal(signal.SIGTERM)
        wait_for(lambda: refused(srv.port), timeout=30, what="the server to stop accepting after SIGTERM")
    finally:
        release.set()
    for t in threads:
        t.join(120)
    conn.close()
    rc, _, err = srv.wait(timeout=60)
    check(not errors, "run %d: %s" % (run, errors))
    check(how == ["eof"], "run %d: the echo ended with %s after %d of %d bytes (sent %d)"
          % (run, how, len(received), SIZE, sent[0]))
    check(bytes(received) == data, "run %d: the echo differs from what was sent (%d of %d bytes came back)"
          % (run, len(received), SIZE))
    check(rc == 0, "run %d: weft tcp serve exited %s: %s" % (run, rc, err))


def test_sigterm_mid_echo_loses_nothing_under_load():
    data = pattern(SIZE, seed=8)
    with busy_cores():
        for run in range(1, RUNS + 1):
            one_run(data, run)


def test_idle_clients_do_not_delay_the_stop_under_load():
    with busy_cores():
        srv = weft_serve("tcp", "-q", "--drain-timeout", "60")
        idle = []
        for _ in range(3):
            c = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
            c.sendall(b"ping")
            check(c.recv(16) == b"ping", "no echo")
            idle.append(c)
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        for c in idle:
            data, how = recv_until_closed(c, timeout=30)
            check((data, how) == (b"", "eof"), "an idle client got %r / %s, not a clean EOF" % (data, how))
            c.close()
        rc, _, err = srv.wait(timeout=60)
        elapsed = time.monotonic() - t0
        check(rc == 0, "exit %s: %s" % (rc, err))
        # The drain timeout is 60 s: idle connections must not be waited for.
        check(elapsed < 20, "the stop took %.1fs with three idle clients" % elapsed)


if __name__ == "__main__":
    main([test_sigterm_mid_echo_loses_nothing_under_load, test_idle_clients_do_not_delay_the_stop_under_load])
