// Administration (전체 관리), as the service guide lays it out:
//   계약 서비스 현황 → 계약 현황   services and their 전화 CTI 사용
//   CTI 관리 → CTI 정보            each service's phone settings (호회수 시간…)
//   CTI 관리 → CTI 상담원 정보     each agent's CTI login: 전화 권한, phone, extension
//   상담원 관리                    accounts: role, services, groups
//   트렁크                         carrier trunks
// Every save is validated by the server with the same rules as `ringdesk apply`; problems come
// back with a path and a kind and are worded beside the field they concern. Every removal asks.
import { get, put, del } from './api.js'
import { h, clear, toast, field, showErrors, apiErrors, confirmDialog, helpLink, tableWrap, code } from './dom.js'
import { t, errorText, names } from './i18n.js'
import { multiPicker } from './pickers.js'

const pages = [
  { path: 'contracts', label: 'admin.contracts', help: 'contracts', children: [{ path: 'contracts', label: 'admin.contract' }] },
  { path: 'cti', label: 'admin.cti', help: 'cti-info', children: [{ path: 'cti/info', label: 'admin.ctiinfo', help: 'cti-info' }, { path: 'cti/agents', label: 'admin.ctiagent', help: 'cti-agents' }] },
  { path: 'accounts', label: 'admin.accounts', help: 'accounts' },
  { path: 'trunks', label: 'admin.trunks', help: 'trunks' },
]

export function adminView(ctx, main, parts) {
  const section = parts[1] || 'contracts'
  const sub = section === 'cti' ? `cti/${parts[2] === 'agents' ? 'agents' : 'info'}` : section
  const here = (p) => p === sub ? 'page' : null
  const menu = h('nav', { class: 'admin-menu', 'aria-label': t('admin.title') }, h('ul', {}, pages.map((p) => h('li', {},
    p.children && p.children.length > 1
      ? [h('span', { class: 'menu-group', id: 'menu-' + p.path }, t(p.label)),
        h('ul', { 'aria-labelledby': 'menu-' + p.path }, p.children.map((c) => h('li', {}, h('a', { href: '#/admin/' + c.path, id: 'menu-' + c.path.replace('/', '-'), 'aria-current': here(c.path) }, t(c.label)))))]
      : [h('a', { href: '#/admin/' + p.path, id: 'menu-' + p.path, 'aria-current': here(p.path) }, t(p.label)),
        p.children ? h('ul', {}, p.children.map((c) => h('li', {}, h('span', { class: 'menu-leaf' }, t(c.label))))) : null]))))
  const page = pages.flatMap((p) => [p, ...(p.children || [])]).find((p) => p.path === sub) || pages[0]
  const group = pages.find((p) => p.path === sub || (p.children || []).some((c) => c.path === sub)) || pages[0]
  const leaf = page !== group ? page : group.children && group.children.length === 1 ? group.children[0] : null
  const crumbs = [t('admin.title'), t(group.label), leaf ? t(leaf.label) : null].filter(Boolean)
  const body = h('div', { class: 'admin-body', id: 'admin-body' })
  clear(main, h('div', { class: 'screen-head' }, h('h1', {}, t('admin.title')), helpLink(page.help || group.help)),
    h('p', { class: 'breadcrumb', id: 'admin-breadcrumb' }, crumbs.join(' → ')),
    h('div', { class: 'admin-layout' }, menu, body))
  if (section === 'contracts') contractsView(ctx, body)
  else if (sub === 'cti/info') ctiInfoView(ctx, body, parts[3] || ctx.service)
  else if (sub === 'cti/agents') ctiAgentsView(ctx, body, parts[3])
  else if (section === 'accounts') accountsView(ctx, body, parts[2])
  else if (section === 'trunks') trunksView(ctx, body)
  return null
}

const errSlot = () => h('div', { class: 'field-error', 'data-error-for': '_form', role: 'alert' })

async function loadSite() {
  const [s, a] = await Promise.all([get('/api/v1/services'), get('/api/v1/agents')])
  for (const x of s.services) names.services[x.id] = x.name || x.id
  for (const x of a.agents) names.agents[x.login] = x.name || x.login
  return { services: s.services, agents: a.agents }
}

// ---- 계약 서비스 현황 → 계약 현황 ----

