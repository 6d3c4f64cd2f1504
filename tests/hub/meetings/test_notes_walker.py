"""The update walker (``hub.meetings.protocol``: which client ids an update writes under, how far each client's
clock must reach, the update minus some clients) against Yjs itself, on random documents generated in Node
(tests/hub/meetings/yjs_updates.mjs, the project's yjs): text with formats and embeds, arrays of any JSON and
binary, maps, nested types, XML elements, subdocuments, deletions with and without garbage collection, client
ids past 2^32, and updates that are whole states, single transactions, merges with holes (Skip structs) and
diffs that start in the middle of an item. What Yjs's ``decodeUpdate`` reports is the truth."""
import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hub.meetings import protocol

SCRIPT = Path(__file__).with_name("yjs_updates.mjs")
ROOT = Path(__file__).resolve().parents[3]
SEEDS = [1, 2, 3]
CASES = 200  # per seed

pytestmark = pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")


def node(*args: str, stdin: str | None = None) -> list[dict]:
    done = subprocess.run(["node", str(SCRIPT), *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
                          timeout=120, check=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def walked(update: bytes) -> dict[int, list[tuple[int, int, bool]]]:
    """Every struct as the walker reads it: (clock, length, is a Skip) per client, in order."""
    blocks, _end = protocol._walk_blocks(update)
    found: dict[int, list[tuple[int, int, bool]]] = {}
    for client, count, start, _stop in blocks:
        pos = start
        _count, pos = protocol.read_var_uint(update, pos)
        _client, pos = protocol.read_var_uint(update, pos)
        clock, pos = protocol.read_var_uint(update, pos)
        for _ in range(count):
            pos, length, skip = protocol._struct(update, pos)
            found.setdefault(client, []).append((clock, length, skip))
            clock += length
    return found


def yjs_structs(case: dict) -> dict[int, list[tuple[int, int, bool]]]:
    return {int(c): [(clock, length, skip) for clock, length, skip in structs]
            for c, structs in case["structs"].items()}


def yjs_needs(case: dict) -> dict[int, int]:
    needs: dict[int, int] = {}
    for client, structs in yjs_structs(case).items():
        for clock, length, skip in structs:
            if not skip:
                needs[client] = max(needs.get(client, 0), clock + length)
    for client, ranges in case["ds"].items():
        for clock, length in ranges:
            needs[int(client)] = max(needs.get(int(client), 0), clock + length)
    return needs


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def cases(request):
    return node("generate", str(request.param), str(CASES))


def test_the_generator_covers_what_the_walker_must_read(cases):
    """The property below is only as good as its inputs: holes, deletions and wide client ids all occur."""
    assert len(cases) == CASES
    assert any(skip for c in cases for s in c["structs"].values() for _clock, _len, skip in s)
    assert any(c["ds"] for c in cases)
    assert any(int(client) >= 2**32 for c in cases for client in c["structs"])


def test_the_walker_reads_every_struct_as_yjs_does(cases):
    for case in cases:
        update = base64.b64decode(case["update"])
        assert walked(update) == yjs_structs(case), case["update"]


def test_update_clients_and_needs_agree_with_yjs(cases):
    for case in cases:
        update = base64.b64decode(case["update"])
        assert protocol.update_clients(update) == {int(c) for c in case["structs"]}, case["update"]
        assert protocol.update_needs(update) == yjs_needs(case), case["update"]


def test_without_clients_drops_exactly_their_content_and_keeps_every_deletion(cases):
    inputs, expected = [], []
    for case in cases:
        clients = sorted(int(c) for c in case["structs"])
        if not clients:
            continue
        foreign = {clients[len(clients) // 2]}
        update = base64.b64decode(case["update"])
        inputs.append(base64.b64encode(protocol.without_clients(update, foreign)).decode())
        expected.append(({c: s for c, s in yjs_structs(case).items() if c not in foreign}, case["ds"]))
    decoded = node("decode", stdin="\n".join(inputs) + "\n")
    assert len(decoded) == len(expected)
    for got, (structs, ds) in zip(decoded, expected, strict=True):
        assert yjs_structs(got) == structs, got["update"]
        assert got["ds"] == ds, got["update"]


def test_a_cut_update_is_refused_not_misread(cases):
    for case in cases[:50]:
        update = base64.b64decode(case["update"])
        for cut in (1, len(update) // 2, len(update) - 1):
            if 0 < cut < len(update):
                try:
                    clients = protocol.update_clients(update[:cut])
                except protocol.ProtocolError:
                    continue
                # A prefix that still parses must be one Yjs reads the same way.
                prefix = node("decode", stdin=base64.b64encode(update[:cut]).decode() + "\n")
                assert prefix and clients == {int(c) for c in prefix[0]["structs"]}
