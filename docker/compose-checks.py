#!/usr/bin/env python3
"""What a user of compose.yaml sees, checked against a running `docker compose` project.

Run by scripts/test-compose once `docker compose up -d --build` has returned; it talks to the
system only through the ports published on 127.0.0.1 (the lb and the encoder's ingest) and drives
compose (scale, kill) through the same docker CLI. Each check prints PASS or FAIL with its reason.

The stack is authenticated as compose.yaml sets it up: feeders need a CURVE key from the `keys`
volume, listeners a signed token except on the public stream `demo`; the checks take the host
feeder's key and mint a token through `docker compose exec`, as the README tells a user to.

Environment: WAVECAST_COMPOSE (the compose command line, JSON list), WAVECAST_PROJECT,
WAVECAST_LB_PORT, WAVECAST_TLS_PORT, WAVECAST_INGEST_PORT, WAVECAST_SCRATCH (a directory for
files), WAVECAST_RESULTS (a file that gets "passed failed").
"""

import asyncio
import base64
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import time
import urllib.request

import websockets
import zmq
import zmq.auth
from websockets.asyncio.client import connect

COMPOSE = json.loads(os.environ["WAVECAST_COMPOSE"])
PROJECT = os.environ["WAVECAST_PROJECT"]
LB_PORT = int(os.environ["WAVECAST_LB_PORT"])
TLS_PORT = int(os.environ["WAVECAST_TLS_PORT"])
INGEST_PORT = int(os.environ["WAVECAST_INGEST_PORT"])
SCRATCH = os.environ["WAVECAST_SCRATCH"]
RESULTS = os.environ["WAVECAST_RESULTS"]

LB = f"127.0.0.1:{LB_PORT}"
CHUNK_MS = 72


class Credentials:
    """What a user takes out of the `keys` volume (README): the host feeder's secret certificate,
    the encoder's public one, and a listener token for every stream, minted with `wavecast token`."""

    token = None
    feeder_certificate = None
    encoder_certificate = None

    @classmethod
    def fetch(cls):
        for name, path in (("feeder_certificate", "/keys/feeders/host.key_secret"),
                           ("encoder_certificate", "/keys/encoder/encoder.key")):
            local = os.path.join(SCRATCH, os.path.basename(path))
            with open(local, "w") as file:
                file.write(run([*COMPOSE, "exec", "-T", "encoder", "cat", path]))
            setattr(cls, name, local)
        cls.token = run([*COMPOSE, "exec", "-T", "-e", "WAVECAST_TOKEN_SECRET_FILE=/keys/token-secret", "encoder",
                         "wavecast", "token", "--stream", "*", "--ttl", "1h", "--subject", "compose checks"]).strip()


def curve_socket(context, kind, with_key=True):
    """A pyzmq socket to the encoder's ingest, with the host feeder's CURVE key (or none)."""
    socket = context.socket(kind)
    socket.setsockopt(zmq.LINGER, 0)
    if with_key:
        public, secret = zmq.auth.load_certificate(Credentials.feeder_certificate)
        server, _ = zmq.auth.load_certificate(Credentials.encoder_certificate)
        socket.curve_publickey, socket.curve_secretkey, socket.curve_serverkey = public, secret, server
    socket.connect(f"tcp://127.0.0.1:{INGEST_PORT}")
    return socket


