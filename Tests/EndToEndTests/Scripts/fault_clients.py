"""Clients for the fault tests (Tests/EndToEndTests/Faults), written with Python's `websockets` and pyzmq.

Usage:
  fault_clients.py stall   WS_URL GATEWAY_PID METRICS_URL      SIGSTOP the gateway 5 s under a listener
  fault_clients.py abuse   HOST PORT STREAM GATEWAY_PID         connection abuse beside a normal listener
  fault_clients.py ingest  INGEST_ENDPOINT BUS_ENDPOINT          malformed requests while 5 streams play
  fault_clients.py limits  INGEST_ENDPOINT WS_URL MAX_CLIENTS MAX_MESSAGE_BYTES

Every mode is bounded in count and time, talks only to 127.0.0.1, and prints one JSON line.
"""
import asyncio
import base64
import io
import json
import math
import os
import signal
import socket
import struct
import sys
import time
import urllib.request
import wave

import websockets
import zmq

CHUNK_SECONDS = 0.072


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(math.ceil(fraction * len(ordered))) - 1)]


def metric(url, name):
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.split()[-1])
    return 0.0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def handshake(path, host="127.0.0.1"):
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


async def listen(url, record, stop):
    """Records (monotonic arrival, seq) of every chunk until `stop` is set."""
    async with websockets.connect(url, open_timeout=5, max_queue=None) as ws:
        while not stop.is_set():
            try:
                message = await asyncio.wait_for(ws.recv(), 0.5)
            except asyncio.TimeoutError:
                continue
            event = json.loads(message)
            if event["event"] == "chunk":
                media = event["media"]
                record.append((time.monotonic(), media["seq"], media["timestamp"] / 1000))


def offsets(arrivals):
    return [t - media_time for t, _, media_time in arrivals]


def on_time_spread(arrivals):
    """Spread (p99 − p1) of arrival − media time, in ms: 0 when every chunk is exactly on its clock."""
    values = offsets(arrivals)
    return (percentile(values, 0.99) - percentile(values, 0.01)) * 1000 if values else None


# --- SIGSTOP / SIGCONT ---------------------------------------------------------------------------


async def stall(url, pid, metrics_url):
    record, stop = [], asyncio.Event()
    task = asyncio.create_task(listen(url, record, stop))
    deadline = time.monotonic() + 15
    while len(record) < 30 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    merged0 = metric(metrics_url, "wavecast_gateway_merged_chunks_total")
    skipped0 = metric(metrics_url, "wavecast_gateway_skipped_chunks_total")
    before = len(record)
    stopped_at = time.monotonic()
    os.kill(pid, signal.SIGSTOP)
    await asyncio.sleep(5)
    os.kill(pid, signal.SIGCONT)
    resumed_at = time.monotonic()
    await asyncio.sleep(7)
    # A new client after the stall is served.
    new_record, new_stop = [], asyncio.Event()
    connect_at = time.monotonic()
    new_task = asyncio.create_task(listen(url, new_record, new_stop))
    while not new_record and time.monotonic() < connect_at + 3:
        await asyncio.sleep(0.01)
    first_chunk_ms = (new_record[0][0] - connect_at) * 1000 if new_record else None
    await asyncio.sleep(2)
    stop.set()
    new_stop.set()
    await asyncio.gather(task, new_task, return_exceptions=True)
    merged = metric(metrics_url, "wavecast_gateway_merged_chunks_total") - merged0
    skipped = metric(metrics_url, "wavecast_gateway_skipped_chunks_total") - skipped0

    during = [a for a in record[before:] if a[0] < resumed_at]
    after = [a for a in record if a[0] >= resumed_at]
    seqs = [seq for _, seq, _ in record]
    missing = sum(b - a - 1 for a, b in zip(seqs, seqs[1:]) if b > a + 1)
    out_of_order = sum(1 for a, b in zip(seqs, seqs[1:]) if b <= a)
    # The burst: the most chunks delivered in any 100 ms after the resume.
    times = [t for t, _, _ in after]
    burst = max((sum(1 for u in times if t <= u < t + 0.1) for t in times), default=0)
    # Caught up: from when on the spacing is steady again (every later chunk within 40 ms of its clock).
    caught_up_s = None
    for index in range(len(after)):
        tail = after[index:]
        if len(tail) >= 20 and on_time_spread(tail) < 40:
            caught_up_s = tail[0][0] - resumed_at
            break
    settled = [a for a in after if a[0] >= resumed_at + 3]
    # How much later than before the stop the listener now hears the stream (0: back at the live edge).
    behind = percentile(offsets(settled), 0.5) - percentile(offsets(record[:before]), 0.5) if settled else None
    print(
        json.dumps(
            {
                "chunks_before": before,
                "chunks_during_stop": len(during),
                "chunks_after_resume": len(after),
                "stop_seconds": round(resumed_at - stopped_at, 3),
                "missing": missing,
                "out_of_order": out_of_order,
                "max_chunks_in_100ms": burst,
                "caught_up_seconds": caught_up_s,
                "spread_before_ms": on_time_spread(record[5:before]),
                "spread_after_3s_ms": on_time_spread(settled),
                "behind_live_added_s": behind,
                "merged": merged,
                "skipped": skipped,
                "new_client_first_chunk_ms": first_chunk_ms,
                "new_client_chunks": len(new_record),
            }
        ),
        flush=True,
    )


