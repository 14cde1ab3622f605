#!/usr/bin/env python3
# Usage: tcpdump -r pull.pcap -nn -tt > pull.txt; benchmarks/pcap-gaps.py pull.txt PORT  ("peer" = the side on PORT)
# Per-instance gaps of one DIMSE TCP connection from `tcpdump -nn -tt -r`: where the time goes.
import sys, re, collections, statistics
lines = open(sys.argv[1]).read().splitlines()
pat = re.compile(r'^(\d+\.\d+) IP (\S+) > (\S+): .* length (\d+)')
conns = collections.defaultdict(list)
for l in lines:
    m = pat.match(l)
    if not m: continue
    t, a, b, n = float(m[1]), m[2], m[3].rstrip(':'), int(m[4])
    key = tuple(sorted((a, b)))
    conns[key].append((t, a, b, n))
server_port = sys.argv[2]
for key, pk in conns.items():
    if not any(x.endswith('.' + server_port) for x in key): continue
    data = [p for p in pk if p[3] > 0]
    if len(data) < 100: continue
    srv = [x for x in key if x.endswith('.' + server_port)][0]
    # gaps: after each data packet, time to the next data packet, classified by (who sent prev, who sends next, prev size)
    cls = collections.defaultdict(list)
    for p, q in zip(data, data[1:]):
        kind = ('peer' if p[1] == srv else 'us') + '->' + ('peer' if q[1] == srv else 'us')
        if p[1] == srv and p[3] == 12: kind += ' (after 12-byte PDU header)'
        cls[kind].append((q[0] - p[0]) * 1000)
    total = (data[-1][0] - data[0][0]) * 1000
    print(f"connection {key}: {len(data)} data segments, {total:.0f} ms")
    for k, v in sorted(cls.items()):
        print(f"  {k:40s} n={len(v):4d} sum={sum(v):7.1f} ms median={statistics.median(v):6.2f} ms max={max(v):6.1f} ms")
