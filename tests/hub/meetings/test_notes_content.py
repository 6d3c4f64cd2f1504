"""What the notes say, whatever an editor's client sent: every renderer (blocks, history lines and diff, minutes,
Markdown, DOCX, PDF, the pages) answers for any Tiptap/Yjs document."""
import io

import pycrdt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.meetings import export as minutes_export
from hub.meetings import notes
from hub.meetings import services as svc
from hub.models import Minutes
from tests.hub.meetings.factories import MeetingFactory

pytestmark = pytest.mark.django_db

TAGS = ["paragraph", "heading", "bulletList", "orderedList", "taskList", "listItem", "taskItem", "table",
        "tableRow", "tableHeader", "tableCell", "blockquote", "codeBlock", "horizontalRule", "hardBreak", "image",
        "x-unknown"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6)
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
attributes = st.dictionaries(st.sampled_from(["level", "checked", "colspan", "src", "x"]), json_values, max_size=3)
# A node: ("text", str) or (tag, attrs, children)
nodes = st.recursive(
    st.tuples(st.just("text"), texts),
    lambda inner: st.tuples(st.sampled_from(TAGS), attributes, st.lists(inner, max_size=4)),
    max_leaves=25)


def _build(children, node) -> None:
    # Iterative, like the renderers: the trees below are deeper than Python's recursion limit.
    stack = [(children, node)]
    while stack:
        children, node = stack.pop()
        if node[0] == "text":
            children.append(pycrdt.XmlText(node[1]))
        else:
            tag, attrs, kids = node
            element = children.append(pycrdt.XmlElement(tag, {k: v for k, v in attrs.items() if v is not None}))
            stack.extend((element.children, kid) for kid in reversed(kids))


def document(top: list, nested_depth: int = 0) -> bytes:
    """A Yjs update holding ``top`` (and optionally a paragraph nested ``nested_depth`` lists deep), decoded
    again as the server would: from the bytes a client sent."""
    doc = pycrdt.Doc()
    fragment = doc.get(notes.FRAGMENT, type=pycrdt.XmlFragment)
    for node in top:
        _build(fragment.children, node)
    deep = ("paragraph", {}, [("text", "最深处")])
    for _ in range(nested_depth):
        deep = ("bulletList", {}, [("listItem", {}, [deep])])
    if nested_depth:
        _build(fragment.children, deep)
    return doc.get_update()


def render_everything(update: bytes, minutes: Minutes) -> list[dict]:
    doc = pycrdt.Doc()
    doc.apply_update(update)
    blocks = notes.doc_blocks(doc)
    lines = notes.blocks_lines(blocks)
    assert all(isinstance(line, str) for line in lines)
    for b in blocks:
        assert b.get("depth", 0) <= notes.MAX_LIST_DEPTH
        if b["t"] == "h":
            assert 1 <= b["level"] <= 6
    minutes.blocks = blocks
    minutes.full_clean()
    assert minutes_export.to_markdown(minutes)
    from docx import Document
    Document(io.BytesIO(minutes_export.to_docx(minutes)))
    assert minutes_export.to_pdf(minutes).startswith(b"%PDF")
    restored = pycrdt.Doc()
    restored.apply_update(notes.restore_content(restored, doc))
    assert notes.blocks_lines(notes.doc_blocks(restored)) == lines
    return blocks


@pytest.fixture
def minutes(staff_of):
    meeting = MeetingFactory()
    return svc.meeting_close(actor=staff_of("SH", "editor"), meeting_id=meeting.pk)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(top=st.lists(nodes, max_size=5), nested_depth=st.sampled_from([0, 0, 3, 30]))
def test_every_renderer_answers_for_any_document(minutes, top, nested_depth):
    render_everything(document(top, nested_depth), minutes)


HOSTILE = {
    "heading level x": document([("heading", {"level": "x"}, [("text", "标题")])]),
    "paragraph in 1200 lists": document([], nested_depth=1200),
    "control characters": document([("paragraph", {}, [("text", "a\x00b\x0bc")])]),
}


@pytest.mark.parametrize("update", HOSTILE.values(), ids=HOSTILE.keys())
def test_history_closing_and_exports_answer_for_hostile_content(update, staff_of, client_for):
    meeting = MeetingFactory()
    notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(update, None, frozenset())])
    client = client_for(staff_of("SH", "editor"))
    assert client.get(f"/meetings/{meeting.pk}/history/").status_code == 200
    assert client.post(f"/meetings/{meeting.pk}/close/").status_code == 302
    assert Minutes.objects.filter(meeting=meeting).exists()
    assert client.get(f"/meetings/{meeting.pk}/").status_code == 200
    for fmt in ("md", "docx", "pdf"):
        assert client.get(f"/meetings/{meeting.pk}/minutes.{fmt}").status_code == 200, fmt


def test_a_heading_level_is_clamped_and_deep_lists_keep_their_text():
    doc = pycrdt.Doc()
    doc.apply_update(document([("heading", {"level": 99}, [("text", "标题")])], nested_depth=1200))
    blocks = notes.doc_blocks(doc)
    assert blocks[0] == {"t": "h", "level": 6, "text": "标题"}
    assert "最深处" in "".join(notes.blocks_lines(blocks))
