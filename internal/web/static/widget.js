// The phone widget: the phone icon at the bottom right opens it at the top right. It shows
// the agent's CTI state and, per state, exactly the guide's controls.
import { get, post, put } from './api.js'
import { h, clear, toast, fmtDuration, field, showErrors } from './dom.js'
import { t, stateLabel } from './i18n.js'
import { Softphone } from './softphone.js'

const reasons = ['training', 'report', 'meeting', 'ticket', 'chat', 'coaching']

export class Widget {
  constructor(ctx) {
    this.ctx = ctx
    this.view = { state: 'logged_out', reason: '', service: '', call: null, offer: null }
    this.settings = null // of the service the agent works in
    this.panelMode = '' // '', 'dial', 'transfer', 'forced', 'work'
    this.open = localStorage.getItem('ringdesk.widget') === 'open'
    this.icon = h('button', { class: 'phone-icon', id: 'phone-icon', title: t('phone.icon'), 'aria-label': t('phone.icon'),
      onclick: () => this.toggle() }, '☎')
    this.panel = h('section', { class: 'phone-widget', id: 'phone-widget', 'aria-label': t('phone.widget'), hidden: !this.open })
    this.softphone = ctx.me.phone === 'browser' ? new Softphone(ctx.events, (m) => this.softphoneStatus(m)) : null
    this.phoneStatus = ''
    this.off = ctx.events.on((ev) => this.onEvent(ev))
    this.tick = setInterval(() => this.renderClock(), 250)
    this.refresh()
  }

  destroy() {
    this.off()
    clearInterval(this.tick)
    if (this.softphone) this.softphone.destroy()
    this.icon.remove()
    this.panel.remove()
  }

  toggle() {
    this.open = !this.open
    localStorage.setItem('ringdesk.widget', this.open ? 'open' : 'closed')
    this.panel.hidden = !this.open
    if (this.open) this.render()
  }

  softphoneStatus(msg) {
    this.phoneStatus = msg
    this.render()
  }

  async refresh() {
    try {
      this.setView(await get('/api/v1/cti'))
    } catch { /* shown by the offline banner */ }
  }

  async setView(v) {
    const before = this.view
    this.view = v
    if (v.notice && v.notice.at !== this.noticeShown) {
      // e.g. logged back in after a restart: said once per notice, however often the view comes
      this.noticeShown = v.notice.at
      toast(t('notice.' + v.notice.kind, {}, v.notice.message), 'warn')
    }
    if (v.service && (!this.settings || this.settings.service !== v.service)) {
      try { this.settings = await get('/api/v1/cti/settings?service=' + encodeURIComponent(v.service)) } catch { /* keep old */ }
    }
    if (before.state !== v.state) {
      // a new state closes panels that no longer apply
      const keep = { dial: ['default', 'break', 'ready', 'work'], transfer: ['on_call', 'held'], forced: ['on_call', 'held'], work: ['default', 'break', 'ready', 'work'] }
      if (this.panelMode && !(keep[this.panelMode] || []).includes(v.state)) this.panelMode = ''
      if ((v.state === 'offered' || v.state === 'after_call') && !this.open) this.toggle()
    }
    this.render()
  }

  onEvent(ev) {
    if (ev.type === 'cti.snapshot') return this.setView(ev.data)
    if (ev.agent !== this.ctx.me.login) return
    if (ev.type === 'agent.state') {
      // show the new state at once; the details follow
      this.view = { ...this.view, state: ev.data.to, reason: ev.data.reason }
      this.render()
      this.refresh()
      return
    }
    if (ev.type === 'agent.notice') {
      toast(ev.data.message, 'warn')
      return
    }
    if (ev.type === 'ticket.created') {
      // answering moves the console to the new ticket in the service the call came in on
      if (ev.data.service && ev.data.service !== this.ctx.service) {
        this.ctx.service = ev.data.service
        const sel = document.getElementById('service-select')
        if (sel) sel.value = ev.data.service
      }
      location.hash = `#/tickets/${ev.data.ticket}`
      return
    }
    if (ev.type.startsWith('call.')) this.refresh()
  }

  async act(fn) {
    try {
      const v = await fn()
      if (v && v.state) await this.setView(v)
      return true
    } catch (e) {
      toast(e.code === 'shutting_down' ? t('err.shutting_down') : e.message, 'error')
      this.refresh()
      return false
    }
  }

