"""checkdmarc on domains against one DNS server (for rfc_compare.py); prints JSON."""

import json
import sys
import time

import checkdmarc
import dns.nameserver

host, port = sys.argv[1], int(sys.argv[2])
ns = [dns.nameserver.Do53Nameserver(host, port)]
out = {}
start = time.monotonic()
for d in sys.argv[3:]:
    try:
        out[d] = checkdmarc.check_domains([d], nameservers=ns, timeout=2.0)
    except Exception as exc:
        out[d] = {"exception": repr(exc)}
print(json.dumps({"seconds": time.monotonic() - start, "results": out}, default=str))
