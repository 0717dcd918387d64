"""curl (an independent HTTP/1.1 implementation) judges `weft http serve`, and raw sockets do
what curl cannot: bodies byte-exact from 0 bytes to 64 MiB, HEAD, keep-alive, HTTP/1.0,
pipelining, If-Modified-Since, ranges, the error statuses (400 404 405 408 413 414 431), request
smuggling, paths that try to leave the root (encoded or not, symlinks), a slowloris crowd, the
directory rules, Content-Type by extension, the /status.json counters, the access log, --quiet
and SIGTERM (shared/CLI.md, HTTP)."""
import calendar
import email.utils
import hashlib
import html
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403

MARKER = "WEFT-SECRET-" + uuid.uuid4().hex  # in secret.txt, beside the root: must never be served
PASSWD_MARKER = "root:x:0:0"
MTIME = calendar.timegm((2020, 1, 1, 0, 0, 0))  # the fixtures' mtime: Last-Modified is known
MTIME_HTTP = "Wed, 01 Jan 2020 00:00:00 GMT"
SIZES = {"empty.bin": 0, "one.txt": 1, "kib.bin": 1024, "mib.bin": (1 << 20) + 7, "big.bin": 64 << 20}
TYPES = {  # extension: the media types curl/nginx users would accept
    "html": {"text/html"}, "css": {"text/css"}, "js": {"text/javascript", "application/javascript"},
    "json": {"application/json"}, "png": {"image/png"}, "jpeg": {"image/jpeg"}, "jpg": {"image/jpeg"},
    "gif": {"image/gif"}, "svg": {"image/svg+xml"}, "ico": {"image/x-icon", "image/vnd.microsoft.icon"},
    "txt": {"text/plain"}, "wasm": {"application/wasm"}, "pdf": {"application/pdf"}, "mp4": {"video/mp4"},
    "woff2": {"font/woff2"}, "xml": {"application/xml", "text/xml"}, "xyz": {"application/octet-stream"},
}
DIR_ENTRIES = ["a.txt", "b.css", "with space.txt", "a&b <i>.txt", "nested"]  # nested is a directory

_state = {}


# ---------------------------------------------------------------- fixtures and servers

def site():
    """tmp/secret.txt (outside), tmp/outside/secret.txt, and tmp/root/ with the files the tests
    fetch, built once."""
    if "root" in _state:
        return _state["root"]
    tmp = tempfile.mkdtemp(prefix="weft-http-curl-")
    _state["tmp"] = tmp
    root = os.path.join(tmp, "root")
    os.makedirs(os.path.join(root, "sub"))
    os.makedirs(os.path.join(tmp, "outside"))
    for path in (os.path.join(tmp, "secret.txt"), os.path.join(tmp, "outside", "secret.txt")):
        with open(path, "w") as f:
            f.write(MARKER + "\n")
    data = {}
    for name, size in SIZES.items():
        data[name] = os.urandom(size) if name != "one.txt" else b"1"
        with open(os.path.join(root, name), "wb") as f:
            f.write(data[name])
    data["sub/inner.txt"] = b"inner file\n"
    with open(os.path.join(root, "sub", "inner.txt"), "wb") as f:
        f.write(data["sub/inner.txt"])
    # Directories: one with an index.html, one listed (with names that need escaping).
    os.makedirs(os.path.join(root, "withindex"))
    with open(os.path.join(root, "withindex", "index.html"), "w") as f:
        f.write("<!doctype html><title>index</title><p>INDEX-PAGE</p>\n")
    os.makedirs(os.path.join(root, "dir", "nested"))
    for name in DIR_ENTRIES[:-1]:
        with open(os.path.join(root, "dir", name), "w") as f:
            f.write(name)
    os.makedirs(os.path.join(root, "types"))
    for ext in TYPES:
        with open(os.path.join(root, "types", "f." + ext), "w") as f:
            f.write("x")
    with open(os.path.join(root, "types", "noext"), "w") as f:
        f.write("x")
    # Symlinks: out of the root (absolute, relative, a directory) and one inside it.
    os.symlink(os.path.join(tmp, "secret.txt"), os.path.join(root, "link_out"))
    os.symlink("../secret.txt", os.path.join(root, "link_rel_out"))
    os.symlink(os.path.join(tmp, "outside"), os.path.join(root, "outdir"))
    os.symlink("one.txt", os.path.join(root, "link_in"))
    os.symlink("sub", os.path.join(root, "link_sub"))
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                os.utime(p, (MTIME, MTIME))
    _state["root"] = root
    _state["data"] = data
    return root


def data(name):
    site()
    return _state["data"][name]


def shared():
    """The quiet server most tests share (its counters do not matter to them)."""
    if "srv" not in _state:
        _state["srv"] = weft_serve("http", "--root", site(), "--quiet")
    return _state["srv"]




def fresh(*args):
    """A server of the test's own, its access log tapped."""
    srv = weft_serve("http", "--root", site(), *args)
    return srv, Tap(srv)


# ---------------------------------------------------------------- raw HTTP

class Resp:
    def __init__(self, version, status, headers, body):
        self.version, self.status, self.body = version, status, body
        self.header_list = headers  # [(lowercase name, value)]
        self.reason = None

    def h(self, name):
        vals = [v for k, v in self.header_list if k == name.lower()]
        return vals[-1] if vals else None

    def __repr__(self):
        return "<%s %s %s body=%d bytes %r>" % (self.version, self.status, self.header_list, len(self.body),
                                               self.body[:80])


def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"(HTTP/\d\.\d) (\d{3})(?: (.*))?$", lines[0])
    check(m is not None, "bad status line %r" % lines[0])
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        check(sep and name and name == name.strip(), "bad response header line %r" % line)
        headers.append((name.lower(), value.strip()))
    return m.group(1), int(m.group(2)), headers, (m.group(3) or "").strip()