class Tally:
    """The checks' results: each printed as PASS or FAIL with its reason as it comes, and counted, with the
    seconds since the one before (where a slow run spent its time)."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.last = time.monotonic()

    def report(self, ok, name, reason):
        """Records one check; returns `ok`, so a check can `return tally.report(False, …)`."""
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        now = time.monotonic()
        print(f"{'PASS' if ok else 'FAIL'} {name} (+{now - self.last:.1f} s): {reason}", flush=True)
        self.last = now
        return ok


def run(command, timeout=120, check=True):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}: {result.stderr.strip()[-2000:]}")
    return result.stdout


def containers():
    """Every container of the project: name → {service, state, health, exit, restarts, ip, id}."""
    names = run(["podman", "ps", "-a", "--filter", f"label=com.docker.compose.project={PROJECT}",
                 "--format", "{{.Names}}"]).split()
    found = {}
    if not names:
        return found
    for item in json.loads(run(["podman", "inspect", *names])):
        networks = item.get("NetworkSettings", {}).get("Networks") or {}
        health = (item["State"].get("Health") or item["State"].get("Healthcheck") or {}).get("Status", "")
        found[item["Name"].lstrip("/")] = {
            "id": item["Id"],
            "service": item["Config"]["Labels"].get("com.docker.compose.service", "?"),
            "state": item["State"]["Status"],
            "health": health,
            "exit": item["State"].get("ExitCode"),
            "restarts": item.get("RestartCount", 0),
            "ip": next((n.get("IPAddress") for n in networks.values() if n.get("IPAddress")), None),
        }
    return found


def gateways(found=None):
    found = found if found is not None else containers()
    return {name: c for name, c in found.items() if c["service"] == "gateway" and c["state"] == "running"}


def http_get(path):
    with urllib.request.urlopen(f"http://{LB}{path}", timeout=5) as response:
        return response.status, response.headers, response.read()


# --- Clients --------------------------------------------------------------------------------------


class Listener:
    """One WebSocket client on ws://LB/ws/STREAM: records chunks (seq, arrival, payload) and the
    gateway the lb chose (X-Wavecast-Gateway-Address of the upgrade response)."""

    def __init__(self, stream, keep_payloads=False, reconnect=False, token=None, tls=None):
        self.stream = stream
        self.token = token
        self.tls = tls  # an ssl.SSLContext: wss:// to the lb's TLS port
        self.keep_payloads = keep_payloads
        self.reconnect = reconnect
        self.sessions = []  # one per connection: {"gateway", "name", "chunks": [(seq, t)], "closed"}
        self.payloads = []
        self.events = []
        self.error = None
        self.task = None

    @property
    def session(self):
        return self.sessions[-1] if self.sessions else None

    def start(self):
        self.task = asyncio.create_task(self.run())
        return self

    async def run(self):
        deadline = None
        while True:
            try:
                url = (f"wss://localhost:{TLS_PORT}" if self.tls else f"ws://{LB}") + f"/ws/{self.stream}"
                subprotocols = ["wavecast", f"token.{self.token}"] if self.token else None
                async with connect(url, open_timeout=5, ping_interval=None, close_timeout=1, max_size=2**20,
                                   subprotocols=subprotocols, ssl=self.tls) as ws:
                    headers = ws.response.headers
                    session = {"gateway": headers.get("X-Wavecast-Gateway-Address"),
                               "name": headers.get("X-Wavecast-Gateway"), "chunks": [], "closed": None}
                    self.sessions.append(session)
                    deadline = None
                    async for message in ws:
                        now = time.monotonic()
                        event = json.loads(message)
                        if event.get("event") == "chunk":
                            session["chunks"].append((event["media"]["seq"], now))
                            if self.keep_payloads:
                                self.payloads.append(event["media"]["payload"])
                        else:
                            self.events.append(event)
                            if event.get("event") == "end" and not self.reconnect and self.keep_payloads:
                                return
                    session["closed"] = f"closed {ws.close_code}"
            except asyncio.CancelledError:
                raise
            except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError) as error:
                if self.session is not None and self.session["closed"] is None:
                    self.session["closed"] = f"{type(error).__name__}: {error}"
                self.error = f"{type(error).__name__}: {error}"
            if not self.reconnect:
                return
            deadline = deadline or time.monotonic() + 20
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(0.3)

    async def stop(self):
        if self.task and not self.task.done():
            self.task.cancel()
        try:
            await self.task
        except (asyncio.CancelledError, Exception):
            pass


def seq_gaps(chunks):
    seqs = [seq for seq, _ in chunks]
    return [(a, b) for a, b in zip(seqs, seqs[1:]) if b != a + 1]


def seq_faults(chunks):
    """How a run of chunks departs from 0, 1, 2…: (sequence numbers missing, steps out of order)."""
    seqs = [seq for seq, _ in chunks]
    if not seqs:
        return [], []
    missing = sorted(set(range(min(seqs), max(seqs) + 1)) - set(seqs))
    disorder = [(a, b) for a, b in zip(seqs, seqs[1:]) if b <= a]
    return missing, disorder


def decode_mp3(path):
    """(codec, sample rate, channels, decoded seconds, ffmpeg's complaints)."""
    probe = json.loads(run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels",
                            "-of", "json", path]))
    stream = (probe.get("streams") or [{}])[0]
    decoded = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-f", "s16le", "-ac", "1", "-"],
                             capture_output=True, timeout=60)
    rate = int(stream.get("sample_rate") or 0)
    seconds = len(decoded.stdout) / 2 / rate if rate else 0
    return stream.get("codec_name"), rate, stream.get("channels"), seconds, decoded.stderr.decode().strip()


