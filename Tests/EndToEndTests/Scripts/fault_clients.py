"""Clients for the fault tests (Tests/EndToEndTests/Faults), written with Python's `websockets` and pyzmq.

Usage:
  fault_clients.py stall   WS_URL GATEWAY_PID METRICS_URL      SIGSTOP the gateway 5 s under a listener
  fault_clients.py abuse   HOST PORT STREAM GATEWAY_PID REQUEST_TIMEOUT_S IDLE_TIMEOUT_S ROUNDS
                                                                connection abuse beside a normal listener
  fault_clients.py stalled HOST PORT STREAM METRICS_URL WAVECAST CLIENTS SECONDS LAG_MS [PLAN]
                                                                one stalled reader among CLIENTS (wavecast loadtest)
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
import resource
import signal
import socket
import struct
import sys
import threading
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


def metric(url, name, attempts=3):
    for attempt in range(attempts):
        try:
            text = urllib.request.urlopen(url, timeout=5).read().decode()
            break
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
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


def raise_fd_limit(wanted=4096):
    """Raises this process's soft open-file limit to `wanted` (or the hard limit) if it is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


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
        except (OSError, asyncio.TimeoutError):
            failures += 1

    await asyncio.gather(*(one(i) for i in range(count)))
    return failures, time.monotonic() - start


def drop_main(host, port, count, seconds):
    """The connect-and-drop flood, run in a process of its own so that its busy event loop does not
    delay the probes' clocks in the main one."""
    failures, elapsed = asyncio.run(connect_and_drop(host, port, count, seconds))
    print(json.dumps({"failures": failures, "seconds": round(elapsed, 3)}), flush=True)


