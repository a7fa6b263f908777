// The player's pure parts under Node's own test runner: `node --test Tests/Player/`.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const core = require("../../Sources/Gateway/Player/player-core.js");

test("MSE with audio/mpeg first; Safari's managed flavour; MP3 in MP4 (Firefox); WebCodecs; else Web Audio", () => {
  assert.equal(core.choosePath(null, { mse: true, managed: true, mp4: true }), "mse");
  assert.equal(core.choosePath(null, { mse: false, managed: true, mp4: true }), "managed");
  assert.equal(core.choosePath(null, { mse: false, managed: false, mp4: true }), "mp4");
  assert.equal(core.choosePath(null, { mse: false, managed: false, mp4: false, webcodecs: true }), "webcodecs");
  assert.equal(core.choosePath(null, { mse: false, managed: false, mp4: false }), "webaudio");
});

test("?path= forces a path only where the browser has it", () => {
  assert.equal(core.choosePath("webaudio", { mse: true, managed: true }), "webaudio");
  assert.equal(core.choosePath("managed", { mse: true, managed: true }), "managed");
  assert.equal(core.choosePath("managed", { mse: true, managed: false }), "mse");
  assert.equal(core.choosePath("mse", { mse: false, managed: false }), "webaudio");
  assert.equal(core.choosePath("nonsense", { mse: true, managed: false }), "mse");
  assert.equal(core.choosePath("mp4", { mse: true, managed: false, mp4: true }), "mp4");
  assert.equal(core.choosePath("mp4", { mse: true, managed: false, mp4: false }), "mse");
  assert.equal(core.choosePath("webcodecs", { mse: true, webcodecs: true }), "webcodecs");
});

test("a stream's format reads as a person would say it", () => {
  assert.equal(core.describeFormat({ sample_rate: 8000, channels: 1, bitrate: 32 }), "8 kHz mono 32 kbit/s");
  assert.equal(core.describeFormat({ sample_rate: 44100, channels: 2, bitrate: 128 }), "44.1 kHz stereo 128 kbit/s");
  assert.equal(core.describeFormat({ sample_rate: 48000, channels: 6, bitrate: 320 }), "48 kHz 6 ch 320 kbit/s");
  assert.equal(core.describeFormat(null), "\u2013");
});

test("positions are minutes and zero-padded seconds", () => {
  assert.equal(core.formatPosition(0), "0:00");
  assert.equal(core.formatPosition(59_999), "0:59");
  assert.equal(core.formatPosition(61_000), "1:01");
  assert.equal(core.formatPosition(3_600_000), "60:00");
});

test("a chunk's base64 payload decodes to its bytes", () => {
  assert.deepEqual(Array.from(core.decodeBase64("//sQxA==")), [0xff, 0xfb, 0x10, 0xc4]);
  assert.deepEqual(Array.from(core.decodeBase64("")), []);
  assert.throws(() => core.decodeBase64("not base64!"));
});

// --- MP3 frames and fragmented MP4 -------------------------------------------------------------

/// A Layer III frame: its 4-byte header, then filler up to `length` bytes.
function frame(header, length, fill = 0) {
  const bytes = new Uint8Array(length).fill(fill);
  bytes.set(header, 0);
  return bytes;
}
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.length; }
  return out;
}
// The gateway's default: MPEG-2.5 Layer III, 8 kHz mono, 8 kbit/s: 72-byte frames of 576 samples.
const VOICE = [0xff, 0xe3, 0x18, 0xc4];
// MPEG-1 Layer III, 44.1 kHz stereo, 128 kbit/s: 417 bytes (418 with padding), 1152 samples.
const MUSIC = [0xff, 0xfb, 0x90, 0x04];
const MUSIC_PADDED = [0xff, 0xfb, 0x92, 0x04];

/// The boxes at the top level of `bytes` (or inside a container's payload): type, start, size, payload.
function boxes(bytes, start = 0, end = bytes.length) {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const out = [];
  for (let offset = start; offset < end;) {
    const size = view.getUint32(offset);
    assert.ok(size >= 8 && offset + size <= end, `box at ${offset} has size ${size}`);
    out.push({ type: String.fromCharCode(...bytes.subarray(offset + 4, offset + 8)), start: offset, size, body: offset + 8 });
    offset += size;
  }
  return out;
}
function child(bytes, parent, type, skip = 0) {
  const found = boxes(bytes, parent.body + skip, parent.start + parent.size).find((item) => item.type === type);
  assert.ok(found, `no ${type} in ${parent.type}`);
  return found;
}

