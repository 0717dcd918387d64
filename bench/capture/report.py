"""report.py: docs/perf/capture.md and capture.png from the results of bench_capture.py
(build/bench/capture/results.json). `CAPTURE_BENCH_REPORT_ONLY=1 scripts/bench-capture.sh` rewrites
the report from the last results without measuring."""
import os
import statistics
import subprocess
import tempfile

MIB = 1024.0
TARGET_DECODE = 5.0       # weft decode --json frames/s over tcpdump -nn -v's
TARGET_RSS_MIB = 32.0     # weft decode's peak RSS, whatever the file's size
TARGET_CAPTURE = 1.0      # weft's lossless rate over tcpdump's


def med(xs):
    xs = [x for x in xs if x is not None and x == x]
    return statistics.median(xs) if xs else float("nan")


def quart(xs):
    xs = [x for x in xs if x is not None and x == x]
    if len(xs) < 2:
        return (xs[0], xs[0]) if xs else (float("nan"), float("nan"))
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


def k(x):
    return f"{x / 1e3:,.0f}k" if x == x else "–"


# ---- capture ----------------------------------------------------------------------------------

def capture_summary(rows, mode, tools):
    """Per target rate: the rounds' figures; per tool: the lossless rate."""
    rows = [r for r in rows if r["mode"] == mode]
    steps = sorted({r["target"] for r in rows})
    table = []
    for s in steps:
        rs = [r for r in rows if r["target"] == s]
        e = {"target": s, "rounds": len({r["round"] for r in rs}), "gen_rate": med([r["gen_rate"] for r in rs]),
             "gen_rate_min": min(r["gen_rate"] for r in rs), "sent": sum(r["sent"] for r in rs),
             "veth_ok": all(r["veth_rx"] >= r["sent"] for r in rs),
             "core_gen": med([r["core_gen"] for r in rs]), "core_tools": med([r["core_tools"] for r in rs]),
             "other": med([r["other_on_tools_core"] for r in rs]),
             "other_max": max(r["other_on_tools_core"] for r in rs),
             "gen_cpu": med([r["gen_cpu_s"] / r["gen_s"] for r in rs if r["gen_s"] > 0]), "tools": {}}
        for t in tools:
            xs = [r["tools"][t] for r in rs if t in r["tools"]]
            if not xs:
                continue
            sent = [r["sent"] for r in rs if t in r["tools"]]
            e["tools"][t] = {
                "dropped": sum(x["dropped"] or 0 for x in xs),
                "missing": sum(max(0, n - x["written"]) for x, n in zip(xs, sent)),
                "lossless_rounds": sum(1 for x in xs if x["lossless"]), "rounds": len(xs),
                "ns_per_frame": med([x["cpu_s"] * 1e9 / n for x, n in zip(xs, sent) if n]),
                "busy": med([x["cpu_s"] / r["window_s"] for x, r in zip(xs, [r for r in rs if t in r["tools"]])]),
                "bad_exit": sum(1 for x in xs if x["exit"] != 0)}
        table.append(e)
    lossless = {}
    for t in tools:
        best = None
        for e in table:
            x = e["tools"].get(t)
            if not x or x["lossless_rounds"] != x["rounds"]:
                break
            best = e
        top = bool(best) and best is table[-1]
        lossless[t] = {"step": best["target"] if best else 0, "rate": best["gen_rate"] if best else 0.0,
                       "rate_min": best["gen_rate_min"] if best else 0.0, "top": top,
                       "gen_limited": top and best["gen_rate"] < 0.95 * best["target"]}
    return table, lossless


def capture_ratio(lossless, a, b):
    x, y = lossless.get(a), lossless.get(b)
    if not x or not y:
        return None, ""
    if y["rate"] == 0:
        return (float("inf") if x["rate"] else float("nan")), "tcpdump dropped at the first step"
    r = x["rate"] / y["rate"]
    if x["top"] and y["top"]:
        return r, ("both lossless at every step the generator reached: neither limit was found, 1.0× is what "
                   "this lab can show")
    if x["top"]:
        return r, f"{a} lossless at every step: its limit lies above, the ratio is a lower bound"
    return r, ""


