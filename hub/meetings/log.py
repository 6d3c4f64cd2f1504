"""Live notes: the append-only update log.

The database is the source of truth. Every accepted update becomes a ``NoteUpdate`` row numbered 1, 2, 3… per
meeting under a row lock on the meeting, so numbers have no gaps and any process can tell what it missed.
``NoteSnapshot`` rows hold the merged document after some sequence number (automatic compaction and named
checkpoints); loading a document is "latest snapshot + the rows after it". ``NoteClock`` rows say which Yjs clock
ranges the rows hold, so each edit is stored in one row however often it arrives (``new_part``).
"""
from __future__ import annotations

from dataclasses import dataclass

import pycrdt
from django.db import connection, transaction
from django.db.models import Max

from hub.db import prepared
from hub.meetings import protocol
from hub.meetings.protocol import decode_state_vector, update_needs
from hub.models import Meeting, NoteClient, NoteClock, NoteSnapshot, NoteUpdate

# --- the log -----------------------------------------------------------------------------------------------
WRITABLE_STATUSES = (Meeting.Status.SCHEDULED.value, Meeting.Status.LIVE.value)  # Meeting.notes_writable, in SQL
SNAPSHOT_EVERY = 500  # rows after the latest snapshot that trigger an automatic one
REPLAY_CHUNK = 2000  # rows read at a time when a document is rebuilt from the log


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
    base_seq: int  # the snapshot it started from (0: none)

    def snapshot(self) -> bytes:
        state = self.get_update()
        waiting = _not_integrated(self, self.waiting)
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
    doc.base_seq = last = start
    # One transaction for the whole replay: about twice as fast as one per row, and far faster than
    # merge_updates, which grows worse than linearly with the number of updates. The rows in chunks of the
    # prepared statement every room reads once a second: a room's cold load (its first joiners wait for it)
    # spent more on the ORM's server-side cursor (three round trips) than on the rows.
    with doc.transaction():
        while True:
            rows = updates_after(meeting_id=meeting_id, seq=last, limit=REPLAY_CHUNK)
            for seq, data in rows:
                if upto_seq is not None and seq > upto_seq:
                    break
                doc.apply_update(data)
                doc.waiting.append(data)
                last = seq
            else:
                if len(rows) == REPLAY_CHUNK:
                    continue
            break
    # Only what the document could not integrate stays waiting (snapshot() keeps it). pycrdt (yrs) loses part of
    # the pending content when several pending updates pile up (rows stored out of causal order): applying those
    # updates again, now that what they follow is in, restores it.
    doc.waiting = _not_integrated(doc, doc.waiting)
    if doc.waiting:
        with doc.transaction():
            for data in doc.waiting:
                doc.apply_update(data)
        doc.waiting = _not_integrated(doc, doc.waiting)
    return doc, last


def _not_integrated(doc: pycrdt.Doc, updates: list[bytes]) -> list[bytes]:
    have = decode_state_vector(doc.get_state())
    return [u for u in updates if any(have.get(client, 0) < clock for client, clock in update_needs(u).items())]


def load_room(*, meeting_id: int) -> Loaded:
    meeting = Meeting.objects.only("status").get(pk=meeting_id)
    doc, last = build_doc(meeting_id)
    if last - doc.base_seq >= SNAPSHOT_EVERY:
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


#: How far back a write looks for a row it would repeat byte for byte (a batch retried after a commit whose answer
#: was lost), to answer with that row's number.
DEDUP_WINDOW = 5000


@dataclass
class Clocks:
    """What the log holds of some clients (``NoteClock``): per client, item and deleted clock ranges."""

    items: dict[int, list[tuple[int, int]]]
    deleted: dict[int, list[tuple[int, int]]]
    changed: set[int]


def new_part(update: bytes, clocks: Clocks) -> bytes | None:
    """The part of ``update`` the log does not hold yet (None: nothing), and ``clocks`` extended by it.

    Items are cut below by a state vector (``pycrdt.get_update(update, sv)``, which slices a struct where needed and
    never drops content that waits for a dependency) and above by ``protocol.before_clock``; deletions range by
    range. So an edit is held by one row however often it arrives, also when the log holds a client's edits with a
    hole (edits stored before an earlier one a dead process had relayed, adopted later)."""
    items, deleted, end = protocol.update_ranges(update)
    cut: dict[int, int] = {}  # clients whose new part is what follows one clock: a state-vector diff
    split: dict[int, list[tuple[int, int]]] = {}  # clients whose new part has holes (or nothing): cut piece by piece
    for client, ranges in items.items():
        keep = protocol.subtract_ranges(ranges, clocks.items.get(client, ()))
        if keep == ranges:
            continue
        if len(keep) == 1 and keep[0][1] == ranges[-1][1]:
            cut[client] = keep[0][0]
        else:
            split[client] = keep
    if cut or split:
        original = update
        if split:
            update = protocol.without_clients(update, set(split))
        if cut:
            update = pycrdt.get_update(update, protocol.encode_state_vector(cut))
        pieces = []
        for client, keep in split.items():
            alone = protocol.without_clients(original, set(items) - {client})
            for start, stop in keep:
                piece = pycrdt.get_update(alone, protocol.encode_state_vector({client: start}))
                pieces.append(protocol.before_clock(piece, client, stop))
        if pieces:
            update = pycrdt.merge_updates(update, *pieces)
        items, deleted_after, end = protocol.update_ranges(update)
    fresh_deleted = {}
    for client, ranges in deleted.items():
        left = protocol.subtract_ranges(ranges, clocks.deleted.get(client, ()))
        if left:
            fresh_deleted[client] = left
    if fresh_deleted != (deleted_after if cut else deleted):
        update = protocol.with_delete_set(update, end, fresh_deleted)
    if not items and not fresh_deleted:
        return None
    for client, ranges in items.items():
        clocks.items[client] = protocol.merge_ranges([*clocks.items.get(client, ()), *ranges])
        clocks.changed.add(client)
    for client, ranges in fresh_deleted.items():
        clocks.deleted[client] = protocol.merge_ranges([*clocks.deleted.get(client, ()), *ranges])
        clocks.changed.add(client)
    return update