# --- Connection abuse ----------------------------------------------------------------------------


async def open_raw(host, port):
    return await asyncio.wait_for(asyncio.open_connection(host, port), 5)


async def connect_and_drop(host, port, count, seconds):
    """`count` connections, each closed at once, spread over `seconds`; half send a partial request first."""
    failures = 0
    spacing = seconds / count
    start = time.monotonic()

    async def one(index):
        nonlocal failures
        await asyncio.sleep(max(0, start + index * spacing - time.monotonic()))
        try:
            reader, writer = await open_raw(host, port)
            if index % 2:
                writer.write(b"GET /ws/x HTTP/1.1\r\nHost: a\r\n")
            writer.transport.abort()
        except OSError:
            failures += 1

    await asyncio.gather(*(one(i) for i in range(count)))
    return failures, time.monotonic() - start


async def slowloris(host, port, count, path, held, release):
    """`count` connections that send half a handshake and then hold the socket open until `release`."""
    writers = []
    for _ in range(count):
        try:
            _, writer = await open_raw(host, port)
            writer.write(handshake(path)[:40])
            writers.append(writer)
        except OSError:
            pass
    held.append(len(writers))
    await release.wait()
    # Still open? The gateway closed those it timed out (EOF on our side).
    closed_by_server = sum(1 for w in writers if w.transport.is_closing() or w.is_closing())
    for writer in writers:
        writer.transport.abort()
    return closed_by_server


async def silent_client(host, port, path, release):
    """Upgrades, then reads everything but never answers a ping (and never sends a frame)."""
    reader, writer = await open_raw(host, port)
    writer.write(handshake(path))
    pings = 0
    got = b""
    while not release.is_set():
        try:
            data = await asyncio.wait_for(reader.read(65536), 0.2)
        except asyncio.TimeoutError:
            continue
        if not data:
            break
        got += data
        pings += data.count(b"\x89\x00")
    writer.transport.abort()
    return got.startswith(b"HTTP/1.1 101")


async def first_byte_ms(host, port, path):
    """Time from connect() to the first byte of the response to a complete handshake, in ms."""
    start = time.monotonic()
    reader, writer = await open_raw(host, port)
    writer.write(handshake(path))
    first = await asyncio.wait_for(reader.read(1), 5)
    elapsed = (time.monotonic() - start) * 1000
    rest = await asyncio.wait_for(reader.read(64), 5)
    writer.transport.abort()
    return elapsed, (first + rest).startswith(b"HTTP/1.1 101")