test("MP3 frames are found at their boundaries, with their samples, rate and channels", () => {
  const voice = core.parseMp3Frames(concat(frame(VOICE, 72), frame(VOICE, 72), frame(VOICE, 72)));
  assert.deepEqual(voice.map((f) => f.offset), [0, 72, 144]);
  assert.deepEqual(voice[0], { offset: 0, length: 72, samples: 576, sampleRate: 8000, channels: 1 });
  const music = core.parseMp3Frames(concat(frame(MUSIC, 417), frame(MUSIC_PADDED, 418)));
  assert.deepEqual(music.map((f) => [f.length, f.samples, f.sampleRate, f.channels]), [[417, 1152, 44100, 2], [418, 1152, 44100, 2]]);
  assert.deepEqual(core.parseMp3Frames(new Uint8Array(0)), []);
});

test("bytes that are not whole Layer III frames are refused, saying where", () => {
  assert.throws(() => core.parseMp3Frames(concat(frame(VOICE, 72), new Uint8Array([0xff, 0xe3]))), /cut MP3 frame header at byte 72/);
  assert.throws(() => core.parseMp3Frames(frame(VOICE, 71)), /cut MP3 frame at byte 0/);
  assert.throws(() => core.parseMp3Frames(new Uint8Array([0x49, 0x44, 0x33, 0x04])), /no MP3 frame sync at byte 0/);
  // Layer II, and the reserved version: not ours.
  assert.throws(() => core.parseMp3Frames(frame([0xff, 0xfd, 0x90, 0x04], 500)), /not an MPEG Layer III frame header/);
  assert.throws(() => core.parseMp3Frames(frame([0xff, 0xeb, 0x18, 0xc4], 72)), /not an MPEG Layer III frame header/);
});

test("the init segment declares one MP3 audio track timed in samples", () => {
  const init = core.mp4InitSegment(8000, 1);
  assert.deepEqual(boxes(init).map((b) => b.type), ["ftyp", "moov"]);
  const moov = boxes(init)[1];
  assert.deepEqual(boxes(init, moov.body, moov.start + moov.size).map((b) => b.type), ["mvhd", "trak", "mvex"]);
  const view = new DataView(init.buffer);
  const mdia = child(init, child(init, moov, "trak"), "mdia");
  const mdhd = child(init, mdia, "mdhd");
  assert.equal(view.getUint32(mdhd.body + 12), 8000, "mdhd timescale");
  const hdlr = child(init, mdia, "hdlr");
  assert.equal(String.fromCharCode(...init.subarray(hdlr.body + 8, hdlr.body + 12)), "soun");
  const stbl = child(init, child(init, mdia, "minf"), "stbl");
  const stsd = child(init, stbl, "stsd");
  const entry = child(init, stsd, ".mp3", 8);
  assert.equal(view.getUint16(entry.body + 6), 1, "data reference index");
  assert.equal(view.getUint16(entry.body + 16), 1, "channel count");
  assert.equal(view.getUint16(entry.body + 18), 16, "sample size");
  assert.equal(view.getUint32(entry.body + 24), 8000 * 65536, "sample rate, 16.16");
  const trex = child(init, child(init, moov, "mvex"), "trex");
  assert.equal(view.getUint32(trex.body + 4), 1, "trex track");
});

test("each chunk becomes one moof + mdat: a sample per frame, decode times running on in samples", () => {
  const fragmenter = new core.Mp4Fragmenter();
  const chunks = [concat(frame(VOICE, 72, 1), frame(VOICE, 72, 2), frame(VOICE, 72, 3)), frame(VOICE, 72, 4)];
  const first = fragmenter.fragment(chunks[0]);
  const second = fragmenter.fragment(chunks[1]);
  assert.deepEqual(boxes(first).map((b) => b.type), ["ftyp", "moov", "moof", "mdat"], "the init segment comes first, once");
  assert.deepEqual(boxes(second).map((b) => b.type), ["moof", "mdat"]);
  const decodeTimes = [];
  for (const [bytes, chunk, sequence] of [[first, chunks[0], 1], [second, chunks[1], 2]]) {
    const view = new DataView(bytes.buffer);
    const moof = boxes(bytes).find((b) => b.type === "moof");
    const mdat = boxes(bytes).find((b) => b.type === "mdat");
    assert.equal(view.getUint32(child(bytes, moof, "mfhd").body + 4), sequence);
    const traf = child(bytes, moof, "traf");
    assert.equal(view.getUint32(child(bytes, traf, "tfhd").body), 0x020000, "default-base-is-moof");
    decodeTimes.push(Number(view.getBigUint64(child(bytes, traf, "tfdt").body + 4)));
    const trun = child(bytes, traf, "trun");
    const count = view.getUint32(trun.body + 4);
    const dataOffset = view.getInt32(trun.body + 8);
    assert.equal(count, chunk.length / 72);
    for (let i = 0; i < count; i++) {
      assert.equal(view.getUint32(trun.body + 12 + 8 * i), 576, "sample duration");
      assert.equal(view.getUint32(trun.body + 16 + 8 * i), 72, "sample size");
    }
    // The data offset (from the moof's first byte) lands on the chunk, inside the mdat.
    assert.equal(moof.start + dataOffset, mdat.body);
    assert.deepEqual(bytes.subarray(moof.start + dataOffset, mdat.start + mdat.size), chunk);
  }
  assert.deepEqual(decodeTimes, [0, 3 * 576]);
  assert.equal(fragmenter.fragment(new Uint8Array(0)).length, 0);
});

