// The console: login, the top bar, the router over the screens (screens.js), and the phone
// widget for agents who have the 전화 permission.
import { get, post, del, Events } from './api.js'
import { h, clear, toast, refreshTimes } from './dom.js'
import { t, getLang, setLang, errorText } from './i18n.js'
import { Widget } from './widget.js'
import { screens, home } from './screens.js'
import { wallboardPage } from './wallboard.js'

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
  if (current && current.destroy) current.destroy()
  current = null
  if (ctx.events) { ctx.events.stop(); ctx.events = null }
  if (ctx.widget) { ctx.widget.destroy(); ctx.widget = null }
  document.body.classList.remove('with-widget', 'widget-left', 'widget-right', 'widget-collapsed')
  const err = h('div', { class: 'field-error', 'data-error-for': '_form', role: 'alert' }, message || '')
  const login = h('input', { name: 'login', id: 'login-name', autocomplete: 'username', required: true })
  const password = h('input', { name: 'password', id: 'login-password', type: 'password', autocomplete: 'current-password', required: true })
  const form = h('form', { class: 'login card', 'aria-labelledby': 'login-title', onsubmit: async (e) => {
    e.preventDefault()
    err.textContent = ''
    try {
      const r = await post('/api/v1/session', { login: login.value.trim(), password: password.value }, { quiet: true })
      ctx.me = r.agent
      await start()
    } catch (ex) {
      err.textContent = ex.code === 'too_many_attempts' ? t('login.throttled', { s: ex.retryAfter || 60 })
        : ex.code === 'busy' ? t('login.busy') : ex.code === 'invalid_credentials' ? t('login.failed') : errorText(ex)
    }
  } },
  h('h1', { id: 'login-title' }, t('app.title')),
  h('div', { class: 'field' }, h('label', { class: 'field-label', for: 'login-name' }, t('login.login')), login),
  h('div', { class: 'field' }, h('label', { class: 'field-label', for: 'login-password' }, t('login.password')), password),
  err,
  h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, t('login.submit')),
  h('button', { type: 'button', class: 'link', lang: getLang() === 'ko' ? 'en' : 'ko', onclick: () => { setLang(getLang() === 'ko' ? 'en' : 'ko'); showLogin() } }, t('nav.lang')))
  clear(app, h('main', { class: 'login-page', id: 'main' }, form))
  document.title = t('app.title')
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
  const offline = h('div', { class: 'offline', role: 'status', hidden: true }, t('err.offline'))
  ctx.events.onStatus((on) => { offline.hidden = on })
  ctx.events.start()
  renderShell(offline)
  if (ctx.me.phone_services.length > 0) {
    ctx.widget = new Widget(ctx)
    document.body.append(ctx.widget.icon, ctx.widget.panel)
  }
  route()
}

// setService switches the service the console works in (tickets, service settings).
export function setService(id) {
  if (!ctx.services.find((s) => s.id === id)) return
  ctx.service = id
  localStorage.setItem('ringdesk.service', id)
  const sel = document.getElementById('service-select')
  if (sel) sel.value = id
}

ctx.setService = setService
ctx.route = () => route()

let main
function renderShell(offline) {
  const svcSelect = h('select', { id: 'service-select', 'aria-label': t('nav.service'), onchange: (e) => {
    setService(e.target.value)
    route()
  } }, ctx.services.map((s) => h('option', { value: s.id, selected: s.id === ctx.service }, s.name || s.id)))
  const links = screens.filter((s) => s.allowed(ctx.me)).map((s) =>
    h('li', {}, h('a', { href: '#/' + s.name, id: 'nav-' + s.name, 'data-screen': s.name }, t(s.label))))
  const menuButton = h('button', { type: 'button', class: 'menu-button', id: 'menu-button', 'aria-expanded': 'false', 'aria-controls': 'main-nav',
    onclick: () => {
      const open = menuButton.getAttribute('aria-expanded') !== 'true'
      menuButton.setAttribute('aria-expanded', String(open))
      nav.classList.toggle('open', open)
    } }, h('span', { 'aria-hidden': 'true' }, '☰'), h('span', { class: 'sr-only' }, t('nav.menu')))
  const nav = h('nav', { class: 'main-nav', id: 'main-nav', 'aria-label': t('nav.main') }, h('ul', {}, links))
  const bar = h('header', { class: 'topbar' },
    h('a', { href: '#main', class: 'skip', onclick: (e) => { e.preventDefault(); main.focus() } }, t('nav.skip')),
    h('a', { href: home, class: 'brand', translate: 'no' }, t('app.title')),
    svcSelect, menuButton, nav,
    h('span', { class: 'spacer' }),
    h('span', { class: 'me', title: t('nav.me', { name: ctx.me.name || ctx.me.login }) }, ctx.me.name || ctx.me.login),
    h('button', { class: 'link', id: 'lang-toggle', lang: getLang() === 'ko' ? 'en' : 'ko', onclick: () => { setLang(getLang() === 'ko' ? 'en' : 'ko'); relabel() } }, t('nav.lang')),
    h('button', { class: 'link', id: 'logout', onclick: async () => {
      try { await del('/api/v1/session') } catch { /* already gone */ }
      showLogin()
    } }, t('nav.logout')))
  main = h('main', { id: 'main', tabindex: '-1' })
  clear(app, bar, offline, main)
}

// relabel redraws everything in the new language.
function relabel() {
  const off = document.querySelector('.offline')
  renderShell(off || h('div', { class: 'offline', hidden: true }, t('err.offline')))
  if (ctx.widget) ctx.widget.relabel()
  route()
}

let current = null
export function route() {
  if (!ctx.me || !main) return
  if (current && current.destroy) current.destroy()
  current = null
  const hash = location.hash.replace(/^#\/?/, '')
  const parts = hash.split('/').filter(Boolean).map(decodeURIComponent)
  const screen = screens.find((s) => s.name === parts[0] && s.allowed(ctx.me))
  if (!screen) {
    location.hash = home
    return
  }
  for (const a of document.querySelectorAll('.main-nav a')) {
    if (a.dataset.screen === screen.name) a.setAttribute('aria-current', 'page')
    else a.removeAttribute('aria-current')
  }
  document.getElementById('menu-button')?.setAttribute('aria-expanded', 'false')
  document.getElementById('main-nav')?.classList.remove('open')
  clear(main)
  main.dataset.screen = screen.name
  current = screen.view(ctx, main, parts) || null
  refreshTimes(main)
  const title = main.querySelector('h1')
  document.title = title ? `${title.textContent} · ${t('app.title')}` : t('app.title')
}

// /wallboard is the same page without the console: big numbers for a TV (wallboard.js)
if (location.pathname === '/wallboard') {
  wallboardPage(app)
} else {
  window.addEventListener('hashchange', route)
  window.addEventListener('ringdesk:unauthorized', () => { if (ctx.me) showLogin(t('error.unauthorized')) })
  window.addEventListener('ringdesk:toast', (e) => toast(e.detail.message, e.detail.kind))
  boot()
}