# --- Checks ---------------------------------------------------------------------------------------


def check_healthy(tally):
    deadline = time.monotonic() + 60
    while True:
        found = containers()
        services = {c["service"] for c in found.values()}
        running = {name: c for name, c in found.items() if c["service"] not in ("demo", "keys")}
        demo = [c for c in found.values() if c["service"] in ("demo", "keys")]
        problems = [f"{name} {c['state']}/{c['health'] or 'no health'}" for name, c in running.items()
                    if c["state"] != "running" or c["health"] != "healthy"]
        problems += [f"{c['service']} {c['state']} exit {c['exit']}" for c in demo
                     if c["state"] != "exited" or c["exit"] != 0]
        missing = {"keys", "encoder", "gateway", "lb", "demo"} - services
        if not problems and not missing and len(gateways(found)) == 2:
            return tally.report(True, "services healthy",
                                f"{', '.join(sorted(running))} healthy; keys made the keys and demo fed the sample, "
                                f"both exited 0")
        if time.monotonic() > deadline:
            return tally.report(False, "services healthy", f"after 60 s: {'; '.join(problems) or 'ok'}"
                                f"{'; missing ' + ', '.join(sorted(missing)) if missing else ''}")
        time.sleep(1)


async def check_demo_plays(tally):
    listener = Listener("demo", keep_payloads=True).start()
    await asyncio.sleep(4.0)
    await listener.stop()
    session = listener.session
    if session is None or len(session["chunks"]) < 20:
        return tally.report(False, "demo stream plays",
                            f"{len(session['chunks']) if session else 0} chunks in 4 s ({listener.error or 'no error'})")
    chunks = session["chunks"]
    steady = chunks[8:]  # past the join burst (300 ms of audio at once)
    gaps_ms = [(b - a) * 1000 for (_, a), (_, b) in zip(steady, steady[1:])]
    median = statistics.median(gaps_ms)
    rate = (steady[-1][1] - steady[0][1]) * 1000 / (len(steady) - 1)
    path = os.path.join(SCRATCH, "demo.mp3")
    with open(path, "wb") as file:
        for payload in listener.payloads:
            file.write(base64.b64decode(payload))
    codec, sample_rate, channels, seconds, errors = decode_mp3(path)
    expected = len(listener.payloads) * CHUNK_MS / 1000
    ok = (60 <= median <= 85 and abs(rate - CHUNK_MS) <= 6 and not seq_gaps(chunks) and codec == "mp3"
          and sample_rate == 8000 and channels == 1 and abs(seconds - expected) <= 0.2 and not errors)
    return tally.report(ok, "demo stream plays",
                        f"{len(chunks)} chunks via {session['name']} ({session['gateway']}), median gap {median:.1f} ms, "
                        f"mean {rate:.1f} ms after the burst, seq gaps {seq_gaps(chunks) or 'none'}; "
                        f"payloads decode as {codec} {sample_rate} Hz {channels} ch, {seconds:.2f} s "
                        f"(expected {expected:.2f} s){'; ffmpeg: ' + errors[:200] if errors else ''}")


