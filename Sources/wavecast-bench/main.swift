print("wavecast-bench: not written yet")