def _clients_named(items: list[Pending]) -> list[int]:
    named: set[int] = set()
    for item in items:
        have, gone, _end = protocol.update_ranges(item.update)
        named |= have.keys() | gone.keys()
    return sorted(named)


def _clocks(rows) -> Clocks:
    """From (client, items, deleted) rows; the JSON arrives as text on psycopg's own cursor (Django's loader)."""
    import json

    def ranges(value):
        return [tuple(r) for r in (json.loads(value) if isinstance(value, str) else value)]

    rows = list(rows)
    return Clocks(items={c: ranges(i) for c, i, _d in rows}, deleted={c: ranges(d) for c, _i, d in rows},
                  changed=set())


def _plan(items: list[Pending], known: dict[bytes, int], clocks: Clocks, last: int):
    """Numbers for the items and the rows to insert: a byte-identical repeat answers its row's number, an update
    the log already holds entirely answers None, the rest become rows holding only their new part."""
    seqs, new = [], []
    for item in items:
        seq = known.get(item.update)
        if seq is None:
            part = new_part(item.update, clocks)
            if part is not None:
                last += 1
                seq = known[item.update] = last
                new.append((seq, part, item.user_id))
        seqs.append(seq)
    return seqs, new, last


@transaction.atomic
def append_updates(*, meeting_id: int, items: list[Pending], known_clients=frozenset()) -> list[int | None] | None:
    """Append accepted updates to the log and return each one's sequence number; None when the meeting's notes
    are read-only (closed), in which case nothing is written. ``known_clients`` are client ids already bound (the
    room knows them), so only new bindings are inserted.

    Idempotent, per edit: a row holds only what no earlier row holds (``new_part``, against the meeting's
    ``NoteClock`` rows), so an edit that arrives again (a resync after a worker died, a peer's edit adopted, a
    retried batch) is not stored again. An update repeated byte for byte among the last ``DEDUP_WINDOW`` rows
    answers that row's number; one the log already holds in other rows answers None.

    The first statement checks that the notes are writable and takes the meeting's row lock, serialising all
    writers of the meeting (every process) until commit: the clocks read after it are those the previous writer
    committed. Numbers are reserved for the new rows only, so they stay gapless."""
    if connection.vendor == "postgresql":
        return _append_postgresql(meeting_id, items, known_clients)
    table = connection.ops.quote_name(Meeting._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last_seq = last_seq WHERE id = %s AND status IN (%s, %s) "
                       "RETURNING last_seq", [meeting_id, *WRITABLE_STATUSES])
        row = cursor.fetchone()
    if row is None:
        return None
    last = row[0]
    wanted = {item.update for item in items}
    known = {bytes(data): seq for data, seq in NoteUpdate.objects.filter(
        meeting_id=meeting_id, seq__gt=last - DEDUP_WINDOW, data__in=list(wanted)).values_list("data", "seq")}
    clocks = _clocks(NoteClock.objects.filter(meeting_id=meeting_id, client_id__in=_clients_named(items))
                     .values_list("client_id", "items", "deleted"))
    seqs, new, last = _plan(items, known, clocks, last)
    if new:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET last_seq = %s WHERE id = %s", [last, meeting_id])
        NoteUpdate.objects.bulk_create([NoteUpdate(meeting_id=meeting_id, seq=seq, data=data, author_id=author)
                                        for seq, data, author in new])
        NoteClock.objects.bulk_create(
            [NoteClock(meeting_id=meeting_id, client_id=c, items=clocks.items.get(c, []),
                       deleted=clocks.deleted.get(c, [])) for c in clocks.changed],
            update_conflicts=True, unique_fields=["meeting", "client_id"], update_fields=["items", "deleted"])
    bindings = {(c, item.user_id) for item in items if item.user_id for c in item.clients if c not in known_clients}
    if bindings:
        NoteClient.objects.bulk_create(
            [NoteClient(meeting_id=meeting_id, client_id=c, user_id=u) for c, u in bindings], ignore_conflicts=True)
    return seqs


