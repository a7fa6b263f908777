// The player's pure parts: no DOM, no network, so `node --test` checks them (Tests/Player/).
// Loaded as a classic script before player.js (it defines `WavecastPlayerCore`), and as a CommonJS
// module under Node.
"use strict";
(function (root) {
  /// The playback path for a browser: `forced` is the page's `?path=` (or null); `support` says which
  /// MediaSource flavours take `audio/mpeg` here.
  function choosePath(forced, support) {
    if (forced === "webaudio") return "webaudio";
    if (forced === "managed" && support.managed) return "managed";
    if (forced === "mse" && support.mse) return "mse";
    if (support.mse) return "mse";
    if (support.managed) return "managed";
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

  const core = { choosePath, describeFormat, formatPosition, decodeBase64 };
  if (typeof module === "object" && module.exports) module.exports = core;
  else root.WavecastPlayerCore = core;
})(typeof globalThis !== "undefined" ? globalThis : this);
