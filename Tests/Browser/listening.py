"""What a browser plays, heard: a private PulseAudio with a null sink as the browser's sound card,
`parec` recording its monitor, and the measures the browser tests judge (shared by player_test.py
for Chromium and firefox_test.py for Firefox)."""

import os
import subprocess
import time

import numpy

RATE = 16000              # the recording's sample rate
WINDOW = RATE // 100      # 10 ms
MAX_QUIET_SHARE = 0.02    # the issue measured 18 % with the Web Audio batches
MAX_GAP_MS = 20
MAX_OVER_TARGET_MS = 300  # settled buffered latency may exceed the live-edge target by this much
MAX_OVER_TARGET_AFTER_RECONNECT_MS = 500  # 3 s after a reconnect: still settling, but no stale burst (≥ 1 s)
CLICK_JUMP = 0.5          # a jump between samples of more than this × the tone's RMS is a click
MAX_CLICKS = 1            # per recording: a playback-rate change of the catch-up rule makes one on a pure tone




class ListeningError(Exception):
    pass


def start_pulseaudio(runtime):
    """A private PulseAudio with one null sink, in `runtime` (given to Firefox as XDG_RUNTIME_DIR)."""
    environment = dict(os.environ, XDG_RUNTIME_DIR=runtime)
    subprocess.run(
        ["pulseaudio", "-D", "-n", "--exit-idle-time=-1", "--use-pid-file=yes",
         "--load=module-null-sink sink_name=null", "--load=module-native-protocol-unix"],
        env=environment, check=True, timeout=20, capture_output=True,
    )
    deadline = time.monotonic() + 10
    while subprocess.run(["pactl", "info"], env=environment, capture_output=True).returncode != 0:
        if time.monotonic() > deadline:
            raise ListeningError("PulseAudio did not come up in 10 s")
        time.sleep(0.2)
    subprocess.run(["pactl", "set-default-sink", "null"], env=environment, check=True, timeout=10)
    return environment


def stop_pulseaudio(environment):
    subprocess.run(["pulseaudio", "--kill"], env=environment, capture_output=True, timeout=10)



def start_recording(environment, path):
    """Records the null sink's monitor into `path` (s16le mono at RATE) until the process is stopped."""
    return subprocess.Popen(
        ["parec", "-d", "null.monitor", "--format=s16le", f"--rate={RATE}", "--channels=1", "--raw",
         "--latency-msec=10", path],
        env=environment,
    )


def stop_recording(recorder, path):
    recorder.terminate()
    recorder.wait(timeout=10)
    with open(path, "rb") as heard:
        return heard.read()


def quiet_windows(recording):
    """Per 10 ms window of the steady part, whether it is near silence; and the level it is judged against."""
    samples = numpy.frombuffer(recording, dtype="<i2").astype(numpy.float64)
    windows = samples[: len(samples) // WINDOW * WINDOW].reshape(-1, WINDOW)
    rms = numpy.sqrt((windows ** 2).mean(axis=1))
    level = numpy.median(rms)
    return rms < max(level * 0.1, 30), level


def longest_run(flags):
    longest = current = 0
    for flag in flags:
        current = current + 1 if flag else 0
        longest = max(longest, current)
    return longest



def clicks(recording, level):
    """Clicks in a recording of a steady tone: sample-to-sample jumps the tone cannot make (more than CLICK_JUMP ×
    its RMS level: a 440 Hz sine at 16 kHz moves at most 0.25 × its RMS per sample, while a seam — a buffer
    ending mid-wave, or starting from silence — jumps by up to 2.8 ×), jumps within 10 ms counted as one."""
    samples = numpy.frombuffer(recording, dtype="<i2").astype(numpy.float64)
    jumps = numpy.flatnonzero(numpy.abs(numpy.diff(samples)) > CLICK_JUMP * level)
    return int(len(jumps) and 1 + (numpy.diff(jumps) > WINDOW).sum())


def judge(recording):
    """The steady part of a recording of a steady tone: (share of near-silent 10 ms windows, longest quiet run in
    ms, tone level, seconds heard, clicks). PulseAudio's null sink hands parec nothing while nobody plays, so the
    recording starts with the sound; the steady part starts a second after it."""
    quiet, level = quiet_windows(recording)
    sounding = numpy.flatnonzero(~quiet)
    if not len(sounding):
        raise ListeningError(f"nothing heard in {len(recording) / 2 / RATE:.2f} s of recording")
    steady = quiet[int(sounding[0]) + 100:]
    share = float(steady.mean()) if len(steady) else 1.0
    steady_samples = recording[(int(sounding[0]) + 100) * WINDOW * 2:]
    return share, longest_run(steady) * 10, level, len(steady) / 100, clicks(steady_samples, level)