  renderClock() {
    const el = this.panel.querySelector('.since')
    if (el && this.view.since) el.textContent = fmtDuration((Date.now() - new Date(this.view.since)) / 1000)
    const cd = this.panel.querySelector('.countdown')
    if (cd && this.view.offer && this.view.offer.recall_at) {
      const s = Math.max(0, Math.ceil((new Date(this.view.offer.recall_at) - Date.now()) / 1000))
      cd.textContent = t('offer.recall', { s })
    }
  }

  render() {
    if (!this.open) return
    const v = this.view
    const head = h('header', { class: 'widget-head' },
      h('span', { class: 'state-label state-' + v.state, id: 'cti-state', 'data-state': v.state }, stateLabel(v.state, v.reason)),
      h('span', { class: 'since' }, ''),
      h('button', { class: 'link close', 'aria-label': t('phone.close'), onclick: () => this.toggle() }, '×'))
    let content
    switch (v.state) {
      case 'logged_out': content = this.loggedOut(); break
      case 'default': case 'break': case 'ready': case 'work': content = this.idle(); break
      case 'offered': content = this.offered(); break
      case 'ringing': content = this.ringing(); break
      case 'dialing': content = this.dialing(); break
      case 'on_call': case 'held': case 'consulting': content = this.inCall(); break
      case 'after_call': content = this.afterCall(); break
    }
    const body = h('div', { class: 'widget-body' }, content)
    const foot = this.phoneStatus ? h('footer', { class: 'widget-foot', id: 'softphone-status' }, this.phoneStatus) : null
    clear(this.panel, head, body, foot)
    this.renderClock()
  }

  loggedOut() {
    const services = this.ctx.me.phone_services
    const sel = h('select', { id: 'cti-service', 'aria-label': t('nav.service') },
      services.map((id) => h('option', { value: id, selected: id === this.ctx.service }, this.ctx.services.find((s) => s.id === id)?.name || id)))
    return h('div', { class: 'row' }, services.length > 1 ? sel : null,
      h('button', { class: 'primary', id: 'cti-login', onclick: () => this.act(async () => {
        if (this.softphone) await this.softphone.prepare()
        return post('/api/v1/cti/login', { service: services.length > 1 ? sel.value : services[0] })
      }) }, t('cti.login')))
  }

  idle() {
    const v = this.view
    const st = (state, reason) => () => this.act(() => put('/api/v1/cti/state', reason ? { state, reason } : { state }))
    const buttons = h('div', { class: 'buttons' },
      h('button', { id: 'cti-logout', onclick: () => this.act(() => post('/api/v1/cti/logout')) }, t('cti.logout')),
      h('button', { id: 'cti-break', class: v.state === 'break' ? 'on' : '', onclick: st('break') }, t('cti.break')),
      h('button', { id: 'cti-ready', class: v.state === 'ready' ? 'on' : '', onclick: st('ready') }, t('cti.ready')),
      h('button', { id: 'cti-work', class: v.state === 'work' ? 'on' : '', onclick: () => { this.panelMode = this.panelMode === 'work' ? '' : 'work'; this.render() } }, t('cti.work')),
      h('button', { id: 'cti-dial', onclick: () => { this.panelMode = this.panelMode === 'dial' ? '' : 'dial'; this.render() } }, t('cti.dial')))
    const out = [buttons]
    if (this.panelMode === 'work') {
      out.push(h('div', { class: 'reasons', id: 'work-reasons' }, reasons.map((r) =>
        h('button', { 'data-reason': r, class: v.state === 'work' && v.reason === r ? 'on' : '', onclick: async () => {
          if (await this.act(() => put('/api/v1/cti/state', { state: 'work', reason: r }))) { this.panelMode = ''; this.render() }
        } }, t('reason.' + r)))))
    }
    if (this.panelMode === 'dial') out.push(this.dialForm())
    return out
  }

