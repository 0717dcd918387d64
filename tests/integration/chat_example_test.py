"""examples/chat_server: a line from one client reaches every other client as "name: text";
a client that stops reading is disconnected without stalling the others; SIGTERM stops the
server with exit 0."""
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403

PATIENCE = 10  # seconds any single expected line may take on a loaded 2-core machine


def chat_server():
    path = os.path.join(EXAMPLES, "chat_server")
    if not os.path.exists(path):
        skip("examples not built: no %s" % path)
    return Server([path, "--port", "0", "--threads", "2"])


class Client:
    """A chat client; the line it sends first is its name."""

    def __init__(self, port, name, rcvbuf=None):
        self.name = name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:  # before connect, so the window the server sees is small from the start
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(PATIENCE)
        self.sock.connect(("127.0.0.1", port))
        self.pending = b""
        self.say(name)
        # The server registers a client before it welcomes it: from here on it hears everyone.
        self.expect("* welcome, " + name)

    def say(self, text, end="\n"):
        self.sock.sendall((text + end).encode())

    def line(self):
        while b"\n" not in self.pending:
            part = self.sock.recv(65536)
            check(part, "%s: server closed while a line was awaited (had %r)" % (self.name, self.pending))
            self.pending += part
        line, _, self.pending = self.pending.partition(b"\n")
        return line.decode()

    def expect(self, want):
        got = self.line()
        check(got == want, "%s expected %r, got %r" % (self.name, want, got))

    def close(self):
        self.sock.close()


def test_lines_reach_every_other_client_as_name_text():
    srv = chat_server()
    try:
        alice = Client(srv.port, "alice")
        bob = Client(srv.port, "bob")
        alice.expect("* bob joined")
        carol = Client(srv.port, "carol")
        alice.expect("* carol joined")
        bob.expect("* carol joined")

        alice.say("hello, all")
        bob.expect("alice: hello, all")
        carol.expect("alice: hello, all")
        carol.say("hi alice", end="\r\n")  # a CRLF client: the CR is not part of the text
        alice.expect("carol: hi alice")    # alice's next line: she did not get her own
        bob.expect("carol: hi alice")
        bob.say("")                        # an empty line is a message too
        alice.expect("bob: ")
        carol.expect("bob: ")

        carol.close()
        alice.expect("* carol left")
        bob.expect("* carol left")
        alice.say("still here?")
        bob.expect("alice: still here?")
        alice.close()
        bob.close()
    finally:
        srv.stop()


def test_client_that_stops_reading_is_disconnected_without_stalling_others():
    srv = chat_server()
    try:
        talker = Client(srv.port, "talker")
        listener = Client(srv.port, "listener")
        talker.expect("* listener joined")
        # A small receive buffer: the stalled client's kernel soon stops taking bytes, so the
        # server's writer blocks and its outbox (256 lines) overflows.
        stalled = Client(srv.port, "stalled", rcvbuf=4096)
        talker.expect("* stalled joined")
        listener.expect("* stalled joined")

        # Rounds of 50 lines; the listener reads each round in full before the next, so it
        # never falls behind, and each round must arrive within PATIENCE: no stall.
        text = "x" * 100
        sent = 0
        cut_off = False
        deadline = time.monotonic() + 60
        while not cut_off:
            check(time.monotonic() < deadline, "stalled client still connected after %d lines" % sent)
            check(sent < 20000, "stalled client still connected after %d lines" % sent)
            talker.sock.sendall("".join("%s %d\n" % (text, sent + i) for i in range(50)).encode())
            for i in range(50):
                got = listener.line()
                if got == "* stalled was too slow and is disconnected":
                    cut_off = True
                    got = listener.line()
                check(got == "talker: %s %d" % (text, sent + i), "listener got %r" % got[:60])
            sent += 50
        # Everyone else goes on at once.
        talker.say("after")
        listener.expect("talker: after")

        # The stalled client gets what was already on its way, then the end: the talker's
        # lines in order, the last one possibly cut where the server stopped writing.
        data, how = recv_until_closed(stalled.sock, timeout=PATIENCE)
        check(how in ("eof", "reset"), "stalled client: %s" % how)
        *whole, partial = (stalled.pending + data).split(b"\n")
        check(len(whole) < sent, "stalled client got all %d lines: it was not cut off" % sent)
        for i, ln in enumerate(whole):
            check(ln == ("talker: %s %d" % (text, i)).encode(), "stalled line %d is %r" % (i, ln[:60]))
        check(("talker: %s %d" % (text, len(whole))).encode().startswith(partial),
              "stalled client's last bytes %r" % partial[:60])
        for c in (talker, listener, stalled):
            c.close()
    finally:
        srv.stop()


def test_sigterm_stops_the_server_with_exit_0():
    srv = chat_server()
    try:
        alice = Client(srv.port, "alice")
        bob = Client(srv.port, "bob")
        alice.expect("* bob joined")
        alice.say("bye soon")
        bob.expect("alice: bye soon")
        srv.signal(signal.SIGTERM)
        for c in (alice, bob):  # idle clients are closed at once, not left hanging
            data, how = recv_until_closed(c.sock, timeout=PATIENCE)
            check(how in ("eof", "reset"), "%s: %s" % (c.name, how))
            c.close()
        rc, _, err = srv.wait(timeout=15)
        check(rc == 0, "exit %d: %s" % (rc, err))
    finally:
        srv.stop()


if __name__ == "__main__":
    main([test_lines_reach_every_other_client_as_name_text,
          test_client_that_stops_reading_is_disconnected_without_stalling_others,
          test_sigterm_stops_the_server_with_exit_0])
