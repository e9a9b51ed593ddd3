// The supervisors' live view: every agent of the service, logged in or not, with its state and
// time in it; a supervisor's hand on each (put on 휴식/대기/기본/업무 with its reason, or CTI
// 로그아웃: the agent's widget says who did it); each queue's waiting calls; on each call the
// buttons that ring the manager's own phone into it: listen, whisper (coaching: only the agent
// hears) or barge in (a three-way call); and the wallboard: open it, or make an address for a TV.
import { get, post, put, del } from './api.js'
import { h, clear, helpLink, tableWrap, code, toast, confirmDialog } from './dom.js'
import { t, stateLabel, errorText } from './i18n.js'
import { clock, formatPhone } from './format.js'

export function liveView(ctx, main) {
  let data = null
  let fetchedAt = 0
  const chosen = {} // login → a state chosen in its row, not yet applied
  const agents = h('tbody', { id: 'live-agents' })
  const queues = h('div', { id: 'live-queues', class: 'queues' })
  const summary = h('p', { id: 'live-summary' })
  clear(main, h('div', { class: 'screen-head' }, h('h1', {}, t('live.title')), helpLink('live')), summary, h('h2', {}, t('live.agents')),
    tableWrap(h('table', { class: 'list' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('admin.name')), h('th', { scope: 'col' }, t('admin.extension')),
      h('th', { scope: 'col' }, t('live.state')), h('th', { scope: 'col' }, t('live.time')), h('th', { scope: 'col' }, t('live.registered')),
      h('th', { scope: 'col' }, t('live.actions')), h('th', { scope: 'col' }, t('live.monitor')))), agents), t('live.agents')),
    h('h2', {}, t('live.queues')), queues, wallboardTools(ctx))
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
    // drawn afresh each second: the control that had the focus gets it back
    const f = document.activeElement
    const row = f && agents.contains(f) ? f.closest('tr')?.dataset.login : null
    const cls = row ? [...f.classList].find((c) => c.startsWith('supervise-')) || (f.dataset.mode ? `[data-mode="${f.dataset.mode}"]` : '') : ''
    const age = (Date.now() - fetchedAt) / 1000
    summary.textContent = `${t('live.calls')}: ${data.calls}`
    clear(agents, data.agents.length ? data.agents.map((a) => h('tr', { 'data-login': a.login },
      h('td', {}, a.name || code(a.login)), h('td', {}, a.extension ? code(a.extension) : ''),
      h('td', {}, h('span', { class: 'state-label state-' + a.state }, stateLabel(a.state, a.reason))),
      h('td', {}, clock(a.seconds_in_state + age)),
      h('td', {}, a.phone_registered === undefined ? '' : a.phone_registered
        ? h('span', { class: 'ok' }, '● ', t('live.phoneOn')) : h('span', { class: 'warn' }, '○ ', t('live.phoneOff'))),
      h('td', {}, supervise(a)),
      h('td', { class: 'monitor' }, monitorControls(a))))
      : h('tr', {}, h('td', { colspan: 7, class: 'hint' }, t('live.noAgents'))))
    clear(queues, data.queues.map((q) => h('section', { class: 'card queue', 'data-queue': q.number, 'aria-label': `${q.name || ''} ${q.number}` },
      h('h3', {}, `${q.name || ''} (`, code(q.number), ')'),
      h('p', {}, `${t('live.ready')}: ${q.ready} · ${t('live.waiting')}: ${q.waiting.length}`),
      q.waiting.length ? h('ol', {}, q.waiting.map((w) => h('li', {}, formatPhone(w.from), ' · ', clock((Date.now() - new Date(w.since)) / 1000))))
        : h('p', { class: 'hint' }, t('live.noWaiting')))))
    if (row && cls) agents.querySelector(`tr[data-login="${CSS.escape(row)}"] ${cls.startsWith('[') ? cls : '.' + cls}`)?.focus()
  }
  // supervise is a supervisor's hand on one agent: a state (업무 with its reason) and CTI
  // 로그아웃. The engine says what may not be done now (an agent on a call: invalid_state).
  function supervise(a) {
    const name = a.name || a.login
    if (a.state === 'logged_out') return h('span', { class: 'hint' }, t('live.notLoggedIn'))
    const choices = [['break', ''], ['ready', ''], ['default', ''], ...reasons.map((r) => ['work', r])]
    // the list is drawn again every second: a choice not yet applied is kept
    const now = a.state === 'work' ? `work:${a.reason}` : a.state
    const sel = h('select', { class: 'supervise-state', 'aria-label': t('live.setState', { name }), onchange: () => { chosen[a.login] = sel.value } },
      choices.map(([s, r]) => h('option', { value: r ? `${s}:${r}` : s, selected: (chosen[a.login] ?? now) === (r ? `${s}:${r}` : s) }, stateLabel(s, r))))
    const act = (f) => async () => {
      try { await f(); load() } catch (e) { toast(errorText(e), 'error') }
    }
    const path = '/api/v1/agents/' + encodeURIComponent(a.login) + '/cti/'
    return h('div', { class: 'supervise' }, sel,
      h('button', { type: 'button', class: 'supervise-apply', onclick: act(async () => {
        const [state, reason] = sel.value.split(':')
        await put(path + 'state', reason ? { state, reason } : { state })
        delete chosen[a.login]
        toast(t('live.changed', { name, state: stateLabel(state, reason) }))
      }) }, t('live.apply')),
      h('button', { type: 'button', class: 'supervise-logout', onclick: act(async () => {
        if (!(await confirmDialog({ title: t('live.logoutTitle', { name }), body: t('live.logoutBody'), ok: t('live.forceLogout') }))) return
        await post(path + 'logout')
        toast(t('live.loggedOut', { name }))
      }) }, t('live.forceLogout')))
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

const reasons = ['training', 'report', 'meeting', 'ticket', 'chat', 'coaching']

// wallboardTools open the service's wallboard here, or make an address a TV opens without a
// login (a read-only token in the address's fragment), or revoke every such address.
function wallboardTools(ctx) {
  const svc = ctx.service
  const page = '/wallboard?service=' + encodeURIComponent(svc)
  const out = h('div', { class: 'wallboard-made', id: 'wallboard-made' })
  return h('section', { class: 'card', 'aria-labelledby': 'wallboard-title' },
    h('h2', { id: 'wallboard-title' }, t('live.wallboard')),
    h('div', { class: 'wallboard-tools' },
      h('a', { class: 'button', href: page, target: '_blank', rel: 'noopener', id: 'wallboard-open' }, t('wb.open')),
      h('button', { type: 'button', id: 'wallboard-token', onclick: async () => {
        try {
          const r = await post('/api/v1/services/' + encodeURIComponent(svc) + '/wallboard-token')
          const url = location.origin + r.url
          const input = h('input', { id: 'wallboard-url', readonly: true, value: url, translate: 'no' })
          clear(out, h('p', { role: 'status' }, t('wb.tokenMade')), h('div', { class: 'field' },
            h('label', { class: 'field-label', for: 'wallboard-url' }, t('wb.tokenUrl')),
            h('div', { class: 'wallboard-tools' }, input,
              h('button', { type: 'button', id: 'wallboard-copy', onclick: async () => {
                input.select()
                try { await navigator.clipboard.writeText(url); toast(t('wb.copied')) } catch { /* selected: Ctrl+C copies */ }
              } }, t('wb.copy')),
              h('a', { class: 'button', href: url, target: '_blank', rel: 'noopener', id: 'wallboard-tv' }, t('wb.open')))))
        } catch (e) { toast(errorText(e), 'error') }
      } }, t('wb.makeToken')),
      h('button', { type: 'button', id: 'wallboard-revoke', class: 'danger', onclick: async () => {
        if (!(await confirmDialog({ title: t('wb.revokeTitle'), body: t('wb.revokeBody'), ok: t('wb.revokeAll') }))) return
        try {
          const r = await del('/api/v1/services/' + encodeURIComponent(svc) + '/wallboard-token')
          clear(out)
          toast(t('wb.revoked.n', { n: r.revoked }))
        } catch (e) { toast(errorText(e), 'error') }
      } }, t('wb.revokeAll'))),
    h('p', { class: 'hint' }, h('a', { href: '#/help/wallboard' }, t('common.helpFor', { page: t('help.wallboard.title') }))), out)
}