async def abuse(host, port, stream, pid):
    path = f"/ws/{stream}"
    record, stop = [], asyncio.Event()
    listener = asyncio.create_task(listen(f"ws://{host}:{port}{path}", record, stop))
    deadline = time.monotonic() + 15
    while len(record) < 20 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    fds_before, rss_before = fd_count(pid), rss_kib(pid)
    baseline = list(record)
    baseline_probes = [await first_byte_ms(host, port, path) for _ in range(5)]

    release = asyncio.Event()
    held = []
    loris = asyncio.create_task(slowloris(host, port, 100, path, held, release))
    silent = asyncio.create_task(silent_client(host, port, path, release))
    abuse_start = len(record)
    drop_failures, drop_seconds = await connect_and_drop(host, port, 500, 1.0)
    while not held and time.monotonic() < deadline + 20:
        await asyncio.sleep(0.05)
    probes = []
    for _ in range(20):
        probes.append(await first_byte_ms(host, port, path))
        await asyncio.sleep(0.05)
    fds_peak = fd_count(pid)
    await asyncio.sleep(1)
    during = record[abuse_start:]
    release.set()
    closed_by_server = await loris
    silent_upgraded = await silent
    # The fds settle once the abusers are gone.
    fds_after = fd_count(pid)
    settle_deadline = time.monotonic() + 5
    while fds_after > fds_before + 5 and time.monotonic() < settle_deadline:
        await asyncio.sleep(0.1)
        fds_after = fd_count(pid)
    await asyncio.sleep(1)
    stop.set()
    await asyncio.gather(listener, return_exceptions=True)
    seqs = [seq for _, seq, _ in record]
    missing = sum(b - a - 1 for a, b in zip(seqs, seqs[1:]) if b > a + 1)
    ttfb = [ms for ms, _ in probes]
    print(
        json.dumps(
            {
                "connect_and_drop": 500,
                "connect_and_drop_failures": drop_failures,
                "connect_and_drop_seconds": round(drop_seconds, 3),
                "slowloris_held": held[0] if held else 0,
                "slowloris_closed_by_gateway": closed_by_server,
                "silent_client_upgraded": silent_upgraded,
                "baseline_first_byte_ms_max": max(ms for ms, _ in baseline_probes),
                "probes": len(probes),
                "probes_upgraded": sum(1 for _, ok in probes if ok),
                "first_byte_ms_p50": percentile(ttfb, 0.5),
                "first_byte_ms_max": max(ttfb),
                "listener_chunks_during_abuse": len(during),
                "listener_missing": missing,
                "listener_spread_baseline_ms": on_time_spread(baseline[5:]),
                "listener_spread_during_ms": on_time_spread(during),
                "fds_before": fds_before,
                "fds_peak": fds_peak,
                "fds_after": fds_after,
                "rss_kib_before": rss_before,
                "rss_kib_after": rss_kib(pid),
            }
        ),
        flush=True,
    )


# --- Ingest abuse --------------------------------------------------------------------------------


def sine_wav(seconds, rate=8000, frequency=440):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        frames = bytearray()
        for n in range(int(seconds * rate)):
            frames += struct.pack("<h", int(8000 * math.sin(2 * math.pi * frequency * n / rate)))
        wav.writeframes(bytes(frames))
    return buffer.getvalue()


BAD_REQUESTS = [
    ([b"{not json"], "invalid_json"),
    ([b"[1,2]"], "invalid_request"),
    ([b'{"stream":"bad-a"}'], "missing_field"),
    ([b'{"op":"dance","stream":"bad-b"}'], "unknown_op"),
    ([b'{"op":"stop","stream":"bad c!"}'], "invalid_stream_id"),
    ([b'{"op":"play","stream":"bad-d"}'], "missing_payload"),
    ([b'{"op":"pcm","stream":"bad-e"}', b"\x00\x00"], "stream_not_open"),
    ([b'{"op":"close","stream":"bad-f"}'], "stream_not_open"),
    ([b'{"op":"play","stream":"bad-g"}', b"RIFF....garbage"], "invalid_wav"),
    ([b'{"op":"stop","stream":"bad-h"}', b"extra"], "unexpected_payload"),
    ([b'{"op":"open","stream":"bad-i","sample_rate":5,"channels":1}'], "invalid_field"),
]