def _append_postgresql(meeting_id: int, items: list[Pending], known_clients) -> list[int | None] | None:
    """``append_updates`` on PostgreSQL: the same rule in three statements on psycopg's own cursor, with
    server-side binding (the ORM's client-side binding quoted every update's bytes in Python, and compiling the
    queries cost more than the writes). The lock comes first, alone: under READ COMMITTED each statement reads as
    of its own start, so the reads that follow it see what the previous holder committed. Then one statement
    reads the repeats and the clocks, and one writes the number, the rows, the clocks and the bindings (data-
    modifying WITH clauses). A round trip costs the worker's thread more than its statement; eight of them per
    batch were a third of a busy worker's CPU."""
    import json

    import psycopg

    sql = _append_sql()
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql["lock"], [meeting_id, list(WRITABLE_STATUSES)])
        row = cursor.fetchone()
        if row is None:
            return None
        last = row[0]
        cursor.execute(sql["read"], [meeting_id, last - DEDUP_WINDOW, list({item.update for item in items}),
                                     meeting_id, _clients_named(items)])
        known, clock_rows = {}, []
        for kind, number, data, clock_items, deleted in cursor.fetchall():
            if kind == 0:
                known[bytes(data)] = number
            else:
                clock_rows.append((number, clock_items, deleted))
        clocks = _clocks(clock_rows)
        seqs, new, last = _plan(items, known, clocks, last)
        bindings = sorted({(c, item.user_id) for item in items if item.user_id for c in item.clients
                           if c not in known_clients})
        if new or bindings:
            changed = sorted(clocks.changed)
            cursor.execute(sql["write"], [
                last, meeting_id,
                meeting_id, [s for s, _d, _a in new], [d for _s, d, _a in new], [a for _s, _d, a in new],
                meeting_id, changed, [json.dumps(clocks.items.get(c, [])) for c in changed],
                [json.dumps(clocks.deleted.get(c, [])) for c in changed],
                meeting_id, [c for c, _u in bindings], [u for _c, u in bindings]])
    return seqs


_append_statements: dict[str, str] = {}


def _append_sql() -> dict[str, str]:
    """The three statements of ``_append_postgresql``, built once (their text never changes, so psycopg prepares
    them after a few uses)."""
    if not _append_statements:
        meetings, updates, clients, clock_table = (connection.ops.quote_name(m._meta.db_table)
                                                   for m in (Meeting, NoteUpdate, NoteClient, NoteClock))
        _append_statements.update({
            "lock": f"UPDATE {meetings} SET last_seq = last_seq WHERE id = %s AND status = ANY(%s) "
                    "RETURNING last_seq",
            # Byte-identical repeats among the last rows (kind 0), then the clocks of the clients named (kind 1).
            "read": f"SELECT 0, seq, data, NULL::jsonb, NULL::jsonb FROM {updates} WHERE meeting_id = %s "
                    "AND seq > %s AND data = ANY(%s) "
                    f"UNION ALL SELECT 1, client_id, NULL::bytea, items, deleted FROM {clock_table} "
                    "WHERE meeting_id = %s AND client_id = ANY(%s)",
            # Arrays may be empty (nothing new, only bindings): their INSERTs then insert nothing.
            "write": f"WITH number AS (UPDATE {meetings} SET last_seq = %s WHERE id = %s), "
                     f"note_rows AS (INSERT INTO {updates} (meeting_id, seq, data, author_id, created) "
                     "SELECT %s, s, d, a, now() FROM unnest(%s::bigint[], %s::bytea[], %s::integer[]) AS t(s, d, a)), "
                     f"clock_rows AS (INSERT INTO {clock_table} (meeting_id, client_id, items, deleted) "
                     "SELECT %s, c, i::jsonb, d::jsonb FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS t(c, i, d) "
                     "ON CONFLICT (meeting_id, client_id) DO UPDATE SET items = excluded.items, "
                     "deleted = excluded.deleted) "
                     f"INSERT INTO {clients} (meeting_id, client_id, user_id) "
                     "SELECT %s, c, u FROM unnest(%s::bigint[], %s::integer[]) AS t(c, u) ON CONFLICT DO NOTHING",
        })
    return _append_statements


_after_sql: dict[tuple[str, int], str] = {}


def updates_after(*, meeting_id: int, seq: int, limit: int = 2000) -> list[tuple[int, bytes]]:
    """The rows after ``seq``, oldest first. Every room reads this once a second (``Room._catch_up``), usually to
    find nothing: one prepared statement, the ORM's, compiled once (building the query each time was most of an
    idle room's CPU, and rooms linger for seconds after their last connection)."""
    key = (connection.vendor, limit)
    sql = _after_sql.get(key)
    if sql is None:
        query = NoteUpdate.objects.filter(meeting_id=0, seq__gt=0).order_by("seq").values_list("seq", "data")[:limit]
        sql, params = query.query.sql_with_params()
        assert list(params) == [0, 0], sql  # rebound below: the meeting, then the sequence number
        _after_sql[key] = sql
    return [(s, bytes(d)) for s, d in prepared.fetch_all(connection, sql, [meeting_id, seq])]


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
