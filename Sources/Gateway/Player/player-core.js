// The player's pure parts: no DOM, no network, so `node --test Tests/Player/*.test.js` checks them.
// Loaded as a classic script before player.js (it defines `WavecastPlayerCore`), and as a CommonJS
// module under Node.
"use strict";
(function (root) {
  /// The playback path for a browser: `forced` is the page's `?path=` (or null); `support` says what
  /// this engine's MediaSource takes: `mse` and `managed` (Safari's ManagedMediaSource) `audio/mpeg`,
  /// `mp4` `audio/mp4; codecs="mp3"` (Firefox: MP3 frames in fragmented MP4); `webcodecs` says an
  /// AudioDecoder exists (one decoder for the stream, its output scheduled in Web Audio). Each of
  /// these plays with no seam between chunks; Web Audio batches, the last resort, have gaps.
  function choosePath(forced, support) {
    if (forced === "webaudio") return "webaudio";
    if (forced && forced !== "webaudio" && support[forced]) return forced;
    if (support.mse) return "mse";
    if (support.managed) return "managed";
    if (support.mp4) return "mp4";
    if (support.webcodecs) return "webcodecs";
    return "webaudio";
  }

  /// "8 kHz mono 32 kbit/s" for a stream's `format`; an en dash when there is none yet.
  function describeFormat(format) {
    if (!format) return "\u2013";
    const channels = format.channels === 1 ? "mono" : format.channels === 2 ? "stereo" : format.channels + " ch";
    return (format.sample_rate / 1000) + " kHz " + channels + " " + format.bitrate + " kbit/s";
  }

  /// "m:ss" for a position in milliseconds.
  function formatPosition(ms) {
    const seconds = Math.floor(ms / 1000);
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  /// The bytes of a chunk's base64 payload.
  function decodeBase64(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  // --- Latency ---------------------------------------------------------------------------------

  /// How much buffered audio the page keeps ahead of the playhead, in seconds: `?latency=low` for
  /// 150 ms, `?latency=MS` for a number of milliseconds (50–5000), else 400 ms.
  function latencyTarget(parameter) {
    if (parameter === "low") return 0.15;
    const milliseconds = Number(parameter);
    if (parameter && Number.isFinite(milliseconds) && milliseconds >= 50 && milliseconds <= 5000) {
      return milliseconds / 1000;
    }
    return 0.4;
  }

  /// The catch-up rule: given the audio buffered ahead of the playhead (`aheadS`), the target, and
  /// the playback rate now, what to do. While playback is `starting` (its first seconds: the join
  /// burst lands, the element pre-rolls), go to the target (`seekAheadS`) when over 150 ms past it:
  /// the burst is there so playback can start at once, not to be listened through. Far behind (more
  /// than the target plus max(1 s, 2 × target): a stall, a background tab), skip to the target at
  /// once: nobody wants stale audio played fast. A little behind (over 250 ms past the target), play
  /// 5 % fast (pitch kept: `preservesPitch`) until back at the target; then normal speed.
  function catchUp(aheadS, targetS, rate, starting = false) {
    if (starting && aheadS > targetS + START_SLACK_S) return { rate: 1, seekAheadS: targetS };
    if (aheadS > targetS + Math.max(1, 2 * targetS)) return { rate: 1, seekAheadS: targetS };
    if (!starting && aheadS > targetS + RATE_SLACK_S) return { rate: CATCH_UP_RATE, seekAheadS: null };
    if (rate > 1 && aheadS > targetS) return { rate, seekAheadS: null };
    return { rate: 1, seekAheadS: null };
  }
  const CATCH_UP_RATE = 1.05;
  // Each seek stalls the element a moment (and so adds to what is ahead), and each rate change is a tiny
  // discontinuity a listener can hear on a pure tone: both only for a real excess.
  const START_SLACK_S = 0.15;
  const RATE_SLACK_S = 0.25;

  // --- MP3 frames ------------------------------------------------------------------------------

  const BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
  const BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
  const RATES = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

  /// The MPEG-1/2/2.5 Layer III frames in `bytes`, in order: where each starts, its length, its
  /// samples per channel, sample rate and channel count. Throws on bytes that are not whole frames
  /// (every chunk the gateway sends is whole frames, cut at their boundaries).
  function parseMp3Frames(bytes) {
    const frames = [];
    let offset = 0;
    while (offset < bytes.length) {
      if (bytes.length - offset < 4) throw new Error("a cut MP3 frame header at byte " + offset);
      const b1 = bytes[offset + 1], b2 = bytes[offset + 2], b3 = bytes[offset + 3];
      if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) throw new Error("no MP3 frame sync at byte " + offset);
      const version = (b1 >> 3) & 3;   // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
      const layer = (b1 >> 1) & 3;     // 1: Layer III
      const bitrateIndex = b2 >> 4, rateIndex = (b2 >> 2) & 3, padding = (b2 >> 1) & 1;
      if (version === 1 || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) {
        throw new Error("not an MPEG Layer III frame header at byte " + offset);
      }
      const sampleRate = RATES[version][rateIndex];
      const bitrate = (version === 3 ? BITRATES_V1 : BITRATES_V2)[bitrateIndex] * 1000;
      const samples = version === 3 ? 1152 : 576;
      const length = Math.floor((samples / 8) * bitrate / sampleRate) + padding;
      if (offset + length > bytes.length) throw new Error("a cut MP3 frame at byte " + offset);
      frames.push({ offset, length, samples, sampleRate, channels: (b3 >> 6) === 3 ? 1 : 2 });
      offset += length;
    }
    return frames;
  }

  // --- MP3 in fragmented MP4, for MediaSource engines that take `audio/mp4; codecs="mp3"` only ---

  function box(type, ...payloads) {
    const size = 8 + payloads.reduce((sum, payload) => sum + payload.length, 0);
    const out = new Uint8Array(size);
    new DataView(out.buffer).setUint32(0, size);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    let offset = 8;
    for (const payload of payloads) { out.set(payload, offset); offset += payload.length; }
    return out;
  }

  /// Big-endian fields: [bits, value] pairs → bytes (bits 8, 16, 32 or 64).
  function fields(...pairs) {
    const size = pairs.reduce((sum, [bits]) => sum + bits / 8, 0);
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    let offset = 0;
    for (const [bits, value] of pairs) {
      if (bits === 8) view.setUint8(offset, value);
      else if (bits === 16) view.setUint16(offset, value);
      else if (bits === 32) view.setUint32(offset, value);
      else view.setBigUint64(offset, BigInt(value));
      offset += bits / 8;
    }
    return out;
  }

  const MATRIX = fields([32, 0x00010000], [32, 0], [32, 0], [32, 0], [32, 0x00010000], [32, 0], [32, 0], [32, 0],
    [32, 0x40000000]);

  /// The init segment (`ftyp` + `moov`) of one audio track of MP3 frames at `sampleRate` (the timescale too).
  function mp4InitSegment(sampleRate, channels) {
    const ftyp = box("ftyp", new TextEncoder().encode("isom"), fields([32, 512]), new TextEncoder().encode("isomiso6mp41"));
    const mvhd = box("mvhd", fields([32, 0], [32, 0], [32, 0], [32, sampleRate], [32, 0], [32, 0x00010000], [16, 0x0100],
      [16, 0], [32, 0], [32, 0]), MATRIX, new Uint8Array(24), fields([32, 2]));
    const tkhd = box("tkhd", fields([32, 3], [32, 0], [32, 0], [32, 1], [32, 0], [32, 0], [32, 0], [32, 0], [16, 0],
      [16, 0], [16, 0x0100], [16, 0]), MATRIX, fields([32, 0], [32, 0]));
    const mdhd = box("mdhd", fields([32, 0], [32, 0], [32, 0], [32, sampleRate], [32, 0], [16, 0x55c4], [16, 0]));
    const hdlr = box("hdlr", fields([32, 0], [32, 0]), new TextEncoder().encode("soun"), new Uint8Array(12),
      new TextEncoder().encode("SoundHandler\0"));
    const smhd = box("smhd", fields([32, 0], [16, 0], [16, 0]));
    const dinf = box("dinf", box("dref", fields([32, 0], [32, 1]), box("url ", fields([32, 1]))));
    // The `.mp3` sample entry (ISO/IEC 14496-12 AudioSampleEntry), as Firefox's MP4 demuxer takes MP3.
    const entry = box(".mp3", new Uint8Array(6), fields([16, 1]), new Uint8Array(8), fields([16, channels], [16, 16],
      [32, 0], [32, sampleRate * 65536]));
    const stsd = box("stsd", fields([32, 0], [32, 1]), entry);
    const empty = (type) => box(type, fields([32, 0], [32, 0]));
    const stsz = box("stsz", fields([32, 0], [32, 0], [32, 0]));
    const stbl = box("stbl", stsd, empty("stts"), empty("stsc"), stsz, empty("stco"));
    const trak = box("trak", tkhd, box("mdia", mdhd, hdlr, box("minf", smhd, dinf, stbl)));
    const mvex = box("mvex", box("trex", fields([32, 0], [32, 1], [32, 1], [32, 0], [32, 0], [32, 0])));
    const moov = box("moov", mvhd, trak, mvex);
    const out = new Uint8Array(ftyp.length + moov.length);
    out.set(ftyp, 0);
    out.set(moov, ftyp.length);
    return out;
  }

  /// Wraps MP3 chunks in fragmented MP4: the init segment before the first chunk, then one
  /// `moof` + `mdat` per chunk, each frame a sample, decode times counted in samples from 0.
  function Mp4Fragmenter() {
    let sequence = 0, decodeTime = 0, format = null;
    /// The bytes to append to a SourceBuffer for `chunk` (whole MP3 frames).
    this.fragment = (chunk) => {
      const frames = parseMp3Frames(chunk);
      if (!frames.length) return new Uint8Array(0);
      let init = new Uint8Array(0);
      if (!format) {
        format = { sampleRate: frames[0].sampleRate, channels: frames[0].channels };
        init = mp4InitSegment(format.sampleRate, format.channels);
      }
      sequence += 1;
      const trunEntries = frames.map((frame) => fields([32, frame.samples], [32, frame.length]));
      const trunSize = 8 + 12 + 8 * frames.length;
      const moofSize = 8 + 16 + (8 + 16 + 20 + trunSize);
      const mfhd = box("mfhd", fields([32, 0], [32, sequence]));
      const tfhd = box("tfhd", fields([32, 0x020000], [32, 1]));   // default-base-is-moof, track 1
      const tfdt = box("tfdt", fields([32, 0x01000000], [64, decodeTime]));
      // data offset, sample duration and size per sample; the data starts right after mdat's header.
      const trun = box("trun", fields([32, 0x000301], [32, frames.length], [32, moofSize + 8]), ...trunEntries);
      const moof = box("moof", mfhd, box("traf", tfhd, tfdt, trun));
      const mdat = box("mdat", chunk);
      decodeTime += frames.reduce((sum, frame) => sum + frame.samples, 0);
      const out = new Uint8Array(init.length + moof.length + mdat.length);
      out.set(init, 0);
      out.set(moof, init.length);
      out.set(mdat, init.length + moof.length);
      return out;
    };
  }

  /// The marks (`{ at }`, in the sink's media seconds) the playhead at `position` has reached. A mark
  /// arrives right behind the last chunk before it, so its place is the end of what was buffered then;
  /// 5 ms early counts, a check running every 50 ms being the coarser clock.
  function marksReached(pending, position) {
    return pending.filter((mark) => position >= mark.at - 0.005);
  }

  /// The query a reconnect asks to resume with: `?resume=EPOCH:SEQ` of the last chunk played, so any
  /// gateway sends just what was missed; empty when there is nothing to resume (no epoch, no chunk yet).
  function resumeQuery(epoch, lastSeq) {
    if (!(epoch > 0) || typeof lastSeq !== "number" || lastSeq < 0) return "";
    return "?resume=" + epoch + ":" + lastSeq;
  }

  const core = {
    resumeQuery, choosePath, describeFormat, formatPosition, decodeBase64, latencyTarget, catchUp, marksReached, CATCH_UP_RATE,
    START_SLACK_S,
    RATE_SLACK_S,
    parseMp3Frames, mp4InitSegment, Mp4Fragmenter,
  };
  if (typeof module === "object" && module.exports) module.exports = core;
  else root.WavecastPlayerCore = core;
})(typeof globalThis !== "undefined" ? globalThis : this);
