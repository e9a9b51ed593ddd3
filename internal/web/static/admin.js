// Administration: what provisioning can set, editable one screen at a time. Every save is
// validated by the server with the same rules as `ringdesk apply`; problems come back with a
// path and are shown beside the field they concern.
import { get, put, post, patch, del, call } from './api.js'
import { h, clear, toast, field, showErrors, apiErrors } from './dom.js'
import { t } from './i18n.js'

export function adminView(ctx, main, parts) {
  const isAdmin = ctx.me.role === 'admin'
  const section = parts[0] || 'services'
  const nav = h('nav', { class: 'subnav' },
    h('a', { href: '#/admin/services', class: section === 'services' ? 'active' : '' }, t('admin.services')),
    isAdmin ? h('a', { href: '#/admin/agents', class: section === 'agents' ? 'active' : '' }, t('admin.agents')) : null,
    isAdmin ? h('a', { href: '#/admin/trunks', class: section === 'trunks' ? 'active' : '' }, t('admin.trunks')) : null)
  const body = h('div', { class: 'admin-body' })
  clear(main, h('h2', {}, t('admin.title')), nav, body)
  if (section === 'services' && parts[1]) serviceEditor(ctx, body, parts[1], parts[2] || 'cti')
  else if (section === 'services') serviceList(ctx, body)
  else if (section === 'agents') agentsView(ctx, body, parts[1])
  else if (section === 'trunks') trunksView(ctx, body)
  return null
}

const errSlot = () => h('div', { class: 'field-error', 'data-error-for': '_form' })

async function serviceList(ctx, body) {
  const r = await get('/api/v1/services')
  const isAdmin = ctx.me.role === 'admin'
  const rows = r.services.map((s) => h('tr', { 'data-service': s.id },
    h('td', {}, h('a', { href: `#/admin/services/${s.id}` }, s.id)), h('td', {}, s.name),
    h('td', {}, s.cti ? t('admin.use') : t('admin.nouse'))))
  const out = [h('h3', {}, t('admin.services')), h('table', { class: 'list', id: 'service-list' }, h('thead', {}, h('tr', {},
    h('th', {}, t('admin.id')), h('th', {}, t('admin.name')), h('th', {}, t('admin.ctiuse')))), h('tbody', {}, rows))]
  if (isAdmin) {
    const id = h('input', { name: 'id', id: 'new-service-id' })
    const name = h('input', { name: 'name', id: 'new-service-name' })
    const form = h('form', { class: 'inline', id: 'new-service', onsubmit: async (e) => {
      e.preventDefault()
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(id.value)) return showErrors(form, [{ field: 'id', message: 'a-z, 0-9, - _' }])
      try {
        await put(`/api/v1/services/${encodeURIComponent(id.value)}`, { id: id.value, name: name.value, cti: false })
        location.hash = `#/admin/services/${id.value}`
      } catch (ex) { showErrors(form, apiErrors(ex)) }
    } }, field(t('admin.id'), id, 'id'), field(t('admin.name'), name, 'name'), h('button', { type: 'submit' }, t('admin.add')), errSlot())
    out.push(form)
  }
  clear(body, out)
}

const tabs = ['cti', 'callerids', 'favorites', 'groups', 'queues', 'numbers', 'audio']
const tabLabel = { cti: 'admin.ctiinfo', callerids: 'admin.callerids', favorites: 'admin.favorites', groups: 'admin.groups', queues: 'admin.queues', numbers: 'admin.numbers', audio: 'admin.audio' }