def capture_section(res, L):
    rows = res["capture"]
    tools = res["settings"]["tools"]
    st = res["settings"]
    if not rows:
        L.append("## Capture\n\nNot measured" + (": " + "; ".join(res["skipped"]) if res["skipped"] else "") + ".\n")
        return {}
    summaries = {}
    for mode in [m for m in ("side-by-side", "interleaved") if any(r["mode"] == m for r in rows)]:
        table, lossless = capture_summary(rows, mode, tools)
        summaries[mode] = (table, lossless)
        L.append(f"## Capture, {mode}\n")
        if mode == "side-by-side":
            L.append(f"All three captures run at once, pinned to core {st['tool_cpu']}, during one flood per step "
                     "(the same frames at the same moments for each); the generator on core "
                     f"{st['gen_cpu']}. {st['flood_s']:g} s per step, {max(e['rounds'] for e in table)} rounds.\n")
        else:
            L.append(f"Each capture alone on core {st['tool_cpu']} during its own flood, the order rotating per step "
                     f"and round; {st['flood_s']:g} s per step, {max(e['rounds'] for e in table)} rounds.\n")
        head = ("| step (frames/s) | generator reached | generator CPU | other work on core 0 | " +
                " | ".join(f"{t}: dropped / missing | {t}: CPU ns/frame" for t in tools) + " |")
        L.append(head)
        L.append("|" + "---|" * (4 + 2 * len(tools)))
        for e in table:
            cells = []
            for t in tools:
                x = e["tools"].get(t)
                if not x:
                    cells += ["–", "–"]
                    continue
                mark = "" if x["lossless_rounds"] == x["rounds"] else " **(loss)**"
                cells += [f"{x['dropped']:,} / {x['missing']:,}{mark}", f"{x['ns_per_frame']:.0f} ({x['busy']:.1%} busy)"]
            reached = f"{k(e['gen_rate'])}" + ("" if e["gen_rate"] >= 0.95 * e["target"] else " (its limit)")
            L.append(f"| {k(e['target'])} | {reached} | {e['gen_cpu']:.0%} | {e['other']:.0%} (max {e['other_max']:.0%}) | "
                     + " | ".join(cells) + " |")
        sent = sum(e["sent"] for e in table)
        L.append(f"\n{sent:,} frames sent in this mode; the veth's receive counter in B "
                 f"{'matched what was sent at every step' if all(e['veth_ok'] for e in table) else 'fell short of what was sent at some step (frames lost before the capture point)'}. "
                 "`dropped`: the kernel's count that the tool printed (PACKET_STATISTICS tp_drops), summed over "
                 "the rounds; `missing`: flood frames sent but not in the file the tool wrote (found by "
                 "their marker). CPU: the tool's run time (/proc/PID/schedstat, user and kernel) over the "
                 "flood and the drain, per frame sent, median over rounds; `busy`: that time over the "
                 "window. `generator CPU`: flood's user + system time (wait4) over its run: the kernel's "
                 "work for every frame, the copies into the rings included, is in it. `other work on core 0`: "
                 "core 0's busy share (/proc/stat ticks: a rough figure) less the captures' own, median (and "
                 "max) over the rounds.\n")
        L.append("Lossless rate (the highest step at which the tool neither dropped nor missed a frame "
                 "in any round, every lower step lossless too), at the rate the generator reached:\n")
        for t in tools:
            x = lossless[t]
            if x["step"] == 0:
                L.append(f"- {t}: lossy from the first step")
            else:
                extra = (" — every step, up to what one core could send (the generator's limit, not the tool's)"
                         if x["gen_limited"] else (" — every step (the top step; its limit lies above)" if x["top"] else ""))
                L.append(f"- {t}: **{k(x['rate'])} frames/s** (step {k(x['step'])}; lowest round {k(x['rate_min'])}){extra}")
        L.append("")
    return summaries


