-- summary.lua: wrk's `done` hook for bench/http/bench_http.py. Prints wrk's exact counts on one
-- line (wrk's own summary rounds bytes to two decimals). It defines no request/response
-- hook, so wrk's request path is untouched (a static request, no Lua per response).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKSUM requests=%d bytes=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99)))
end
