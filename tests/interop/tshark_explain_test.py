"""Every pcap that `weft explain` writes, read by tshark with checksum validation on: no malformed
packet, no bad checksum, every protocol of the journey recognised, the GET's fragments reassembled
into its 4980-byte TCP segment. And scapy's reassembly of weft's fragments equals the datagram weft sends whole over a
link that needs no fragmentation (the unit tests show weft's Reassembler yields that datagram).
"""
import os
import shutil
import subprocess
import sys
import tempfile

WEFT = os.environ.get("WEFT_BIN", "weft")
# scripts/install-deps.sh test installs tshark and python3-scapy: a missing one is a failure,
# and so is a scapy name that no longer imports (an API change must not turn into a skip).
if not shutil.which("tshark"):
    print("FAIL: tshark is not installed (scripts/install-deps.sh test installs it)")
    sys.exit(1)
try:
    import scapy  # noqa: F401
except ImportError as e:
    print("FAIL: scapy is not installed for %s (%s); scripts/install-deps.sh test installs python3-scapy"
          % (sys.executable, e))
    sys.exit(1)
import logging  # noqa: E402
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, TCP, Ether, defragment, rdpcap  # noqa: E402,F401

CHECKS = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]
FIELDS = ["frame.number", "frame.protocols", "ip.checksum.status", "udp.checksum.status", "tcp.checksum.status",
          "ip.reassembled.length", "_ws.expert.message", "_ws.malformed"]


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def run(argv):
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    # tshark warns on stderr when run as root; only the exit status and stdout matter.
    check(out.returncode == 0, "%s exited %d: %s" % (" ".join(argv), out.returncode, out.stderr[-2000:]))
    return out.stdout


def explain(tmp, args):
    path = os.path.join(tmp, "explain%s.pcap" % "".join(a.strip("-") for a in args))
    run([WEFT, "explain", "--pcap", path] + args)
    return path


def tshark_checks(path, label):
    verbose = run(["tshark", "-r", path] + CHECKS + ["-V"])
    check("Malformed" not in verbose, label + ": tshark reports a malformed packet")
    for bad in ["status: Bad", "Status: Bad", "incorrect, should be", "Bad checksum"]:
        check(bad not in verbose, label + ": tshark reports " + bad)
    table = run(["tshark", "-r", path] + CHECKS + ["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"] +
                sum([["-e", f] for f in FIELDS], []))
    protocols = set()
    reassembled = []
    rows = [line.split("|") for line in table.splitlines()]
    for row in rows:
        number, protos, ip_ok, udp_ok, tcp_ok, reasm, expert, malformed = row
        protocols.update(protos.split(":"))
        # Checksum status: 0 bad, 1 good, 2 not verified. Every checksum tshark sees is good.
        for name, status in [("ip", ip_ok), ("udp", udp_ok), ("tcp", tcp_ok)]:
            for s in filter(None, status.split(",")):
                check(s == "1", "%s frame %s: %s checksum status %s" % (label, number, name, s))
        check(not malformed, "%s frame %s: malformed" % (label, number))
        check("checksum" not in expert.lower() and "malformed" not in expert.lower(),
              "%s frame %s: expert says %s" % (label, number, expert))
        if reasm:
            reassembled.append(int(reasm.split(",")[0]))
    for p in ["eth", "arp", "ip", "udp", "dhcp", "dns", "tcp", "http"]:
        check(p in protocols, "%s: tshark never saw %s (saw %s)" % (label, p, sorted(protocols)))
    return len(rows), reassembled


def ip_bytes(pkt):
    ip = pkt[IP]
    return bytes(ip)[:ip.len]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for args in [[], ["--segment"], ["--mtu", "576"], ["--mtu", "68"]]:
            label = "explain " + (" ".join(args) or "(default)")
            count, reassembled = tshark_checks(explain(tmp, args), label)
            if "--segment" in args:
                check(reassembled == [], label + ": nothing should need reassembly, got %s" % reassembled)
            else:
                check(4980 in reassembled, label + ": tshark did not reassemble the GET's 4980-byte segment (%s)" % reassembled)
            print("%s: %d frames, tshark: no malformed packet, no bad checksum, reassembled %s"
                  % (label, count, reassembled))

        # The datagram weft sends whole (MTU 9000) against scapy's reassembly of weft's fragments.
        whole = [p for p in rdpcap(explain(tmp, ["--mtu", "9000"])) if IP in p and p[IP].len == 5000]
        check(len(whole) == 1, "one 5000-byte datagram at MTU 9000, got %d" % len(whole))
        want = ip_bytes(whole[0])
        for mtu in ["1500", "576", "68"]:
            pkts = rdpcap(explain(tmp, ["--mtu", mtu]))
            frags = [p[IP] for p in pkts if IP in p and (p[IP].flags.MF or p[IP].frag)]
            check(len(frags) >= 4, "MTU %s: expected fragments, got %d" % (mtu, len(frags)))
            joined = [p for p in defragment(frags) if IP in p and TCP in p and p[TCP].dport == 80]
            check(len(joined) == 1, "MTU %s: scapy reassembled %d datagrams" % (mtu, len(joined)))
            got = IP(bytes(joined[0]))
            # scapy keeps the first fragment's header; compare with its lengths/flags/checksum rebuilt.
            got.flags = whole[0][IP].flags
            got.frag = 0
            del got.len, got.chksum
            got = IP(bytes(got))
            check(bytes(got) == want, "MTU %s: scapy's reassembly differs from weft's whole datagram" % mtu)
            print("MTU %s: scapy's reassembly of %d fragments equals weft's 5000-byte datagram" % (mtu, len(frags)))
    print("ok")


if __name__ == "__main__":
    main()