async def slowloris(host, port, count, path, opened, wait_seconds):
    """`count` connections that send half a handshake and then hold the socket open, each until the
    gateway closes it (EOF or reset) or `wait_seconds` pass. Returns (closed by the gateway, seconds
    from each one's half request to its close)."""
    conns = []
    for _ in range(count):
        try:
            reader, writer = await open_raw(host, port)
            writer.write(handshake(path)[:40])
            conns.append((reader, writer, time.monotonic()))
        except (OSError, asyncio.TimeoutError):
            pass
    opened.append(len(conns))

    async def until_closed(reader, sent_at):
        deadline = sent_at + wait_seconds
        while time.monotonic() < deadline:
            try:
                data = await asyncio.wait_for(reader.read(4096), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                return None
            except OSError:  # reset: closed by the gateway too
                return time.monotonic() - sent_at
            if not data:
                return time.monotonic() - sent_at
            return -1.0  # the gateway answered a request it never got whole
        return None

    waits = await asyncio.gather(*(until_closed(r, t) for r, _, t in conns))
    # Only now does this side let go of those the gateway did not close.
    for _, writer, _ in conns:
        writer.transport.abort()
    return waits


def server_frames(data):
    """Parses unmasked server frames from `data`: [(opcode, payload)], and the bytes left over."""
    frames, i = [], 0
    while len(data) - i >= 2:
        opcode, length = data[i] & 0x0F, data[i + 1] & 0x7F
        header = 2
        if length == 126:
            if len(data) - i < 4:
                break
            length, header = struct.unpack(">H", data[i + 2 : i + 4])[0], 4
        elif length == 127:
            if len(data) - i < 10:
                break
            length, header = struct.unpack(">Q", data[i + 2 : i + 10])[0], 10
        if len(data) - i < header + length:
            break
        frames.append((opcode, data[i + header : i + header + length]))
        i += header + length
    return frames, data[i:]


async def silent_client(host, port, path, wait_seconds):
    """Upgrades, then reads everything but never answers a ping (and never sends a frame), until the
    gateway closes it or `wait_seconds` pass."""
    reader, writer = await open_raw(host, port)
    writer.write(handshake(path))
    result = {"upgraded": False, "pings": 0, "close_code": None, "closed_by_gateway": False, "closed_after_s": None}
    buffer = b""
    upgraded_at = None
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            data = await asyncio.wait_for(reader.read(65536), max(0.01, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            break
        except OSError:
            data = b""
        if not data:
            result["closed_by_gateway"] = True
            break
        buffer += data
        if upgraded_at is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                continue
            result["upgraded"] = buffer.startswith(b"HTTP/1.1 101")
            upgraded_at = time.monotonic()
            buffer = buffer[end + 4 :]
        frames, buffer = server_frames(buffer)
        for opcode, payload in frames:
            if opcode == 0x9:
                result["pings"] += 1
            elif opcode == 0x8 and len(payload) >= 2:
                result["close_code"] = struct.unpack(">H", payload[:2])[0]
    if upgraded_at is not None and result["closed_by_gateway"]:
        result["closed_after_s"] = round(time.monotonic() - upgraded_at, 3)
    writer.transport.abort()
    return result


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


async def abuse_round(host, port, path, pid, record, fds_before, request_timeout, idle_timeout, drops, drop_seconds,
                      loris):
    """One round of abuse beside the running listener (`record`); its figures."""
    abuse_start, abuse_at = len(record), time.monotonic()
    drop = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "drop", host, str(port), str(drops), str(drop_seconds),
        stdout=asyncio.subprocess.PIPE,
    )
    opened = []
    # Each slowloris waits for the gateway's request timeout, plus 3 s for a busy machine.
    loris_task = asyncio.create_task(slowloris(host, port, loris, path, opened, request_timeout + 3))
    # The silent client: pinged after the ping interval, closed after the idle timeout (checked once a second).
    silent_task = asyncio.create_task(silent_client(host, port, path, idle_timeout + 5))
    # New clients while the flood runs and the slowloris are held: one every 100 ms for 3 s.
    probes = []
    fds_peak = 0
    for _ in range(30):
        probes.append(await first_byte_ms(host, port, path))
        fds_peak = max(fds_peak, fd_count(pid))
        await asyncio.sleep(0.1)
    try:
        drop_out, _ = await asyncio.wait_for(drop.communicate(), drop_seconds + 30)
    except asyncio.TimeoutError:
        drop.kill()
        raise SystemExit(f"the connect-and-drop process did not finish within {drop_seconds + 30} s")
    lines = drop_out.decode().strip().splitlines()
    if not lines:
        raise SystemExit("the connect-and-drop process printed nothing")
    dropped = json.loads(lines[-1])
    waits = await loris_task
    silent = await silent_task
    during = record[abuse_start:]
    abuse_seconds = time.monotonic() - abuse_at
    # The fds settle once the abusers are gone.
    fds_after = fd_count(pid)
    settle_deadline = time.monotonic() + 5
    while fds_after > fds_before and time.monotonic() < settle_deadline:
        await asyncio.sleep(0.1)
        fds_after = fd_count(pid)
    await asyncio.sleep(1)
    ttfb = [ms for ms, _ in probes]
    closed = [w for w in waits if w is not None and w >= 0]
    return {
        "connect_and_drop": drops,
        "connect_and_drop_failures": dropped["failures"],
        "connect_and_drop_seconds": dropped["seconds"],
        "slowloris_held": opened[0] if opened else 0,
        "slowloris_closed_by_gateway": len(closed),
        "slowloris_answered": sum(1 for w in waits if w is not None and w < 0),
        "slowloris_close_s_min": round(min(closed), 3) if closed else None,
        "slowloris_close_s_max": round(max(closed), 3) if closed else None,
        "silent_client_upgraded": silent["upgraded"],
        "silent_client_pings": silent["pings"],
        "silent_client_close_code": silent["close_code"],
        "silent_client_closed_by_gateway": silent["closed_by_gateway"],
        "silent_client_closed_after_s": silent["closed_after_s"],
        "probes": len(probes),
        "probes_upgraded": sum(1 for _, ok in probes if ok),
        "first_byte_ms_p50": round(percentile(ttfb, 0.5), 3),
        "first_byte_ms_p95": round(percentile(ttfb, 0.95), 3),
        "first_byte_ms_max": round(max(ttfb), 3),
        "abuse_seconds": round(abuse_seconds, 3),
        "listener_chunks_during_abuse": len(during),
        "listener_spread_during_ms": round(on_time_spread(during), 3) if during else None,
        "fds_peak": fds_peak,
        "fds_after": fds_after,
        "rss_kib_after": rss_kib(pid),
    }


async def abuse(host, port, stream, pid, request_timeout, idle_timeout, rounds, drops=2000, drop_seconds=2.0,
                loris=200):
    """`rounds` rounds of abuse, one after the other, beside one normal listener: the first shows
    what the abuse costs, the next ones whether anything stays behind each time (a leak)."""
    path = f"/ws/{stream}"
    fd_limit = raise_fd_limit()
    record, stop = [], asyncio.Event()
    listener = asyncio.create_task(listen(f"ws://{host}:{port}{path}", record, stop))
    deadline = time.monotonic() + 15
    while len(record) < 20 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    baseline_probes = [await first_byte_ms(host, port, path) for _ in range(5)]
    await asyncio.sleep(0.5)
    fds_before, rss_before = fd_count(pid), rss_kib(pid)
    baseline = list(record)
    results = []
    for _ in range(rounds):
        results.append(
            await abuse_round(
                host, port, path, pid, record, fds_before, request_timeout, idle_timeout, drops, drop_seconds, loris
            )
        )
    stop.set()
    await asyncio.gather(listener, return_exceptions=True)
    seqs = [seq for _, seq, _ in record]
    missing = sum(b - a - 1 for a, b in zip(seqs, seqs[1:]) if b > a + 1)
    print(
        json.dumps(
            {
                "fd_limit": fd_limit,
                "baseline_first_byte_ms_max": round(max(ms for ms, _ in baseline_probes), 3),
                "listener_chunks": len(record),
                "listener_missing": missing,
                "listener_spread_baseline_ms": round(on_time_spread(baseline[5:]), 3),
                "fds_before": fds_before,
                "rss_kib_before": rss_before,
                "rounds": results,
            }
        ),
        flush=True,
    )


# --- One stalled reader among many clients --------------------------------------------------------


def loadtest_command(wavecast, url, clients, seconds):
    return [wavecast, "loadtest", url, "--clients", str(clients), "--seconds", str(seconds), "--ramp", "2", "--json"]


async def run_loadtest(command, timeout):
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    # Read both pipes as they fill, so a load tool that hangs (or crashes into a hung crash handler) still
    # says what it printed when the timeout kills it.
    stdout = asyncio.ensure_future(process.stdout.read())
    stderr = asyncio.ensure_future(process.stderr.read())
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        err = (await stderr).decode()
        sys.exit(f"loadtest did not finish within {timeout} s and was killed; it said: {err[-2000:]}")
    out, err = await stdout, await stderr
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    if process.returncode != 0 or not lines:
        sys.exit(f"loadtest failed ({process.returncode}): {err.decode()[-2000:]}")
    return json.loads(lines[-1])


def summary(report):
    return {
        "connected": report["connected"],
        "failed": report["failed"],
        "missing": report["missing"],
        "duplicates": report["duplicates"],
        "closes": report["closes"],
        "open_at_end": report["open_at_end"],
        "chunks": report["chunks"],
        "lateness_ms": report["lateness_ms"],
        "time_to_first_chunk_p99_ms": report["time_to_first_chunk_ms"]["p99"],
        "cpu_percent": report["cpu_percent"],
    }


class StalledReader:
    """A listener with a small receive buffer that reads normally until `stall()`, then never again.

    It connects and upgrades before the loadtest, as a new connection can wait seconds for a
    starved gateway loop; the stall then starts at a known moment among the other clients."""

    def __init__(self, host, port, stream):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        self.sock.settimeout(10)
        self.sock.connect((host, port))
        self.sock.sendall(handshake(f"/ws/{stream}"))
        self.received = b""
        while b"\r\n\r\n" not in self.received:
            data = self.sock.recv(512)
            if not data:
                break
            self.received += data
        self.upgraded = self.received.startswith(b"HTTP/1.1 101")
        self.received = self.received[self.received.find(b"\r\n\r\n") + 4 :]
        self.read_before_stall = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.drain, daemon=True)
        self.thread.start()

    def drain(self):
        self.sock.settimeout(0.05)
        while not self.stop.is_set():
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                break
            self.read_before_stall += len(data)

    def stall(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.settimeout(5)

    def read_to_end(self):
        """Reads what is left: the frames sent since the stall, then a close frame or only EOF."""
        received, eof = b"", False
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                break
            except OSError:
                eof = True
                break
            if not data:
                eof = True
                break
            received += data
        self.sock.close()
        # The stall cut the stream at any byte: resynchronise on the close frame, the last frame sent.
        close_code = None
        index = received.rfind(b"\x88")
        while index >= 0 and close_code is None:
            frames, rest = server_frames(received[index:])
            if frames and frames[0][0] == 0x8 and len(frames[0][1]) >= 2 and not rest and len(frames) == 1:
                close_code = struct.unpack(">H", frames[0][1][:2])[0]
            index = received.rfind(b"\x88", 0, index)
        return len(received), close_code, eof


TCP_STATES = {1: "ESTABLISHED", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK"}


def server_side_state(server_port, client_port):
    """The TCP state of the gateway's end of a loopback connection, from /proc/net/tcp (None: gone)."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    with open("/proc/net/tcp") as table:
        for line in table:
            fields = line.split()
            if len(fields) > 3 and fields[1] == local and fields[2] == remote:
                state = int(fields[3], 16)
                return TCP_STATES.get(state, str(state))
    return None


async def stalled_reader(reader, server_port, lag_ms, stall_at, began):
    """Stops `reader` reading `stall_at` s after `began` (the loadtest's start) and watches the
    gateway's end of its connection in /proc/net/tcp until it leaves ESTABLISHED: the gateway
    closed it (its FIN waits behind the data the stalled reader does not take). This asks the
    gateway nothing, so its loops' load does not delay the observation. Its figures."""
    await asyncio.sleep(max(0, began + stall_at - time.monotonic()))
    await asyncio.to_thread(reader.stall)
    since = time.monotonic()
    client_port = reader.sock.getsockname()[1]
    state, closed_after = server_side_state(server_port, client_port), None
    give_up = since + lag_ms / 1000 + 15
    while time.monotonic() < give_up:
        state = server_side_state(server_port, client_port)
        if state != "ESTABLISHED":
            closed_after = time.monotonic() - since
            break
        await asyncio.sleep(0.05)
    after_stall, close_code, eof = await asyncio.to_thread(reader.read_to_end)
    return {
        "stalled_upgraded": reader.upgraded,
        "stalled_at_s": round(since - began, 3),
        "stalled_bytes_read_before": reader.read_before_stall,
        "stalled_server_state": state,
        "stalled_closed_after_s": round(closed_after, 3) if closed_after is not None else None,
        "stalled_bytes_after": after_stall,
        "stalled_close_code": close_code,
        "stalled_eof": eof,
    }


async def stalled(host, port, stream, metrics_url, wavecast, clients, seconds, lag_ms, plan="ABA", stall_at=6.0):
    """`wavecast loadtest` with `clients` clients, once per letter of `plan`: A alone, B beside one
    more listener that stops reading `stall_at` s in (after the 2 s ramp, inside the measured window). Running
    A before and after B brackets the machine's load, which other jobs change from run to run."""
    raise_fd_limit(clients + 256)
    url = f"ws://{host}:{port}/ws/{stream}"
    command = loadtest_command(wavecast, url, clients, seconds)
    timeout = seconds + 30
    runs, stall = [], None
    for letter in plan:
        closes0 = metric(metrics_url, "wavecast_gateway_slow_client_closes_total")
        # Connected and upgraded before the loadtest: a new connection can wait seconds for a starved gateway loop.
        reader = StalledReader(host, port, stream) if letter == "B" else None
        began = time.monotonic()
        loadtest = asyncio.create_task(run_loadtest(command, timeout))
        if reader is not None:
            stall = await stalled_reader(reader, port, lag_ms, stall_at, began)
        report = await loadtest
        # Read once the 999 are gone and the gateway answers at once: was it closed as too slow?
        closes = metric(metrics_url, "wavecast_gateway_slow_client_closes_total") - closes0
        runs.append(dict(summary(report), stalled_reader=letter == "B", slow_client_closes=closes))
        await asyncio.sleep(1)
    slow_closes = sum(run["slow_client_closes"] for run in runs)
    print(
        json.dumps(dict(stall or {}, clients=clients, lag_limit_ms=lag_ms, slow_client_closes=slow_closes, runs=runs)),
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


def lateness_buckets(metrics_url):
    """The encoder's publication-lateness histogram now: {upper bound in ms: cumulative count}."""
    text = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
    buckets = {}
    for line in text.splitlines():
        if line.startswith('wavecast_encoder_publication_lateness_seconds_bucket{le="'):
            bound = line.split('le="')[1].split('"')[0]
            buckets[math.inf if bound == "+Inf" else float(bound) * 1000] = float(line.split()[-1])
    return buckets


def p99_bucket(before, after):
    """The bound (ms) of the bucket the p99 of the chunks published between two scrapes falls in."""
    bounds = sorted(after)
    total = after[math.inf] - before.get(math.inf, 0)
    for bound in bounds:
        if total > 0 and after[bound] - before.get(bound, 0) >= 0.99 * total:
            return bound
    return math.inf


def ingest(ingest_endpoint, bus_endpoint, metrics_url=None):
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.setsockopt(zmq.RCVHWM, 100000)
    sub.connect(bus_endpoint)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # a heartbeat: the subscription is in place
        if sub.poll(200) and sub.recv_multipart()[0] == b"#":
            break
    feeder = context.socket(zmq.DEALER)
    feeder.connect(ingest_endpoint)
    streams = [f"play-{n}" for n in range(10)]
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
    # The encoder's own histogram at 1, 3 and 6 s: what it published late, free of this process's scheduling.
    scrapes, scrape_at = [], [1.0, abuse_from, abuse_to] if metrics_url else []
    while time.monotonic() - start < end:
        now = time.monotonic() - start
        if scrape_at and now >= scrape_at[0]:
            scrape_at.pop(0)
            scrapes.append(lateness_buckets(metrics_url))
        if abuse_from <= now:
            due = min(3000, int((now - abuse_from) * 1000) + 1)
            while sent < due:
                frames, code = BAD_REQUESTS[sent % len(BAD_REQUESTS)]
                header = frames[0]
                if header.startswith(b"{") and header.endswith(b"}") and header != b"{not json":
                    header = header[:-1] + f',"id":{sent}}}'.encode()
                abuser.send_multipart([b"", header] + frames[1:])
                sent += 1
        ready = dict(poller.poll(1))
        # The bus first, and all of it: its arrivals are stamped here, so they must not wait behind this loop's
        # handling of a thousand error replies a second (the flood's own cost, in this process, not the encoder's).
        for socket_ in (sub, feeder, abuser):
            if socket_ not in ready:
                continue
            while True:
                try:
                    frames = socket_.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                if socket_ is sub:
                    stream = frames[0].decode()
                    if stream == "#":  # the control topic: heartbeats and catalogues
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
                    if sub.poll(0):
                        break  # back to the bus
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
                "publication_p99_baseline_le_ms": p99_bucket(scrapes[0], scrapes[1]) if len(scrapes) == 3 else None,
                "publication_p99_during_le_ms": p99_bucket(scrapes[1], scrapes[2]) if len(scrapes) == 3 else None,
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
        args = sys.argv[2:]
        asyncio.run(abuse(args[0], int(args[1]), args[2], int(args[3]), float(args[4]), float(args[5]), int(args[6])))
    elif mode == "drop":
        drop_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    elif mode == "stalled":
        args = sys.argv[2:]
        asyncio.run(
            stalled(
                args[0], int(args[1]), args[2], args[3], args[4], int(args[5]), float(args[6]), int(args[7]), *args[8:]
            )
        )
    elif mode == "ingest":
        ingest(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    elif mode == "limits":
        asyncio.run(limits(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    else:
        sys.exit(f"unknown mode {mode}")


main()
