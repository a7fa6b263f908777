/// The listener's page served at `GET /`: one self-contained HTML file (no build step, no external
/// resources) that lists the live streams from `/streams` and plays one from `/ws/{stream}`.
///
/// Playback: MediaSource Extensions with `SourceBuffer('audio/mpeg')` in `sequence` mode into an
/// `<audio>` element; `ManagedMediaSource` where that is all there is (iOS Safari); else Web Audio
/// `decodeAudioData` with buffers scheduled back to back (Firefox). `/?stream=ID` opens a stream,
/// `&autoplay=1` starts it without a click where the browser allows, `&path=mse|managed|webaudio`
/// forces a playback path. The page exposes its state as `window.wavecast` for tests.
enum PlayerPage {
    /// The page, UTF-8.
    static let bytes: [UInt8] = Array(html.utf8)

    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <title>Wavecast</title>
        <style>
          :root {
            --bg: #f6f7f9; --card: #ffffff; --text: #1c2330; --muted: #5b6575; --line: #dfe3ea;
            --accent: #2458d6; --accent-text: #ffffff; --good: #1c7c43; --warn: #a35b00; --bad: #b3261e;
            --meter: #2f9e6b; --meter-bg: #e9edf2;
          }
          @media (prefers-color-scheme: dark) {
            :root {
              --bg: #12161d; --card: #1b212b; --text: #e6eaf0; --muted: #9aa5b5; --line: #2c3542;
              --accent: #6d9bff; --accent-text: #0b1020; --good: #5fd08f; --warn: #f0b35a; --bad: #ff8a80;
              --meter: #5fd08f; --meter-bg: #252d39;
            }
          }
          * { box-sizing: border-box; }
          body {
            margin: 0; background: var(--bg); color: var(--text);
            font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
          }
          header {
            display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap;
            padding: 0.9rem 1.5rem; background: var(--card); border-bottom: 1px solid var(--line);
          }
          header h1 { margin: 0; font-size: 1.25rem; letter-spacing: 0.01em; }
          header h1 span { color: var(--accent); }
          header p { margin: 0; color: var(--muted); font-size: 0.9rem; }
          main {
            display: grid; grid-template-columns: minmax(0, 2fr) minmax(16rem, 1fr); gap: 1.25rem;
            max-width: 68rem; margin: 1.25rem auto; padding: 0 1.25rem;
          }
          @media (max-width: 50rem) { main { grid-template-columns: 1fr; } }
          section {
            background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1.1rem 1.25rem;
          }
          h2 { margin: 0 0 0.75rem; font-size: 1.05rem; }
          .player-head { display: flex; align-items: center; gap: 0.75rem; flex-wrap: wrap; margin-bottom: 0.75rem; }
          .player-head h2 { margin: 0; font-size: 1.35rem; word-break: break-all; }
          .badge {
            display: inline-block; padding: 0.15rem 0.6rem; border-radius: 999px; font-size: 0.8rem;
            font-weight: 600; border: 1px solid currentColor;
          }
          .state-idle { color: var(--muted); }
          .state-connecting, .state-reconnecting, .state-waiting { color: var(--warn); }
          .state-live { color: var(--good); }
          .state-ended, .state-error { color: var(--bad); }
          button {
            font: inherit; font-weight: 600; cursor: pointer; border-radius: 8px; padding: 0.45rem 1rem;
            border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text);
          }
          button.secondary { background: transparent; color: var(--accent); }
          button:focus-visible, a:focus-visible, audio:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
          #play-button { font-size: 1.1rem; padding: 0.7rem 1.4rem; }
          .controls { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; margin: 0.5rem 0 0.9rem; }
          audio { width: 100%; margin: 0.25rem 0 0.5rem; }
          canvas { display: block; width: 100%; height: 72px; background: var(--meter-bg); border-radius: 8px; }
          .level-row { display: flex; align-items: center; gap: 0.6rem; margin-top: 0.5rem; font-size: 0.85rem; color: var(--muted); }
          .level-bar { flex: 1; height: 8px; background: var(--meter-bg); border-radius: 4px; overflow: hidden; }
          .level-bar div { height: 100%; width: 0; background: var(--meter); transition: width 80ms linear; }
          dl.stats { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 0.6rem; margin: 1rem 0 0; }
          @media (max-width: 30rem) { dl.stats { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
          .push-right { margin-left: auto; }
          .controls:has(> [hidden]:first-child):has(> #hint:empty) { display: none; }
          .subtitle { margin: -0.4rem 0 0.4rem; color: var(--muted); }
          h3 { margin: 1.1rem 0 0; font-size: 0.8rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
          .side { display: flex; flex-direction: column; gap: 1.25rem; min-width: 0; }
          dl.details { margin: 0; font-size: 0.9rem; }
          dl.details dt { color: var(--muted); font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.04em; margin-top: 0.6rem; }
          dl.details dt:first-child { margin-top: 0; }
          dl.details dd { margin: 0.1rem 0 0; overflow-wrap: anywhere; }
          dl.details a { color: var(--accent); }
          .state-live::before {
            content: ""; display: inline-block; width: 0.5rem; height: 0.5rem; margin-right: 0.35rem; border-radius: 50%;
            background: currentColor; vertical-align: 0.05rem; animation: pulse 1.6s ease-in-out infinite;
          }
          @keyframes pulse { 50% { opacity: 0.25; } }
          @media (prefers-reduced-motion: reduce) { .state-live::before { animation: none; } }
          dl.stats div { border: 1px solid var(--line); border-radius: 8px; padding: 0.45rem 0.65rem; }
          dl.stats dt { font-size: 0.75rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
          dl.stats dd { margin: 0.1rem 0 0; font-size: 1.05rem; font-variant-numeric: tabular-nums; word-break: break-all; }
          .info { margin: 0.9rem 0 0; font-size: 0.85rem; color: var(--muted); }
          .info code { color: var(--text); }
          .error { color: var(--bad); font-weight: 600; }
          ul.streams { list-style: none; margin: 0; padding: 0; }
          ul.streams li {
            display: flex; align-items: center; justify-content: space-between; gap: 0.5rem;
            padding: 0.55rem 0; border-top: 1px solid var(--line);
          }
          ul.streams li:first-child { border-top: 0; }
          ul.streams li.current a.name { color: var(--good); }
          ul.streams a.name { font-weight: 600; color: var(--accent); text-decoration: none; word-break: break-all; }
          ul.streams a.name:hover { text-decoration: underline; }
          ul.streams small { display: block; color: var(--muted); font-size: 0.8rem; }
          .muted { color: var(--muted); }
          #log { margin: 0.5rem 0 0; padding: 0; list-style: none; font-size: 0.8rem; color: var(--muted); max-height: 9rem; overflow: auto; }
          #log li { padding: 0.1rem 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
          code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.85em; }
          .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        </style>
        </head>
        <body>
        <header>
          <h1><span aria-hidden="true">&#9679;</span> Wavecast</h1>
          <p>live voice streams &middot; gateway <strong id="gateway-host"></strong></p>
        </header>
        <main>
          <section aria-labelledby="stream-title">
            <div class="player-head">
              <h2 id="stream-title">Choose a stream</h2>
              <span id="state" class="badge state-idle" role="status" aria-live="polite">idle</span>
              <button id="stop-button" type="button" class="secondary push-right" hidden>Stop</button>
            </div>
            <p id="format" class="subtitle">&nbsp;</p>
            <div class="controls">
              <button id="play-button" type="button" hidden>Click to play</button>
              <span id="hint" class="muted">Pick a live stream from the list.</span>
            </div>
            <audio id="audio" controls preload="auto" aria-label="Live audio"></audio>
            <canvas id="scope" width="800" height="72" aria-hidden="true"></canvas>
            <div class="level-row">
              <span id="level-label">Level</span>
              <div class="level-bar" role="meter" aria-labelledby="level-label" aria-valuemin="-60" aria-valuemax="0"
                   aria-valuenow="-60" id="level-meter"><div id="level-fill"></div></div>
              <span id="level-text">&minus;&infin; dB</span>
            </div>
            <dl class="stats">
              <div><dt>Connection</dt><dd id="s-connection">&ndash;</dd></div>
              <div><dt>Playback time</dt><dd id="s-time">&ndash;</dd></div>
              <div><dt>Buffer ahead</dt><dd id="s-ahead">&ndash;</dd></div>
              <div><dt>Chunks received</dt><dd id="s-chunks">0</dd></div>
              <div><dt>Sequence gaps</dt><dd id="s-gaps">0</dd></div>
              <div><dt>Arrival jitter</dt><dd id="s-jitter">&ndash;</dd></div>
              <div><dt>Bitrate</dt><dd id="s-bitrate">&ndash;</dd></div>
              <div><dt>Reconnects</dt><dd id="s-reconnects">0</dd></div>
              <div><dt>Audio errors</dt><dd id="s-errors">none</dd></div>
            </dl>
            <h3>Events</h3>
            <ul id="log" aria-label="Events"></ul>
          </section>
          <div class="side">
          <section aria-labelledby="streams-title">
            <h2 id="streams-title">Live streams</h2>
            <ul id="streams" class="streams"><li class="muted">Loading&hellip;</li></ul>
            <p class="info" id="streams-updated"></p>
          </section>
          <section aria-labelledby="details-title">
            <h2 id="details-title">Connection</h2>
            <dl class="details">
              <dt>Gateway</dt><dd><span id="d-host"></span> <span id="gateway-id" class="muted"></span></dd>
              <dt>WebSocket</dt><dd><code id="ws-url">&ndash;</code></dd>
              <dt>Playback path</dt><dd id="path">&ndash;</dd>
              <dt>Direct link</dt><dd><a id="direct-link" href="#">&ndash;</a></dd>
            </dl>
          </section>
          </div>
        </main>
        <script>
        "use strict";
        (() => {
          const $ = (id) => document.getElementById(id);
          const params = new URLSearchParams(location.search);
          const audio = $("audio");
          const wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
          const LIVE_TARGET_S = 0.4;     // where to land when catching up with the live edge
          const MAX_BEHIND_S = 2.5;      // seek forward when the playhead is this far behind
          const KEEP_BEHIND_S = 10;      // buffered audio kept behind the playhead
          const BACKOFF_MIN_MS = 500, BACKOFF_MAX_MS = 15000;

          // --- Which playback path this browser gets -------------------------------------------------
          function choosePath() {
            const forced = params.get("path");
            const mse = !!(window.MediaSource && MediaSource.isTypeSupported && MediaSource.isTypeSupported("audio/mpeg"));
            const managed = !!(window.ManagedMediaSource && ManagedMediaSource.isTypeSupported("audio/mpeg"));
            if (forced === "webaudio") return "webaudio";
            if (forced === "managed" && managed) return "managed";
            if (forced === "mse" && mse) return "mse";
            if (mse) return "mse";
            if (managed) return "managed";
            return "webaudio";
          }
          const path = choosePath();
          const pathNames = {
            mse: "MediaSource Extensions: audio/mpeg into <audio>",
            managed: "ManagedMediaSource: audio/mpeg into <audio> (Safari)",
            webaudio: "Web Audio: chunks decoded with decodeAudioData and played back to back (this browser's MediaSource takes no audio/mpeg)",
          };

          // --- State, visible to tests as window.wavecast --------------------------------------------
          const state = {
            path, stream: null, connection: "idle", wsUrl: null, chunks: 0, bytes: 0, gaps: 0, missing: 0,
            reconnects: 0, lastClose: null, closes: [], lastSeq: null, errors: [], playbackTime: 0, aheadMs: null, jitterMs: null,
            format: null, ended: null, playing: false, gateway: null,
          };
          window.wavecast = state;

          $("gateway-host").textContent = location.host;
          $("d-host").textContent = location.host;
          $("path").textContent = pathNames[path];
          if (path === "webaudio") audio.hidden = true;

          const logList = $("log");
          function log(text) {
            const item = document.createElement("li");
            item.textContent = new Date().toLocaleTimeString() + "  " + text;
            logList.prepend(item);
            while (logList.children.length > 40) logList.lastChild.remove();
          }
          function setConnection(value, detail) {
            state.connection = value;
            const badge = $("state");
            badge.textContent = detail ? value + " \u00b7 " + detail : value;
            badge.className = "badge state-" + value;
            $("s-connection").textContent = value;
          }
          function recordError(text) {
            state.errors.push(text);
            $("s-errors").textContent = text;
            $("s-errors").className = "error";
            log("error: " + text);
          }

          // --- Level meter: AnalyserNode on the audio element (or on the Web Audio graph) ------------
          let audioContext = null, analyser = null, elementSource = null;
          function ensureAudioContext() {
            if (!audioContext) {
              const Context = window.AudioContext || window.webkitAudioContext;
              if (!Context) return null;
              audioContext = new Context();
              analyser = audioContext.createAnalyser();
              analyser.fftSize = 2048;
              analyser.connect(audioContext.destination);
            }
            if (audioContext.state === "suspended") audioContext.resume().catch(() => {});
            return audioContext;
          }
          // The element is routed through the context only once the context runs: a suspended
          // context would silence it.
          function attachMeterToElement() {
            if (path === "webaudio" || elementSource || !audioContext || audioContext.state !== "running") return;
            try {
              elementSource = audioContext.createMediaElementSource(audio);
              elementSource.connect(analyser);
            } catch (error) {
              log("level meter unavailable: " + error.message);
            }
          }
          const scope = $("scope");
          const scopeContext = scope.getContext("2d");
          // A scrolling envelope of the last 10 s: one bar per 50 ms, its height the peak in dB.
          const HISTORY = 200, STEP_MS = 50;
          const history = new Float32Array(HISTORY).fill(-60);
          let samples = null, pendingPeak = 0, lastStep = 0;
          function toDb(value) { return value > 0 ? Math.max(-60, 20 * Math.log10(value)) : -60; }
          function drawScope(now) {
            const ratio = window.devicePixelRatio || 1;
            const width = Math.round(scope.clientWidth * ratio), height = Math.round(scope.clientHeight * ratio);
            if (scope.width !== width || scope.height !== height) { scope.width = width; scope.height = height; }
            let rms = 0;
            if (analyser && (elementSource || path === "webaudio")) {
              if (!samples) samples = new Float32Array(analyser.fftSize);
              analyser.getFloatTimeDomainData(samples);
              for (let i = 0; i < samples.length; i++) {
                pendingPeak = Math.max(pendingPeak, Math.abs(samples[i]));
                rms += samples[i] * samples[i];
              }
              rms = Math.sqrt(rms / samples.length);
            }
            if (now - lastStep >= STEP_MS) {
              lastStep = now;
              history.copyWithin(0, 1);
              history[HISTORY - 1] = toDb(pendingPeak);
              pendingPeak = 0;
            }
            const style = getComputedStyle(document.documentElement);
            scopeContext.clearRect(0, 0, width, height);
            scopeContext.fillStyle = style.getPropertyValue("--line");
            scopeContext.fillRect(0, Math.floor(height / 2), width, Math.max(1, ratio));
            scopeContext.fillStyle = style.getPropertyValue("--meter");
            const bar = width / HISTORY;
            for (let i = 0; i < HISTORY; i++) {
              const size = ((history[i] + 60) / 60) * (height - 6 * ratio);
              if (size <= 0) continue;
              scopeContext.fillRect(i * bar + bar * 0.15, (height - size) / 2, Math.max(1, bar * 0.7), size);
            }
            const db = toDb(rms);
            $("level-fill").style.width = ((db + 60) / 60 * 100).toFixed(1) + "%";
            $("level-meter").setAttribute("aria-valuenow", db.toFixed(0));
            $("level-text").textContent = db <= -60 ? "\u2212\u221e dB" : db.toFixed(0) + " dB";
            requestAnimationFrame(drawScope);
          }
          requestAnimationFrame(drawScope);

          // --- Sink 1: (Managed)MediaSource into the <audio> element ---------------------------------
          function MediaSourceSink(managed) {
            const Source = managed ? window.ManagedMediaSource : window.MediaSource;
            let mediaSource = null, sourceBuffer = null, queue = [], url = null, lastTrim = 0;
            this.reset = () => {
              queue = [];
              sourceBuffer = null;
              if (url) URL.revokeObjectURL(url);
              mediaSource = new Source();
              if (managed) audio.disableRemotePlayback = true;
              url = URL.createObjectURL(mediaSource);
              audio.src = url;
              mediaSource.addEventListener("sourceopen", () => {
                try {
                  sourceBuffer = mediaSource.addSourceBuffer("audio/mpeg");
                  sourceBuffer.mode = "sequence";   // timestamps follow what was appended: no gaps to stall on
                  sourceBuffer.addEventListener("updateend", pump);
                  sourceBuffer.addEventListener("error", () => recordError("SourceBuffer error"));
                  pump();
                } catch (error) {
                  recordError("addSourceBuffer: " + error.message);
                }
              }, { once: true });
            };
            this.append = (bytes) => { queue.push(bytes); pump(); };
            this.ready = () => !!sourceBuffer;
            function pump() {
              if (!sourceBuffer || sourceBuffer.updating || mediaSource.readyState !== "open") return;
              const now = audio.currentTime;
              const buffered = sourceBuffer.buffered;
              // Keep memory bounded: drop what lies well behind the playhead.
              if (buffered.length && now - buffered.start(0) > KEEP_BEHIND_S * 1.5 && performance.now() - lastTrim > 2000) {
                lastTrim = performance.now();
                sourceBuffer.remove(0, now - KEEP_BEHIND_S);
                return;
              }
              if (!queue.length) return;
              const size = queue.reduce((sum, piece) => sum + piece.length, 0);
              const joined = new Uint8Array(size);
              let offset = 0;
              for (const piece of queue) { joined.set(piece, offset); offset += piece.length; }
              queue = [];
              try {
                sourceBuffer.appendBuffer(joined);
              } catch (error) {
                if (error.name === "QuotaExceededError" && buffered.length) {
                  queue.unshift(joined);
                  sourceBuffer.remove(0, Math.max(buffered.start(0) + 1, now - 1));
                } else {
                  recordError("appendBuffer: " + error.message);
                }
              }
            }
            this.tick = () => {
              const buffered = audio.buffered;
              state.playbackTime = audio.currentTime;
              if (!buffered.length) { state.aheadMs = null; return; }
              const end = buffered.end(buffered.length - 1);
              // Keep the playhead near the live edge: after a stall or a background tab, seek forward.
              if (end - audio.currentTime > MAX_BEHIND_S) {
                log("behind the live edge by " + (end - audio.currentTime).toFixed(1) + " s: skipping ahead");
                audio.currentTime = end - LIVE_TARGET_S;
              } else if (audio.currentTime < buffered.start(0)) {
                audio.currentTime = buffered.start(0);
              }
              state.aheadMs = Math.max(0, (end - audio.currentTime) * 1000);
              pump();
            };
            this.play = () => audio.play();
            this.stop = () => {
              queue = [];
              sourceBuffer = null;
              audio.removeAttribute("src");
              audio.load();
              if (url) URL.revokeObjectURL(url);
              url = null;
            };
          }

          // --- Sink 2: Web Audio, for browsers whose MSE takes no audio/mpeg -------------------------
          function WebAudioSink() {
            let pending = [], pendingMs = 0, nextTime = 0, startedAt = null, decoding = Promise.resolve();
            let flushTimer = null;
            this.reset = () => { pending = []; pendingMs = 0; nextTime = 0; startedAt = null; };
            this.ready = () => true;
            // Chunks are batched (~250 ms) and decoded as one piece: fewer seams between buffers.
            this.append = (bytes, durationMs) => {
              pending.push(bytes);
              pendingMs += durationMs || 72;
              if (pendingMs >= 250) flush();
              else if (!flushTimer) flushTimer = setTimeout(flush, 300);
            };
            function flush() {
              clearTimeout(flushTimer); flushTimer = null;
              if (!pending.length) return;
              const size = pending.reduce((sum, piece) => sum + piece.length, 0);
              const joined = new Uint8Array(size);
              let offset = 0;
              for (const piece of pending) { joined.set(piece, offset); offset += piece.length; }
              pending = []; pendingMs = 0;
              const context = ensureAudioContext();
              if (!context) { recordError("no Web Audio in this browser"); return; }
              decoding = decoding.then(() => new Promise((resolve) => {
                context.decodeAudioData(joined.buffer, resolve, () => resolve(null));
              })).then((buffer) => {
                if (!buffer) { recordError("decodeAudioData failed on a chunk"); return; }
                const now = context.currentTime;
                if (nextTime < now + 0.05) nextTime = now + 0.15;          // underrun: restart a little ahead
                if (nextTime - now > MAX_BEHIND_S) nextTime = now + LIVE_TARGET_S;  // too far ahead: drop latency
                const node = context.createBufferSource();
                node.buffer = buffer;
                node.connect(analyser);
                node.start(nextTime);
                if (startedAt === null) startedAt = nextTime;
                nextTime += buffer.duration;
              });
            }
            this.tick = () => {
              if (!audioContext) return;
              const now = audioContext.currentTime;
              state.playbackTime = startedAt === null ? 0 : Math.max(0, now - startedAt);
              state.aheadMs = startedAt === null ? null : Math.max(0, (nextTime - now) * 1000);
            };
            this.play = () => {
              const context = ensureAudioContext();
              if (!context) return Promise.reject(new Error("no Web Audio"));
              return context.resume().then(() => {
                if (context.state !== "running") throw Object.assign(new Error("audio context suspended"), { name: "NotAllowedError" });
              });
            };
            this.stop = () => { this.reset(); if (audioContext) audioContext.suspend().catch(() => {}); };
          }

          const sink = path === "webaudio" ? new WebAudioSink() : new MediaSourceSink(path === "managed");

          audio.addEventListener("error", () => {
            if (!audio.getAttribute("src")) return;
            const error = audio.error;
            recordError("audio element: " + (error ? "code " + error.code + (error.message ? " " + error.message : "") : "unknown"));
            // Start over on a fresh MediaSource; the next sync chunk starts it again.
            if (socket && state.playing) { sink.reset(); state.lastSeq = null; needSync = true; startPlayback(); }
          });
          audio.addEventListener("waiting", () => { if (state.playing && state.connection === "live") $("hint").textContent = "Buffering\u2026"; });
          audio.addEventListener("playing", () => { $("hint").textContent = ""; });

          // --- The WebSocket, with capped, jittered exponential back-off -----------------------------
          let socket = null, attempt = 0, retryTimer = null, needSync = true, messagesThisConnection = 0;
          let arrivals = [], minOffset = Infinity, connectedAt = 0, rateWindow = [];

          function connect() {
            clearTimeout(retryTimer);
            const url = wsBase + "/ws/" + encodeURIComponent(state.stream);
            state.wsUrl = url;
            $("ws-url").textContent = url;
            setConnection(state.reconnects ? "reconnecting" : "connecting");
            const ws = new WebSocket(url);
            socket = ws;
            minOffset = Infinity; arrivals = []; messagesThisConnection = 0;
            ws.onopen = () => {
              if (socket !== ws) return;
              connectedAt = performance.now();
              setConnection("waiting", "for audio");
              log("connected to " + url);
            };
            ws.onmessage = (message) => { if (socket === ws) receive(message.data); };
            ws.onclose = (event) => {
              if (socket !== ws) return;
              socket = null;
              state.lastClose = event.code;
              state.closes.push(event.code);
              const why = event.code === 1001 ? "gateway going away" : event.code === 1006 ? "connection lost" : "closed";
              log("WebSocket closed: " + event.code + " (" + why + ")" + (event.reason ? " " + event.reason : ""));
              if (!state.playing) return;
              const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt) * (0.5 + Math.random() * 0.5);
              attempt++;
              state.reconnects++;
              $("s-reconnects").textContent = state.reconnects;
              setConnection("reconnecting", "in " + (delay / 1000).toFixed(1) + " s");
              retryTimer = setTimeout(connect, delay);
            };
          }

          function decodeBase64(text) {
            const binary = atob(text);
            const bytes = new Uint8Array(binary.length);
            for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
            return bytes;
          }

          function describeFormat(format) {
            if (!format) return "\u2013";
            return (format.sample_rate / 1000) + " kHz " + (format.channels === 1 ? "mono" : format.channels === 2 ? "stereo" : format.channels + " ch")
              + " " + format.bitrate + " kbit/s";
          }

          function receive(data) {
            let event;
            try { event = JSON.parse(data); } catch (error) { log("not JSON: " + String(data).slice(0, 60)); return; }
            const firstMessage = messagesThisConnection++ === 0;
            if (event.event === "start") {
              const changed = state.format && JSON.stringify(state.format) !== JSON.stringify(event.format);
              state.format = event.format;
              state.ended = null;
              // A gateway greets every new connection with the stream's start; only a start that
              // comes later begins a new stream instance, numbered from 0 again.
              if (!firstMessage) { state.lastSeq = null; needSync = true; }
              $("format").textContent = describeFormat(event.format) + " MP3";
              log("start: " + describeFormat(event.format));
              if (changed) { log("format changed: new MediaSource"); sink.reset(); startPlayback(); }
            } else if (event.event === "end") {
              state.ended = event.reason || "finished";
              state.lastSeq = null;
              needSync = true;
              setConnection("ended", event.reason);
              log("end: " + event.reason + " (waiting for the stream to start again)");
            } else if (event.event === "chunk" && event.media) {
              receiveChunk(event.media);
            }
          }

          function receiveChunk(media) {
            const seq = typeof media.seq === "number" ? media.seq : null;
            if (seq !== null && state.lastSeq !== null && seq + 100 < state.lastSeq) {
              state.lastSeq = null;   // far behind what we had: the stream started over while we were away
              needSync = true;
            }
            if (seq !== null && state.lastSeq !== null) {
              if (seq <= state.lastSeq) return;   // already played (the burst after a reconnect overlaps)
              if (seq !== state.lastSeq + 1) {
                state.gaps++;
                state.missing += seq - state.lastSeq - 1;
                needSync = true;
                log("gap: " + (seq - state.lastSeq - 1) + " chunk(s) missing before seq " + seq);
              }
            }
            if (needSync && !media.is_sync) return;  // a decoder cannot start here
            needSync = false;
            if (seq !== null) state.lastSeq = seq;
            const bytes = decodeBase64(media.payload);
            state.chunks++;
            state.bytes += bytes.length;
            attempt = 0;
            if (state.connection !== "live") setConnection("live");
            const now = performance.now();
            rateWindow.push([now, bytes.length]);
            while (rateWindow.length && now - rateWindow[0][0] > 5000) rateWindow.shift();
            // Arrival jitter: how much later than its media time a chunk came, against the earliest.
            if (typeof media.timestamp === "number" && now - connectedAt > 1000) {
              const offset = now - media.timestamp;
              minOffset = Math.min(minOffset, offset);
              arrivals.push([now, offset - minOffset]);
              while (arrivals.length && now - arrivals[0][0] > 10000) arrivals.shift();
            }
            sink.append(bytes, media.duration);
          }

          // --- Start, stop, the play button ----------------------------------------------------------
          const playButton = $("play-button"), stopButton = $("stop-button");
          function startPlayback() {
            const result = sink.play();
            if (result && result.then) {
              result.then(() => {
                playButton.hidden = true;
                attachMeterToElement();
                if (audioContext && audioContext.state !== "running") showPlayButton("Click to turn the sound on");
              }).catch((error) => {
                if (error && error.name === "NotAllowedError") showPlayButton("Click to play");
                else if (error && error.name !== "AbortError") recordError("play(): " + error.message);
              });
            }
          }
          function showPlayButton(text) {
            playButton.textContent = text;
            playButton.hidden = false;
            $("hint").textContent = "This browser waits for a click before it plays sound.";
            playButton.focus();
          }
          function play(stream) {
            stop();
            state.stream = stream;
            state.playing = true;
            state.chunks = 0; state.bytes = 0; state.gaps = 0; state.missing = 0; state.reconnects = 0;
            state.lastSeq = null; state.errors = []; state.ended = null; needSync = true; attempt = 0;
            state.format = null; state.lastClose = null; state.closes = [];
            $("format").textContent = "\u00a0";
            showStream(stream);
            $("s-errors").textContent = "none"; $("s-errors").className = "";
            $("s-reconnects").textContent = "0";
            $("hint").textContent = "";
            stopButton.hidden = false;
            ensureAudioContext();
            sink.reset();
            connect();
            startPlayback();
            renderStreams();
          }
          function showStream(stream) {
            $("stream-title").textContent = stream;
            document.title = stream + " \u00b7 Wavecast";
            const link = location.pathname + "?stream=" + encodeURIComponent(stream) + "&autoplay=1";
            $("direct-link").href = link;
            $("direct-link").textContent = link;
            $("ws-url").textContent = wsBase + "/ws/" + encodeURIComponent(stream);
          }
          function stop() {
            state.playing = false;
            clearTimeout(retryTimer);
            if (socket) { const ws = socket; socket = null; ws.close(1000); }
            sink.stop();
            stopButton.hidden = true;
            playButton.hidden = true;
            setConnection("idle");
          }
          playButton.addEventListener("click", () => {
            ensureAudioContext();
            if (!state.playing && state.stream) play(state.stream); else startPlayback();
          });
          stopButton.addEventListener("click", () => { stop(); $("hint").textContent = "Stopped."; renderStreams(); });

          // --- The stream list -----------------------------------------------------------------------
          let streams = [];
          function formatPosition(ms) {
            const seconds = Math.floor(ms / 1000);
            return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
          }
          function renderStreams() {
            const list = $("streams");
            list.replaceChildren();
            if (!streams.length) {
              const item = document.createElement("li");
              item.className = "muted";
              item.textContent = "No live streams right now.";
              list.append(item);
              return;
            }
            for (const entry of streams) {
              const item = document.createElement("li");
              if (entry.stream === state.stream && state.playing) item.className = "current";
              const text = document.createElement("div");
              const link = document.createElement("a");
              link.className = "name";
              link.href = "?stream=" + encodeURIComponent(entry.stream);
              link.textContent = entry.stream;
              const details = document.createElement("small");
              const listeners = entry.listeners === 1 ? "1 listener" : entry.listeners + " listeners";
              details.textContent = describeFormat(entry.format) + " \u00b7 " + formatPosition(entry.position_ms || 0) + " \u00b7 " + listeners;
              text.append(link, details);
              const button = document.createElement("button");
              button.type = "button";
              const current = entry.stream === state.stream && state.playing;
              button.className = current ? "secondary" : "";
              button.textContent = current ? "Playing" : "Play";
              button.setAttribute("aria-label", (current ? "Playing " : "Play ") + entry.stream);
              button.disabled = current;
              button.addEventListener("click", () => choose(entry.stream));
              link.addEventListener("click", (event) => { event.preventDefault(); choose(entry.stream); });
              item.append(text, button);
              list.append(item);
            }
          }
          function choose(stream) {
            history.pushState(null, "", "?stream=" + encodeURIComponent(stream));
            play(stream);
          }
          async function refreshStreams() {
            try {
              const response = await fetch("/streams", { cache: "no-store" });
              if (!response.ok) throw new Error("HTTP " + response.status);
              const gateway = response.headers.get("X-Wavecast-Gateway");
              if (gateway) { state.gateway = gateway; $("gateway-id").textContent = "(" + gateway + ")"; }
              const body = await response.json();
              streams = (body.streams || []).slice().sort((a, b) => a.stream.localeCompare(b.stream));
              renderStreams();
              $("streams-updated").textContent = "Updated " + new Date().toLocaleTimeString() + ".";
            } catch (error) {
              $("streams-updated").textContent = "Could not load /streams: " + error.message;
            }
          }
          refreshStreams();
          setInterval(refreshStreams, 3000);

          // --- Stats, four times a second ------------------------------------------------------------
          setInterval(() => {
            if (!state.playing) return;
            sink.tick();
            $("s-time").textContent = state.playbackTime.toFixed(1) + " s";
            $("s-ahead").textContent = state.aheadMs === null ? "\u2013" : Math.round(state.aheadMs) + " ms";
            $("s-chunks").textContent = state.chunks.toLocaleString();
            $("s-gaps").textContent = state.gaps ? state.gaps + " (" + state.missing + " chunks)" : "0";
            if (arrivals.length) {
              const recent = arrivals.filter(([time]) => performance.now() - time < 5000).map(([, late]) => late);
              state.jitterMs = recent.length ? Math.max(...recent) : 0;
              $("s-jitter").textContent = Math.round(state.jitterMs) + " ms max";
            }
            if (rateWindow.length > 1) {
              const span = (rateWindow[rateWindow.length - 1][0] - rateWindow[0][0]) / 1000;
              const bytes = rateWindow.slice(1).reduce((sum, [, size]) => sum + size, 0);
              if (span > 0.5) $("s-bitrate").textContent = (bytes * 8 / span / 1000).toFixed(1) + " kbit/s";
            }
          }, 250);

          // --- What the address asks for -------------------------------------------------------------
          function openFromAddress() {
            const stream = new URLSearchParams(location.search).get("stream");
            if (!stream) { stop(); $("stream-title").textContent = "Choose a stream"; return; }
            if (params.get("autoplay") === "1") {
              play(stream);
            } else {
              stop();
              state.stream = stream;
              showStream(stream);
              showPlayButton("Click to play");
              $("hint").textContent = "";
            }
          }
          window.addEventListener("popstate", openFromAddress);
          openFromAddress();
        })();
        </script>
        </body>
        </html>
        """#
}
