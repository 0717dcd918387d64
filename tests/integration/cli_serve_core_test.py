"""weft tcp serve / udp serve on the event-driven core: --threads, --idle-timeout,
--max-connections, many connections at once, batched UDP on several loops, and the async
example server."""
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403


def test_threads_2_second_server_still_in_use():
    srv = weft_serve("tcp", "--threads", "2", "-q")
    try:
        rc, _, err = run([WEFT, "tcp", "serve", "--port", str(srv.port), "--threads", "2"], timeout=10)
        check(rc == 1, "second server rc %d (stderr %r)" % (rc, err))
        check("in use" in err and str(srv.port) in err, "stderr: %r" % err)
        echo_exchange(srv.port).close()  # the first one is unharmed
    finally:
        srv.stop()


def test_idle_timeout_closes_silent_client():
    # 3 s: long enough that a client pausing 0.1 s between messages is nowhere near idle, even
    # on a loaded machine under the sanitizers.
    srv = weft_serve("tcp", "--idle-timeout", "3", "-q")
    try:
        # Taken before the connection's last activity, so however slow this process is, a
        # correct server cannot close it before t0 + 3 s - 0.1 s: its clock is the time its loop
        # turn began, which may be a little before the bytes arrived (0.1 s allows for a turn
        # preempted on a busy machine).
        t0 = time.monotonic()
        s = echo_exchange(srv.port)  # accepted and served
        data, how = recv_until_closed(s, timeout=15)
        elapsed = time.monotonic() - t0
        check(data == b"" and how == "eof", "silent client got %r / %s" % (data, how))
        check(elapsed >= 2.9, "closed after %.3fs, before the 3 s idle timeout" % elapsed)
        s.close()
        # A client that keeps talking, for longer than the idle timeout, is not idle.
        s = echo_exchange(srv.port)
        t0 = time.monotonic()
        i = 0
        while time.monotonic() - t0 < 4.0:
            msg = b"message %d" % i
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                part = s.recv(64)
                check(part, "talking client was closed after %.2fs" % (time.monotonic() - t0))
                got += part
            check(got == msg, "talking client lost its echo")
            i += 1
            time.sleep(0.1)  # the pace of a live client, not a synchronisation
        s.close()
    finally:
        srv.stop()


def test_max_connections_refuses_the_next_one_at_once():
    # What the client over the limit sees: the connection is accepted and closed at once
    # (EOF, no data), instead of hanging in the backlog.
    srv = weft_serve("tcp", "--max-connections", "3", "--threads", "1", "-q")
    try:
        held = [echo_exchange(srv.port, b"conn %d" % i) for i in range(3)]
        extra = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        data, how = recv_until_closed(extra, timeout=5)
        check(data == b"" and how == "eof", "4th connection got %r / %s" % (data, how))
        extra.close()
        for s in held:  # the three admitted ones are still served
            s.sendall(b"still here")
            check(s.recv(64) == b"still here", "admitted connection lost")
        held.pop().close()

        # One slot freed: a new client is served once the server has seen the close.
        def served():
            try:
                echo_exchange(srv.port, b"after", timeout=2).close()
                return True
            except (AssertionError, OSError):
                return False
        wait_for(served, timeout=10, what="a freed slot to admit a new connection")
        for s in held:
            s.close()
    finally:
        srv.stop()


def test_1000_concurrent_connections_every_byte_verified():
    count, size = 1000, 16 << 10
    if raise_fd_limit(count + 200) < count + 100:
        skip("RLIMIT_NOFILE too low for %d connections" % count)
    srv = weft_serve("tcp", "-q")
    socks = []
    try:
        deadline = time.monotonic() + 60
        for _ in range(count):
            socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=10))
        sel = selectors.DefaultSelector()
        state = {}
        for i, s in enumerate(socks):
            s.setblocking(False)
            payload = pattern(size, seed=i)
            state[s.fileno()] = [s, payload, 0, bytearray()]  # sock, payload, sent, received
            sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        done = 0
        while done < count:
            check(time.monotonic() < deadline, "only %d of %d connections echoed in time" % (done, count))
            for key, events in sel.select(timeout=1):
                st = state[key.fd]
                s, payload = st[0], st[1]
                if events & selectors.EVENT_WRITE and st[2] < len(payload):
                    try:
                        st[2] += s.send(payload[st[2]:st[2] + 65536])
                    except BlockingIOError:
                        pass
                    if st[2] == len(payload):
                        sel.modify(s, selectors.EVENT_READ)
                if events & selectors.EVENT_READ:
                    try:
                        part = s.recv(65536)
                    except BlockingIOError:
                        continue
                    check(part, "connection %d closed after %d bytes" % (key.fd, len(st[3])))
                    st[3] += part
                    check(len(st[3]) <= len(payload), "more bytes came back than were sent")
                    if len(st[3]) == len(payload):
                        check(bytes(st[3]) == payload, "echo differs on one connection")
                        sel.unregister(s)
                        done += 1
        check(srv.proc.poll() is None, "server exited")
    finally:
        for s in socks:
            s.close()
        srv.stop()