async function serviceEditor(ctx, body, id, tab) {
  let svc
  try { svc = await get(`/api/v1/services/${encodeURIComponent(id)}`) } catch (e) { return clear(body, h('p', { class: 'error' }, e.message)) }
  const isAdmin = ctx.me.role === 'admin'
  const bar = h('div', { class: 'tabs' }, tabs.map((k) => h('a', { href: `#/admin/services/${id}/${k}`, id: 'tab-' + k, class: k === tab ? 'on' : '' }, t(tabLabel[k]))))
  const pane = h('div', { class: 'pane' })
  clear(body, h('h3', {}, `${svc.name} (${svc.id})`), bar, pane)
  const saved = (s) => { toast(t('admin.saved')); serviceEditor(ctx, body, id, tab) ; return s }
  switch (tab) {
    case 'cti': {
      const name = h('input', { name: 'name', value: svc.name, disabled: !isAdmin })
      const cti = h('select', { name: 'cti', id: 'svc-cti', disabled: !isAdmin }, h('option', { value: 'true', selected: svc.cti }, t('admin.use')), h('option', { value: 'false', selected: !svc.cti }, t('admin.nouse')))
      const recall = h('input', { name: 'recall_seconds', id: 'svc-recall', type: 'number', min: 5, max: 600, value: svc.recall_seconds || 30, disabled: !isAdmin })
      const noAnswer = h('select', { name: 'no_answer', disabled: !isAdmin }, ['break', 'ready'].map((v) => h('option', { value: v, selected: (svc.no_answer || 'break') === v }, t('noanswer.' + v))))
      const wrap = h('input', { name: 'after_call_seconds', id: 'svc-wrapup', type: 'number', min: 0, max: 3600, value: svc.after_call_seconds || 0, disabled: !isAdmin })
      const text = h('textarea', { name: 'text', id: 'svc-announcement', rows: 2, disabled: !isAdmin }, svc.hangup_announcement?.text || '')
      // the dial plan: one pattern a line; empty lists leave the built-in domestic-only plan
      const plan = svc.dial_plan || {}
      const allow = h('textarea', { name: 'allow', id: 'svc-dial-allow', rows: 3, disabled: !isAdmin, placeholder: '0[1-9]*\n1[5-8]xxxxxx' }, (plan.allow || []).join('\n'))
      const deny = h('textarea', { name: 'deny', id: 'svc-dial-deny', rows: 3, disabled: !isAdmin, placeholder: '00*\n+*\n060*' }, (plan.deny || []).join('\n'))
      const lines = (el) => el.value.split('\n').map((s) => s.trim()).filter(Boolean)
      const form = h('form', { id: 'svc-form', onsubmit: async (e) => {
        e.preventDefault()
        const n = Number(recall.value)
        if (!Number.isInteger(n) || n < 5 || n > 600) return showErrors(form, [{ field: 'recall_seconds', message: '5..600' }])
        const w = Number(wrap.value)
        if (!Number.isInteger(w) || w < 0 || w > 3600) return showErrors(form, [{ field: 'after_call_seconds', message: '0..3600' }])
        const next = { ...svc, name: name.value, cti: cti.value === 'true', recall_seconds: n, no_answer: noAnswer.value, after_call_seconds: w,
          hangup_announcement: { ...(svc.hangup_announcement || {}), text: text.value },
          dial_plan: { allow: lines(allow), deny: lines(deny) } }
        try { saved(await put(`/api/v1/services/${encodeURIComponent(id)}`, next)) } catch (ex) { showErrors(form, apiErrors(ex)) }
      } }, field(t('admin.name'), name, 'name'), field(t('admin.ctiuse'), cti, 'cti'), field(t('admin.recall'), recall, 'recall_seconds'),
      field(t('admin.noanswer'), noAnswer, 'no_answer'), field(t('admin.wrapup'), wrap, 'after_call_seconds'),
      field(t('admin.announcement'), text, 'text'),
      field(t('admin.dialAllow'), allow, 'allow'), field(t('admin.dialDeny'), deny, 'deny'),
      h('p', { class: 'hint' }, t('admin.dialHint')), errSlot(),
      isAdmin ? h('button', { type: 'submit', class: 'primary', id: 'svc-save' }, t('admin.save')) : null)
      clear(pane, form)
      break
    }
    case 'callerids': clear(pane, callerIDEditor(ctx, svc, saved)); break
    case 'favorites':
      clear(pane, listEditor('favorites', svc.favorites || [], [['name', t('admin.name')], ['number', t('admin.number')]], true,
        (list) => put(`/api/v1/services/${id}/favorites`, list).then(saved)))
      break
    case 'groups':
      clear(pane, listEditor('groups', svc.groups || [], [['id', t('admin.id')], ['name', t('admin.name')]], isAdmin,
        (list) => put(`/api/v1/services/${id}/groups`, list).then(saved)))
      break
    case 'queues':
      clear(pane, listEditor('queues', (svc.queues || []).map((q) => ({ ...q, members: (q.members || []).join(', ') })),
        [['number', t('admin.number')], ['name', t('admin.name')], ['members', t('admin.members')]], isAdmin,
        (list) => put(`/api/v1/services/${id}/queues`, list.map((q) => ({ number: q.number, name: q.name, strategy: 'longest_idle',
          members: q.members.split(/[\s,]+/).filter(Boolean) }))).then(saved)))
      break
    case 'numbers':
      clear(pane, listEditor('numbers', svc.numbers || [], [['number', t('admin.number')], ['queue', t('admin.queue')], ['greeting', t('admin.greeting')]], isAdmin,
        (list) => put(`/api/v1/services/${id}/numbers`, list).then(saved)))
      break
    case 'audio': clear(pane, audioEditor(svc, saved)); break
  }
}

