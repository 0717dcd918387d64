"""nc (OpenBSD netcat) and socat against weft tcp serve, as a new user would try them."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403


def test_netcat():
    nc = require_tool("nc", "netcat-openbsd")
    srv = weft_serve("tcp")
    try:
        data = b"line one\nline two\n" + pattern(1 << 20, seed=5)
        # -N: shut down the socket's write side at end of input, then print until the server closes.
        rc, out, err = run([nc, "-N", "127.0.0.1", str(srv.port)], input=data)
        check(rc == 0 and out == data, "nc rc %d, %d of %d bytes %s" % (rc, len(out), len(data), err))
    finally:
        srv.stop()


def test_socat():
    socat = require_tool("socat", "socat")
    for host in ip_hosts():
        srv = Server([WEFT, "tcp", "serve", "--host", host, "--port", "0", "--mode", "upper"])
        try:
            target = "TCP6:[::1]:%d" % srv.port if ":" in host else "TCP:127.0.0.1:%d" % srv.port
            rc, out, err = run([socat, "-t", "5", "-", target], input=b"hello socat\n")
            check(rc == 0 and out == b"HELLO SOCAT\n", "%s: socat rc %d out %r %s" % (host, rc, out, err))
        finally:
            srv.stop()


if __name__ == "__main__":
    main([test_netcat, test_socat])
