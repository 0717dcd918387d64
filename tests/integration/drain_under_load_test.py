"""The graceful stop under CPU load (issue 8, section 1): `weft tcp serve` stopped with SIGTERM
while a client is still sending 16 MiB and reading the echo slowly must answer every byte,
run after run, with both cores kept busy. Before the stop judged connections by their state,
a connection the loaded client left silent for 100 ms was cut with an RST mid-echo.

Also: three idle clients do not hold the stop up, under the same load."""
import os
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import busy_cores, check, main, pattern, recv_until_closed, weft_serve  # noqa: E402

RUNS = 20
SIZE = 16 << 20          # bytes each client sends (and must get back)
READ_RATE = 40 << 20     # bytes/s the client reads the echo at: slower than it sends


def server_unread(server_port, client_port):
    """Bytes in the receive queue of the server's end of the connection (/proc/net/tcp), or
    None while the kernel lists no such socket."""
    local, remote = "0100007F:%04X" % server_port, "0100007F:%04X" % client_port
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == local and fields[2] == remote:
                return int(fields[4].split(":")[1], 16)
    return None


def one_run(data, run):
    srv = weft_serve("tcp", "-q", "--drain-timeout", "60")
    conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A small receive buffer, set before connecting (no autotuning): the echo backs up into
    # the server after a few hundred KiB, whatever the kernel's buffer limits are.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 << 10)
    conn.settimeout(60)
    conn.connect(("127.0.0.1", srv.port))
    sent = [0]
    errors = []

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
        start = time.monotonic()
        conn.settimeout(60)
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
            # Pace the reading: the server's echo backs up and its handler blocks writing.
            ahead = len(received) / READ_RATE - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)

    threads = [threading.Thread(target=sender), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    # SIGTERM once half is sent and the server holds bytes it has not read: the client reads
    # slower than it sends, so the server is blocked writing the echo, mid-exchange. While the
    # sender has more to send its receive queue stays filled: the state lasts past the signal.
    client_port = conn.getsockname()[1]
    deadline, mid_exchange = time.monotonic() + 60, False
    while not mid_exchange and time.monotonic() < deadline and not errors:
        mid_exchange = sent[0] >= SIZE // 2 and bool(server_unread(srv.port, client_port))
        if not mid_exchange:
            time.sleep(0.005)  # polling the sender's progress, bounded by the deadline
    srv.signal(signal.SIGTERM)
    for t in threads:
        t.join(120)
    conn.close()
    rc, _, err = srv.wait(timeout=60)
    check(not errors, "run %d: %s" % (run, errors))
    check(mid_exchange, "run %d: the server never held unread bytes after half was sent" % run)
    check(how == ["eof"], "run %d: the echo ended with %s after %d of %d bytes (sent %d)"
          % (run, how, len(received), SIZE, sent[0]))
    check(bytes(received) == data, "run %d: the echo differs from what was sent" % run)
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