  dialForm() {
    const ids = this.settings?.caller_ids || []
    const number = h('input', { name: 'number', id: 'dial-number', inputmode: 'tel', autocomplete: 'off' })
    const callerID = h('select', { name: 'caller_id', id: 'dial-callerid' }, ids.map((n) => h('option', { value: n }, n)))
    const form = h('form', { class: 'panel', id: 'dial-form', onsubmit: async (e) => {
      e.preventDefault()
      const errs = []
      const num = number.value.replace(/[\s-]/g, '')
      if (!num) errs.push({ field: 'number', message: t('err.required') })
      else if (!/^\+?\d+$/.test(num)) errs.push({ field: 'number', message: t('err.digits') })
      if (!callerID.value) errs.push({ field: 'caller_id', message: t('dial.noids') })
      if (showErrors(form, errs)) return
      try {
        await this.setView(await post('/api/v1/cti/dial', { number: num, caller_id: callerID.value }))
        this.panelMode = ''
        this.render()
      } catch (ex) {
        const f = ex.code === 'invalid_caller_id' ? 'caller_id' : 'number'
        showErrors(form, [{ field: f, message: ex.message }])
      }
    } },
    h('h3', {}, t('dial.title')),
    field(t('dial.number'), number, 'number'),
    field(t('dial.callerid'), callerID, 'caller_id'),
    ids.length ? null : h('p', { class: 'hint' }, t('dial.noids')),
    h('div', { class: 'field-error', 'data-error-for': '_form' }),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary', id: 'dial-confirm' }, t('cti.confirm')),
      h('button', { type: 'button', onclick: () => { this.panelMode = ''; this.render() } }, t('cti.cancel'))))
    setTimeout(() => number.focus(), 0)
    return form
  }

  offered() {
    const o = this.view.offer || {}
    const svcName = this.ctx.services.find((s) => s.id === o.service)?.name || o.service
    return h('div', { class: 'alert', id: 'offer-alert', role: 'alertdialog' },
      h('h3', {}, t('offer.title')),
      o.transfer_from ? h('p', {}, t('offer.transfer', { agent: o.transfer_from })) : null,
      h('p', {}, t('offer.body', { service: svcName })),
      h('p', { class: 'caller' }, `${t('offer.from')}: `, h('strong', { id: 'offer-from' }, o.from || '')),
      h('p', { class: 'countdown', id: 'offer-countdown' }),
      h('div', { class: 'buttons' },
        h('button', { class: 'primary', id: 'offer-accept', onclick: () => this.act(async () => {
          if (this.softphone) await this.softphone.prepare()
          return post('/api/v1/cti/offer/accept')
        }) }, t('cti.confirm')),
        h('button', { id: 'offer-reject', onclick: () => this.act(() => post('/api/v1/cti/offer/reject')) }, t('cti.cancel'))))
  }

  ringing() {
    const o = this.view.offer || {}
    return h('div', {}, h('p', {}, `${t('offer.from')}: ${o.from || ''}`), h('p', { class: 'countdown' }))
  }

  dialing() {
    const c = this.view.call || {}
    return h('div', {}, h('p', { class: 'caller' }, c.to || ''),
      h('div', { class: 'buttons' }, h('button', { id: 'cti-hangup', onclick: () => this.act(() => post('/api/v1/cti/hangup')) }, t('cti.hangup'))))
  }

  inCall() {
    const v = this.view
    const c = v.call || {}
    const party = c.direction === 'outbound' ? c.to : c.from
    const info = h('div', { class: 'call-info' },
      h('p', { class: 'caller' }, `${t('call.with')}: `, h('strong', { id: 'call-party' }, party || '')),
      c.ticket ? h('p', {}, h('a', { href: `#/tickets/${c.ticket}`, id: 'call-ticket' }, t('call.ticket', { id: c.ticket }))) : null,
      c.customer_held ? h('p', { class: 'notice', id: 'customer-held', role: 'status' }, t('call.customerHeld')) : null)
    const out = [info]
    const consult = c.consult
    if (v.state === 'consulting' || consult) {
      out.push(h('p', { class: 'consult', id: 'consult-status' }, consult && consult.up
        ? t('transfer.consulting', { target: consult.to || consult.target })
        : t('transfer.dialing', { target: consult ? consult.target : '' })))
      out.push(h('div', { class: 'buttons' },
        h('button', { class: 'primary', id: 'consult-complete', disabled: !(consult && consult.up), onclick: () => this.act(() => post('/api/v1/cti/consult/complete')) }, t('cti.connect')),
        h('button', { id: 'consult-cancel', onclick: () => this.act(() => post('/api/v1/cti/consult/cancel')) }, t('cti.cancel'))))
      return out
    }
    if (c.role === 'caller' || c.role === 'target') {
      out.push(h('div', { class: 'buttons' }, h('button', { id: 'cti-hangup', onclick: () => this.act(() => post('/api/v1/cti/hangup')) }, t('cti.hangup'))))
      return out
    }
    out.push(h('div', { class: 'buttons' },
      h('button', { id: 'cti-transfer', onclick: () => { this.panelMode = this.panelMode === 'transfer' ? '' : 'transfer'; this.render() } }, t('cti.transfer')),
      h('button', { id: 'cti-forced', onclick: () => { this.panelMode = 'forced'; this.render() } }, t('cti.forced')),
      v.state === 'held'
        ? h('button', { id: 'cti-unhold', onclick: () => this.act(() => post('/api/v1/cti/unhold')) }, t('cti.unhold'))
        : h('button', { id: 'cti-hold', onclick: () => this.act(() => post('/api/v1/cti/hold')) }, t('cti.hold')),
      h('button', { id: 'cti-hangup', onclick: () => this.act(() => post('/api/v1/cti/hangup')) }, t('cti.hangup'))))
    if (this.panelMode === 'transfer') out.push(this.transferPanel())
    if (this.panelMode === 'forced') out.push(this.forcedPanel())
    return out
  }

  transferPanel() {
    const s = this.settings || { favorites: [], groups: [] }
    let tab = this.transferTab || 'direct'
    const target = h('input', { name: 'target', id: 'transfer-target', inputmode: 'tel', autocomplete: 'off', value: this.transferTarget || '' })
    const pick = (value) => { this.transferTarget = value; target.value = value }
    const tabs = h('div', { class: 'tabs', role: 'tablist' }, [['direct', t('transfer.direct')], ['favorites', t('transfer.favorites')], ['ready', t('transfer.ready')]].map(([k, label]) =>
      h('button', { type: 'button', role: 'tab', id: 'transfer-tab-' + k, class: tab === k ? 'on' : '', onclick: () => { this.transferTab = k; this.transferTarget = target.value; this.render() } }, label)))
    let content
    if (tab === 'favorites') {
      content = h('ul', { class: 'picklist', id: 'transfer-favorites' }, s.favorites.map((f) =>
        h('li', {}, h('button', { type: 'button', 'data-number': f.number, onclick: () => pick(f.number) }, `${f.name} (${f.number})`))))
    } else if (tab === 'ready') {
      const list = h('ul', { class: 'picklist', id: 'transfer-ready-list' })
      const group = h('select', { id: 'transfer-group', 'aria-label': t('transfer.group'), onchange: () => load() },
        h('option', { value: '' }, t('transfer.group')), s.groups.map((g) => h('option', { value: g.id, selected: g.id === this.transferGroup }, g.name || g.id)))
      const load = async () => {
        this.transferGroup = group.value
        const r = await get('/api/v1/cti/ready-agents?group=' + encodeURIComponent(group.value))
        clear(list, r.agents.length ? r.agents.map((a) => h('li', {}, h('button', { type: 'button', 'data-login': a.login,
          onclick: () => pick('agent:' + a.login) }, `${a.name} (${a.extension || a.login})`))) : h('li', { class: 'hint' }, t('transfer.none')))
      }
      load()
      content = h('div', {}, group, list)
    } else {
      content = null
    }
    const form = h('form', { class: 'panel', id: 'transfer-form', onsubmit: async (e) => {
      e.preventDefault()
      const v = target.value.trim()
      if (!v) return showErrors(form, [{ field: 'target', message: t('err.required') }])
      try {
        await this.setView(await post('/api/v1/cti/consult', { target: v }))
        this.transferTarget = ''
      } catch (ex) {
        showErrors(form, [{ field: 'target', message: ex.message }])
      }
    } }, h('h3', {}, t('transfer.title')), tabs, content, field(t('transfer.target'), target, 'target'),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'consult-start' }, t('cti.consult')),
      h('button', { type: 'button', onclick: () => { this.panelMode = ''; this.render() } }, t('cti.cancel'))))
    return form
  }

  forcedPanel() {
    const text = this.settings?.hangup_announcement || ''
    return h('div', { class: 'alert', id: 'forced-popup', role: 'alertdialog' },
      h('h3', {}, t('forced.title')), h('p', {}, t('forced.body')),
      h('blockquote', { id: 'forced-text' }, text),
      h('div', { class: 'buttons' },
        h('button', { class: 'primary danger', id: 'forced-confirm', onclick: async () => { if (await this.act(() => post('/api/v1/cti/forced-hangup'))) { this.panelMode = ''; this.render() } } }, t('cti.confirm')),
        h('button', { id: 'forced-cancel', onclick: () => { this.panelMode = ''; this.render() } }, t('cti.cancel'))))
  }

  afterCall() {
    return h('div', { class: 'alert', id: 'after-call', role: 'alertdialog' },
      h('h3', {}, t('after.title')), h('p', {}, t('after.body')),
      h('div', { class: 'buttons' },
        h('button', { class: 'primary', id: 'after-ready', onclick: () => this.act(() => post('/api/v1/cti/after-call', { action: 'ready' })) }, t('cti.confirm')),
        h('button', { id: 'after-work', onclick: () => this.act(() => post('/api/v1/cti/after-call', { action: 'work' })) }, t('cti.cancel'))))
  }
}
