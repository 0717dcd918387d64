"""examples/http_static: serves a directory (a file, a listing, /status.json) on the port it is
given and stops on SIGTERM with exit 0, reporting what it served."""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403


def test_serves_a_directory_and_stops_on_sigterm():
    program = example("http_static")
    with tempfile.TemporaryDirectory() as root:
        content = pattern(200_000)
        with open(os.path.join(root, "data.bin"), "wb") as f:
            f.write(content)
        # Port 0: the kernel picks a free one, and the banner says which.
        proc = subprocess.Popen([program, root, "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            banner = proc.stdout.readline()
            m = re.search(r" at http://127\.0\.0\.1:(\d+)/", banner)
            check(m is not None and int(m.group(1)) != 0, "banner: %r" % banner)
            base = "http://127.0.0.1:%s" % m.group(1)
            body = urllib.request.urlopen(base + "/data.bin", timeout=10).read()
            check(hashlib.sha256(body).digest() == hashlib.sha256(content).digest(), "data.bin differs")
            listing = urllib.request.urlopen(base + "/", timeout=10).read().decode()
            check('href="data.bin"' in listing, "listing: %s" % listing[:300])
            stats = json.load(urllib.request.urlopen(base + "/status.json", timeout=10))
            check(stats["requests"] == 2 and stats["responses"]["2xx"] == 2, "status: %r" % stats)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=15)
            check(proc.returncode == 0, "exit %s: %s" % (proc.returncode, err))
            check("3 requests" in out, "stop line: %r" % out)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main([test_serves_a_directory_and_stops_on_sigterm])