async function contractsView(ctx, body) {
  const { services } = await loadSite()
  const rows = services.map((s) => {
    const cti = h('select', { name: 'cti', id: 'cti-' + s.id, 'aria-label': `${s.name || s.id} ${t('admin.ctiuse')}`, onchange: async () => {
      try {
        const svc = await get(`/api/v1/services/${encodeURIComponent(s.id)}`)
        await put(`/api/v1/services/${encodeURIComponent(s.id)}`, { ...svc, cti: cti.value === 'true' })
        toast(t('admin.saved'))
        refreshServices(ctx)
      } catch (ex) { toast(errorText(ex), 'error'); contractsView(ctx, body) }
    } }, h('option', { value: 'true', selected: s.cti }, t('admin.use')), h('option', { value: 'false', selected: !s.cti }, t('admin.nouse')))
    return h('tr', { 'data-service': s.id },
      h('td', {}, code(s.id)), h('td', {}, s.name),
      h('td', {}, cti),
      h('td', { class: 'actions' }, h('a', { href: `#/admin/cti/info/${s.id}` }, t('admin.ctiinfo')), ' ',
        h('button', { type: 'button', class: 'link danger-text service-remove', 'aria-label': `${s.name || s.id} ${t('admin.remove')}`, onclick: async () => {
          if (!(await confirmDialog({ title: t('admin.confirmRemove', { what: t('admin.what.service', { name: s.name || s.id }) }), body: t('admin.confirmRemoveBody') }))) return
          try { await del(`/api/v1/services/${encodeURIComponent(s.id)}`); toast(t('admin.removed')); refreshServices(ctx); contractsView(ctx, body) } catch (ex) { toast(errorText(ex), 'error') }
        } }, t('admin.remove'))))
  })
  const id = h('input', { name: 'id', id: 'new-service-id', autocomplete: 'off' })
  const name = h('input', { name: 'name', id: 'new-service-name' })
  const cti = h('select', { name: 'cti', id: 'new-service-cti' }, h('option', { value: 'true' }, t('admin.use')), h('option', { value: 'false', selected: true }, t('admin.nouse')))
  const form = h('form', { class: 'inline card', id: 'new-service', 'aria-labelledby': 'new-service-title', onsubmit: async (e) => {
    e.preventDefault()
    if (!id.value.trim()) return showErrors(form, [{ field: 'id', message: t('err.required', { field: t('admin.id') }) }])
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(id.value)) return showErrors(form, [{ field: 'id', message: t('err.slug') }])
    try {
      await put(`/api/v1/services/${encodeURIComponent(id.value)}`, { id: id.value, name: name.value, cti: cti.value === 'true' })
      toast(t('admin.saved'))
      await refreshServices(ctx)
      location.hash = `#/admin/cti/info/${id.value}`
    } catch (ex) { showErrors(form, apiErrors(ex)) }
  } }, h('h3', { id: 'new-service-title' }, t('admin.newService')), field(t('admin.id'), id, 'id', t('admin.slugHint')), field(t('admin.name'), name, 'name'),
  field(t('admin.ctiuse'), cti, 'cti'), h('button', { type: 'submit', id: 'new-service-add' }, t('admin.add')), errSlot())
  clear(body, h('h2', {}, t('admin.contract')),
    tableWrap(h('table', { class: 'list', id: 'service-list' }, h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, t('admin.id')), h('th', { scope: 'col' }, t('admin.name')), h('th', { scope: 'col' }, t('admin.ctiuse')),
      h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, t('common.actions'))))), h('tbody', {}, rows)), t('admin.contract')),
    form)
}

// refreshServices reloads the top bar's list after a service changed.
async function refreshServices(ctx) {
  try {
    ctx.services = (await get('/api/v1/services')).services
    const sel = document.getElementById('service-select')
    if (sel) clear(sel, ctx.services.map((s) => h('option', { value: s.id, selected: s.id === ctx.service }, s.name || s.id)))
  } catch { /* the next page load shows it */ }
}

// ---- CTI 관리 → CTI 정보 ----

