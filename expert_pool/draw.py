"""The random draw itself, free of the database so that it can be replayed and tested in isolation.

The candidate list is sorted by primary key before drawing; ``random.Random(seed)`` is specified to give the same
sequence for the same seed on every platform and Python 3 version, so a stored (seed, candidates) pair replays.
"""
from __future__ import annotations

import random
import secrets


def new_seed() -> int:
    return secrets.randbits(62)


def pick(candidate_ids, seed: int, principals: int, reserves: int) -> tuple[list[int], list[int]]:
    """(principals, reserves) drawn without replacement from the candidates."""
    ordered = sorted(set(candidate_ids))
    wanted = principals + reserves
    if wanted > len(ordered):
        raise ValueError(f"cannot draw {wanted} of {len(ordered)} candidates")
    chosen = random.Random(seed).sample(ordered, wanted)
    return chosen[:principals], chosen[principals:]
