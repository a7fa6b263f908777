"""Rendezvous (highest-random-weight) hashing of a stream over encoders, as docs/DEPLOYMENT.md states it
("Choosing an encoder"): FNV-1a 64 of key + "\\n" + stream, then SplitMix64's finalizer."""

MASK = 2**64 - 1


def weight(key, stream):
    h = 0xCBF29CE484222325
    for byte in (key + "\n" + stream).encode():
        h = ((h ^ byte) * 0x100000001B3) & MASK
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & MASK
    return h ^ (h >> 31)


def rank(stream, encoders):
    """The encoders in the order the stream should try them: its first choice first."""
    return sorted(encoders, key=lambda key: (-weight(key, stream), key))
