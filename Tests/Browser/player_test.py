#!/usr/bin/env python3
"""The gateway's player page in a real browser: headless Chromium under Selenium.

Run by scripts/test-browser against a running encoder + gateway with a live stream:

    python3 Tests/Browser/player_test.py --base http://127.0.0.1:8080 --stream demo \
        --screenshot artifacts/player.png

Checks that the stream list at `/` shows the stream with no console error on load (its files and
icon all served), that `/?stream=ID&autoplay=1` plays it
through the <audio> element (currentTime advances for at least 5 s, no media error), that the
page shows the stream's name and a growing chunk counter, that the Web Audio fallback path
(`&path=webaudio`, what Firefox gets) plays too, that without `autoplay=1` a "Click to play" button
starts it, that a page frozen as a background tab plays on from the live edge when it resumes,
(with --restart-gateway) that the page reconnects when its gateway restarts and goes
on playing, and (with --tone-stream) what an unmuted Chromium plays into a PulseAudio null sink,
recorded: no seam a listener can hear (in one recording of two at most, so a sound device starved by a
busy machine is not taken for a seam), and the buffered latency near the page's target. Every wait is
bounded; exits non-zero on failure.
"""

import argparse
import json
import math
import os
import struct
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from listening import (
    MAX_CLICKS, MAX_GAP_MS, MAX_OVER_TARGET_AFTER_RECONNECT_MS, MAX_OVER_TARGET_MS, MAX_QUIET_SHARE,
    ListeningError, judge, start_pulseaudio, start_recording, stop_pulseaudio, stop_recording,
)

PLAY_SECONDS = 5.0


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def note(message):
    print(f"   {message}", flush=True)


