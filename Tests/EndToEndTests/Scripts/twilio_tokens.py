"""Twilio Media Streams calls against a real gateway with tokens on, spoken by hand with Python `websockets`.

Usage: twilio_tokens.py INGEST GATEWAY_PORT, with the tokens as JSON in WAVECAST_TEST_TOKENS (a token is a
credential: not on the command line): {"good": …, "other": …, "expiring": …, "expiring_url": …}, minted by
`wavecast token` for the stream `phone` (good, expiring, expiring_url) and for another stream (other).

pyzmq plays a looping tone on `phone` with its µ-law rendition; then every case runs at once, each on its own
connection: a URL token that does not verify or grants another stream (refused before the upgrade), a call without
any token, tokens in `start.customParameters.token` (good, another stream's, one that runs out mid-call) and a URL
token that runs out mid-call.

Prints `connected` first (the harness waits for it), one JSON report line last.
"""

import asyncio
import json
import math
import os
import struct
import sys
import time

import websockets
import zmq

INGEST, PORT = sys.argv[1], int(sys.argv[2])
TOKENS = json.loads(os.environ["WAVECAST_TEST_TOKENS"])
SID = "MZ" + "b" * 32
CONNECTED = json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})


def request(header, payload=None):
    """One ingest request on its own REQ socket; returns the JSON reply."""
    socket = zmq.Context.instance().socket(zmq.REQ)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.RCVTIMEO, 10000)
    socket.connect(INGEST)
    socket.send_multipart([json.dumps(header).encode()] + ([payload] if payload is not None else []))
    reply = json.loads(socket.recv())
    socket.close()
    return reply


def tone_wav(seconds=1.0, rate=16000, frequency=440):
    pcm = b"".join(struct.pack("<h", int(16000 * math.sin(2 * math.pi * frequency * i / rate)))
                   for i in range(int(seconds * rate)))
    header = b"RIFF" + (36 + len(pcm)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
    header += (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + rate.to_bytes(4, "little")
    header += (rate * 2).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    return header + b"data" + len(pcm).to_bytes(4, "little") + pcm


def start(**parameters):
    return json.dumps({
        "event": "start", "sequenceNumber": "1", "streamSid": SID,
        "start": {"accountSid": "AC" + "0" * 32, "streamSid": SID, "callSid": "CA" + "2" * 32,
                  "tracks": ["inbound"], "customParameters": parameters,
                  "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}},
    })


STOP = json.dumps({"event": "stop", "streamSid": SID, "sequenceNumber": "9",
                   "stop": {"accountSid": "AC" + "0" * 32, "callSid": "CA" + "2" * 32}})


async def call(path, messages, wait, then=None):
    """Connects to `path`, sends `messages`, reads for up to `wait` seconds (or until the gateway closes), then
    sends `then` if still open. Reports the HTTP status of a refused upgrade, or the media heard and how (and
    when, in seconds since 1970) the gateway closed."""
    outcome = {"status": None, "close_code": None, "close_reason": None, "closed_at": None, "media": 0,
               "first_media_at": None}
    try:
        async with websockets.connect(f"ws://127.0.0.1:{PORT}{path}", open_timeout=5, close_timeout=5) as ws:
            for message in messages:
                await ws.send(message)
            end = time.monotonic() + wait
            while time.monotonic() < end:
                try:
                    text = await asyncio.wait_for(ws.recv(), timeout=max(0.01, end - time.monotonic()))
                except asyncio.TimeoutError:
                    break
                if json.loads(text).get("event") == "media":
                    outcome["media"] += 1
                    outcome["first_media_at"] = outcome["first_media_at"] or time.time()
            if then is not None:
                await ws.send(then)
                await asyncio.wait_for(ws.wait_closed(), timeout=5)
                outcome["close_code"], outcome["close_reason"] = ws.close_code, ws.close_reason
                outcome["closed_at"] = time.time()
    except websockets.ConnectionClosed as closed:
        outcome["closed_at"] = time.time()
        if closed.rcvd is not None:
            outcome["close_code"], outcome["close_reason"] = closed.rcvd.code, closed.rcvd.reason
    except websockets.InvalidStatus as refused:
        outcome["status"] = refused.response.status_code
    return outcome


async def main():
    print("connected", flush=True)
    played = request({"op": "play", "stream": "phone", "loop": True, "renditions": ["mp3", "mulaw"]}, tone_wav())
    await asyncio.sleep(1.0)  # the catalogue lists it as live with µ-law within a second
    cases = {
        "url_bad": call("/twilio/phone?token=x.y.z", [], wait=1),
        "url_other_stream": call(f"/twilio/phone?token={TOKENS['other']}", [], wait=1),
        "no_token": call("/twilio/phone", [CONNECTED, start()], wait=3),
        "parameter_good": call("/twilio/phone", [CONNECTED, start(token=TOKENS["good"])], wait=3, then=STOP),
        "parameter_other_stream": call("/twilio/phone", [CONNECTED, start(token=TOKENS["other"])], wait=3),
        "parameter_expiring": call("/twilio/phone", [CONNECTED, start(token=TOKENS["expiring"])], wait=15),
        "url_expiring": call(f"/twilio/phone?token={TOKENS['expiring_url']}", [CONNECTED, start()], wait=15),
    }
    outcomes = await asyncio.gather(*cases.values())
    stopped = request({"op": "stop", "stream": "phone"})
    report = {"played": played.get("ok"), "stopped": stopped.get("ok"), "cases": dict(zip(cases, outcomes))}
    print(json.dumps(report), flush=True)


asyncio.run(main())
