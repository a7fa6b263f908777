"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const audio = $("audio");
  const wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
  const KEEP_BEHIND_S = 10;      // buffered audio kept behind the playhead
  const BACKOFF_MIN_MS = 500, BACKOFF_MAX_MS = 15000;

  // --- Which playback path this browser gets -------------------------------------------------
  const {
    choosePath, describeFormat, formatPosition, decodeBase64, Mp4Fragmenter, latencyTarget, catchUp, marksReached,
    resumeQuery,
  } = WavecastPlayerCore;
  // The live-edge target: audio kept buffered ahead of the playhead (?latency=low|MS, or the page's control).
  let targetS = latencyTarget(params.get("latency"));
  const MP4_TYPE = 'audio/mp4; codecs="mp3"';
  const path = choosePath(params.get("path"), {
    mse: !!(window.MediaSource && MediaSource.isTypeSupported && MediaSource.isTypeSupported("audio/mpeg")),
    managed: !!(window.ManagedMediaSource && ManagedMediaSource.isTypeSupported("audio/mpeg")),
    mp4: !!(window.MediaSource && MediaSource.isTypeSupported && MediaSource.isTypeSupported(MP4_TYPE)),
    webcodecs: typeof AudioDecoder === "function" && typeof EncodedAudioChunk === "function",
  });
  const pathNames = {
    mse: "MediaSource Extensions: audio/mpeg into <audio>",
    managed: "ManagedMediaSource: audio/mpeg into <audio> (Safari)",
    mp4: "MediaSource Extensions: MP3 in fragmented MP4 into <audio> (this browser takes no audio/mpeg)",
    webcodecs: "WebCodecs: one AudioDecoder for the stream, its frames scheduled back to back in Web Audio",
    webaudio: "Web Audio: chunks decoded with decodeAudioData and played back to back (this browser's MediaSource takes no audio/mpeg)",
  };

  // --- State, visible to tests as window.wavecast --------------------------------------------
  const state = {
    path, stream: null, connection: "idle", wsUrl: null, chunks: 0, bytes: 0, gaps: 0, missing: 0,
    reconnects: 0, rate: 1, rateChanges: 0, targetMs: 0, firstSoundMs: null, lastClose: null, closes: [], lastSeq: null, errors: [], playbackTime: 0, aheadMs: null, jitterMs: null,
    format: null, ended: null, playing: false, gateway: null,
  };
  window.wavecast = state;
  state.targetMs = Math.round(targetS * 1000);

  // The latency control: the target changes at once, and the address keeps it for a reload or a link.
  const latencyControl = $("latency");
  latencyControl.value = params.get("latency") === "low" ? "low" : params.get("latency") === "1000" ? "1000" : "";
  latencyControl.addEventListener("change", () => {
    targetS = latencyTarget(latencyControl.value || null);
    state.targetMs = Math.round(targetS * 1000);
    const address = new URL(location.href);
    if (latencyControl.value) address.searchParams.set("latency", latencyControl.value);
    else address.searchParams.delete("latency");
    history.replaceState(null, "", address);
    log("latency target " + state.targetMs + " ms");
  });

  // Back from the background (a hidden tab, or a page the browser froze): browsers may have paused the
  // element or suspended Web Audio. Play on; the catch-up rule then skips what went stale meanwhile.
  // Only on these events, and not after the listener's own pause (the element's controls).
  // A pause that follows the listener's own click or key on the element (its controls) is theirs to undo.
  let lastInteraction = -Infinity, listenerPaused = false;
  for (const kind of ["pointerdown", "keydown"]) {
    audio.addEventListener(kind, () => { lastInteraction = performance.now(); });
  }
  audio.addEventListener("pause", () => { listenerPaused = performance.now() - lastInteraction < 1000; });
  audio.addEventListener("play", () => { listenerPaused = false; });
  function resumeAfterBackground() {
    if (!state.playing || listenerPaused) return;
    if (audioContext && audioContext.state === "suspended") audioContext.resume().catch(() => {});
    if ((path === "mse" || path === "managed" || path === "mp4") && audio.paused) {
      log("back from the background: playing on from the live edge");
      startPlayback();
    }
  }
  document.addEventListener("visibilitychange", () => { if (!document.hidden) resumeAfterBackground(); });
  document.addEventListener("resume", resumeAfterBackground);   // the Page Lifecycle API's, after a freeze

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
  // With `mp4`, each chunk goes in as fragmented MP4 (Firefox takes MP3 only that way).
  function MediaSourceSink(managed, mp4) {
    const Source = managed ? window.ManagedMediaSource : window.MediaSource;
    let mediaSource = null, sourceBuffer = null, queue = [], url = null, lastTrim = 0, fragmenter = null;
    const STARTING_MS = 3000;
    let playingSince = null;   // performance.now() of the first tick that found playback running, since the last reset
    this.reset = () => {
      playingSince = null;
      queue = [];
      sourceBuffer = null;
      fragmenter = mp4 ? new Mp4Fragmenter() : null;
      if (url) URL.revokeObjectURL(url);
      mediaSource = new Source();
      if (managed) audio.disableRemotePlayback = true;
      url = URL.createObjectURL(mediaSource);
      audio.src = url;
      mediaSource.addEventListener("sourceopen", () => {
        try {
          sourceBuffer = mediaSource.addSourceBuffer(mp4 ? MP4_TYPE : "audio/mpeg");
          sourceBuffer.mode = "sequence";   // timestamps follow what was appended: no gaps to stall on
          sourceBuffer.addEventListener("updateend", pump);
          sourceBuffer.addEventListener("error", () => recordError("SourceBuffer error"));
          pump();
        } catch (error) {
          recordError("addSourceBuffer: " + error.message);
        }
      }, { once: true });
    };
    this.append = (bytes) => {
      if (fragmenter) {
        try {
          bytes = fragmenter.fragment(bytes);
        } catch (error) {
          recordError("MP4: " + error.message);
          return;
        }
      }
      queue.push(bytes);
      pump();
    };
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
    // Where the playhead is, where what is buffered ends (on the same clock), and whether it moves.
    this.position = () => audio.currentTime;
    this.bufferedEnd = () => audio.buffered.length ? audio.buffered.end(audio.buffered.length - 1) : audio.currentTime;
    this.isPlaying = () => !audio.paused;
    this.tick = () => {
      const buffered = audio.buffered;
      state.playbackTime = audio.currentTime;
      if (!buffered.length) { state.aheadMs = null; return; }
      const end = buffered.end(buffered.length - 1);
      // Keep the playhead at the live-edge target: skip when far behind, play 5 % fast when a little.
      if (audio.paused) {
        // Not playing yet (waiting for a click, or for data): nothing to catch up with.
        state.aheadMs = Math.max(0, (end - audio.currentTime) * 1000);
        pump();
        return;
      }
      // While playback starts (the element pre-rolls, the join burst lands over several appends), for its
      // first seconds the playhead is put at the target whenever it falls behind (the start rule); only
      // then does catch-up by playback rate begin.
      if (playingSince === null) playingSince = performance.now();
      const starting = performance.now() - playingSince < STARTING_MS;
      const decision = catchUp(end - audio.currentTime, targetS, audio.playbackRate, starting);
      if (decision.seekAheadS !== null) {
        log((starting ? "starting at the live edge: " : "behind the live edge by ")
          + Math.round((end - audio.currentTime) * 1000) + " ms ahead, skipping to " + Math.round(decision.seekAheadS * 1000));
        audio.currentTime = end - decision.seekAheadS;
      } else if (audio.currentTime < buffered.start(0)) {
        audio.currentTime = buffered.start(0);
      }
      if (audio.playbackRate !== decision.rate) {
        audio.preservesPitch = true;
        audio.playbackRate = decision.rate;
        state.rateChanges += 1;
        log("playback rate " + decision.rate + " (" + Math.round((end - audio.currentTime) * 1000) + " ms ahead, target "
          + Math.round(targetS * 1000) + " ms)");
      }
      state.rate = decision.rate;
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

  // tick, play and stop of the sinks that schedule buffers in Web Audio; `timeline()` gives the sink's
  // { startedAt, nextTime } on the AudioContext's clock.
  function addWebAudioControls(sink, timeline) {
    sink.position = () => {
      const { startedAt } = timeline();
      return startedAt === null || !audioContext ? 0 : audioContext.currentTime - startedAt;
    };
    sink.bufferedEnd = () => {
      const { startedAt, nextTime } = timeline();
      return startedAt === null ? 0 : nextTime - startedAt;
    };
    sink.isPlaying = () => !!audioContext && audioContext.state === "running";
    sink.tick = () => {
      if (!audioContext) return;
      const now = audioContext.currentTime;
      const { startedAt, nextTime } = timeline();
      state.playbackTime = startedAt === null ? 0 : Math.max(0, now - startedAt);
      state.aheadMs = startedAt === null ? null : Math.max(0, (nextTime - now) * 1000);
    };
    sink.play = () => {
      const context = ensureAudioContext();
      if (!context) return Promise.reject(new Error("no Web Audio"));
      return context.resume().then(() => {
        if (context.state !== "running") throw Object.assign(new Error("audio context suspended"), { name: "NotAllowedError" });
      });
    };
    sink.stop = () => { sink.reset(); if (audioContext) audioContext.suspend().catch(() => {}); };
  }

  // --- Sink 2: WebCodecs: one AudioDecoder for the whole stream, its output scheduled back to back ---
  // Where no MediaSource path exists but AudioDecoder does. The decoder keeps its state from frame to
  // frame, so there is no seam for the buffers to hide: each decoded frame starts where the last ended.
  function WebCodecsSink() {
    let decoder = null, nextTime = 0, startedAt = null, timestampUs = 0, joining = [], joinTimer = null;
    // This session's output: buffers already scheduled play into it, so a reset silences them at once.
    let output = null;
    this.reset = () => {
      if (decoder && decoder.state !== "closed") decoder.close();
      clearTimeout(joinTimer);
      if (output) output.disconnect();
      decoder = null; nextTime = 0; startedAt = null; timestampUs = 0; joining = []; joinTimer = null; output = null;
    };
    this.ready = () => true;
    this.append = (bytes) => {
      let frames;
      try {
        frames = WavecastPlayerCore.parseMp3Frames(bytes);
      } catch (error) {
        recordError("MP3: " + error.message);
        return;
      }
      if (!frames.length) return;
      if (!decoder) {
        decoder = new AudioDecoder({ output: schedule, error: (error) => recordError("AudioDecoder: " + error.message) });
        decoder.configure({ codec: "mp3", sampleRate: frames[0].sampleRate, numberOfChannels: frames[0].channels });
      }
      for (const frame of frames) {
        decoder.decode(new EncodedAudioChunk({
          type: "key", timestamp: timestampUs, data: bytes.subarray(frame.offset, frame.offset + frame.length),
        }));
        timestampUs += frame.samples * 1e6 / frame.sampleRate;
      }
    };
    function schedule(audioData) {
      const context = ensureAudioContext();
      if (!context) { audioData.close(); recordError("no Web Audio in this browser"); return; }
      const buffer = context.createBuffer(audioData.numberOfChannels, audioData.numberOfFrames, audioData.sampleRate);
      for (let channel = 0; channel < audioData.numberOfChannels; channel++) {
        audioData.copyTo(buffer.getChannelData(channel), { planeIndex: channel, format: "f32-planar" });
      }
      audioData.close();
      if (startedAt === null) {
        // The join burst decodes within a few milliseconds: gather it, then start with only its newest target's
        // worth (the catch-up rule's start at the target), the rest being audio already in the past.
        joining.push(buffer);
        if (!joinTimer) joinTimer = setTimeout(startFromBurst, 60);
        return;
      }
      play(buffer);
    }
    function startFromBurst() {
      joinTimer = null;
      const kept = [];
      let seconds = 0;
      for (let index = joining.length - 1; index >= 0 && seconds < targetS; index--) {
        kept.unshift(joining[index]);
        seconds += joining[index].duration;
      }
      joining = [];
      nextTime = audioContext.currentTime + 0.05;
      for (const buffer of kept) play(buffer);
    }
    function play(buffer) {
      const context = audioContext;
      const now = context.currentTime;
      if (nextTime < now + 0.02) nextTime = now + Math.max(0.1, targetS);   // underrun: restart at the target
      // Far behind (a stall, a background tab): drop audio until back at the target. In the first second the
      // rest of the join burst is still decoding in: past the target it is dropped too (the start at the target).
      const starting = startedAt !== null && now - startedAt < 1;
      if (catchUp(nextTime - now, targetS, 1, starting).seekAheadS !== null) return;
      if (!output) { output = context.createGain(); output.connect(analyser); }
      const node = context.createBufferSource();
      node.buffer = buffer;
      node.connect(output);
      node.start(nextTime);
      if (startedAt === null) { startedAt = nextTime; heardFirstSound((nextTime - now) * 1000); }
      nextTime += buffer.duration;
    }
    addWebAudioControls(this, () => ({ startedAt, nextTime }));
  }

  // --- Sink 3: Web Audio, the last resort ----------------------------------------------------
  function WebAudioSink() {
    const FADE_S = 0.004;
    let pending = [], pendingMs = 0, nextTime = 0, startedAt = null, decoding = Promise.resolve();
    let flushTimer = null;
    // This session's output and number: a reset silences what was scheduled, and a decode still running
    // for an earlier session schedules nothing.
    let output = null, session = 0;
    this.reset = () => {
      clearTimeout(flushTimer);
      if (output) output.disconnect();
      pending = []; pendingMs = 0; nextTime = 0; startedAt = null; flushTimer = null; output = null; session += 1;
    };
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
      const ownSession = session;
      decoding = decoding.then(() => new Promise((resolve) => {
        context.decodeAudioData(joined.buffer, resolve, () => resolve(null));
      })).then((buffer) => {
        if (ownSession !== session) return;   // reset while decoding: audio of the previous session
        if (!buffer) { recordError("decodeAudioData failed on a chunk"); return; }
        if (!output) { output = context.createGain(); output.connect(analyser); }
        const now = context.currentTime;
        if (nextTime < now + 0.05) nextTime = now + Math.max(0.1, targetS);   // underrun: restart a little ahead
        // Far behind the live edge: skip (buffers already scheduled play out; the next starts at the target).
        if (catchUp(nextTime - now, targetS, 1).seekAheadS !== null) nextTime = now + targetS;
        // Each batch fades in and out over a few milliseconds: a batch starts from the decoder's silence and
        // ends where its frames end, and without the fades every seam between batches is a click.
        const node = context.createBufferSource();
        node.buffer = buffer;
        const fade = context.createGain();
        const edge = Math.min(FADE_S, buffer.duration / 4);
        fade.gain.setValueAtTime(0, nextTime);
        fade.gain.linearRampToValueAtTime(1, nextTime + edge);
        fade.gain.setValueAtTime(1, nextTime + buffer.duration - edge);
        fade.gain.linearRampToValueAtTime(0, nextTime + buffer.duration);
        node.connect(fade);
        fade.connect(output);
        node.start(nextTime);
        if (startedAt === null) { startedAt = nextTime; heardFirstSound((nextTime - now) * 1000); }
        nextTime += buffer.duration;
      });
    }
    addWebAudioControls(this, () => ({ startedAt, nextTime }));
  }

  const sink = path === "webaudio" ? new WebAudioSink()
    : path === "webcodecs" ? new WebCodecsSink()
    : new MediaSourceSink(path === "managed", path === "mp4");

  audio.addEventListener("error", () => {
    if (!audio.getAttribute("src")) return;
    const error = audio.error;
    recordError("audio element: " + (error ? "code " + error.code + (error.message ? " " + error.message : "") : "unknown"));
    // Start over on a fresh MediaSource; the next sync chunk starts it again.
    if (socket && state.playing) { sink.reset(); state.lastSeq = null; needSync = true; startPlayback(); }
  });
  // Time to first sound, from the start of navigation (performance.now()'s origin), for the page and its tests.
  function heardFirstSound(inMs) {
    if (state.firstSoundMs === null) state.firstSoundMs = Math.round(performance.now() + (inMs || 0));
  }
  audio.addEventListener("playing", () => heardFirstSound(0));
  audio.addEventListener("waiting", () => { if (state.playing && state.connection === "live") $("hint").textContent = "Buffering\u2026"; });
  audio.addEventListener("playing", () => { $("hint").textContent = ""; });

  // --- The WebSocket, with capped, jittered exponential back-off -----------------------------
  let socket = null, attempt = 0, retryTimer = null, needSync = true, messagesThisConnection = 0;
  let arrivals = [], minOffset = Infinity, connectedAt = 0, rateWindow = [];
  // Marks waiting for the playhead to reach them: { name, at (the sink's clock), ws }.
  const pendingMarks = [];
  setInterval(function checkMarks() {
    if (!pendingMarks.length || !state.playing || !sink.isPlaying()) return;
    for (const mark of marksReached(pendingMarks, sink.position())) {
      pendingMarks.splice(pendingMarks.indexOf(mark), 1);
      if (socket !== mark.ws || mark.ws.readyState !== WebSocket.OPEN) continue;
      mark.ws.send(JSON.stringify({ event: "mark", name: mark.name }));
      state.marksEchoed = (state.marksEchoed || 0) + 1;
      log("mark played: " + mark.name);
    }
  }, 50);

  function connect() {
    clearTimeout(retryTimer);
    // After a short break, ask for just what was missed (any gateway that follows the stream has it).
    const url = wsBase + "/ws/" + encodeURIComponent(state.stream)
      + (state.reconnects ? resumeQuery(state.epoch, state.lastSeq) : "");
    state.wsUrl = url;
    $("ws-url").textContent = url;
    setConnection(state.reconnects ? "reconnecting" : "connecting");
    // A token (#token= in the page's address, which no server sees; or ?token=) goes as a subprotocol,
    // not in the URL the gateway and the load balancer log.
    const token = pageToken();
    const ws = token ? new WebSocket(url, ["wavecast", "token." + token]) : new WebSocket(url);
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



  function pageToken() {
    return new URLSearchParams(location.hash.slice(1)).get("token") || params.get("token");
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
      if (event.epoch && event.epoch !== state.epoch) { state.epoch = event.epoch; state.lastSeq = null; needSync = true; }
      $("format").textContent = describeFormat(event.format) + " MP3";
      log("start: " + describeFormat(event.format));
      if (changed) { log("format changed: new MediaSource"); sink.reset(); startPlayback(); }
    } else if (event.event === "end") {
      state.ended = event.reason || "finished";
      state.lastSeq = null;
      needSync = true;
      setConnection("ended", event.reason);
      log("end: " + event.reason + " (waiting for the stream to start again)");
    } else if (event.event === "resumed") {
      state.resumes = state.resumes || { recovered: 0, missed: 0 };
      state.resumes[event.recovered ? "recovered" : "missed"]++;
      log("resumed: " + (event.recovered ? "nothing lost" : (event.reason || "") + ", " + event.missing + " chunk(s) lost"));
      // Not recovered: a fresh burst from a sync chunk follows.
      if (!event.recovered) { state.lastSeq = null; needSync = true; }
    } else if (event.event === "mark") {
      // It sits at the end of what is buffered now: echoed when the playhead gets there (checkMarks), so
      // the feeder learns what was heard. A clear or a new connection before then means it was not.
      pendingMarks.push({ name: event.name, at: sink.bufferedEnd(), ws: socket });
    } else if (event.event === "clear") {
      // Barge-in: what is buffered was cut at the source. Drop it now; the next chunk starts afresh
      // (the chunks the gateway dropped are not a gap). Marks not yet reached were not heard.
      pendingMarks.length = 0;
      state.clears = (state.clears || 0) + 1;
      state.lastClearAt = performance.timeOrigin + performance.now();   // ms since 1970, for tests
      state.lastSeq = null;
      needSync = true;
      log("clear: dropped the buffered audio");
      if (state.playing) { sink.reset(); startPlayback(); }
    } else if (event.event === "chunk" && event.media) {
      receiveChunk(event.media);
    }
  }

  const RESTART_SEQUENCES = 30;
  function receiveChunk(media) {
    const seq = typeof media.seq === "number" ? media.seq : null;
    if (media.epoch && media.epoch !== state.epoch) {
      // Another incarnation of the stream: its numbers start over.
      state.epoch = media.epoch; state.lastSeq = null; needSync = true;
    }
    // A reconnect's burst overlaps what was played by a few chunks (--burst-ms, 300 ms by default);
    // a sequence further back than RESTART_SEQUENCES means the stream started over while we were away.
    if (seq !== null && state.lastSeq !== null && seq + RESTART_SEQUENCES < state.lastSeq) {
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
      const token = pageToken();
      const headers = token ? { Authorization: "Bearer " + token } : {};
      const response = await fetch("/streams", { cache: "no-store", headers });
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
    $("s-ahead").textContent = (state.aheadMs === null ? "\u2013" : Math.round(state.aheadMs) + " ms")
      + " (target " + Math.round(targetS * 1000) + " ms" + (state.rate > 1 ? ", catching up" : "") + ")";
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
