#!/usr/bin/env python3
"""The player page in Firefox, and what a listener hears: headless Firefox ESR over WebDriver BiDi.

Run by scripts/test-browser against a running encoder + gateway playing a steady tone:

    python3 Tests/Browser/firefox_test.py --base http://127.0.0.1:8080 --stream tone

Firefox's MediaSource takes no `audio/mpeg`; the page must pick its MP3-in-fragmented-MP4 path
(`mp4`) by feature detection and play through `<audio>`. Firefox gets a private PulseAudio server
with a null sink (without a sound device it plays nothing), and `parec` records the sink's monitor
while the page plays: on a steady tone, a listener should hear no seam between chunks. The check:
at most MAX_QUIET_SHARE of the 10 ms windows are near silence, and no quiet run is longer than
MAX_GAP_MS, measured after a settling second. `--path webcodecs` holds the WebCodecs path (one
AudioDecoder, frames scheduled in Web Audio) to the same standard; with `--path webaudio` the
measurement is printed for the last-resort Web Audio batches, for comparison (not judged).

Debian has no geckodriver; Firefox speaks WebDriver BiDi itself (`--remote-debugging-port`), so
this drives it with `websockets`. Every wait is bounded; exits non-zero on failure.
"""

import argparse
import asyncio
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import websockets

from listening import (
    MAX_CLICKS, MAX_GAP_MS, MAX_OVER_TARGET_AFTER_RECONNECT_MS, MAX_OVER_TARGET_MS, MAX_QUIET_SHARE, RATE,
    ListeningError, judge, start_pulseaudio, start_recording, stop_pulseaudio, stop_recording,
)

class Failure(Exception):
    pass


def note(message):
    print(f"   {message}", flush=True)


