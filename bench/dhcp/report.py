"""report.py: docs/perf/dhcp.md and dhcp.png from the results of bench_dhcp.py
(build/bench/dhcp/results.json). `DHCP_BENCH_REPORT_ONLY=1 scripts/bench-dhcp.sh` rewrites the
report from the last results without measuring."""
import os
import statistics
import subprocess
import tempfile

TARGET = 2.0  # issue 11: weft's leases/s at least twice Kea's, with the same durability promise

LABEL = {"weft": "weft", "kea": "Kea (memfile)", "kea-sync": "Kea (memfile, synchronous file)",
         "dnsmasq": "dnsmasq", "kea-standin": "Kea again (stand-in)"}
SHORT = {"weft": "weft", "kea": "Kea", "kea-sync": "Kea, sync file", "dnsmasq": "dnsmasq", "kea-standin": "Kea again"}

# What each server promises about a lease when its ACK leaves, from its source (the report
# cites where). Facts, not measurements: they do not change from run to run.
DURABILITY = {
    "weft": ("on disk (fdatasync) before the ACK",
             "Appends the batch's lease lines to its log with one write(), then fdatasync(), and only then "
             "sends the batch's replies (src/services/dhcp/dhcp_server.cpp, lease_store.cpp): one flush per "
             "batch, however many ACKs it carries. Each line has a CRC and the log is compacted by write, fsync, "
             "rename and a directory fsync, so a crash at any instant leaves every ACKed lease readable."),
    "kea": ("in the page cache (write, no fsync) before the ACK",
            "Kea 2.2's memfile backend appends each new or renewed lease to its CSV file before the ACK "
            "(Memfile_LeaseMgr::addLeaseInternal / updateLease4Internal call CSVFile::append first, "
            "src/lib/dhcpsrv/memfile_lease_mgr.cc); CSVFile::append writes the row to a std::fstream "
            "followed by std::endl, a flush, that is one write() into the page cache "
            "(src/lib/util/csv_file.cc). Nothing calls fsync: the lease survives the server's crash, not the "
            "machine's until the kernel writes the page back ({writeback}). There is no setting to change that."),
    "kea-sync": ("on disk before the ACK (each write synchronous)",
                 "The same Kea with its lease directory marked `chattr +S` (ext4 synchronous updates; the CSV "
                 "file Kea creates there inherits the flag): each of its per-lease write() calls returns only "
                 "once the data is on disk, as write() + fdatasync() would. This is the promise weft makes, "
                 "paid once per lease instead of once per batch."),
    "dnsmasq": ("on disk (fsync) before the reply, but rewritten in place",
                "After each request that changes a lease, dhcp_packet() calls lease_update_file() before "
                "sending the reply (src/dhcp.c); it rewinds the lease file, ftruncate()s it to zero, writes "
                "every lease again, then fflush() and fsync() (src/lease.c). The ACKed lease is on disk before "
                "the ACK leaves, but the file is rewritten in place: a crash between the truncate and the "
                "fsync can leave it empty or cut short, losing every lease, and each change costs a rewrite "
                "of the whole file (its work grows with the number of leases)."),
}


DURABILITY["kea-standin"] = DURABILITY["kea"]


def med(xs):
    xs = [x for x in xs if x is not None and x == x]
    return statistics.median(xs) if xs else float("nan")


def fmt(x, digits=0):
    return "–" if x is None or x != x else f"{x:,.{digits}f}"


def per_server(res):
    """Per server: round figures, their best probes, all probes."""
    out = {}
    servers = res["settings"]["servers"]
    probes = res["probes"]
    for s in servers:
        rounds = [r for r in res["rounds"] if r["server"] == s]
        mine = [p for p in probes if p["server"] == s]
        best = []
        for r in rounds:
            cands = [p for p in mine if p["phase"] == "round" and p["round"] == r["round"] and p["passed"]
                     and p["completed"] == r["completed"]]
            if cands:
                best.append(cands[0])
        measured = [p for p in mine if p["phase"] == "round"]
        out[s] = {
            "rounds": [r["completed"] for r in rounds],
            "median": med([r["completed"] for r in rounds]),
            "gen_limited": any(r["gen_limited"] for r in rounds),
            "best": best,
            "offered": med([p["offered"] for p in best]),
            "loss": med([p["loss"] for p in best]),
            "us_per_lease": med([p["server_cpu_s"] * 1e6 / p["acks"] for p in best if p["acks"]]),
            "busy": med([p["server_busy"] for p in best]),
            "gen_reached": med([p.get("gen_reached", float("nan")) for p in best]),
            "other": med([p["other_on_server_core"] for p in best]),
            "delay_ra": med([p["avg_delay_ra_ms"] for p in best]),
            "delay_do": med([p["avg_delay_do_ms"] for p in best]),
            "peak": max([p["completed"] for p in measured], default=float("nan")),
            "peak_probe": max(measured, key=lambda p: p["completed"], default=None),
            "rb": next((p["receive_buffer"] for p in mine if p.get("receive_buffer")), None),
            "probes": mine,
        }
    return out