# ---- decode -----------------------------------------------------------------------------------

def decode_stats(dec):
    runs = dec.get("runs", [])
    out = {}
    for file in ("main", "big"):
        for t in sorted({r["tool"] for r in runs if r["file"] == file}):
            rs = [r for r in runs if r["file"] == file and r["tool"] == t]
            fps = [r["frames"] / r["wall_s"] for r in rs]
            out[(file, t)] = {"runs": len(rs), "fps": med(fps), "q": quart(fps),
                              "cpu_us": med([(r["user_s"] + r["sys_s"]) * 1e6 / r["frames"] for r in rs]),
                              "sys_share": med([r["sys_s"] / max(1e-9, r["user_s"] + r["sys_s"]) for r in rs]),
                              "rss": max(r["maxrss_kib"] for r in rs) / MIB,
                              "other": med([r["other"] for r in rs]), "frames": rs[0]["frames"]}
    return out


def paired(runs, a, b, key):
    """Median over rounds of a's frames/s over b's in the same round (key: wall or cpu)."""
    by = {}
    for r in runs:
        if r["file"] == "main":
            by.setdefault(r["round"], {})[r["tool"]] = r
    xs = []
    for x in by.values():
        if a in x and b in x:
            f = (lambda r: r["wall_s"]) if key == "wall" else (lambda r: r["user_s"] + r["sys_s"])
            xs.append(f(x[b]) / f(x[a]))
    return med(xs), quart(xs), len(xs)


