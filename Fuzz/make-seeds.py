#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/Corpus/<Target>/ (run from anywhere; needs sox and ffmpeg).

Seeds are small on purpose (WAV and MP3 cut to a few hundred bytes to ~4 KB): libFuzzer mutates them faster, and the
committed corpus stays under ~300 KB. The corpus is committed; rerun this only to change the seeds.

Running it writes exactly the committed seeds (with Debian 12's sox 14.4.2 and ffmpeg 5.1: the WAVs are made without
dither, so they come out the same on every run) and deletes nothing: a seed added by hand or kept from a fuzzer's find
stays, and is listed at the end so that it can be made here too.
"""
import os
import struct
import subprocess
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")


# (target, file name) of every seed written by this run.
WRITTEN = set()


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)
    WRITTEN.add((target, name))


def frames(*parts):
    """The FuzzSupport LengthPrefixedFrames encoding: [u16 big-endian length][bytes] per frame."""
    out = b""
    for part in parts:
        if isinstance(part, str):
            part = part.encode()
        out += struct.pack(">H", len(part)) + part
    return out


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wav_seeds(tmp):
    sox = [
        ("u8", ["-e", "unsigned-integer", "-b", "8"], 8000, 1),
        ("s16", ["-e", "signed-integer", "-b", "16"], 8000, 1),
        ("s16-stereo", ["-e", "signed-integer", "-b", "16"], 44100, 2),
        ("s24", ["-e", "signed-integer", "-b", "24"], 48000, 1),
        ("s32", ["-e", "signed-integer", "-b", "32"], 16000, 2),
        ("f32", ["-e", "floating-point", "-b", "32"], 22050, 1),
        ("f64", ["-e", "floating-point", "-b", "64"], 8000, 1),
        ("mulaw", ["-e", "mu-law"], 8000, 1),
        ("alaw", ["-e", "a-law"], 8000, 1),
        ("s16-8ch", ["-e", "signed-integer", "-b", "16"], 8000, 8),
    ]
    for name, encoding, rate, channels in sox:
        path = os.path.join(tmp, name + ".wav")
        # -D: no dither, which sox would otherwise draw at random on every run.
        run("sox", "-D", "-n", "-r", str(rate), "-c", str(channels), *encoding, path, "synth", "0.02", "sine", "440")
        write("FuzzWAV", name + ".wav", open(path, "rb").read()[:512])
    # ffmpeg writes a LIST chunk; piped, it cannot seek back to fill in the sizes.
    path = os.path.join(tmp, "ffmpeg.wav")
    run("ffmpeg", "-v", "quiet", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000", "-t", "0.02", path)
    write("FuzzWAV", "ffmpeg-list.wav", open(path, "rb").read()[:512])
    piped = subprocess.run(
        ["ffmpeg", "-v", "quiet", "-f", "lavfi", "-i", "sine=sample_rate=8000", "-t", "0.02", "-f", "wav", "-"],
        check=True, capture_output=True,
    ).stdout
    write("FuzzWAV", "ffmpeg-piped.wav", piped[:512])
    # What the reader must refuse clearly.
    write("FuzzWAV", "rf64.wav", b"RF64\xff\xff\xff\xffWAVEds64" + bytes(28))
    write("FuzzWAV", "fmt-after-data.wav", b"RIFF\x24\x00\x00\x00WAVEdata\x04\x00\x00\x00\x00\x00\x00\x00")
    write("FuzzWAV", "odd-chunk.wav",
          b"RIFF\x00\x00\x00\x00WAVEjunk\x03\x00\x00\x00abc\x00fmt \x10\x00\x00\x00\x01\x00\x01\x00"
          b"\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00\x01\x02\x03")


def mp3_seeds(tmp):
    encodings = [
        ("8k-mono", ["-ar", "8000", "-ac", "1", "-b:a", "8k"]),
        ("22k-mono", ["-ar", "22050", "-ac", "1", "-b:a", "32k"]),
        ("44k-stereo", ["-ar", "44100", "-ac", "2", "-b:a", "64k"]),
        ("48k-joint-vbr", ["-ar", "48000", "-ac", "2", "-q:a", "6"]),
    ]
    for name, options in encodings:
        path = os.path.join(tmp, name + ".mp3")
        run("ffmpeg", "-v", "quiet", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "0.3",
            *options, "-c:a", "libmp3lame", path)
        data = open(path, "rb").read()
        write("FuzzMP3Frames", name + "-id3-xing.mp3", data[:4096])
        # Without the ID3 tag: the stream as the encoder's LAME output starts.
        size = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]) if data[:3] == b"ID3" else 0
        write("FuzzMP3Frames", name + "-frames.mp3", data[size:size + 1500])
    golden = bytes([0xFF, 0xE3, 0x18, 0xC4, 0x00]) + bytes(range(5, 0x48))
    write("FuzzMP3Frames", "golden-frame.mp3", golden)
    write("FuzzMP3Frames", "golden-crc.mp3", bytes([0xFF, 0xE2, 0x18, 0xC4, 0x12, 0x34]) + bytes(66))


def ingest_seeds(tmp):
    wav = open(os.path.join(ROOT, "FuzzWAV", "s16.wav"), "rb").read()[:200]
    seeds = {
        "status.bin": frames('{"op":"status"}'),
        "status-stream.bin": frames('{"op":"status","stream":"demo","id":"req-1"}'),
        "play.bin": frames('{"op":"play","stream":"demo","loop":true,"id":42}', wav),
        "open.bin": frames('{"op":"open","stream":"live-1","sample_rate":8000,"channels":1,"encoding":"s16le"}'),
        "pcm.bin": frames('{"op":"pcm","stream":"live-1","id":{"n":[1,2.5,null]}}', bytes(range(64))),
        "close.bin": frames('{"op":"close","stream":"live-1"}'),
        "stop.bin": frames('{"op":"stop","stream":"live-1"}'),
        "clear.bin": frames('{"op":"clear","stream":"live-1","id":7}'),
        "mark.bin": frames('{"op":"mark","stream":"live-1","name":"greeting-done \\u00e9"}'),
        "mark-control.bin": frames('{"op":"mark","stream":"live-1","name":"a\\u0007b"}'),
        "marks.bin": frames('{"op":"marks","stream":"live-1"}'),
        "open-mulaw.bin": frames('{"op":"open","stream":"call-1","sample_rate":8000,"channels":1,'
                                 '"replies":"errors","renditions":["mp3","mulaw"]}'),
        "play-renditions-bad.bin": frames('{"op":"play","stream":"demo","renditions":["mulaw","mulaw"]}', wav),
        "bad-json.bin": frames('{"op":"play",'),
        "not-object.bin": frames('["op","status"]'),
        "op-number.bin": frames('{"op":5}'),
        "unknown-op.bin": frames('{"op":"rewind","stream":"demo"}'),
        "extra-frame.bin": frames('{"op":"stop","stream":"demo"}', b"x", b"y"),
        "bad-stream.bin": frames('{"op":"stop","stream":"../\\u00e9\\ud83d\\ude00"}'),
        "open-range.bin": frames('{"op":"open","stream":"s","sample_rate":1e300,"channels":-0.0}'),
        "deep.bin": frames("[" * 200 + "]" * 200),
        "empty.bin": b"",
    }
    for name, data in seeds.items():
        write("FuzzIngestRequest", name, data)


def bus_header(kind, flags=0, channels=1, rate=8000, bitrate=8, count=0, seq=0, ts=0, dur=0, epoch=0, rendition=0,
               version=2):
    """A bus header (docs/PROTOCOL.md, "Header"; BusHeader.swift): version 2 is 40 bytes, the 32 of version 1 and then
    the epoch (UInt32 at 32), the rendition (byte 36: 0 MP3, 1 µ-law) and 3 reserved bytes. Version 1 is the first 32
    bytes alone, what an encoder not yet upgraded sends; a gateway still reads it (as epoch 0, MP3)."""
    head = struct.pack(">BBBBIHHQQI", version, kind, flags, channels, rate, bitrate, count, seq, ts, dur)
    return head if version == 1 else head + struct.pack(">IB3x", epoch, rendition)


def catalogue(*entries):
    """A catalogue payload: per entry [state][id length][id][UInt64 position] (bit 0 live, bit 1 has µ-law)."""
    return b"".join(bytes([state, len(stream)]) + stream.encode() + struct.pack(">Q", position)
                    for state, stream, position in entries)


def bus_seeds(tmp):
    # Kinds (BusMessageKind.swift): 1 start, 2 chunk, 3 end, 4 heartbeat, 5 catalogue, 6 clear, 7 mark.
    # Flags: 1 sync, 2 stopped, 4 replay, 8 replay end.
    golden_payload = bytes([0xFF, 0xE3, 0x18, 0xC4, 0x00]) + bytes(range(5, 0x48))
    epoch = 0x0A0B0C0D

    def v1(kind, flags=0, **fields):
        return bus_header(kind, flags, version=1, **fields)

    # Version 1 (32-byte headers), still read: the first seeds, kept as they were.
    seeds = {
        "golden-chunk.bin": frames("demo", v1(2, 1, count=1, seq=7, ts=4032, dur=576), golden_payload),
        "start.bin": frames("demo", v1(1), b""),
        "end-stopped.bin": frames("demo", v1(3, 2, seq=12, ts=6912), b""),
        "heartbeat.bin": frames("#", v1(4, 0, channels=0, rate=0, bitrate=0, seq=99), b""),
        "catalogue.bin": frames("#", v1(5, count=2, seq=3), catalogue((1, "demo", 4032), (0, "ab", 7))),
        "replay-end.bin": frames("demo", v1(2, 1 | 4 | 8, count=1, seq=7, ts=4032, dur=576), golden_payload[:5]),
        "two-frames.bin": frames("demo", v1(1)),
        # The version byte of version 2 on version 1's 32 bytes: a wrong length.
        "v2-short-header.bin": frames("demo", b"\x02" + v1(2)[1:], golden_payload),
    }
    # Version 2 (40-byte headers), what the encoder sends.
    mulaw_payload = bytes([0x1E, 0x0B, 0x0B, 0x1E, 0x9E, 0x8B, 0x8B, 0x9E]) * 72  # G.711's digital milliwatt, 72 ms
    seeds |= {
        # The golden vector of docs/PROTOCOL.md and BusMessageTests.
        "v2-golden-chunk.bin": frames(
            "demo", bus_header(2, 1, count=1, seq=7, ts=4032, dur=576, epoch=epoch), golden_payload),
        "v2-start.bin": frames("demo", bus_header(1, epoch=epoch), b""),
        "v2-end-stopped.bin": frames("demo", bus_header(3, 2, seq=12, ts=6912, epoch=epoch), b""),
        "v2-heartbeat.bin": frames("#", bus_header(4, channels=0, rate=0, bitrate=0, seq=99), b""),
        "v2-catalogue.bin": frames(
            "#", bus_header(5, count=3, seq=4), catalogue((3, "call-1", 4032), (1, "demo", 576), (0, "ab", 7))),
        "v2-replay-end.bin": frames(
            "demo", bus_header(2, 1 | 4 | 8, count=1, seq=7, ts=4032, dur=576, epoch=epoch), golden_payload),
        "clear.bin": frames("demo", bus_header(6, seq=8, ts=4608, epoch=epoch), b""),
        "mark.bin": frames("demo", bus_header(7, seq=8, ts=4608, epoch=epoch), "greeting-done \u00e9"),
        "mark-no-name.bin": frames("demo", bus_header(7, seq=8, ts=4608, epoch=epoch), b""),
        # The µ-law rendition: on its own topic, with the MP3 chunk's fields (docs/PROTOCOL.md's µ-law golden vector).
        "mulaw-start.bin": frames("~mulaw/demo", bus_header(1, epoch=epoch, rendition=1), b""),
        "mulaw-chunk.bin": frames(
            "~mulaw/demo", bus_header(2, 1, count=1, seq=7, ts=4032, dur=576, epoch=epoch, rendition=1), mulaw_payload),
        "mulaw-wrong-topic.bin": frames(
            "demo", bus_header(2, 1, count=1, seq=7, ts=4032, dur=576, epoch=epoch, rendition=1), mulaw_payload[:8]),
        # What a receiver must refuse.
        "bad-version.bin": frames("demo", b"\x03" + bus_header(2, 1, count=1)[1:], golden_payload),
        "bad-rendition.bin": frames("demo", bus_header(2, 1, count=1, dur=576, rendition=2), golden_payload),
        "reserved-bytes.bin": frames("demo", bus_header(1)[:37] + b"\x00\x00\x01", b""),
    }
    for name, data in seeds.items():
        write("FuzzBusMessage", name, data)


def client_seeds(tmp):
    def request(path, extra=b"", method=b"GET", version=b"13", key=b"dGhlIHNhbXBsZSBub25jZQ=="):
        return (method + b" " + path + b" HTTP/1.1\r\nHost: localhost:8080\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: " + version
                + b"\r\n" + extra + b"\r\n")

    def frame(opcode, payload, mask=b"\x37\xfa\x21\x3d", fin=True):
        first = (0x80 if fin else 0) | opcode
        if len(payload) < 126:
            head = bytes([first, 0x80 | len(payload)])
        else:
            head = bytes([first, 0x80 | 126]) + struct.pack(">H", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return head + mask + masked

    close_1000 = frame(0x8, struct.pack(">H", 1000) + b"bye")
    seeds = {
        "upgrade-ping-close.bin": request(b"/ws/demo") + frame(0x9, b"hello") + close_1000,
        "upgrade-fragments.bin": request(b"/ws") + frame(0x1, b"Hel", fin=False) + frame(0x9, b"")
        + frame(0x0, b"lo") + frame(0x2, bytes(200)) + close_1000,
        "upgrade-unmasked.bin": request(b"/ws/demo?compat=seed") + b"\x81\x02hi",
        "upgrade-bad-close.bin": request(b"/ws/demo") + frame(0x8, struct.pack(">H", 999)),
        "upgrade-origin.bin": request(b"/ws/demo", b"Origin: http://localhost:8080\r\n") + frame(0xA, b"p"),
        "upgrade-oversized.bin": request(b"/ws/demo") + bytes([0x82, 0xFF]) + struct.pack(">Q", 1 << 40),
        "version-8.bin": request(b"/ws/demo", version=b"8"),
        "bad-key.bin": request(b"/ws/demo", key=b"short"),
        "post.bin": request(b"/ws/demo", method=b"POST"),
        "bad-stream.bin": request(b"/ws/%2e%2e"),
        "no-upgrade.bin": b"GET /ws/demo HTTP/1.1\r\nHost: x\r\n\r\n",
        "routes-keepalive.bin": b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /streams HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET / HTTP/1.0\r\n\r\n",
        "body.bin": b"POST /nowhere HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "garbage.bin": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        # A fuzzer's find, kept as it was (commit 8d5ea98): a handshake announcing a chunked body whose first chunk
        # is not hex leaked the channel in NIO's upgrader; the gateway now answers 400 before the upgrader sees it.
        "upgrade-chunked-body-bad-chunk.bin": b"GET /ws HTTP/1.1\r\nUpgrade:websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbZBSsXBub26jZQ==\r\nSec-WebSocket-Version: 13\r\nTransfer-Encoding:chunked\r\n"
        b"\r\n\x99",
    }
    for name, data in seeds.items():
        write("FuzzClientBytes", name, data)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        wav_seeds(tmp)
        mp3_seeds(tmp)
        ingest_seeds(tmp)
        bus_seeds(tmp)
        client_seeds(tmp)
    # Never delete a seed this script does not make; name it, so it can be added above.
    for target in sorted(os.listdir(ROOT)):
        for name in sorted(os.listdir(os.path.join(ROOT, target))):
            if (target, name) not in WRITTEN:
                print(f"make-seeds.py: kept {target}/{name}, which this script does not make")


if __name__ == "__main__":
    main()
