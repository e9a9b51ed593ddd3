// 통화 이력 and 부재중. The call history (GET /api/v1/calls) searched by period, number (with or
// without hyphens), agent, queue and outcome, each row linking to its ticket, paged, and
// exported as CSV. The missed-call list (GET /api/v1/tickets?callback=true): customers who gave
// up waiting, each with one-click 걸기 back (POST /api/v1/cti/dial with the ticket), which
// clears 콜백 필요 once the customer answers.
import { get, post } from './api.js'
import { h, clear, helpLink, tableWrap, code, field, toast, phone, when, showErrors, apiErrors } from './dom.js'
import { t, enumLabel, errorText } from './i18n.js'
import { duration, plainNumber, formatPhone } from './format.js'
import { localDate } from './reports.js'

const outcomes = ['answered', 'abandoned', 'failed', 'internal']

export function callsView(ctx, main) {
  const week = new Date(Date.now() - 6 * 86400000)
  const from = h('input', { type: 'date', name: 'from', id: 'calls-from', value: localDate(week) })
  const to = h('input', { type: 'date', name: 'to', id: 'calls-to', value: localDate() })
  const number = h('input', { name: 'phone', id: 'calls-phone', inputmode: 'tel', autocomplete: 'off' })
  const agent = h('select', { name: 'agent', id: 'calls-agent' }, h('option', { value: '' }, t('calls.all')))
  const queue = h('select', { name: 'queue', id: 'calls-queue' }, h('option', { value: '' }, t('calls.all')))
  const outcome = h('select', { name: 'outcome', id: 'calls-outcome' }, h('option', { value: '' }, t('calls.all')),
    outcomes.map((o) => h('option', { value: o }, t('result.' + o))))
  const csv = h('a', { class: 'button', id: 'calls-csv', download: '' }, t('calls.csv'))
  const rows = h('tbody', { id: 'calls-rows' })
  const more = h('button', { type: 'button', id: 'calls-more', hidden: true, onclick: () => load(next) }, t('common.more'))
  const count = h('p', { class: 'hint', id: 'calls-count', role: 'status' })
  let next = null
  let shown = 0
  const query = () => {
    const q = new URLSearchParams({ service: ctx.service })
    if (from.value) q.set('from', from.value)
    if (to.value) q.set('to', to.value)
    if (number.value.trim()) q.set('phone', plainNumber(number.value))
    if (agent.value) q.set('agent', agent.value)
    if (queue.value) q.set('queue', queue.value)
    if (outcome.value) q.set('outcome', outcome.value)
    return q
  }
  const form = h('form', { class: 'filters', id: 'calls-form', 'aria-label': t('calls.title'), onsubmit: (e) => { e.preventDefault(); load() } },
    field(t('reports.from'), from, 'from'), field(t('reports.to'), to, 'to'),
    field(t('calls.phone'), number, 'phone', t('dial.hint')), field(t('calls.agent'), agent, 'agent'),
    field(t('calls.queue'), queue, 'queue'), field(t('calls.outcome'), outcome, 'outcome'),
    h('div', { class: 'field-error', 'data-error-for': '_form' }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'calls-search' }, t('calls.search')), csv))
  const cols = ['calls.started', 'calls.dir', 'calls.customer', 'calls.queue', 'calls.agent', 'calls.outcome', 'calls.wait', 'calls.talk', 'calls.cause', 'calls.ticket']
  clear(main, h('div', { class: 'screen-head' }, h('h1', {}, t('calls.title')), helpLink('calls')), form, count,
    tableWrap(h('table', { class: 'list', id: 'calls-table' }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, t(c))))), rows), t('calls.title')),
    more)

  // agents and queues of the service, for the pickers
  get('/api/v1/stats/realtime?service=' + encodeURIComponent(ctx.service)).then((rt) => {
    agent.append(...(rt.agents || []).map((a) => h('option', { value: a.login }, a.name || a.login)))
    queue.append(...(rt.queues || []).map((q) => h('option', { value: q.queue }, `${q.name || ''} (${q.queue})`)))
  }).catch(() => {})

  function row(c) {
    const customer = c.direction === 'outbound' ? c.to : c.from
    return h('tr', { 'data-call': c.id, 'data-outcome': c.outcome },
      h('td', {}, when(c.started_at)), h('td', {}, enumLabel('dir', c.direction)), h('td', {}, phone(customer)),
      h('td', {}, c.queue ? [c.queue_name || '', ' ', code(c.queue)] : ''), h('td', {}, c.agent ? c.agent_name || code(c.agent) : ''),
      h('td', {}, h('span', { class: 'badge result-' + c.outcome }, t('result.' + c.outcome))),
      h('td', {}, c.wait_seconds ? duration(c.wait_seconds) : ''), h('td', {}, c.talk_seconds ? duration(c.talk_seconds) : ''),
      h('td', {}, enumLabel('cause', c.hangup_cause)),
      h('td', {}, c.ticket ? h('a', { href: `#/tickets/${c.ticket}`, class: 'call-ticket' }, t('calls.ticketLink', { id: c.ticket })) : ''))
  }

  async function load(before) {
    const q = query()
    csv.href = '/api/v1/calls?' + q + '&format=csv'
    if (before) q.set('before', before)
    showErrors(form, [])
    try {
      const r = await get('/api/v1/calls?' + q)
      if (!before) { clear(rows); shown = 0 }
      rows.append(...r.calls.map(row))
      shown += r.calls.length
      if (!shown) rows.append(h('tr', {}, h('td', { colspan: cols.length, class: 'hint' }, t('calls.none'))))
      next = r.next || null
      more.hidden = !next
      count.textContent = t('calls.count', { n: shown })
    } catch (e) {
      showErrors(form, apiErrors(e))
    }
  }
  load()
  return null
}

