"""lease_files.py: reads back what each server wrote, for bench_dhcp.py's checks after a probe.
Each reader replays its file in order and returns the live leases it ends with, how many lines
it read and the violations it saw: an address leased to a second client while the first still
holds it, a client holding two addresses, a damaged line."""
import zlib


def crc_ok(line):
    body, _, crc = line.rpartition(" ")
    return len(crc) == 8 and f"{zlib.crc32(body.encode()) & 0xffffffff:08x}" == crc


def clients_with_two_addresses(leases):
    """The violation for (address, client) pairs that give one client two addresses, or None."""
    by_client = {}
    for address, client in leases:
        by_client.setdefault(client, []).append(address)
    twice = [c for c, addresses in by_client.items() if len(addresses) > 1]
    if not twice:
        return None
    return f"{len(twice)} clients hold two addresses, e.g. {twice[0]}: {by_client[twice[0]]}"


def check_weft_file(path):
    """Reads weft's lease log (src/services/dhcp/lease_file.cpp's format) in order, as a replay:
    returns {lines, bad_lines, torn, leases (live), by_client, violations}."""
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8", errors="replace")
    torn = bool(text) and not text.endswith("\n")
    holder = {}      # address -> client of its current lease (None: free)
    events = {}      # address -> latest event
    lines = bad = 0
    violations = []
    for no, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1):
        if not line or line.startswith("#"):
            continue
        lines += 1
        if not crc_ok(line):
            bad += 1
            if len(violations) < 5:
                violations.append(f"line {no}: damaged (CRC): {line[:80]!r}")
            continue
        event, address, client = line.split(" ")[:3]
        if event == "lease":
            if holder.get(address) not in (None, client):
                violations.append(f"line {no}: {address} leased to {client} while {holder[address]} holds it")
            holder[address] = client
        else:  # a release or decline frees the address
            holder[address] = None
        events[address] = event
    live = {a: c for a, c in holder.items() if c is not None and events[a] == "lease"}
    if two := clients_with_two_addresses(live.items()):
        violations.append(two)
    if torn:
        violations.append("the last line has no newline after a graceful stop")
    return {"lines": lines, "bad_lines": bad, "torn": torn, "leases": len(live), "live": live,
            "violations": violations}


def check_kea_file(path):
    """Kea's memfile CSV: one row per change, the last row per address wins."""
    holder = {}
    violations = []
    lines = 0
    with open(path) as f:
        header = f.readline().strip().split(",")
        col = {name: i for i, name in enumerate(header)}
        for no, line in enumerate(f, 2):
            c = line.rstrip("\n").split(",")
            if len(c) < len(header):
                violations.append(f"line {no}: {len(c)} fields")
                continue
            lines += 1
            addr, hw, lifetime, state = c[col["address"]], c[col["hwaddr"]], int(c[col["valid_lifetime"]]), c[col["state"]]
            if lifetime > 0 and state == "0":
                if holder.get(addr) not in (None, hw):
                    violations.append(f"line {no}: {addr} leased to {hw} while {holder[addr]} holds it")
                holder[addr] = hw
            else:
                holder[addr] = None
    live = {a: h for a, h in holder.items() if h is not None}
    if two := clients_with_two_addresses(live.items()):
        violations.append(two)
    return {"lines": lines, "leases": len(live), "violations": violations}


def check_dnsmasq_file(path):
    """dnsmasq's lease file, rewritten whole after every change: EXPIRY MAC IP HOSTNAME CLIENT-ID."""
    addrs, rows, violations = {}, [], []
    lines = 0
    with open(path) as f:
        for no, line in enumerate(f, 1):
            c = line.split()
            if len(c) < 5 or c[0] == "duid":
                continue
            lines += 1
            if c[2] in addrs:
                violations.append(f"line {no}: {c[2]} listed twice")
            addrs[c[2]] = c[1]
            rows.append((c[2], c[1]))
    if two := clients_with_two_addresses(rows):
        violations.append(two)
    return {"lines": lines, "leases": len(addrs), "violations": violations}