def check_player_page(tally):
    try:
        status, headers, body = http_get("/")
    except Exception as error:  # noqa: BLE001 - reported as the failure
        return tally.report(False, "player page", f"GET / failed: {error}")
    kind = headers.get("Content-Type", "")
    return tally.report(status == 200 and kind.startswith("text/html"), "player page",
                        f"GET / → {status} {kind}, {len(body)} bytes, via {headers.get('X-Wavecast-Gateway')}")


async def check_host_feed(tally):
    wav = os.path.join(SCRATCH, "host.wav")
    run(["espeak-ng", "-v", "en-us", "-w", wav, "This stream was fed from the host, over Zero M Q, by a Python client."])
    listener = Listener("host", keep_payloads=True, token=Credentials.token).start()
    for _ in range(50):  # a client may connect before its stream starts: feed once it is in
        if listener.session is not None or listener.task.done():
            break
        await asyncio.sleep(0.1)
    if listener.session is None:
        await listener.stop()
        return tally.report(False, "host feed heard through the lb", f"no WebSocket to /ws/host: {listener.error}")
    context = zmq.Context()
    socket = curve_socket(context, zmq.REQ)
    socket.setsockopt(zmq.RCVTIMEO, 15000)
    try:
        with open(wav, "rb") as file:
            socket.send_multipart([json.dumps({"op": "play", "stream": "host"}).encode(), file.read()])
        reply = json.loads(socket.recv())
    except zmq.ZMQError as error:
        await listener.stop()
        return tally.report(False, "host feed heard through the lb", f"no reply from 127.0.0.1:{INGEST_PORT}: {error}")
    finally:
        socket.close()
        context.term()
    if not reply.get("ok"):
        await listener.stop()
        return tally.report(False, "host feed heard through the lb", f"encoder refused the play: {reply}")
    try:
        await asyncio.wait_for(listener.task, timeout=reply["duration_ms"] / 1000 + 10)
    except asyncio.TimeoutError:
        await listener.stop()
    chunks = listener.session["chunks"] if listener.session else []
    ends = [e for e in listener.events if e.get("event") == "end"]
    path = os.path.join(SCRATCH, "host.mp3")
    with open(path, "wb") as file:
        for payload in listener.payloads:
            file.write(base64.b64decode(payload))
    codec, _, _, seconds, errors = decode_mp3(path) if listener.payloads else (None, 0, 0, 0, "")
    seqs = [seq for seq, _ in chunks]
    ok = (seqs == list(range(reply["chunks"])) and ends and ends[0].get("reason") == "finished"
          and codec == "mp3" and abs(seconds - reply["duration_ms"] / 1000) <= 0.15 and not errors)
    return tally.report(ok, "host feed heard through the lb",
                        f"encoder at 127.0.0.1:{INGEST_PORT} took {reply['input']['duration_ms']} ms of WAV → "
                        f"{reply['chunks']} chunks; the client got {len(seqs)} (seq {seqs[:1]}…{seqs[-1:]}), "
                        f"end {ends[0].get('reason') if ends else 'missing'}, decoded {seconds:.2f} s of {codec} "
                        f"(encoder said {reply['duration_ms'] / 1000:.2f} s){'; ffmpeg: ' + errors[:200] if errors else ''}")


