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
import { personColour } from './colours.js'

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
      CollaborationCursor.configure({
        provider,
        user: { name: cfg.userName, color: cfg.userColour },
        // The caret and label in the person's own colour; the province as a small marker in its colour.
        render: (user) => {
          const colour = user.id !== undefined ? personColour(user.id) : user.color
          const cursor = document.createElement('span')
          cursor.classList.add('collaboration-cursor__caret')
          cursor.style.borderColor = colour
          const label = document.createElement('div')
          label.classList.add('collaboration-cursor__label')
          label.style.backgroundColor = colour
          label.dataset.person = String(user.id)
          if (user.province) {
            const marker = document.createElement('span')
            marker.className = 'province-marker'
            marker.style.background = user.color
            marker.title = user.province
            label.append(marker)
          }
          label.append(document.createTextNode(user.province ? `${user.name} · ${user.province}` : user.name))
          cursor.insertBefore(label, null)
          return cursor
        }
      }),
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

  // A truthful connection indicator: offline (the browser says so), reconnecting (the socket dropped), and
  // whether this page holds edits the server has not confirmed yet (checked against the stored notes).
  const label = (state) => cfg[`label${state[0].toUpperCase()}${state.slice(1)}`] || state
  let socket = 'connecting'
  let unsynced = false
  let checking = null
  const showStatus = () => {
    if (frozen) return
    let state = socket
    if (!navigator.onLine) state = 'offline'
    status.dataset.state = state
    status.dataset.unsynced = String(unsynced)
    status.textContent = label(state) + (unsynced ? label('unsyncedSuffix') : '')
  }
  // Unsynced until the server's stored copy holds everything this page has; polled only while in doubt.
  const confirmSynced = () => {
    if (checking || frozen) return
    checking = (async () => {
      for (let attempt = 0; attempt < 20 && unsynced && socket === 'connected' && navigator.onLine; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 500 + 250 * attempt))
        if (!(await hasUnsavedChanges(ydoc, cfg.storedUrl))) unsynced = false
      }
      checking = null
      showStatus()
    })()
  }
  ydoc.on('update', (update, origin) => {
    if (origin === provider) return // came from the server
    if (socket !== 'connected' || !navigator.onLine) {
      unsynced = true
      showStatus()
    }
  })
  provider.on('status', ({ status: s }) => {
    if (frozen) return
    socket = s === 'disconnected' ? 'reconnecting' : s
    showStatus()
  })
  provider.on('sync', (synced) => {
    if (synced && unsynced) confirmSynced()
  })
  window.addEventListener('offline', () => {
    if (frozen) return
    // Chromium keeps a dead socket "open" for a while; drop it so that nothing pretends to be in sync.
    provider.disconnect()
    socket = 'offline'
    showStatus()
  })
  window.addEventListener('online', () => {
    if (frozen) return
    socket = 'connecting'
    showStatus()
    provider.connect()
  })
  root.dataset.indicator = 'ready'
  provider.on('connection-close', (event) => {
    if (event && event.code === CLOSE_NOTES_CLOSED) freeze('closed')
    else if (event && event.code === CLOSE_FORBIDDEN) freeze('forbidden')
  })

  const renderPeople = () => {
    const seen = new Map([['self', { name: cfg.userName, id: cfg.userId, color: cfg.provinceColour, province: cfg.userProvince, role: cfg.role }]])
    provider.awareness.getStates().forEach((state, clientId) => {
      if (clientId !== ydoc.clientID && state && state.user && state.user.id !== undefined && state.user.id !== Number(cfg.userId)) {
        seen.set(state.user.id, state.user)
      }
    })
    people.replaceChildren(...[...seen.values()].map((u) => {
      const li = document.createElement('li')
      const dot = document.createElement('span')
      dot.className = 'dot'
      dot.style.background = personColour(u.id)
      li.dataset.person = String(u.id)
      li.append(dot, `${u.name}${u.role === 'observer' ? ' · ' + cfg.labelObserver : ''}`)
      if (u.province) {
        const marker = document.createElement('span')
        marker.className = 'province-marker'
        marker.style.background = u.color
        li.append(' ', marker, u.province)
      }
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