def udp_burst(port, sockets=8, per_socket=250, window=16, upper=True):
    """Sends sockets*per_socket distinct datagrams, at most `window` unanswered per socket
    (a slot held by a dropped datagram is freed after 0.5 s without a reply), and checks
    every reply's content. Returns (answered, sent). 8 x 16 in flight is what the server's
    default receive buffer holds on loopback; at 8 x 32 the kernel drops a few percent
    (RcvbufErrors) before the server sees them, however fast it drains."""
    clients = []
    try:
        sel = selectors.DefaultSelector()
        expected = {}
        for c in range(sockets):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            clients.append(s)
            # next to send, in flight, replies seen, time of last progress
            sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE,
                         {"c": c, "next": 0, "flight": 0, "seen": set(), "t": time.monotonic()})
            for i in range(per_socket):
                expected[(c, i)] = b"%d:%d:" % (c, i) + pattern(64 + i, seed=c * 1000 + i)
        received = 0
        last_reply = time.monotonic()
        hard_deadline = time.monotonic() + 30
        while received < len(expected) and time.monotonic() < hard_deadline:
            now = time.monotonic()
            if now - last_reply > 5:  # margin for a loaded machine; costs time only on loss
                break  # whatever is still missing was dropped
            for key, ev in sel.select(timeout=0.1):
                st = key.data
                if ev & selectors.EVENT_READ:
                    while True:
                        try:
                            reply = key.fileobj.recv(65536)
                        except BlockingIOError:
                            break
                        head = reply.split(b":", 2)
                        k = (int(head[0]), int(head[1]))
                        check(k[0] == st["c"], "a reply came to the wrong socket")
                        want = expected[k].upper() if upper else expected[k]
                        check(reply == want, "reply %r differs" % (k,))
                        check(k not in st["seen"], "duplicate reply %r" % (k,))
                        st["seen"].add(k)
                        st["flight"] -= 1
                        st["t"] = last_reply = time.monotonic()
                        received += 1
                if ev & selectors.EVENT_WRITE:
                    while st["next"] < per_socket and st["flight"] < window:
                        key.fileobj.send(expected[(st["c"], st["next"])])
                        st["next"] += 1
                        st["flight"] += 1
                    if st["next"] == per_socket:
                        sel.modify(key.fileobj, selectors.EVENT_READ, st)
            now = time.monotonic()
            for key in sel.get_map().values():
                st = key.data
                if st["flight"] > 0 and now - st["t"] > 0.5:
                    st["flight"], st["t"] = 0, now  # count what is in flight as lost
        return received, len(expected)
    finally:
        for s in clients:
            s.close()


def test_udp_burst_from_8_sockets():
    srv = weft_serve("udp", "-q")  # upper by default
    try:
        received, total = udp_burst(srv.port)
        check(received >= 0.99 * total, "only %d of %d datagrams answered" % (received, total))
        srv.signal(signal.SIGTERM)
        rc, _, err = srv.wait()
        check(rc == 0, "udp serve exit %d: %s" % (rc, err))
    finally:
        srv.stop()


def test_logs_each_connection_unless_quiet():
    srv = weft_serve("tcp")
    s = echo_exchange(srv.port, b"12345")
    local = "%s:%d" % s.getsockname()
    s.close()
    # The close is logged by the server once it has seen it; SIGTERM then ends the server.
    srv.signal(signal.SIGTERM)
    rc, _, err = srv.wait()
    check(rc == 0, "exit %d" % rc)
    check(local + " connected" in err, "stderr lacks the connection: %r" % err)
    check(local + " closed after 5 bytes" in err, "stderr lacks the close: %r" % err)
    check("stopped: 1 connections served" in err, "stderr lacks the summary: %r" % err)


