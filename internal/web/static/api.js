// The console's only door to the server: JSON over fetch with the session cookie, and the
// event WebSocket, which reconnects by itself.

export class APIError extends Error {
  constructor(status, body, retryAfter) {
    const e = (body && body.error) || {}
    super(e.message || `HTTP ${status}`)
    this.status = status
    this.retryAfter = Number(retryAfter) || 0
    this.code = e.code || (status === 0 ? 'network' : 'error')
    this.field = e.field || ''
    this.params = e.params || {}
    this.details = e.details || []
  }
}

export async function call(method, path, body, opts = {}) {
  const init = { method, credentials: 'same-origin', headers: { 'X-Ringdesk': '1' } }
  // a wallboard's read-only token (wallboard.js) rides as a bearer token, never in the URL
  if (opts.token) init.headers.Authorization = 'Bearer ' + opts.token
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    init.body = body
    init.headers['Content-Type'] = opts.type || 'application/octet-stream'
  } else if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers['Content-Type'] = 'application/json'
  }
  let res
  try {
    res = await fetch(path, init)
  } catch {
    throw new APIError(0, null) // the server cannot be reached: worded as err.network
  }
  if (res.status === 204) return null
  const text = await res.text()
  let data = null
  try { data = text ? JSON.parse(text) : null } catch { data = null }
  if (!res.ok) {
    const err = new APIError(res.status, data, res.headers.get('Retry-After'))
    if (res.status === 401 && !opts.quiet) window.dispatchEvent(new CustomEvent('ringdesk:unauthorized'))
    throw err
  }
  return data
}

export const get = (p, o) => call('GET', p, undefined, o)
export const post = (p, b, o) => call('POST', p, b ?? {}, o)
export const put = (p, b, o) => call('PUT', p, b, o)
export const patch = (p, b, o) => call('PATCH', p, b, o)
export const del = (p, o) => call('DELETE', p, undefined, o)

// Events is the live connection: every message is handed to the listeners; a lost connection
// is retried with back-off, and each new connection starts with a cti.snapshot so the widget
// shows the true state again.
export class Events {
  // token: a wallboard token, for a television that has no session (its socket carries the
  // token as access_token: a browser's WebSocket cannot send headers)
  constructor(token = '') {
    this.token = token
    this.listeners = new Set()
    this.statusListeners = new Set()
    this.ws = null
    this.delay = 250
    this.closed = false
    this.online = false
  }

  on(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn) }
  onStatus(fn) { this.statusListeners.add(fn); return () => this.statusListeners.delete(fn) }

  start() {
    this.closed = false
    this.connect()
  }

  stop() {
    this.closed = true
    if (this.ws) this.ws.close()
  }

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(msg))
      return true
    }
    return false
  }

  setOnline(v) {
    if (this.online === v) return
    this.online = v
    for (const fn of this.statusListeners) fn(v)
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
    const q = this.token ? '?access_token=' + encodeURIComponent(this.token) : ''
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/events${q}`)
    this.ws = ws
    ws.onopen = () => { this.delay = 250; this.setOnline(true) }
    ws.onmessage = (m) => {
      let ev
      try { ev = JSON.parse(m.data) } catch { return }
      for (const fn of this.listeners) {
        try { fn(ev) } catch (e) { console.error(e) }
      }
    }
    ws.onclose = (e) => {
      this.setOnline(false)
      if (this.closed) return
      // 4401: the session ended (logout elsewhere, new password, account removed): log in again
      if (e.code === 4401) { window.dispatchEvent(new CustomEvent(this.token ? 'ringdesk:revoked' : 'ringdesk:unauthorized')); return }
      setTimeout(() => this.connect(), this.delay)
      this.delay = Math.min(this.delay * 2, 4000)
    }
  }
}