def start_firefox(profile, environment):
    with open(os.path.join(profile, "user.js"), "w") as prefs:
        for name, value in [
            ("media.autoplay.default", 0), ("media.autoplay.blocking_policy", 0),
            ("browser.shell.checkDefaultBrowser", False), ("datareporting.policy.dataSubmissionEnabled", False),
            ("toolkit.telemetry.reportingpolicy.firstRun", False), ("browser.aboutwelcome.enabled", False),
            ("app.update.disabledForTesting", True), ("browser.startup.homepage_override.mstone", "ignore"),
        ]:
            prefs.write(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n")
    firefox = subprocess.Popen(
        [shutil.which("firefox-esr") or "firefox", "--headless", "--no-remote", "--profile", profile,
         "--remote-debugging-port", "0"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    # Firefox's stderr is read to its end on a thread of its own: it says where BiDi listens, and
    # whatever it writes after must not fill the pipe and stop it.
    found = queue.Queue()

    def read_stderr():
        for line in firefox.stderr:
            match = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
            if match:
                found.put(match.group(1))

    threading.Thread(target=read_stderr, daemon=True).start()
    try:
        return firefox, found.get(timeout=60)
    except queue.Empty:
        firefox.kill()
        raise Failure("Firefox did not say where WebDriver BiDi listens within 60 s")


class BiDi:
    """Just enough of WebDriver BiDi: commands with ids, their results."""

    def __init__(self, socket):
        self.socket = socket
        self.next_id = 0

    async def command(self, method, params, timeout=30):
        self.next_id += 1
        command_id = self.next_id
        await self.socket.send(json.dumps({"id": command_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Failure(f"no answer to {method} in {timeout} s")
            message = json.loads(await asyncio.wait_for(self.socket.recv(), remaining))
            if message.get("id") != command_id:
                continue  # an event
            if message.get("type") == "error":
                raise Failure(f"{method}: {message.get('error')}: {message.get('message')}")
            return message["result"]

    async def evaluate(self, context, expression):
        result = await self.command("script.evaluate", {
            "expression": expression, "target": {"context": context}, "awaitPromise": True,
        })
        if result.get("type") != "success":
            raise Failure(f"script failed: {result}")
        value = result["result"]
        return value.get("value")


async def check_reconnect(bidi, context, probe, restart_command):
    """Restarts the gateway (SIGTERM: close 1001) and checks that sound resumes within a few seconds at the
    live edge: no burst of stale audio."""
    before = json.loads(await bidi.evaluate(context, probe))
    subprocess.run(restart_command, shell=True, check=True, timeout=30)
    restarted = time.monotonic()
    state = before
    while time.monotonic() < restarted + 20:
        state = json.loads(await bidi.evaluate(context, probe))
        if state["reconnects"] > before["reconnects"] and state["connection"] == "live" \
                and state["chunks"] > before["chunks"] + 3:
            break
        await asyncio.sleep(0.2)
    else:
        raise Failure(f"the page did not reconnect within 20 s of the gateway's restart: {state}")
    live_after = time.monotonic() - restarted
    await asyncio.sleep(3)
    later = json.loads(await bidi.evaluate(context, probe))
    advanced = later["time"] - state["time"]
    note(f"gateway restarted: close codes {later['closes']}, live again {live_after:.1f} s after the new gateway "
         f"started; currentTime advanced {advanced:.2f} s in the next 3 s, buffer ahead {later['aheadMs'] or 0:.0f} ms")
    if later["closes"][:1] != [1001]:
        raise Failure(f"reconnect: the gateway's SIGTERM closed with {later['closes'][:1]}, not 1001")
    if advanced < 2.5:
        raise Failure(f"reconnect: currentTime advanced only {advanced:.2f} s in 3 s after reconnecting")
    if (later["aheadMs"] or 0) > later["targetMs"] + MAX_OVER_TARGET_AFTER_RECONNECT_MS:
        raise Failure(f"reconnect: {later['aheadMs']:.0f} ms buffered ahead (stale audio); the target is "
                      f"{later['targetMs']} ms")
    if later["errors"]:
        raise Failure(f"reconnect: page errors {later['errors']}")


async def play_and_record(url, context_environment, seconds, restart_command=None):
    """Opens `url`, recording the sound device; returns the page's state once it plays and at the end, the
    wall time between them, and the recording."""
    profile = tempfile.mkdtemp(prefix="wavecast-firefox-")
    firefox, endpoint = start_firefox(profile, context_environment)
    recording_path = os.path.join(profile, "heard.raw")
    recorder = None
    try:
        async with websockets.connect(endpoint + "/session", max_size=None, open_timeout=30) as socket:
            bidi = BiDi(socket)
            await bidi.command("session.new", {"capabilities": {}})
            tree = await bidi.command("browsingContext.getTree", {})
            context = tree["contexts"][0]["context"]
            recorder = start_recording(context_environment, recording_path)
            await bidi.command("browsingContext.navigate", {"context": context, "url": url, "wait": "complete"})
            probe = ("JSON.stringify({path: wavecast.path, playing: wavecast.playing, chunks: wavecast.chunks, "
                     "errors: wavecast.errors, time: document.getElementById('audio').currentTime, "
                     "playbackTime: wavecast.playbackTime, aheadMs: wavecast.aheadMs, targetMs: wavecast.targetMs, "
                     "rate: wavecast.rate, rateChanges: wavecast.rateChanges, firstSoundMs: wavecast.firstSoundMs, reconnects: wavecast.reconnects, "
                     "connection: wavecast.connection, closes: wavecast.closes, log: document.getElementById('log').innerText, mp3: MediaSource.isTypeSupported('audio/mpeg'), "
                     "mp4: MediaSource.isTypeSupported('audio/mp4; codecs=\"mp3\"')})")
            deadline = time.monotonic() + 20
            state = {}
            while time.monotonic() < deadline:
                state = json.loads(await bidi.evaluate(context, probe))
                if state["chunks"] > 10 and (state["time"] > 0.5 or state["playbackTime"] > 0.5):
                    break
                await asyncio.sleep(0.25)
            else:
                raise Failure(f"Firefox did not start playing within 20 s: {state}")
            note(f"Firefox: audio/mpeg {state['mp3']}, audio/mp4;codecs=mp3 {state['mp4']}; "
                 f"the page chose '{state['path']}'")
            before = state
            started = time.monotonic()
            await asyncio.sleep(seconds)
            after = json.loads(await bidi.evaluate(context, probe))
            wall = time.monotonic() - started
            recording = stop_recording(recorder, recording_path)
            recorder = None
            if restart_command:
                await check_reconnect(bidi, context, probe, restart_command)
            return before, after, wall, recording
    finally:
        if recorder:
            recorder.kill()
        firefox.terminate()
        try:
            firefox.wait(timeout=15)
        except subprocess.TimeoutExpired:
            firefox.kill()
        shutil.rmtree(profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the gateway's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--stream", default="tone", help="a stream playing a steady tone")
    parser.add_argument("--seconds", type=float, default=8.0, help="how long to record once it plays")
    parser.add_argument("--latency", help="the page's ?latency= (low, or milliseconds)")
    parser.add_argument("--restart-gateway", help="a shell command that restarts the gateway on the same port")
    parser.add_argument("--path", help="force the page's playback path: webcodecs (judged like mp4), or webaudio (the "
                        "last resort, measured for comparison, not judged)")
    arguments = parser.parse_args()
    for tool in ("firefox-esr", "pulseaudio", "pactl", "parec"):
        if not shutil.which(tool):
            print(f"firefox_test: '{tool}' is needed (scripts/test installs it)", file=sys.stderr)
            return 1

    # A SIGTERM (scripts/test-browser's timeout) still stops Firefox and PulseAudio, through the finally blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    url = f"{arguments.base}/?stream={arguments.stream}&autoplay=1"
    if arguments.path:
        url += f"&path={arguments.path}"
    if arguments.latency:
        url += f"&latency={arguments.latency}"
    runtime = tempfile.mkdtemp(prefix="wavecast-pulse-")
    environment = None
    try:
        environment = start_pulseaudio(runtime)
        before, after, wall, recording = asyncio.run(
            play_and_record(url, environment, arguments.seconds, arguments.restart_gateway)
        )
        share, gap_ms, level, steady_seconds, click_count = judge(recording)
        first_sound_ms = after["firstSoundMs"]
        # The MediaSource paths play through <audio>; the others through Web Audio (the page's playbackTime).
        advanced = after["time"] - before["time"] if after["path"] in ("mse", "managed", "mp4") else \
            after["playbackTime"] - before["playbackTime"]
        note(f"{after['path']}: played {advanced:.2f} s in {wall:.2f} s of wall time, chunks {before['chunks']} -> "
             f"{after['chunks']}, buffer ahead {after['aheadMs'] or 0:.0f} ms, errors {after['errors']}")
        note(f"heard {len(recording) / 2 / RATE:.2f} s: {100 * share:.1f} % of 10 ms windows near silence, "
             f"longest quiet run {gap_ms} ms (tone level {level:.0f})")
        note(f"first sound {first_sound_ms} ms after navigation began (the page's clock); buffered latency settled at "
             f"{after['aheadMs'] or 0:.0f} ms (target {after['targetMs']} ms, playback rate {after['rate']})")
        print(f"firefox_figures path={after['path']} first_sound_ms={first_sound_ms} "
              f"settled_ahead_ms={after['aheadMs'] or 0:.0f} target_ms={after['targetMs']} "
              f"quiet_pct={100 * share:.1f} longest_gap_ms={gap_ms} clicks={click_count} "
              f"rate_changes={after['rateChanges'] - before['rateChanges']}", flush=True)
        if arguments.path == "webaudio":
            return 0  # the last resort, measured for comparison: it has gaps by design
        problems = []
        expected = arguments.path or "mp4"
        if after["path"] != expected:
            problems.append(f"the page chose '{after['path']}', not '{expected}'")
        if after["errors"]:
            problems.append(f"page errors: {after['errors']}")
        if advanced < wall * 0.8:
            problems.append(f"playback advanced {advanced:.2f} s in {wall:.2f} s")
        if steady_seconds < arguments.seconds - 3:
            problems.append(f"recorded only {len(recording) / 2 / RATE:.2f} s")
        if share > MAX_QUIET_SHARE:
            problems.append(f"{100 * share:.1f} % of windows near silence (limit {100 * MAX_QUIET_SHARE:.0f} %)")
        if gap_ms > MAX_GAP_MS:
            problems.append(f"a quiet run of {gap_ms} ms (limit {MAX_GAP_MS} ms)")
        if click_count > MAX_CLICKS:
            problems.append(f"{click_count} clicks (limit {MAX_CLICKS})")
        if (after["aheadMs"] or 0) > after["targetMs"] + MAX_OVER_TARGET_MS:
            problems.append(f"{after['aheadMs']:.0f} ms buffered ahead after {wall:.0f} s; the target is "
                            f"{after['targetMs']} ms")
        if problems:
            note("the page's log, newest first: " + after["log"].replace("\n", " | "))
            raise Failure("; ".join(problems))
        note(f"Firefox plays the stream ('{after['path']}') with no seam a listener can hear")
        return 0
    except (Failure, ListeningError) as failure:
        print(f"firefox_test: FAILED: {failure}", file=sys.stderr)
        return 1
    finally:
        if environment:
            stop_pulseaudio(environment)
        shutil.rmtree(runtime, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
