"""Headless Chromium (Debian's `chromium`, a real browser) judges `weft http serve`: a page with a
stylesheet, a script, a JSON fetch and 12 PNG images renders whole (the page's own script checks
every image decoded to its colour and the style applied, and writes a marker the test reads from
the dumped DOM), every subresource is in the access log with 200; /status updates its counters
live in the browser; a screenshot of /status is kept as an artifact (shared/CLI.md, HTTP)."""
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403

N_IMAGES = 12
COLOURS = [((37 * i) % 256, (91 * i + 40) % 256, (173 * i + 80) % 256) for i in range(N_IMAGES)]
SHOT_SIZE = (1000, 700)

_state = {}


def tmpdir():
    if "tmp" not in _state:
        _state["tmp"] = tempfile.mkdtemp(prefix="weft-http-browser-")
    return _state["tmp"]


# ---------------------------------------------------------------- PNG in and out

def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def make_png(width, height, rgb):
    """A valid truecolour PNG of one colour."""
    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b""))


def read_png(blob):
    """(width, height, set of pixel colours) of an 8-bit RGB or RGBA, non-interlaced PNG (what
    Chromium's screenshots are); fails on anything else or a bad CRC."""
    check(blob[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG (signature %r)" % blob[:8])
    pos, idat, ihdr = 8, b"", None
    while pos < len(blob):
        length, kind = struct.unpack(">I4s", blob[pos:pos + 8])
        payload = blob[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", blob[pos + 8 + length:pos + 12 + length])
        check(zlib.crc32(kind + payload) == crc, "PNG chunk %r: bad CRC" % kind)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", payload)
        elif kind == b"IDAT":
            idat += payload
        elif kind == b"IEND":
            break
        pos += 12 + length
    check(ihdr is not None, "PNG without IHDR")
    width, height, depth, ctype, _, _, interlace = ihdr
    check(depth == 8 and ctype in (2, 6) and interlace == 0, "PNG kind %r not decoded here" % (ihdr,))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    check(len(raw) == height * (stride + 1), "PNG data %d bytes, expected %d" % (len(raw), height * (stride + 1)))
    prev = bytearray(stride)
    colours = set()
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 0xFF
            elif ftype == 2:
                line[x] = (line[x] + b) & 0xFF
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
            else:
                check(ftype == 0, "PNG filter type %d" % ftype)
        if y % 7 == 0:  # a sample of rows is enough to see what was drawn
            colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp * 3))
        prev = line
    return width, height, colours


# ---------------------------------------------------------------- the site

INDEX = """<!doctype html>
<html><head><meta charset="utf-8"><title>weft browser check</title>
<link rel="stylesheet" href="style.css">
<script src="js/app.js" defer></script>
</head><body>
<div id="probe"></div>
<p id="result">pending</p>
%s
</body></html>
"""

STYLE = "#probe { width: 123px; height: 7px; color: rgb(1, 2, 3); }\nimg { margin: 1px; }\n"

SCRIPT = r"""
// Runs after the load event: every image has then loaded or failed.
async function verify() {
  const colours = %s;
  const problems = [];
  const imgs = Array.from(document.images);
  if (imgs.length !== colours.length) problems.push("images in the DOM: " + imgs.length);
  imgs.forEach((img, i) => {
    if (!(img.complete && img.naturalWidth > 0)) { problems.push(img.src + " did not load"); return; }
    if (img.naturalWidth !== 8 + i || img.naturalHeight !== 6 + i) {
      problems.push(img.src + " size " + img.naturalWidth + "x" + img.naturalHeight);
    }
    const c = document.createElement("canvas");
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const ctx = c.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(3, 3, 1, 1).data;
    const want = colours[i];
    if (px[0] !== want[0] || px[1] !== want[1] || px[2] !== want[2]) {
      problems.push(img.src + " pixel " + Array.from(px).join(",") + " expected " + want.join(","));
    }
  });
  const cs = getComputedStyle(document.getElementById("probe"));
  if (cs.width !== "123px" || cs.color !== "rgb(1, 2, 3)") problems.push("style not applied: " + cs.width + " " + cs.color);
  try {
    const r = await fetch("data/info.json");
    const j = await r.json();
    if (j.magic !== "weft-json-ok") problems.push("json magic " + j.magic);
    if (!r.headers.get("content-type").startsWith("application/json")) problems.push("json type " + r.headers.get("content-type"));
  } catch (e) { problems.push("fetch data/info.json: " + e); }
  const result = document.getElementById("result");
  if (problems.length === 0) {
    document.body.dataset.loaded = String(imgs.length);
    result.textContent = "OK " + imgs.length + " images, style, json";
  } else {
    result.textContent = "PROBLEMS: " + problems.join("; ");
  }
}
if (document.readyState === "complete") verify(); else window.addEventListener("load", verify);
"""


def make_site():
    root = os.path.join(tmpdir(), "site")
    os.makedirs(os.path.join(root, "img"))
    os.makedirs(os.path.join(root, "js"))
    os.makedirs(os.path.join(root, "data"))
    imgs = "\n".join('<img src="img/c%02d.png" alt="c%02d">' % (i, i) for i in range(N_IMAGES))
    files = {"index.html": INDEX % imgs, "style.css": STYLE,
             "js/app.js": SCRIPT % str([list(c) for c in COLOURS]),
             "data/info.json": '{"magic": "weft-json-ok"}\n'}
    for i, rgb in enumerate(COLOURS):
        files["img/c%02d.png" % i] = make_png(8 + i, 6 + i, rgb)
    for name, content in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
    return root, {name: len(c.encode() if isinstance(c, str) else c) for name, c in files.items()}




# ---------------------------------------------------------------- chromium

def chromium(url, *args, timeout=45):
    """Runs headless Chromium once on `url` with a private profile; (stdout, stderr). Killed
    with its whole process group (and only that) when it overruns or leaves helpers behind."""
    exe = require_tool("chromium", "chromium")
    profile = tempfile.mkdtemp(prefix="profile-", dir=tmpdir())
    argv = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
            "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-proxy-server",
            "--disable-features=Translate,MediaRouter,OptimizationHints", "--hide-scrollbars",
            *args, url]
    env = dict(os.environ, HOME=profile)  # nothing written into the real home
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise AssertionError("chromium did not finish within %d s: %s" % (timeout, " ".join(argv)))
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)  # helpers of this run only: the group it leads
        except ProcessLookupError:
            pass
    check(p.returncode == 0, "chromium exited %d: %s\n%s" % (p.returncode, " ".join(argv), err.decode(errors="replace")[-2000:]))
    return out.decode(errors="replace"), err.decode(errors="replace")


