"""The notes with their formatting (bold, italic, strike, code, underline), for the rich history diff and the
marks kept in minutes and exports. Reads any document a participant's editor may have sent: nesting is bounded,
unknown attributes are ignored, odd values clamped — it never raises on content."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import pycrdt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FRAGMENT = "default"
MAX_DEPTH = 40  # deeper content is cut off (still shown up to here)
MAX_LINES = 20_000
#: Tiptap mark name → HTML tag (every other mark is dropped).
MARKS = {"bold": "strong", "italic": "em", "strike": "s", "code": "code", "underline": "u"}
LIST_KINDS = {"bulletList": "bullet", "orderedList": "ordered", "taskList": "task"}
Run = tuple[str, tuple[str, ...]]


@dataclass
class Line:
    """One readable line of the notes: a heading, paragraph, list or checklist item, table row, quote, rule."""

    kind: str  # "h1".."h6", "p", "li", "task", "tr", "quote", "code", "hr"
    prefix: str = ""
    depth: int = 0
    runs: list[Run] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(t for t, _m in self.runs)

    def key(self):
        return (self.kind, self.prefix, self.depth, tuple(self.runs))


def _marks(attrs) -> tuple[str, ...]:
    if not isinstance(attrs, dict):
        return ()
    return tuple(sorted(k for k, v in attrs.items() if k in MARKS and v is not None and v is not False))


def _runs(node, depth: int, out: list[Run]) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, pycrdt.XmlText):
        for chunk in node.diff():
            value, attrs = (chunk[0], chunk[1] if len(chunk) > 1 else None)
            if isinstance(value, str) and value:
                out.append((value, _marks(attrs)))
    elif isinstance(node, pycrdt.XmlElement):
        if node.tag == "hardBreak":
            out.append(("\n", ()))
            return
        for child in node.children:
            _runs(child, depth + 1, out)


def _merge(runs: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for text, marks in runs:
        if merged and merged[-1][1] == marks:
            merged[-1] = (merged[-1][0] + text, marks)
        else:
            merged.append((text, marks))
    return merged


def _attr(node, name, default=None):
    try:
        value = dict(node.attributes).get(name)
    except Exception:  # noqa: BLE001 - malformed attributes read as absent
        return default
    return default if value is None else value


def _level(node) -> int:
    try:
        return min(max(int(float(_attr(node, "level", 1))), 1), 6)
    except (TypeError, ValueError, OverflowError):
        return 1


def _walk(nodes, out: list[Line], depth: int = 0, list_kind: str | None = None) -> None:
    if depth > MAX_DEPTH:
        return
    counter = 0
    for node in nodes:
        if len(out) >= MAX_LINES:
            return
        if not isinstance(node, pycrdt.XmlElement):
            continue
        tag = node.tag
        runs: list[Run] = []
        if tag in LIST_KINDS:
            _walk(node.children, out, depth + 1, LIST_KINDS[tag])
        elif tag in ("listItem", "taskItem"):
            counter += 1
            children = list(node.children)
            first = children[0] if children else None
            if isinstance(first, pycrdt.XmlElement) and first.tag == "paragraph":
                _runs(first, depth, runs)
                children = children[1:]
            if tag == "taskItem":
                prefix = "☑ " if _attr(node, "checked", False) in (True, "true") else "☐ "
                kind = "task"
            else:
                prefix = f"{counter}. " if list_kind == "ordered" else "• "
                kind = "li"
            out.append(Line(kind, prefix, max(depth - 1, 0), _merge(runs)))
            _walk(children, out, depth + 1, list_kind)
        elif tag == "table":
            for row in node.children:
                if isinstance(row, pycrdt.XmlElement) and row.tag == "tableRow":
                    cells = []
                    for i, cell in enumerate(c for c in row.children if isinstance(c, pycrdt.XmlElement)):
                        if i:
                            cells.append((" | ", ()))
                        _runs(cell, depth, cells)
                    out.append(Line("tr", "| ", 0, _merge(cells)))
        elif tag == "horizontalRule":
            out.append(Line("hr", "", 0, [("———", ())]))
        else:
            _runs(node, depth, runs)
            kind = {"heading": f"h{_level(node)}", "blockquote": "quote", "codeBlock": "code"}.get(tag, "p")
            out.append(Line(kind, "> " if kind == "quote" else "", 0, _merge(runs)))


def doc_lines(doc: pycrdt.Doc) -> list[Line]:
    out: list[Line] = []
    _walk(doc.get(FRAGMENT, type=pycrdt.XmlFragment).children, out)
    return out


# --- HTML ----------------------------------------------------------------------------------------------------
def runs_html(runs, ops=None) -> str:
    """Escaped HTML of runs; ``ops`` (one per run: "=", "-", "+") wraps deleted and inserted text."""
    parts = []
    for i, (text, marks) in enumerate(runs):
        html = escape(text).replace("\n", "<br>")
        for mark in marks:
            tag = MARKS[mark]
            html = f"<{tag}>{html}</{tag}>"
        op = ops[i] if ops else "="
        if op == "-":
            html = f"<del>{html}</del>"
        elif op == "+":
            html = f"<ins>{html}</ins>"
        parts.append(html)
    return "".join(parts)


def _line_html(line: Line, body: str) -> SafeString:
    indent = f' style="margin-left: {min(line.depth, 8) * 1.2:.1f}em"' if line.depth else ""
    return mark_safe(f'<span class="diff-kind" data-kind="{line.kind}"{indent}>{escape(line.prefix)}</span>{body}')


def _tokens(line: Line) -> list[Run]:
    return [(ch, marks) for text, marks in line.runs for ch in text]


#: Above this many differing characters in one block the change is shown as the old part then the new part:
#: difflib's matching is quadratic, and a character diff of a page-long rewrite helps nobody.
INLINE_LIMIT = 2000


def _inline(old: Line, new: Line) -> SafeString:
    a, b = _tokens(old), _tokens(new)
    # Edits are local: strip the common start and end first, diff only the middle.
    head = 0
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < len(a) - head and tail < len(b) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    mid_a, mid_b = a[head:len(a) - tail], b[head:len(b) - tail]
    runs, ops = list(b[:head]), ["="] * head
    if len(mid_a) + len(mid_b) > INLINE_LIMIT:
        opcodes = [("replace", 0, len(mid_a), 0, len(mid_b))]
    else:
        opcodes = difflib.SequenceMatcher(a=mid_a, b=mid_b, autojunk=False).get_opcodes()
    for op, a1, a2, b1, b2 in opcodes:
        if op == "equal":
            runs += mid_b[b1:b2]
            ops += ["="] * (b2 - b1)
        else:
            runs += mid_a[a1:a2] + mid_b[b1:b2]
            ops += ["-"] * (a2 - a1) + ["+"] * (b2 - b1)
    runs += b[len(b) - tail:] if tail else []
    ops += ["="] * tail
    merged_runs, merged_ops = [], []
    for run, op in zip(runs, ops, strict=True):
        if merged_runs and merged_runs[-1][1] == run[1] and merged_ops[-1] == op:
            merged_runs[-1] = (merged_runs[-1][0] + run[0], run[1])
        else:
            merged_runs.append(run)
            merged_ops.append(op)
    return _line_html(new, runs_html(merged_runs, merged_ops))


def rich_diff(old: list[Line], new: list[Line]) -> list[tuple[str, SafeString]]:
    """Block by block: ("=", html), ("-", html), ("+", html), or ("~", html) for a changed block whose insertions
    and deletions are marked inline; formatting is kept everywhere (a word made bold shows as changed)."""
    out = []
    matcher = difflib.SequenceMatcher(a=[line.key() for line in old], b=[line.key() for line in new], autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out += [("=", _line_html(line, runs_html(line.runs))) for line in new[b1:b2]]
            continue
        olds, news = old[a1:a2], new[b1:b2]
        paired = min(len(olds), len(news)) if op == "replace" else 0
        for o, n in zip(olds[:paired], news[:paired], strict=True):
            out.append(("~", _inline(o, n)))
        out += [("-", _line_html(line, runs_html(line.runs, ["-"] * len(line.runs)))) for line in olds[paired:]]
        out += [("+", _line_html(line, runs_html(line.runs, ["+"] * len(line.runs)))) for line in news[paired:]]
    return out


# --- marks for the minutes -----------------------------------------------------------------------------------
def attach_runs(blocks: list[dict], doc: pycrdt.Doc) -> list[dict]:
    """Give each text block of the minutes the formatted runs of the same text in ``doc`` (``"runs": [[text,
    [marks]], …]``), only where some text is formatted; blocks keep their plain ``text`` for every other reader."""
    lines = [line for line in doc_lines(doc) if line.kind not in ("tr", "hr")]
    j = 0
    for block in blocks:
        text = block.get("text")
        if not isinstance(text, str) or not text:
            continue
        for k in range(j, min(j + 50, len(lines))):
            if lines[k].text == text:
                if any(marks for _t, marks in lines[k].runs):
                    block["runs"] = [[t, list(m)] for t, m in lines[k].runs]
                j = k + 1
                break
    return blocks


def block_runs(block: dict) -> list[Run]:
    """The block's runs (text, marks), or its plain text as one run; malformed stored runs fall back to text."""
    runs = block.get("runs")
    if isinstance(runs, list):
        try:
            result = [(str(t), tuple(m for m in marks if m in MARKS)) for t, marks in runs]
            if "".join(t for t, _m in result) == block.get("text", ""):
                return result
        except (TypeError, ValueError):
            pass
    return [(str(block.get("text", "")), ())]
