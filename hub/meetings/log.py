"""Live notes: the append-only update log.

The database is the source of truth. Every accepted update becomes a ``NoteUpdate`` row numbered 1, 2, 3… per
meeting under a row lock on the meeting, so numbers have no gaps and any process can tell what it missed.
``NoteSnapshot`` rows hold the merged document after some sequence number (automatic compaction and named
checkpoints); loading a document is "latest snapshot + the rows after it".
"""
from __future__ import annotations

from dataclasses import dataclass

import pycrdt
from django.db import connection, transaction
from django.db.models import Max

from hub.meetings.protocol import decode_state_vector, update_needs
from hub.models import Meeting, NoteClient, NoteSnapshot, NoteUpdate

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


#: How far back a write looks for rows it would repeat (a retried batch, a peer's edit stored twice).
DEDUP_WINDOW = 5000


@transaction.atomic
def append_updates(*, meeting_id: int, items: list[Pending], known_clients=frozenset()) -> list[int] | None:
    """Append accepted updates to the log and return each one's sequence number; None when the meeting's notes
    are read-only (closed), in which case nothing is written. ``known_clients`` are client ids already bound (the
    room knows them), so only new bindings are inserted.

    Idempotent: an update already among the meeting's last ``DEDUP_WINDOW`` rows (a batch retried after a commit
    whose answer was lost, a peer's edit its origin stored too) is not written again; its existing number is
    returned. Two different edits are never byte-identical (every Yjs update names its client and clock).

    The first statement checks that the notes are writable and takes the meeting's row lock (serialising all
    writers until commit); numbers are then reserved for the new rows only, so they stay gapless."""
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
    seqs, rows = [], []
    for item in items:
        seq = known.get(item.update)
        if seq is None:
            last += 1
            seq = known[item.update] = last
            rows.append(NoteUpdate(meeting_id=meeting_id, seq=seq, data=item.update, author_id=item.user_id))
        seqs.append(seq)
    if rows:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET last_seq = %s WHERE id = %s", [last, meeting_id])
        NoteUpdate.objects.bulk_create(rows)
    bindings = {(c, item.user_id) for item in items if item.user_id for c in item.clients if c not in known_clients}
    if bindings:
        NoteClient.objects.bulk_create(
            [NoteClient(meeting_id=meeting_id, client_id=c, user_id=u) for c, u in bindings], ignore_conflicts=True)
    return seqs


def _append_postgresql(meeting_id: int, items: list[Pending], known_clients) -> list[int] | None:
    """``append_updates`` on PostgreSQL, the same statements in the same order, as SQL with server-side binding
    on psycopg's own cursor: the ORM's client-side binding quotes every update's bytes in Python, and compiling
    the queries cost more than the writes (about 5 ms of the worker's CPU per batch, ten batches a second per busy
    meeting; now about a fifth of that)."""
    import psycopg

    meetings, updates, clients = (connection.ops.quote_name(m._meta.db_table) for m in (Meeting, NoteUpdate,
                                                                                        NoteClient))
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(f"UPDATE {meetings} SET last_seq = last_seq WHERE id = %s AND status = ANY(%s) "
                       "RETURNING last_seq", [meeting_id, list(WRITABLE_STATUSES)])
        row = cursor.fetchone()
        if row is None:
            return None
        last = row[0]
        cursor.execute(f"SELECT data, seq FROM {updates} WHERE meeting_id = %s AND seq > %s AND data = ANY(%s)",
                       [meeting_id, last - DEDUP_WINDOW, list({item.update for item in items})])
        known = {bytes(data): seq for data, seq in cursor.fetchall()}
        seqs, new_seqs, new_data, new_authors = [], [], [], []
        for item in items:
            seq = known.get(item.update)
            if seq is None:
                last += 1
                seq = known[item.update] = last
                new_seqs.append(seq)
                new_data.append(item.update)
                new_authors.append(item.user_id)
            seqs.append(seq)
        if new_seqs:
            cursor.execute(f"UPDATE {meetings} SET last_seq = %s WHERE id = %s", [last, meeting_id])
            cursor.execute(f"INSERT INTO {updates} (meeting_id, seq, data, author_id, created) "
                           "SELECT %s, s, d, a, now() FROM unnest(%s::bigint[], %s::bytea[], %s::integer[]) "
                           "AS t(s, d, a)", [meeting_id, new_seqs, new_data, new_authors])
        bindings = {(c, item.user_id) for item in items if item.user_id for c in item.clients
                    if c not in known_clients}
        if bindings:
            cursor.execute(f"INSERT INTO {clients} (meeting_id, client_id, user_id) "
                           "SELECT %s, c, u FROM unnest(%s::bigint[], %s::integer[]) AS t(c, u) "
                           "ON CONFLICT DO NOTHING", [meeting_id, [c for c, _u in bindings], [u for _c, u in bindings]])
    return seqs


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