def paired_ratio(res, a, b):
    """Median over rounds of a's figure over b's in the same round, and the rounds' range."""
    by = {}
    for r in res["rounds"]:
        by.setdefault(r["round"], {})[r["server"]] = r["completed"]
    xs = [x[a] / x[b] for x in by.values() if a in x and b in x and x[b] > 0]
    return med(xs), (min(xs) if xs else float("nan")), (max(xs) if xs else float("nan")), len(xs)


def drops_of(p):
    """Exchanges that did not complete, and where the datagrams were lost."""
    return {"incomplete": p["discover_sent"] - p["acks"], "drops_do": p["drops_do"], "drops_ra": p["drops_ra"],
            "server_socket": p["server_rcvbuf_drops"], "perfdhcp_socket": p["gen_rcvbuf_drops"]}


def reproduce(res):
    env = " ".join(f"{k}={v}" if " " not in v else f"{k}='{v}'" for k, v in res.get("env", {}).items())
    return "sudo " + (env + " " if env else "") + "scripts/bench-dhcp.sh"


def write(res, out_dir):
    v = res["versions"]
    st = res["settings"]
    fs = res.get("filesystem", {})
    S = per_server(res)
    servers = st["servers"]
    L = ["# DHCP: `weft dhcp serve` against Kea and dnsmasq under perfdhcp\n"]
    L.append(f"Generated by `scripts/bench-dhcp.sh` on {res['started_at']} in {res['elapsed_s']:.0f} s, from "
             "build/bench/dhcp/results.json. Reproduce: `make bench` (all benchmarks, as root), or this one alone: "
             f"`{reproduce(res)}` (`DHCP_BENCH_REPORT_ONLY=1 scripts/bench-dhcp.sh` rewrites this page from the "
             "last results).\n")
    others = [p["other_on_server_core"] for p in res["probes"]]
    quiet = med(others)
    heavy = res.get("heavy_at_start", []) + res.get("heavy_at_end", [])
    busiest = {}
    for p in res["probes"]:
        for comm, sec in p.get("others", []):
            busiest[comm] = busiest.get(comm, 0.0) + sec
    top = sorted(busiest.items(), key=lambda x: -x[1])[:4]
    L.append(f"- Machine: {v['cpu']}, {v['ncpu']} cores; kernel {v['kernel']}; load average "
             f"{' '.join(res.get('loadavg_at_start', []))} at the start. Other work on the servers' core while "
             f"measuring (its busy share less the server's own): median {quiet:.0%}"
             + (f" ({'a quiet machine' if quiet < 0.05 else 'not a quiet machine: the figures are noisier than usual'})"
                if quiet == quiet else "")
             + (f"; builds or load generators of others were running at the start or end ({len(heavy)} processes, "
                "e.g. `" + heavy[0].split(None, 1)[-1][:60] + "`)" if heavy else "")
             + ("; the other processes that used the most CPU while measuring: " +
                ", ".join(f"`{c}` {t:,.1f} s" for c, t in top) if top else "") + ".")
    L.append(f"- Versions: weft `{v['weft']}` built from {v['commit']}{' (with local changes)' if v['dirty'] else ''}; "
             f"Kea {v['kea']}; {v['dnsmasq']}; perfdhcp {v['perfdhcp']} (Debian 12 packages).")
    fsync = fs.get("fdatasync_us", {})
    L.append(f"- Lease files: all under `{fs.get('path', '?')}`, a fresh directory per probe, on {fs.get('fstype', '?')} "
             f"(`{fs.get('source', '?')}`, mounted {fs.get('options', '?')}). The device `{fs.get('device', '?')}` reports a "
             f"`{fs.get('write_cache', '?')}` write cache (FUA {'supported' if fs.get('fua') == '1' else 'not supported'}), "
             "so an fdatasync there commits ext4's journal and sends the device a cache FLUSH: a real flush as far as "
             "this machine can tell (a virtual disk: what the host does with the FLUSH is not visible from inside). "
             f"One 80-byte append + fdatasync on it, 200 times: median {fmt(fsync.get('median'))} µs, p90 "
             f"{fmt(fsync.get('p90'))} µs, p99 {fmt(fsync.get('p99'))} µs, max {fmt(fsync.get('max'))} µs.")
    L.append(f"- Lab: two network namespaces made by the script, a veth pair between them, IPv6 off. perfdhcp in A on "
             f"{st['ip_gen']}/{st['prefix']} acts as a relay agent (giaddr = its address, replies to its port 67), "
             f"the server in B on {st['ip_srv']}/{st['prefix']}, pool {st['pool']} ({st['pool_size']:,} addresses), lease "
             f"time {st['lease_time']} s, options router and DNS. Server pinned to core {st['server_cpu']}, perfdhcp "
             f"(`-g single`) and this harness to core {st['gen_cpu']}.")
    L.append(f"- A probe: a fresh server with an empty lease directory, ready (port 67 bound, its CPU idle), then "
             f"`perfdhcp -4 -g single -r RATE -p SECONDS -R {st['clients']:,} -u -W {st['wait_us']}`: RATE new DORA "
             "exchanges per second for SECONDS, each by a new client (perfdhcp numbers the MACs in sequence and no "
             "probe sends more DISCOVERs than that), `-u` counting any address given twice, then half a second for "
             "the last answers. Then SIGTERM, and the lease file is read. leases/s = ACKs received ÷ SECONDS. A probe "
             f"passes when at most {st['loss_max']:.0%} of its DISCOVERs did not end in an ACK (perfdhcp's drops: no "
             "answer within 1 s, or by the end), no address was ACKed twice and the lease file holds every ACKed lease.")
    L.append(f"- The search: every rate probed is a point of one grid, 1000 × 2^(i/8) exchanges/s (9% apart), the "
             f"same for every server. {res.get('rounds_done', 0)} interleaved rounds (the order rotating: "
             f"{', '.join(servers)}; then shifted by one); in each, every server searches the grid on its own: a first "
             "probe, then away from it in growing steps until it has both a passing and a failing rate, then "
             f"bisection down to neighbouring grid points (at most {st['probes']} probes of {st['step_s']:g} s). Round 1 "
             f"starts at {st['rate_start']:,}/s and steps by doublings; later rounds start at the server's previous "
             "figure and step by one grid point, following the machine's drift. A round's figure is the leases/s of "
             "the server's highest passing probe, less than one grid step (9%) under its limit; the table gives the "
             "median over rounds. Each server is measured by the same procedure and the same perfdhcp.")
    L.append("- Settings that make the peers comparable: Kea with one thread (2.2's default, stated in its "
             "configuration) and its per-lease INFO log lines off (`kea-dhcp4.leases` at WARN); weft with `--quiet`; "
             "dnsmasq with `--quiet-dhcp`, `--no-ping` (by default it pings an address before offering it and waits up "
             "to 3 s; neither weft nor Kea probes) and `--dhcp-lease-max` raised to the pool size (default 1,000). Each "
             "server keeps its own socket receive buffer: "
             + ", ".join(f"{LABEL[s]} {S[s]['rb'] // 1024:,} KiB" for s in servers if S[s]["rb"]) + ".")
    disturbed = [p for p in res["probes"] if p["phase"] == "disturbed"]
    if disturbed:
        names = {}
        for p in disturbed:
            for comm, sec in p.get("others", []):
                names[comm] = names.get(comm, 0.0) + sec
        L.append(f"- **Shared machine**: {len(disturbed)} probes were disturbed (other programs took more than "
                 f"{res['settings'].get('disturbed', 0.15):.2f} of a core meanwhile, mostly "
                 + ", ".join(f"`{c}`" for c, _ in sorted(names.items(), key=lambda x: -x[1])[:3])
                 + ") and were measured again after a pause; they are listed below as `disturbed` and count in no "
                 "figure.")
    kept = [p for p in res["probes"] if p["phase"] == "round" and p.get("disturbed")]
    if kept:
        L.append(f"- **Shared machine**: {len(kept)} probes that count in the figures were still disturbed on their "
                 "third try and were kept as they are: those figures are lower than a quiet machine would give.")
    if res.get("stopped_early"):
        L.append(f"- **Stopped early**: {res['stopped_early']}.")
    if res.get("note"):
        L.append(f"- Note: {res['note']}")
    L.append("")

    summary(res, L, S)
    results_table(res, L, S)
    durability_section(res, L, S)
    correctness_section(res, L, S)
    findings(res, L, S)
    probes_section(res, L, S)
    L.append("![DHCP: leases/s against the offered rate, every probe; medians](dhcp.png)\n")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "dhcp.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    plot(res, S, out_dir)