// listEditor edits a list of flat records as rows of inputs; save sends the whole list.
function listEditor(name, items, cols, editable, save) {
  const rows = h('tbody')
  const addRow = (item) => {
    const tr = h('tr', {}, cols.map(([k]) => h('td', {}, h('input', { name: k, value: item[k] ?? '', disabled: !editable, 'data-col': k }),
      h('div', { class: 'field-error', 'data-error-for': k }))),
    editable ? h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => tr.remove() }, t('admin.remove'))) : null)
    rows.append(tr)
  }
  items.forEach(addRow)
  const form = h('form', { id: name + '-form', onsubmit: async (e) => {
    e.preventDefault()
    const list = [...rows.querySelectorAll('tr')].map((tr) => Object.fromEntries([...tr.querySelectorAll('input')].map((i) => [i.dataset.col, i.value.trim()])))
    const errs = []
    list.forEach((row, i) => { for (const [k] of cols) if (['id', 'number'].includes(k) && !row[k]) errs.push({ field: '', message: `${i + 1}: ${k} ${t('err.required')}` }) })
    if (showErrors(form, errs)) return
    try { await save(list) } catch (ex) { showErrors(form, apiErrors(ex)) }
  } }, h('table', { class: 'list' }, h('thead', {}, h('tr', {}, cols.map(([, l]) => h('th', {}, l)))), rows), errSlot(),
  editable ? h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => addRow({}) }, t('admin.add')),
    h('button', { type: 'submit', class: 'primary' }, t('admin.save'))) : null)
  return form
}

// callerIDEditor is 발신번호 관리: register, approve, reorder, remove.
function callerIDEditor(ctx, svc, saved) {
  const isAdmin = ctx.me.role === 'admin'
  const base = `/api/v1/services/${encodeURIComponent(svc.id)}/caller-ids`
  const list = svc.caller_ids || []
  const err = errSlot()
  const wrap = (p) => p.then(saved).catch((ex) => { err.textContent = ex.message })
  const rows = list.map((c, i) => h('tr', { 'data-number': c.number },
    h('td', {}, c.number), h('td', {}, h('span', { class: 'badge cid-' + c.status }, t('cid.' + c.status))),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'cid-up', disabled: i === 0, onclick: () => wrap(patch(`${base}/${c.number}`, { position: i - 1 })) }, t('admin.up')),
      h('button', { type: 'button', class: 'cid-down', disabled: i === list.length - 1, onclick: () => wrap(patch(`${base}/${c.number}`, { position: i + 1 })) }, t('admin.down')),
      isAdmin && c.status !== 'registered' ? h('button', { type: 'button', class: 'cid-approve', onclick: () => wrap(patch(`${base}/${c.number}`, { status: 'registered' })) }, t('admin.approve')) : null,
      h('button', { type: 'button', class: 'cid-remove link', onclick: () => wrap(del(`${base}/${c.number}`)) }, t('admin.remove')))))
  const number = h('input', { name: 'number', id: 'cid-new', inputmode: 'tel' })
  const form = h('form', { class: 'inline', id: 'cid-form', onsubmit: async (e) => {
    e.preventDefault()
    const n = number.value.replace(/[\s-]/g, '')
    if (!/^\+?\d{3,20}$/.test(n)) return showErrors(form, [{ field: 'number', message: t('err.digits') }])
    try { saved(await post(base, { number: n })) } catch (ex) { showErrors(form, apiErrors(ex)) }
  } }, field(t('admin.number'), number, 'number'), h('button', { type: 'submit', id: 'cid-add' }, t('admin.add')), errSlot())
  return [h('table', { class: 'list', id: 'cid-list' }, h('thead', {}, h('tr', {}, h('th', {}, t('admin.number')), h('th', {}, t('admin.status')), h('th', {}))),
    h('tbody', {}, rows)), err, form]
}