// --- Latency -------------------------------------------------------------------------------------

test("the live-edge target: 400 ms by default, 150 ms in low-latency mode, or a number of milliseconds", () => {
  assert.equal(core.latencyTarget(null), 0.4);
  assert.equal(core.latencyTarget("low"), 0.15);
  assert.equal(core.latencyTarget("250"), 0.25);
  for (const ignored of ["0", "49", "5001", "fast", "", "NaN", "-300"]) {
    assert.equal(core.latencyTarget(ignored), 0.4, `?latency=${ignored}`);
  }
});

test("far behind the target: skip to it; a little behind: 5 % fast until back; else normal speed", () => {
  const fast = core.CATCH_UP_RATE;
  // At the target, or short of it: nothing to do.
  assert.deepEqual(core.catchUp(0.4, 0.4, 1), { rate: 1, seekAheadS: null });
  assert.deepEqual(core.catchUp(0.1, 0.4, 1), { rate: 1, seekAheadS: null });
  // Within 250 ms past it: not worth a change a listener might hear.
  assert.deepEqual(core.catchUp(0.64, 0.4, 1), { rate: 1, seekAheadS: null });
  // Past that: faster, and it stays faster until the target is reached (no flapping at the edge).
  assert.deepEqual(core.catchUp(0.66, 0.4, 1), { rate: fast, seekAheadS: null });
  assert.deepEqual(core.catchUp(0.45, 0.4, fast), { rate: fast, seekAheadS: null });
  assert.deepEqual(core.catchUp(0.4, 0.4, fast), { rate: 1, seekAheadS: null });
  // Far behind (a stall, a background tab): skip, at normal speed.
  assert.deepEqual(core.catchUp(1.5, 0.4, 1), { rate: 1, seekAheadS: 0.4 });
  assert.deepEqual(core.catchUp(1.5, 0.4, fast), { rate: 1, seekAheadS: 0.4 });
  // Low latency: the skip comes after one second past the target.
  assert.deepEqual(core.catchUp(1.1, 0.15, 1), { rate: fast, seekAheadS: null });
  assert.deepEqual(core.catchUp(1.2, 0.15, fast), { rate: 1, seekAheadS: 0.15 });
  // A long target skips only past twice itself.
  assert.deepEqual(core.catchUp(5.5, 2, 1), { rate: fast, seekAheadS: null });
  assert.deepEqual(core.catchUp(6.1, 2, 1), { rate: 1, seekAheadS: 2 });
});

test("while playback starts, the playhead goes to the target instead of speeding up", () => {
  assert.deepEqual(core.catchUp(1.3, 0.4, 1, true), { rate: 1, seekAheadS: 0.4 });
  assert.deepEqual(core.catchUp(0.6, 0.15, 1, true), { rate: 1, seekAheadS: 0.15 });
  // Within 150 ms past it, or short of it: left alone (each seek stalls the element a moment), and never faster.
  assert.deepEqual(core.catchUp(0.54, 0.4, 1, true), { rate: 1, seekAheadS: null });
  assert.deepEqual(core.catchUp(0.2, 0.4, 1, true), { rate: 1, seekAheadS: null });
});

// --- The muxer, byte for byte, and read back by an independent demuxer ----------------------------

