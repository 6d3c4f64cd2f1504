"""Live notes: the y-websocket wire protocol (lib0 encoding, y-protocols message types), the Yjs update walker
(which client ids an update writes under, what it needs to be integrated) and presence (awareness) messages.
No database, no Django: the frames as they cross the socket."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

import pycrdt

# --- wire protocol (lib0 encoding, y-protocols message types) ------------------------------------------------
MSG_SYNC, MSG_AWARENESS, MSG_AUTH, MSG_QUERY_AWARENESS = 0, 1, 2, 3
SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE = 0, 1, 2
MAX_FRAME = 1024 * 1024
MAX_AWARENESS_STATE = 16 * 1024
MAX_AWARENESS_DEPTH = 16  # nesting of a presence state's JSON (y-prosemirror's cursor needs 4)
EMPTY_UPDATE = b"\x00\x00"
#: Websocket close code: the meeting's notes became read-only (closed or signed) and this connection's edits are
#: no longer stored. A client should stop reconnecting and stop accepting input.
CLOSE_NOTES_CLOSED = 4409


class ProtocolError(ValueError):
    """A frame that is not a well-formed y-websocket message; the connection is closed, nothing is applied."""


def read_var_uint(buf: bytes, pos: int) -> tuple[int, int]:
    # Most numbers of an update (lengths, clocks, counts) fit one byte: that case first. The walkers read some 30
    # per keystroke; this function was the worker's busiest (bench/notes_clients.py under a profiler).
    if pos < len(buf) and buf[pos] < 0x80:
        return buf[pos], pos + 1
    value, shift = 0, 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ProtocolError("truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def read_var_bytes(buf: bytes, pos: int) -> tuple[bytes, int]:
    length, pos = read_var_uint(buf, pos)
    end = pos + length
    if end > len(buf):
        raise ProtocolError("truncated payload")
    return bytes(buf[pos:end]), end


write_var_uint = pycrdt.write_var_uint


def var_bytes(data: bytes) -> bytes:
    return write_var_uint(len(data)) + data


def sync_message(kind: int, payload: bytes) -> bytes:
    return bytes([MSG_SYNC, kind]) + var_bytes(payload)


def awareness_message(payload: bytes) -> bytes:
    return bytes([MSG_AWARENESS]) + var_bytes(payload)


@dataclass(frozen=True)
class Frame:
    kind: int  # MSG_*
    sync: int | None = None  # SYNC_* for MSG_SYNC
    payload: bytes = b""


def parse_frame(data: bytes) -> Frame:
    """One y-websocket message per websocket frame, consumed exactly; anything else is a ProtocolError."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise ProtocolError("empty frame")
    kind, pos = read_var_uint(data, 0)
    if kind == MSG_SYNC:
        sync, pos = read_var_uint(data, pos)
        if sync not in (SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE):
            raise ProtocolError("unknown sync message")
        payload, pos = read_var_bytes(data, pos)
        frame = Frame(kind, sync, payload)
    elif kind == MSG_AWARENESS:
        payload, pos = read_var_bytes(data, pos)
        frame = Frame(kind, None, payload)
    elif kind == MSG_QUERY_AWARENESS:
        frame = Frame(kind)
    elif kind == MSG_AUTH:
        return Frame(kind)  # clients never need to send it; it is ignored whole
    else:
        raise ProtocolError("unknown message type")
    if pos != len(data):
        raise ProtocolError("trailing bytes")
    return frame


def decode_state_vector(sv: bytes) -> dict[int, int]:
    count, pos = read_var_uint(sv, 0)
    if count > 100_000:
        raise ProtocolError("state vector too long")
    clocks = {}
    for _ in range(count):
        client, pos = read_var_uint(sv, pos)
        clock, pos = read_var_uint(sv, pos)
        clocks[client] = clock
    if pos != len(sv):
        raise ProtocolError("trailing bytes in state vector")
    return clocks


def _read_string(buf: bytes, pos: int) -> int:
    _data, pos = read_var_bytes(buf, pos)
    return pos


def _skip_any(buf: bytes, pos: int, depth: int = 0) -> int:
    """Skip one lib0 ``writeAny`` value."""
    if depth > 64 or pos >= len(buf):
        raise ProtocolError("bad value")
    tag = buf[pos]
    pos += 1
    if tag in (127, 126, 121, 120):
        return pos
    if tag == 125:
        _v, pos = read_var_uint(buf, pos)
        return pos
    if tag in (124, 123, 122):
        pos += {124: 4, 123: 8, 122: 8}[tag]
        if pos > len(buf):
            raise ProtocolError("truncated value")
        return pos
    if tag in (119, 116):
        return _read_string(buf, pos)
    if tag == 118:
        count, pos = read_var_uint(buf, pos)
        for _ in range(count):
            pos = _skip_any(buf, _read_string(buf, pos), depth + 1)
        return pos
    if tag == 117:
        count, pos = read_var_uint(buf, pos)
        for _ in range(count):
            pos = _skip_any(buf, pos, depth + 1)
        return pos
    raise ProtocolError("bad value tag")