def decode_section(res, L):
    dec = res["decode"]
    if not dec.get("runs"):
        L.append("## Decode\n\nNot measured.\n")
        return {}
    st = decode_stats(dec)
    f = dec["file"]
    mix = ", ".join(f"{kk} {v / f['frames']:.0%}" for kk, v in f["mix"].items())
    L.append("## Decode\n")
    L.append(f"One pcap of **{f['frames']:,} frames** ({f['bytes'] / 2**20:.0f} MiB, mean "
             f"{(f['bytes'] - 24) / f['frames'] - 16:.0f} bytes per frame) written by bench/capture/gen_pcap.py: "
             f"{mix} (TCP: handshakes with options, bulk data, ACKs, FIN/RST; HTTP: request and response "
             "heads on port 80; DNS: A/AAAA/MX queries and answers with CNAME chains and NXDOMAIN; frag: "
             "the parts of 3,000-byte UDP datagrams). Each command pinned to core "
             f"{res['settings']['tool_cpu']}, stdout to /dev/null, the file in the page cache; rounds in "
             "rotating order, tshark (far slower) in the first "
             f"{res['settings']['tshark_rounds']} only. frames/s = frames ÷ wall time; CPU from the child's "
             "rusage (wait4): user + sys.\n")
    rounds = max(v["runs"] for (fl, _), v in st.items() if fl == "main")
    L.append("| command | frames/s (median) | quartiles | CPU µs/frame | of it kernel | ÷ tcpdump, frames/s (paired) | ÷ tcpdump, frames per CPU second | peak RSS | other work on core 0 | runs |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    base = "tcpdump -nn -v"
    cmd = {"weft --json": "`weft decode --json --pcap F`", "weft table": "`weft decode --pcap F`",
           "tcpdump -nn -v": "`tcpdump -nn -v -r F`", "tshark -T ek": "`tshark -T ek -r F`"}
    for t in ("weft --json", "weft table", "tcpdump -nn -v", "tshark -T ek"):
        v = st.get(("main", t))
        if not v:
            continue
        rw, rq, _ = paired(dec["runs"], t, base, "wall")
        rc, _, _ = paired(dec["runs"], t, base, "cpu")
        L.append(f"| {cmd[t]} | {v['fps']:,.0f} | {v['q'][0]:,.0f}–{v['q'][1]:,.0f} | {v['cpu_us']:.2f} | "
                 f"{v['sys_share']:.0%} | **{rw:.2f}×** ({rq[0]:.2f}–{rq[1]:.2f}) | {rc:.2f}× | "
                 f"{v['rss']:.1f} MiB | {v['other']:.0%} | {v['runs']} |")
    L.append("")
    b = dec.get("big_file")
    if b:
        L.append(f"The same mix, {b['frames']:,} frames ({b['bytes'] / 2**20:.0f} MiB, "
                 f"{b['frames'] // f['frames']}× larger), weft only:\n")
        L.append("| command | frames/s (median) | CPU µs/frame | peak RSS | runs |")
        L.append("|---|---|---|---|---|")
        for t in ("weft --json", "weft table"):
            v = st.get(("big", t))
            if v:
                L.append(f"| {cmd[t]} | {v['fps']:,.0f} | {v['cpu_us']:.2f} | {v['rss']:.1f} MiB | {v['runs']} |")
        L.append("")
    ver = dec.get("verify", {})
    if ver:
        w, td = ver.get("weft --json", {}), ver.get("tcpdump -nn -v", {})
        sizes = "; ".join(f"{name} {ver[key]['bytes'] / f['frames']:,.0f}" for key, name in
                          (("weft --json", "weft --json"), ("weft table", "weft's table"), ("tcpdump -nn -v", "tcpdump -nn -v"))
                          if ver.get(key, {}).get("bytes"))
        L.append(f"Output checked once, untimed: weft printed {w.get('frames', 0):,} JSON lines "
                 f"({w.get('error_layers', 0):,} with an error layer), tcpdump {td.get('frames', 0):,} packet lines, "
                 f"for {f['frames']:,} frames. Bytes printed per frame: {sizes}. Peak RSS includes the pages of "
                 "the mapped file that weft has not yet released (it drops them every 4 MiB and maps the next 4 MiB ahead).\n")
    return st


def label(row):
    """A profile row's symbol as the table shows it: std::visit instances named by what they do."""
    full, sym = row.get("full", row["symbol"]), row["symbol"]
    if sym.startswith("std::__do_visit"):
        if "append_json" in full:
            return "std::visit in append_json (the JSON writer, per value)"
        if "_M_reset" in full:
            return "std::variant::_M_reset (freeing DissectValue trees)"
        if "append_text" in full:
            return "std::visit in append_text (the table writer, per value)"
    if sym.startswith("std::__do_uninit_copy") and "DissectField" in full:
        return "std::uninitialized_copy of DissectField (frame_value's copy of the fields)"
    if sym.startswith("std::vector<…>::emplace_back") and "DissectField" in full:
        return "std::vector<DissectField>::emplace_back"
    return sym


# Inclusive shares worth naming: (label, symbol suffix(es), what it is). decode --json writes
# JSON as the dissector walks (append_frame_json: the dissector is a template on its sink).
KEY_FUNCTIONS = [
    ("FrameOutput::frame", ("weft::cli::FrameOutput::frame",), "one frame decoded and its JSON line written"),
    ("detail::dissect<JsonSink>", ("weft::wire::detail::dissect<…>",),
     "the dissector's walk, the JSON sink's writes inlined into it"),
    ("JsonText::string", ("weft::wire::detail::JsonText::string",), "text scanned for escapes and copied"),
    ("checksum_add", ("weft::wire::checksum_add",), "IPv4, ICMP, UDP and TCP checksums verified"),
    ("parse_dns", ("weft::wire::parse_dns",), "DNS messages parsed (names and records allocated)"),
    ("parse_dhcp", ("weft::wire::parse_dhcp",), "DHCP messages parsed"),
    ("http_head_prefix", ("weft::wire::http_head_prefix",), "HTTP heads found and split"),
    ("malloc / operator new", ("__GI___libc_malloc", "operator new"), "heap allocation, all callers"),
    ("free", ("__GI___libc_free",), "heap release, all callers"),
    ("PcapReader::next", ("weft::wire::PcapReader::next",), "records read from the mapped file"),
    ("page faults", ("asm_exc_page_fault",), "the mapped file's pages faulted in"),
]


def inclusive(prof, suffixes):
    xs = [r["pct"] for r in prof.get("children", []) if any(r["symbol"].endswith(x) for x in suffixes)]
    return max(xs) if xs else 0.0


def profile_section(res, L, st):
    prof = res["decode"].get("profile")
    if not prof:
        return
    L.append("## Where `weft decode --json` spends its time\n")
    if "skipped" in prof:
        L.append(f"Not profiled: {prof['skipped']}.\n")
        return
    L.append("One run on the same file under `perf record -F 999 --call-graph dwarf` (cpu-clock samples; the "
             "release build has no frame pointers). With callees (`perf report --children`), share of the "
             "samples:\n")
    L.append("| function | with callees | what it is |")
    L.append("|---|---|---|")
    for name, suffixes, what in KEY_FUNCTIONS:
        pct = inclusive(prof, suffixes)
        if pct:
            L.append(f"| `{name}` | {pct:.0f}% | {what} |")
    L.append("\nThe symbols with the most samples of their own (`perf report --no-children`):\n")
    L.append("| self | symbol |")
    L.append("|---|---|")
    merged = {}
    for r in prof["self"]:
        merged[label(r)] = merged.get(label(r), 0.0) + r["pct"]  # instances of one template, summed
    for name, pct in sorted(merged.items(), key=lambda x: -x[1])[:14]:
        L.append(f"| {pct:.1f}% | `{name}` |")
    L.append("")


def summary(res, L, caps, st):
    L.append("## Summary\n")
    L.append("| target (issue 12) | figure | met? |")
    L.append("|---|---|---|")
    tools = res["settings"]["tools"]
    for mode, (table, lossless) in caps.items():
        for peer in tools[1:]:
            r, why = capture_ratio(lossless, "weft", peer)
            if r is None:
                continue
            L.append(f"| capture ({mode}): weft's lossless rate ≥ 1.0× {peer}'s | **{r:.2f}×** "
                     f"({k(lossless['weft']['rate'])} vs {k(lossless[peer]['rate'])} frames/s{'; ' + why if why else ''}) | "
                     f"{'yes' if r >= TARGET_CAPTURE else '**no**'} |")
    dec = res["decode"]
    if dec.get("runs"):
        rw, rq, n = paired(dec["runs"], "weft --json", "tcpdump -nn -v", "wall")
        if rw == rw:
            L.append(f"| decode: `weft decode --json` ≥ 5× tcpdump's frames/s | **{rw:.2f}×** (quartiles "
                     f"{rq[0]:.2f}–{rq[1]:.2f}, {n} rounds) | {'yes' if rw >= TARGET_DECODE else '**no**'} |")
        rt, _, _ = paired(dec["runs"], "weft table", "tcpdump -nn -v", "wall")
        rs, _, _ = paired(dec["runs"], "weft --json", "tshark -T ek", "wall")
        if rt == rt:
            L.append(f"| (decode, table output: not a target) | {rt:.2f}× tcpdump | – |")
        if rs == rs:
            L.append(f"| (decode --json against `tshark -T ek`: not a target) | {rs:.1f}× tshark | – |")
        for file, label in (("main", f"{dec['file']['frames']:,} frames"),
                            ("big", f"{dec['big_file']['frames']:,} frames" if dec.get("big_file") else "")):
            rss = max([v["rss"] for (fl, t), v in st.items() if fl == file and t.startswith("weft")] or [float("nan")])
            if rss == rss:
                L.append(f"| decode: weft's peak RSS < 32 MiB ({label}) | {rss:.1f} MiB | "
                         f"{'yes' if rss < TARGET_RSS_MIB else '**no**'} |")
    L.append("")


def reproduce(res):
    env = " ".join(f"{k}={v}" if " " not in v else f"{k}='{v}'" for k, v in res.get("env", {}).items())
    return (env + " " if env else "") + "scripts/bench-capture.sh " + res.get("build_arg", "build/bench")


def write(res, out_dir):
    v = res["versions"]
    st_ = res["settings"]
    L = ["# Capture and decode: `weft capture` against tcpdump, `weft decode` against tcpdump and tshark\n"]
    L.append(f"Generated by `scripts/bench-capture.sh` on {res['started_at']} in {res['elapsed_s']:.0f} s, "
             "from build/bench/capture/results.json. Reproduce: `make bench` (all benchmarks), or this one "
             f"alone: `{reproduce(res)}` (as root: it makes network namespaces; "
             "`CAPTURE_BENCH_REPORT_ONLY=1 scripts/bench-capture.sh` rewrites this page from the last results).\n")
    other_cap = [r["other_on_tools_core"] for r in res["capture"]]
    other_dec = [r["other"] for r in res["decode"].get("runs", [])]
    quiet = med(other_cap + other_dec)
    heavy = res.get("heavy_at_start", []) + res.get("heavy_at_end", [])
    busiest = {}
    for r in res["capture"] + res["decode"].get("runs", []):
        for comm, sec, _core in r.get("others", []):
            busiest[comm] = busiest.get(comm, 0.0) + sec
    top = sorted(busiest.items(), key=lambda x: -x[1])[:4]
    others_txt = ("; the other processes that used the most CPU while measuring: " +
                  ", ".join(f"`{c}` {t:,.0f} s" for c, t in top)) if top else ""
    cap_other = med(other_cap)
    dec_other = med(other_dec)
    L.append(f"- Machine: {v['cpu']}, {v['ncpu']} cores (nproc); kernel {v['kernel']}. Other work on core 0 "
             f"while measuring (its busy share less what the measured tools used): median {quiet:.0%} of the core"
             + (f" (capture trials {cap_other:.0%}, decode runs {dec_other:.0%})" if other_cap and other_dec else "")
             + (f" ({'a quiet machine' if quiet < 0.05 else 'not a quiet machine: figures are noisier than usual'})" if quiet == quiet else "")
             + (f"; builds or load generators of others were running at the start or end ({len(heavy)} processes, "
                "e.g. `" + heavy[0].split(None, 1)[-1][:60] + "`)" if heavy else "") + others_txt + ".")
    L.append(f"- Versions: {v['tcpdump']} ({v['libpcap']}), {v['tshark'].rstrip('.')}; weft: `{v['weft']}`, built from the "
             f"checkout at {v['commit']}{' (with local changes)' if v['dirty'] else ''}; the flood generator "
             f"built with {v['cc']}.")
    L.append(f"- Lab (capture): two network namespaces made by the script and a veth pair between them, "
             f"198.18.0.1/15 and 198.18.0.2/15, IPv6 off (no ND, no MLD). "
             "bench/capture/flood.c, pinned to core "
             f"{st_['gen_cpu']} in namespace A, sends 60-byte Ethernet/IPv4/UDP frames (the Ethernet minimum) with "
             "sendmmsg on an AF_PACKET socket, paced to each step's rate for "
             f"{st_['flood_s']:g} s, each frame carrying a run id and a sequence number. They are addressed to B's "
             f"IP with a destination MAC no interface owns ({st_['nobody_mac']}), so B's IPv4 stack drops each at "
             "its first check, after every packet socket has taken its copy: no route lookup and no ICMP "
             "error per frame. veth delivers in the sender's context, so the kernel's receive work, the copies into "
             "each capture ring included, runs on the generator's core: the captures' own core does only their "
             "user-space work and their system calls.")
    rings = res.get("rings", {})

    def ring(tool, default):
        g = rings.get(tool)
        if not g:
            return default
        size = g["block_size"] * g["blocks"]
        return (f"{g['blocks']} blocks of {g['block_size'] // 1024:,} KiB = {size / 2**20:g} MiB, "
                f"{g['timeout_ms']} ms block timeout")
    L.append(f"- Captures, in namespace B on core {st_['tool_cpu']}, all TPACKET_V3 rings (geometry as the kernel "
             "reports it, `ss -0 -e`): `weft capture --iface IF --write FILE` ("
             + ring("weft", "8 blocks of 1 MiB, 100 ms timeout") + "), `tcpdump -i IF -w FILE` (libpcap's default "
             "buffer: " + ring("tcpdump", "2 MiB") + ") and `tcpdump -B 8192 -i IF -w FILE` (weft's ring size: "
             + ring("tcpdump -B 8192", "8 MiB") + "). All promiscuous, no filter, "
             "the default snap length. The script waits until each packet socket is bound "
             "(/proc/PID/net/packet), floods, waits "
             f"{st_['drain_s']:g} s (a partly filled block is handed over only at its timeout), then sends SIGINT and reads the counts each prints; the files are "
             "counted by the frames' marker and deleted.")
    L.append(f"- Why side by side: the three see the very same frames at the same moments, under the same "
             "interference from other work, so a difference between them cannot be drift of the machine; "
             "they compete for one core, which is fair as long as the core is not saturated (the `busy` "
             "shares below show how far from it they are). Interleaved runs (`CAPTURE_MODE=interleaved` or "
             "`both`) measure each alone, for the case where the core would be the limit.")
    if res.get("note"):
        L.append(f"- Note: {res['note']}")
    if res.get("failed"):
        L.append(f"- **Failed**: {'; '.join(res['failed'])}")
    if res.get("skipped"):
        L.append(f"- Skipped: {'; '.join(res['skipped'])}")
    L.append("")
    body = []
    caps = capture_section(res, body)
    st = decode_section(res, body)
    profile_section(res, body, st)
    summary(res, L, caps, st)
    findings(res, L, caps, st)
    L += body
    L.append("![capture: CPU per frame by rate; decode: frames/s](capture.png)\n")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "capture.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    plot(res, caps, st, out_dir)


def findings(res, L, caps, st):
    """What the figures say, written from them (the profile's shares come from the data)."""
    F = []
    for mode, (table, lossless) in caps.items():
        w = lossless.get("weft")
        if w and w["gen_limited"] and all(lossless[t]["top"] for t in lossless):
            top = table[-1]
            F.append(f"- Capture ({mode}): no tool dropped or missed a frame at any step; the flood topped out at "
                     f"{k(top['gen_rate'])} frames/s, the most the generator could send through the veth on its core "
                     f"(its CPU {top['gen_cpu']:.0%}: the sending and, as veth delivers in the sender's context, the "
                     "receive path with the copies into every ring). The lossless rates are equal because the generator limits them all: "
                     "weft is lossless wherever tcpdump is, which is what the target asks as far as this lab can test it, "
                     "but the ratio of the tools' true limits is unknown. What separates them is their CPU per frame: weft "
                     + ", ".join(f"{table[-1]['tools'][t]['ns_per_frame']:.0f} ns" for t in ["weft"] if t in table[-1]['tools'])
                     + " against " + ", ".join(f"{t} {table[-1]['tools'][t]['ns_per_frame']:.0f} ns" for t in lossless
                                               if t != "weft" and t in table[-1]["tools"])
                     + " at the top step, a small share of one core for each: at these rates the rings do not fill.")
    dec = res["decode"]
    if dec.get("runs"):
        rw, _, _ = paired(dec["runs"], "weft --json", "tcpdump -nn -v", "wall")
        prof = dec.get("profile", {})
        if rw == rw and rw < TARGET_DECODE:
            j, tcp = st.get(("main", "weft --json")), st.get(("main", "tcpdump -nn -v"))
            frames = dec["file"]["frames"]
            sizes = {t: x["bytes"] / frames for t, x in dec.get("verify", {}).items() if x.get("bytes")}
            need = tcp["cpu_us"] / TARGET_DECODE if tcp else float("nan")
            F.append(f"- Decode: `weft decode --json` runs at {rw:.2f}× tcpdump's frames/s, short of 5×: it spends "
                     f"{j['cpu_us']:.2f} µs of CPU per frame where 5× tcpdump needs at most {need:.2f} µs"
                     + (f", and prints {sizes['weft --json']:,.0f} bytes per frame against tcpdump's "
                        f"{sizes['tcpdump -nn -v']:,.0f}" if sizes.get("weft --json") and sizes.get("tcpdump -nn -v") else "")
                     + ".")
            if prof.get("children"):
                shares = [(name, inclusive(prof, suffixes)) for name, suffixes, _ in KEY_FUNCTIONS[1:]]
                F.append("  Profile (with callees): " + ", ".join(f"{pct:.0f}% in {name}" for name, pct in shares if pct)
                         + " (see the profile below).")
        elif rw == rw:
            F.append(f"- Decode: `weft decode --json` runs at {rw:.2f}× tcpdump's frames/s: target met.")
    if F:
        L.append("Findings:\n")
        L += F
        L.append("")


def plot(res, caps, st, out_dir):
    d = tempfile.mkdtemp(prefix="captureplot.")
    try:
        tools = res["settings"]["tools"]
        mode = "side-by-side" if "side-by-side" in caps else next(iter(caps), None)
        cap = os.path.join(d, "cap.dat")
        with open(cap, "w") as f:
            if mode:
                for e in caps[mode][0]:
                    f.write(f"{e['gen_rate'] / 1e3:.1f} " + " ".join(
                        f"{e['tools'][t]['ns_per_frame']:.1f}" if t in e["tools"] else "NaN" for t in tools) + "\n")
        dec = os.path.join(d, "dec.dat")
        names = [t for t in ("weft --json", "weft table", "tcpdump -nn -v", "tshark -T ek") if ("main", t) in st]
        with open(dec, "w") as f:
            for t in names:
                f.write(f"\"{t}\" {st[('main', t)]['fps'] / 1e3:.2f}\n")
        lines = ", ".join(f"'{cap}' using 1:{i + 2} with linespoints title '{t}'" for i, t in enumerate(tools))
        panels = int(bool(mode)) + int(bool(names))
        if not panels:
            return
        script = f"""
set terminal pngcairo noenhanced size {550 * panels + 100},450 font 'sans,10'
set output '{os.path.join(out_dir, "capture.png")}'
set multiplot layout 1,{panels} title '{"capture and decode" if panels == 2 else ("capture" if mode else "decode")}, core 0; medians'
set grid
"""
        if mode:
            script += f"""
set key top left
set title 'capture {mode}: CPU ns per frame (lower is better)'
set xlabel 'frames/s reached (thousands)'
set yrange [0:*]
plot {lines}
"""
        if names:
            script += f"""
set title 'decode: thousand frames/s (higher is better, log scale)'
set xlabel ''
set logscale y
set yrange [1:*]
set style fill solid 0.8 border -1
set boxwidth 0.6
set key off
plot '{dec}' using 0:2:xtic(1) with boxes notitle
"""
        script += "unset multiplot\n"
        subprocess.run(["gnuplot"], input=script, text=True, check=False, capture_output=True)
    finally:
        for x in os.listdir(d):
            os.unlink(os.path.join(d, x))
        os.rmdir(d)