def element_text(dom, ident):
    m = re.search(r"""<[^>]*\bid\s*=\s*["']?%s["'\s>][^>]*>([^<]*)<""" % re.escape(ident), dom)
    check(m is not None, "no element with id=%s in:\n%s" % (ident, dom[:3000]))
    return m.group(1).strip()


def number(dom, ident):
    text = element_text(dom, ident)
    digits = re.sub(r"[,\s\u202f\u00a0]", "", text)
    check(re.fullmatch(r"\d+", digits), "id=%s shows %r, not a count" % (ident, text))
    return int(digits)


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.read()


# ---------------------------------------------------------------- tests

def test_page_with_stylesheet_script_and_12_images():
    root, sizes = make_site()
    srv = weft_serve("http", "--root", root)
    tap = Tap(srv)
    try:
        base = "http://127.0.0.1:%d/" % srv.port
        dom, err = chromium(base, "--virtual-time-budget=5000", "--dump-dom")
        result = element_text(dom, "result")
        check(result == "OK %d images, style, json" % N_IMAGES, "the page's own check says %r" % result)
        check(re.search(r"""<body[^>]*\bdata-loaded\s*=\s*["']%d["']""" % N_IMAGES, dom),
              "body has no data-loaded=%d:\n%s" % (N_IMAGES, dom[:2000]))
        wanted = ["/", "/style.css", "/js/app.js", "/data/info.json"] + ["/img/c%02d.png" % i for i in range(N_IMAGES)]

        def logged(path):
            size = sizes["index.html" if path == "/" else path[1:]]
            return any(re.fullmatch(r'127\.0\.0\.1:\d+ "GET %s HTTP/1\.1" 200 %d' % (re.escape(path), size), line)
                       for line in tap.lines)
        try:
            wait_for(lambda: all(logged(p) for p in wanted), timeout=5, what="the access log of every subresource")
        except AssertionError:
            missing = [p for p in wanted if not logged(p)]
            raise AssertionError("not in the access log with 200 and their size: %s\nlog:\n%s"
                                 % (missing, "\n".join(tap.lines)))
    finally:
        rc = tap.stop()
    check(rc == 0, "the server exited %s after SIGTERM" % rc)


