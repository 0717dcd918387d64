"""weft udp serve / udp connect over loopback."""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403


def test_upper_by_default():
    srv = weft_serve("udp")
    try:
        rc, out, err = run([WEFT, "udp", "connect", "127.0.0.1", str(srv.port)], input=b"hello\nudp world\n")
        check(rc == 0, "rc %d %s" % (rc, err))
        check(out == b"HELLO\nUDP WORLD\n", "got %r" % out)
    finally:
        srv.stop()


def test_echo_mode_and_raw_datagrams():
    srv = weft_serve("udp", "--mode", "echo")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            for n in (1, 512, 1400, 65507):
                payload = pattern(n, seed=n)
                s.sendto(payload, ("127.0.0.1", srv.port))
                got, _ = s.recvfrom(65536)
                check(got == payload, "datagram of %d bytes came back as %d" % (n, len(got)))
    finally:
        srv.stop()


def test_refused_reported_at_once():
    # Held, so no parallel test can bind it meanwhile; the kernel answers port unreachable.
    with refusing_port(socket.SOCK_DGRAM) as port:
        # Tries of 30 s: an exit within the run's 20 s can only be the refusal's.
        rc, _, err = run([WEFT, "udp", "connect", "127.0.0.1", str(port), "--timeout", "30"], input=b"anyone\n",
                         timeout=20)
    check(rc == 1 and "refused" in err.lower(), "rc %d stderr %r" % (rc, err))


def test_retries_then_gives_up():
    # A silent server: it counts datagrams and never answers.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        rc, _, err = run([WEFT, "udp", "connect", "127.0.0.1", str(port), "--timeout", "0.2", "--retries", "2"],
                         input=b"hello?\n")
        check(rc == 1 and "timed out" in err and "3 tries" in err, "rc %d stderr %r" % (rc, err))
        silent.settimeout(0)
        count = 0
        try:
            while True:
                data, _ = silent.recvfrom(64)
                check(data == b"hello?", "unexpected datagram %r" % data)
                count += 1
        except BlockingIOError:
            pass
        check(count == 3, "expected 3 datagrams (1 + 2 retries), got %d" % count)


def test_usage_errors():
    rc, _, err = run([WEFT, "udp", "connect", "127.0.0.1", "70000"])
    check(rc == 2 and "invalid port '70000'" in err, "rc %d %r" % (rc, err))
    rc, _, err = run([WEFT, "udp", "connect", "127.0.0.1", "53", "--retries", "-1"])
    check(rc == 2 and "--retries" in err, "rc %d %r" % (rc, err))


if __name__ == "__main__":
    main([test_upper_by_default, test_echo_mode_and_raw_datagrams, test_refused_reported_at_once,
          test_retries_then_gives_up, test_usage_errors])
