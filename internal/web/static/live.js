// The supervisors' live view: each agent's state and time in it, each queue's waiting calls,
// and on each call the buttons that ring the manager's own phone into it: listen, whisper
// (coaching: only the agent hears) or barge in (a three-way call).
import { get, post, put, del } from './api.js'
import { h, clear, helpLink, tableWrap, code, toast } from './dom.js'
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
      h('th', { scope: 'col' }, t('live.state')), h('th', { scope: 'col' }, t('live.time')), h('th', { scope: 'col' }, t('live.registered')),
      h('th', { scope: 'col' }, t('live.monitor')))), agents), t('live.agents')),
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
        ? h('span', { class: 'ok' }, '● ', t('live.phoneOn')) : h('span', { class: 'warn' }, '○ ', t('live.phoneOff'))),
      h('td', { class: 'monitor' }, monitorControls(a))))
      : h('tr', {}, h('td', { colspan: 6, class: 'hint' }, t('live.noAgents'))))
    clear(queues, data.queues.map((q) => h('section', { class: 'card queue', 'data-queue': q.number, 'aria-label': `${q.name || ''} ${q.number}` },
      h('h3', {}, `${q.name || ''} (`, code(q.number), ')'),
      h('p', {}, `${t('live.ready')}: ${q.ready} · ${t('live.waiting')}: ${q.waiting.length}`),
      q.waiting.length ? h('ol', {}, q.waiting.map((w) => h('li', {}, formatPhone(w.from), ' · ', clock((Date.now() - new Date(w.since)) / 1000))))
        : h('p', { class: 'hint' }, t('live.noWaiting')))))
  }
  // monitorControls are the buttons for the call an agent is on: the three ways in, or, once
  // this manager is on it, the other two and leaving
  function monitorControls(a) {
    if (!a.call || !['on_call', 'held', 'consulting'].includes(a.state)) return ''
    const m = (data.monitors || []).find((x) => x.call === a.call)
    const path = '/api/v1/calls/' + encodeURIComponent(a.call) + '/monitor'
    const act = (f) => async () => {
      try { await f(); load() } catch (e) { toast(errorText(e)) }
    }
    const modes = ['listen', 'whisper', 'barge']
    if (m && m.by !== ctx.me.login) return h('span', { class: 'hint' }, t('monitor.joined', { name: m.name || m.by, mode: t('monitor.' + m.mode) }))
    if (!m) {
      return h('div', { class: 'monitor-actions' }, modes.map((mode) => h('button', { type: 'button', 'data-mode': mode, title: t(`monitor.${mode}Hint`),
        onclick: act(async () => { await post(path, { mode }); toast(t('monitor.started')) }) }, t('monitor.' + mode))))
    }
    return h('div', { class: 'monitor-actions', 'data-monitoring': m.mode },
      h('span', {}, m.state === 'joined' ? t('monitor.joined', { name: m.name || m.by, mode: t('monitor.' + m.mode) }) : t('monitor.ringing', { name: m.name || m.by }), ' '),
      modes.filter((mode) => mode !== m.mode).map((mode) => h('button', { type: 'button', 'data-mode': mode, title: t(`monitor.${mode}Hint`),
        onclick: act(() => put(path, { mode })) }, t('monitor.' + mode))),
      h('button', { type: 'button', class: 'danger', 'data-mode': 'leave', onclick: act(() => del(path)) }, t('monitor.leave')))
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