def make_driver(environment=None):
    """Headless Chromium; muted, unless it gets `environment` with a PulseAudio server to play into."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1280,1000",
    ) + (() if environment else ("--mute-audio",)):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver", env=environment)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(10)
    return driver


def state(driver):
    return driver.execute_script(
        "const s = window.wavecast || {}; const a = document.getElementById('audio');"
        "return {path: s.path, connection: s.connection, chunks: s.chunks, gaps: s.gaps,"
        " errors: s.errors || [], reconnects: s.reconnects, closes: s.closes || [], playbackTime: s.playbackTime, aheadMs: s.aheadMs,"
        " targetMs: s.targetMs, rate: s.rate, firstSoundMs: s.firstSoundMs, resumes: s.resumes || null,"
        " currentTime: a ? a.currentTime : null, paused: a ? a.paused : null,"
        " mediaError: a && a.error ? a.error.code + ' ' + a.error.message : null};"
    )


def text(driver, element_id):
    return driver.find_element(By.ID, element_id).text


def check_stream_list(driver, base, stream):
    driver.get(base + "/")
    check("Wavecast" in driver.title, f"the page at / has title {driver.title!r}")
    WebDriverWait(driver, 10, 0.2).until(
        lambda d: any(link.text == stream for link in d.find_elements(By.CSS_SELECTOR, "#streams a.name")),
        message=f"stream {stream!r} in the list at /",
    )
    link = driver.find_element(By.CSS_SELECTOR, "#streams a.name")
    check(link.get_attribute("href").endswith(f"?stream={stream}"), f"the list links to ?stream={stream}")
    note(f"the stream list at / shows {stream!r}")
    # The page, its stylesheet, scripts and icon load without a console error (a missing favicon was one).
    errors = [entry.get("message", "") for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
    check(not errors, f"console errors on load: {errors}")
    icon = driver.execute_script(
        "return fetch('/favicon.ico').then(r => r.status + ' ' + r.headers.get('content-type'))"
    )
    check(icon == "200 image/svg+xml", f"/favicon.ico answered {icon!r}")
    note("the page loaded with no console error; /favicon.ico is its SVG icon")


def check_playback(driver, base, stream, fallback):
    suffix = "&path=webaudio" if fallback else ""
    driver.get(f"{base}/?stream={stream}&autoplay=1{suffix}")
    clock = "playbackTime" if fallback else "currentTime"
    label = "Web Audio fallback" if fallback else "MediaSource"

    def started(d):
        s = state(d)
        check(not s["errors"] and not s["mediaError"], f"{label}: the page reports errors: {s}")
        return (s[clock] or 0) > 0.2

    WebDriverWait(driver, 15, 0.2, ignored_exceptions=()).until(started, message=f"{label}: playback to start")
    first = state(driver)
    first_chunks_text = text(driver, "s-chunks")
    check(first["path"] == ("webaudio" if fallback else "mse"), f"{label}: path is {first['path']!r}")
    start_wall = time.monotonic()
    samples = [(0.0, first[clock])]
    while time.monotonic() - start_wall < PLAY_SECONDS + 0.5:
        time.sleep(0.5)
        s = state(driver)
        check(not s["errors"], f"{label}: the page reports errors: {s['errors']}")
        check(not s["mediaError"], f"{label}: the <audio> element has an error: {s['mediaError']}")
        samples.append((time.monotonic() - start_wall, s[clock]))
    last = state(driver)
    wall = samples[-1][0]
    advanced = samples[-1][1] - samples[0][1]
    stalls = sum(1 for (_, a), (_, b) in zip(samples, samples[1:]) if b <= a)
    note(
        f"{label}: {clock} {samples[0][1]:.2f} s -> {samples[-1][1]:.2f} s over {wall:.1f} s of wall time; "
        f"chunks {first['chunks']} -> {last['chunks']}, buffer ahead {last['aheadMs'] or 0:.0f} ms, "
        f"gaps {last['gaps']}, connection {last['connection']}"
    )
    check(advanced >= PLAY_SECONDS * 0.9, f"{label}: {clock} advanced only {advanced:.2f} s in {wall:.1f} s")
    check(advanced <= wall + 1.5, f"{label}: {clock} advanced {advanced:.2f} s in {wall:.1f} s (faster than real time)")
    check(stalls == 0, f"{label}: {clock} stood still in {stalls} of {len(samples) - 1} half-second samples")
    check(last["chunks"] > first["chunks"], f"{label}: the chunk counter did not grow")
    check(text(driver, "stream-title") == stream, f"{label}: the page's title shows {text(driver, 'stream-title')!r}")
    shown = text(driver, "s-chunks")
    check(
        int(shown.replace(",", "")) > int(first_chunks_text.replace(",", "")),
        f"{label}: the page's chunk counter went from {first_chunks_text} to {shown}",
    )
    check(last["connection"] == "live", f"{label}: connection is {last['connection']!r}")


def check_click_to_play(driver, base, stream):
    driver.get(f"{base}/?stream={stream}")
    button = WebDriverWait(driver, 10, 0.2).until(
        lambda d: d.find_element(By.ID, "play-button") if d.find_element(By.ID, "play-button").is_displayed() else None,
        message="a 'Click to play' button without autoplay=1",
    )
    check(button.text == "Click to play", f"the button says {button.text!r}")
    check(state(driver)["chunks"] == 0, "the page fetched audio before the click")
    button.click()
    WebDriverWait(driver, 15, 0.2).until(
        lambda d: (state(d)["currentTime"] or 0) > 1.0, message="playback after clicking 'Click to play'"
    )
    note("without autoplay=1: 'Click to play' shown, and a click starts playback")


def check_reconnect(driver, restart_command, fresh_page=None):
    if fresh_page:
        # A fresh page (URL), playing and connected: the page check_background thawed has just reconnected itself
        # (its socket died while frozen, close 1006), and a restart measured on top of that catch-up measured both.
        driver.get(fresh_page)
        WebDriverWait(driver, 20, 0.2).until(
            lambda d: (state(d)["currentTime"] or 0) > 1.5 and state(d)["connection"] == "live",
            message="playback before the gateway restart",
        )
    before = state(driver)
    subprocess.run(restart_command, shell=True, check=True, timeout=30)
    restarted = time.monotonic()

    def reconnected(d):
        s = state(d)
        check(not s["errors"] and not s["mediaError"], f"reconnect: the page reports errors: {s}")
        return s["reconnects"] >= 1 and s["connection"] == "live" and s["chunks"] > before["chunks"] + 3

    WebDriverWait(driver, 20, 0.2, ignored_exceptions=()).until(reconnected, message="the page to reconnect")
    after = state(driver)
    live_after = time.monotonic() - restarted
    time.sleep(3)
    later = state(driver)
    advanced = later["currentTime"] - after["currentTime"]
    note(
        f"gateway restarted: close codes {after['closes']}, live again {live_after:.1f} s after the new gateway started "
        f"({after['reconnects']} reconnect(s)); currentTime advanced {advanced:.2f} s in the next 3 s, "
        f"gaps {later['gaps']}, buffer ahead {later['aheadMs'] or 0:.0f} ms"
    )
    # The closes since the restart (a page may have lost a connection before, e.g. while frozen).
    closes = after["closes"][len(before["closes"]):]
    check(closes[:1] == [1001], f"reconnect: the gateway's SIGTERM closed with {closes[:1]}, not 1001")
    check(advanced >= 2.5, f"reconnect: currentTime advanced only {advanced:.2f} s in 3 s after reconnecting")
    # No burst of stale audio: the page starts again at its live-edge target.
    check((later["aheadMs"] or 0) <= (later["targetMs"] or 400) + MAX_OVER_TARGET_AFTER_RECONNECT_MS,
          f"reconnect: {later['aheadMs']:.0f} ms buffered ahead; the target is {later['targetMs']} ms")
    check(not later["errors"] and not later["mediaError"], f"reconnect: errors {later['errors']} {later['mediaError']}")
    # The page reconnected with ?resume= and was told what became of it (the restarted gateway kept nothing, so
    # it is not recovered: a fresh burst follows).
    resumes = later["resumes"] or {}
    note(f"resume after the restart: {resumes}")
    check(sum(resumes.values()) >= 1, f"reconnect: the page was not answered a resume ({resumes})")


def check_background(driver, base, stream):
    """Freezes the page for 4 s, as a browser does to a background tab (Chromium's Page Lifecycle, over CDP),
    then lets it resume: it must play on within a few seconds, from the live edge, not through the stale audio
    that piled up meanwhile."""
    driver.get(f"{base}/?stream={stream}&autoplay=1")
    WebDriverWait(driver, 20, 0.2).until(lambda d: (state(d)["currentTime"] or 0) > 1, message="playback before the freeze")
    frozen_at = state(driver)["currentTime"]
    driver.execute_cdp_cmd("Page.setWebLifecycleState", {"state": "frozen"})
    time.sleep(4)
    driver.execute_cdp_cmd("Page.setWebLifecycleState", {"state": "active"})
    resumed = time.monotonic()

    def playing_on(d):
        s = state(d)
        # Played on (past where it froze, plus the stale audio it skipped) and back at the live edge.
        return not s["paused"] and s["currentTime"] > frozen_at + 1 \
            and (s["aheadMs"] or 0) <= (s["targetMs"] or 400) + 300

    WebDriverWait(driver, 10, 0.2).until(playing_on, message="the page to play on from the live edge after a freeze")
    playing_after = time.monotonic() - resumed
    first = state(driver)
    time.sleep(2)
    later = state(driver)
    advanced = later["currentTime"] - first["currentTime"]
    note(f"frozen 4 s (a background tab): playing again {playing_after:.1f} s after resuming, "
         f"{later['aheadMs'] or 0:.0f} ms ahead; currentTime advanced {advanced:.2f} s in the next 2 s")
    # Without the page's resume it stays paused (0 s). After a freeze Chromium's element can run slow for a few
    # seconds while the page skips back to the live edge (the log shows rate and skip cycles), hence 1 s, not 2.
    check(advanced >= 1.0, f"after the freeze: currentTime advanced only {advanced:.2f} s in 2 s")
    check(not later["errors"] and not later["mediaError"], f"after the freeze: errors {later['errors']}")


def check_heard(base, stream, seconds=8.0):
    """Plays `stream` (a steady tone) in an unmuted Chromium whose sound card is a PulseAudio null sink, records
    it, and checks that a listener hears no seam; prints the time to first sound and the settled latency."""
    runtime = tempfile.mkdtemp(prefix="wavecast-pulse-")
    environment = None
    try:
        environment = start_pulseaudio(runtime)
        driver = make_driver(environment)
        recording_path = os.path.join(runtime, "heard.raw")
        recorder = start_recording(environment, recording_path)
        try:
            driver.get(f"{base}/?stream={stream}&autoplay=1")
            WebDriverWait(driver, 20, 0.2).until(
                lambda d: (state(d)["chunks"] or 0) > 10 and (state(d)["currentTime"] or 0) > 0.5,
                message="Chromium playing the tone",
            )
            before = state(driver)
            started = time.monotonic()
            time.sleep(seconds)
            after = state(driver)
            wall = time.monotonic() - started
        finally:
            recording = stop_recording(recorder, recording_path)
            driver.quit()
        share, gap_ms, level, steady_seconds, click_count = judge(recording)
        advanced = after["currentTime"] - before["currentTime"]
        note(f"Chromium, heard ({after['path']}): played {advanced:.2f} s in {wall:.2f} s; {100 * share:.1f} % of "
             f"10 ms windows near silence, longest quiet run {gap_ms} ms (tone level {level:.0f})")
        note(f"first sound {after['firstSoundMs']} ms after navigation began; buffered latency settled at "
             f"{after['aheadMs'] or 0:.0f} ms (target {after['targetMs']} ms, playback rate {after['rate']})")
        print(f"chromium_figures path={after['path']} first_sound_ms={after['firstSoundMs']} "
              f"settled_ahead_ms={after['aheadMs'] or 0:.0f} target_ms={after['targetMs']} "
              f"quiet_pct={100 * share:.1f} longest_gap_ms={gap_ms} clicks={click_count}", flush=True)
        check(not after["errors"], f"page errors: {after['errors']}")
        check(advanced >= wall * 0.8, f"playback advanced {advanced:.2f} s in {wall:.2f} s")
        check(steady_seconds >= seconds - 3, f"heard only {steady_seconds:.2f} s of steady tone")
        check(share <= MAX_QUIET_SHARE, f"{100 * share:.1f} % of windows near silence")
        check(gap_ms <= MAX_GAP_MS, f"a quiet run of {gap_ms} ms")
        check(click_count <= MAX_CLICKS, f"{click_count} clicks in the recording")
        check((after["aheadMs"] or 0) <= after["targetMs"] + MAX_OVER_TARGET_MS,
              f"{after['aheadMs']:.0f} ms buffered ahead; the target is {after['targetMs']} ms")
    except ListeningError as error:
        raise Failure(str(error))
    finally:
        if environment:
            stop_pulseaudio(environment)
        shutil.rmtree(runtime, ignore_errors=True)


def check_clear_heard(base, ingest, stream="barge"):
    """Barge-in as a listener hears it: a live tone plays in an unmuted Chromium, recorded from its sound device; a
    `clear` is sent to the encoder; the time from the request to the last tone sample heard is measured (the
    issue's budget: 150 ms). The recording grows in real time while the page plays, so the tone heard after the
    request is the recording's growth past the request's moment, up to its last loud window."""
    import numpy
    import zmq
    context = zmq.Context()
    feeder = context.socket(zmq.DEALER)
    feeder.connect(ingest)

    def ask(header, payload=None):
        feeder.send_multipart([b"", json.dumps(header).encode()] + ([payload] if payload else []))
        if not feeder.poll(5000):
            raise Failure(f"the encoder did not answer {header['op']}")
        return json.loads(feeder.recv_multipart()[-1])

    rate = 16000
    tone = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(rate * 10))
    runtime = tempfile.mkdtemp(prefix="wavecast-pulse-")
    environment = None
    try:
        check(ask({"op": "open", "stream": stream, "sample_rate": rate, "channels": 1}).get("ok"), "open for barge-in")
        environment = start_pulseaudio(runtime)
        driver = make_driver(environment)
        path = os.path.join(runtime, "barge.raw")
        recorder = start_recording(environment, path)
        try:
            driver.get(f"{base}/?stream={stream}&autoplay=1")
            # The page listens before the bot speaks, as a caller would: it gets every mark.
            WebDriverWait(driver, 20, 0.05).until(
                lambda d: state(d)["connection"] == "waiting", message="the page connected, waiting for audio"
            )
            # A mark after the first second, which the page echoes when it has played it, and one at the end,
            # which the clear cuts.
            check(ask({"op": "pcm", "stream": stream}, tone[: rate * 2]).get("ok"), "a second of tone")
            check(ask({"op": "mark", "stream": stream, "name": "first-second"}).get("ok"), "the first mark")
            check(ask({"op": "pcm", "stream": stream}, tone[rate * 2:]).get("ok"), "nine more seconds of tone")
            check(ask({"op": "mark", "stream": stream, "name": "end"}).get("ok"), "the last mark")
            # Two seconds of the tone heard (the recording grows only while the page plays).
            WebDriverWait(driver, 20, 0.05).until(
                lambda _: os.path.exists(path) and os.path.getsize(path) >= 2 * rate * 2,
                message="Chromium playing the tone for 2 s before the clear",
            )
            heard_before = os.path.getsize(path) // 2
            asked = time.time()
            check(ask({"op": "clear", "stream": stream}).get("cleared"), "the clear")
            time.sleep(1.5)
            page = driver.execute_script("return window.wavecast.lastClearAt || null")
        finally:
            recording = stop_recording(recorder, path)
            driver.quit()
        samples = numpy.frombuffer(recording, dtype="<i2").astype(numpy.float64)
        windows = samples[: len(samples) // 160 * 160].reshape(-1, 160)   # 10 ms at 16 kHz
        loud = numpy.flatnonzero(numpy.sqrt((windows ** 2).mean(axis=1)) > 1000)
        check(len(loud) > 100, f"the tone was not heard before the clear ({len(samples) / rate:.2f} s recorded, "
              f"{len(loud)} loud windows, {heard_before / rate:.2f} s before the request, peak {abs(samples).max() if len(samples) else 0})")
        check(page is not None, "the page never got the clear")
        marks = {m["name"]: m for m in ask({"op": "marks", "stream": stream}).get("marks", [])}
        note(f"marks: the page echoed {marks.get('first-second', {}).get('echoed')} of 'first-second' "
             f"({marks.get('first-second', {}).get('state')}); 'end' is {marks.get('end', {}).get('state')}")
        check(marks.get("first-second", {}).get("state") == "played", f"the page did not echo the mark: {marks}")
        check(marks.get("end", {}).get("state") == "cleared", f"the cut mark is not reported cleared: {marks}")
        last_tone = (int(loud[-1]) + 1) * 160
        to_silence_ms = (last_tone - heard_before) / rate * 1000
        to_page_ms = page - asked * 1000
        note(f"barge-in heard in Chromium: the clear reached the page {to_page_ms:.1f} ms after the request; the last "
             f"tone sample played {to_silence_ms:.0f} ms after it")
        print(f"clear_figures to_page_ms={to_page_ms:.1f} to_silence_ms={to_silence_ms:.0f}", flush=True)
        # The budget is 150 ms; a loaded 2-core machine gets room on top (the figure is printed and kept).
        check(to_silence_ms < 400, f"the tone went on {to_silence_ms:.0f} ms after the clear was asked for")
    except ListeningError as error:
        raise Failure(str(error))
    finally:
        try:
            ask({"op": "stop", "stream": stream})
        finally:
            feeder.close(linger=0)
            context.term()
            if environment:
                stop_pulseaudio(environment)
            shutil.rmtree(runtime, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the gateway's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--stream", default="demo")
    parser.add_argument("--screenshot", default="artifacts/player.png")
    parser.add_argument("--restart-gateway", help="a shell command that restarts the gateway on the same port")
    parser.add_argument("--tone-stream", help="a stream playing a steady tone: recorded as Chromium plays it")
    parser.add_argument("--ingest", help="the encoder's ingest endpoint: barge-in is measured as Chromium plays")
    arguments = parser.parse_args()

    started = time.monotonic()
    # A SIGTERM (scripts/test-browser's timeout) still quits the browser, through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    driver = make_driver()
    try:
        check_stream_list(driver, arguments.base, arguments.stream)
        check_click_to_play(driver, arguments.base, arguments.stream)
        check_playback(driver, arguments.base, arguments.stream, fallback=True)
        check_playback(driver, arguments.base, arguments.stream, fallback=False)
        check_background(driver, arguments.base, arguments.stream)
        if arguments.restart_gateway:
            check_reconnect(
                driver, arguments.restart_gateway, fresh_page=f"{arguments.base}/?stream={arguments.stream}&autoplay=1"
            )
        driver.save_screenshot(arguments.screenshot)
        note(f"screenshot: {arguments.screenshot}")
        if arguments.tone_stream:
            try:
                check_heard(arguments.base, arguments.tone_stream)
            except Failure as first:
                # A seam a regression makes comes back in every recording; one a starved sound device makes
                # (Chromium's audio thread and PulseAudio share 2 cores with whatever else runs) does not. So
                # one failed recording is reported with the load it had and recorded again; two fail the run.
                load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
                note(f"the first recording failed ({first}) with load averages {load}: recording again")
                check_heard(arguments.base, arguments.tone_stream)
        if arguments.ingest:
            check_clear_heard(arguments.base, arguments.ingest)
    except Exception as error:
        try:
            driver.save_screenshot(arguments.screenshot)
            note(f"screenshot of the failure: {arguments.screenshot}")
            for entry in driver.get_log("browser")[-20:]:
                note(f"console: {entry.get('level')} {entry.get('message')}")
        except Exception:
            pass
        print(f"player_test: FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        driver.quit()
    note(f"browser checks passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
