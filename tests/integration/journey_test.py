"""The tutorial's whole journey, live (root): `weft tour --json --pcap F` builds a fresh weft
lab, runs the host's steps and removes the lab. The capture F is checked on its own (read here
byte by byte and by `weft decode`): the DHCP DORA with the offered address, ARP request and
reply for the gateway, a DNS query to each server of the hierarchy, SYN/SYN-ACK/ACK, the GET's
4960 bytes, the four fragments of the 5000-byte datagram (1500, 1500, 1500, 560 bytes at
offsets 0, 1480, 2960, 4440), the FIN exchange; tshark reads it with no malformed packet; the
tour's own labels agree; the lab is gone afterwards, also when the tour is interrupted with
SIGINT or SIGTERM midway, and with every core busy. Without root: the tour says in one line why the journey is skipped."""
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_lab import needs_weft_lab  # noqa: E402
from weft_testlib import WEFT, busy_cores, check, main, require_tool, run, wait_for  # noqa: E402

GATEWAY, ROOT, TLD, ZONE, WEB = "198.18.0.1", "198.19.0.2", "198.19.0.3", "198.19.0.4", "198.19.0.80"
STEPS = ["dhcp", "arp", "dns", "tcp-open", "http", "tcp-close", "ip-fragments"]


def needs_root():
    needs_weft_lab("needs root: the journey runs in network namespaces (weft lab)")


def lab_left():
    """What of the lab still exists: namespaces, the run directory, daemons (by their arguments)."""
    rc, out, _ = run(["ip", "netns", "list"])
    # The lab's own names only: the unit tests' netns_lab makes weft-lab-<pid>-a/b beside us.
    left = [l.split()[0] for l in out.decode().splitlines()
            if l.strip() and l.split()[0] in ("weft-lab-host", "weft-lab-gw", "weft-lab-srv")]
    if os.path.exists("/run/weft-lab"):
        left.append("/run/weft-lab")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read()
            with open("/proc/%s/stat" % pid) as f:
                zombie = f.read().rsplit(") ", 1)[1][0] in "ZX"
        except OSError:
            continue
        if b"/run/weft-lab" in cmd and not zombie:
            left.append("pid %s: %s" % (pid, cmd.replace(b"\0", b" ").decode(errors="replace")))
    return left