def summary(res, L, S):
    L.append("## Summary\n")
    L.append("| target (issue 11) | figure | met? |")
    L.append("|---|---|---|")
    w = S.get("weft")
    if w:
        for peer, what in (("kea-sync", "with the same durability promise (every ACKed lease on disk first)"),
                           ("kea", "as shipped (its leases only in the page cache at the ACK: a weaker promise)")):
            if peer not in S:
                continue
            r, lo, hi, n = paired_ratio(res, "weft", peer)
            if r != r:
                continue
            bound = " (weft at the generator's limit: a lower bound)" if generator_bound(res, w) else ""
            met = "yes" if r >= TARGET else ("**not shown** (the ratio is a lower bound)" if bound else "**no**")
            L.append(f"| leases/s ≥ 2× Kea's, Kea {what} | **{r:.2f}×** ({fmt(w['median'])} vs "
                     f"{fmt(S[peer]['median'])} leases/s; rounds {lo:.2f}–{hi:.2f}×, {n} rounds){bound} | {met} |")
        checked = [p for p in w["probes"]]
        bad = [p for p in checked if p["lease_check"]["violations"] or p["non_unique_acks"]]
        ver = [p["verified"] for p in checked if p.get("verified")]
        L.append(f"| no lost or duplicated lease (weft) | {len(checked)} probes checked, "
                 f"{sum(p['acks'] for p in checked):,} ACKs: {len(bad)} with a violation"
                 + (f"; {len(ver)} verification probes matched {sum(x['found'] for x in ver):,} of "
                    f"{sum(x['listed'] for x in ver):,} listed ACKs to their clients' lines" if ver else "")
                 + f" | {'yes' if not bad else '**no**'} |")
    if "kea-standin" in S and "kea" in S:
        r, lo, hi, n = paired_ratio(res, "kea-standin", "kea")
        if r == r:
            L.append(f"| (harness check: Kea against itself, should be 1.0×) | {r:.2f}× (rounds {lo:.2f}–{hi:.2f}×) | – |")
    if "dnsmasq" in S and w:
        r, lo, hi, n = paired_ratio(res, "weft", "dnsmasq")
        if r == r:
            L.append(f"| (against dnsmasq: not a target) | {r:.1f}× | – |")
    L.append("")