def bus_lateness(arrivals):
    """Per chunk: arrival − (the stream's earliest clock + media time), in ms; arrivals are (t, timestamp_samples)."""
    if not arrivals:
        return []
    offsets = [t - ts / 8000 for t, ts in arrivals]
    earliest = min(offsets)
    return [(offset - earliest) * 1000 for offset in offsets]


def ingest(ingest_endpoint, bus_endpoint):
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.setsockopt(zmq.RCVHWM, 100000)
    sub.connect(bus_endpoint)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # a heartbeat: the subscription is in place
        if sub.poll(200) and sub.recv_multipart()[0] == b"":
            break
    feeder = context.socket(zmq.DEALER)
    feeder.connect(ingest_endpoint)
    streams = [f"play-{n}" for n in range(5)]
    wav = sine_wav(12)
    for index, stream in enumerate(streams):
        feeder.send_multipart([json.dumps({"op": "play", "stream": stream, "id": f"p{index}"}).encode(), wav])
    abuser = context.socket(zmq.DEALER)
    abuser.setsockopt(zmq.SNDHWM, 100000)
    abuser.setsockopt(zmq.RCVHWM, 100000)
    abuser.connect(ingest_endpoint)

    arrivals = {stream: [] for stream in streams}
    seqs = {stream: [] for stream in streams}
    foreign = []
    got = []
    play_replies = []
    sent = 0
    phase_marks = {}
    start = time.monotonic()
    poller = zmq.Poller()
    for socket_ in (sub, feeder, abuser):
        poller.register(socket_, zmq.POLLIN)
    # 0–3 s baseline, 3–6 s abuse at 1,000 requests/s, 6–9 s after.
    abuse_from, abuse_to, end = 3.0, 6.0, 9.0
    while time.monotonic() - start < end:
        now = time.monotonic() - start
        if abuse_from <= now:
            due = min(3000, int((now - abuse_from) * 1000) + 1)
            while sent < due:
                frames, code = BAD_REQUESTS[sent % len(BAD_REQUESTS)]
                header = frames[0]
                if header.startswith(b"{") and header.endswith(b"}") and header != b"{not json":
                    header = header[:-1] + f',"id":{sent}}}'.encode()
                abuser.send_multipart([b"", header] + frames[1:])
                sent += 1
        for socket_, _ in poller.poll(1):
            frames = socket_.recv_multipart()
            if socket_ is sub:
                stream = frames[0].decode()
                if stream == "":
                    continue
                if stream not in arrivals:
                    foreign.append(stream)
                    continue
                kind = frames[1][1]
                if kind == 2:
                    seq, timestamp = struct.unpack(">QQ", frames[1][12:28])
                    arrivals[stream].append((time.monotonic() - start, timestamp))
                    seqs[stream].append(seq)
            elif socket_ is feeder:
                play_replies.append(json.loads(frames[-1]))
            else:
                got.append(json.loads(frames[-1]))
    # Replies still in flight.
    drain_deadline = time.monotonic() + 3
    while time.monotonic() < drain_deadline and len(got) < sent:
        if abuser.poll(100):
            got.append(json.loads(abuser.recv_multipart()[-1]))
    expected = {}
    for index in range(sent):
        code = BAD_REQUESTS[index % len(BAD_REQUESTS)][1]
        expected[code] = expected.get(code, 0) + 1
    got_codes = {}
    for reply in got:
        got_codes[reply.get("error", "ok")] = got_codes.get(reply.get("error", "ok"), 0) + 1

    def window(stream, lo, hi):
        return [l for (t, _), l in zip(arrivals[stream], bus_lateness(arrivals[stream])) if lo <= t < hi]

    # Lateness relative to each stream's clock, baseline (1–3 s) against abuse (3–6 s).
    baseline = [l for s in streams for l in window(s, 1.0, abuse_from)]
    during = [l for s in streams for l in window(s, abuse_from, abuse_to)]
    gaps = {s: sum(b - a - 1 for a, b in zip(v, v[1:]) if b != a + 1) for s, v in seqs.items()}
    print(
        json.dumps(
            {
                "bad_requests_sent": sent,
                "error_replies": sum(1 for r in got if r.get("ok") is False),
                "ok_replies_to_bad": sum(1 for r in got if r.get("ok") is not False),
                "codes_expected": expected,
                "codes_received": got_codes,
                "plays_ok": sum(1 for r in play_replies if r.get("ok")),
                "chunks_per_stream": {s: len(v) for s, v in seqs.items()},
                "gaps": gaps,
                "foreign_streams_published": sorted(set(foreign)),
                "lateness_p99_baseline_ms": percentile(baseline, 0.99),
                "lateness_p99_during_ms": percentile(during, 0.99),
                "lateness_p50_baseline_ms": percentile(baseline, 0.5),
                "lateness_p50_during_ms": percentile(during, 0.5),
            }
        ),
        flush=True,
    )
    context.destroy(linger=0)


