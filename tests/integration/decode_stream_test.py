"""weft decode streams: a capture file far larger than its memory bound is decoded whole,
every frame printed, with the process's peak RSS staying small (the file is mapped and the
pages already decoded are given back)."""
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403

FRAMES = 180_000
FRAME_BYTES = 600  # 110 MB of frames
RSS_LIMIT_KIB = 48 * 1024  # the bench holds weft to 32 MiB; this leaves headroom
# AddressSanitizer keeps freed memory in quarantine (256 MiB) and shadows what is read: its
# RSS says nothing about the decoder's, so there only the decoding itself is checked.
SANITIZED = os.environ.get("WEFT_SANITIZE", "0").upper() in ("1", "ON", "TRUE", "YES")


def udp_frame(i):
    payload = bytes([i & 0xff]) * (FRAME_BYTES - 42)
    udp = struct.pack("!HHHH", 40000 + i % 1000, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                     bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + udp


def test_a_large_file_decodes_whole_in_bounded_memory():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "big.pcap")
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
            for i in range(FRAMES):
                frame = udp_frame(i)
                f.write(struct.pack("<IIII", 1_700_000_000 + i // 1000, i % 1000 * 1000, len(frame), len(frame)))
                f.write(frame)
        size = os.path.getsize(path)
        check(size > 2 * RSS_LIMIT_KIB * 1024, "the file (%d bytes) must dwarf the bound" % size)
        proc = subprocess.Popen([WEFT, "decode", "--pcap", path, "--json"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        lines = 0
        last = b""
        for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            last = (last + chunk)[-4096:]
        err = proc.stderr.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        check(proc.returncode == 0, "exit %s: %s" % (proc.returncode, err))
        check(lines == FRAMES, "%d JSON lines for %d frames" % (lines, FRAMES))
        check(b'"frame":%d,' % FRAMES in last, "the last frame is numbered %d: %r" % (FRAMES, last[-300:]))
        if SANITIZED:
            skip_part("peak RSS not judged under AddressSanitizer (its quarantine and shadow dominate: %d KiB)"
                      % usage.ru_maxrss)
        else:
            check(usage.ru_maxrss < RSS_LIMIT_KIB, "peak RSS %d KiB decoding a %d MB file (bound %d KiB)"
                  % (usage.ru_maxrss, size >> 20, RSS_LIMIT_KIB))


def test_a_truncated_file_prints_every_whole_frame_then_names_the_damage():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "cut.pcap")
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
            for i in range(3):
                frame = udp_frame(i)
                f.write(struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)
            f.write(struct.pack("<IIII", 0, 0, 600, 600) + b"\x00" * 10)  # cut inside the 4th record
        rc, out, err = run([WEFT, "decode", "--pcap", path, "--json"])
        check(rc == 1, "exit %d" % rc)
        check(out.count(b"\n") == 3, "the 3 whole frames come first: %r" % out[-200:])
        check("cut.pcap" in err and "truncated" in err, "one line naming the file and the damage: %r" % err)


if __name__ == "__main__":
    main([test_a_large_file_decodes_whole_in_bounded_memory,
          test_a_truncated_file_prints_every_whole_frame_then_names_the_damage])