function audioEditor(svc, saved) {
  const part = (kind, label, current) => {
    const input = h('input', { type: 'file', name: kind, accept: 'audio/wav,.wav', id: 'audio-' + kind })
    const form = h('form', { id: 'audio-form-' + kind, onsubmit: async (e) => {
      e.preventDefault()
      const file = input.files[0]
      if (!file) return showErrors(form, [{ field: kind, message: t('err.required') }])
      try {
        saved(await call('PUT', `/api/v1/services/${encodeURIComponent(svc.id)}/audio/${kind}?name=${encodeURIComponent(file.name)}`, file, { type: 'audio/wav' }))
      } catch (ex) { showErrors(form, [{ field: kind, message: ex.message }]) }
    } }, h('h4', {}, label), h('p', {}, current ? `${t('admin.custom')}: ` : t('admin.builtin'), current ? h('audio', { controls: true, src: `/api/v1/audio/${current}` }) : null),
    field(t('admin.upload'), input, kind), h('div', { class: 'buttons' }, h('button', { type: 'submit' }, t('admin.upload')),
      current ? h('button', { type: 'button', onclick: () => del(`/api/v1/services/${encodeURIComponent(svc.id)}/audio/${kind}`).then(saved) }, t('admin.builtin')) : null))
    return form
  }
  return [part('hold', t('admin.holdaudio'), svc.hold_audio), part('hangup', t('admin.hangupaudio'), svc.hangup_announcement?.audio)]
}

async function agentsView(ctx, body, login) {
  const r = await get('/api/v1/agents')
  const rows = r.agents.map((a) => h('tr', { 'data-login': a.login }, h('td', {}, h('a', { href: `#/admin/agents/${a.login}` }, a.login)),
    h('td', {}, a.name), h('td', {}, t('role.' + a.role)), h('td', {}, a.extension || ''), h('td', {}, (a.services || []).join(', '))))
  const current = r.agents.find((a) => a.login === login) || { login: login === 'new' ? '' : login, role: 'agent', services: [], groups: [], phone: 'sip' }
  clear(body, h('h3', {}, t('admin.agents')), h('p', {}, h('a', { href: '#/admin/agents/new', id: 'agent-new' }, t('admin.add'))),
    h('table', { class: 'list', id: 'agent-list' }, h('thead', {}, h('tr', {}, h('th', {}, t('admin.login')), h('th', {}, t('admin.name')),
      h('th', {}, t('admin.role')), h('th', {}, t('admin.extension')), h('th', {}, t('admin.services_of')))), h('tbody', {}, rows)),
    login ? agentForm(ctx, current, login === 'new') : null)
}

