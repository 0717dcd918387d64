#!/usr/bin/env python3
"""docroot.py DIR: writes the document root every server in the HTTP benchmark serves
(bench/http/bench_http.py calls write_root): 1k.bin (1,024 bytes) and 64k.bin (65,536 bytes).
The bytes are deterministic (a SHA-256 counter stream, so incompressible and the same on every
run) and the report gives their SHA-256, which every server's answer must match."""
import hashlib
import os
import sys

FILES = {"1k.bin": 1024, "64k.bin": 65536}


def content(name, size):
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(f"weft-bench-http {name} {i}".encode()).digest()
        i += 1
    return bytes(out[:size])


def write_root(root):
    """Writes the files into root (made world-readable: nginx and h2o started as root serve
    as `nobody`); returns {name: sha256 hex}."""
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)
    sums = {}
    for name, size in FILES.items():
        data = content(name, size)
        path = os.path.join(root, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o644)
        sums[name] = hashlib.sha256(data).hexdigest()
    return sums


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: docroot.py DIR")
    for n, h in write_root(sys.argv[1]).items():
        print(f"{h}  {n}")
