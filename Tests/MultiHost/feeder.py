"""The multi-host test's feeder: places streams on encoders by rendezvous hashing, and re-places them when
their encoder is lost. Written with pyzmq, as a user's own feeder would be.

Usage: feeder.py ENCODERS_NAME INGEST_PORT WAV_FILE STREAM...

Resolves ENCODERS_NAME (DNS) every second to the encoders' addresses, asks each for `status` every
250 ms, and counts an encoder live while it answered within the last second. Each stream is played
(`"loop": true`) on its first choice among the live encoders by rendezvous hashing; placements stick
while their encoder lives, and a stream whose encoder is lost is played on its next choice at once.
Reads commands from stdin: `add STREAM...` (more streams to place). Writes one JSON line per event
to stdout: `placed` (stream, encoder, time.monotonic()), `lost` (encoder, time), `found` (encoder).
"""
import json
import os
import select
import socket
import sys
import time

import zmq

import rendezvous

PROBE_INTERVAL = 0.25
LIVE_FOR = 1.0


def say(event, **fields):
    print(json.dumps({"event": event, "t": time.monotonic(), **fields}), flush=True)


def resolve(name, port):
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return None
    return sorted({f"tcp://{info[4][0]}:{port}" for info in infos})


def request(context, encoder, frames, timeout):
    """One request on a socket of its own: a REQ whose peer died must not hold up the next."""
    s = context.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(encoder)
    try:
        s.send_multipart(frames)
        if s.poll(int(timeout * 1000)):
            return json.loads(s.recv())
        return None
    finally:
        s.close()


def main():
    name, port, wav_path, streams = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    wav = open(wav_path, "rb").read()
    context = zmq.Context()
    wanted = list(streams)
    placed = {}  # stream -> encoder
    encoders = []
    last_answer = {}
    probes = {}  # encoder -> REQ socket awaiting a status reply
    last_resolve = last_probe = 0.0
    while True:
        now = time.monotonic()
        if now - last_resolve >= 1.0:
            last_resolve = now
            found = resolve(name, port)
            if found is not None:
                for encoder in found:
                    if encoder not in encoders:
                        say("found", encoder=encoder)
                encoders = found
        if now - last_probe >= PROBE_INTERVAL:
            last_probe = now
            for encoder in encoders:
                if encoder not in probes:
                    s = context.socket(zmq.REQ)
                    s.setsockopt(zmq.LINGER, 0)
                    s.connect(encoder)
                    s.send(json.dumps({"op": "status"}).encode())
                    probes[encoder] = (s, now)
        for encoder, (s, sent) in list(probes.items()):
            if s.poll(0):
                s.recv()
                last_answer[encoder] = time.monotonic()
                s.close()
                del probes[encoder]
            elif now - sent > LIVE_FOR:
                s.close()
                del probes[encoder]
        live = [e for e in encoders if time.monotonic() - last_answer.get(e, -1e9) <= LIVE_FOR]
        for encoder in set(placed.values()) - set(live):
            say("lost", encoder=encoder)
            for stream in [s for s, e in placed.items() if e == encoder]:
                del placed[stream]
        for stream in wanted:
            if stream in placed or not live:
                continue
            for encoder in rendezvous.rank(stream, live):
                header = json.dumps({"op": "play", "stream": stream, "loop": True}).encode()
                reply = request(context, encoder, [header, wav], timeout=2.0)
                if reply and reply.get("ok"):
                    placed[stream] = encoder
                    say("placed", stream=stream, encoder=encoder)
                    break
                say("refused", stream=stream, encoder=encoder, reply=reply)
        if select.select([sys.stdin], [], [], 0.05)[0]:
            line = sys.stdin.readline()
            if not line:
                break
            words = line.split()
            if words and words[0] == "add":
                wanted += [w for w in words[1:] if w not in wanted]
    os._exit(0)


main()