def results_table(res, L, S):
    L.append("## Leases per second\n")
    L.append("| server | durability at the ACK | leases/s (median) | rounds | offered at that probe | not completed there "
             "| peak leases/s, any probe | server CPU µs per lease | server core busy | perfdhcp sent, of the target | "
             "mean REQUEST→ACK | weft ÷ this (paired) |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s, x in S.items():
        rounds = ", ".join(fmt(r) for r in x["rounds"]) or "–"
        ratio = "–"
        if s != "weft" and "weft" in S:
            r, lo, hi, n = paired_ratio(res, "weft", s)
            ratio = f"**{r:.2f}×** ({lo:.2f}–{hi:.2f})" if r == r else "–"
        L.append(f"| {LABEL[s]} | {DURABILITY[s][0]} | **{fmt(x['median'])}**"
                 f"{' (perfdhcp limit)' if x['gen_limited'] else ''} | {rounds} | {fmt(x['offered'])}/s | "
                 f"{x['loss']:.2%} | {fmt(x['peak'])} | {fmt(x['us_per_lease'], 1)} | {x['busy']:.0%} | "
                 f"{x['gen_reached']:.0%} | {fmt(x['delay_ra'], 2)} ms | {ratio} |")
    L.append("")
    L.append("`not completed`: DISCOVERs sent that did not end in an ACK, at the probes that give the figure (median). "
             "`peak`: the most ACKs per second any probe got, passing or not (past its sustainable rate a server "
             "drops requests, and the ACKs it still sends are fewer than the exchanges offered). CPU per lease: the "
             "server's run time (/proc/PID/schedstat) over the probe, divided by the ACKs; `busy`: that time over the "
             "probe's sending period. `perfdhcp sent`: the DISCOVERs it managed to send, as a share of RATE x "
             "SECONDS (below 95% the probe is marked as perfdhcp's limit: the generator, not the server, ran out). "
             "perfdhcp's own CPU says nothing here: above 10,000 exchanges/s it polls without sleeping, so its core "
             "is always 100% busy.\n")
    L.append("Drops, summed over the probes that give the figures (exchanges not completed, and where datagrams "
             "were lost: a full socket receive buffer in the server's namespace, or in perfdhcp's):\n")
    L.append("| server | exchanges | not completed | perfdhcp drops DISCOVER→OFFER | REQUEST→ACK | lost at the server's "
             "socket | lost at perfdhcp's socket |")
    L.append("|---|---|---|---|---|---|---|")
    for s, x in S.items():
        d = [drops_of(p) for p in x["best"]]
        L.append(f"| {LABEL[s]} | {sum(p['discover_sent'] for p in x['best']):,} | {sum(y['incomplete'] for y in d):,} | "
                 f"{sum(y['drops_do'] for y in d):,} | {sum(y['drops_ra'] for y in d):,} | "
                 f"{sum(y['server_socket'] for y in d):,} | {sum(y['perfdhcp_socket'] for y in d):,} |")
    L.append("")
    equal_rate_table(res, L, S)


def equal_rate_table(res, L, S):
    """CPU per lease at the same offered rate: round 1 steps every server through the same
    doublings (2,000, 4,000, 8,000/s ...), and the grid is shared, so rates recur."""
    rates = sorted({p["target"] for x in S.values() for p in x["probes"]
                    if p["phase"] == "round" and p["passed"] and p["acks"]})
    rows = []
    for rate in rates:
        cells = {}
        for s, x in S.items():
            ps = [p for p in x["probes"] if p["phase"] == "round" and p["passed"] and p["target"] == rate and p["acks"]]
            cells[s] = med([p["server_cpu_s"] * 1e6 / p["acks"] for p in ps])
        if cells.get("weft") == cells.get("weft") and sum(1 for v in cells.values() if v == v) >= 2:
            rows.append((rate, cells))
    if not rows:
        return
    L.append("CPU per lease at the same offered rate (every passing probe at that rate, median): what each server "
             "spends on the same work. At low rates a group-committing server pays a whole fdatasync for few "
             "leases, so weft's cost per lease falls as the rate rises.\n")
    L.append("| offered/s | " + " | ".join(f"{LABEL[s]} µs/lease" for s in S) + " | " +
             " | ".join(f"{LABEL[s]} ÷ weft" for s in S if s != "weft") + " |")
    L.append("|---|" + "---|" * (2 * len(S) - 1))
    for rate, cells in rows:
        w = cells.get("weft", float("nan"))
        L.append(f"| {rate:,} | " + " | ".join(fmt(cells[s], 1) for s in S) + " | " +
                 " | ".join((f"{cells[s] / w:.1f}×" if cells[s] == cells[s] and w == w else "–") for s in S if s != "weft")
                 + " |")
    L.append("")


def durability_section(res, L, S):
    L.append("## What each server promises when its ACK leaves\n")
    fs = res.get("filesystem", {})
    expire, every = fs.get("dirty_expire_centisecs"), fs.get("dirty_writeback_centisecs")
    writeback = (f"here once a dirty page is {expire / 100:g} s old, checked every {every / 100:g} s: "
                 f"vm.dirty_expire_centisecs and vm.dirty_writeback_centisecs" if expire and every
                 else "after vm.dirty_expire_centisecs, 30 s by default")
    for s in S:
        L.append(f"- **{LABEL[s]}**: {DURABILITY[s][1].replace('{writeback}', writeback)}")
    L.append("")
    L.append("Sources read: Kea 2.2.0 (the version measured) at github.com/isc-projects/kea, tag Kea-2.2.0; dnsmasq's "
             "src/lease.c and src/dhcp.c (2.90's logic, unchanged in this respect for many releases).\n")


def correctness_section(res, L, S):
    L.append("## Lost or duplicated leases\n")
    L.append("After every probe the server's lease file is read back and compared with what perfdhcp received. "
             "For weft (a violation stops the bench): every line's CRC and newline, no address leased to a second "
             "client while the first holds it, no client holding two addresses, and at least as many leases in the "
             "file as ACKs received. Once per round a verification probe (not counted in the figures) runs perfdhcp "
             "with `-x l`, which lists every ACK's client identifier and address, and each pair must be that "
             "client's lease in the file. Kea's CSV and dnsmasq's file get the same counts (recorded, not fatal).\n")
    L.append("| server | probes | ACKs received | leases in the files | addresses ACKed twice (perfdhcp -u) | "
             "OFFERs of an address already offered | violations |")
    L.append("|---|---|---|---|---|---|---|")
    for s, x in S.items():
        ps = x["probes"]
        viol = [v for p in ps for v in p["lease_check"]["violations"]]
        L.append(f"| {LABEL[s]} | {len(ps)} | {sum(p['acks'] for p in ps):,} | "
                 f"{sum(p['lease_check']['leases'] for p in ps):,} | {sum(p['non_unique_acks'] for p in ps)} | "
                 f"{sum(p['non_unique_offers'] for p in ps):,} | {len(viol)}{': ' + viol[0] if viol else ''} |")
    L.append("")
    L.append("More leases than ACKs in a file are ACKs the server sent that perfdhcp did not count: lost on the way "
             "back, or late (perfdhcp's drop time is 1 s). An OFFER of an address already offered to another client "
             "is not a promise (dnsmasq, for one, reserves nothing at OFFER time and NAKs the second REQUEST); only "
             "ACKs count.\n")


def ceiling(res):
    """The most DISCOVERs per second perfdhcp sent in any probe: its own limit on this machine."""
    return max([p["offered"] for p in res["probes"]], default=float("nan"))


def peak_any(res):
    return max([p["completed"] for p in res["probes"]], default=float("nan"))


def failures(x):
    """What went wrong in the server's round probes that failed: where the exchanges were lost."""
    fp = [p for p in x["probes"] if p["phase"] == "round" and not p["passed"]]
    return {"probes": len(fp), "incomplete": sum(p["discover_sent"] - p["acks"] for p in fp),
            "server_socket": sum(p["server_rcvbuf_drops"] for p in fp),
            "perfdhcp_socket": sum(p["gen_rcvbuf_drops"] for p in fp),
            "busy": med([p["server_busy"] for p in fp]),
            "gen_short": sum(1 for p in fp if p["gen_limited"])}


def generator_bound(res, x):
    """The generator, not the server, bounds the figure: perfdhcp could not send the rate, or
    every failing probe lost its exchanges at perfdhcp's socket and none at the server's, with
    the server's core far from full."""
    if x["gen_limited"]:
        return True
    f = failures(x)
    return (f["probes"] > 0 and f["server_socket"] == 0 and f["perfdhcp_socket"] > 0.5 * f["incomplete"]
            and f["busy"] == f["busy"] and f["busy"] < 0.8)


def findings(res, L, S):
    F = []
    w = S.get("weft")
    c = ceiling(res)
    if w and w["best"]:
        f = failures(w)
        if generator_bound(res, w):
            F.append(f"- weft's figure is bounded by the load generator, not by weft. In the {f['probes']} round probes "
                     f"weft failed, {f['incomplete']:,} exchanges did not complete; {f['perfdhcp_socket']:,} replies were "
                     f"dropped at perfdhcp's socket (its receive buffer full: perfdhcp, polling on its own core, did not "
                     f"read them in time) and none at weft's, whose core was {f['busy']:.0%} busy there (median)"
                     + (f"; in {f['gen_short']} of them perfdhcp could not even send the rate asked" if f["gen_short"] else "")
                     + f". The most ACKs per second any probe of any server completed was {fmt(peak_any(res))}. The "
                     "leases/s ratios against weft are "
                     "therefore lower bounds; the server's CPU per lease is the figure that measures the servers "
                     "themselves here (DESIGN.md, Performance method).")
        else:
            F.append(f"- weft sustains {fmt(w['median'])} leases/s, its core {w['busy']:.0%} busy; where its probes "
                     f"failed, {f['server_socket']:,} requests were dropped at its socket and {f['perfdhcp_socket']:,} "
                     f"replies at perfdhcp's (perfdhcp sent up to {fmt(c)} DISCOVERs/s in some probe).")
        F.append(f"- weft's CPU per lease: {fmt(w['us_per_lease'], 1)} µs (two requests and two replies, the lease "
                 "line and its share of the batch's fdatasync call).")
        for peer in ("kea", "kea-sync", "dnsmasq"):
            x = S.get(peer)
            if not x or x["us_per_lease"] != x["us_per_lease"] or w["us_per_lease"] != w["us_per_lease"]:
                continue
            f = failures(x)
            F.append(f"- {LABEL[peer]}: {fmt(x['us_per_lease'], 1)} µs of CPU per lease, "
                     f"{x['us_per_lease'] / w['us_per_lease']:.1f}× weft's; its core {x['busy']:.0%} busy at its figure"
                     + (f". In its {f['probes']} failing round probes {f['server_socket']:,} requests were dropped at its "
                        f"socket and {f['perfdhcp_socket']:,} replies at perfdhcp's, its core {f['busy']:.0%} busy"
                        + ((": the server's own limit" + (", its core not full: the time went to waiting for its "
                                                             "disk writes" if f["busy"] == f["busy"] and f["busy"] < 0.9
                                                             else ""))
                           if f["server_socket"] > f["perfdhcp_socket"] else "")
                        if f["probes"] else "") + ".")
    if F:
        L.append("## Findings\n")
        L += F
        L.append("")


def probes_section(res, L, S):
    L.append("## Every probe\n")
    L.append("| phase | round | server | target/s | DISCOVERs | OFFERs | ACKs | leases/s | not completed | passed | "
             "server busy | server socket drops | perfdhcp socket drops | leases in file |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for p in res["probes"]:
        L.append(f"| {p['phase']} | {p['round'] + 1 if p['round'] >= 0 else '–'} | {p['server']} | {p['target']:,} | "
                 f"{p['discover_sent']:,} | {p['offers']:,} | {p['acks']:,} | {fmt(p['completed'])} | {p['loss']:.1%} | "
                 f"{'yes' if p['passed'] else 'no'}{' (perfdhcp limit)' if p['gen_limited'] else ''} | "
                 f"{p['server_busy']:.0%} | {p['server_rcvbuf_drops']:,} | {p['gen_rcvbuf_drops']:,} | "
                 f"{p['lease_check']['leases']:,} |")
    L.append("")


def plot(res, S, out_dir):
    d = tempfile.mkdtemp(prefix="dhcpplot.")
    try:
        servers = list(S)
        files = []
        for s in servers:
            path = os.path.join(d, f"{s}.dat")
            with open(path, "w") as f:
                for p in S[s]["probes"]:
                    if p["phase"] == "round":
                        f.write(f"{p['offered']:.1f} {p['completed']:.1f}\n")
            files.append((s, path))
        bars = os.path.join(d, "bars.dat")
        with open(bars, "w") as f:
            for s in servers:
                f.write(f"\"{SHORT[s]}\" {S[s]['median'] if S[s]['median'] == S[s]['median'] else 0:.1f}\n")
        pts = ", ".join(f"'{path}' using 1:2 with points pt 7 ps 0.8 title '{LABEL[s]}'" for s, path in files)
        script = f"""
set terminal pngcairo noenhanced size 1200,470 font 'sans,10'
set output '{os.path.join(out_dir, "dhcp.png")}'
set multiplot layout 1,2 title 'DHCP DORA under perfdhcp, server on one core'
set grid
set key top left
set title 'every probe: ACKs/s against DISCOVERs/s offered'
set xlabel 'offered (DISCOVERs/s, log)'
set ylabel 'completed (ACKs/s, log)'
set logscale xy
plot x with lines lc rgb '#bbbbbb' title 'all completed', {pts}
unset logscale
set title 'leases/s sustained (at most {res['settings']['loss_max']:.0%} not completed), median of rounds'
set xlabel ''
set ylabel 'leases/s'
set yrange [0:{1.12 * max([S[s]['median'] for s in servers if S[s]['median'] == S[s]['median']] or [1]):.0f}]
set style fill solid 0.8 border -1
set boxwidth 0.6
set key off
plot '{bars}' using 0:2:xtic(1) with boxes notitle, '' using 0:2:(sprintf('%.0f', $2)) with labels offset 0,0.8 notitle
unset multiplot
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=False, capture_output=True)
    finally:
        for x in os.listdir(d):
            os.unlink(os.path.join(d, x))
        os.rmdir(d)
