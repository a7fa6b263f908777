"""Wavecast on several hosts: network namespaces as hosts, the same binaries, faults made with nftables.

Usage: multihost_test.py BIN_DIR [--streams N] [--report FILE]

Builds a private network (10.77.0.0/24, a bridge in a namespace of its own; nothing in the machine's
own namespace changes) with a DNS host (dnsmasq: `encoders.wavecast.test` names every encoder),
3 encoder hosts, 3 gateway hosts following the encoders by that name, a load-balancer host (HAProxy,
stream-affine: the path hashed onto a consistent ring with bounded loads, health-checked on /readyz),
two listener hosts (Python `websockets`, two listeners per stream) and a feeder host (pyzmq, placing
streams by rendezvous hashing over the live encoders: Tests/MultiHost/feeder.py). Then:

1. kills an encoder host (every process in it): its streams are re-fed to their next choice, and every
   affected listener must hear audio again within 3 s, still connected; the other streams lose nothing;
2. cuts a gateway host off the network (nftables drops everything in and out): its listeners must be
   reconnected by the load balancer to another gateway and resume; nothing else is disturbed;
3. adds a fourth encoder host to the DNS name: the gateways must find it within seconds, and new
   streams land on it and are heard.

Prints the figures (gap per listener, reconnect times, chunks lost) and exits non-zero when a check
fails. Needs root, ip, nft, dnsmasq, haproxy and python3 with pyzmq and websockets.
"""
import argparse
import json
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rendezvous  # noqa: E402

PREFIX = f"wcm{os.getpid() % 10000}"
SUBNET = "10.77.0"
DNS_NAME = "encoders.wavecast.test"
HOSTS = {
    "dns": 2,
    "enc1": 11, "enc2": 12, "enc3": 13, "enc4": 14,
    "gw1": 21, "gw2": 22, "gw3": 23,
    "lb": 30,
    "lis1": 41, "lis2": 42, "lis3": 43,
    "feeder": 50,
}
FAILURES = []


def address(host):
    return f"{SUBNET}.{HOSTS[host]}"


def namespace(host):
    return f"{PREFIX}-{host}"


def run(*command, check=True):
    return subprocess.run(command, check=check, capture_output=True, text=True)


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        FAILURES.append(what)


