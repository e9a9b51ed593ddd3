// The wallboard (/wallboard?service=S): a service's queues in big numbers for a TV on the
// wall, green, amber or red against each queue's targets, kept current by the stats.queue
// events. A manager opens it logged in; a television opens it with a wallboard token in the
// address's fragment (#token=wb.…), which the browser never sends to a server or a proxy's
// log: the page reads it and sends it as a bearer token, so the TV needs no login.
import { get, Events, APIError } from './api.js'
import { h, clear, code } from './dom.js'
import { t, getLang } from './i18n.js'
import { clock } from './format.js'

// level colours a tile: ok (green), warn (amber), alert (red), none (no figure yet).
export function levelOfService(level, target) {
  if (level === null || level === undefined) return 'none'
  const goal = target || 80
  if (level >= goal) return 'ok'
  return level >= goal - 10 ? 'warn' : 'alert'
}

export function levelOfWait(seconds, alert) {
  const limit = alert || 60
  if (seconds >= limit) return 'alert'
  return seconds >= limit / 2 ? 'warn' : 'ok'
}

export function wallboardPage(app) {
  const params = new URLSearchParams(location.search)
  const service = params.get('service') || ''
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token') || ''
  document.body.classList.add('wallboard-page')
  const main = h('main', { id: 'main', class: 'wallboard', tabindex: '-1' })
  clear(app, main)
  document.title = `${t('wb.title')} · ${t('app.title')}`
  const stop = (message) => {
    clear(main, h('div', { class: 'card wb-message', role: 'alert', id: 'wb-message' }, h('h1', {}, t('wb.title')), h('p', {}, message),
      token ? null : h('p', {}, h('a', { href: '/' }, t('wb.toLogin')))))
  }
  if (!service) return stop(t('wb.noService'))

  const queues = new Map() // queue number → its figures (a stats.queue event's data)
  let updated = null
  let online = false
  const board = h('div', { class: 'wb-queues', id: 'wb-queues' })
  const status = h('p', { class: 'wb-status', id: 'wb-status', role: 'status' })
  clear(main, h('header', { class: 'wb-head' }, h('h1', {}, t('wb.title'), ' ', code(service)), status), board)

  function tile(cls, label, value, level, extra) {
    return h('div', { class: `wb-tile ${cls}`, 'data-level': level || 'none' },
      h('div', { class: 'wb-label' }, label),
      h('div', { class: 'wb-value' }, value),
      h('div', { class: 'wb-note' }, level && level !== 'none' ? h('span', { class: 'wb-level' }, t('wb.level.' + level)) : null, extra || null))
  }

  function oldestSeconds(q) {
    if (!q.waiting || !q.oldest_since) return q.waiting ? q.oldest_wait_seconds || 0 : 0
    return Math.max(0, (Date.now() - new Date(q.oldest_since)) / 1000)
  }

  function render() {
    if (!queues.size) {
      clear(board, h('p', { class: 'wb-empty' }, t('wb.noQueues')))
    } else {
      clear(board, [...queues.values()].sort((a, b) => a.queue.localeCompare(b.queue)).map((q) => {
        const wait = oldestSeconds(q)
        const waitLevel = q.waiting ? levelOfWait(wait, q.wait_alert_seconds) : 'ok'
        const sl = q.today?.service_level
        const slLevel = levelOfService(sl, q.service_level_target)
        const a = q.agents || {}
        return h('section', { class: 'wb-queue', 'data-queue': q.queue, 'aria-labelledby': 'wb-q-' + q.queue },
          h('h2', { id: 'wb-q-' + q.queue }, q.name || t('wb.queue', { name: q.queue }), ' ', code(q.queue)),
          h('div', { class: 'wb-tiles' },
            tile('wb-waiting', t('wb.waiting'), String(q.waiting || 0), waitLevel),
            tile('wb-oldest', t('wb.oldest'), q.waiting ? clock(wait) : '00:00', waitLevel),
            tile('wb-level', t('wb.level'), sl === null || sl === undefined ? '–' : `${Math.round(sl)}%`, slLevel,
              h('span', {}, ' · ', t('wb.levelTarget', { target: q.service_level_target || 80 }))),
            tile('wb-answered', t('wb.answered'), String(q.today?.answered || 0)),
            tile('wb-abandoned', t('wb.abandoned'), String(q.today?.abandoned || 0))),
          h('dl', { class: 'wb-agents', 'aria-label': t('wb.agents') },
            [['ready', t('wb.ready'), a.ready], ['on_call', t('wb.onCall'), a.on_call], ['after_call', t('wb.afterCall'), a.after_call],
              ['not_ready', t('wb.notReady'), a.not_ready], ['staffed', t('wb.staffed'), a.staffed]].map(([k, label, n]) =>
              h('div', { class: 'wb-agent wb-agent-' + k }, h('dt', {}, label), h('dd', { 'data-count': k }, String(n || 0))))))
      }))
    }
    renderStatus()
  }

  function renderStatus() {
    const hm = updated ? new Intl.DateTimeFormat(getLang() === 'ko' ? 'ko-KR' : 'en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(updated) : ''
    status.textContent = online ? `${t('wb.live')}${hm ? ' · ' + t('wb.updated', { time: hm }) : ''}` : t('wb.offline')
    status.classList.toggle('offline', !online)
  }

  // the oldest wait counts on by itself between events
  function tick() {
    for (const q of queues.values()) {
      if (!q.waiting) continue
      const el = board.querySelector(`[data-queue="${CSS.escape(q.queue)}"] .wb-oldest`)
      if (!el) continue
      const wait = oldestSeconds(q)
      el.querySelector('.wb-value').textContent = clock(wait)
      const level = levelOfWait(wait, q.wait_alert_seconds)
      if (el.dataset.level !== level) render()
    }
  }

  const opts = token ? { token, quiet: true } : { quiet: true }
  get('/api/v1/stats/realtime?service=' + encodeURIComponent(service), opts).then((rt) => {
    for (const q of rt.queues || []) queues.set(q.queue, q)
    updated = new Date()
    render()
    const events = new Events(token)
    let connected = false
    events.onStatus((on) => {
      online = on
      renderStatus()
      // back after a lost connection: a token's socket sends the figures as it opens, a
      // session's does not, so they are read again
      if (on && connected && !token) {
        get('/api/v1/stats/realtime?service=' + encodeURIComponent(service), opts).then((again) => {
          for (const q of again.queues || []) queues.set(q.queue, q)
          updated = new Date()
          render()
        }).catch(() => {})
      }
      if (on) connected = true
    })
    events.on((ev) => {
      if (ev.type !== 'stats.queue' || ev.service !== service || !ev.data) return
      queues.set(ev.data.queue, ev.data)
      updated = new Date()
      render()
    })
    events.start()
    window.addEventListener('ringdesk:revoked', () => { events.stop(); stop(t('wb.revoked')) })
    window.addEventListener('ringdesk:unauthorized', () => { events.stop(); stop(t('wb.noToken')) })
    setInterval(tick, 1000)
  }).catch((e) => {
    if (e instanceof APIError && e.status === 401) return stop(token ? t('wb.revoked') : t('wb.noToken'))
    if (e instanceof APIError && e.status === 403) return stop(t('error.forbidden'))
    stop(t('err.network'))
  })
}