# --- Resource limits -----------------------------------------------------------------------------


async def limits(ingest_endpoint, ws_url, max_clients, max_bytes):
    result = {}
    # --max-clients: MAX_CLIENTS are upgraded, the next gets 503 with Retry-After before the upgrade.
    held = []
    for _ in range(max_clients):
        held.append(await websockets.connect(ws_url, open_timeout=5))
    try:
        await websockets.connect(ws_url, open_timeout=5)
        result["over_client_limit"] = "upgraded"
    except websockets.InvalidStatus as error:
        response = error.response
        result["over_client_limit"] = response.status_code
        result["over_client_limit_retry_after"] = response.headers.get("Retry-After")
        result["over_client_limit_body"] = response.body.decode(errors="replace")[:200]
    for ws in held:
        await ws.close()
    await asyncio.sleep(0.5)
    async with websockets.connect(ws_url, open_timeout=5):
        result["served_after_limit_freed"] = True

    context = zmq.Context()
    req = context.socket(zmq.REQ)
    req.setsockopt(zmq.RCVTIMEO, 10000)
    req.connect(ingest_endpoint)

    def ask(frames):
        req.send_multipart(frames)
        return json.loads(req.recv())

    # --max-streams (2 for this encoder): two open streams, the third refused.
    opened = [ask([json.dumps({"op": "open", "stream": f"lim-{n}", "sample_rate": 8000, "channels": 1}).encode()])
              for n in range(3)]
    result["open_replies"] = [r.get("error", "ok") for r in opened]
    result["too_many_streams_message"] = opened[2].get("message")
    ask([json.dumps({"op": "stop", "stream": "lim-0"}).encode()])
    again = ask([json.dumps({"op": "open", "stream": "lim-3", "sample_rate": 8000, "channels": 1}).encode()])
    result["open_after_stop"] = again.get("error", "ok")
    for n in (1, 3):
        ask([json.dumps({"op": "stop", "stream": f"lim-{n}"}).encode()])

    # --max-message-bytes: a request of exactly the limit is read (and judged on its content);
    # one byte more is refused as payload_too_large.
    header = json.dumps({"op": "play", "stream": "big"}).encode()
    at_limit = ask([header, b"x" * (max_bytes - len(header))])
    over = ask([header, b"x" * (max_bytes - len(header) + 1)])
    huge = ask([header, b"x" * (max_bytes * 64)])
    result["at_limit"] = at_limit.get("error", "ok")
    result["over_limit"] = over.get("error", "ok")
    result["over_limit_message"] = over.get("message")
    result["far_over_limit"] = huge.get("error", "ok")
    context.destroy(linger=0)
    print(json.dumps(result), flush=True)


def main():
    mode = sys.argv[1]
    if mode == "stall":
        asyncio.run(stall(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
    elif mode == "abuse":
        asyncio.run(abuse(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])))
    elif mode == "ingest":
        ingest(sys.argv[2], sys.argv[3])
    elif mode == "limits":
        asyncio.run(limits(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    else:
        sys.exit(f"unknown mode {mode}")


main()