def test_usage_errors_name_the_argument():
    for argv, needle in [
        (["tcp", "serve", "--threads", "0"], "invalid --threads '0'"),
        (["tcp", "serve", "--threads", "two"], "invalid --threads 'two'"),
        (["tcp", "serve", "--idle-timeout", "-1"], "invalid --idle-timeout '-1'"),
        (["tcp", "serve", "--max-connections", "x"], "invalid --max-connections 'x'"),
        (["tcp", "serve", "--drain-timeout", "soon"], "invalid --drain-timeout 'soon'"),
        (["udp", "serve", "--port", "65536"], "invalid port '65536'"),
        (["udp", "serve", "--mode", "shout"], "shout"),
        (["udp", "serve", "--threads", "0"], "invalid --threads '0'"),
        (["udp", "serve", "--threads", "many"], "invalid --threads 'many'"),
    ]:
        rc, _, err = run([WEFT, *argv], timeout=10)
        check(rc == 2, "%s: rc %d" % (argv, rc))
        check(needle in err, "%s: stderr %r lacks %r" % (argv, err, needle))


def test_udp_second_server_in_use():
    srv = weft_serve("udp", "-q")
    try:
        rc, _, err = run([WEFT, "udp", "serve", "--port", str(srv.port)], timeout=10)
        check(rc == 1 and "in use" in err and str(srv.port) in err, "rc %d stderr %r" % (rc, err))
    finally:
        srv.stop()


def test_udp_threads_2_answers_logs_senders_and_keeps_the_port():
    srv = weft_serve("udp", "--threads", "2")
    try:
        check("2 threads" in srv.banner, "listening line: %r" % srv.banner)
        # Several sockets (source ports), so that both loops' sockets are likely to answer.
        senders = []
        for i in range(8):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(5)
                s.bind(("127.0.0.1", 0))
                msg = b"hello %d" % i
                s.sendto(msg, ("127.0.0.1", srv.port))
                got, _ = s.recvfrom(64)
                check(got == msg.upper(), "reply %r to %r" % (got, msg))
                senders.append(("%s:%d" % s.getsockname(), len(msg)))
        for argv in (["--port", str(srv.port)], ["--port", str(srv.port), "--threads", "2"]):
            rc, _, err = run([WEFT, "udp", "serve", *argv], timeout=10)
            check(rc == 1, "second server %s: rc %d (stderr %r)" % (argv, rc, err))
            check("in use" in err and str(srv.port) in err, "second server %s: stderr %r" % (argv, err))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # the first one is unharmed
            s.settimeout(5)
            s.sendto(b"still", ("127.0.0.1", srv.port))
            check(s.recvfrom(64)[0] == b"STILL", "first server stopped answering")
        srv.signal(signal.SIGTERM)
        rc, _, err = srv.wait()
        check(rc == 0, "udp serve exit %d: %s" % (rc, err))
        # Each datagram is logged before its reply is sent, so every line is there by now.
        for addr, size in senders:
            check("%s: %d bytes" % (addr, size) in err, "stderr lacks %s: %r" % (addr, err))
        check("stopped: 9 datagrams" in err, "stderr lacks the summary: %r" % err)
    finally:
        srv.stop()


def test_async_example_server():
    # Port 0, and the real one read back from /proc: the example does not print it.
    proc = subprocess.Popen([example("async_echo_server"), "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        port = wait_for_bound_port(proc)
        conns = [echo_exchange(port, b"client %d" % i) for i in range(6)]  # all open at once
        for s in conns:
            s.close()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        check(proc.returncode == 0, "exit %d: %s" % (proc.returncode, err))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main([test_threads_2_second_server_still_in_use, test_idle_timeout_closes_silent_client,
          test_max_connections_refuses_the_next_one_at_once, test_1000_concurrent_connections_every_byte_verified,
          test_udp_burst_from_8_sockets, test_logs_each_connection_unless_quiet, test_usage_errors_name_the_argument,
          test_udp_second_server_in_use, test_udp_threads_2_answers_logs_senders_and_keeps_the_port,
          test_async_example_server])
