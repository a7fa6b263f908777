// The player's pure parts under Node's own test runner: `node --test Tests/Player/`.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const core = require("../../Sources/Gateway/Player/player-core.js");

test("a browser whose MediaSource takes audio/mpeg gets MSE; Safari's managed flavour next; else Web Audio", () => {
  assert.equal(core.choosePath(null, { mse: true, managed: true }), "mse");
  assert.equal(core.choosePath(null, { mse: false, managed: true }), "managed");
  assert.equal(core.choosePath(null, { mse: false, managed: false }), "webaudio");
});

test("?path= forces a path only where the browser has it", () => {
  assert.equal(core.choosePath("webaudio", { mse: true, managed: true }), "webaudio");
  assert.equal(core.choosePath("managed", { mse: true, managed: true }), "managed");
  assert.equal(core.choosePath("managed", { mse: true, managed: false }), "mse");
  assert.equal(core.choosePath("mse", { mse: false, managed: false }), "webaudio");
  assert.equal(core.choosePath("nonsense", { mse: true, managed: false }), "mse");
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
