"""Twilio Media Streams against the real encoder and gateway, from clients we did not write.

Usage: twilio_call.py INGEST BUS GATEWAY_PORT

1. `streamdouble` (PyPI: a Twilio Media Streams simulator) places a call at /twilio/call while a live stream
   with the µ-law rendition plays a 440 Hz tone; a `clear` (barge-in) is sent to the encoder mid-call. What the
   call heard is analysed: the tone's frequency and level, real-time pacing, the Twilio clear and the silence
   after it.
2. Python `websockets` speaks the protocol by hand: every message, and every error case.
3. pyzmq measures the bus bytes of one stream with and without its µ-law rendition.
4. pyzmq checks the ingest errors of a bad `renditions` field.

Prints `connected` first (the harness waits for it), one JSON report line last.
"""

import asyncio
import base64
import json
import math
import sys
import threading
import time
import urllib.request

import numpy as np
import websockets
import zmq
from streamdouble import g711
from streamdouble.api import call
from streamdouble.session import SessionConfig

INGEST, BUS, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
CONTEXT = zmq.Context()
LOCK = threading.Lock()


def request(header, payload=None):
    """One ingest request on its own REQ socket; returns the JSON reply."""
    with LOCK:
        socket = CONTEXT.socket(zmq.REQ)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.RCVTIMEO, 10000)
        socket.connect(INGEST)
        frames = [json.dumps(header).encode()] + ([payload] if payload is not None else [])
        socket.send_multipart(frames)
        reply = json.loads(socket.recv())
        socket.close()
        return reply