async def check_refusals(tally):
    """Without a key a feeder is not heard at all; without a token a listener of a private stream
    gets 401 before the upgrade, and with a token for another stream 403."""
    context = zmq.Context()
    keyless = curve_socket(context, zmq.DEALER, with_key=False)
    try:
        keyless.send_multipart([json.dumps({"op": "stop", "stream": "demo"}).encode()], zmq.NOBLOCK)
    except zmq.Again:
        pass  # refused before it could even queue: as good
    answered = keyless.poll(2000)
    keyless.close()
    context.term()
    statuses = {}
    for name, headers in (("no token", {}), ("another stream's token", None)):
        if headers is None:
            narrow = run([*COMPOSE, "exec", "-T", "-e", "WAVECAST_TOKEN_SECRET_FILE=/keys/token-secret", "encoder",
                          "wavecast", "token", "--stream", "elsewhere", "--ttl", "5m"]).strip()
            headers = {"Authorization": f"Bearer {narrow}"}
        statuses[name] = handshake_status("/ws/private-1", headers)
    demo_still = Listener("demo").start()
    await asyncio.sleep(2.0)
    await demo_still.stop()
    heard = len(demo_still.session["chunks"]) if demo_still.session else 0
    tally.report(not answered and heard > 10, "a feeder without a key is not heard",
                 f"no reply in 2 s to its 'stop demo' ({'answered!' if answered else 'silence'}); "
                 f"demo still plays: {heard} chunks in 2 s")
    tally.report(statuses == {"no token": 401, "another stream's token": 403}, "a private stream needs its token",
                 f"/ws/private-1 through the lb: {statuses}")


