"""Rendezvous (highest-random-weight) hashing of a stream over encoders, as docs/DEPLOYMENT.md states it."""
import hashlib


def weight(encoder, stream):
    digest = hashlib.sha256(f"{encoder}\n{stream}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def rank(stream, encoders):
    """The encoders in the order the stream should try them: its first choice first."""
    return sorted(encoders, key=lambda encoder: weight(encoder, stream), reverse=True)