async function ctiInfoView(ctx, body, id) {
  const { services } = await loadSite()
  if (!services.find((s) => s.id === id)) id = services[0]?.id
  const pick = h('nav', { class: 'tabs', 'aria-label': t('nav.service') }, services.map((s) =>
    h('a', { href: `#/admin/cti/info/${s.id}`, class: s.id === id ? 'on' : '', 'aria-current': s.id === id ? 'page' : null, id: 'ctiinfo-' + s.id }, s.name || s.id)))
  if (!id) return clear(body, h('h2', {}, t('admin.ctiinfo')), h('p', { class: 'hint' }, t('common.none')))
  let svc
  try { svc = await get(`/api/v1/services/${encodeURIComponent(id)}`) } catch (e) { return clear(body, h('p', { class: 'error', role: 'alert' }, errorText(e))) }
  const recall = h('input', { name: 'recall_seconds', id: 'svc-recall', type: 'number', min: 5, max: 600, value: svc.recall_seconds || 30 })
  const noAnswer = h('select', { name: 'no_answer', id: 'svc-noanswer' }, ['break', 'ready'].map((v) => h('option', { value: v, selected: (svc.no_answer || 'break') === v }, t('noanswer.' + v))))
  const wrap = h('input', { name: 'after_call_seconds', id: 'svc-wrapup', type: 'number', min: 0, max: 3600, value: svc.after_call_seconds || 0 })
  const text = h('textarea', { name: 'text', id: 'svc-announcement', rows: 2 }, svc.hangup_announcement?.text || '')
  // the dial plan: one pattern a line; empty lists leave the built-in domestic-only plan
  const plan = svc.dial_plan || {}
  const allow = h('textarea', { name: 'allow', id: 'svc-dial-allow', rows: 3, placeholder: '0[1-9]*\n1[5-8]xxxxxx', translate: 'no' }, (plan.allow || []).join('\n'))
  const deny = h('textarea', { name: 'deny', id: 'svc-dial-deny', rows: 3, placeholder: '00*\n+*\n060*', translate: 'no' }, (plan.deny || []).join('\n'))
  const lines = (el) => el.value.split('\n').map((s) => s.trim()).filter(Boolean)
  const form = h('form', { id: 'svc-form', 'aria-labelledby': 'ctiinfo-title', onsubmit: async (e) => {
    e.preventDefault()
    const errs = []
    const n = Number(recall.value)
    if (!Number.isInteger(n) || n < 5 || n > 600) errs.push({ field: 'recall_seconds', message: t('err.range', { min: 5, max: 600 }) })
    const w = Number(wrap.value)
    if (!Number.isInteger(w) || w < 0 || w > 3600) errs.push({ field: 'after_call_seconds', message: t('err.range', { min: 0, max: 3600 }) })
    if (showErrors(form, errs)) return
    const next = { ...svc, recall_seconds: n, no_answer: noAnswer.value, after_call_seconds: w,
      hangup_announcement: { ...(svc.hangup_announcement || {}), text: text.value },
      dial_plan: { allow: lines(allow), deny: lines(deny) } }
    try {
      await put(`/api/v1/services/${encodeURIComponent(id)}`, next)
      toast(t('admin.saved'))
      ctiInfoView(ctx, body, id)
    } catch (ex) { showErrors(form, apiErrors(ex, `services[id=${id}]`)) }
  } }, h('h2', { id: 'ctiinfo-title' }, t('admin.ctiinfoFor', { name: svc.name || svc.id })),
  h('p', {}, t('admin.ctiuse'), ': ', h('strong', { id: 'svc-cti-state' }, svc.cti ? t('admin.use') : t('admin.nouse')), ' (', h('a', { href: '#/admin/contracts' }, t('admin.contract')), ')'),
  field(t('admin.recall'), recall, 'recall_seconds'), field(t('admin.noanswer'), noAnswer, 'no_answer'), field(t('admin.wrapup'), wrap, 'after_call_seconds'),
  field(t('admin.announcement'), text, 'text'),
  field(t('admin.dialAllow'), allow, 'allow'), field(t('admin.dialDeny'), deny, 'deny'),
  h('p', { class: 'hint' }, t('admin.dialHint')), errSlot(),
  h('button', { type: 'submit', class: 'primary', id: 'svc-save' }, t('admin.save')))
  clear(body, pick, form)
}

// ---- CTI 관리 → CTI 상담원 정보 ----