def test_status_updates_live_and_screenshot():
    root = os.path.join(tmpdir(), "status-root")
    os.makedirs(root)
    with open(os.path.join(root, "a.txt"), "w") as f:
        f.write("some text\n" * 100)
    srv = weft_serve("http", "--root", root, "--quiet")
    try:
        base = "http://127.0.0.1:%d" % srv.port
        for _ in range(5):
            check(get(base + "/a.txt")[0] == 200, "GET /a.txt")
        status, page = get(base + "/status")
        check(status == 200, "/status: %d" % status)
        page = page.decode()
        rendered = number(page, "requests")
        check(rendered >= 5, "/status as served shows requests=%d after 6" % rendered)
        check(number(page, "updates") == 0, "/status as served: updates=%s, expected 0" % element_text(page, "updates"))
        dom, _ = chromium(base + "/status", "--virtual-time-budget=4500", "--dump-dom")
        updates = number(dom, "updates")
        live = number(dom, "requests")
        check(updates >= 2, "the /status page refreshed %d times in 4.5 s of browser time, expected >= 2" % updates)
        check(live > rendered, "requests in the browser (%d) did not grow past the value served (%d)" % (live, rendered))
        check(number(dom, "status_2xx") > number(page, "status_2xx"), "status_2xx did not change in the browser")
        for ident in ("connections", "accepted", "bytes_sent", "status_1xx", "status_3xx", "status_4xx", "status_5xx",
                      "uptime"):
            check(element_text(dom, ident) != "", "id=%s is empty in the browser" % ident)
        # Some traffic of every kind a screenshot should show, then the picture.
        for path in ("/nothere", "/also/not/here", "/a.txt", "/"):
            try:
                get(base + path)
            except urllib.error.HTTPError:
                pass
        shot = os.path.join(tmpdir(), "status.png")
        chromium(base + "/status", "--virtual-time-budget=2500", "--screenshot=" + shot,
                 "--window-size=%d,%d" % SHOT_SIZE)
        check(os.path.exists(shot), "chromium wrote no screenshot")
        with open(shot, "rb") as f:
            blob = f.read()
        width, height, colours = read_png(blob)
        check((width, height) == SHOT_SIZE, "screenshot is %dx%d, expected %dx%d" % (width, height, *SHOT_SIZE))
        check(len(colours) >= 3, "the screenshot is nearly blank (%d colours)" % len(colours))
        art = os.path.join(os.environ.get("WEFT_BUILD_DIR") or tmpdir(), "artifacts")
        os.makedirs(art, exist_ok=True)
        shutil.copy(shot, os.path.join(art, "http-status.png"))
        print("screenshot: %s" % os.path.join(art, "http-status.png"))
    finally:
        srv.signal(signal.SIGTERM)
        rc, _, err = srv.wait()
    check(rc == 0, "the server exited %s after SIGTERM: %s" % (rc, err[-3000:]))


if __name__ == "__main__":
    try:
        main([test_page_with_stylesheet_script_and_12_images, test_status_updates_live_and_screenshot])
    finally:
        if "tmp" in _state:
            shutil.rmtree(_state["tmp"], ignore_errors=True)
