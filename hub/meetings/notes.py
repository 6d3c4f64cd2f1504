"""Live notes: the y-websocket wire protocol, the append-only update log and what the notes say.

The database is the source of truth. Every accepted update becomes a ``NoteUpdate`` row numbered 1, 2, 3… per
meeting under a row lock on the meeting, so numbers have no gaps and any process can tell what it missed.
``NoteSnapshot`` rows hold the merged document after some sequence number (automatic compaction and named
checkpoints); loading a document is "latest snapshot + the rows after it".
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import pycrdt
from django.db import connection, transaction
from django.db.models import Max

from hub.models import Meeting, NoteClient, NoteSnapshot, NoteUpdate

# --- wire protocol (lib0 encoding, y-protocols message types) ------------------------------------------------
MSG_SYNC, MSG_AWARENESS, MSG_AUTH, MSG_QUERY_AWARENESS = 0, 1, 2, 3
SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE = 0, 1, 2
MAX_FRAME = 1024 * 1024
MAX_AWARENESS_STATE = 16 * 1024
MAX_AWARENESS_DEPTH = 16  # nesting of a presence state's JSON (y-prosemirror's cursor needs 4)
EMPTY_UPDATE = b"\x00\x00"
FRAGMENT = "default"  # the XmlFragment Tiptap's Collaboration extension binds to
#: Websocket close code: the meeting's notes became read-only (closed or signed) and this connection's edits are
#: no longer stored. A client should stop reconnecting and stop accepting input.
CLOSE_NOTES_CLOSED = 4409


class ProtocolError(ValueError):
    """A frame that is not a well-formed y-websocket message; the connection is closed, nothing is applied."""


def read_var_uint(buf: bytes, pos: int) -> tuple[int, int]:
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


def parse_awareness(payload: bytes) -> list[AwarenessEntry]:
    count, pos = read_var_uint(payload, 0)
    if count > 64:
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
    out = [write_var_uint(len(entries))]
    for entry in entries:
        raw = json.dumps(entry.state, ensure_ascii=False, separators=(",", ":")).encode()
        out += [write_var_uint(entry.client_id), write_var_uint(entry.clock), var_bytes(raw)]
    return b"".join(out)


# --- the log -----------------------------------------------------------------------------------------------
WRITABLE_STATUSES = (Meeting.Status.SCHEDULED.value, Meeting.Status.LIVE.value)  # Meeting.notes_writable, in SQL
SNAPSHOT_EVERY = 500  # rows after the latest snapshot that trigger an automatic one


@dataclass
class Loaded:
    state: bytes
    last_seq: int
    writable: bool
    bindings: dict[int, int]


class LogDoc(pycrdt.Doc):
    """A document replayed from the log, which also remembers the updates it could not integrate yet.

    pycrdt's ``get_update()`` leaves out updates whose dependencies the document has not seen (with two processes
    writing, an edit can be stored before the edit it follows), so a snapshot taken from it alone would drop them
    for good. ``snapshot()`` keeps them beside the integrated state, in the same Yjs update."""

    waiting: list[bytes]

    def snapshot(self) -> bytes:
        state = self.get_update()
        have = decode_state_vector(self.get_state())
        waiting = [u for u in self.waiting
                   if any(have.get(client, 0) < clock for client, clock in update_needs(u).items())]
        return pycrdt.merge_updates(state, *waiting) if waiting else state


def build_doc(meeting_id: int, upto_seq: int | None = None) -> tuple[LogDoc, int]:
    """The document as of ``upto_seq`` (default: everything): nearest snapshot, then the rows after it."""
    snapshots = NoteSnapshot.objects.filter(meeting_id=meeting_id)
    if upto_seq is not None:
        snapshots = snapshots.filter(upto_seq__lte=upto_seq)
    snapshot = snapshots.order_by("-upto_seq", "-pk").only("upto_seq", "state").first()
    doc = LogDoc()
    doc.waiting = []
    start = 0
    if snapshot is not None:
        doc.apply_update(bytes(snapshot.state))
        doc.waiting.append(bytes(snapshot.state))
        start = snapshot.upto_seq
    rows = NoteUpdate.objects.filter(meeting_id=meeting_id, seq__gt=start)
    if upto_seq is not None:
        rows = rows.filter(seq__lte=upto_seq)
    last = start
    # One transaction for the whole replay: about twice as fast as one per row, and far faster than
    # merge_updates, which grows worse than linearly with the number of updates.
    with doc.transaction():
        for seq, data in rows.order_by("seq").values_list("seq", "data").iterator(chunk_size=2000):
            data = bytes(data)
            doc.apply_update(data)
            doc.waiting.append(data)
            last = seq
    return doc, last


def load_room(*, meeting_id: int) -> Loaded:
    meeting = Meeting.objects.only("status").get(pk=meeting_id)
    doc, last = build_doc(meeting_id)
    latest = NoteSnapshot.objects.filter(meeting_id=meeting_id).aggregate(m=Max("upto_seq"))["m"] or 0
    if last - latest >= SNAPSHOT_EVERY:
        # The replay just done is the expensive part of a cold load; keep its result for the next one.
        state = doc.snapshot()
        NoteSnapshot.objects.create(meeting_id=meeting_id, upto_seq=last, state=state)
    else:
        state = doc.snapshot()
    bindings = dict(NoteClient.objects.filter(meeting_id=meeting_id).values_list("client_id", "user_id"))
    return Loaded(state=state, last_seq=last, writable=meeting.notes_writable, bindings=bindings)


@dataclass
class Pending:
    update: bytes
    user_id: int | None
    clients: frozenset[int]


@transaction.atomic
def append_updates(*, meeting_id: int, items: list[Pending], known_clients=frozenset()) -> list[int] | None:
    """Append accepted updates to the log and return their sequence numbers; None when the meeting's notes are
    read-only (closed), in which case nothing is written. ``known_clients`` are client ids already bound (the
    room knows them), so only new bindings are inserted.

    One statement checks that the notes are writable, takes the meeting's row lock (serialising all writers
    until commit) and reserves the numbers: this runs for every batch of keystrokes, so it is kept to the
    fewest round trips (UPDATE … RETURNING, supported by PostgreSQL and SQLite)."""
    table = connection.ops.quote_name(Meeting._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last_seq = last_seq + %s WHERE id = %s AND status IN (%s, %s) "
                       "RETURNING last_seq", [len(items), meeting_id, *WRITABLE_STATUSES])
        row = cursor.fetchone()
    if row is None:
        return None
    last = row[0]
    first = last - len(items) + 1
    NoteUpdate.objects.bulk_create(
        [NoteUpdate(meeting_id=meeting_id, seq=first + i, data=item.update, author_id=item.user_id)
         for i, item in enumerate(items)])
    bindings = {(c, item.user_id) for item in items if item.user_id for c in item.clients if c not in known_clients}
    if bindings:
        NoteClient.objects.bulk_create(
            [NoteClient(meeting_id=meeting_id, client_id=c, user_id=u) for c, u in bindings], ignore_conflicts=True)
    return list(range(first, last + 1))


def updates_after(*, meeting_id: int, seq: int, limit: int = 2000) -> list[tuple[int, bytes]]:
    rows = NoteUpdate.objects.filter(meeting_id=meeting_id, seq__gt=seq).order_by("seq")[:limit]
    return [(s, bytes(d)) for s, d in rows.values_list("seq", "data")]


def compact(*, meeting_id: int) -> NoteSnapshot | None:
    """Write an automatic snapshot when enough rows piled up since the last one; the rows themselves stay."""
    latest = NoteSnapshot.objects.filter(meeting_id=meeting_id).aggregate(m=Max("upto_seq"))["m"] or 0
    last = Meeting.objects.values_list("last_seq", flat=True).get(pk=meeting_id)
    if last - latest < SNAPSHOT_EVERY:
        return None
    doc, upto = build_doc(meeting_id)
    return NoteSnapshot.objects.create(meeting_id=meeting_id, upto_seq=upto, state=doc.snapshot())


def bindings_for(meeting_id: int) -> dict[int, int]:
    return dict(NoteClient.objects.filter(meeting_id=meeting_id).values_list("client_id", "user_id"))


# --- what the notes say ------------------------------------------------------------------------------------
#: Whatever an editor sends, the renderers see a bounded, well-typed tree: list depth shown at most this deep
#: (deeper items are shown at this depth), element nesting followed at most this deep (anything deeper is read as
#: the plain text of the subtree), heading levels 1–6.
MAX_LIST_DEPTH = 8
MAX_NESTING = 24
#: Characters XML 1.0 cannot carry (DOCX and the PDF renderer's markup reject them); tab and newline stay.
_NOT_XML = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF])


def _clean(text: str) -> str:
    return text.translate(_NOT_XML)


def _text(node) -> str:
    """The plain text of a subtree, depth-first, without recursion (the tree's depth is the client's choice)."""
    out, stack = [], [node]
    while stack:
        node = stack.pop()
        if isinstance(node, pycrdt.XmlText):
            out.extend(chunk[0] for chunk in node.diff() if isinstance(chunk[0], str))
        elif isinstance(node, pycrdt.XmlElement):
            if node.tag == "hardBreak":
                out.append("\n")
            else:
                stack.extend(reversed(list(node.children)))
    return _clean("".join(out))


def _attr(node, name, default=None):
    value = node.attributes.get(name) if hasattr(node.attributes, "get") else dict(node.attributes).get(name)
    return default if value is None else value


def _level(value) -> int:
    """A heading level as Tiptap stores it (a number, sometimes a numeric string); anything else reads as 1."""
    try:
        level = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return 1
    return min(max(level, 1), 6)


def _blocks(nodes, out: list, depth: int = 0, list_kind: str | None = None, nesting: int = 0):
    counter = 0
    shown = min(depth, MAX_LIST_DEPTH)
    for node in nodes:
        if not isinstance(node, pycrdt.XmlElement):
            continue
        tag = node.tag
        if nesting >= MAX_NESTING:
            text = _text(node)
            if text:
                out.append({"t": "p", "text": text})
        elif tag == "heading":
            out.append({"t": "h", "level": _level(_attr(node, "level", 1)), "text": _text(node)})
        elif tag == "paragraph":
            out.append({"t": "p", "text": _text(node)})
        elif tag in ("bulletList", "orderedList", "taskList"):
            _blocks(node.children, out, depth + (1 if list_kind else 0),
                    {"bulletList": "bullet", "orderedList": "ordered", "taskList": "task"}[tag], nesting + 1)
        elif tag in ("listItem", "taskItem"):
            counter += 1
            children = list(node.children)
            first = children[0] if children else None
            lead = isinstance(first, pycrdt.XmlElement) and first.tag == "paragraph"
            text = _text(first) if lead else ""
            if tag == "taskItem":
                checked = _attr(node, "checked", False)
                out.append({"t": "task", "checked": checked is True or checked == "true", "text": text,
                            "depth": shown})
            else:
                out.append({"t": "li", "kind": list_kind or "bullet", "n": counter, "text": text, "depth": shown})
            rest = children[1:] if lead else children
            _blocks(rest, out, depth + 1, list_kind, nesting + 1)
        elif tag == "table":
            rows, header = [], False
            for row in node.children:
                if isinstance(row, pycrdt.XmlElement) and row.tag == "tableRow":
                    cells = [c for c in row.children if isinstance(c, pycrdt.XmlElement)]
                    if not rows and cells and all(c.tag == "tableHeader" for c in cells):
                        header = True
                    if cells:
                        rows.append([_text(c).strip() for c in cells])
            if rows:  # every renderer draws a table from its rows; an empty one is nothing to show
                out.append({"t": "table", "rows": rows, "header": header})
        elif tag == "blockquote":
            out.append({"t": "quote", "text": "\n".join(_text(c) for c in node.children)})
        elif tag == "codeBlock":
            out.append({"t": "code", "text": _text(node)})
        elif tag == "horizontalRule":
            out.append({"t": "hr"})
        else:
            out.append({"t": "p", "text": _text(node)})
    return out


def doc_blocks(doc: pycrdt.Doc) -> list[dict]:
    """The notes as plain blocks (headings, paragraphs, list and checklist items, tables) for minutes and exports:
    flat, bounded (``MAX_LIST_DEPTH``, ``MAX_NESTING``), heading levels 1–6, text XML-safe."""
    return _blocks(doc.get(FRAGMENT, type=pycrdt.XmlFragment).children, [])


def blocks_lines(blocks: list[dict]) -> list[str]:
    """One readable line per block (tables one line per row): what the history diff compares."""
    lines = []
    for b in blocks:
        indent = "  " * b.get("depth", 0)
        if b["t"] == "h":
            lines.append("#" * b["level"] + " " + b["text"])
        elif b["t"] == "li":
            lines.append(indent + ("- " if b["kind"] == "bullet" else f"{b['n']}. ") + b["text"])
        elif b["t"] == "task":
            lines.append(indent + ("- [x] " if b["checked"] else "- [ ] ") + b["text"])
        elif b["t"] == "table":
            lines.extend("| " + " | ".join(row) + " |" for row in b["rows"])
        elif b["t"] == "hr":
            lines.append("---")
        else:
            lines.extend(b["text"].split("\n"))
    return lines


def seed_document(blocks: list[dict]) -> bytes:
    """A Yjs update holding the given blocks in Tiptap's schema (demo data and tests; plain text only)."""
    doc = pycrdt.Doc()
    fragment = doc.get(FRAGMENT, type=pycrdt.XmlFragment)
    _write_blocks(fragment, blocks)
    return doc.get_update()


