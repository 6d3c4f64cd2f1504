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


class CapsUnmet(ValueError):
    """The candidates cannot fill the panel within the caps (too few provinces or employers)."""


def pick_capped(candidate_ids, seed: int, principals: int, reserves: int, *, attrs: dict,
                province_cap: int | None, employer_cap: int | None,
                preset: dict | None = None) -> tuple[list[int], list[int]]:
    """(principals, reserves) under caps: at most ``province_cap`` principals per province and at most
    ``employer_cap`` people per employer among principals and reserves together (plus those already on the
    request, ``preset``). The candidates, sorted by id, are permuted once with ``random.Random(seed)`` and walked
    in that order; each is taken if the caps allow. ``attrs`` maps id (int or str) → (province id, employer key).
    Everything comes from the arguments, so a stored draw replays exactly."""
    ordered = sorted(set(candidate_ids))
    order = random.Random(seed).sample(ordered, len(ordered))
    preset = preset or {}
    per_province = {int(k): v for k, v in (preset.get("provinces") or {}).items()}
    per_employer: dict[str, int] = {}
    for key in preset.get("employers") or []:
        per_employer[key] = per_employer.get(key, 0) + 1

    def attr(pk):
        value = attrs.get(pk, attrs.get(str(pk)))
        return int(value[0]), value[1]

    chosen, spare, used = [], [], set()
    for pk in order:
        if len(chosen) == principals:
            break
        province, employer = attr(pk)
        if province_cap is not None and per_province.get(province, 0) >= province_cap:
            continue
        if employer_cap is not None and employer and per_employer.get(employer, 0) >= employer_cap:
            continue
        chosen.append(pk)
        used.add(pk)
        per_province[province] = per_province.get(province, 0) + 1
        if employer:
            per_employer[employer] = per_employer.get(employer, 0) + 1
    for pk in order:
        if len(spare) == reserves:
            break
        if pk in used:
            continue
        _province, employer = attr(pk)
        if employer_cap is not None and employer and per_employer.get(employer, 0) >= employer_cap:
            continue
        spare.append(pk)
        if employer:
            per_employer[employer] = per_employer.get(employer, 0) + 1
    if len(chosen) < principals or len(spare) < reserves:
        raise CapsUnmet(f"only {len(chosen)} principals and {len(spare)} reserves fit the caps")
    return chosen, spare