async function ctiAgentsView(ctx, body, login) {
  const { services, agents } = await loadSite()
  const svcName = (id) => names.services[id] || id
  const perms = (a) => (a.services || []).filter((s) => a.phone_services == null || a.phone_services.includes(s))
    .filter((s) => services.find((x) => x.id === s)?.cti)
  const rows = agents.map((a) => h('tr', { 'data-login': a.login, class: a.login === login ? 'selected' : '' },
    h('td', {}, h('a', { href: `#/admin/cti/agents/${a.login}`, 'aria-current': a.login === login ? 'true' : null }, a.name || a.login), ' ', code(a.login)),
    h('td', { class: 'perm' }, perms(a).map(svcName).join(', ') || t('common.none')),
    h('td', {}, a.phone ? t('phonekind.' + a.phone) : t('phonekind.none')),
    h('td', {}, a.extension ? code(a.extension) : '')))
  const current = agents.find((a) => a.login === login)
  clear(body, h('h2', {}, t('admin.ctiagent')),
    tableWrap(h('table', { class: 'list', id: 'cti-agent-list' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('admin.name')),
      h('th', { scope: 'col' }, t('admin.phoneperm')), h('th', { scope: 'col' }, t('admin.phone')), h('th', { scope: 'col' }, t('admin.extension')))),
    h('tbody', {}, rows)), t('admin.ctiagent')),
    current ? ctiAgentForm(ctx, current, services, () => ctiAgentsView(ctx, body, login)) : h('p', { class: 'hint' }, t('admin.choose')))
}

function ctiAgentForm(ctx, a, services, done) {
  const mine = services.filter((s) => (a.services || []).includes(s.id))
  const granted = a.phone_services == null ? mine.filter((s) => s.cti).map((s) => s.id) : a.phone_services
  const perm = multiPicker({ name: 'phone_services', legend: t('admin.phoneperm'), id: 'agent-phone-services',
    options: mine.map((s) => ({ value: s.id, label: s.name || s.id, disabled: !s.cti, hint: s.cti ? '' : t('admin.phonepermOff', { service: s.name || s.id }) })),
    selected: granted, empty: t('admin.noServicesFirst') })
  const phone = h('select', { name: 'phone', id: 'agent-phone' }, h('option', { value: '', selected: !a.phone }, t('phonekind.none')),
    ['sip', 'browser'].map((p) => h('option', { value: p, selected: a.phone === p }, t('phonekind.' + p))))
  const ext = h('input', { name: 'extension', id: 'agent-extension', value: a.extension || '', inputmode: 'numeric', autocomplete: 'off' })
  const sip = h('input', { name: 'sip_password', id: 'agent-sip-password', type: 'password', autocomplete: 'new-password', placeholder: t('admin.keep') })
  const auto = h('input', { type: 'checkbox', name: 'auto_accept', id: 'agent-auto', checked: a.auto_accept })
  const form = h('form', { class: 'card', id: 'cti-agent-form', 'aria-labelledby': 'cti-agent-title', onsubmit: async (e) => {
    e.preventDefault()
    const errs = []
    if (ext.value && !/^\d+$/.test(ext.value)) errs.push({ field: 'extension', message: t('err.digits') })
    if (showErrors(form, errs)) return
    const b = { ...a, phone_services: perm.value, phone: phone.value, extension: ext.value.trim(), auto_accept: auto.checked }
    if (sip.value) b.sip_password = sip.value
    try {
      await put(`/api/v1/agents/${encodeURIComponent(a.login)}`, b)
      toast(t('admin.saved'))
      done()
    } catch (ex) { showErrors(form, apiErrors(ex, `agents[login=${a.login}]`)) }
  } },
  h('h3', { id: 'cti-agent-title' }, `${a.name || a.login} `, code(a.login)),
  field(t('admin.phoneperm'), perm, 'phone_services', t('admin.phonepermHint')),
  field(t('admin.phone'), phone, 'phone'), field(t('admin.extension'), ext, 'extension'),
  field(t('admin.sippassword'), sip, 'sip_password'), field(t('admin.autoaccept'), auto, 'auto_accept'), errSlot(),
  h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'cti-agent-save' }, t('admin.save'))))
  return form
}

// ---- 상담원 관리 ----

async function accountsView(ctx, body, login) {
  const { services, agents } = await loadSite()
  const rows = agents.map((a) => h('tr', { 'data-login': a.login },
    h('td', {}, h('a', { href: `#/admin/accounts/${a.login}` }, a.name || a.login), ' ', code(a.login)),
    h('td', {}, t('role.' + a.role)), h('td', {}, (a.services || []).map((s) => names.services[s] || s).join(', '))))
  const current = agents.find((a) => a.login === login) || (login === 'new' ? { login: '', role: 'agent', services: [], groups: [] } : null)
  clear(body, h('h2', {}, t('admin.accounts')), h('p', {}, h('a', { href: '#/admin/accounts/new', id: 'agent-new', class: 'button' }, t('admin.newAgent'))),
    tableWrap(h('table', { class: 'list', id: 'agent-list' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('admin.name')),
      h('th', { scope: 'col' }, t('admin.role')), h('th', { scope: 'col' }, t('admin.services_of')))), h('tbody', {}, rows)), t('admin.accounts')),
    current ? accountForm(ctx, current, login === 'new', services, () => accountsView(ctx, body, login)) : h('p', { class: 'hint' }, t('admin.choose')))
}