def _para(text: str):
    return pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(text)] if text else [])


def _write_blocks(fragment, blocks: list[dict]) -> None:
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if b["t"] == "h":
            fragment.children.append(pycrdt.XmlElement("heading", {"level": b["level"]}, [pycrdt.XmlText(b["text"])]))
        elif b["t"] in ("li", "task"):
            kind = "task" if b["t"] == "task" else b["kind"]
            tag = {"bullet": "bulletList", "ordered": "orderedList", "task": "taskList"}[kind]
            run = []
            while i < len(blocks) and blocks[i]["t"] == b["t"] and (blocks[i]["t"] == "task" or blocks[i]["kind"] == kind):
                run.append(blocks[i])
                i += 1
            lst = fragment.children.append(pycrdt.XmlElement(tag))
            for item in run:
                if kind == "task":
                    lst.children.append(pycrdt.XmlElement("taskItem", {"checked": bool(item["checked"])},
                                                          [_para(item["text"])]))
                else:
                    lst.children.append(pycrdt.XmlElement("listItem", {}, [_para(item["text"])]))
            continue
        elif b["t"] == "table":
            table = fragment.children.append(pycrdt.XmlElement("table"))
            for r, row in enumerate(b["rows"]):
                tr = table.children.append(pycrdt.XmlElement("tableRow"))
                cell_tag = "tableHeader" if b.get("header") and r == 0 else "tableCell"
                for cell in row:
                    tr.children.append(pycrdt.XmlElement(cell_tag, {"colspan": 1, "rowspan": 1}, [_para(cell)]))
        elif b["t"] == "hr":
            fragment.children.append(pycrdt.XmlElement("horizontalRule"))
        else:
            fragment.children.append(_para(b.get("text", "")))
        i += 1