export function missedView(ctx, main) {
  const rows = h('tbody', { id: 'missed-rows' })
  const cols = ['missed.when', 'missed.phone', 'missed.wait', 'missed.count', 'missed.ticket', 'common.actions']
  clear(main, h('div', { class: 'screen-head' }, h('h1', {}, t('missed.title')), helpLink('missed')),
    tableWrap(h('table', { class: 'list', id: 'missed-table' }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, t(c))))), rows), t('missed.title')))
  async function callBack(tk) {
    const w = ctx.widget
    if (!w) return toast(t('phone.loginFirst'), 'warn')
    const st = w.view.state
    if (st === 'logged_out') { w.toggle(true); return toast(t('phone.loginFirst'), 'warn') }
    if (!['default', 'break', 'ready', 'work'].includes(st)) return toast(t('phone.busyNow'), 'warn')
    if (w.view.service && w.view.service !== tk.service) return toast(errorText({ code: 'ticket_other_service' }), 'warn')
    const ids = w.settings?.caller_ids || []
    if (!ids.length) return toast(t('missed.noCallerId'), 'warn')
    // the widget shows what follows (발신 중, then the call), and an error in plain words
    if (await w.act(() => post('/api/v1/cti/dial', { ticket: tk.id, caller_id: ids[0] }))) toast(t('missed.calling', { number: formatPhone(tk.phone) }))
  }
  async function load() {
    try {
      const r = await get('/api/v1/tickets?callback=true&service=' + encodeURIComponent(ctx.service))
      clear(rows, r.tickets.length ? r.tickets.map((tk) => h('tr', { 'data-ticket': tk.id },
        h('td', {}, when(tk.missed_at || tk.updated_at)), h('td', {}, phone(tk.phone)),
        h('td', {}, tk.wait_seconds ? duration(tk.wait_seconds) : ''), h('td', {}, tk.missed_calls ? String(tk.missed_calls) : ''),
        h('td', {}, h('a', { href: `#/tickets/${tk.id}` }, t('calls.ticketLink', { id: tk.id }))),
        h('td', {}, ctx.me.phone_services.includes(tk.service)
          ? h('button', { type: 'button', class: 'primary missed-call', 'aria-label': t('missed.callTo', { number: formatPhone(tk.phone) }), onclick: () => callBack(tk) }, t('missed.call'))
          : '')))
        : h('tr', {}, h('td', { colspan: cols.length, class: 'hint', id: 'missed-none' }, t('missed.none'))))
    } catch (e) {
      clear(rows, h('tr', {}, h('td', { colspan: cols.length, class: 'field-error' }, errorText(e))))
    }
  }
  load()
  // a missed call comes or goes (called back, answered when the customer called again)
  let pending = null
  const off = ctx.events.on((ev) => {
    if (ev.type !== 'ticket.updated' && ev.type !== 'ticket.created') return
    if (!pending) pending = setTimeout(() => { pending = null; load() }, 150)
  })
  return { destroy: () => { off(); clearTimeout(pending) } }
}
