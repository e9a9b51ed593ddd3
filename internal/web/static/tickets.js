// Tickets of a service: the list with its filters, and the ticket screen with notes, the
// linked calls and the caller's earlier tickets. Phone numbers read the Korean way and are
// click-to-call; enumerations are words; times are short and relative.
import { get, patch } from './api.js'
import { h, clear, toast, field, showErrors, apiErrors, code, when, helpLink, tableWrap, phone } from './dom.js'
import { t, enumLabel, errorText } from './i18n.js'
import { plainNumber, isPhoneNumber, formatPhone, duration } from './format.js'

const statuses = ['new', 'open', 'pending', 'solved', 'closed']

function title(text, page) {
  return h('div', { class: 'screen-head' }, h('h1', {}, text), helpLink(page))
}

// callButton is a phone number that places a call from the widget (전화 걸기, filled in).
export function callButton(ctx, number, id) {
  if (!number) return ''
  if (!ctx.widget || !isPhoneNumber(number)) return phone(number)
  // the visible number is the start of the button's name; "에 전화 걸기" follows for screen readers
  const shown = formatPhone(number)
  const label = t('phone.clickToCall', { number: shown })
  const at = label.indexOf(shown)
  const pre = at > 0 ? label.slice(0, at) : ''
  const rest = at >= 0 ? label.slice(at + shown.length) : ''
  // (English puts the words first: they are read, the number is seen)
  return h('button', { type: 'button', class: 'link call-link', id, 'data-number': number, title: label,
    onclick: (e) => { e.stopPropagation(); ctx.widget.dialTo(number) } }, h('span', { 'aria-hidden': 'true', class: 'call-glyph' }, '☎'), ' ',
  pre ? h('span', { class: 'sr-only' }, pre) : null, h('span', { translate: 'no' }, shown), rest ? h('span', { class: 'sr-only' }, rest) : null)
}

function agentName(ctx, login) {
  if (!login) return ''
  const a = (ctx.agents || []).find((x) => x.login === login)
  return a?.name ? a.name : code(login)
}

// loadAgents fetches the accounts once, for names in place of logins.
async function loadAgents(ctx) {
  if (ctx.agents) return ctx.agents
  try { ctx.agents = (await get('/api/v1/agents')).agents } catch { ctx.agents = [] }
  return ctx.agents
}

export function ticketList(ctx, main) {
  const saved = JSON.parse(sessionStorage.getItem('ringdesk.filter') || '{}')
  const status = h('select', { name: 'status', id: 'filter-status' }, h('option', { value: '' }, t('tickets.all')),
    statuses.map((s) => h('option', { value: s, selected: saved.status === s }, t('status.' + s))))
  const phoneIn = h('input', { name: 'phone', id: 'filter-phone', value: saved.phone || '', inputmode: 'tel', autocomplete: 'off' })
  const assignee = h('select', { name: 'assignee', id: 'filter-assignee' }, h('option', { value: '' }, t('tickets.anyone')))
  const table = h('tbody')
  const more = h('button', { type: 'button', hidden: true, id: 'tickets-more', onclick: () => load(true) }, t('tickets.more'))
  const status$ = h('p', { class: 'sr-only', role: 'status', id: 'tickets-status' })
  let last = 0
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': t('tickets.filters'), onsubmit: (e) => { e.preventDefault(); load(false) } },
    field(t('tickets.status'), status, 'status'), field(t('tickets.phone'), phoneIn, 'phone'),
    field(t('tickets.assignee'), assignee, 'assignee'),
    h('button', { type: 'submit', class: 'primary', id: 'filter-search' }, t('tickets.search')),
    h('div', { class: 'field-error', 'data-error-for': '_form' }))
  loadAgents(ctx).then((agents) => {
    for (const a of agents.filter((x) => (x.services || []).includes(ctx.service))) {
      assignee.append(h('option', { value: a.login, selected: saved.assignee === a.login }, a.name || a.login))
    }
  })
  async function load(append, quiet) {
    const q = new URLSearchParams({ service: ctx.service, limit: '50' })
    if (status.value) q.set('status', status.value)
    if (phoneIn.value.trim()) {
      if (!isPhoneNumber(phoneIn.value)) return showErrors(form, [{ field: 'phone', message: t('err.digits') }])
      q.set('phone', plainNumber(phoneIn.value))
    }
    const who = assignee.value || (assignee.options.length <= 1 ? saved.assignee : '')
    if (who) q.set('assignee', who)
    if (append && last) q.set('before', String(last))
    if (!quiet) showErrors(form, [])
    sessionStorage.setItem('ringdesk.filter', JSON.stringify({ status: status.value, phone: phoneIn.value, assignee: who || '' }))
    try {
      const r = await get('/api/v1/tickets?' + q)
      await loadAgents(ctx)
      const rows = r.tickets.map((tk) => h('tr', { 'data-id': tk.id, onclick: (e) => { if (!e.target.closest('a,button')) location.hash = `#/tickets/${tk.id}` } },
        h('td', {}, h('a', { href: `#/tickets/${tk.id}` }, '#' + tk.id)), h('td', {}, tk.subject),
        h('td', {}, h('span', { class: 'badge status-' + tk.status }, t('status.' + tk.status))),
        h('td', {}, callButton(ctx, tk.phone)), h('td', {}, tk.assignee ? agentName(ctx, tk.assignee) : ''), h('td', {}, when(tk.created_at))))
      const before = new Set([...table.querySelectorAll('tr[data-id]')].map((tr) => tr.dataset.id))
      if (append) table.append(...rows)
      else clear(table, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'hint' }, t('tickets.none'))))
      if (quiet) {
        const added = rows.filter((tr) => !before.has(tr.dataset.id))
        added.forEach((tr) => tr.classList.add('fresh'))
        if (added.length) status$.textContent = t('tickets.new', { n: added.length })
      }
      if (r.tickets.length) last = r.tickets[r.tickets.length - 1].id
      more.hidden = r.tickets.length < 50
    } catch (e) {
      showErrors(form, apiErrors(e))
    }
  }
  clear(main, title(t('tickets.title'), 'tickets'), form, status$,
    tableWrap(h('table', { class: 'list', id: 'ticket-list' }, h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, t('tickets.subject')), h('th', { scope: 'col' }, t('tickets.status')), h('th', { scope: 'col' }, t('tickets.phone')),
      h('th', { scope: 'col' }, t('tickets.assignee')), h('th', { scope: 'col' }, t('tickets.created')))), table), t('tickets.title')), more)
  load(false)
  let pending = null
  const off = ctx.events.on((ev) => {
    if ((ev.type === 'ticket.created' || ev.type === 'ticket.updated') && (!ev.service || ev.service === ctx.service)) {
      clearTimeout(pending)
      pending = setTimeout(() => load(false, true), 150)
    }
  })
  return { destroy: () => { off(); clearTimeout(pending) } }
}

