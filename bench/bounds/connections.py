#!/usr/bin/env python3
"""Hostile HTTP clients against caselink-ingress, for scripts/bounds.sh (issue 14 §3).

  connections.py flood --port P --connections N [--pid PID]
      Opens N connections at once and holds them; reports how many the ingress holds open,
      how many it answered 503 (and with which rule) and how many it closed without an answer;
      then a request on one of the held connections; the ingress's VmHWM (--pid). Closes all,
      then checks that a new client is served again.
  connections.py slow --port P [--interval 1.0] [--body] [--pid PID]
      One client sends a request a byte every --interval seconds (with --body: a POST whose
      header is sent at once and whose 100-byte body trickles); meanwhile another client
      sends a request every 0.5 s. Reports when and how the slow one was cut off (an answer
      such as 408, or a close without one) and the other client's slowest answer.

Standard library only. Loopback only. Token: the demo token of rsj-330100 (deploy/config).
"""
import argparse
import json
import resource
import socket
import time

TOKEN = "demo-token-rsj-330100"
REQUEST = ("GET /v1/cases/bounds-none HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN +
           "\r\n\r\n").encode()


def vm_hwm_kb(pid):
    if not pid:
        return None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def status_of(data):
    """HTTP status and error rule of an answer (bytes), or (None, None)."""
    if not data.startswith(b"HTTP/1.1 "):
        return None, None
    status = int(data[9:12])
    body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    try:
        rule = json.loads(body)["error"]["rule"]
    except (ValueError, KeyError, TypeError):
        rule = None
    return status, rule


def ask(port, timeout=10.0):
    """One request on a fresh connection: (status, seconds)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(REQUEST)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return status_of(data)[0], time.monotonic() - start


def flood(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.connections + 64 > hard:
        raise SystemExit(f"open-file hard limit {hard} is below {args.connections} + 64")
    before = vm_hwm_kb(args.pid)
    socks, connect_failed = [], 0
    start = time.monotonic()
    for _ in range(args.connections):
        s = socket.socket()
        s.settimeout(10)
        try:
            s.connect(("127.0.0.1", args.port))
            s.setblocking(False)
            socks.append(s)
        except OSError:
            connect_failed += 1
            s.close()
    opened = time.monotonic() - start
    # The ingress answers a refusal at once; give the accept loop time to reach the last one.
    time.sleep(args.settle)
    held, refused, closed = [], {}, 0
    for s in socks:
        try:
            data = s.recv(4096)
        except BlockingIOError:
            held.append(s)
            continue
        except OSError:
            closed += 1
            s.close()
            continue
        if not data:
            closed += 1
        else:
            status, rule = status_of(data)
            refused[f"{status} {rule}"] = refused.get(f"{status} {rule}", 0) + 1
        s.close()
    peak = vm_hwm_kb(args.pid)
    served_on_held = None
    if held:
        s = held[0]
        s.setblocking(True)
        s.settimeout(10)
        s.sendall(REQUEST)
        served_on_held = status_of(s.recv(4096))[0]
    for s in held:
        s.close()
    time.sleep(0.5)
    after_status, after_seconds = ask(args.port)
    print(f"flood: connections={args.connections} opened_in={opened:.2f}s connect_failed={connect_failed} "
          f"held_open={len(held)} refused={json.dumps(refused)} closed_without_answer={closed} "
          f"request_on_a_held_connection={served_on_held} new_client_after_close={after_status} "
          f"({after_seconds * 1000:.0f} ms) ingress_VmHWM_kB before={before} peak={peak}")


def slow(args):
    before = vm_hwm_kb(args.pid)
    request, sent = REQUEST, 0
    if args.body:
        body = b'{"case_id":"bounds-slow","occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}}'
        head = ("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Authorization: Bearer " + TOKEN + "\r\nContent-Length: " + str(len(body)) + "\r\n\r\n").encode()
        request, sent = head + body, len(head)
    s = socket.create_connection(("127.0.0.1", args.port), timeout=10)
    s.setblocking(False)
    if sent:
        s.setblocking(True)
        s.sendall(request[:sent])
        s.setblocking(False)
    start = time.monotonic()
    outcome, next_byte, next_probe, slowest = None, start, start, 0.0
    probes = 0
    while outcome is None and time.monotonic() - start < args.give_up:
        now = time.monotonic()
        if now >= next_byte and sent < len(request):
            try:
                s.send(request[sent:sent + 1])
                sent += 1
            except OSError as e:
                outcome = f"send failed ({e.strerror})"
                break
            next_byte += args.interval
        try:
            data = s.recv(4096)
            if not data:
                outcome = "closed without an answer"
            else:
                status, rule = status_of(data)
                outcome = f"answered {status} {rule}"
        except BlockingIOError:
            pass
        except OSError as e:
            outcome = f"reset ({e.strerror})"
        if now >= next_probe:
            status, seconds = ask(args.port)
            probes += 1
            slowest = max(slowest, seconds)
            if status != 404:
                print(f"slow: the other client got {status}")
            next_probe += 0.5
        time.sleep(0.01)
    elapsed = time.monotonic() - start
    s.close()
    print(f"slow: {'body' if args.body else 'header'} interval={args.interval}s cut_off_after={elapsed:.1f}s "
          f"bytes_sent={sent}/{len(request)} outcome=\"{outcome}\" other_client_requests={probes} "
          f"other_client_slowest={slowest * 1000:.1f}ms "
          f"ingress_VmHWM_kB before={before} after={vm_hwm_kb(args.pid)}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    f = sub.add_parser("flood")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--connections", type=int, default=10000)
    f.add_argument("--settle", type=float, default=3.0, help="seconds to wait for refusals after the last connect")
    f.add_argument("--pid", type=int)
    s = sub.add_parser("slow")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--interval", type=float, default=1.0)
    s.add_argument("--body", action="store_true", help="trickle the body of a POST, not the header")
    s.add_argument("--give-up", type=float, default=120.0)
    s.add_argument("--pid", type=int)
    args = p.parse_args()
    flood(args) if args.mode == "flood" else slow(args)


if __name__ == "__main__":
    main()