def _skip_struct(buf: bytes, pos: int) -> int:
    return _struct(buf, pos)[0]


def _struct(buf: bytes, pos: int) -> tuple[int, int, bool]:
    """Read one struct of a Yjs v1 update (GC, Skip or Item with its content): where the next begins, how many
    clock ticks it covers, and whether it is a Skip (a gap, not content)."""
    info = buf[pos]
    pos += 1
    ref = info & 0x1F
    if ref in (0, 10):  # GC, Skip
        length, pos = read_var_uint(buf, pos)
        return pos, length, ref == 10
    length = 1
    if info & 0x80:
        pos = read_var_uint(buf, read_var_uint(buf, pos)[1])[1]
    if info & 0x40:
        pos = read_var_uint(buf, read_var_uint(buf, pos)[1])[1]
    if not info & 0xC0:
        parent_is_key, pos = read_var_uint(buf, pos)
        if parent_is_key == 1:
            pos = _read_string(buf, pos)
        else:
            pos = read_var_uint(buf, read_var_uint(buf, pos)[1])[1]
        if info & 0x20:
            pos = _read_string(buf, pos)
    if ref == 1:  # deleted
        length, pos = read_var_uint(buf, pos)
    elif ref == 2:  # JSON
        length, pos = read_var_uint(buf, pos)
        for _ in range(length):
            pos = _read_string(buf, pos)
    elif ref == 4:  # string: its length in UTF-16 code units, as Yjs counts
        text, pos = read_var_bytes(buf, pos)
        try:
            length = len(text.decode("utf-8", "surrogatepass").encode("utf-16-le", "surrogatepass")) // 2
        except UnicodeError as exc:
            raise ProtocolError("bad string") from exc
    elif ref in (3, 5):  # binary, embed
        pos = _read_string(buf, pos)
    elif ref == 6:  # format
        pos = _read_string(buf, _read_string(buf, pos))
    elif ref == 7:  # type
        type_ref, pos = read_var_uint(buf, pos)
        if type_ref in (3, 5):
            pos = _read_string(buf, pos)
    elif ref == 8:  # any
        length, pos = read_var_uint(buf, pos)
        for _ in range(length):
            pos = _skip_any(buf, pos)
    elif ref == 9:  # subdocument
        pos = _skip_any(buf, _read_string(buf, pos))
    else:
        raise ProtocolError("unknown content")
    return pos, length, False


def _walk_blocks(update: bytes) -> tuple[list[tuple[int, int, int, int]], int]:
    """The client blocks of a v1 update as (client, struct count, start, end) byte ranges, and where the delete
    set begins. pycrdt decodes the whole update first, which is the validity check."""
    try:
        pycrdt.get_state(update)
    except BaseException as exc:  # pycrdt raises ValueError, or a Rust panic for some garbage
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise ProtocolError("malformed update") from exc
    try:
        count_blocks, pos = read_var_uint(update, 0)
        blocks = []
        for _ in range(count_blocks):
            start = pos
            count, pos = read_var_uint(update, pos)
            client, pos = read_var_uint(update, pos)
            _clock, pos = read_var_uint(update, pos)
            for _ in range(count):
                pos = _skip_struct(update, pos)
            blocks.append((client, count, start, pos))
    except IndexError as exc:
        raise ProtocolError("truncated update") from exc
    return blocks, pos


def update_needs(update: bytes) -> dict[int, int]:
    """Per client, the clock a document must have reached for everything in the update (its content and the
    items its deletions name) to be integrated: a document whose state vector covers this holds all of it."""
    try:
        count_blocks, pos = read_var_uint(update, 0)
        needs: dict[int, int] = {}
        for _ in range(count_blocks):
            count, pos = read_var_uint(update, pos)
            client, pos = read_var_uint(update, pos)
            clock, pos = read_var_uint(update, pos)
            for _ in range(count):
                pos, length, skip = _struct(update, pos)
                clock += length
                if not skip:
                    needs[client] = max(needs.get(client, 0), clock)
        count_clients, pos = read_var_uint(update, pos)
        for _ in range(count_clients):
            client, pos = read_var_uint(update, pos)
            ranges, pos = read_var_uint(update, pos)
            for _ in range(ranges):
                clock, pos = read_var_uint(update, pos)
                length, pos = read_var_uint(update, pos)
                needs[client] = max(needs.get(client, 0), clock + length)
    except IndexError as exc:
        raise ProtocolError("truncated update") from exc
    return needs