function accountForm(ctx, a, isNew, services, done) {
  const inp = (name, value, attrs = {}) => h('input', { name, value: value ?? '', id: 'agent-' + name, ...attrs })
  const login = inp('login', a.login, { disabled: !isNew, autocomplete: 'off' })
  const name = inp('name', a.name)
  const password = inp('password', '', { type: 'password', autocomplete: 'new-password', placeholder: isNew ? '' : t('admin.keep') })
  const role = h('select', { name: 'role', id: 'agent-role' }, ['agent', 'manager', 'admin'].map((r) => h('option', { value: r, selected: a.role === r }, t('role.' + r))))
  const groupOptions = (svcIDs) => services.filter((s) => svcIDs.includes(s.id)).flatMap((s) =>
    (s.groups || []).map((g) => ({ value: g.id, label: `${g.name || g.id} (${s.name || s.id})` })))
  const groups = multiPicker({ name: 'groups', legend: t('admin.pickGroups'), id: 'agent-groups', options: groupOptions(a.services || []),
    selected: a.groups || [], empty: t('admin.noGroups') })
  const svcs = multiPicker({ name: 'services', legend: t('admin.pickServices'), id: 'agent-services',
    options: services.map((s) => ({ value: s.id, label: s.name || s.id })), selected: a.services || [],
    onchange: (ids) => groups.setOptions(groupOptions(ids)) })
  const form = h('form', { class: 'card', id: 'agent-form', 'aria-labelledby': 'agent-form-title', onsubmit: async (e) => {
    e.preventDefault()
    const errs = []
    if (!login.value.trim()) errs.push({ field: 'login', message: t('err.required', { field: t('admin.login') }) })
    if (isNew && !password.value) errs.push({ field: 'password', message: t('err.required', { field: t('admin.password') }) })
    if (showErrors(form, errs)) return
    const chosen = svcs.value
    // the CTI 상담원 정보 stays as it is; a phone permission follows the services kept
    const body = { ...a, login: login.value.trim(), name: name.value, role: role.value, services: chosen, groups: groups.value }
    if (a.phone_services != null) body.phone_services = a.phone_services.filter((s) => chosen.includes(s))
    else if (isNew) body.phone_services = []
    if (password.value) body.password = password.value
    try {
      await put(`/api/v1/agents/${encodeURIComponent(body.login)}`, body)
      toast(t('admin.saved'))
      if (isNew) location.hash = `#/admin/accounts/${body.login}`
      else done()
    } catch (ex) { showErrors(form, apiErrors(ex, `agents[login=${body.login}]`)) }
  } },
  h('h3', { id: 'agent-form-title' }, isNew ? t('admin.newAgent') : a.name || a.login),
  field(t('admin.login'), login, 'login'), field(t('admin.name'), name, 'name'), field(t('admin.password'), password, 'password'),
  field(t('admin.role'), role, 'role'), field(t('admin.services_of'), svcs, 'services'), field(t('admin.groups_of'), groups, 'groups'),
  !isNew ? h('p', {}, h('a', { href: `#/admin/cti/agents/${a.login}`, id: 'agent-cti-link' }, t('admin.ctiagent'))) : null,
  errSlot(),
  h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'agent-save' }, t('admin.save')),
    !isNew && a.login !== ctx.me.login ? h('button', { type: 'button', class: 'danger', id: 'agent-remove', onclick: async () => {
      if (!(await confirmDialog({ title: t('admin.confirmRemove', { what: t('admin.what.agent', { name: a.name || a.login }) }), body: t('admin.confirmRemoveBody') }))) return
      try { await del(`/api/v1/agents/${encodeURIComponent(a.login)}`); toast(t('admin.removed')); location.hash = '#/admin/accounts' } catch (ex) { showErrors(form, apiErrors(ex)) }
    } }, t('admin.remove')) : null))
  return form
}

// ---- 트렁크 ----

