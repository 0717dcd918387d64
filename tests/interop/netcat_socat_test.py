"""nc (OpenBSD netcat) and socat against weft tcp serve, as a new user would try them."""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403


def test_netcat():
    if not shutil.which("nc"):
        skip("nc is not installed (scripts/install-deps.sh test installs netcat-openbsd)")
    srv = weft_serve("tcp")
    try:
        data = b"line one\nline two\n" + pattern(1 << 20, seed=5)
        # -N: shut down the socket's write side at end of input, then print until the server closes.
        rc, out, err = run(["nc", "-N", "127.0.0.1", str(srv.port)], input=data)
        check(rc == 0 and out == data, "nc rc %d, %d of %d bytes %s" % (rc, len(out), len(data), err))
    finally:
        srv.stop()


def test_socat():
    if not shutil.which("socat"):
        skip("socat is not installed (scripts/install-deps.sh test installs it)")
    srv = weft_serve("tcp", "--mode", "upper")
    try:
        rc, out, err = run(["socat", "-t", "5", "-", "TCP:127.0.0.1:%d" % srv.port], input=b"hello socat\n")
        check(rc == 0 and out == b"HELLO SOCAT\n", "socat rc %d out %r %s" % (rc, out, err))
        if has_ipv6_loopback():
            srv6 = Server([WEFT, "tcp", "serve", "--host", "::1", "--port", "0"])
            try:
                rc, out, err = run(["socat", "-t", "5", "-", "TCP6:[::1]:%d" % srv6.port], input=b"v6\n")
                check(rc == 0 and out == b"v6\n", "socat v6 rc %d out %r %s" % (rc, out, err))
            finally:
                srv6.stop()
    finally:
        srv.stop()


if __name__ == "__main__":
    main([test_netcat, test_socat])