Ranges = dict[int, list[tuple[int, int]]]


def update_ranges(update: bytes) -> tuple[Ranges, Ranges, int]:
    """What an update holds, by Yjs identity: per client, the clock ranges ``[start, end)`` of its structs (items
    and GCs; Skips are gaps) and of its delete set, each sorted and merged, and where the delete set begins. Two
    updates hold the same edit exactly when these overlap, whatever else either carries."""
    try:
        count_blocks, pos = read_var_uint(update, 0)
        items: Ranges = {}
        for _ in range(count_blocks):
            count, pos = read_var_uint(update, pos)
            client, pos = read_var_uint(update, pos)
            clock, pos = read_var_uint(update, pos)
            for _ in range(count):
                pos, length, skip = _struct(update, pos)
                if not skip and length:
                    _add_range(items.setdefault(client, []), clock, clock + length)
                clock += length
        end = pos
        deleted: Ranges = {}
        count_clients, pos = read_var_uint(update, pos)
        for _ in range(count_clients):
            client, pos = read_var_uint(update, pos)
            count, pos = read_var_uint(update, pos)
            for _ in range(count):
                clock, pos = read_var_uint(update, pos)
                length, pos = read_var_uint(update, pos)
                if length:
                    _add_range(deleted.setdefault(client, []), clock, clock + length)
    except IndexError as exc:
        raise ProtocolError("truncated update") from exc
    for ranges in (*items.values(), *deleted.values()):
        ranges[:] = merge_ranges(ranges)
    return items, deleted, end


def _add_range(ranges: list[tuple[int, int]], start: int, end: int) -> None:
    if ranges and ranges[-1][1] == start:
        ranges[-1] = (ranges[-1][0], end)
    else:
        ranges.append((start, end))


def merge_ranges(ranges) -> list[tuple[int, int]]:
    """Sorted, overlapping and touching ranges joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((s, e) for s, e in ranges if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract_ranges(ranges, taken) -> list[tuple[int, int]]:
    """The parts of sorted, merged ``ranges`` that sorted, merged ``taken`` does not cover."""
    left: list[tuple[int, int]] = []
    i = 0
    for start, end in ranges:
        while i < len(taken) and taken[i][1] <= start:
            i += 1
        j = i
        while start < end:
            if j >= len(taken) or taken[j][0] >= end:
                left.append((start, end))
                break
            if taken[j][0] > start:
                left.append((start, taken[j][0]))
            start = max(start, taken[j][1])
            j += 1
    return left


def covered_upto(taken, start: int, end: int) -> int:
    """How far from ``start`` (up to ``end``) sorted, merged ``taken`` covers without a gap."""
    for s, e in taken:
        if s <= start < e:
            return min(end, e)
    return start


def _content_start(buf: bytes, pos: int) -> int:
    """Where the content of the Item struct at ``pos`` begins (after its info byte, origins and parent)."""
    info = buf[pos]
    pos += 1
    if info & 0x80:
        pos = read_var_uint(buf, read_var_uint(buf, pos)[1])[1]
    if info & 0x40:
        pos = read_var_uint(buf, read_var_uint(buf, pos)[1])[1]
    if not info & 0xC0:
        parent_is_key, pos = read_var_uint(buf, pos)
        pos = _read_string(buf, pos) if parent_is_key == 1 else read_var_uint(buf, read_var_uint(buf, pos)[1])[1]
        if info & 0x20:
            pos = _read_string(buf, pos)
    return pos


def _left_part(buf: bytes, start: int, keep: int) -> bytes | None:
    """The struct at ``start`` cut to its first ``keep`` clock ticks (a Yjs split keeps the left part's origins),
    or None when its content cannot be cut there (a UTF-16 surrogate pair)."""
    ref = buf[start] & 0x1F
    if ref in (0, 10):
        return bytes([buf[start]]) + write_var_uint(keep)
    pos = _content_start(buf, start)
    head = buf[start:pos]
    if ref == 1:
        return head + write_var_uint(keep)
    if ref == 2:
        _n, p = read_var_uint(buf, pos)
        first = p
        for _ in range(keep):
            p = _read_string(buf, p)
        return head + write_var_uint(keep) + buf[first:p]
    if ref == 4:
        text, _p = read_var_bytes(buf, pos)
        units = text.decode("utf-8", "surrogatepass").encode("utf-16-le", "surrogatepass")
        if 0xD800 <= int.from_bytes(units[2 * keep - 2:2 * keep], "little") < 0xDC00:
            return None  # would split a surrogate pair
        return head + var_bytes(units[:2 * keep].decode("utf-16-le", "surrogatepass").encode("utf-8", "surrogatepass"))
    if ref == 8:
        _n, p = read_var_uint(buf, pos)
        first = p
        for _ in range(keep):
            p = _skip_any(buf, p)
        return head + write_var_uint(keep) + buf[first:p]
    return None


def before_clock(update: bytes, client: int, upto: int) -> bytes:
    """The update with ``client``'s structs cut off at clock ``upto`` (the structs before it kept, one that spans it
    cut); other clients and the delete set unchanged. The counterpart of a state-vector diff, which cuts below."""
    count_blocks, pos = read_var_uint(update, 0)
    blocks = []
    for _ in range(count_blocks):
        start = pos
        count, pos = read_var_uint(update, pos)
        block_client, pos = read_var_uint(update, pos)
        first, pos = read_var_uint(update, pos)
        clock = first
        kept: list[bytes] = []
        for _ in range(count):
            begin = pos
            pos, length, _skip = _struct(update, pos)
            if block_client != client or clock + length <= upto:
                kept.append(update[begin:pos])
            elif clock < upto:
                part = _left_part(update, begin, upto - clock)
                kept.append(update[begin:pos] if part is None else part)
            clock += length
        if block_client != client:
            blocks.append(update[start:pos])
        elif kept:
            blocks.append(write_var_uint(len(kept)) + write_var_uint(client) + write_var_uint(first) + b"".join(kept))
    return write_var_uint(len(blocks)) + b"".join(blocks) + update[pos:]


def encode_state_vector(sv: dict[int, int]) -> bytes:
    return write_var_uint(len(sv)) + b"".join(write_var_uint(c) + write_var_uint(k) for c, k in sv.items())


def with_delete_set(update: bytes, end: int, deleted: Ranges) -> bytes:
    """The update's structs (up to ``end``, where its delete set begins) with ``deleted`` as its delete set."""
    parts = [write_var_uint(len(deleted))]
    for client, ranges in deleted.items():
        parts.append(write_var_uint(client) + write_var_uint(len(ranges)))
        parts.extend(write_var_uint(s) + write_var_uint(e - s) for s, e in ranges)
    return update[:end] + b"".join(parts)