async function trunksView(ctx, body) {
  const r = await get('/api/v1/trunks')
  const again = () => trunksView(ctx, body)
  const forms = r.trunks.map((tr) => trunkForm(tr, false, again))
  clear(body, h('h2', {}, t('admin.trunks')), trunkHealth(r.trunks), forms, h('h2', {}, t('admin.newTrunk')), trunkForm({ port: 5060, allow: [] }, true, again))
}

function trunkForm(tr, isNew, done) {
  const inp = (name, value, attrs = {}) => h('input', { name, value: value ?? '', ...attrs })
  const id = inp('id', tr.id, { disabled: !isNew })
  const host = inp('host', tr.host)
  const port = inp('port', tr.port, { type: 'number', min: 1, max: 65535 })
  const allow = inp('allow', (tr.allow || []).join(', '))
  const prefix = inp('prefix', tr.prefix, { inputmode: 'numeric' })
  const username = inp('username', tr.username)
  const password = inp('password', '', { type: 'password', placeholder: isNew ? '' : t('admin.keep') })
  const transport = h('select', { name: 'transport' }, ['udp', 'tcp', 'tls'].map((v) =>
    h('option', { value: v, selected: (tr.transport || 'udp') === v }, t('trunk.transport.' + v))))
  const proxy = inp('outbound_proxy', tr.outbound_proxy, { placeholder: 'sbc.carrier.example:5060' })
  const form = h('form', { class: 'card trunk', 'data-trunk': tr.id || 'new', 'aria-label': isNew ? t('admin.newTrunk') : t('admin.what.trunk', { id: tr.id }), onsubmit: async (e) => {
    e.preventDefault()
    const errs = []
    if (!id.value) errs.push({ field: 'id', message: t('err.required', { field: t('admin.id') }) })
    if (!host.value) errs.push({ field: 'host', message: t('err.required', { field: t('admin.host') }) })
    if (prefix.value && !/^\d+$/.test(prefix.value)) errs.push({ field: 'prefix', message: t('err.digits') })
    if (showErrors(form, errs)) return
    const b = { id: id.value, host: host.value, port: Number(port.value) || 5060, allow: allow.value.split(/[\s,]+/).filter(Boolean),
      prefix: prefix.value, username: username.value, transport: transport.value, outbound_proxy: proxy.value }
    if (password.value) b.password = password.value
    try { await put(`/api/v1/trunks/${encodeURIComponent(id.value)}`, b); toast(t('admin.saved')); done() } catch (ex) { showErrors(form, apiErrors(ex, `trunks[id=${id.value}]`)) }
  } }, field(t('admin.id'), id, 'id'), field(t('admin.host'), host, 'host'), field(t('admin.port'), port, 'port'),
  field(t('admin.allow'), allow, 'allow'), field(t('admin.prefix'), prefix, 'prefix'), field(t('admin.username'), username, 'username'),
  field(t('admin.password'), password, 'password'), field(t('field.transport'), transport, 'transport'),
  field(t('field.outbound_proxy'), proxy, 'outbound_proxy'), errSlot(),
  h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, isNew ? t('admin.add') : t('admin.save')),
    !isNew ? h('button', { type: 'button', class: 'danger trunk-remove', onclick: async () => {
      if (!(await confirmDialog({ title: t('admin.confirmRemove', { what: t('admin.what.trunk', { id: tr.id }) }), body: t('admin.confirmRemoveBody') }))) return
      try { await del(`/api/v1/trunks/${encodeURIComponent(tr.id)}`); toast(t('admin.removed')); done() } catch (ex) { showErrors(form, apiErrors(ex)) }
    } }, t('admin.remove')) : null))
  return form
}

// trunkHealth is the trunks' state as the server's OPTIONS probes find it: up or down, when
// each last answered and how long that answer took.
function trunkHealth(trunks) {
  const rows = trunks.map((tr) => h('tr', { 'data-trunk': tr.id },
    h('td', {}, tr.id),
    h('td', {}, tr.status ? h('span', { class: 'badge trunk-' + tr.status }, t('trunk.' + tr.status)) : '—'),
    h('td', {}, tr.last_answer ? new Date(tr.last_answer).toLocaleString() : t('trunk.never')),
    h('td', {}, tr.rtt_ms != null ? tr.rtt_ms.toFixed(1) : '—')))
  return h('table', { class: 'list', id: 'trunk-health' }, h('thead', {}, h('tr', {}, h('th', {}, t('admin.id')),
    h('th', {}, t('trunk.status')), h('th', {}, t('trunk.lastanswer')), h('th', {}, t('trunk.rtt')))), h('tbody', {}, rows))
}
