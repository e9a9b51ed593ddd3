// The phone widget: the phone icon at the bottom right opens it at the top right. It shows
// the agent's CTI state and, per state, exactly the guide's controls; besides, what agents
// expect of a phone: mute, microphone and speaker, a ringtone and a desktop notification,
// docking left or right or collapsing, and the keyboard (Alt+A/R/H/M/P).
import { get, post, put } from './api.js'
import { h, clear, toast, field, showErrors, phone as phoneText } from './dom.js'
import { t, stateLabel, errorText, noticeText } from './i18n.js'
import { clock, plainNumber, isPhoneNumber, formatPhone } from './format.js'
import { Softphone, LevelMeter } from './softphone.js'
import { Ringer, Notifier } from './ringer.js'

const reasons = ['training', 'report', 'meeting', 'ticket', 'chat', 'coaching']
const idleStates = ['default', 'break', 'ready', 'work']

export class Widget {
  constructor(ctx) {
    this.ctx = ctx
    this.view = { state: 'logged_out', reason: '', service: '', call: null, offer: null }
    this.loaded = false
    this.settings = null // of the service the agent works in
    this.panelMode = '' // '', 'dial', 'transfer', 'forced', 'work', 'settings'
    this.open = localStorage.getItem('ringdesk.widget') === 'open'
    this.dock = localStorage.getItem('ringdesk.dock') === 'left' ? 'left' : 'right'
    this.collapsed = localStorage.getItem('ringdesk.collapsed') === 'yes'
    this.icon = h('button', { class: 'phone-icon', id: 'phone-icon', type: 'button', 'aria-label': t('phone.icon'), 'aria-expanded': String(this.open),
      'aria-controls': 'phone-widget', 'aria-keyshortcuts': 'Alt+P', onclick: () => this.toggle() }, h('span', { 'aria-hidden': 'true' }, '☎'))
    this.panel = h('section', { class: 'phone-widget', id: 'phone-widget', 'aria-labelledby': 'phone-widget-title', hidden: !this.open })
    this.announcer = h('div', { class: 'sr-only', id: 'phone-announcer', 'aria-live': 'assertive', role: 'status' })
    document.body.append(this.announcer)
    this.softphone = ctx.me.phone === 'browser' ? new Softphone(ctx.events, (m) => this.softphoneStatus(m)) : null
    this.ringer = new Ringer()
    this.notifier = new Notifier()
    this.phoneStatus = ''
    this.dialNumber = ''
    this.loginError = null
    this.movedFor = null
    this.agentNames = {} // of colleagues seen in 대기 상담원 확인, for naming a consult
    this.off = ctx.events.on((ev) => this.onEvent(ev))
    this.tick = setInterval(() => this.renderClock(), 250)
    this.keys = (e) => this.onKey(e)
    document.addEventListener('keydown', this.keys)
    this.resize = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => this.layout()) : null
    if (this.resize) this.resize.observe(this.panel)
    this.layout()
    this.refresh()
  }

  destroy() {
    this.off()
    clearInterval(this.tick)
    document.removeEventListener('keydown', this.keys)
    if (this.resize) this.resize.disconnect()
    this.stopMeter()
    this.ringer.stop()
    this.notifier.close()
    if (this.softphone) this.softphone.destroy()
    this.icon.remove()
    this.panel.remove()
    this.announcer.remove()
    document.body.classList.remove('with-widget', 'widget-left', 'widget-right', 'widget-collapsed')
  }

  toggle(force) {
    this.open = force === undefined ? !this.open : force
    localStorage.setItem('ringdesk.widget', this.open ? 'open' : 'closed')
    this.panel.hidden = !this.open
    this.icon.setAttribute('aria-expanded', String(this.open))
    if (this.open) this.render()
    else this.stopMeter()
    this.layout()
  }

  setDock(side) {
    this.dock = side
    localStorage.setItem('ringdesk.dock', side)
    this.render()
    this.layout()
  }

  setCollapsed(on) {
    this.collapsed = on
    localStorage.setItem('ringdesk.collapsed', on ? 'yes' : 'no')
    this.render()
    this.layout()
  }

  // layout makes room for the widget so that it never covers the page's controls: a column
  // beside the page on a wide screen, a sheet under it on a narrow one.
  layout() {
    const b = document.body.classList
    b.toggle('with-widget', this.open && !this.collapsed)
    b.toggle('widget-collapsed', this.open && this.collapsed)
    b.toggle('widget-left', this.dock === 'left')
    b.toggle('widget-right', this.dock !== 'left')
    const hgt = this.open ? this.panel.getBoundingClientRect().height : 0
    document.documentElement.style.setProperty('--widget-h', `${Math.ceil(hgt)}px`)
  }

  relabel() {
    this.icon.setAttribute('aria-label', t('phone.icon'))
    if (this.softphone && this.phoneStatus) this.phoneStatus = ''
    this.render()
  }

  softphoneStatus(msg) {
    this.phoneStatus = msg
    this.render()
  }

  async refresh() {
    try {
      await this.setView(await get('/api/v1/cti'))
    } catch { /* shown by the offline banner */ }
  }

  async setView(v) {
    // a command's answer can arrive after the event of a later change (the phone failed while
    // 확인 was on its way): an older state never replaces a newer one
    if (this.view.since && v.since && v.state !== this.view.state && new Date(v.since) < new Date(this.view.since)) {
      this.refresh()
      return
    }
    // the state last acted on (alerts, panels, announcements): the event handler shows a new
    // state at once, before its view arrives, so this.view cannot tell what changed
    const prevState = this.lastState
    this.lastState = v.state
    const first = !this.loaded
    this.loaded = true
    this.view = v
    if (v.notice && v.notice.at !== this.noticeShown) {
      // e.g. logged back in after a restart: said once per notice, however often the view comes
      this.noticeShown = v.notice.at
      toast(noticeText(v.notice), 'warn')
    }
    if (v.service && (!this.settings || this.settings.service !== v.service)) {
      try { this.settings = await get('/api/v1/cti/settings?service=' + encodeURIComponent(v.service)) } catch { /* keep old */ }
    }
    if (first && this.softphone && v.state !== 'logged_out') {
      // the page was reloaded (or opened again) with the agent logged in: the phone must say
      // hello again, or the server has nothing to ring
      this.softphone.arm()
    }
    if (prevState !== v.state) {
      // a new state closes panels that no longer apply
      const keep = { dial: idleStates, transfer: ['on_call', 'held'], forced: ['on_call', 'held'], work: idleStates, keypad: ['on_call', 'held', 'consulting'] }
      if (!['on_call', 'held', 'consulting'].includes(v.state)) this.sentDigits = ''
      if (this.panelMode && keep[this.panelMode] && !keep[this.panelMode].includes(v.state)) this.panelMode = ''
      if (v.state === 'offered' || v.state === 'after_call') {
        if (!this.open) this.toggle(true)
        if (this.collapsed) this.setCollapsed(false)
      }
      this.announce(v)
      this.alerting(v)
    }
    if (!first && v.call && v.call.ticket && ['on_call', 'held'].includes(v.state) && this.movedFor !== v.call.id) {
      // a call this seat now holds (answered, or handed over by a colleague's 고객연결) opens its ticket
      this.moveTo(v.call.id, v.service, v.call.ticket)
    } else if (first && v.call) {
      this.movedFor = v.call.id
    }
    this.render()
  }

  announce(v) {
    let text = t('phone.stateNow', { state: stateLabel(v.state, v.reason) })
    if (v.state === 'offered' && v.offer) text += '. ' + t('offer.title') + ': ' + t('offer.from') + ' ' + formatPhone(v.offer.from)
    this.announcer.textContent = text
  }

  // alerting rings and notifies while a call is offered.
  alerting(v) {
    if (v.state === 'offered') {
      this.ringer.start()
      const svc = this.serviceName(v.offer?.service)
      this.notifier.show(t('offer.notifyTitle', { service: svc }), t('offer.notifyBody', { from: formatPhone(v.offer?.from) || t('call.unknown') }))
    } else {
      this.ringer.stop()
      this.notifier.close()
    }
  }

  serviceName(id) { return this.ctx.services.find((s) => s.id === id)?.name || id || '' }

  moveTo(callID, service, ticket) {
    this.movedFor = callID
    if (service && service !== this.ctx.service && this.ctx.setService) this.ctx.setService(service)
    location.hash = `#/tickets/${ticket}`
  }

  onEvent(ev) {
    if (ev.type === 'cti.snapshot') return this.setView(ev.data)
    if (ev.agent !== this.ctx.me.login) return
    if (ev.type === 'agent.state') {
      // a change of the agent's own (or the system's) ends the line saying a manager made one
      if (!ev.data.by || ev.data.by === this.ctx.me.login) this.forcedBy = null
      // show the new state at once; the details follow
      this.view = { ...this.view, state: ev.data.to, reason: ev.data.reason, since: ev.at }
      this.render()
      this.refresh()
      return
    }
    if (ev.type === 'agent.notice' && ev.data.kind === 'forced') {
      // a manager changed the state: the widget says who, until the agent changes it again
      this.forcedBy = { name: ev.data.by_name || ev.data.by, to: ev.data.to, at: ev.at }
      this.render()
    }
    if (ev.type === 'agent.notice') {
      // a recall the phone caused leaves the agent on 휴식 or 대기 (as the service says): the
      // notice says which, from the state as it is now
      if (ev.data.kind !== 'phone_unavailable') return toast(noticeText(ev.data), 'warn')
      get('/api/v1/cti').catch(() => this.view).then((v) => {
        const kind = v.state === 'break' ? 'phone_unavailable_break' : ev.data.kind
        toast(noticeText({ ...ev.data, kind }), 'warn')
      })
      return
    }
    if (ev.type === 'ticket.created') {
      // answering moves the console to the new ticket in the service the call came in on
      this.moveTo(ev.call, ev.data.service, ev.data.ticket)
      return
    }
    if (ev.type.startsWith('call.')) this.refresh()
  }

  // onKey: the widget without a mouse. Alt with a letter, by key position so that a Korean
  // keyboard layout works the same.
  onKey(e) {
    if (!e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) {
      if (e.key === 'Escape' && this.panel.contains(document.activeElement) && this.panelMode) {
        this.panelMode = ''
        this.render()
        this.panel.querySelector('.widget-body button')?.focus()
      }
      return
    }
    const st = this.view.state
    const click = (id) => {
      const b = document.getElementById(id)
      if (!b || b.disabled) return false
      b.click()
      return true
    }
    let done = false
    switch (e.code) {
      case 'KeyA': done = st === 'offered' ? click('offer-accept') : st === 'after_call' ? click('after-ready') : false; break
      case 'KeyR': done = st === 'offered' ? click('offer-reject') : st === 'after_call' ? click('after-work') : false; break
      case 'KeyH': done = st === 'on_call' ? click('cti-hold') : st === 'held' ? click('cti-unhold') : false; break
      case 'KeyM': done = click('cti-mute'); break
      case 'KeyP': this.toggle(); if (this.open) this.panel.querySelector('button')?.focus(); done = true; break
    }
    if (done) e.preventDefault()
  }

  // dialTo is click-to-call: 전화 걸기 with the number filled in, waiting for 확인.
  dialTo(number) {
    if (!this.open) this.toggle(true)
    if (this.collapsed) this.setCollapsed(false)
    const st = this.view.state
    if (st === 'logged_out') return toast(t('phone.loginFirst'), 'warn')
    if (!idleStates.includes(st)) return toast(t('phone.busyNow'), 'warn')
    this.dialNumber = formatPhone(number)
    this.panelMode = 'dial'
    this.render()
    document.getElementById('dial-confirm')?.focus()
  }

  async act(fn) {
    try {
      const v = await fn()
      if (v && v.state) await this.setView(v)
      return true
    } catch (e) {
      toast(e.code ? errorText(e) : e.message, 'error')
      this.refresh()
      return false
    }
  }

  renderClock() {
    const el = this.panel.querySelector('.since')
    if (el) el.textContent = this.view.since && this.view.state !== 'logged_out' ? clock((Date.now() - new Date(this.view.since)) / 1000) : ''
    const cd = this.panel.querySelector('.countdown')
    if (cd && this.view.offer && this.view.offer.recall_at) {
      const s = Math.max(0, Math.ceil((new Date(this.view.offer.recall_at) - Date.now()) / 1000))
      cd.textContent = t('offer.recall', { s })
    }
  }

  render() {
    this.panel.classList.toggle('collapsed', this.collapsed)
    this.panel.classList.toggle('left', this.dock === 'left')
    if (!this.open) return
    const focused = this.panel.contains(document.activeElement) ? document.activeElement.id : ''
    const v = this.view
    const iconButton = (id, label, glyph, onclick, extra = {}) => h('button', { type: 'button', class: 'icon-button', id, 'aria-label': label, title: label, onclick, ...extra },
      h('span', { 'aria-hidden': 'true' }, glyph))
    const head = h('header', { class: 'widget-head' },
      h('h2', { id: 'phone-widget-title', class: 'sr-only' }, t('phone.widget')),
      h('span', { class: 'state-label state-' + v.state, id: 'cti-state', 'data-state': v.state }, stateLabel(v.state, v.reason)),
      h('span', { class: 'since', id: 'cti-since', role: 'timer', 'aria-label': t('phone.timer') }, ''),
      h('span', { class: 'head-buttons' },
        iconButton('phone-settings', t('phone.settings'), '⚙', () => { this.panelMode = this.panelMode === 'settings' ? '' : 'settings'; if (this.collapsed) this.collapsed = false; this.render() },
          { 'aria-pressed': String(this.panelMode === 'settings') }),
        iconButton('phone-dock', this.dock === 'left' ? t('phone.dockRight') : t('phone.dockLeft'), this.dock === 'left' ? '⇥' : '⇤',
          () => this.setDock(this.dock === 'left' ? 'right' : 'left')),
        iconButton('phone-collapse', this.collapsed ? t('phone.expand') : t('phone.collapse'), this.collapsed ? '▴' : '▾',
          () => this.setCollapsed(!this.collapsed), { 'aria-expanded': String(!this.collapsed) }),
        iconButton('phone-close', t('phone.close'), '×', () => { this.toggle(false); this.icon.focus() })))
    let content = null
    if (!this.collapsed) {
      switch (v.state) {
        case 'logged_out': content = this.loggedOut(); break
        case 'default': case 'break': case 'ready': case 'work': content = this.idle(); break
        case 'offered': content = this.offered(); break
        case 'ringing': content = this.ringing(); break
        case 'dialing': content = this.dialing(); break
        case 'on_call': case 'held': case 'consulting': content = this.inCall(); break
        case 'after_call': content = this.afterCall(); break
      }
      if (this.panelMode === 'settings') content = [content, this.settingsPanel()]
    }
    const f = this.forcedBy
    const forced = f && f.to === v.state ? h('p', { class: 'forced-by', id: 'forced-by', role: 'status', 'data-by': f.name },
      t('widget.forcedBy', { name: f.name, state: stateLabel(v.state, v.reason) })) : null
    const body = this.collapsed ? null : h('div', { class: 'widget-body' }, forced, content)
    const foot = this.collapsed ? null : this.footer()
    clear(this.panel, head, body, foot)
    this.renderClock()
    if (focused) document.getElementById(focused)?.focus()
    this.layout()
  }

  footer() {
    const v = this.view
    const items = []
    if (v.phone && v.phone.kind === 'sip' && v.state !== 'logged_out') {
      items.push(v.phone.registered
        ? h('p', { class: 'ok', id: 'phone-registered' }, t('phone.registered', { ext: v.phone.extension }))
        : h('p', { class: 'warn', id: 'phone-warning', role: 'alert' }, t('phone.notRegistered', { ext: v.phone.extension }), ' ',
          h('a', { href: '#/help/faq-cti-login' }, t('phone.faq'))))
    }
    if (this.phoneStatus) items.push(h('p', { id: 'softphone-status' }, this.phoneStatus))
    return items.length ? h('footer', { class: 'widget-foot' }, items) : null
  }

  loggedOut() {
    const services = this.ctx.me.phone_services
    const sel = h('select', { id: 'cti-service', 'aria-label': t('nav.service') },
      services.map((id) => h('option', { value: id, selected: id === this.ctx.service }, this.serviceName(id))))
    const err = this.loginError ? h('p', { class: 'field-error', id: 'cti-login-error', role: 'alert' }, this.loginError) : null
    return [h('div', { class: 'row' }, services.length > 1 ? sel : null,
      h('button', { type: 'button', class: 'primary', id: 'cti-login', onclick: async () => {
        this.loginError = null
        try {
          if (this.softphone) await this.softphone.prepare()
          const v = await post('/api/v1/cti/login', { service: services.length > 1 ? sel.value : services[0] })
          if (v.phone && v.phone.kind === 'sip' && !v.phone.registered) toast(t('phone.notRegistered', { ext: v.phone.extension }), 'warn')
          await this.setView(v)
        } catch (e) {
          this.loginError = e.code ? errorText(e) : e.message
          this.render()
        }
      } }, t('cti.login'))),
    err, h('p', { class: 'faq-link' }, h('a', { href: '#/help/faq-cti-login', id: 'cti-faq' }, t('phone.faq')))]
  }

  idle() {
    const v = this.view
    const st = (state, reason) => () => this.act(() => put('/api/v1/cti/state', reason ? { state, reason } : { state }))
    const pressed = (on) => ({ class: on ? 'on' : '', 'aria-pressed': String(on) })
    const buttons = h('div', { class: 'buttons' },
      h('button', { type: 'button', id: 'cti-logout', onclick: () => this.act(() => post('/api/v1/cti/logout')) }, t('cti.logout')),
      h('button', { type: 'button', id: 'cti-break', ...pressed(v.state === 'break'), onclick: st('break') }, t('cti.break')),
      h('button', { type: 'button', id: 'cti-ready', ...pressed(v.state === 'ready'), onclick: st('ready') }, t('cti.ready')),
      h('button', { type: 'button', id: 'cti-work', ...pressed(v.state === 'work'), 'aria-expanded': String(this.panelMode === 'work'),
        onclick: () => { this.panelMode = this.panelMode === 'work' ? '' : 'work'; this.render() } }, t('cti.work')),
      h('button', { type: 'button', id: 'cti-dial', 'aria-expanded': String(this.panelMode === 'dial'),
        onclick: () => { this.panelMode = this.panelMode === 'dial' ? '' : 'dial'; this.render() } }, t('cti.dial')))
    const out = [buttons]
    if (this.panelMode === 'work') {
      out.push(h('div', { class: 'reasons', id: 'work-reasons', role: 'group', 'aria-label': t('cti.work') }, reasons.map((r) =>
        h('button', { type: 'button', 'data-reason': r, ...pressed(v.state === 'work' && v.reason === r), onclick: async () => {
          if (await this.act(() => put('/api/v1/cti/state', { state: 'work', reason: r }))) { this.panelMode = ''; this.render() }
        } }, t('reason.' + r)))))
    }
    if (this.panelMode === 'dial') out.push(this.dialForm())
    return out
  }

  dialForm() {
    const ids = this.settings?.caller_ids || []
    const number = h('input', { name: 'number', id: 'dial-number', inputmode: 'tel', autocomplete: 'off', value: this.dialNumber,
      oninput: () => { this.dialNumber = number.value } })
    const callerID = h('select', { name: 'caller_id', id: 'dial-callerid' }, ids.map((n) => h('option', { value: n }, formatPhone(n))))
    const form = h('form', { class: 'panel', id: 'dial-form', 'aria-labelledby': 'dial-title', onsubmit: async (e) => {
      e.preventDefault()
      const errs = []
      const num = plainNumber(number.value)
      if (!num) errs.push({ field: 'number', message: t('err.required', { field: t('dial.number') }) })
      else if (!isPhoneNumber(num)) errs.push({ field: 'number', message: t('err.digits') })
      if (!callerID.value) errs.push({ field: 'caller_id', message: t('dial.noids') })
      if (showErrors(form, errs)) return
      try {
        await this.setView(await post('/api/v1/cti/dial', { number: num, caller_id: callerID.value }))
        this.panelMode = ''
        this.dialNumber = ''
        this.render()
      } catch (ex) {
        const f = ex.code === 'invalid_caller_id' ? 'caller_id' : 'number'
        showErrors(form, [{ field: f, message: errorText(ex) }])
      }
    } },
    h('h3', { id: 'dial-title' }, t('dial.title')),
    field(t('dial.number'), number, 'number', t('dial.hint')),
    field(t('dial.callerid'), callerID, 'caller_id'),
    ids.length ? null : h('p', { class: 'hint' }, t('dial.noids')),
    h('div', { class: 'field-error', 'data-error-for': '_form' }),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary', id: 'dial-confirm' }, t('cti.confirm')),
      h('button', { type: 'button', id: 'dial-cancel', onclick: () => { this.panelMode = ''; this.dialNumber = ''; this.render() } }, t('cti.cancel'))))
    if (!this.dialNumber) setTimeout(() => number.focus(), 0)
    return form
  }

  offered() {
    const o = this.view.offer || {}
    const svcName = this.serviceName(o.service)
    return h('div', { class: 'alert', id: 'offer-alert', role: 'alertdialog', 'aria-labelledby': 'offer-title', 'aria-describedby': 'offer-body' },
      h('h3', { id: 'offer-title' }, t('offer.title')),
      o.transfer_from ? h('p', { id: 'offer-transfer' }, t('offer.transfer', { agent: o.transfer_from_name || o.transfer_from })) : null,
      h('p', { id: 'offer-body' }, t('offer.body', { service: svcName })),
      h('p', { class: 'caller' }, `${t('offer.from')}: `, h('strong', { id: 'offer-from', 'data-number': o.from || '' }, o.from ? formatPhone(o.from) : t('call.unknown'))),
      h('p', { class: 'countdown', id: 'offer-countdown', 'aria-live': 'off' }),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'primary', id: 'offer-accept', 'aria-keyshortcuts': 'Alt+A', onclick: () => this.act(async () => {
          if (this.softphone) await this.softphone.prepare()
          return post('/api/v1/cti/offer/accept')
        }) }, t('cti.confirm')),
        h('button', { type: 'button', id: 'offer-reject', 'aria-keyshortcuts': 'Alt+R', onclick: () => this.act(() => post('/api/v1/cti/offer/reject')) }, t('cti.cancel'))),
      h('p', { class: 'hint shortcuts' }, t('phone.shortcuts')))
  }

  ringing() {
    const o = this.view.offer || {}
    return h('div', {}, h('p', {}, `${t('offer.from')}: `, phoneText(o.from) || t('call.unknown')), h('p', { class: 'countdown', id: 'offer-countdown' }))
  }

  dialing() {
    const c = this.view.call || {}
    return h('div', {}, h('p', { class: 'caller' }, phoneText(c.to)),
      h('div', { class: 'buttons' }, h('button', { type: 'button', id: 'cti-hangup', onclick: () => this.act(() => post('/api/v1/cti/hangup')) }, t('cti.hangup'))))
  }

  // party is who the agent talks with: the customer, or — for the target of a transfer — the
  // colleague transferring and the customer it is about.
  party(c) {
    if (c.role === 'target' && (c.transfer_from_name || c.transfer_from)) {
      return [t('call.transferFrom', { name: c.transfer_from_name || c.transfer_from }),
        c.customer ? ' · ' + t('call.customer', { number: formatPhone(c.customer) }) : '']
    }
    // the state event shows the new state at once and the call's details follow: until they
    // do, say nothing rather than "번호 없음" about a caller who has a number
    if (!c.direction) return '…'
    const n = c.direction === 'outbound' ? c.to : c.from
    return n ? formatPhone(n) : t('call.unknown')
  }

  inCall() {
    const v = this.view
    const c = v.call || {}
    const info = h('div', { class: 'call-info' },
      h('p', { class: 'caller' }, `${t('call.with')}: `, h('strong', { id: 'call-party' }, this.party(c))),
      c.ticket ? h('p', {}, h('a', { href: `#/tickets/${c.ticket}`, id: 'call-ticket' }, t('call.ticket', { id: c.ticket }))) : null,
      c.customer_held ? h('p', { class: 'notice', id: 'customer-held', role: 'status' }, t('call.customerHeld')) : null)
    const out = [info]
    const keypad = this.keypadButton()
    const mute = this.softphone ? h('button', { type: 'button', id: 'cti-mute', 'aria-pressed': String(this.softphone.muted), 'aria-keyshortcuts': 'Alt+M',
      class: this.softphone.muted ? 'on' : '', onclick: () => { this.softphone.setMuted(!this.softphone.muted); this.render() } },
    this.softphone.muted ? t('cti.unmute') : t('cti.mute')) : null
    const consult = c.consult
    if (v.state === 'consulting' || consult) {
      const who = consult?.to_name ? t('transfer.agent', { name: consult.to_name }) : this.targetName(consult ? consult.to || consult.target : '')
      out.push(h('p', { class: 'consult', id: 'consult-status' }, consult && consult.up
        ? t('transfer.consulting', { target: who }) : t('transfer.dialing', { target: who })))
      out.push(h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'primary', id: 'consult-complete', disabled: !(consult && consult.up), onclick: () => this.act(() => post('/api/v1/cti/consult/complete')) }, t('cti.connect')),
        h('button', { type: 'button', id: 'consult-cancel', onclick: () => this.act(() => post('/api/v1/cti/consult/cancel')) }, t('cti.cancel')), mute, keypad))
      if (this.panelMode === 'keypad') out.push(this.keypadPanel())
      return out
    }
    if (c.role === 'caller' || c.role === 'target') {
      out.push(h('div', { class: 'buttons' }, mute, keypad, h('button', { type: 'button', id: 'cti-hangup', onclick: () => this.act(() => post('/api/v1/cti/hangup')) }, t('cti.hangup'))))
      if (this.panelMode === 'keypad') out.push(this.keypadPanel())
      return out
    }
    out.push(h('div', { class: 'buttons' },
      h('button', { type: 'button', id: 'cti-transfer', 'aria-expanded': String(this.panelMode === 'transfer'), onclick: () => { this.panelMode = this.panelMode === 'transfer' ? '' : 'transfer'; this.render() } }, t('cti.transfer')),
      h('button', { type: 'button', id: 'cti-forced', onclick: () => { this.panelMode = 'forced'; this.render(); document.getElementById('forced-cancel')?.focus() } }, t('cti.forced')),
      v.state === 'held'
        ? h('button', { type: 'button', id: 'cti-unhold', 'aria-keyshortcuts': 'Alt+H', onclick: () => this.act(() => post('/api/v1/cti/unhold')) }, t('cti.unhold'))
        : h('button', { type: 'button', id: 'cti-hold', 'aria-keyshortcuts': 'Alt+H', onclick: () => this.act(() => post('/api/v1/cti/hold')) }, t('cti.hold')),
      mute, keypad,
      h('button', { type: 'button', id: 'cti-hangup', onclick: () => this.act(() => post('/api/v1/cti/hangup')) }, t('cti.hangup'))))
    if (this.panelMode === 'keypad') out.push(this.keypadPanel())
    if (this.panelMode === 'transfer') out.push(this.transferPanel())
    if (this.panelMode === 'forced') out.push(this.forcedPanel())
    return out
  }

  // keypadButton opens the keypad (DTMF) during a call. A desk-phone agent has the phone's own
  // keypad: the panel says so instead of sending anything.
  keypadButton() {
    return h('button', { type: 'button', id: 'cti-keypad', 'aria-expanded': String(this.panelMode === 'keypad'), 'aria-controls': 'keypad-panel',
      onclick: () => {
        this.panelMode = this.panelMode === 'keypad' ? '' : 'keypad'
        this.render()
        if (this.panelMode === 'keypad') this.panel.querySelector('#keypad-panel button')?.focus()
      } }, t('keypad.open'))
  }

  keypadPanel() {
    const box = h('section', { class: 'panel', id: 'keypad-panel', 'aria-labelledby': 'keypad-title' }, h('h3', { id: 'keypad-title' }, t('keypad.title')))
    if (!this.softphone) return clear(box, box.firstChild, h('p', { class: 'hint', id: 'keypad-desk' }, t('keypad.deskPhone')))
    if (!this.softphone.canSendDigits()) return clear(box, box.firstChild, h('p', { class: 'hint', id: 'keypad-unsupported' }, t('keypad.unsupported')))
    const sent = h('output', { class: 'keypad-sent', id: 'keypad-sent', 'aria-live': 'polite', 'aria-label': t('keypad.sent') }, this.sentDigits || '')
    const keys = h('div', { class: 'keypad', role: 'group', 'aria-label': t('keypad.title'),
      // the number keys of the keyboard press the same keys while the keypad has the focus
      onkeydown: (e) => {
        if (e.altKey || e.ctrlKey || e.metaKey || !/^[0-9*#]$/.test(e.key)) return
        e.preventDefault()
        this.press(e.key, sent)
      } },
    ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'].map((k) =>
      h('button', { type: 'button', id: 'keypad-' + ({ '*': 'star', '#': 'hash' }[k] || k), 'data-key': k, 'aria-label': t('keypad.key', { key: k }), onclick: () => this.press(k, sent) }, k)))
    box.append(keys, h('p', {}, t('keypad.sent'), ': ', sent), h('p', { class: 'hint' }, t('keypad.hint')))
    return box
  }

  press(key, sent) {
    if (!this.softphone.sendDigits(key)) return toast(t('keypad.unsupported'), 'warn')
    this.sentDigits = ((this.sentDigits || '') + key).slice(-24)
    sent.textContent = this.sentDigits
  }

  // targetName words a consult target: agent:lee is that agent by name, a number the Korean way.
  targetName(target) {
    if (!target) return ''
    const login = target.startsWith('agent:') ? target.slice(6) : target
    const name = this.agentNames[login]
    if (name || target.startsWith('agent:')) return t('transfer.agent', { name: name || login })
    const fav = (this.settings?.favorites || []).find((f) => f.number === target)
    return fav ? `${fav.name} (${formatPhone(target)})` : formatPhone(target)
  }

  transferPanel() {
    const s = this.settings || { favorites: [], groups: [] }
    const tab = this.transferTab || 'direct'
    const target = h('input', { name: 'target', id: 'transfer-target', inputmode: 'tel', autocomplete: 'off', value: this.transferTarget || '' })
    const pick = (value) => { this.transferTarget = value; target.value = value }
    const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('transfer.title') }, [['direct', t('transfer.direct')], ['favorites', t('transfer.favorites')], ['ready', t('transfer.ready')]].map(([k, label]) =>
      h('button', { type: 'button', role: 'tab', id: 'transfer-tab-' + k, 'aria-selected': String(tab === k), 'aria-controls': 'transfer-tabpanel', class: tab === k ? 'on' : '',
        onclick: () => { this.transferTab = k; this.transferTarget = target.value; this.render(); document.getElementById('transfer-tab-' + k)?.focus() } }, label)))
    let content
    if (tab === 'favorites') {
      content = h('ul', { class: 'picklist', id: 'transfer-favorites' }, s.favorites.map((f) =>
        h('li', {}, h('button', { type: 'button', 'data-number': f.number, onclick: () => pick(f.number) }, `${f.name} (${formatPhone(f.number)})`))))
    } else if (tab === 'ready') {
      const list = h('ul', { class: 'picklist', id: 'transfer-ready-list', 'aria-live': 'polite' })
      const group = h('select', { id: 'transfer-group', 'aria-label': t('transfer.group'), onchange: () => load() },
        h('option', { value: '' }, t('transfer.group')), s.groups.map((g) => h('option', { value: g.id, selected: g.id === this.transferGroup }, g.name || g.id)))
      const load = async () => {
        this.transferGroup = group.value
        try {
          const r = await get('/api/v1/cti/ready-agents?group=' + encodeURIComponent(group.value))
          for (const a of r.agents) this.agentNames[a.login] = a.name || a.login
          clear(list, r.agents.length ? r.agents.map((a) => h('li', {}, h('button', { type: 'button', 'data-login': a.login,
            onclick: () => pick('agent:' + a.login) }, a.name || a.login, a.extension ? ` (${a.extension})` : ''))) : h('li', { class: 'hint' }, t('transfer.none')))
        } catch (e) { clear(list, h('li', { class: 'field-error' }, errorText(e))) }
      }
      load()
      content = h('div', {}, group, list)
    }
    const form = h('form', { class: 'panel', id: 'transfer-form', 'aria-labelledby': 'transfer-title', onsubmit: async (e) => {
      e.preventDefault()
      const v = plainNumber(target.value)
      if (!v) return showErrors(form, [{ field: 'target', message: t('err.required', { field: t('field.target') }) }])
      try {
        const next = await post('/api/v1/cti/consult', { target: v })
        this.transferTarget = ''
        this.panelMode = ''
        await this.setView(next)
      } catch (ex) {
        showErrors(form, [{ field: 'target', message: errorText(ex) }])
      }
    } }, h('h3', { id: 'transfer-title' }, t('transfer.title')), tabs, h('div', { id: 'transfer-tabpanel', role: 'tabpanel' }, content),
    field(t('transfer.target'), target, 'target'),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'consult-start' }, t('cti.consult')),
      h('button', { type: 'button', onclick: () => { this.panelMode = ''; this.render() } }, t('cti.cancel'))))
    return form
  }

  forcedPanel() {
    const text = this.settings?.hangup_announcement || ''
    return h('div', { class: 'alert', id: 'forced-popup', role: 'alertdialog', 'aria-labelledby': 'forced-title', 'aria-describedby': 'forced-body' },
      h('h3', { id: 'forced-title' }, t('forced.title')), h('p', { id: 'forced-body' }, t('forced.body')),
      h('blockquote', { id: 'forced-text' }, text),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'primary danger', id: 'forced-confirm', onclick: async () => { if (await this.act(() => post('/api/v1/cti/forced-hangup'))) { this.panelMode = ''; this.render() } } }, t('cti.confirm')),
        h('button', { type: 'button', id: 'forced-cancel', onclick: () => { this.panelMode = ''; this.render() } }, t('cti.cancel'))))
  }

  afterCall() {
    return h('div', { class: 'alert', id: 'after-call', role: 'alertdialog', 'aria-labelledby': 'after-title', 'aria-describedby': 'after-body' },
      h('h3', { id: 'after-title' }, t('after.title')), h('p', { id: 'after-body' }, t('after.body')),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'primary', id: 'after-ready', 'aria-keyshortcuts': 'Alt+A', onclick: () => this.act(() => post('/api/v1/cti/after-call', { action: 'ready' })) }, t('cti.confirm')),
        h('button', { type: 'button', id: 'after-work', 'aria-keyshortcuts': 'Alt+R', onclick: () => this.act(() => post('/api/v1/cti/after-call', { action: 'work' })) }, t('cti.cancel'))))
  }

  // settingsPanel: microphone, speaker and level (browser phone), ringtone, notifications.
  settingsPanel() {
    const box = h('section', { class: 'panel settings', id: 'phone-settings-panel', 'aria-labelledby': 'settings-title' },
      h('h3', { id: 'settings-title' }, t('settings.title')))
    const ring = h('input', { type: 'checkbox', id: 'setting-ringtone', checked: this.ringer.enabled, onchange: () => this.ringer.setEnabled(ring.checked) })
    box.append(field(t('settings.ringtone'), ring, 'ringtone'),
      h('button', { type: 'button', id: 'ring-test', onclick: () => this.ringer.once() }, t('settings.testRing')))
    const perm = Notifier.permission()
    const notifyState = h('p', { class: 'hint', id: 'notify-state' }, perm === 'granted' ? t('settings.notifyOn') : perm === 'denied' ? t('settings.notifyDenied') : '')
    box.append(h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('settings.notify')), notifyState,
      perm === 'default' ? h('button', { type: 'button', id: 'notify-allow', onclick: async () => { await Notifier.ask(); this.render() } }, t('settings.notifyAsk')) : null))
    if (this.softphone) {
      const mic = h('select', { id: 'setting-mic', name: 'mic', onchange: async () => {
        try { await this.softphone.useMicrophone(mic.value); this.startMeter() } catch (e) { toast(t('softphone.mic'), 'error') }
      } }, h('option', { value: '' }, t('settings.default')))
      const speaker = h('select', { id: 'setting-speaker', name: 'speaker', disabled: !Softphone.canChooseSpeaker(),
        onchange: () => this.softphone.useSpeaker(speaker.value) }, h('option', { value: '' }, t('settings.default')))
      const meter = h('meter', { id: 'mic-level', min: 0, max: 1, low: 0.1, high: 0.8, optimum: 0.5, value: 0 })
      box.append(field(t('settings.mic'), mic, 'mic'), field(t('settings.level'), meter, 'level'),
        field(t('settings.speaker'), speaker, 'speaker', Softphone.canChooseSpeaker() ? '' : t('settings.nospeaker')))
      this.fillDevices(mic, speaker)
      this.meterEl = meter
      setTimeout(() => this.startMeter(), 0)
    }
    box.append(h('p', { class: 'hint' }, t('phone.shortcuts')),
      h('p', {}, h('a', { href: '#/help/widget', id: 'widget-help' }, t('common.helpFor', { page: t('help.widget.title') }))))
    return box
  }

  async fillDevices(mic, speaker) {
    if (!navigator.mediaDevices?.enumerateDevices) return
    try {
      const list = await navigator.mediaDevices.enumerateDevices()
      let n = 0
      for (const d of list) {
        const sel = d.kind === 'audioinput' ? mic : d.kind === 'audiooutput' ? speaker : null
        if (!sel || d.deviceId === 'default' || d.deviceId === '') continue
        const opt = h('option', { value: d.deviceId }, d.label || t('settings.device', { n: ++n }))
        sel.append(opt)
      }
      mic.value = this.softphone.micId
      if (mic.value !== this.softphone.micId) mic.value = ''
      speaker.value = this.softphone.speakerId
      if (speaker.value !== this.softphone.speakerId) speaker.value = ''
    } catch { /* no list: the default devices serve */ }
  }

  async startMeter() {
    this.stopMeter()
    if (!this.softphone || this.panelMode !== 'settings' || !this.open) return
    try {
      const stream = this.softphone.stream || await this.softphone.open(this.softphone.micId)
      const own = stream !== this.softphone.stream
      const el = this.meterEl
      const meter = new LevelMeter(stream, (v) => { if (el.isConnected) el.value = v; else this.stopMeter() })
      this.meter = { meter, stream, own }
    } catch { /* the settings say nothing more: the microphone error shows on use */ }
  }

  stopMeter() {
    if (!this.meter) return
    this.meter.meter.stop()
    if (this.meter.own) this.meter.stream.getTracks().forEach((tr) => tr.stop())
    this.meter = null
  }
}
