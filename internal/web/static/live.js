// The supervisors' live view: each agent's state and time in it, each queue's waiting calls.
import { get } from './api.js'
import { h, clear, fmtDuration } from './dom.js'
import { t, stateLabel } from './i18n.js'

export function liveView(ctx, main) {
  let data = null
  let fetchedAt = 0
  const agents = h('tbody', { id: 'live-agents' })
  const queues = h('div', { id: 'live-queues', class: 'queues' })
  const summary = h('p', { id: 'live-summary' })
  clear(main, h('h2', {}, t('live.title')), summary, h('h3', {}, t('live.agents')),
    h('table', { class: 'list' }, h('thead', {}, h('tr', {}, h('th', {}, t('admin.name')), h('th', {}, t('admin.extension')),
      h('th', {}, t('live.state')), h('th', {}, t('live.time')), h('th', {}, t('live.registered')))), agents),
    h('h3', {}, t('live.queues')), queues)
  async function load() {
    try {
      data = await get('/api/v1/live?service=' + encodeURIComponent(ctx.service))
      fetchedAt = Date.now()
      render()
    } catch (e) {
      clear(summary, e.message)
    }
  }
  function render() {
    if (!data) return
    const age = (Date.now() - fetchedAt) / 1000
    summary.textContent = `${t('live.calls')}: ${data.calls}`
    clear(agents, data.agents.map((a) => h('tr', { 'data-login': a.login },
      h('td', {}, `${a.name} (${a.login})`), h('td', {}, a.extension || ''),
      h('td', {}, h('span', { class: 'state-label state-' + a.state }, stateLabel(a.state, a.reason))),
      h('td', {}, fmtDuration(a.seconds_in_state + age)),
      h('td', {}, a.phone_registered === undefined ? '' : a.phone_registered ? '●' : '○'))))
    clear(queues, data.queues.map((q) => h('div', { class: 'card queue', 'data-queue': q.number },
      h('h4', {}, `${q.name || ''} (${q.number})`),
      h('p', {}, `${t('live.ready')}: ${q.ready} · ${t('live.waiting')}: ${q.waiting.length}`),
      h('ol', {}, q.waiting.map((w) => h('li', {}, `${w.from} · ${fmtDuration((Date.now() - new Date(w.since)) / 1000)}`))))))
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