// The init segment for 8 kHz mono, and the first fragment of one 72-byte frame (header, then 0x55s): checked
// box by box above, and decoded by ffmpeg below; a change to either is a change of format, made on purpose.
const GOLDEN_INIT = (
  "0000001c6674797069736f6d0000020069736f6d69736f366d703431000002116d6f6f760000006c6d766864000000000000" +
  "00000000000000001f4000000000000100000100000000000000000000000001000000000000000000000000000000010000" +
  "0000000000000000000000004000000000000000000000000000000000000000000000000000000000000002000001757472" +
  "616b0000005c746b686400000003000000000000000000000001000000000000000000000000000000000000000001000000" +
  "0001000000000000000000000000000000010000000000000000000000000000400000000000000000000000000001116d64" +
  "6961000000206d64686400000000000000000000000000001f400000000055c400000000002d68646c720000000000000000" +
  "736f756e000000000000000000000000536f756e6448616e646c657200000000bc6d696e6600000010736d68640000000000" +
  "0000000000002464696e660000001c6472656600000000000000010000000c75726c2000000001000000807374626c000000" +
  "34737473640000000000000001000000242e6d70330000000000000001000000000000000000010010000000001f40000000" +
  "00001073747473000000000000000000000010737473630000000000000000000000147374737a0000000000000000000000" +
  "00000000107374636f0000000000000000000000286d76657800000020747265780000000000000001000000010000000000" +
  "00000000000000" +
  ""
);
const GOLDEN_FRAGMENT = (
  "000000606d6f6f66000000106d66686400000000000000010000004874726166000000107466686400020000000000010000" +
  "0014746664740100000000000000000000000000001c7472756e0000030100000001000000680000024000000048" +
  "000000506d646174ffe318c4" + "55".repeat(68)
);

test("the init segment and a fragment are the golden bytes", () => {
  const hex = (bytes) => Buffer.from(bytes).toString("hex");
  assert.equal(hex(core.mp4InitSegment(8000, 1)), GOLDEN_INIT);
  const frameBytes = frame(VOICE, 72, 0x55);
  const first = new core.Mp4Fragmenter().fragment(frameBytes);
  assert.equal(hex(first), GOLDEN_INIT + GOLDEN_FRAGMENT);
});

test("ffmpeg reads the fragmented MP4 back and decodes exactly the PCM of the MP3 it wraps", (t) => {
  const { execFileSync } = require("node:child_process");
  const fs = require("node:fs");
  const os = require("node:os");
  const path = require("node:path");
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "wavecast-mp4-"));
  t.after(() => fs.rmSync(directory, { recursive: true, force: true }));
  const mp3 = path.join(directory, "tone.mp3");
  const mp4 = path.join(directory, "tone.mp4");
  // Two seconds of 440 Hz, as the encoder makes it: 8 kHz mono at 8 kbit/s, no Xing or ID3 header.
  execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000", "-t", "2",
    "-ac", "1", "-c:a", "libmp3lame", "-b:a", "8k", "-write_xing", "0", "-id3v2_version", "0", "-y", mp3]);
  const bytes = new Uint8Array(fs.readFileSync(mp3));
  const frames = core.parseMp3Frames(bytes);
  assert.ok(frames.length >= 25, `${frames.length} frames`);
  // Chunks of one, two and three frames, as the gateway's --chunk-frames may make them.
  const fragmenter = new core.Mp4Fragmenter();
  const pieces = [];
  for (let index = 0, size = 1; index < frames.length; index += size, size = size % 3 + 1) {
    const end = index + size < frames.length ? frames[index + size].offset : bytes.length;
    pieces.push(Buffer.from(fragmenter.fragment(bytes.subarray(frames[index].offset, end))));
  }
  fs.writeFileSync(mp4, Buffer.concat(pieces));
  const decode = (file) => execFileSync("ffmpeg", ["-v", "error", "-i", file, "-f", "s16le", "-"], { maxBuffer: 1 << 24 });
  const fromMp4 = decode(mp4);
  const fromMp3 = decode(mp3);
  assert.equal(fromMp4.length, frames.length * 576 * 2, "every frame's 576 samples");
  assert.ok(fromMp4.equals(fromMp3), "the same PCM as the MP3 decoded directly");
  const probe = execFileSync("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels",
    "-of", "csv=p=0", mp4]).toString().trim();
  assert.equal(probe, "mp3,8000,1");
});

test("a mark is echoed when the playhead reaches where it was buffered, not before", () => {
  const pending = [{ name: "a", at: 1.0 }, { name: "b", at: 2.5 }];
  assert.deepEqual(core.marksReached(pending, 0.5).map((m) => m.name), []);
  assert.deepEqual(core.marksReached(pending, 0.996).map((m) => m.name), ["a"]);
  assert.deepEqual(core.marksReached(pending, 3).map((m) => m.name), ["a", "b"]);
});

test("a reconnect resumes from the last chunk played, when there is one", () => {
  assert.equal(core.resumeQuery(3141592653, 41), "?resume=3141592653:41");
  assert.equal(core.resumeQuery(7, 0), "?resume=7:0");
  assert.equal(core.resumeQuery(undefined, 41), "");
  assert.equal(core.resumeQuery(7, null), "");
});
