// Authorship on demand: walk the Yjs document and colour each run of text by the account the server bound its
// Yjs client id to (the server refuses text written under another account's client id).
import * as Y from 'yjs'

const BLOCK = { heading: 'h3', paragraph: 'p', bulletList: 'ul', orderedList: 'ol', taskList: 'ul', listItem: 'li', taskItem: 'li', table: 'table', tableRow: 'tr', tableHeader: 'th', tableCell: 'td', blockquote: 'blockquote', codeBlock: 'pre' }

function textRuns (ytext, authors, parent) {
  let item = ytext._start
  while (item !== null) {
    if (!item.deleted && item.content && typeof item.content.str === 'string') {
      const who = authors[String(item.id.client)]
      const span = document.createElement('span')
      span.textContent = item.content.str
      span.className = 'authored'
      if (who) {
        span.style.setProperty('--author', who.color)
        span.title = who.name
      } else {
        span.title = '未知作者'
      }
      parent.append(span)
    }
    item = item.right
  }
}

function walk (node, authors, parent) {
  node.toArray().forEach((child) => {
    if (child instanceof Y.XmlText) {
      textRuns(child, authors, parent)
    } else if (child instanceof Y.XmlElement) {
      const el = document.createElement(BLOCK[child.nodeName] || 'div')
      if (child.nodeName === 'taskItem') el.textContent = child.getAttribute('checked') ? '☑ ' : '☐ '
      walk(child, authors, el)
      parent.append(el)
    }
  })
}

export function renderAuthorship (fragment, authors, panel) {
  const body = document.createElement('div')
  body.className = 'authorship-body'
  walk(fragment, authors, body)
  const legend = document.createElement('ul')
  legend.className = 'authorship-legend'
  const names = new Map()
  Object.values(authors).forEach((a) => names.set(a.name, a.color))
  names.forEach((color, name) => {
    const li = document.createElement('li')
    const dot = document.createElement('span')
    dot.className = 'dot'
    dot.style.background = color
    li.append(dot, name)
    legend.append(li)
  })
  panel.replaceChildren(legend, body)
}