def handshake_status(path, headers):
    """The status line's code of a WebSocket handshake for `path` through the lb (urllib cannot send
    one: it forces `Connection: close`)."""
    import socket as sockets
    lines = [f"GET {path} HTTP/1.1", f"Host: {LB}", "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
    lines += [f"{key}: {value}" for key, value in headers.items()]
    with sockets.create_connection(("127.0.0.1", LB_PORT), timeout=5) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status = connection.recv(200).split(b"\r\n", 1)[0].decode(errors="replace")
    return int(status.split()[1]) if len(status.split()) > 1 else status


def lb_certificate():
    """The lb's certificate (made on first start), as a CA file a client can trust."""
    pem = run([*COMPOSE, "exec", "-T", "lb", "cat", "/etc/haproxy/certs/wavecast.pem"])
    certificate = pem[pem.index("-----BEGIN CERTIFICATE-----"):pem.index("-----END CERTIFICATE-----") + 25]
    path = os.path.join(SCRATCH, "lb-cert.pem")
    with open(path, "w") as file:
        file.write(certificate + "\n")
    return path


TLS_STREAM = "tls-private"  # not in WAVECAST_PUBLIC_STREAMS: every listener of it needs a token


def mint_token(stream, ttl="10m"):
    """A listener token for `stream` alone, minted with `wavecast token` as the README shows."""
    return run([*COMPOSE, "exec", "-T", "-e", "WAVECAST_TOKEN_SECRET_FILE=/keys/token-secret", "encoder",
                "wavecast", "token", "--stream", stream, "--ttl", ttl]).strip()


def feed_looping(stream, wav):
    """Plays `wav` on `stream` in a loop from the host, with the host feeder's key; returns the encoder's reply."""
    context = zmq.Context()
    socket = curve_socket(context, zmq.REQ)
    socket.setsockopt(zmq.RCVTIMEO, 15000)
    try:
        with open(wav, "rb") as file:
            socket.send_multipart([json.dumps({"op": "play", "stream": stream, "loop": True}).encode(), file.read()])
        return json.loads(socket.recv())
    finally:
        socket.close()
        context.term()


def stop_stream(stream):
    context = zmq.Context()
    socket = curve_socket(context, zmq.REQ)
    socket.setsockopt(zmq.RCVTIMEO, 15000)
    try:
        socket.send_multipart([json.dumps({"op": "stop", "stream": stream}).encode()])
        return json.loads(socket.recv())
    finally:
        socket.close()
        context.term()


async def wss_handshake_status(tls, stream, subprotocols):
    """The HTTP status a wss:// handshake for /ws/STREAM gets through the lb's TLS port (101 when upgraded)."""
    try:
        async with connect(f"wss://localhost:{TLS_PORT}/ws/{stream}", open_timeout=5, close_timeout=1,
                           subprotocols=subprotocols, ssl=tls):
            return 101
    except websockets.exceptions.InvalidStatus as refused:
        return refused.response.status_code


async def check_tls(tally):
    """wss:// through the lb's TLS port, verified against the certificate the lb made, to a private
    stream fed from the host: Python websockets with a token for that stream alone as its subprotocol,
    and headless Chromium on the player page with the token in its `#token=` fragment; over wss too,
    no token gets 401 and another stream's 403, before the upgrade."""
    context = ssl.create_default_context(cafile=lb_certificate())
    wav = os.path.join(SCRATCH, "tls.wav")
    run(["espeak-ng", "-v", "en-us", "-w", wav, "This private stream is heard over T L S, with a token for it alone."])
    reply = feed_looping(TLS_STREAM, wav)
    if not reply.get("ok"):
        tally.report(False, "wss:// to a private stream with its token (Python websockets)",
                     f"the encoder refused the play of {TLS_STREAM}: {reply}")
        return
    token = mint_token(TLS_STREAM)
    try:
        statuses = {
            "no token": await wss_handshake_status(context, TLS_STREAM, ["wavecast"]),
            "another stream's token": await wss_handshake_status(
                context, TLS_STREAM, ["wavecast", f"token.{mint_token('elsewhere')}"]),
        }
        tally.report(statuses == {"no token": 401, "another stream's token": 403},
                     "wss:// refuses a private stream without its token",
                     f"/ws/{TLS_STREAM} over TLS: {statuses}")
        listener = Listener(TLS_STREAM, tls=context, token=token).start()
        await asyncio.sleep(3.0)
        await listener.stop()
        chunks = listener.session["chunks"] if listener.session else []
        tally.report(len(chunks) >= 20 and not seq_gaps(chunks),
                     "wss:// to a private stream with its token (Python websockets)",
                     f"{len(chunks)} chunks of {TLS_STREAM} in 3 s over TLS, verified against the lb's certificate "
                     f"for localhost, token (for {TLS_STREAM} only) as a subprotocol, seq gaps "
                     f"{seq_gaps(chunks) or 'none'}, via {listener.session['name'] if listener.session else listener.error}")
        tally.report(*await asyncio.to_thread(chromium_over_tls, TLS_STREAM, token))
    finally:
        stop_stream(TLS_STREAM)


def chromium_over_tls(stream, token):
    """Headless Chromium plays https://localhost:TLS/?stream=STREAM&autoplay=1#token=TOKEN, a private
    stream; first the same page without the token must not play. Returns (ok, name, reason)."""
    name = "https:// player page plays a private stream with #token= (headless Chromium)"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--mute-audio",
                     "--autoplay-policy=no-user-gesture-required", "--ignore-certificate-errors"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options,
                              service=Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver"))
    script = ("const a = document.getElementById('audio'); const s = window.wavecast || {};"
              "return [a ? a.currentTime : 0, s.connection || '', location.protocol, s.chunks || 0, s.closes || []];")
    page = f"https://localhost:{TLS_PORT}/?stream={stream}&autoplay=1"
    try:
        driver.set_page_load_timeout(20)
        # Without the token: the gateway refuses the handshake (a browser sees only a failed WebSocket, 1006).
        driver.get(page)
        time.sleep(4)
        current, connection, _, chunks, closes = driver.execute_script(script)
        if chunks or current > 0:
            return False, name, f"without #token= the page got {chunks} chunks and played {current:.1f} s"
        refused = f"without #token=: no chunk, closes {closes}, connection {connection}"
        # A fragment-only change does not reload a page: load a blank one in between.
        driver.get("about:blank")
        driver.get(f"{page}#token={token}")
        deadline = time.monotonic() + 20
        first = None
        while time.monotonic() < deadline:
            current, connection, protocol, chunks, _ = driver.execute_script(script)
            if current > 0.2 and first is None:
                first = (time.monotonic(), current)
            if first and time.monotonic() - first[0] >= 3:
                advanced = current - first[1]
                return (advanced >= 2.5 and protocol == "https:", name,
                        f"{refused}; with it: {protocol} page, connection {connection}, {chunks} chunks, "
                        f"<audio> advanced {advanced:.1f} s in 3 s")
            time.sleep(0.25)
        return False, name, f"{refused}; with it playback did not start in 20 s: {driver.execute_script(script)}"
    finally:
        driver.quit()


async def check_stream_affinity(tally):
    """The lb hashes the stream in the path: a stream's listeners are routed to its one home gateway
    (which then takes only its own streams from the bus), and different streams spread over the
    gateways: at least 12 of 16 streams keep one gateway for three listeners in a row (15 and 16
    seen). Each listener connects after the previous one closed: HAProxy's bounded loads may
    send a second listener elsewhere while the home gateway holds more than its share, and at a
    handful of connections its slot arithmetic makes that share tiny (measured on 127.0.0.1 with
    150 streams x 2 listeners all open: 7 % of the streams split)."""
    homes = {}
    split = []
    for index in range(16):
        stream = f"affine-{index}"
        seen = []
        for path in (stream, stream + "?compat=seed", stream):
            listener = Listener(path, token=Credentials.token).start()
            for _ in range(50):
                await asyncio.sleep(0.1)
                if listener.session:
                    break
            seen.append((listener.session or {}).get("name"))
            await listener.stop()
        if len(set(seen)) != 1 or None in seen:
            split.append(f"{stream}: {seen}")
        else:
            homes[stream] = seen[0]
    counts = {}
    for name in homes.values():
        counts[name] = counts.get(name, 0) + 1
    # Bounded loads at a handful of connections (a connection the previous listener has not quite
    # closed counts too) may still move one: most streams must keep a single gateway.
    tally.report(len(homes) >= 12 and len(counts) == 2, "a stream's listeners go to its home gateway",
                 f"16 streams, 3 listeners each one after another (one with ?compat=seed): {len(homes)} always on "
                 f"one gateway, others: {split[:2] if split else 'none'}; streams per gateway: {dict(sorted(counts.items()))}")


async def check_scale_and_kill(tally):
    before = containers()
    started = time.monotonic()
    try:
        run([*COMPOSE, "up", "-d", "--scale", "gateway=4", "--no-recreate"], timeout=120)
    except Exception as error:  # noqa: BLE001
        tally.report(False, "scale to four gateways", str(error))
        return
    up_seconds = time.monotonic() - started
    found = gateways()
    by_ip = {c["ip"]: name for name, c in found.items()}
    # Within 15 s of `up --scale` returning, 200 new clients must land on all four gateways.
    deadline = time.monotonic() + 15
    attempt = 0
    while True:
        attempt += 1
        listeners = [Listener("demo", reconnect=False) for _ in range(200)]
        for listener in listeners:
            listener.start()
        await asyncio.sleep(2.0)
        counts = {}
        for listener in listeners:
            if listener.session:
                key = by_ip.get(listener.session["gateway"].rsplit(":", 1)[0], listener.session["gateway"])
                counts[key] = counts.get(key, 0) + 1
        connected = sum(counts.values())
        if (len(found) == 4 and connected == 200 and set(counts) == set(found)) or time.monotonic() > deadline:
            break
        for listener in listeners:
            await listener.stop()
        await asyncio.sleep(0.5)
        found = gateways()
        by_ip = {c["ip"]: name for name, c in found.items()}
    elapsed = time.monotonic() - started - up_seconds
    spread = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    tally.report(len(found) == 4 and connected == 200 and set(counts) == set(found) and min(counts.values()) >= 20,
                 "scale to four gateways",
                 f"`up --scale gateway=4` took {up_seconds:.1f} s; {connected}/200 new clients after "
                 f"{elapsed:.1f} s (try {attempt}): {spread}")
    after = containers()
    changed = [f"{name} restarted {c['restarts']}x" for name, c in after.items() if c["restarts"]]
    changed += [f"{name} recreated" for name, c in before.items()
                if name not in after or after[name]["id"] != c["id"]]
    tally.report(not changed, "nobody restarted while scaling",
                 f"{'; '.join(changed) if changed else f'{len(before)} containers kept their ids, 0 restarts'}")

    # Kill one gateway while the 200 listen; the others' clients must lose nothing.
    for listener in listeners:
        listener.reconnect = True
    await asyncio.sleep(2.0)
    victim = sorted(counts, key=lambda name: (-counts[name], name))[0]
    victim_ip = found[victim]["ip"]
    killed_at = time.monotonic()
    # `docker compose kill` has no replica index (it would kill every gateway), so the replica's
    # container is killed by name through the same engine, exactly as `docker kill` would.
    run(["docker", "kill", victim], timeout=30)
    await asyncio.sleep(8.0)
    for listener in listeners:
        await listener.stop()
    on_victim = [l for l in listeners if l.sessions and (l.sessions[0]["gateway"] or "").startswith(f"{victim_ip}:")]
    survivors = [l for l in listeners if l.sessions and l not in on_victim]
    orphans = on_victim
    reconnected = [l for l in survivors if len(l.sessions) != 1]
    faults = [(l.sessions[0]["gateway"], *seq_faults(l.sessions[0]["chunks"])) for l in survivors]
    lost = [(gateway, missing) for gateway, missing, _ in faults if missing]
    disordered = [(gateway, disorder) for gateway, _, disorder in faults if disorder]
    stale = [l for l in survivors if not l.sessions[0]["chunks"] or l.sessions[0]["chunks"][-1][1] < time.monotonic() - 1.5
             ] if survivors else []
    after_kill = [len([c for c in l.sessions[0]["chunks"] if c[1] > killed_at]) for l in survivors]
    tally.report(survivors and not lost and not disordered and not reconnected and not stale,
                 "other gateways' clients lose nothing",
                 f"killed {victim} ({victim_ip}) with {len(orphans)} clients; {len(survivors)} clients of the other "
                 f"gateways: {len(lost)} missed sequence numbers {lost[:2] if lost else ''}, "
                 f"{len(disordered)} got chunks out of order {disordered[:2] if disordered else ''}, "
                 f"{len(reconnected)} were disconnected, {len(stale)} stalled; "
                 f"{min(after_kill, default=0)}–{max(after_kill, default=0)} chunks each in the 8 s after the kill")
    served = [l for l in orphans if len(l.sessions) >= 2 and len(l.sessions[-1]["chunks"]) >= 10
              and not seq_gaps(l.sessions[-1]["chunks"])]
    after = containers()
    names = {c["ip"]: name for name, c in after.items() if c["ip"]}
    moved = {}
    for listener in served:
        address = (listener.sessions[-1]["gateway"] or "?").rsplit(":", 1)[0]
        name = names.get(address, address)
        moved[name] = moved.get(name, 0) + 1
    victim_now = after.get(victim, {})
    first_back = min((l.sessions[1]["chunks"][0][1] - killed_at for l in served if l.sessions[1]["chunks"]), default=0)
    tally.report(orphans and len(served) == len(orphans), "killed gateway's clients served again",
                 f"{len(served)}/{len(orphans)} reconnected through the lb and got ≥10 chunks in order "
                 f"(first audio {first_back:.1f} s after the kill; now on {dict(sorted(moved.items()))}); their "
                 f"first connection ended with {sorted({str(l.sessions[0]['closed'])[:60] for l in orphans})[:3]}; "
                 f"{victim} is now {victim_now.get('state', 'gone')} (restarts {victim_now.get('restarts', 0)})")


async def main():
    """Runs every check in order; returns the tally."""
    tally = Tally()
    try:
        check_healthy(tally)
        Credentials.fetch()
        await check_demo_plays(tally)
        check_player_page(tally)
        await check_host_feed(tally)
        await check_refusals(tally)
        await check_tls(tally)
        await check_stream_affinity(tally)
        await check_scale_and_kill(tally)
    except Exception as error:  # noqa: BLE001 - a crash is a failed check, not a silent pass
        tally.report(False, "compose checks", f"stopped by {type(error).__name__}: {error}")
    with open(RESULTS, "w") as file:
        file.write(f"{tally.passed} {tally.failed}\n")
    return tally


if __name__ == "__main__":
    sys.exit(1 if asyncio.run(main()).failed else 0)
