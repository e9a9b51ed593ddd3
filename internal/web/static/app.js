// The console: login, the top bar, the router, and the phone widget for agents who have the
// 전화 permission.
import { get, post, del, Events } from './api.js'
import { h, clear, toast } from './dom.js'
import { t, getLang, setLang } from './i18n.js'
import { Widget } from './widget.js'
import { ticketList, ticketView } from './tickets.js'
import { liveView } from './live.js'
import { adminView } from './admin.js'

const app = document.getElementById('app')

export const ctx = {
  me: null,
  services: [],
  service: '', // the service whose tickets are shown
  events: null,
  widget: null,
}
// a handle for people and tests looking at a running console from the browser's devtools
window.ringdesk = ctx

async function boot() {
  try {
    const r = await get('/api/v1/session', { quiet: true })
    ctx.me = r.agent
  } catch {
    return showLogin()
  }
  await start()
}

function showLogin(message) {
  ctx.me = null
  if (ctx.events) { ctx.events.stop(); ctx.events = null }
  if (ctx.widget) { ctx.widget.destroy(); ctx.widget = null }
  const err = h('div', { class: 'field-error', 'data-error-for': '_form' }, message || '')
  const login = h('input', { name: 'login', autocomplete: 'username', required: true })
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })
  const form = h('form', { class: 'login card', onsubmit: async (e) => {
    e.preventDefault()
    err.textContent = ''
    try {
      const r = await post('/api/v1/session', { login: login.value.trim(), password: password.value }, { quiet: true })
      ctx.me = r.agent
      await start()
    } catch (ex) {
      err.textContent = ex.code === 'too_many_attempts' ? t('login.throttled', { s: ex.retryAfter || 60 })
        : ex.code === 'busy' ? t('login.busy') : ex.code === 'shutting_down' ? t('err.shutting_down') : t('login.failed')
    }
  } },
  h('h1', {}, t('app.title')),
  h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('login.login')), login),
  h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('login.password')), password),
  err,
  h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, t('login.submit')),
  h('button', { type: 'button', class: 'link', onclick: () => { setLang(getLang() === 'ko' ? 'en' : 'ko'); showLogin() } }, t('nav.lang')))
  clear(app, h('div', { class: 'login-page' }, form))
  login.focus()
}

async function start() {
  const r = await get('/api/v1/services')
  ctx.services = r.services
  if (!ctx.service || !ctx.services.find((s) => s.id === ctx.service)) {
    ctx.service = localStorage.getItem('ringdesk.service') || ''
    if (!ctx.services.find((s) => s.id === ctx.service)) ctx.service = ctx.services[0]?.id || ''
  }
  ctx.events = new Events()
  const offline = h('div', { class: 'offline', hidden: true }, t('err.offline'))
  ctx.events.onStatus((on) => { offline.hidden = on })
  ctx.events.start()
  renderShell(offline)
  if (ctx.me.phone_services.length > 0) {
    ctx.widget = new Widget(ctx)
    document.body.append(ctx.widget.icon, ctx.widget.panel)
  }
  route()
}

let main
function renderShell(offline) {
  const svcSelect = h('select', { id: 'service-select', 'aria-label': t('nav.service'), onchange: (e) => {
    ctx.service = e.target.value
    localStorage.setItem('ringdesk.service', ctx.service)
    route()
  } }, ctx.services.map((s) => h('option', { value: s.id, selected: s.id === ctx.service }, s.name || s.id)))
  const isManager = ctx.me.role === 'manager' || ctx.me.role === 'admin'
  const nav = h('nav', { class: 'topbar' },
    h('a', { href: '#/tickets', class: 'brand' }, t('app.title')),
    svcSelect,
    h('a', { href: '#/tickets', id: 'nav-tickets' }, t('nav.tickets')),
    isManager ? h('a', { href: '#/live', id: 'nav-live' }, t('nav.live')) : null,
    ctx.me.role === 'admin' || isManager ? h('a', { href: '#/admin', id: 'nav-admin' }, t('nav.admin')) : null,
    h('span', { class: 'spacer' }),
    h('span', { class: 'me' }, `${ctx.me.name} (${ctx.me.login})`),
    h('button', { class: 'link', id: 'lang-toggle', onclick: () => { setLang(getLang() === 'ko' ? 'en' : 'ko'); relabel() } }, t('nav.lang')),
    h('button', { class: 'link', id: 'logout', onclick: async () => {
      try { await del('/api/v1/session') } catch { /* already gone */ }
      showLogin()
    } }, t('nav.logout')))
  main = h('main', { id: 'main' })
  clear(app, nav, offline, main)
}

// relabel redraws everything in the new language.
function relabel() {
  const off = document.querySelector('.offline')
  renderShell(off || h('div', { class: 'offline', hidden: true }, t('err.offline')))
  if (ctx.widget) ctx.widget.render()
  route()
}

let current = null
export function route() {
  if (!ctx.me || !main) return
  if (current && current.destroy) current.destroy()
  current = null
  const hash = location.hash.replace(/^#/, '') || '/tickets'
  const parts = hash.split('/').filter(Boolean)
  for (const a of document.querySelectorAll('nav.topbar a')) a.classList.toggle('active', hash.startsWith(a.getAttribute('href').slice(1)))
  switch (parts[0]) {
    case 'tickets':
      current = parts[1] ? ticketView(ctx, main, Number(parts[1])) : ticketList(ctx, main)
      break
    case 'live':
      current = liveView(ctx, main)
      break
    case 'admin':
      current = adminView(ctx, main, parts.slice(1))
      break
    default:
      location.hash = '#/tickets'
  }
}

window.addEventListener('hashchange', route)
window.addEventListener('ringdesk:unauthorized', () => { if (ctx.me) showLogin() })
window.addEventListener('ringdesk:toast', (e) => toast(e.detail.message, e.detail.kind))
boot()
