"""weft http get against python's http.server and against scripted HTTP servers written here
(so the bytes on the wire are the test's own): bodies byte for byte to stdout and to -o FILE,
the head on stderr, --json, chunked bodies in odd pieces, redirects with and without -L, the
progress bar on a terminal, and the failures: refused, dead server, timeout, bad arguments."""
import contextlib
import hashlib
import json
import os
import pty
import re
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403

MIB = 1 << 20


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def static_server(directory, host="127.0.0.1"):
    """python3 -m http.server on an ephemeral port of `host`, serving `directory`; yields the
    port once it listens (read from /proc: the server's own banner is block-buffered)."""
    proc = subprocess.Popen([PYTHON, "-m", "http.server", "--bind", host, "--directory", directory, "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield wait_for_bound_port(proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def read_request_head(conn):
    head = b""
    while b"\r\n\r\n" not in head:
        part = conn.recv(4096)
        if not part:
            break
        head += part
    return head


@contextlib.contextmanager
def script_server(respond):
    """A threaded TCP server in this process on 127.0.0.1: for each connection it reads the
    request head and calls respond(conn, path); the connection closes when respond returns."""
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.settimeout(10)
            head = read_request_head(self.request)
            path = head.split(b" ")[1].decode() if head.count(b" ") >= 2 else ""
            respond(self.request, path)

    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(10)


def wait_for_client_close(conn):
    """Holds the connection until the client gives up (bounded by the socket's timeout)."""
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


def check_head_on_stderr(err, status_line):
    check(err.startswith(status_line + "\n"), "stderr should start with %r: %r" % (status_line, err[:200]))
    check("\n\n" in err, "the head on stderr should end with an empty line: %r" % err[:300])


def check_one_line_error(rc, err, *needles):
    check(rc == 1, "rc %d (stderr %r)" % (rc, err))
    check(err.startswith("weft: ") and err.endswith("\n") and err.count("\n") == 1,
          "expected one 'weft: ...' line on stderr: %r" % err)
    for n in needles:
        check(n in err, "%r not in %r" % (n, err))


# ---- against python's http.server ------------------------------------------------------------

def test_body_to_stdout_and_to_file_matches_the_served_file():
    with tempfile.TemporaryDirectory() as root:
        data = os.urandom(MIB)
        with open(os.path.join(root, "blob.bin"), "wb") as f:
            f.write(data)
        for host in ip_hosts():
            with static_server(root, host) as port:
                bracketed = "[%s]" % host if ":" in host else host
                url = "http://%s:%d/blob.bin" % (bracketed, port)
                rc, out, err = run([WEFT, "http", "get", url])
                check(rc == 0, "rc %d, stderr %s" % (rc, err))
                check(sha256(out) == sha256(data), "stdout differs from the file (%d bytes)" % len(out))
                check_head_on_stderr(err, "HTTP/1.0 200 OK")
                check("Content-Length: %d\n" % MIB in err, "no Content-Length on stderr: %r" % err)

                target = os.path.join(root, "copy-%d.bin" % port)
                rc, out, err = run([WEFT, "http", "get", url, "-o", target])
                check(rc == 0, "rc %d, stderr %s" % (rc, err))
                check(out == b"", "with -o nothing goes to stdout: %r" % out[:100])
                with open(target, "rb") as f:
                    check(sha256(f.read()) == sha256(data), "the -o file differs")
                check_head_on_stderr(err, "HTTP/1.0 200 OK")
                check("\r" not in err, "no progress bar when stderr is not a terminal: %r" % err)


def test_404_is_a_response_exit_0():
    with tempfile.TemporaryDirectory() as root:
        with static_server(root) as port:
            rc, out, err = run([WEFT, "http", "get", "127.0.0.1:%d/missing" % port])  # no scheme: http
            check(rc == 0, "rc %d, stderr %s" % (rc, err))
            check_head_on_stderr(err, "HTTP/1.0 404 File not found")
            check(b"404" in out, "the error page goes to stdout: %r" % out[:200])


def test_json_summary_on_stdout_and_body_only_to_the_file():
    with tempfile.TemporaryDirectory() as root:
        data = os.urandom(1000)
        with open(os.path.join(root, "x.bin"), "wb") as f:
            f.write(data)
        with static_server(root) as port:
            url = "http://127.0.0.1:%d/x.bin" % port
            rc, out, err = run([WEFT, "http", "get", "--json", url])
            check(rc == 0 and err == "", "rc %d, stderr %r" % (rc, err))
            lines = out.decode().splitlines()
            check(len(lines) == 1, "one JSON line, got %r" % out[:300])
            j = json.loads(lines[0])
            check(list(j) == ["url", "status", "reason", "version", "headers", "body_bytes", "elapsed_seconds",
                              "redirects"], "keys %s" % list(j))
            check(j["url"] == url and j["status"] == 200 and j["reason"] == "OK" and j["version"] == "HTTP/1.0",
                  "summary %r" % j)
            check(["Content-Length", "1000"] in j["headers"], "headers %r" % j["headers"])
            check(j["body_bytes"] == 1000 and j["redirects"] == [], "summary %r" % j)
            check(0 <= j["elapsed_seconds"] < 30, "elapsed %r" % j["elapsed_seconds"])

            target = os.path.join(root, "out.bin")
            rc, out, err = run([WEFT, "http", "get", "--json", "-o", target, url])
            check(rc == 0 and json.loads(out)["body_bytes"] == 1000, "rc %d, out %r, err %r" % (rc, out, err))
            with open(target, "rb") as f:
                check(f.read() == data, "the -o file differs")


def test_progress_bar_when_stderr_is_a_terminal():
    with tempfile.TemporaryDirectory() as root:
        with open(os.path.join(root, "big.bin"), "wb") as f:
            f.write(os.urandom(4 * MIB))
        with static_server(root) as port:
            master, slave = pty.openpty()
            target = os.path.join(root, "copy.bin")
            try:
                p = subprocess.run([WEFT, "http", "get", "http://127.0.0.1:%d/big.bin" % port, "-o", target],
                                   stdout=subprocess.PIPE, stderr=slave, timeout=30)
                os.close(slave)
                slave = None
                shown = b""
                while True:  # what the terminal got; EIO once it is drained and the writer gone
                    try:
                        part = os.read(master, 65536)
                    except OSError:
                        break
                    if not part:
                        break
                    shown += part
            finally:
                if slave is not None:
                    os.close(slave)
                os.close(master)
            text = shown.decode(errors="replace")
            check(p.returncode == 0, "rc %d, terminal %r" % (p.returncode, text))
            check(os.path.getsize(target) == 4 * MIB, "file size %d" % os.path.getsize(target))
            check("HTTP/1.0 200 OK" in text, "the head goes to the terminal too: %r" % text[:300])
            check("\r" in text and "100.0%" in text and "4.0 MiB / 4.0 MiB" in text and "/s" in text,
                  "no progress bar with percent, sizes and rate: %r" % text[-400:])
            check(text.endswith("\n"), "the bar should end with a newline: %r" % text[-100:])


# ---- against scripted servers ------------------------------------------------------------------

def chunked_body(data, sizes):
    """`data` in chunks of the given sizes (cycled), with an extension on one, and a trailer."""
    out, i, k = b"", 0, 0
    while i < len(data):
        n = sizes[k % len(sizes)]
        piece = data[i:i + n]
        out += b"%x%s\r\n%s\r\n" % (len(piece), b";name=value" if k == 1 else b"", piece)
        i += n
        k += 1
    return out + b"0\r\nX-Trailer: yes\r\n\r\n"


def test_chunked_body_in_odd_pieces():
    data = pattern(300000, seed=7)
    wire = chunked_body(data, [1, 7, 4096, 65539, 3, 100000])

    def respond(conn, path):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        i, k, cuts = 0, 0, [3, 1, 1000, 17, 70001, 2]
        while i < len(wire):
            conn.sendall(wire[i:i + cuts[k % len(cuts)]])
            i += cuts[k % len(cuts)]
            k += 1

    with script_server(respond) as port:
        rc, out, err = run([WEFT, "http", "get", "http://127.0.0.1:%d/" % port])
        check(rc == 0, "rc %d, stderr %s" % (rc, err))
        check(out == data, "chunked body differs: %d bytes of %d" % (len(out), len(data)))
        check_head_on_stderr(err, "HTTP/1.1 200 OK")
        check("Transfer-Encoding: chunked\n" in err, "stderr %r" % err)


def redirecting(conn, path):
    if path == "/a":
        body = b"see /b"
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    elif path == "/b":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal")
    elif path == "/loop":
        conn.sendall(b"HTTP/1.1 301 Moved Permanently\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n")
    else:
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")


def test_redirects_followed_only_with_L():
    with script_server(redirecting) as port:
        url = "http://127.0.0.1:%d/a" % port
        rc, out, err = run([WEFT, "http", "get", url])
        check(rc == 0 and out == b"see /b", "without -L the 302 is the response: rc %d, %r, %r" % (rc, out, err))
        check_head_on_stderr(err, "HTTP/1.1 302 Found")

        rc, out, err = run([WEFT, "http", "get", "-L", url])
        check(rc == 0 and out == b"final", "with -L: rc %d, %r, %r" % (rc, out, err))
        check_head_on_stderr(err, "HTTP/1.1 302 Found")
        check("\n\nHTTP/1.1 200 OK\n" in err, "each hop's head is printed: %r" % err)

        rc, out, err = run([WEFT, "http", "get", "-L", "--json", url])
        check(rc == 0, "rc %d, %r" % (rc, err))
        j = json.loads(out)
        check(j["status"] == 200 and j["url"] == "http://127.0.0.1:%d/b" % port and j["body_bytes"] == 5,
              "summary %r" % j)
        check(j["redirects"] == [{"url": url, "status": 302, "location": "http://127.0.0.1:%d/b" % port}],
              "redirects %r" % j["redirects"])


def test_redirect_loop_with_L_exits_1():
    with script_server(redirecting) as port:
        rc, out, err = run([WEFT, "http", "get", "-L", "--max-redirects", "3", "http://127.0.0.1:%d/loop" % port])
        # The three hops followed show their heads; then the one-line reason.
        check(err.count("HTTP/1.1 301 Moved Permanently\n") == 3, "stderr %r" % err)
        check_one_line_error(rc, err[err.rfind("\n\n") + 2:], "too many redirects: more than 3")


def test_refused_port_exits_1_naming_the_address():
    with refusing_port() as port:
        rc, out, err = run([WEFT, "http", "get", "http://127.0.0.1:%d/" % port])
        check(err == "weft: connect 127.0.0.1:%d: Connection refused\n" % port, "stderr %r" % err)
        check_one_line_error(rc, err)
        check(out == b"", "stdout %r" % out)


def test_dead_server_exits_1_naming_the_address():
    with script_server(lambda conn, path: None) as port:  # reads the request, closes unanswered
        rc, out, err = run([WEFT, "http", "get", "http://127.0.0.1:%d/" % port])
        check_one_line_error(rc, err, "127.0.0.1:%d" % port)
        check(out == b"", "stdout %r" % out)


def test_truncated_body_exits_1():
    def respond(conn, path):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 40)

    with script_server(respond) as port:
        rc, out, err = run([WEFT, "http", "get", "http://127.0.0.1:%d/" % port])
        check(rc == 1 and "weft: connection closed by 127.0.0.1:%d after 40 of 100 body bytes\n" % port in err,
              "rc %d, stderr %r" % (rc, err))


def test_unwritable_output_file_exits_1_naming_it():
    with script_server(redirecting) as port, tempfile.TemporaryDirectory() as root:
        target = os.path.join(root, "no-such-dir", "out.bin")
        rc, out, err = run([WEFT, "http", "get", "-o", target, "http://127.0.0.1:%d/b" % port])
        check(rc == 1 and ("weft: cannot open '%s': No such file or directory\n" % target) in err,
              "rc %d, stderr %r" % (rc, err))


def test_timeout_bounds_a_server_that_never_answers():
    with script_server(lambda conn, path: wait_for_client_close(conn)) as port:
        t0 = time.monotonic()
        rc, out, err = run([WEFT, "http", "get", "--timeout", "0.5", "http://127.0.0.1:%d/" % port])
        took = time.monotonic() - t0
        check_one_line_error(rc, err, "timed out", "127.0.0.1:%d" % port)
        check(took < 10, "took %.1f s for a 0.5 s timeout" % took)


def test_usage_errors_exit_2_naming_the_argument():
    cases = [
        (["ftp://x"], "weft: invalid URL 'ftp://x': only http:// is supported"),
        (["https://example.com/"], "https is not supported"),
        (["http://user@127.0.0.1/"], "user info"),
        (["http://127.0.0.1:99999/"], "invalid port '99999'"),
        (["http://127.0.0.1/", "--timeout", "soon"], "invalid --timeout 'soon'"),
        (["http://127.0.0.1/", "--max-redirects", "-1"], "--max-redirects"),
        ([], "url"),
    ]
    for args, needle in cases:
        rc, out, err = run([WEFT, "http", "get", *args])
        check(rc == 2, "%s: rc %d, stderr %r" % (args, rc, err))
        check(needle in err, "%s: %r not in %r" % (args, needle, err))


def test_help_documents_the_json_keys_and_exit_codes():
    rc, out, err = run([WEFT, "http", "get", "--help"])
    text = out.decode()
    check(rc == 0, "rc %d" % rc)
    for needle in ["--json", "elapsed_seconds", "redirects", "-o", "--timeout", "-L", "Exit 0"]:
        check(needle in text, "%r missing from --help" % needle)
    check(re.search(r"\bhttp\b", run([WEFT, "--help"])[1].decode()), "weft --help lists http")


if __name__ == "__main__":
    main([
        test_body_to_stdout_and_to_file_matches_the_served_file,
        test_404_is_a_response_exit_0,
        test_json_summary_on_stdout_and_body_only_to_the_file,
        test_progress_bar_when_stderr_is_a_terminal,
        test_chunked_body_in_odd_pieces,
        test_redirects_followed_only_with_L,
        test_redirect_loop_with_L_exits_1,
        test_refused_port_exits_1_naming_the_address,
        test_dead_server_exits_1_naming_the_address,
        test_truncated_body_exits_1,
        test_unwritable_output_file_exits_1_naming_it,
        test_timeout_bounds_a_server_that_never_answers,
        test_usage_errors_exit_2_naming_the_argument,
        test_help_documents_the_json_keys_and_exit_codes,
    ])
