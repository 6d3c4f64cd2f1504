// Live meeting notes: Tiptap bound to a Yjs document synced with the hub's y-websocket endpoint.
// Names and colours shown for other people come from the server (it rewrites every presence message).
// Messages that depend on the language (notices, some status labels) are rendered by the page through Django's
// translations and only shown or read here.
import { Editor } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCursor from '@tiptap/extension-collaboration-cursor'
import Table from '@tiptap/extension-table'
import TableRow from '@tiptap/extension-table-row'
import TableHeader from '@tiptap/extension-table-header'
import TableCell from '@tiptap/extension-table-cell'
import TaskList from '@tiptap/extension-task-list'
import TaskItem from '@tiptap/extension-task-item'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { renderAuthorship } from './authorship.js'

// Close codes of the hub's notes endpoint after which reconnecting is pointless (README, "Live notes").
const CLOSE_FORBIDDEN = 4403
const CLOSE_NOTES_CLOSED = 4409

// Whether `ydoc` holds anything the server's stored copy lacks: merged with it, would the notes read differently?
async function hasUnsavedChanges (ydoc, storedUrl) {
  try {
    const response = await fetch(storedUrl, { credentials: 'same-origin', cache: 'no-store' })
    if (!response.ok) return true // cannot tell: warn rather than let the user believe everything was kept
    const stored = new Y.Doc()
    Y.applyUpdate(stored, new Uint8Array(await response.arrayBuffer()))
    const merged = new Y.Doc()
    Y.applyUpdate(merged, Y.encodeStateAsUpdate(stored))
    Y.applyUpdate(merged, Y.encodeStateAsUpdate(ydoc))
    return merged.getXmlFragment('default').toString() !== stored.getXmlFragment('default').toString()
  } catch (error) {
    return true
  }
}

function start (root) {
  const cfg = root.dataset
  let editable = cfg.role === 'editor' && cfg.writable === 'true'
  const ydoc = new Y.Doc()
  const provider = new WebsocketProvider(cfg.wsUrl, cfg.room, ydoc, { maxBackoffTime: 5000 })
  const status = root.querySelector('[data-status]')
  const editorEl = root.querySelector('[data-editor]')
  const people = root.querySelector('[data-people]')

  const editor = new Editor({
    element: editorEl,
    editable,
    extensions: [
      StarterKit.configure({ history: false }),
      Collaboration.configure({ document: ydoc }),
      CollaborationCursor.configure({ provider, user: { name: cfg.userName, color: cfg.userColour } }),
      Table.configure({ resizable: false }),
      TableRow, TableHeader, TableCell,
      TaskList, TaskItem.configure({ nested: true })
    ]
  })
  window.hubNotes = { editor, ydoc, provider }

  const buttons = root.querySelectorAll('[data-cmd]')
  let frozen = null

  // The server will not take edits any more (meeting closed, or access revoked): stop typing, stop reconnecting,
  // say so, and, when the meeting closed under an editor, say whether their last edits were refused.
  const freeze = (reason) => {
    if (frozen) return
    frozen = reason
    const couldEdit = editable
    provider.disconnect() // y-websocket reconnects after every close otherwise, and would be refused again
    editable = false
    editor.setEditable(false)
    buttons.forEach((button) => { button.disabled = true })
    root.dataset.frozen = reason
    status.textContent = reason === 'closed' ? cfg.labelClosed : cfg.labelForbidden
    status.dataset.state = reason
    const badge = document.querySelector('[data-meeting-status]')
    if (badge && reason === 'closed') { // the page's header said "in progress" when it loaded
      badge.textContent = cfg.labelMeetingClosed
      badge.className = `status-badge ${cfg.meetingClosedStatus}`
    }
    const notice = root.querySelector(`[data-notice="${reason}"]`)
    if (notice) notice.hidden = false
    if (reason === 'closed' && couldEdit) {
      hasUnsavedChanges(ydoc, cfg.storedUrl).then((unsaved) => {
        root.querySelector('[data-notice="unsaved"]').hidden = !unsaved
        root.dataset.unsaved = String(unsaved)
      })
    }
  }

  const labels = { connecting: '正在连接…', connected: '已连接，实时同步中', disconnected: '连接中断，正在重连…' }
  provider.on('status', ({ status: s }) => {
    if (frozen) return
    status.textContent = labels[s] || s
    status.dataset.state = s
  })
  provider.on('connection-close', (event) => {
    if (event && event.code === CLOSE_NOTES_CLOSED) freeze('closed')
    else if (event && event.code === CLOSE_FORBIDDEN) freeze('forbidden')
  })

  const renderPeople = () => {
    const seen = new Map([['self', { name: cfg.userName, color: cfg.userColour, role: cfg.role }]])
    provider.awareness.getStates().forEach((state, clientId) => {
      if (clientId !== ydoc.clientID && state && state.user && state.user.id !== undefined && state.user.id !== Number(cfg.userId)) {
        seen.set(state.user.id, state.user)
      }
    })
    people.replaceChildren(...[...seen.values()].map((u) => {
      const li = document.createElement('li')
      const dot = document.createElement('span')
      dot.className = 'dot'
      dot.style.background = u.color
      const province = u.province && !u.name.includes(u.province) ? '（' + u.province + '）' : ''
      li.append(dot, `${u.name}${province}${u.role === 'observer' ? ' · 列席' : ''}`)
      return li
    }))
  }
  provider.awareness.on('change', renderPeople)
  renderPeople()

  buttons.forEach((button) => {
    button.disabled = !editable
    button.addEventListener('click', () => {
      if (!editable) return
      const chain = editor.chain().focus()
      const cmd = button.dataset.cmd
      const actions = {
        h1: () => chain.toggleHeading({ level: 1 }),
        h2: () => chain.toggleHeading({ level: 2 }),
        h3: () => chain.toggleHeading({ level: 3 }),
        bold: () => chain.toggleBold(),
        italic: () => chain.toggleItalic(),
        bullet: () => chain.toggleBulletList(),
        ordered: () => chain.toggleOrderedList(),
        task: () => chain.toggleTaskList(),
        table: () => chain.insertTable({ rows: 3, cols: 3, withHeaderRow: true }),
        addRow: () => chain.addRowAfter(),
        addCol: () => chain.addColumnAfter(),
        delRow: () => chain.deleteRow()
      }
      if (actions[cmd]) actions[cmd]().run()
    })
  })

  const authorsButton = root.querySelector('[data-authorship]')
  const authorsPanel = root.querySelector('[data-authorship-panel]')
  if (authorsButton) {
    authorsButton.addEventListener('click', async () => {
      if (!authorsPanel.hidden) {
        authorsPanel.hidden = true
        authorsButton.setAttribute('aria-pressed', 'false')
        return
      }
      const response = await fetch(cfg.authorsUrl, { credentials: 'same-origin' })
      const authors = await response.json()
      renderAuthorship(ydoc.getXmlFragment('default'), authors, authorsPanel)
      authorsPanel.hidden = false
      authorsButton.setAttribute('aria-pressed', 'true')
    })
  }
}

document.querySelectorAll('[data-notes]').forEach(start)
