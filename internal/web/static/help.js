// Help: the FAQ "CTI 로그인이 진행되지 않아요" and a short page per screen, each linked from its
// screen (the 도움말 link beside the title) and from the FAQ. The words are in the catalogue
// (help.<page>.title / .body); a new screen adds its page here.
import { h, clear } from './dom.js'
import { t } from './i18n.js'

// pages: id, and the screen it describes (opened from the page) when there is one.
export const helpPages = [
  { id: 'faq-cti-login', faq: true },
  { id: 'widget' },
  { id: 'tickets', screen: '#/tickets' },
  { id: 'ticket' },
  { id: 'missed', screen: '#/missed' },
  { id: 'live', screen: '#/live', role: 'manager' },
  { id: 'wallboard', screen: '#/live', role: 'manager' },
  { id: 'reports', screen: '#/reports', role: 'manager' },
  { id: 'calls', screen: '#/calls', role: 'manager' },
  { id: 'service-phone', screen: '#/service', role: 'manager' },
  { id: 'contracts', screen: '#/admin/contracts', role: 'admin' },
  { id: 'cti-info', screen: '#/admin/cti/info', role: 'admin' },
  { id: 'cti-agents', screen: '#/admin/cti/agents', role: 'admin' },
  { id: 'accounts', screen: '#/admin/accounts', role: 'admin' },
  { id: 'trunks', screen: '#/admin/trunks', role: 'admin' },
]

const mayOpen = (me, p) => !p.role || me.role === 'admin' || (p.role === 'manager' && me.role === 'manager')

export function helpView(ctx, main, parts) {
  const page = helpPages.find((p) => p.id === parts[1])
  const index = h('nav', { class: 'help-index', 'aria-labelledby': 'help-index-title' },
    h('h2', { id: 'help-index-title' }, t('help.index')),
    h('h3', {}, t('help.faq')),
    h('ul', {}, helpPages.filter((p) => p.faq).map((p) => h('li', {}, link(p, page)))),
    h('h3', {}, t('help.pages')),
    h('ul', {}, helpPages.filter((p) => !p.faq).map((p) => h('li', {}, link(p, page)))))
  if (!page) {
    clear(main, h('h1', {}, t('help.title')), index)
    return null
  }
  const paragraphs = t(`help.${page.id}.body`).split('\n\n').map((para) => h('p', {}, para))
  const article = h('article', { class: 'help-page', id: 'help-' + page.id, 'aria-labelledby': 'help-title' },
    h('h1', { id: 'help-title' }, t(`help.${page.id}.title`)), paragraphs,
    page.screen && mayOpen(ctx.me, page) ? h('p', {}, t('help.related'), ': ', h('a', { href: page.screen }, t('help.open', { page: t(`help.${page.id}.title`) }))) : null,
    !page.faq ? h('p', { class: 'faq-link' }, t('help.faq'), ': ', h('a', { href: '#/help/faq-cti-login' }, t('help.faq-cti-login.title'))) : null)
  clear(main, h('div', { class: 'help-layout' }, article, index))
  return null
}

function link(p, current) {
  return h('a', { href: '#/help/' + p.id, 'aria-current': current && current.id === p.id ? 'page' : null, id: 'helplink-' + p.id }, t(`help.${p.id}.title`))
}
