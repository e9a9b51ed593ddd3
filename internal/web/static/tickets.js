// Tickets of a service: the list with its filters, and the ticket screen with notes, the
// linked calls and the caller's earlier tickets.
import { get, patch } from './api.js'
import { h, clear, toast, fmtTime, field, showErrors, apiErrors } from './dom.js'
import { t } from './i18n.js'

const statuses = ['new', 'open', 'pending', 'solved', 'closed']

export function ticketList(ctx, main) {
  const saved = JSON.parse(sessionStorage.getItem('ringdesk.filter') || '{}')
  const status = h('select', { name: 'status', id: 'filter-status' }, h('option', { value: '' }, t('tickets.all')),
    statuses.map((s) => h('option', { value: s, selected: saved.status === s }, t('status.' + s))))
  const phone = h('input', { name: 'phone', id: 'filter-phone', value: saved.phone || '', inputmode: 'tel' })
  const assignee = h('input', { name: 'assignee', id: 'filter-assignee', value: saved.assignee || '' })
  const table = h('tbody')
  const more = h('button', { hidden: true, onclick: () => load(true) }, t('tickets.more'))
  let last = 0
  const form = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(false) } },
    field(t('tickets.status'), status, 'status'), field(t('tickets.phone'), phone, 'phone'),
    field(t('tickets.assignee'), assignee, 'assignee'),
    h('button', { type: 'submit', class: 'primary', id: 'filter-search' }, t('tickets.search')),
    h('div', { class: 'field-error', 'data-error-for': '_form' }))
  async function load(append) {
    const q = new URLSearchParams({ service: ctx.service, limit: '50' })
    if (status.value) q.set('status', status.value)
    if (phone.value.trim()) {
      if (!/^\+?\d+$/.test(phone.value.trim())) return showErrors(form, [{ field: 'phone', message: t('err.digits') }])
      q.set('phone', phone.value.trim())
    }
    if (assignee.value.trim()) q.set('assignee', assignee.value.trim())
    if (append && last) q.set('before', String(last))
    showErrors(form, [])
    sessionStorage.setItem('ringdesk.filter', JSON.stringify({ status: status.value, phone: phone.value, assignee: assignee.value }))
    try {
      const r = await get('/api/v1/tickets?' + q)
      const rows = r.tickets.map((tk) => h('tr', { 'data-id': tk.id, onclick: () => { location.hash = `#/tickets/${tk.id}` } },
        h('td', {}, h('a', { href: `#/tickets/${tk.id}` }, '#' + tk.id)), h('td', {}, tk.subject),
        h('td', {}, h('span', { class: 'badge status-' + tk.status }, t('status.' + tk.status))),
        h('td', {}, tk.phone), h('td', {}, tk.assignee), h('td', {}, fmtTime(tk.created_at))))
      if (append) table.append(...rows)
      else clear(table, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'hint' }, t('tickets.none'))))
      if (r.tickets.length) last = r.tickets[r.tickets.length - 1].id
      more.hidden = r.tickets.length < 50
    } catch (e) {
      showErrors(form, apiErrors(e))
    }
  }
  clear(main, h('h2', {}, t('tickets.title')), form,
    h('table', { class: 'list', id: 'ticket-list' }, h('thead', {}, h('tr', {},
      h('th', {}, '#'), h('th', {}, t('tickets.subject')), h('th', {}, t('tickets.status')), h('th', {}, t('tickets.phone')),
      h('th', {}, t('tickets.assignee')), h('th', {}, t('tickets.created')))), table), more)
  load(false)
  const off = ctx.events.on((ev) => { if (ev.type === 'ticket.created' || ev.type === 'ticket.updated') load(false) })
  return { destroy: off }
}

export function ticketView(ctx, main, id) {
  let ticket = null
  async function load() {
    try {
      ticket = await get(`/api/v1/tickets/${id}`)
      render()
    } catch (e) {
      clear(main, h('p', { class: 'error' }, e.message))
    }
  }
  function render() {
    const tk = ticket
    const subject = h('input', { name: 'subject', id: 'ticket-subject', value: tk.subject })
    const status = h('select', { name: 'status', id: 'ticket-status' }, statuses.map((s) => h('option', { value: s, selected: tk.status === s }, t('status.' + s))))
    const assignee = h('input', { name: 'assignee', id: 'ticket-assignee', value: tk.assignee })
    const note = h('textarea', { name: 'note', id: 'ticket-note', rows: 3 })
    const form = h('form', { class: 'ticket-form', id: 'ticket-form', onsubmit: async (e) => {
      e.preventDefault()
      const body = {}
      if (subject.value !== tk.subject) body.subject = subject.value
      if (status.value !== tk.status) body.status = status.value
      if (assignee.value.trim() !== tk.assignee) body.assignee = assignee.value.trim()
      if (note.value.trim()) body.note = note.value.trim()
      if (!Object.keys(body).length) return
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
    const notes = h('ul', { class: 'notes', id: 'ticket-notes' }, (tk.notes || []).map((n) =>
      h('li', {}, h('div', { class: 'meta' }, `${n.author} · ${fmtTime(n.at)}`), h('div', {}, n.body))))
    const calls = h('table', { class: 'list', id: 'ticket-calls' },
      h('thead', {}, h('tr', {}, ['call.direction', 'call.from', 'call.to', 'call.callerid', 'call.queue', 'call.agent', 'call.offered',
        'call.answered', 'call.ended', 'call.talk', 'call.hold', 'call.cause', 'call.by', 'call.transfers'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, (tk.calls || []).map((c) => h('tr', { 'data-call': c.id },
        h('td', {}, t('dir.' + c.direction)), h('td', {}, c.from), h('td', {}, c.to), h('td', {}, c.caller_id), h('td', {}, c.queue),
        h('td', {}, c.agent), h('td', {}, fmtTime(c.offered_at)), h('td', {}, fmtTime(c.answered_at)), h('td', {}, fmtTime(c.ended_at)),
        h('td', {}, Math.round(c.talk_seconds)), h('td', {}, Math.round(c.hold_seconds)), h('td', {}, c.hangup_cause), h('td', {}, c.hangup_by),
        h('td', {}, (c.transfers || []).map((x) => h('div', {}, `${x.from} → ${x.to || x.target} (${x.outcome})`)))))))
    const earlier = h('ul', { class: 'earlier', id: 'ticket-earlier' }, (tk.earlier || []).map((e) =>
      h('li', {}, h('a', { href: `#/tickets/${e.id}` }, `#${e.id} ${e.subject}`), ' ', h('span', { class: 'badge status-' + e.status }, t('status.' + e.status)), ' ', fmtTime(e.created_at))))
    clear(main,
      h('p', {}, h('a', { href: '#/tickets' }, '← ' + t('tickets.title'))),
      h('h2', { id: 'ticket-title', 'data-id': tk.id, 'data-service': tk.service }, `#${tk.id} · ${tk.phone || ''}`),
      h('div', { class: 'ticket-grid' },
        h('div', {}, form, h('h3', {}, t('ticket.notes')), notes),
        h('div', {}, h('h3', {}, t('ticket.earlier')), earlier)),
      h('h3', {}, t('ticket.calls')), calls)
  }
  load()
  const off = ctx.events.on((ev) => {
    if ((ev.type === 'ticket.updated' && ev.data.ticket === id) || (ev.type === 'call.ended' && ticket && (ticket.calls || []).some((c) => c.id === ev.call))) load()
  })
  return { destroy: off }
}