def wait_for_calls(count, seconds=15.0):
    """Waits until the gateway's /metrics counts `count` Twilio calls connected; fails the script after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=2) as response:
                for line in response.read().decode().splitlines():
                    name, _, value = line.partition(" ")
                    if name == "wavecast_gateway_twilio_calls" and float(value) >= count:
                        return
        except OSError:
            pass
        time.sleep(0.02)
    raise SystemExit(f"twilio_call.py: the gateway did not count {count} Twilio call(s) within {seconds} s")


def tone(frequency, seconds, rate=16000, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * 32767 * np.sin(2 * math.pi * frequency * t)).astype("<i2").tobytes()


def wav(pcm, rate=16000):
    header = b"RIFF" + (36 + len(pcm)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
    header += (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + rate.to_bytes(4, "little")
    header += (rate * 2).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    return header + b"data" + len(pcm).to_bytes(4, "little") + pcm


def renditions_errors():
    cases = {
        "unknown": ["mp3", "opus"],
        "duplicate": ["mp3", "mulaw", "mulaw"],
        "no_mp3": ["mulaw"],
        "not_array": "mulaw",
        "empty": [],
    }
    errors = {}
    for name, value in cases.items():
        reply = request({"op": "open", "stream": "renditions-" + name, "sample_rate": 16000, "channels": 1,
                         "renditions": value})
        errors[name] = reply.get("error")
    good = request({"op": "play", "stream": "renditions-ok", "renditions": ["mp3", "mulaw"]}, wav(tone(300, 0.3)))
    errors["accepted"] = good.get("ok")
    return errors


def bus_bytes():
    """Bytes per second on the bus for one stream: its MP3 topic, and its µ-law topic."""
    sub = CONTEXT.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVTIMEO, 200)
    sub.connect(BUS)
    sub.setsockopt(zmq.SUBSCRIBE, b"buscost")
    sub.setsockopt(zmq.SUBSCRIBE, b"~mulaw/buscost")
    time.sleep(0.5)
    reply = request({"op": "play", "stream": "buscost", "renditions": ["mp3", "mulaw"]}, wav(tone(440, 3.0)))
    totals = {b"buscost": [0, 0], b"~mulaw/buscost": [0, 0]}  # bytes, media samples
    rate = 8000
    deadline = time.time() + 8
    while time.time() < deadline:
        try:
            frames = sub.recv_multipart()
        except zmq.Again:
            continue
        topic = frames[0]
        if topic not in totals:
            continue
        kind = frames[1][1]
        if kind == 3 and topic == b"buscost":
            break
        totals[topic][0] += sum(len(f) for f in frames)
        if kind == 2:
            rate = int.from_bytes(frames[1][4:8], "big")
            totals[topic][1] += int.from_bytes(frames[1][28:32], "big")
    sub.close()
    seconds = totals[b"buscost"][1] / rate
    return {
        "play_ok": reply.get("ok"),
        "seconds": seconds,
        "mp3_bytes_per_second": totals[b"buscost"][0] / seconds if seconds else 0,
        "mulaw_bytes_per_second": totals[b"~mulaw/buscost"][0] / seconds if seconds else 0,
    }


async def streamdouble_call():
    """A streamdouble call of /twilio/call while a 440 Hz tone plays; barge-in 3 s into the call."""
    opened = request({"op": "open", "stream": "call", "sample_rate": 16000, "channels": 1,
                      "renditions": ["mp3", "mulaw"]})
    silence = [bytes([0xFF]) * 160] * 250  # the caller says nothing for 5 s
    config = SessionConfig(response_timeout_s=10, quiet_period_s=1.5, max_drain_s=20, max_call_s=40)
    task = asyncio.create_task(call(f"ws://127.0.0.1:{PORT}/twilio/call", frames=silence, config=config))
    # The tone is fed once the call is connected (the gateway waits up to 1.5 s for its stream to go live): a mark
    # is for the listeners there when it is published, and on a slow machine (ThreadSanitizer) a call placed after
    # the feed joined after the first second had played and never heard of the mark.
    await asyncio.to_thread(wait_for_calls, 1)
    # A mark after the first second (Twilio plays it back when that second has played), and one at the end of
    # the tone, which the barge-in cuts before it is reached.
    fed = request({"op": "pcm", "stream": "call"}, tone(440, 1.0))
    request({"op": "mark", "stream": "call", "name": "first-second"})
    request({"op": "pcm", "stream": "call"}, tone(440, 7.0))
    request({"op": "mark", "stream": "call", "name": "end-of-tone"})
    # The caller hears the tone for about 3 s, then the bot is interrupted. streamdouble's clock is
    # time.perf_counter: the clear request is timed on it too.
    await asyncio.sleep(3.0)
    clear_at = time.perf_counter()
    cleared = await asyncio.to_thread(request, {"op": "clear", "stream": "call"})
    report = await task
    result = report.result
    media = [(e.at, e.detail.get("bytes", 0)) for e in result.events if e.kind == "media_received"]
    clears = [e.at for e in result.events if e.kind == "clear_received"]
    audio = g711.decode(result.audio_received).astype(np.float64)
    # The tone: its dominant frequency and level, over the audio heard before the clear.
    window = audio[: min(len(audio), 8000 * 4)]
    spectrum = np.abs(np.fft.rfft(window * np.hanning(len(window))))
    peak = float(np.argmax(spectrum[1:]) + 1) * 8000 / len(window)
    rms = float(np.sqrt(np.mean(window[4000:] ** 2))) / 32768 if len(window) > 4000 else 0
    near_peak = spectrum[int(400 * len(window) / 8000):int(480 * len(window) / 8000)].sum()
    share = float(near_peak / spectrum.sum()) if spectrum.sum() else 0
    # Pacing: bytes received over time after the join burst (the first 0.5 s).
    first = media[0][0] if media else 0
    steady = [(at, size) for at, size in media if at - first >= 0.5 and (not clears or at < clears[0])]
    rate = 0.0
    if len(steady) > 2:
        rate = sum(size for _, size in steady[1:]) / (steady[-1][0] - steady[0][0])
    after_clear = [at for at, _ in media if clears and at > clears[0]]
    before_clear = [at for at, _ in media if clears and at <= clears[0]]
    marks = request({"op": "marks", "stream": "call"}).get("marks", [])
    stop = request({"op": "stop", "stream": "call"})
    return {
        "opened": opened.get("ok"), "fed": fed.get("ok"), "cleared": cleared.get("cleared"),
        "stopped": stop.get("ok"),
        "violations": [str(v) for v in result.violations], "unknown_events": result.unknown_events,
        "media_messages": len(media), "audio_seconds": len(result.audio_received) / 8000,
        "payload_sizes": sorted(set(size for _, size in media)),
        "peak_hz": peak, "rms": rms, "tone_share": share,
        "bytes_per_second": rate,
        "clears_received": result.clears_received,
        "clear_after_request_ms": (clears[0] - clear_at) * 1000 if clears else None,
        "last_media_after_request_ms": (before_clear[-1] - clear_at) * 1000 if before_clear else None,
        "media_after_clear": len(after_clear),
        "marks": {m["name"]: {"state": m["state"], "sent": m.get("sent"), "echoed": m.get("echoed")} for m in marks},
        "marks_received": list(result.marks_received),
        "marks_echoed": list(result.marks_echoed),
        "first_audio_ms": report.time_to_first_audio_ms,
        "stream_sid": report.stream_sid,
    }


async def raw_case(path, messages, wait=3.0, expect_media=False):
    """Connects to `path`, sends `messages` (strings), and reports how the gateway answered."""
    outcome = {"status": None, "close_code": None, "close_reason": None, "media": 0, "sids": [], "payloads": []}
    try:
        async with websockets.connect(f"ws://127.0.0.1:{PORT}{path}", open_timeout=5) as ws:
            for message in messages:
                if isinstance(message, (int, float)):
                    await asyncio.sleep(message)
                    continue
                await ws.send(message)
            end = time.time() + wait
            while time.time() < end:
                try:
                    text = await asyncio.wait_for(ws.recv(), timeout=max(0.01, end - time.time()))
                except asyncio.TimeoutError:
                    break
                event = json.loads(text)
                if event.get("event") == "media":
                    outcome["media"] += 1
                    outcome["sids"].append(event.get("streamSid"))
                    outcome["payloads"].append(len(base64.b64decode(event["media"]["payload"])))
                    outcome["keys"] = sorted(event.keys())
                    outcome["media_keys"] = sorted(event["media"].keys())
    except websockets.ConnectionClosed as closed:
        if closed.rcvd is not None:
            outcome["close_code"], outcome["close_reason"] = closed.rcvd.code, closed.rcvd.reason
    except websockets.InvalidStatus as refused:
        outcome["status"] = refused.response.status_code
    outcome["sids"] = sorted(set(outcome["sids"]))
    outcome["payloads"] = sorted(set(outcome["payloads"]))
    return outcome


def start(sid, **parameters):
    return json.dumps({
        "event": "start", "sequenceNumber": "1", "streamSid": sid,
        "start": {"accountSid": "AC" + "0" * 32, "streamSid": sid, "callSid": "CA" + "1" * 32,
                  "tracks": ["inbound"], "customParameters": parameters,
                  "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}},
    })


CONNECTED = json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})


def media(sid, n):
    return json.dumps({"event": "media", "sequenceNumber": str(n + 1), "streamSid": sid,
                       "media": {"track": "inbound", "chunk": str(n), "timestamp": str(n * 20),
                                 "payload": base64.b64encode(bytes([0xFF]) * 160).decode()}})


async def raw_protocol():
    sid = "MZ" + "a" * 32
    # A looping stream with µ-law, one without.
    request({"op": "play", "stream": "phone", "loop": True, "renditions": ["mp3", "mulaw"]}, wav(tone(440, 1.0)))
    request({"op": "play", "stream": "mp3only", "loop": True}, wav(tone(440, 1.0)))
    await asyncio.sleep(1.5)
    cases = {}
    cases["bad_json_before_start"] = await raw_case("/twilio/phone", ["{not json"])
    cases["media_before_start"] = await raw_case("/twilio/phone", [CONNECTED, media(sid, 0)])
    cases["unknown_event_before_start"] = await raw_case("/twilio/phone", [json.dumps({"event": "hello"})])
    cases["start_without_sid"] = await raw_case("/twilio/phone", [json.dumps({"event": "start", "start": {}})])
    cases["no_stream_named"] = await raw_case("/twilio", [CONNECTED, start(sid)])
    cases["invalid_stream_parameter"] = await raw_case("/twilio", [CONNECTED, start(sid, stream="no spaces")])
    cases["unknown_stream"] = await raw_case("/twilio/nosuchstream", [CONNECTED, start(sid)], wait=5)
    cases["without_mulaw"] = await raw_case("/twilio/mp3only", [CONNECTED, start(sid)])
    cases["invalid_path"] = await raw_case("/twilio/bad%21id", [])
    # A whole call: every message Twilio sends, bad ones after start (ignored), then a second start.
    cases["call"] = await raw_case("/twilio", [
        CONNECTED, start(sid, stream="phone"), media(sid, 0), media(sid, 1),
        json.dumps({"event": "dtmf", "streamSid": sid, "sequenceNumber": "4",
                    "dtmf": {"track": "inbound_track", "digit": "5"}}),
        json.dumps({"event": "mark", "streamSid": sid, "sequenceNumber": "5", "mark": {"name": "not-ours"}}),
        "{not json", json.dumps({"event": "hello"}), json.dumps({"event": "mark", "mark": {}}),
        1.0,
        json.dumps({"event": "stop", "streamSid": sid, "sequenceNumber": "6",
                    "stop": {"accountSid": "AC" + "0" * 32, "callSid": "CA" + "1" * 32}}),
    ])
    cases["second_start"] = await raw_case("/twilio/phone", [CONNECTED, start(sid), 0.5, start(sid)])
    request({"op": "stop", "stream": "phone"})
    request({"op": "stop", "stream": "mp3only"})
    return cases


async def main():
    print("connected", flush=True)
    report = {"renditions_errors": renditions_errors()}
    report["bus"] = await asyncio.to_thread(bus_bytes)
    report["call"] = await streamdouble_call()
    report["raw"] = await raw_protocol()
    print(json.dumps(report), flush=True)


asyncio.run(main())
