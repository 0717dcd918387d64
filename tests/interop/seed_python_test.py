"""The seed's own Python programs (fixed: ports as arguments) talking to weft, both ways,
over IPv4 and IPv6."""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403


def seed(name):
    return os.path.join(SEED, name)


def test_python_client_to_weft_example_server():
    import subprocess
    # Port 0, and the real one read back from /proc: the example does not print it.
    server = subprocess.Popen([example("tcp_server_hi"), "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = wait_for_bound_port(server)
        rc, out, err = run([PYTHON, seed("tcp_client_hello.py"), "127.0.0.1", str(port)])
        check(rc == 0 and out.strip() == b"hi", "python client rc %d got %r %s" % (rc, out, err))
        out, _ = server.communicate(timeout=10)
        check(out.startswith("hello! from 127.0.0.1:"), "server printed %r" % out)
        check(server.returncode == 0, "example server rc %d" % server.returncode)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_weft_example_client_to_python_server():
    for host in ["127.0.0.1"]:  # the C++ examples use the seed's 127.0.0.1
        srv = Server([PYTHON, seed("tcp_server_hi.py"), host, "0"])
        rc, out, err = run([example("tcp_client_hello"), str(srv.port)])
        check(rc == 0 and out.strip() == b"hi", "rc %d out %r %s" % (rc, out, err))
        rc, out, _ = srv.wait()
        check(out.strip() == "hello!", "python server printed %r" % out)


def test_python_talk_client_to_weft_tcp_serve():
    for host in ip_hosts():
        srv = Server([WEFT, "tcp", "serve", "--host", host, "--port", "0", "--mode", "upper"])
        try:
            rc, out, err = run([PYTHON, seed("tcp_talk_client.py"), host, str(srv.port)],
                               input=b"hello\n\nhow are you\n")
            check(rc == 0 and out == b"HELLO\nHOW ARE YOU\n", "%s: rc %d out %r %s" % (host, rc, out, err))
        finally:
            srv.stop()


def test_weft_tcp_connect_to_python_echo_large_payload():
    for host in ip_hosts():
        srv = Server([PYTHON, seed("tcp_echo_server.py"), host, "0"])
        data = pattern(8 << 20, seed=3)
        rc, out, err = run([WEFT, "tcp", "connect", host, str(srv.port)], input=data, timeout=60)
        check(rc == 0 and out == data, "%s: rc %d, %d of %d bytes back %s" % (host, rc, len(out), len(data), err))
        srv.wait()


def test_python_client_large_payload_to_weft_tcp_serve():
    for host in ip_hosts():
        srv = Server([WEFT, "tcp", "serve", "--host", host, "--port", "0"])
        try:
            data = pattern(8 << 20, seed=4)
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            with socket.socket(family) as s:
                s.settimeout(30)
                s.connect((host, srv.port))
                import threading
                t = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
                t.start()
                got = bytearray()
                while True:
                    part = s.recv(1 << 16)
                    if not part:
                        break
                    got += part
                t.join(30)
            check(bytes(got) == data, "%s: %d of %d bytes back intact? %s" % (host, len(got), len(data), bytes(got) == data))
        finally:
            srv.stop()


def test_python_udp_client_to_weft_udp_serve():
    for host in ip_hosts():
        srv = Server([WEFT, "udp", "serve", "--host", host, "--port", "0"])
        try:
            rc, out, err = run([PYTHON, seed("udp_client.py"), host, str(srv.port)], input=b"hello\nworld\n")
            check(rc == 0 and out == b"HELLO\nWORLD\n", "%s: rc %d out %r %s" % (host, rc, out, err))
        finally:
            srv.stop()


def test_weft_udp_connect_to_python_udp_server():
    for host in ip_hosts():
        srv = Server([PYTHON, seed("udp_server_upper.py"), host, "0", "2"])
        rc, out, err = run([WEFT, "udp", "connect", host, str(srv.port)], input=b"one\ntwo\n")
        check(rc == 0 and out == b"ONE\nTWO\n", "%s: rc %d out %r %s" % (host, rc, out, err))
        srv.wait()


def test_weft_udp_example_pair():
    import subprocess
    server = subprocess.Popen([example("udp_server_upper"), "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = wait_for_bound_port(server, "udp")
        rc, out, err = run([example("udp_client"), str(port)], input=b"abc\n")
        check(rc == 0 and b"ABC" in out, "rc %d out %r %s" % (rc, out, err))
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main([test_python_client_to_weft_example_server, test_weft_example_client_to_python_server,
          test_python_talk_client_to_weft_tcp_serve, test_weft_tcp_connect_to_python_echo_large_payload,
          test_python_client_large_payload_to_weft_tcp_serve, test_python_udp_client_to_weft_udp_serve,
          test_weft_udp_connect_to_python_udp_server, test_weft_udp_example_pair])