function agentForm(ctx, a, isNew) {
  const inp = (name, value, attrs = {}) => h('input', { name, value: value ?? '', id: 'agent-' + name, ...attrs })
  const login = inp('login', a.login, { disabled: !isNew })
  const name = inp('name', a.name)
  const password = inp('password', '', { type: 'password', autocomplete: 'new-password', placeholder: isNew ? '' : t('admin.keep') })
  const role = h('select', { name: 'role', id: 'agent-role' }, ['agent', 'manager', 'admin'].map((r) => h('option', { value: r, selected: a.role === r }, t('role.' + r))))
  const services = inp('services', (a.services || []).join(', '))
  const groups = inp('groups', (a.groups || []).join(', '))
  const ext = inp('extension', a.extension, { inputmode: 'numeric' })
  const sip = inp('sip_password', '', { type: 'password', autocomplete: 'new-password', placeholder: isNew ? '' : t('admin.keep') })
  const phone = h('select', { name: 'phone', id: 'agent-phone' }, ['sip', 'browser'].map((p) => h('option', { value: p, selected: (a.phone || 'sip') === p }, t('phonekind.' + p))))
  const auto = h('input', { type: 'checkbox', name: 'auto_accept', id: 'agent-auto', checked: a.auto_accept })
  const form = h('form', { class: 'card', id: 'agent-form', onsubmit: async (e) => {
    e.preventDefault()
    const errs = []
    if (!login.value) errs.push({ field: 'login', message: t('err.required') })
    if (isNew && !password.value) errs.push({ field: 'password', message: t('err.required') })
    if (ext.value && !/^\d+$/.test(ext.value)) errs.push({ field: 'extension', message: t('err.digits') })
    if (showErrors(form, errs)) return
    const split = (s) => s.split(/[\s,]+/).filter(Boolean)
    const body = { login: login.value, name: name.value, role: role.value, services: split(services.value), groups: split(groups.value),
      extension: ext.value, phone: phone.value, auto_accept: auto.checked }
    if (password.value) body.password = password.value
    if (sip.value) body.sip_password = sip.value
    try {
      await put(`/api/v1/agents/${encodeURIComponent(login.value)}`, body)
      toast(t('admin.saved'))
      location.hash = `#/admin/agents/${login.value}`
    } catch (ex) { showErrors(form, apiErrors(ex)) }
  } },
  h('h4', {}, t('admin.ctiagent')),
  field(t('admin.login'), login, 'login'), field(t('admin.name'), name, 'name'), field(t('admin.password'), password, 'password'),
  field(t('admin.role'), role, 'role'), field(t('admin.services_of'), services, 'services'), field(t('admin.groups_of'), groups, 'groups'),
  field(t('admin.extension'), ext, 'extension'), field(t('admin.sippassword'), sip, 'sip_password'), field(t('admin.phone'), phone, 'phone'),
  field(t('admin.autoaccept'), auto, 'auto_accept'), errSlot(),
  h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'agent-save' }, t('admin.save')),
    !isNew && a.login !== ctx.me.login ? h('button', { type: 'button', class: 'danger', onclick: async () => {
      try { await del(`/api/v1/agents/${encodeURIComponent(a.login)}`); location.hash = '#/admin/agents' } catch (ex) { showErrors(form, apiErrors(ex)) }
    } }, t('admin.remove')) : null))
  return form
}

async function trunksView(ctx, body) {
  const r = await get('/api/v1/trunks')
  const forms = r.trunks.map((tr) => trunkForm(tr, false))
  clear(body, h('h3', {}, t('admin.trunks')), trunkHealth(r.trunks), forms, trunkForm({ port: 5060, allow: [] }, true))
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

function trunkForm(tr, isNew) {
  const inp = (name, value, attrs = {}) => h('input', { name, value: value ?? '', ...attrs })
  const id = inp('id', tr.id, { disabled: !isNew })
  const host = inp('host', tr.host)
  const port = inp('port', tr.port, { type: 'number', min: 1, max: 65535 })
  const allow = inp('allow', (tr.allow || []).join(', '))
  const prefix = inp('prefix', tr.prefix, { inputmode: 'numeric' })
  const username = inp('username', tr.username)
  const password = inp('password', '', { type: 'password', placeholder: isNew ? '' : t('admin.keep') })
  const form = h('form', { class: 'card trunk', 'data-trunk': tr.id || 'new', onsubmit: async (e) => {
    e.preventDefault()
    const errs = []
    if (!id.value) errs.push({ field: 'id', message: t('err.required') })
    if (!host.value) errs.push({ field: 'host', message: t('err.required') })
    if (prefix.value && !/^\d+$/.test(prefix.value)) errs.push({ field: 'prefix', message: t('err.digits') })
    if (showErrors(form, errs)) return
    const b = { id: id.value, host: host.value, port: Number(port.value) || 5060, allow: allow.value.split(/[\s,]+/).filter(Boolean),
      prefix: prefix.value, username: username.value }
    if (password.value) b.password = password.value
    try { await put(`/api/v1/trunks/${encodeURIComponent(id.value)}`, b); toast(t('admin.saved')); location.reload() } catch (ex) { showErrors(form, apiErrors(ex)) }
  } }, field(t('admin.id'), id, 'id'), field(t('admin.host'), host, 'host'), field(t('admin.port'), port, 'port'),
  field(t('admin.allow'), allow, 'allow'), field(t('admin.prefix'), prefix, 'prefix'), field(t('admin.username'), username, 'username'),
  field(t('admin.password'), password, 'password'), errSlot(),
  h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, isNew ? t('admin.add') : t('admin.save')),
    !isNew ? h('button', { type: 'button', class: 'danger', onclick: () => del(`/api/v1/trunks/${encodeURIComponent(tr.id)}`).then(() => location.reload()) }, t('admin.remove')) : null))
  return form
}
