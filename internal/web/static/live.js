// The supervisors' live view: each agent's state and time in it, each queue's waiting calls.
import { get } from './api.js'
import { h, clear, helpLink, tableWrap, code } from './dom.js'
import { t, stateLabel, errorText } from './i18n.js'
import { clock, formatPhone } from './format.js'

export function liveView(ctx, main) {
  let data = null
  let fetchedAt = 0
  const agents = h('tbody', { id: 'live-agents' })
  const queues = h('div', { id: 'live-queues', class: 'queues' })
  const summary = h('p', { id: 'live-summary' })
  clear(main, h('div', { class: 'screen-head' }, h('h1', {}, t('live.title')), helpLink('live')), summary, h('h2', {}, t('live.agents')),
    tableWrap(h('table', { class: 'list' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('admin.name')), h('th', { scope: 'col' }, t('admin.extension')),
      h('th', { scope: 'col' }, t('live.state')), h('th', { scope: 'col' }, t('live.time')), h('th', { scope: 'col' }, t('live.registered')))), agents), t('live.agents')),
    h('h2', {}, t('live.queues')), queues)
  async function load() {
    try {
      data = await get('/api/v1/live?service=' + encodeURIComponent(ctx.service))
      fetchedAt = Date.now()
      render()
    } catch (e) {
      clear(summary, errorText(e))
    }
  }
  function render() {
    if (!data) return
    const age = (Date.now() - fetchedAt) / 1000
    summary.textContent = `${t('live.calls')}: ${data.calls}`
    clear(agents, data.agents.length ? data.agents.map((a) => h('tr', { 'data-login': a.login },
      h('td', {}, a.name || code(a.login)), h('td', {}, a.extension ? code(a.extension) : ''),
      h('td', {}, h('span', { class: 'state-label state-' + a.state }, stateLabel(a.state, a.reason))),
      h('td', {}, clock(a.seconds_in_state + age)),
      h('td', {}, a.phone_registered === undefined ? '' : a.phone_registered
        ? h('span', { class: 'ok' }, '● ', t('live.phoneOn')) : h('span', { class: 'warn' }, '○ ', t('live.phoneOff')))))
      : h('tr', {}, h('td', { colspan: 5, class: 'hint' }, t('live.noAgents'))))
    clear(queues, data.queues.map((q) => h('section', { class: 'card queue', 'data-queue': q.number, 'aria-label': `${q.name || ''} ${q.number}` },
      h('h3', {}, `${q.name || ''} (`, code(q.number), ')'),
      h('p', {}, `${t('live.ready')}: ${q.ready} · ${t('live.waiting')}: ${q.waiting.length}`),
      q.waiting.length ? h('ol', {}, q.waiting.map((w) => h('li', {}, formatPhone(w.from), ' · ', clock((Date.now() - new Date(w.since)) / 1000))))
        : h('p', { class: 'hint' }, t('live.noWaiting')))))
  }
  load()
  let pending = null
  const off = ctx.events.on((ev) => {
    if (ev.service && ev.service !== ctx.service) return
    if (!pending) pending = setTimeout(() => { pending = null; load() }, 100)
  })
  const tick = setInterval(render, 1000)
  return { destroy: () => { off(); clearInterval(tick); clearTimeout(pending) } }
}