def _copy_node(children, node) -> None:
    """Append a copy of ``node`` to ``children``: an element with its attributes and children, or a text with its
    formatting (Tiptap's marks: bold, italic, links… are y-prosemirror text attributes) and embeds. Iterative: the
    tree is as deep as an editor made it."""
    stack = [(children, node)]
    while stack:
        children, node = stack.pop()
        if isinstance(node, pycrdt.XmlText):
            text = children.append(pycrdt.XmlText())
            for value, attrs in node.diff():
                # Explicit (possibly empty) attributes on every chunk: without them an embed inherits its neighbour's.
                marks = {k: v for k, v in (attrs or {}).items() if v is not None}
                if isinstance(value, str):
                    text.insert(len(text), value, marks)
                else:
                    text.insert_embed(len(text), value, marks)
        elif isinstance(node, pycrdt.XmlElement):
            element = children.append(pycrdt.XmlElement(node.tag, dict(node.attributes)))
            stack.extend((element.children, child) for child in reversed(list(node.children)))


def restore_content(doc: pycrdt.Doc, source: pycrdt.Doc) -> bytes:
    """An update that turns ``doc``'s notes into an exact copy of ``source``'s (restore: a new edit on top, history
    stays). The tree is copied node by node, not through ``doc_blocks``, which keeps only plain text."""
    before = doc.get_state()
    fragment = doc.get(FRAGMENT, type=pycrdt.XmlFragment)
    with doc.transaction():
        while len(fragment.children):
            del fragment.children[len(fragment.children) - 1]
        for node in source.get(FRAGMENT, type=pycrdt.XmlFragment).children:
            _copy_node(fragment.children, node)
    return doc.get_update(before)