class Network:
    """The namespaces, the bridge joining them, their /etc/netns files and every process started in them."""

    def __init__(self, work):
        self.work = work
        self.processes = []  # (host, Popen)
        self.switch = f"{PREFIX}-sw"

    def build(self):
        run("ip", "netns", "add", self.switch)
        run("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", self.switch, "link", "set", "br0", "up")
        for host in HOSTS:
            ns = namespace(host)
            run("ip", "netns", "add", ns)
            # /etc/netns/NS/* is bound over /etc/* for processes started with `ip netns exec NS`.
            etc = f"/etc/netns/{ns}"
            os.makedirs(etc, exist_ok=True)
            with open(f"{etc}/resolv.conf", "w") as f:
                f.write(f"nameserver {address('dns')}\noptions timeout:1 attempts:2\n")
            with open(f"{etc}/hosts", "w") as f:
                f.write("127.0.0.1 localhost\n")
            port = f"p-{host}"
            run("ip", "-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
            run("ip", "-n", self.switch, "link", "set", port, "master", "br0", "up")
            run("ip", "-n", ns, "addr", "add", f"{address(host)}/24", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
            run("ip", "-n", ns, "link", "set", "lo", "up")

    def start(self, host, command, log_name, stdin=None, stdout=None, stderr=None):
        log = open(os.path.join(self.work, log_name), "w")
        process = subprocess.Popen(
            ["ip", "netns", "exec", namespace(host)] + command,
            stdin=stdin, stdout=stdout if stdout is not None else log, stderr=stderr if stderr is not None else log,
            text=True,
        )
        self.processes.append((host, process))
        return process

    def kill_host(self, host):
        """Every process in the host's namespace, at once, as a host dies."""
        pids = run("ip", "netns", "pids", namespace(host), check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        return len(pids)

    def cut(self, host):
        """Drops everything into and out of the host: unplugged, as far as the others can tell."""
        rules = (
            "table inet cut {\n"
            "  chain input { type filter hook input priority 0; policy drop; iif lo accept; }\n"
            "  chain output { type filter hook output priority 0; policy drop; oif lo accept; }\n"
            "}\n"
        )
        subprocess.run(["ip", "netns", "exec", namespace(host), "nft", "-f", "-"], input=rules, text=True, check=True)

    def fetch(self, host, url):
        """GET url from inside `host`."""
        result = run("ip", "netns", "exec", namespace(host), "curl", "-s", "-m", "2", url, check=False)
        return result.stdout

    def tear_down(self):
        for _, process in self.processes:
            if process.poll() is None:
                process.kill()
        for host in HOSTS:
            self.kill_host(host)
        for _, process in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for host in list(HOSTS) + ["sw"]:
            run("ip", "netns", "delete", f"{PREFIX}-{host}", check=False)
            shutil.rmtree(f"/etc/netns/{PREFIX}-{host}", ignore_errors=True)


def tone_wav(path, seconds=2.0, rate=8000):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(int(seconds * rate))
        ))


def haproxy_config(path):
    servers = "\n".join(f"    server {gw} {address(gw)}:8080" for gw in ("gw1", "gw2", "gw3"))
    with open(path, "w") as f:
        f.write(f"""global
    maxconn 2000
defaults
    mode http
    option redispatch 1
    retries 3
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout check 500ms
    timeout tunnel 1h
frontend clients
    bind {address('lb')}:8080
    default_backend gateways
# As docker/haproxy.cfg: the stream's path on a consistent ring with bounded loads, gateways checked on
# /readyz; a gateway marked down has its tunnels shut, so its listeners reconnect (and resume) at once.
backend gateways
    balance uri path-only
    hash-type consistent
    hash-balance-factor 150
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
    http-response set-header X-Wavecast-Gateway %s
    default-server check inter 300ms fall 2 rise 2 on-marked-down shutdown-sessions
{servers}
""")


class LineReader:
    """Reads a child's stdout lines on a thread of its own, so the harness never blocks on them."""

    def __init__(self, stream, stamped=False):
        self._lines = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            with self._lock:
                self._lines.append((time.monotonic(), line.rstrip("\n")))

    def lines(self):
        with self._lock:
            return [line for _, line in self._lines]

    def stamped_lines(self):
        """Each line with when it was read (time.monotonic())."""
        with self._lock:
            return list(self._lines)


class Feeder:
    """feeder.py on the feeder host, its events read as they come."""

    def __init__(self, network, wav, streams):
        self.process = network.start(
            "feeder",
            ["python3", "-u", os.path.join(HERE, "feeder.py"), DNS_NAME, "5555", wav] + streams,
            "feeder.log", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
        self.lines = LineReader(self.process.stdout)

    def poll(self):
        return [json.loads(line) for line in self.lines.lines() if line.strip()]

    def placements(self):
        placed = {}
        for event in self.poll():
            if event["event"] == "placed":
                placed[event["stream"]] = (event["encoder"], event["t"])
        return placed

    def wait_placed(self, streams, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            placed = self.placements()
            if all(stream in placed for stream in streams):
                return placed
            time.sleep(0.05)
        raise RuntimeError(f"the feeder placed {len(self.placements())} of {len(streams)} streams in {timeout} s")

    def add(self, streams):
        self.process.stdin.write("add " + " ".join(streams) + "\n")
        self.process.stdin.flush()


class CliFeeders:
    """`wavecast feed --loop --follow` on the feeder host, one process per stream: the CLI's own rendezvous
    choice and its failover to the next choice when its encoder stops answering."""

    TOOK = re.compile(r"(\S+): encoder (\S+) took the stream")

    def __init__(self, network, binary, wav, streams):
        self.readers = {}
        for stream in streams:
            process = network.start(
                "feeder",
                [binary, "feed", wav, "--stream", stream, "--encoder", f"tcp://{DNS_NAME}:5555", "--loop",
                 "--follow", "--failover-timeout", "1"],
                f"feed-{stream}.log", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            self.readers[stream] = LineReader(process.stderr, stamped=True)

    def placements(self):
        placed = {}
        for stream, reader in self.readers.items():
            for at, line in reader.stamped_lines():
                match = self.TOOK.search(line)
                if match and match.group(1) == stream:
                    placed[stream] = (match.group(2), at)
        return placed


class Listeners:
    """listeners.py on a listener host."""

    def __init__(self, network, host, streams, work):
        self.out = os.path.join(work, f"{host}.json")
        self.process = network.start(
            host,
            ["python3", "-u", os.path.join(HERE, "listeners.py"), f"ws://{address('lb')}:8080", self.out] + streams,
            f"{host}.log", stdout=subprocess.PIPE,
        )

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        reader = LineReader(self.process.stdout)
        while time.monotonic() < deadline:
            if "ready" in reader.lines():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"listeners on {self.out} not ready within {timeout} s")

    def collect(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=15)
        with open(self.out) as f:
            return json.load(f)


def wait_until(what, timeout, probe):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not within {timeout} s")


def bus_peers(network, gateway):
    body = network.fetch("lb", f"http://{address(gateway)}:8080/metrics")
    for line in body.splitlines():
        if line.startswith("wavecast_gateway_bus_peers "):
            return int(float(line.split()[1]))
    return None


def serving_gateway(record, at):
    """The gateway that served the listener's connection open at `at`."""
    for connection in record["connections"]:
        if connection["opened"] <= at and (connection["closed"] is None or connection["closed"] > at):
            return connection["gateway"]
    return None


def chunks_between(record, start, end):
    return [chunk for chunk in record["chunks"] if start <= chunk[0] < end]


def max_gap(chunks):
    times = [chunk[0] for chunk in chunks]
    return max((b - a for a, b in zip(times, times[1:])), default=0.0)


def lost_chunks(chunks):
    """Sequence numbers missing within each epoch (chunks received twice are not counted)."""
    missing = 0
    by_epoch = {}
    for _, epoch, seq in chunks:
        by_epoch.setdefault(epoch, set()).add(seq)
    for seqs in by_epoch.values():
        missing += (max(seqs) - min(seqs) + 1) - len(seqs)
    return missing


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin")
    parser.add_argument("--streams", type=int, default=60)
    parser.add_argument("--report")
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix="wavecast-multihost-")
    network = Network(work)
    report = {"streams": options.streams}
    try:
        started = time.monotonic()
        network.build()
        dns_hosts = os.path.join(work, "dns-hosts")

        def name_encoders(*hosts):
            with open(dns_hosts, "w") as f:
                f.write("".join(f"{address(h)} {DNS_NAME}\n" for h in hosts))

        name_encoders("enc1", "enc2", "enc3")
        network.start("dns", [
            "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", f"--addn-hosts={dns_hosts}",
            f"--listen-address={address('dns')}", "--bind-interfaces", "--user=root", "--local-ttl=0",
            "--log-facility=-", f"--pid-file={work}/dnsmasq.pid",
        ], "dnsmasq.log")
        encoder = [os.path.join(options.bin, "wavecast-encoder"), "--ingest", "tcp://0.0.0.0:5555",
                   "--publish", "tcp://0.0.0.0:5556", "--http", "off", "--heartbeat-ms", "200",
                   "--encoding-threads", "1"]
        for host in ("enc1", "enc2", "enc3"):
            network.start(host, encoder, f"{host}.log")
        for host in ("gw1", "gw2", "gw3"):
            network.start(host, [os.path.join(options.bin, "wavecast-gateway"), "--bus", f"tcp://{DNS_NAME}:5556",
                                 "--bus-resolve-ms", "1000", "--listen", "0.0.0.0:8080", "--threads", "1",
                                 "--drain-ms", "0"], f"{host}.log")
        haproxy_config(os.path.join(work, "haproxy.cfg"))
        network.start("lb", ["haproxy", "-db", "-f", os.path.join(work, "haproxy.cfg")], "haproxy.log")
        for gateway in ("gw1", "gw2", "gw3"):
            wait_until(f"{gateway} follows 3 encoders", 20, lambda g=gateway: bus_peers(network, g) == 3)
        report["setup_s"] = round(time.monotonic() - started, 1)

        wav = os.path.join(work, "tone.wav")
        tone_wav(wav)
        # Most streams are placed by the pyzmq feeder (docs/DEPLOYMENT.md's algorithm in Python), the last ten by
        # `wavecast feed` itself, each its own process.
        streams = [f"s{i:02d}" for i in range(options.streams)]
        cli_streams = streams[-10:]
        feeder = Feeder(network, wav, streams[:-10])
        cli = CliFeeders(network, os.path.join(options.bin, "wavecast"), wav, cli_streams)

        def placements():
            return {**feeder.placements(), **cli.placements()}

        placed = wait_until("every stream placed", 30, lambda: (lambda p: p if len(p) == len(streams) else None)(
            placements()))
        per_encoder = {}
        for stream, (enc, _) in placed.items():
            per_encoder.setdefault(enc, []).append(stream)
        report["placement"] = {enc: len(s) for enc, s in sorted(per_encoder.items())}
        print(f"placed {len(placed)} streams: {report['placement']}", flush=True)
        expected = {s: rendezvous.rank(s, [f"tcp://{address(h)}:5555" for h in ("enc1", "enc2", "enc3")])[0]
                    for s in streams}
        check(all(placed[s][0] == expected[s] for s in streams), "every stream is on its rendezvous first choice")

        listeners = [Listeners(network, "lis1", streams, work), Listeners(network, "lis2", streams, work)]
        for group in listeners:
            group.wait_ready(30)
        time.sleep(2)

        # 1. An encoder host dies.
        victim_endpoint = max(per_encoder, key=lambda e: len(per_encoder[e]))
        victim = next(h for h in ("enc1", "enc2", "enc3") if f"tcp://{address(h)}:5555" == victim_endpoint)
        affected = set(per_encoder[victim_endpoint])
        killed_at = time.monotonic()
        network.kill_host(victim)
        print(f"killed {victim} ({len(affected)} streams)", flush=True)
        wait_until("the lost streams re-placed", 10, lambda: all(
            placements()[s][1] > killed_at for s in affected))
        replaced = placements()
        survivors = [f"tcp://{address(h)}:5555" for h in ("enc1", "enc2", "enc3") if h != victim]
        check(all(replaced[s][0] == rendezvous.rank(s, survivors)[0] for s in affected),
              "each lost stream went to its next choice")
        report["encoder_loss"] = {"host": victim, "streams": len(affected),
                                  "refed_after_ms": round(1000 * (max(replaced[s][1] for s in affected) - killed_at))}
        time.sleep(5)

        # 2. A gateway host is cut off.
        cut_at = time.monotonic()
        network.cut("gw2")
        print("cut gw2 off the network", flush=True)
        time.sleep(6)

        # 3. A fourth encoder host.
        network.start("enc4", encoder, "enc4.log")
        added_at = time.monotonic()
        name_encoders("enc1", "enc2", "enc3", "enc4")
        os.kill(int(open(f"{work}/dnsmasq.pid").read()), signal.SIGHUP)
        found = {}
        for gateway in ("gw1", "gw3"):
            wait_until(f"{gateway} finds enc4", 15, lambda g=gateway: bus_peers(network, g) == 4)
            found[gateway] = round(1000 * (time.monotonic() - added_at))
        report["encoder_added"] = {"found_by_gateways_ms": found}
        new_streams = [f"n{i:02d}" for i in range(20)]
        time.sleep(1.5)  # the feeder resolves the name every second
        feeder.add(new_streams)
        new_placed = feeder.wait_placed(new_streams, 20)
        on_new = [s for s in new_streams if new_placed[s][0] == f"tcp://{address('enc4')}:5555"]
        live = [f"tcp://{address(h)}:5555" for h in ("enc1", "enc2", "enc3", "enc4") if h != victim]
        check(all(new_placed[s][0] == rendezvous.rank(s, live)[0] for s in new_streams),
              "new streams go to their first choice among the live encoders, enc4 included")
        check(len(on_new) > 0, f"new streams land on enc4 ({len(on_new)} of {len(new_streams)})")
        new_listeners = Listeners(network, "lis3", new_streams, work)
        new_listeners.wait_ready(20)
        report["encoder_added"]["new_streams_on_it"] = len(on_new)

        records = {}
        for index, group in enumerate(listeners):
            for stream, record in group.collect().items():
                records[(stream, index)] = record
        heard = new_listeners.collect()
        check(all(len(heard[s]["chunks"]) >= 3 for s in new_streams),
              f"every new stream is heard, the {len(on_new)} on enc4 included")
        ended_at = time.monotonic()

        # Figures of phase 1: the encoder's loss.
        gaps, unaffected_lost, unaffected_gap, reconnected = [], 0, 0.0, 0
        for (stream, _), record in records.items():
            window = chunks_between(record, killed_at - 1, cut_at)
            if stream in affected:
                after = [c for c in record["chunks"] if c[0] > killed_at]
                before = [c for c in record["chunks"] if c[0] <= killed_at]
                old_epoch = before[-1][1] if before else None
                first_new = next((c for c in after if c[1] != old_epoch), None)
                gaps.append((first_new[0] - killed_at) if first_new else float("inf"))
                if any(killed_at < c["opened"] < cut_at for c in record["connections"]):
                    reconnected += 1
            else:
                unaffected_lost += lost_chunks(window)
                unaffected_gap = max(unaffected_gap, max_gap(window))
        report["encoder_loss"].update({
            "listeners": len(gaps), "gap_ms_p50": round(1000 * percentile(gaps, 50)),
            "gap_ms_max": round(1000 * max(gaps)) if gaps else None, "reconnected": reconnected,
            "others_chunks_lost": unaffected_lost, "others_max_gap_ms": round(1000 * unaffected_gap),
        })
        check(gaps and max(gaps) < 3.0, f"every affected listener hears audio again within 3 s "
              f"(p50 {report['encoder_loss']['gap_ms_p50']} ms, max {report['encoder_loss']['gap_ms_max']} ms)")
        check(reconnected == 0, f"affected listeners stayed connected ({reconnected} reconnected)")
        check(unaffected_lost == 0, f"the other streams lost nothing ({unaffected_lost} chunks lost)")

        # Figures of phase 2: the gateway cut off.
        moved, reconnect_times, lost_on_move, others_lost, others_reconnected, others_gap = 0, [], 0, 0, 0, 0.0
        resume_answers, missing_reported = {}, 0
        for (stream, _), record in records.items():
            window = chunks_between(record, cut_at - 1, added_at)
            if serving_gateway(record, cut_at - 0.01) == "gw2":
                moved += 1
                later = [c for c in record["connections"] if c["opened"] > cut_at]
                for connection in later[:1]:
                    answer = connection["resumed"] or {}
                    key = "recovered" if answer.get("recovered") else str(answer.get("reason", "no answer"))
                    resume_answers[key] = resume_answers.get(key, 0) + 1
                    missing_reported += answer.get("missing", 0) or 0
                first_after = next((c for c in record["chunks"] if c[0] > cut_at and later
                                    and c[0] > later[0]["opened"]), None)
                reconnect_times.append((first_after[0] - cut_at) if first_after else float("inf"))
                lost_on_move += lost_chunks(window)
            else:
                others_lost += lost_chunks(window)
                others_gap = max(others_gap, max_gap(window))
                if any(cut_at < c["opened"] < added_at for c in record["connections"]):
                    others_reconnected += 1
        report["gateway_cut"] = {
            "listeners_moved": moved, "reconnect_ms_p50": round(1000 * percentile(reconnect_times, 50)),
            "reconnect_ms_max": round(1000 * max(reconnect_times)) if reconnect_times else None,
            "chunks_lost_by_moved": lost_on_move, "resume_answers": resume_answers,
            "missing_reported_by_gateways": missing_reported, "others_chunks_lost": others_lost,
            "others_reconnected": others_reconnected, "others_max_gap_ms": round(1000 * others_gap),
        }
        check(moved > 0, f"gw2 had listeners when it was cut ({moved})")
        check(reconnect_times and max(reconnect_times) < 5.0,
              f"every listener of gw2 hears audio through another gateway within 5 s "
              f"(p50 {report['gateway_cut']['reconnect_ms_p50']} ms, max {report['gateway_cut']['reconnect_ms_max']} ms)")
        check(sum(resume_answers.values()) == moved and "no answer" not in resume_answers,
              f"every moved listener's ?resume= was answered ({resume_answers}; {lost_on_move} chunks lost, "
              f"{missing_reported} said missing)")
        check(others_reconnected == 0 and others_lost == 0,
              f"nothing else is disturbed ({others_reconnected} others reconnected, {others_lost} chunks lost)")
        report["duration_s"] = round(ended_at - started, 1)
        print(json.dumps(report, indent=2), flush=True)
        if options.report:
            with open(options.report, "w") as f:
                json.dump(report, f, indent=2)
    except Exception as error:
        FAILURES.append(f"{type(error).__name__}: {error}")
        print(f"FAIL {type(error).__name__}: {error}", flush=True)
    finally:
        network.tear_down()
        if FAILURES:
            for name in sorted(os.listdir(work)):
                if name.endswith(".log"):
                    with open(os.path.join(work, name)) as f:
                        tail = f.read()[-1500:]
                    print(f"--- {name} (tail)\n{tail}", flush=True)
        shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        # Said again after the logs' tails: a CI summary that keeps only the end of the output still names them.
        print(f"multihost: {len(FAILURES)} check(s) failed:", flush=True)
        for failure in FAILURES:
            print(f"  FAIL {failure}", flush=True)
        sys.exit(1)
    print("multihost: every check passed", flush=True)


main()