export function ticketView(ctx, main, id) {
  let ticket = null
  async function load() {
    try {
      const [tk] = await Promise.all([get(`/api/v1/tickets/${id}`), loadAgents(ctx)])
      ticket = tk
      render()
    } catch (e) {
      clear(main, h('p', { class: 'error', role: 'alert' }, errorText(e)))
    }
  }
  function render() {
    const tk = ticket
    const subject = h('input', { name: 'subject', id: 'ticket-subject', value: tk.subject })
    const status = h('select', { name: 'status', id: 'ticket-status' }, statuses.map((s) => h('option', { value: s, selected: tk.status === s }, t('status.' + s))))
    // the service's agents this account may see (an agent sees itself), and whoever has it now
    const people = (ctx.agents || []).filter((a) => (a.services || []).includes(tk.service) || a.login === tk.assignee)
    if (tk.assignee && !people.some((a) => a.login === tk.assignee)) people.push({ login: tk.assignee, name: tk.assignee })
    const assignee = h('select', { name: 'assignee', id: 'ticket-assignee' }, h('option', { value: '', selected: !tk.assignee }, t('ticket.unassigned')),
      people.map((a) => h('option', { value: a.login, selected: a.login === tk.assignee, translate: a.name === a.login ? 'no' : null }, a.name || a.login)))
    const note = h('textarea', { name: 'note', id: 'ticket-note', rows: 3 })
    const form = h('form', { class: 'ticket-form', id: 'ticket-form', onsubmit: async (e) => {
      e.preventDefault()
      const body = {}
      if (subject.value !== tk.subject) body.subject = subject.value
      if (status.value !== tk.status) body.status = status.value
      if (assignee.value !== tk.assignee) body.assignee = assignee.value
      if (note.value.trim()) body.note = note.value.trim()
      if (!Object.keys(body).length) return toast(t('ticket.nothing'))
      try {
        ticket = { ...(await patch(`/api/v1/tickets/${id}`, body)), earlier: ticket.earlier }
        toast(t('ticket.saved'))
        render()
      } catch (ex) {
        showErrors(form, apiErrors(ex))
      }
    } },
    field(t('tickets.subject'), subject, 'subject'), field(t('tickets.status'), status, 'status'),
    field(t('tickets.assignee'), assignee, 'assignee'), field(t('ticket.addnote'), note, 'note'),
    h('div', { class: 'field-error', 'data-error-for': '_form' }),
    h('button', { type: 'submit', class: 'primary', id: 'ticket-save' }, t('ticket.save')))
    const notes = (tk.notes || []).length ? h('ul', { class: 'notes', id: 'ticket-notes' }, tk.notes.map((n) =>
      h('li', {}, h('div', { class: 'meta' }, agentName(ctx, n.author), ' · ', when(n.at)), h('div', {}, n.body))))
      : h('p', { class: 'hint', id: 'ticket-notes' }, t('ticket.noNotes'))
    const cols = ['call.direction', 'call.from', 'call.to', 'call.callerid', 'call.queue', 'call.agent', 'call.offered',
      'call.answered', 'call.ended', 'call.talk', 'call.hold', 'call.cause', 'call.by', 'call.transfers']
    const calls = (tk.calls || []).length ? tableWrap(h('table', { class: 'list', id: 'ticket-calls' },
      h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, tk.calls.flatMap((c) => [h('tr', { 'data-call': c.id },
        h('td', {}, enumLabel('dir', c.direction)), h('td', {}, callButton(ctx, c.from)), h('td', {}, callButton(ctx, c.to)), h('td', {}, phone(c.caller_id)),
        h('td', {}, c.queue ? code(c.queue) : ''), h('td', {}, agentName(ctx, c.agent)), h('td', {}, when(c.offered_at)), h('td', {}, when(c.answered_at)),
        h('td', {}, when(c.ended_at)), h('td', {}, duration(c.talk_seconds)), h('td', {}, duration(c.hold_seconds)),
        h('td', { 'data-cause': c.hangup_cause || '' }, enumLabel('cause', c.hangup_cause)), h('td', { 'data-by': c.hangup_by || '' }, enumLabel('by', c.hangup_by)),
        h('td', {}, (c.transfers || []).map((x) => h('div', { 'data-outcome': x.outcome },
          agentName(ctx, x.from), ' → ', transferTo(ctx, x), ': ', enumLabel('outcome', x.outcome))))),
        // the recording on a row of its own under its call, where a wide table cannot push it
        // out of sight
        c.recording ? h('tr', { class: 'recording-row', 'data-recording-of': c.id },
          h('td', { colspan: cols.length }, recordingPlayer(c.recording))) : null]).filter(Boolean))), t('ticket.calls'))
      : h('p', { class: 'hint', id: 'ticket-calls' }, t('ticket.noCalls'))
    const earlier = (tk.earlier || []).length ? h('ul', { class: 'earlier', id: 'ticket-earlier' }, tk.earlier.map((e) =>
      h('li', { 'data-id': e.id }, h('a', { href: `#/tickets/${e.id}` }, `#${e.id} ${e.subject}`), ' ', h('span', { class: 'badge status-' + e.status }, t('status.' + e.status)), ' ', when(e.created_at))))
      : h('p', { class: 'hint', id: 'ticket-earlier' }, t('ticket.noEarlier'))
    clear(main,
      h('p', {}, h('a', { href: '#/tickets' }, '← ' + t('tickets.back'))),
      h('div', { class: 'screen-head' }, h('h1', { id: 'ticket-title', 'data-id': tk.id, 'data-service': tk.service }, `#${tk.id} ${tk.subject || ''}`), helpLink('ticket')),
      h('p', { class: 'customer' }, t('ticket.customer'), ': ', callButton(ctx, tk.phone, 'ticket-phone')),
      h('div', { class: 'ticket-grid' },
        h('section', { 'aria-labelledby': 'notes-title' }, form, h('h2', { id: 'notes-title' }, t('ticket.notes')), notes),
        h('section', { 'aria-labelledby': 'earlier-title' }, h('h2', { id: 'earlier-title' }, t('ticket.earlier')), earlier)),
      h('h2', {}, t('ticket.calls')), calls)
  }
  load()
  const off = ctx.events.on((ev) => {
    if ((ev.type === 'ticket.updated' && ev.data.ticket === id) || (ev.type === 'call.ended' && ticket && (ticket.calls || []).some((c) => c.id === ev.call))) load()
  })
  return { destroy: off }
}

// recordingPlayer plays a call's recording inline with the browser's own controls (a seek bar,
// keyboard operable); the browser asks for ranges as it seeks. Playing needs the right to: the
// call's agent, the service's managers and administrators; the server logs each play.
function recordingPlayer(r) {
  if (!r) return ''
  const src = '/api/v1/recordings/' + encodeURIComponent(r.id)
  return h('div', { class: 'recording', 'data-recording': r.id }, h('span', {}, t('call.recording'), ' '),
    h('audio', { controls: true, preload: 'none', src, 'aria-label': t('recording.player', { seconds: duration(r.seconds) }) }),
    r.paused_seconds > 0 ? h('div', { class: 'hint' }, t('recording.paused', { seconds: duration(r.paused_seconds) })) : '',
    h('a', { href: src + '?download=1', download: r.id + '.wav' }, t('recording.download')))
}

function transferTo(ctx, x) {
  const to = x.to || x.target || ''
  if (to.startsWith('agent:')) return agentName(ctx, to.slice(6))
  if ((ctx.agents || []).some((a) => a.login === to)) return agentName(ctx, to)
  return isPhoneNumber(to) ? formatPhone(to) : code(to)
}
