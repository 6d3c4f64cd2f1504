"""Live notes: what the notes say. The Tiptap/Yjs document as plain blocks (minutes, exports, history lines),
bounded whatever an editor's client sent; seeding and restoring documents."""
from __future__ import annotations

import pycrdt

FRAGMENT = "default"  # the XmlFragment Tiptap's Collaboration extension binds to

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