def update_clients(update: bytes) -> set[int]:
    """Client ids whose content the update inserts (deletions may touch anyone's)."""
    blocks, _end = _walk_blocks(update)
    return {client for client, count, _s, _e in blocks if count}


def without_clients(update: bytes, foreign: set[int]) -> bytes:
    """The update minus the content inserted under ``foreign`` client ids; its deletions are kept whole (any
    editor may delete anyone's text). Content of the remaining clients that depends on a dropped part stays
    pending in the receiving document, exactly as if the dropped part had not arrived yet."""
    blocks, end = _walk_blocks(update)
    kept = [update[s:e] for client, _c, s, e in blocks if client not in foreign]
    return write_var_uint(len(kept)) + b"".join(kept) + update[end:]


@dataclass
class AwarenessEntry:
    client_id: int
    clock: int
    state: dict | None

    @cached_property
    def encoded(self) -> bytes:
        """This entry as it stands in an awareness update (client id, clock, JSON state), encoded once: the same
        entry goes to the room's sockets, to the other processes and into every joiner's snapshot."""
        raw = json.dumps(self.state, ensure_ascii=False, separators=(",", ":")).encode()
        return write_var_uint(self.client_id) + write_var_uint(self.clock) + var_bytes(raw)


def _json_depth(value) -> int:
    """Nesting depth of decoded JSON, without recursion (the value came from a client)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


#: A client speaks for itself (a few states at most); another process's room relays all of its clients' at once.
MAX_CLIENT_AWARENESS_ENTRIES = 64


def parse_awareness(payload: bytes, max_entries: int | None = MAX_CLIENT_AWARENESS_ENTRIES) -> list[AwarenessEntry]:
    count, pos = read_var_uint(payload, 0)
    if max_entries is not None and count > max_entries:
        raise ProtocolError("too many awareness entries")
    entries = []
    for _ in range(count):
        client_id, pos = read_var_uint(payload, pos)
        clock, pos = read_var_uint(payload, pos)
        raw, pos = read_var_bytes(payload, pos)
        if len(raw) > MAX_AWARENESS_STATE:
            raise ProtocolError("awareness state too large")
        try:
            state = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ProtocolError("awareness state is not JSON") from exc
        if state is not None and not isinstance(state, dict):
            raise ProtocolError("awareness state is not an object")
        if state is not None and _json_depth(state) > MAX_AWARENESS_DEPTH:
            raise ProtocolError("awareness state nested too deeply")
        entries.append(AwarenessEntry(client_id, clock, state))
    if pos != len(payload):
        raise ProtocolError("trailing bytes in awareness update")
    return entries


def encode_awareness(entries: list[AwarenessEntry]) -> bytes:
    return write_var_uint(len(entries)) + b"".join(entry.encoded for entry in entries)