def pcap_frames(path):
    """The frames of a classic pcap file, as bytes (weft capture writes classic pcap)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    check(magic in (0xA1B2C3D4, 0xA1B23C4D), "not a little-endian classic pcap: %x" % magic)
    frames, at = [], 24
    while at + 16 <= len(data):
        caplen = struct.unpack("<I", data[at + 8:at + 12])[0]
        frames.append(data[at + 16:at + 16 + caplen])
        at += 16 + caplen
    return frames


def client_stream(frames, client, server):
    """The bytes the client sent on its TCP connection, in sequence order, from the frames."""
    segments = {}
    for fr in frames:
        if fr[12:14] != b"\x08\x00" or fr[23] != 6:
            continue
        ihl = (fr[14] & 15) * 4
        ip = fr[14:]
        src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
        tcp = ip[ihl:struct.unpack("!H", ip[2:4])[0]]
        if (src, dst, struct.unpack("!H", tcp[2:4])[0]) != (client, server, 80):
            continue
        off = (tcp[12] >> 4) * 4
        if len(tcp) > off:
            segments[struct.unpack("!I", tcp[4:8])[0]] = tcp[off:]
    return b"".join(segments[k] for k in sorted(segments))


def layers(obj):
    out = {}
    for l in obj["layers"]:
        out.setdefault(l["layer"], l)
    return out


def run_journey(pcap):
    rc, out, err = run([WEFT, "tour", "--json", "--pcap", pcap], timeout=60)
    check(rc == 0, "weft tour --json exited %d: %s" % (rc, err))
    return [json.loads(l) for l in out.decode().splitlines() if l.strip()]


def test_journey_capture():
    needs_root()
    tshark = require_tool("tshark", "tshark")
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "journey.pcap")
        tour = run_journey(pcap)
        check(lab_left() == [], "the lab outlived the tour: %s" % lab_left())
        rc, out, err = run([WEFT, "decode", "--pcap", pcap, "--json"])
        check(rc == 0, "decode: %s" % err)
        frames = [json.loads(l) for l in out.decode().splitlines()]
        raw = pcap_frames(pcap)
        check(len(frames) == len(raw) == len(tour), "frames: decode %d, file %d, tour %d"
              % (len(frames), len(raw), len(tour)))
        L = [layers(f) for f in frames]

        # DHCP: DISCOVER, OFFER, REQUEST, ACK, in that order, all about one address.
        dora = [l["dhcp"] for l in L if "dhcp" in l]
        check([d["message_type"] for d in dora] == ["DISCOVER", "OFFER", "REQUEST", "ACK"],
              "DORA: %s" % [d["message_type"] for d in dora])
        host = dora[1]["yiaddr"]
        check(host.startswith("198.18.0.") and dora[3]["yiaddr"] == host and dora[2]["options"]["50"] == host,
              "the offered address %s is requested and acknowledged: %s" % (host, dora))
        check(dora[3]["options"]["3"] == [GATEWAY] and dora[3]["options"]["6"] == [ROOT]
              and dora[3]["options"]["1"] == "255.255.255.0", "the four elements: %s" % dora[3]["options"])

        # ARP: the host asks for the gateway, the gateway answers.
        arp = [l["arp"] for l in L if "arp" in l]
        check(any(a["op"] == 1 and a["target_ip"] == GATEWAY and a["sender_ip"] == host for a in arp),
              "ARP request for the gateway: %s" % arp)
        check(any(a["op"] == 2 and a["sender_ip"] == GATEWAY and a["target_ip"] == host for a in arp),
              "ARP reply from the gateway: %s" % arp)

        # DNS: a query to each server of the hierarchy, in order; the last answer holds www.
        queries = [(l["ipv4"]["dst"], l["dns"]["questions"][0]["name"]) for l in L
                   if "dns" in l and not l["dns"]["qr"]]
        check(queries == [(ROOT, "www.example.test"), (TLD, "www.example.test"), (ZONE, "www.example.test")],
              "queries: %s" % queries)
        answers = [l["dns"] for l in L if "dns" in l and l["dns"]["qr"]]
        check(len(answers) == 3 and [a["data"] for a in answers[-1]["answers"]] == [WEB] and answers[-1]["aa"],
              "the answer: %s" % answers[-1:])

        # TCP: the handshake, the GET's bytes, the FIN exchange.
        tcp = [(l["ipv4"]["src"], l["tcp"]) for l in L if "tcp" in l]
        flags = [(src, t["flags"]) for src, t in tcp]
        check(flags[0] == (host, ["SYN"]) and flags[1] == (WEB, ["SYN", "ACK"]) and flags[2] == (host, ["ACK"]),
              "handshake: %s" % flags[:3])
        check(any(src == host and "FIN" in f for src, f in flags) and any(src == WEB and "FIN" in f for src, f in flags),
              "FIN from both sides: %s" % flags)
        check(flags[-1][1] == ["ACK"], "the close ends with an ACK: %s" % flags[-3:])
        get = client_stream(raw, host, WEB)
        check(len(get) == 4960 and get.startswith(b"GET / HTTP/1.1\r\nHost: www.example.test\r\n")
              and get.endswith(b"\r\n\r\n"), "the GET: %d bytes %r...%r" % (len(get), get[:60], get[-10:]))
        check(any("http" in l and l["http"].get("status") == 200 for l in L), "the 200 response")

        # The fragments: one datagram, four pieces, the tutorial's sizes and offsets.
        frags = [l["ipv4"] for l in L if "ipv4" in l and (l["ipv4"]["mf"] or l["ipv4"]["fragment_offset"])]
        check([f["total_length"] for f in frags] == [1500, 1500, 1500, 560], "fragment sizes: %s" % frags)
        check([f["fragment_offset"] for f in frags] == [0, 1480, 2960, 4440], "offsets: %s" % frags)
        check([f["mf"] for f in frags] == [True, True, True, False] and not any(f["df"] for f in frags)
              and len({f["id"] for f in frags}) == 1 and all(f["protocol"] == 17 for f in frags),
              "MF, DF, one id, UDP: %s" % frags)
        first = next(l for l in L if "ipv4" in l and l["ipv4"]["mf"] and not l["ipv4"]["fragment_offset"])
        check(first["udp"]["length"] == 4980 and first["udp"]["dst_port"] == 9, "the UDP header: %s" % first["udp"])

        # The tour's labels: every step present, in the tutorial's order of first appearance.
        steps = [o["step"] for o in tour]
        check([o["frame"] for o in tour] == list(range(1, len(tour) + 1)), "frames numbered from 1")
        firsts = sorted(set(steps) - {"other"}, key=steps.index)
        check(firsts == STEPS, "steps in order: %s" % firsts)
        check(all(o["note"] for o in tour), "a note on every frame")
        for o, l in zip(tour, L):
            if "dhcp" in l:
                check(o["step"] == "dhcp", "frame %d is dhcp: %s" % (o["frame"], o["step"]))
            if "ipv4" in l and (l["ipv4"]["mf"] or l["ipv4"]["fragment_offset"]):
                check(o["step"] == "ip-fragments", "frame %d is a fragment: %s" % (o["frame"], o["step"]))
            if "tcp" in l and "SYN" in l["tcp"]["flags"]:
                check(o["step"] == "tcp-open", "frame %d is tcp-open: %s" % (o["frame"], o["step"]))
        bad = [(o["frame"], n) for o, l in zip(tour, L) for n in ("ipv4", "tcp", "udp")
               if n in l and l[n].get("checksum_ok") is False]
        check(not bad, "checksums the capture holds are finished (offload off): %s" % bad)

        # tshark reads it all, nothing malformed.
        p = subprocess.run([tshark, "-r", pcap], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        check(p.returncode == 0 and len(p.stdout.splitlines()) == len(raw), "tshark: rc %d, %d lines: %s"
              % (p.returncode, len(p.stdout.splitlines()), p.stderr))
        check("Malformed" not in p.stdout, "tshark found a malformed packet:\n" + p.stdout)
        p = subprocess.run([tshark, "-r", pcap, "-Y", "_ws.malformed || _ws.expert.severity == error"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        check(p.returncode == 0 and p.stdout.strip() == "", "tshark's errors: %s %s" % (p.stdout, p.stderr))


def test_text_output_names_every_step():
    needs_root()
    rc, out, err = run([WEFT, "tour"], timeout=60)
    text = out.decode()
    check(rc == 0, "weft tour exited %d: %s" % (rc, err))
    journey = " ".join(text[text.index("7. The whole journey"):].split())  # lines wrap anywhere
    for needle in ["the four elements: address 198.18.0.", "the gateway 198.18.0.1 is at ",
                   "www.example.test. 300 IN A 198.19.0.80", "got HTTP/1.1 200 OK",
                   "received it whole: 4972 bytes", "[ip-fragments] 1514 bytes", "[tcp-close]",
                   "as 4 TCP segments of 1448, 1448, 1448, 616 bytes in datagrams with DF set",
                   "1500, 1500, 1500, 560 bytes at offsets 0, 1480, 2960, 4440", "removed 3 namespaces"]:
        check(needle in journey, "the journey lacks %r:\n%s" % (needle, journey))
    check(lab_left() == [], "the lab outlived the tour: %s" % lab_left())


def interrupt_when(condition, what, sig=signal.SIGINT):
    """Starts `weft tour --json`, sends sig once condition() holds, and checks that the tour
    says so in one line, exits 1 and leaves nothing of the lab behind."""
    rc, _, err = run([WEFT, "lab", "down"])  # the condition below must see this tour's lab
    check(rc == 0 and lab_left() == [], "a lab before the test: %s %s" % (err, lab_left()))
    proc = subprocess.Popen([WEFT, "tour", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def reached():
            if proc.poll() is not None:  # (stderr read only then: reading blocks until the tour ends)
                raise AssertionError("the tour ended before %s: %s" % (what, proc.stderr.read()))
            return condition()
        wait_for(reached, timeout=30, what=what)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    check(proc.returncode == 1, "interrupted tour exited %d: %s" % (proc.returncode, err))
    check("interrupted by signal %d" % sig in err and "lab was removed" in err and len(err.strip().splitlines()) == 1,
          "one line saying so: %r" % err)
    check(lab_left() == [], "the lab outlived the interrupted tour: %s" % lab_left())


def test_sigint_while_the_lab_is_made():
    needs_root()

    def namespaces():
        _, out, _ = run(["ip", "netns", "list"])
        return b"weft-lab-host" in out
    interrupt_when(namespaces, "the lab's namespaces")


def test_sigint_while_capturing():
    needs_root()
    # The capture's log appears when the tour starts it, after the lab is up.
    interrupt_when(lambda: os.path.exists("/run/weft-lab/capture.log"), "the capture to start")


def test_sigterm_while_capturing():
    needs_root()
    interrupt_when(lambda: os.path.exists("/run/weft-lab/capture.log"), "the capture to start", signal.SIGTERM)


def test_sigint_while_capturing_under_cpu_load():
    # Every core busy, as when a user hits Ctrl-C on a loaded machine: the stop still tears
    # the lab down, says so in one line and exits 1.
    needs_root()
    with busy_cores():
        interrupt_when(lambda: os.path.exists("/run/weft-lab/capture.log"), "the capture to start")


def test_without_root_one_line_why():
    if os.geteuid() == 0:
        drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    else:
        drop = []
    p = subprocess.run(drop + [WEFT, "tour"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    check(p.returncode == 0, "tour without root exited %d: %s" % (p.returncode, p.stderr))
    lines = [l for l in p.stdout.splitlines() if "journey" in l.lower()]
    check(lines == ["7. The journey in a namespace lab is skipped: needs root (it creates network namespaces "
                    "and veth pairs with ip)."], "one line why: %s" % lines)
    check("What crossed the wire" in p.stdout, "the rest of the tour still runs")
    p = subprocess.run(drop + [WEFT, "tour", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    check(p.returncode == 0 and p.stdout == "" and len(p.stderr.splitlines()) == 1,
          "--json without root: nothing on stdout, the reason on stderr: %r %r" % (p.stdout, p.stderr))


if __name__ == "__main__":
    main([test_journey_capture, test_text_output_names_every_step, test_sigint_while_the_lab_is_made,
          test_sigint_while_capturing, test_sigterm_while_capturing, test_sigint_while_capturing_under_cpu_load,
          test_without_root_one_line_why])