class Conn:
    """One client connection with a read buffer, so pipelined responses can be split."""

    def __init__(self, port, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = bytearray()  # grown in place: 64 MiB bodies arrive in many parts

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def _fill(self, what):
        part = self.s.recv(1 << 20)
        if not part:
            raise EOFError("the server closed the connection while %s (%d bytes pending: %r)"
                           % (what, len(self.buf), self.buf[:200]))
        self.buf += part

    def response(self, method="GET"):
        while b"\r\n\r\n" not in self.buf:
            self._fill("a response head was expected")
        end = self.buf.index(b"\r\n\r\n")
        head = bytes(self.buf[:end])
        del self.buf[:end + 4]
        version, status, headers, reason = parse_head(head)
        r = Resp(version, status, headers, b"")
        r.reason = reason
        if method == "HEAD" or status in (204, 304) or status < 200:
            return r
        n = r.h("content-length")
        check(n is not None and n.isdigit(), "response without a valid Content-Length: %r" % r)
        n = int(n)
        while len(self.buf) < n:
            self._fill("%d body bytes were expected" % n)
        r.body = bytes(self.buf[:n])
        del self.buf[:n]
        return r

    def closed(self, timeout=5):
        """Whether the server closes the connection (EOF or reset) within `timeout` without
        sending anything more; what it sent otherwise."""
        if self.buf:
            return False
        self.s.settimeout(timeout)
        try:
            part = self.s.recv(65536)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        if part:
            self.buf += part
            return False
        return True


def req(method, path, *headers, version="HTTP/1.1", host=True, body=b""):
    lines = ["%s %s %s" % (method, path, version)]
    if host:
        lines.append("Host: 127.0.0.1")
    lines += headers
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def exchange(raw, method="GET", port=None):
    """Sends raw bytes on a new connection; (first response or None, everything until the
    server closed or went quiet for 5 s, whether it closed)."""
    port = port or shared().port
    with Conn(port) as c:
        c.send(raw)
        try:
            r = c.response(method)
        except EOFError:
            r = None
        rest, how = bytes(c.buf), None
        try:
            more, how = recv_until_closed(c.s, timeout=5)
            rest += more
        except socket.timeout:
            pass
        return r, rest, how is not None


def check_common_headers(r, what, has_body=True):
    check(r.reason, "%s: the status line %s has no reason phrase" % (what, r.status))
    check(r.h("server"), "%s: no Server header: %r" % (what, r))
    date = r.h("date")
    check(date is not None and re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", date),
          "%s: Date %r is not an IMF-fixdate: %r" % (what, date, r))
    skew = abs(email.utils.parsedate_to_datetime(date).timestamp() - time.time())
    check(skew < 120, "%s: Date %r is %d s off" % (what, date, skew))
    if r.status != 304:
        check(r.h("content-length") is not None, "%s: no Content-Length: %r" % (what, r))
    if has_body and int(r.h("content-length") or 0) > 0:
        check(r.h("content-type"), "%s: a body without Content-Type: %r" % (what, r))


# ---------------------------------------------------------------- curl

def curl(path, *args, port=None, out=None, timeout=60):
    """curl --path-as-is on 127.0.0.1; a Resp of the last response (body read from `out`, or a
    temp file), with rc and the -w output as attributes."""
    exe = require_tool("curl", "curl")
    port = port or shared().port
    tmp = tempfile.mkdtemp(prefix="weft-curl-", dir=_state.get("tmp"))
    hdr = os.path.join(tmp, "headers")
    body = out or os.path.join(tmp, "body")
    url = path if path.startswith("http") else "http://127.0.0.1:%d%s" % (port, path)
    argv = [exe, "-sS", "--path-as-is", "--max-time", "30", "-D", hdr, "-o", body, "-w", "%{http_code}",
            *args, url]
    rc, wout, err = run(argv, timeout=timeout)
    r = Resp(None, None, [], b"")
    r.rc, r.err, r.w = rc, err, wout.decode()
    r.argv = " ".join(a if len(a) < 80 else a[:40] + "...(%d bytes)" % len(a) for a in argv)
    if os.path.exists(hdr):
        with open(hdr, "rb") as f:
            blocks = [b for b in f.read().split(b"\r\n\r\n") if b.strip()]
        if blocks:
            r.version, r.status, r.header_list, r.reason = parse_head(blocks[-1].lstrip(b"\r\n"))
    if out is None and os.path.exists(body):
        with open(body, "rb") as f:
            r.body = f.read()
    shutil.rmtree(tmp, ignore_errors=True)
    return r


def curl_ok(path, *args, status=200, **kw):
    r = curl(path, *args, **kw)
    check(r.rc == 0, "curl exited %d: %s [%s]" % (r.rc, r.err, r.argv))
    check(r.status == status, "status %s, expected %d: %r [%s]" % (r.status, status, r, r.argv))
    return r


def sha(b):
    return hashlib.sha256(b).hexdigest()


# ---------------------------------------------------------------- tests

def test_banner_and_bodies_byte_exact():
    srv = shared()
    root = site()
    check(re.fullmatch(r"listening on 127\.0\.0\.1:%d \(http, root %s, \d+ threads?\)" % (srv.port, re.escape(root)),
                       srv.banner), "banner %r (root %s)" % (srv.banner, root))
    for name in SIZES:
        out = os.path.join(_state["tmp"], "got-" + name)
        r = curl_ok("/" + name, out=out)
        with open(out, "rb") as f:
            got = f.read()
        os.unlink(out)
        check(len(got) == len(data(name)) and sha(got) == sha(data(name)),
              "%s: %d bytes received, sha256 %s; the file has %d, %s" % (name, len(got), sha(got), len(data(name)),
                                                                         sha(data(name))))
        check(r.h("content-length") == str(SIZES[name]), "%s: Content-Length %r" % (name, r.h("content-length")))
        check(r.h("last-modified") == MTIME_HTTP, "%s: Last-Modified %r, expected %r" % (name, r.h("last-modified"),
                                                                                       MTIME_HTTP))
        check((r.h("accept-ranges") or "").lower() == "bytes", "%s: Accept-Ranges %r" % (name, r.h("accept-ranges")))
        check_common_headers(r, name)
    # Eight curls at once on the 1 MiB file: every copy exact.
    exe = require_tool("curl", "curl")
    procs = []
    for i in range(8):
        procs.append(subprocess.Popen([exe, "-sS", "--max-time", "30", "http://127.0.0.1:%d/mib.bin" % srv.port],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    for p in procs:
        out, err = p.communicate(timeout=60)
        check(p.returncode == 0 and sha(out) == sha(data("mib.bin")),
              "parallel curl: rc %d, %d bytes %s" % (p.returncode, len(out), err))


def test_head():
    for name in ("kib.bin", "empty.bin", "big.bin"):
        r = curl_ok("/" + name, "-I")
        check(r.h("content-length") == str(SIZES[name]), "HEAD %s: Content-Length %r" % (name, r.h("content-length")))
        check(r.h("last-modified") == MTIME_HTTP and r.h("content-type"), "HEAD %s: %r" % (name, r))
    # No body on the wire: the next response on the connection starts right after the head.
    with Conn(shared().port) as c:
        c.send(req("HEAD", "/kib.bin") + req("GET", "/one.txt"))
        h = c.response("HEAD")
        check(h.status == 200 and h.h("content-length") == "1024", "HEAD /kib.bin: %r" % h)
        g = c.response()
        check(g.status == 200 and g.body == b"1", "the GET after a HEAD: %r (a HEAD body leaked?)" % g)
        c.send(req("HEAD", "/nothere"))
        h = c.response("HEAD")
        check(h.status == 404, "HEAD /nothere: %r" % h)
        c.send(req("GET", "/one.txt"))
        check(c.response().body == b"1", "after HEAD 404 the next GET")


def test_keep_alive_20_requests_on_one_connection():
    exe = require_tool("curl", "curl")
    port = shared().port
    names = ["one.txt", "kib.bin", "sub/inner.txt", "empty.bin", "nothere"] * 4
    argv = [exe, "-sS", "-w", "%{http_code} %{num_connects}\\n"]
    for n in names:
        argv += ["-o", "/dev/null", "http://127.0.0.1:%d/%s" % (port, n)]
    rc, out, err = run(argv)
    check(rc == 0, "curl rc %d: %s" % (rc, err))
    rows = [line.split() for line in out.decode().splitlines()]
    check(len(rows) == 20, "curl reported %d transfers: %r" % (len(rows), out))
    codes = [r[0] for r in rows]
    check(codes == ["404" if n == "nothere" else "200" for n in names], "statuses %s" % codes)
    connects = sum(int(r[1]) for r in rows)
    check(connects == 1, "20 requests took %d connections, expected 1 (keep-alive, 404s included)" % connects)
    # The same with a raw socket, one request at a time.
    with Conn(port) as c:
        for i in range(20):
            c.send(req("GET", "/sub/inner.txt"))
            r = c.response()
            check(r.status == 200 and r.body == data("sub/inner.txt"), "request %d on one connection: %r" % (i, r))
            check((r.h("connection") or "").lower() != "close", "request %d: Connection: close in 1.1: %r" % (i, r))
        # Connection: close is honoured: the response says so, then the server closes.
        c.send(req("GET", "/one.txt", "Connection: close"))
        r = c.response()
        check(r.status == 200 and r.body == b"1", "Connection: close request: %r" % r)
        check((r.h("connection") or "").lower() == "close", "no Connection: close in the answer: %r" % r)
        check(c.closed(), "the server kept the connection open after Connection: close (got %r)" % c.buf)


def test_http10_closes_unless_keep_alive():
    exe = require_tool("curl", "curl")
    port = shared().port
    argv = [exe, "-0", "-sS", "-w", "%{http_code} %{num_connects} %{http_version}\\n"]
    for _ in range(3):
        argv += ["-o", "/dev/null", "http://127.0.0.1:%d/one.txt" % port]
    rc, out, err = run(argv)
    rows = [line.split() for line in out.decode().splitlines()]
    check(rc == 0 and len(rows) == 3 and all(r[0] == "200" for r in rows), "curl -0: rc %d %r %s" % (rc, out, err))
    check(sum(int(r[1]) for r in rows) == 3, "curl -0: 3 requests on %s connections, expected 3"
          % sum(int(r[1]) for r in rows))
    with Conn(port) as c:
        c.send(req("GET", "/one.txt", version="HTTP/1.0", host=False))
        r = c.response()
        check(r.status == 200 and r.body == b"1", "HTTP/1.0 GET: %r" % r)
        check(r.version in ("HTTP/1.0", "HTTP/1.1"), "version %r" % r.version)
        check(c.closed(), "an HTTP/1.0 connection stayed open after the response (got %r)" % c.buf)
    with Conn(port) as c:
        for i in range(3):
            c.send(req("GET", "/one.txt", "Connection: keep-alive", version="HTTP/1.0", host=False))
            r = c.response()
            check(r.status == 200 and r.body == b"1", "HTTP/1.0 keep-alive request %d: %r" % (i, r))
            # A 1.0 client keeps the connection only when the answer says keep-alive.
            check((r.h("connection") or "").lower() == "keep-alive",
                  "HTTP/1.0 keep-alive request %d: the response lacks Connection: keep-alive: %r" % (i, r))
        c.send(req("GET", "/one.txt", version="HTTP/1.0", host=False))
        check(c.response().body == b"1" and c.closed(), "1.0 without keep-alive at the end: not closed")


def test_pipelined_requests_answered_in_order():
    with Conn(shared().port) as c:
        c.send(req("GET", "/sub/inner.txt") + req("GET", "/nothere") + req("HEAD", "/kib.bin") +
               req("GET", "/kib.bin", "Range: bytes=0-9") + req("GET", "/one.txt"))
        rs = [c.response(), c.response(), c.response("HEAD"), c.response(), c.response()]
        check(rs[0].status == 200 and rs[0].body == data("sub/inner.txt"), "pipelined 1: %r" % rs[0])
        check(rs[1].status == 404, "pipelined 2: %r" % rs[1])
        check(rs[2].status == 200 and rs[2].h("content-length") == "1024", "pipelined 3 (HEAD): %r" % rs[2])
        check(rs[3].status == 206 and rs[3].body == data("kib.bin")[:10], "pipelined 4 (range): %r" % rs[3])
        check(rs[4].status == 200 and rs[4].body == b"1", "pipelined 5: %r" % rs[4])
    # Three 1 MiB answers to one write: nothing interleaved or lost.
    with Conn(shared().port) as c:
        c.send(req("GET", "/mib.bin") + req("GET", "/kib.bin") + req("GET", "/mib.bin"))
        for want in ("mib.bin", "kib.bin", "mib.bin"):
            r = c.response()
            check(r.status == 200 and sha(r.body) == sha(data(want)), "pipelined %s: %r" % (want, r))


def test_if_modified_since_304():
    r = curl_ok("/kib.bin", "-z", MTIME_HTTP, status=304)
    check(r.body == b"", "304 with a body: %r" % r)
    r = curl_ok("/kib.bin", "-z", "Thu, 02 Jan 2020 00:00:00 GMT", status=304)
    r = curl_ok("/kib.bin", "-z", "Tue, 31 Dec 2019 23:59:59 GMT")
    check(r.body == data("kib.bin"), "If-Modified-Since before the mtime: the whole file")
    with Conn(shared().port) as c:
        c.send(req("GET", "/kib.bin", "If-Modified-Since: " + MTIME_HTTP))
        r = c.response()
        check(r.status == 304, "raw If-Modified-Since: %r" % r)
        check_common_headers(r, "304", has_body=False)
        check(r.h("content-length") in (None, "0", "1024"), "304 Content-Length %r" % r.h("content-length"))
        # No body bytes: the next answer on the connection is whole.
        c.send(req("GET", "/one.txt"))
        check(c.response().body == b"1", "the response after the 304")
        c.send(req("GET", "/kib.bin", "If-Modified-Since: not a date"))
        r = c.response()
        check(r.status == 200 and r.body == data("kib.bin"), "an unparsable If-Modified-Since is ignored: %r" % r)


def test_ranges_206_416():
    kib = data("kib.bin")
    for arg, lo, hi in (("0-9", 0, 9), ("100-", 100, 1023), ("-50", 974, 1023), ("1000-5000", 1000, 1023),
                        ("1023-1023", 1023, 1023)):
        r = curl_ok("/kib.bin", "-r", arg, status=206)
        check(r.body == kib[lo:hi + 1], "range %s: %d bytes, expected %d" % (arg, len(r.body), hi - lo + 1))
        check(r.h("content-range") == "bytes %d-%d/1024" % (lo, hi), "range %s: Content-Range %r"
              % (arg, r.h("content-range")))
        check(r.h("content-length") == str(hi - lo + 1), "range %s: Content-Length %r" % (arg, r.h("content-length")))
        check_common_headers(r, "range " + arg)
    # A range of the 64 MiB file, far in.
    r = curl_ok("/big.bin", "-r", "50000000-50999999", status=206)
    check(r.body == data("big.bin")[50000000:51000000], "a range of big.bin differs")
    for arg in ("1024-", "5000-6000"):
        r = curl_ok("/kib.bin", "-r", arg, status=416)
        check(r.h("content-range") == "bytes */1024", "unsatisfiable %s: Content-Range %r" % (arg, r.h("content-range")))
    r = curl_ok("/kib.bin", "-r", "0-1,5-6")
    check(r.body == kib, "several ranges: not the whole file")
    r = curl("/empty.bin", "-r", "0-0")  # nothing is satisfiable in 0 bytes: 416, or the empty file
    check(r.rc == 0 and (r.status == 416 and r.h("content-range") == "bytes */0" or r.status == 200 and r.body == b""),
          "a range of an empty file: %r" % r)
    check_common_headers(curl("/kib.bin", "-r", "2000-"), "416")


def test_404_and_405():
    r = curl_ok("/nothere.txt", status=404)
    check(b"<" in r.body and (r.h("content-type") or "").startswith("text/html"), "404 body is not HTML: %r" % r)
    check_common_headers(r, "404")
    for method in ("POST", "DELETE", "PUT", "OPTIONS", "PATCH"):
        r = curl_ok("/one.txt", "-X", method, status=405)
        check(r.h("allow") == "GET, HEAD", "%s: Allow %r" % (method, r.h("allow")))
    r = curl_ok("/one.txt", "-d", "a=1", status=405)  # a POST with a body
    check(r.h("allow") == "GET, HEAD", "POST -d: Allow %r" % r.h("allow"))


def test_414_and_431():
    r = curl_ok("/" + "a" * 9000, status=414)
    check_common_headers(r, "414")
    r = curl_ok("/one.txt", "-H", "X-Big: " + "b" * 9000, status=431)
    many = []
    for i in range(10):
        many += ["-H", "X-Many-%d: %s" % (i, "m" * 4000)]
    r = curl_ok("/one.txt", *many, status=431)


def test_413_and_request_bodies():
    # A body over 1 MiB is refused from its Content-Length alone, then the connection closes.
    r, rest, closed = exchange(req("POST", "/one.txt", "Content-Length: 2000000", "Content-Type: text/plain"))
    check(r is not None and r.status == 413, "POST Content-Length 2000000: %r" % r)
    check(closed and rest == b"", "after 413 the connection should close (closed %s, then %r)" % (closed, rest))
    r, rest, closed = exchange(req("GET", "/one.txt", "Content-Length: 2000000"))
    check(r is not None and r.status == 413 and closed, "GET Content-Length 2000000: %r closed %s" % (r, closed))
    # curl streaming a real 2 MB body still reads the 413 (the server must not reset the
    # connection under it while the body is in flight).
    big = os.path.join(_state["tmp"], "upload-2mb.bin")
    with open(big, "wb") as f:
        f.write(pattern(2000000))
    for _ in range(3):
        curl_ok("/one.txt", "--data-binary", "@" + big, status=413)
    # A small request body is skipped (or the connection closed after the answer), never taken
    # for the next request.
    smuggled = req("GET", "/kib.bin")
    for method, status in (("POST", 405), ("GET", 200)):
        with Conn(shared().port) as c:
            c.send(req(method, "/one.txt", "Content-Length: %d" % len(smuggled), body=smuggled) +
                   req("GET", "/sub/inner.txt"))
            r = c.response()
            check(r.status == status and (status != 200 or r.body == b"1"), "%s with a body: %r" % (method, r))
            try:
                r2 = c.response()
            except EOFError:
                check((r.h("connection") or "").lower() == "close",
                      "%s with a body: the server closed without saying Connection: close: %r" % (method, r))
                continue
            check(r2.status == 200 and r2.body == data("sub/inner.txt"),
                  "the request after a %s body: %r (the body was taken for a request?)" % (method, r2))


def bad_request_closes(raw, what):
    r, rest, closed = exchange(raw)
    check(r is not None and r.status == 400, "%s: expected 400, got %r" % (what, r))
    check((r.h("connection") or "").lower() == "close", "%s: the 400 lacks Connection: close: %r" % (what, r))
    check(closed and rest == b"", "%s: after the 400 the connection should close (closed %s, then %r)"
          % (what, closed, rest))
    return r


def test_malformed_400_then_close():
    cases = {
        "one word": b"GARBAGE\r\n\r\n",
        "no version": b"GET /one.txt\r\nHost: x\r\n\r\n",
        "not HTTP": b"GET /one.txt FTP/1.1\r\nHost: x\r\n\r\n",
        "target not starting with /": req("GET", "one.txt"),
        "header without colon": req("GET", "/one.txt", "NoColonHere"),
        "space before the colon": req("GET", "/one.txt", "X-A : b"),
        "space in the header name": req("GET", "/one.txt", "X A: b"),
        "Content-Length not a number": req("GET", "/one.txt", "Content-Length: abc"),
        "negative Content-Length": req("GET", "/one.txt", "Content-Length: -1"),
        "HTTP/1.1 without Host": req("GET", "/one.txt", host=False),
        "two Host headers": req("GET", "/one.txt", "Host: other"),
        "control byte in the target": b"GET /one\x01.txt HTTP/1.1\r\nHost: x\r\n\r\n",
    }
    for what, raw in cases.items():
        r = bad_request_closes(raw, what)
        check_common_headers(r, what)
    r = curl_ok("/one.txt", status=200)  # still serving


def test_smuggling_400_then_close():
    follow = req("GET", "/kib.bin")
    cases = {
        "Content-Length with Transfer-Encoding":
            req("GET", "/one.txt", "Content-Length: 5", "Transfer-Encoding: chunked", body=b"0\r\n\r\n" + follow),
        "Transfer-Encoding then Content-Length":
            req("POST", "/one.txt", "Transfer-Encoding: chunked", "Content-Length: 5", body=b"0\r\n\r\n" + follow),
        "two different Content-Lengths":
            req("GET", "/one.txt", "Content-Length: 0", "Content-Length: %d" % len(follow), body=follow),
        "Content-Length list of two values":
            req("GET", "/one.txt", "Content-Length: 0, %d" % len(follow), body=follow),
        "bare CR in a header": req("GET", "/one.txt", "X-A: a\rb", body=follow),
        "bare CR ending a header": b"GET /one.txt HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n" + follow,
        "obs-fold (space)": req("GET", "/one.txt", "X-A: a", " folded", body=follow),
        "obs-fold (tab)": req("GET", "/one.txt", "X-A: a", "\tfolded", body=follow),
        "space before the first header": b"GET /one.txt HTTP/1.1\r\n Host: x\r\n\r\n" + follow,
    }
    for what, raw in cases.items():
        bad_request_closes(raw, what)


TRAVERSALS = ["/../secret.txt", "/../../etc/passwd", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/..%2fsecret.txt",
              "/..%5csecret.txt", "/%252e%252e/secret.txt", "//etc/passwd", "/sub/../../secret.txt",
              "/.%2e/secret.txt", "/%00", "/one.txt%00.html", "/link_out", "/link_rel_out", "/outdir/secret.txt",
              "/sub/%2e%2e/%2e%2e/secret.txt", "/..", "/%2e%2e", "/sub/..%2f..%2fsecret.txt", "/%2fetc%2fpasswd",
              "/..\\secret.txt", "/sub/../../../../../../etc/passwd", "/./../secret.txt", "/%2e%2e%2f%2e%2e%2fetc/passwd"]


def test_traversal_never_escapes_the_root():
    port = shared().port
    for path in TRAVERSALS:
        r = curl(path)
        check(r.rc == 0, "curl %s: rc %d %s" % (path, r.rc, r.err))
        leak = MARKER.encode() in r.body or PASSWD_MARKER.encode() in r.body
        check(not leak, "curl %s: the response carries a file from outside the root: %r" % (path, r))
        check(r.status in (400, 404), "curl %s: status %s, expected 400 or 404" % (path, r.status))
        raw, rest, _ = exchange(req("GET", path, "Connection: close"), port=port)
        check(raw is not None, "raw %s: no response" % path)
        everything = raw.body + rest
        check(MARKER.encode() not in everything and PASSWD_MARKER.encode() not in everything,
              "raw %s: a file from outside the root was served: %r" % (path, raw))
        check(raw.status in (400, 404), "raw %s: status %s, expected 400 or 404" % (path, raw.status))
    # Symlinks that stay inside the root work.
    r = curl_ok("/link_in")
    check(r.body == b"1", "a symlink to a file inside the root: %r" % r)
    r = curl_ok("/link_sub/inner.txt")
    check(r.body == data("sub/inner.txt"), "a symlinked directory inside the root: %r" % r)
    # Legitimate dots and encodings still work.
    check(curl_ok("/sub/./inner.txt").body == data("sub/inner.txt"), "/sub/./inner.txt")
    check(curl_ok("/%6fne.txt").body == b"1", "/%6fne.txt (an encoded o)")
    check(curl_ok("/dir/with%20space.txt").body == b"with space.txt", "%20 in a name")
    check(curl_ok("/one.txt?x=/../secret.txt").body == b"1", "a query string is not part of the path")


def test_directories_and_content_types():
    r = curl("/dir")
    check(r.rc == 0 and r.status == 301, "/dir: %r" % r)
    loc = r.h("location") or ""
    check(loc in ("/dir/", "http://127.0.0.1:%d/dir/" % shared().port), "/dir: Location %r" % loc)
    r = curl_ok("/dir", "-L")
    r = curl_ok("/dir/")
    check((r.h("content-type") or "").startswith("text/html"), "listing Content-Type %r" % r.h("content-type"))
    page = r.body.decode("utf-8", "replace")
    hrefs = {urllib.parse.unquote(urllib.parse.urljoin("/dir/", html.unescape(h))).rstrip("/")
             for h in re.findall(r"""href\s*=\s*["']([^"']*)["']""", page)}
    for name in DIR_ENTRIES:
        check("/dir/" + name in hrefs, "the listing of /dir/ has no link to %r (links: %s)" % (name, sorted(hrefs)))
    check("<i>.txt" not in page, "the listing writes a file name unescaped (<i> in the HTML):\n" + page)
    check(curl_ok("/dir/a%26b%20%3Ci%3E.txt").body == b"a&b <i>.txt", "the file with & and <> in its name")
    r = curl_ok("/withindex/")
    check(b"INDEX-PAGE" in r.body and (r.h("content-type") or "").startswith("text/html"), "index.html: %r" % r)
    r = curl("/withindex")
    check(r.status == 301 and (r.h("location") or "").endswith("/withindex/"), "/withindex: %r" % r)
    r = curl_ok("/")
    check(b"one.txt" in r.body, "the root listing: %r" % r)
    for ext, want in TYPES.items():
        r = curl_ok("/types/f." + ext)
        ctype = (r.h("content-type") or "").split(";")[0].strip().lower()
        check(ctype in want, ".%s: Content-Type %r, expected %s" % (ext, r.h("content-type"), " or ".join(sorted(want))))
    r = curl_ok("/types/noext")
    check((r.h("content-type") or "").split(";")[0] == "application/octet-stream",
          "no extension: Content-Type %r" % r.h("content-type"))


def status_json(port):
    r = curl_ok("/status.json", port=port)
    check((r.h("content-type") or "").startswith("application/json"), "/status.json Content-Type %r"
          % r.h("content-type"))
    j = json.loads(r.body)
    for k in ("connections", "accepted", "requests", "bytes_sent", "uptime_seconds"):
        check(isinstance(j.get(k), (int, float)), "/status.json: %r missing or not a number: %r" % (k, j))
    check(sorted(j.get("responses", {})) == ["1xx", "2xx", "3xx", "4xx", "5xx"], "/status.json responses: %r" % j)
    return j


def test_status_json_counters():
    srv, tap = fresh("--quiet")
    try:
        a = status_json(srv.port)
        with Conn(srv.port) as c:
            for _ in range(10):
                c.send(req("GET", "/kib.bin"))
                check(c.response().status == 200, "GET /kib.bin")
            c.send(req("GET", "/nothere"))
            check(c.response().status == 404, "404")
            c.send(req("GET", "/dir"))
            check(c.response().status == 301, "301")
            b = status_json(srv.port)
            check(b["connections"] >= 2, "connections %d while two are open" % b["connections"])
        check(b["requests"] - a["requests"] >= 12, "requests went %d -> %d after 12" % (a["requests"], b["requests"]))
        check(b["accepted"] - a["accepted"] >= 2, "accepted went %d -> %d" % (a["accepted"], b["accepted"]))
        check(b["bytes_sent"] - a["bytes_sent"] >= 10 * 1024, "bytes_sent went %d -> %d after 10 KiB"
              % (a["bytes_sent"], b["bytes_sent"]))
        check(b["responses"]["2xx"] - a["responses"]["2xx"] >= 10, "2xx %r -> %r" % (a["responses"], b["responses"]))
        check(b["responses"]["4xx"] - a["responses"]["4xx"] == 1, "4xx %r -> %r" % (a["responses"], b["responses"]))
        check(b["responses"]["3xx"] - a["responses"]["3xx"] == 1, "3xx %r -> %r" % (a["responses"], b["responses"]))
        check(b["uptime_seconds"] >= a["uptime_seconds"] >= 0, "uptime %r -> %r" % (a, b))
        r = curl_ok("/status", port=srv.port)
        page = r.body.decode()
        check((r.h("content-type") or "").startswith("text/html"), "/status Content-Type %r" % r.h("content-type"))
        for ident in ("connections", "accepted", "requests", "bytes_sent", "status_1xx", "status_2xx", "status_3xx",
                      "status_4xx", "status_5xx", "uptime", "updates"):
            check(re.search(r"""id\s*=\s*["']?%s\b""" % ident, page), "/status has no element id=%s" % ident)
        def _closed():
            return status_json(srv.port)["connections"] == 1  # only the asking connection
        wait_for(_closed, timeout=5, what="connections to drop back to 1 after closing")
    finally:
        check(tap.stop() == 0, "exit code after SIGTERM")


def test_access_log_quiet_and_sigterm():
    srv, tap = fresh()
    curl_ok("/kib.bin", port=srv.port)
    r404 = curl_ok("/nothere", port=srv.port, status=404)
    with Conn(srv.port) as c:
        c.send(req("GET", "/one.txt", "Range: bytes=0-0"))
        check(c.response().status == 206, "range")
    rc = tap.stop()
    check(rc == 0, "exit %s after SIGTERM, expected 0" % rc)
    log = tap.lines
    for want in (r'"GET /kib.bin HTTP/1.1" 200 1024', r'"GET /nothere HTTP/1.1" 404 %d' % len(r404.body),
                 r'"GET /one.txt HTTP/1.1" 206 1'):
        check(any(re.fullmatch(r"127\.0\.0\.1:\d+ " + re.escape(want), line) for line in log),
              "no access-log line %r in:\n%s" % (want, "\n".join(log)))
    srv, tap = fresh("--quiet")
    curl_ok("/kib.bin", port=srv.port)
    curl_ok("/nothere", port=srv.port, status=404)
    check(tap.stop() == 0, "--quiet: exit code after SIGTERM")
    check(not any("GET /" in line for line in tap.lines), "--quiet still logs: %r" % tap.lines)
    # SIGTERM with a keep-alive client connected, idle: still a prompt exit 0.
    srv, tap = fresh("--quiet")
    with Conn(srv.port) as c:
        c.send(req("GET", "/one.txt"))
        c.response()
        t0 = time.monotonic()
        rc = tap.stop()
        check(rc == 0 and time.monotonic() - t0 < 12, "SIGTERM with an idle keep-alive client: %s after %.1f s"
              % (rc, time.monotonic() - t0))


def test_sigterm_finishes_a_transfer_in_progress():
    # The drain's deadline is far beyond the transfer's need: the test is that it completes.
    srv, tap = fresh("--quiet", "--drain-timeout", "60", "--threads", "3")
    check(srv.banner.endswith("3 threads)"), "--threads 3: banner %r" % srv.banner)
    try:
        with Conn(srv.port, timeout=20) as c:
            c.send(req("GET", "/big.bin"))
            while len(c.buf) < (1 << 20):
                c._fill("the start of big.bin was expected")
            srv.signal(signal.SIGTERM)

            def refused():
                try:
                    socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
                    return False
                except OSError:
                    return True
            wait_for(refused, timeout=5, what="the server to stop accepting after SIGTERM")
            r = c.response()
            check(r.status == 200 and len(r.body) == SIZES["big.bin"] and sha(r.body) == sha(data("big.bin")),
                  "the 64 MiB transfer under way at SIGTERM: %d of %d bytes, sha256 %s"
                  % (len(r.body), SIZES["big.bin"], "equal" if sha(r.body) == sha(data("big.bin")) else "differs"))
            check(c.closed(), "the connection stays open after the drained transfer")
        rc = srv.proc.wait(timeout=30)
        check(rc == 0, "exit %s after SIGTERM with a transfer in progress" % rc)
    finally:
        tap.stop()


def test_slowloris_and_header_timeout():
    n = 200
    limit = raise_fd_limit(4 * n + 256)
    check(limit >= 2 * n + 64, "the fd limit is %d" % limit)
    srv, tap = fresh("--quiet", "--header-timeout", "2", "--max-connections", "1000")
    stalled = []
    try:
        # Each connection's header timer starts when the server accepts it, so no earlier than this.
        t_first = time.monotonic()
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            s.sendall(b"GET /one.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Stall-%d: " % i)
            stalled.append(s)
        t_stalled = time.monotonic()
        # Meanwhile a well-behaved client: every request answered well under a second. The time
        # is the server's answer, from connect to the last byte: curl's own time_total, not the
        # start of its process, which a busy machine can delay by itself.
        times = []
        for i in range(20):
            if i % 2:
                r = curl_ok("/kib.bin", "-w", "%{time_total}", port=srv.port)
                ok = r.body == data("kib.bin")
                times.append(float(r.w))
            else:
                t0 = time.monotonic()
                with Conn(srv.port) as c:
                    c.send(req("GET", "/kib.bin"))
                    ok = c.response().body == data("kib.bin")
                times.append(time.monotonic() - t0)
            check(ok, "request %d during the slowloris: wrong body" % i)
        check(max(times) < 1.0, "requests during the slowloris took up to %.2f s (all: %s)"
              % (max(times), ["%.3f" % t for t in times]))
        # The stalled heads get 408 (or are just closed) after about 2 s, not before.
        sel = selectors.DefaultSelector()
        for s in stalled:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
        got = {s: b"" for s in stalled}
        ended = {}
        deadline = t_stalled + 2 + 8
        while len(ended) < n and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.5):
                s = key.fileobj
                try:
                    part = s.recv(65536)
                except ConnectionResetError:
                    part = b""
                if part:
                    got[s] += part
                else:
                    ended[s] = time.monotonic()
                    sel.unregister(s)
        check(len(ended) == n, "%d of %d stalled connections were still open 10 s after --header-timeout 2"
              % (n - len(ended), n))
        first = min(ended.values()) - t_first
        check(first > 1.5, "a stalled connection was closed %.2f s after the first connect, before the 2 s "
                                 "header timeout" % first)
        for s, b in got.items():
            check(b == b"" or b.startswith(b"HTTP/1.1 408 ") or b.startswith(b"HTTP/1.0 408 "),
                  "a stalled connection got %r, expected 408 or a close" % b[:200])
        # A trickling head (a byte every 0.2 s) is cut at the same deadline: the timeout covers
        # the whole head, not the gap between bytes.
        with Conn(srv.port) as c:
            t0 = time.monotonic()
            closed_at = None
            for i in range(60):  # at most 12 s
                try:
                    c.s.sendall(b"X")
                except (BrokenPipeError, ConnectionResetError):
                    closed_at = time.monotonic()
                    break
                c.s.settimeout(0.2)  # paces the trickle; the server's close ends it
                try:
                    part = c.s.recv(65536)
                except socket.timeout:
                    continue
                except ConnectionResetError:
                    part = b""
                check(part == b"" or b" 408 " in part.split(b"\r\n")[0] or b" 400 " in part.split(b"\r\n")[0],
                      "the trickling client got %r" % part[:200])
                closed_at = time.monotonic()
                break
            # Cut at 2 s; the slack is for a loaded machine, and still far below the 12 s a
            # per-byte timer would have let the trickle run.
            check(closed_at is not None and closed_at - t0 < 2 + 5,
                  "a head trickled a byte every 0.2 s was not cut by --header-timeout 2 (%s)"
                  % ("still open after 12 s" if closed_at is None else "%.1f s" % (closed_at - t0)))
        r = curl_ok("/one.txt", port=srv.port)
        # Every closed connection has left the count: only the one asking remains.
        wait_for(lambda: status_json(srv.port)["connections"] == 1, timeout=5,
                 what="/status.json connections back to 1 after the slowloris")
    finally:
        for s in stalled:
            s.close()
        check(tap.stop() == 0, "exit code after SIGTERM")


def test_idle_keep_alive_closed_silently():
    srv, tap = fresh("--quiet", "--idle-timeout", "2", "--header-timeout", "3")
    try:
        with Conn(srv.port) as c:
            c.send(req("GET", "/one.txt"))
            check(c.response().body == b"1", "first request")
            t0 = time.monotonic()
            try:
                rest, how = recv_until_closed(c.s, timeout=10)
            except socket.timeout:
                raise AssertionError("an idle keep-alive connection was still open 10 s after --idle-timeout 2")
            took = time.monotonic() - t0
            check(rest == b"", "an idle keep-alive connection got %r before the close (expected nothing)" % rest[:200])
            check(1.5 < took < 6, "idle connection closed after %.2f s with --idle-timeout 2" % took)
        # A connection that never sends a byte has started no request: closed (idle or header
        # timeout, both short here) without a 408.
        with Conn(srv.port) as c:
            t0 = time.monotonic()
            try:
                rest, how = recv_until_closed(c.s, timeout=10)
            except socket.timeout:
                raise AssertionError("a connection that sent nothing was still open 10 s after --idle-timeout 2")
            check(rest == b"" and 1.5 < time.monotonic() - t0 < 6, "a silent connection: %r after %.2f s"
                  % (rest[:200], time.monotonic() - t0))
    finally:
        check(tap.stop() == 0, "exit code after SIGTERM")


def test_shared_server_stops_cleanly():
    """Last: the server most tests shared exits 0 on SIGTERM, with nothing on stderr (--quiet):
    a sanitizer report or a crash after all that traffic shows here."""
    srv = shared()
    srv.signal(signal.SIGTERM)
    rc, _, err = srv.wait()
    check(rc == 0, "the shared server exited %s after SIGTERM: %s" % (rc, err[-3000:]))
    noise = [line for line in err.splitlines() if "Sanitizer" in line or "runtime error" in line]
    check(not noise, "sanitizer output from the shared server:\n" + err[-3000:])


if __name__ == "__main__":
    try:
        main([test_banner_and_bodies_byte_exact, test_head, test_keep_alive_20_requests_on_one_connection,
              test_http10_closes_unless_keep_alive, test_pipelined_requests_answered_in_order,
              test_if_modified_since_304, test_ranges_206_416, test_404_and_405, test_414_and_431,
              test_413_and_request_bodies, test_malformed_400_then_close,
              test_smuggling_400_then_close, test_traversal_never_escapes_the_root,
              test_directories_and_content_types, test_status_json_counters, test_access_log_quiet_and_sigterm,
              test_sigterm_finishes_a_transfer_in_progress,
              test_slowloris_and_header_timeout, test_idle_keep_alive_closed_silently,
              test_shared_server_stops_cleanly])
    finally:
        if "tmp" in _state:
            shutil.rmtree(_state["tmp"], ignore_errors=True)
