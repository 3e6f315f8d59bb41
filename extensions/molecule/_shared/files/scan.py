"""Honest TCP connect scan: python3 scan.py HOST PORT... -> JSON {port: open|closed|filtered}.

open: the handshake completed; closed: refused (RST, the host answered); filtered: no answer
within the timeout (a drop). Ports are probed in parallel; each gets TIMEOUT seconds."""
import json
import socket
import sys
import threading

TIMEOUT = 4.0


def probe(host, port, found):
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT):
            found[port] = "open"
    except ConnectionRefusedError:
        found[port] = "closed"
    except (socket.timeout, TimeoutError):
        found[port] = "filtered"
    except OSError as exc:  # e.g. host unreachable (ICMP): the host answered, the port is not reachable
        found[port] = "error: %s" % exc


def main():
    host, ports = sys.argv[1], [int(port) for port in sys.argv[2:]]
    found = {}
    threads = [threading.Thread(target=probe, args=(host, port, found)) for port in ports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({str(port): found[port] for port in ports}, sort_keys=True))


if __name__ == "__main__":
    main()
