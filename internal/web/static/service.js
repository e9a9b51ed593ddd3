// 서비스 관리 → 전화: what a service's managers keep up to date — 발신번호 관리 (register,
// approve, reorder, remove), 자주 사용되는 번호, and (administrators) groups, queues with their
// members, numbers with their greeting, and the hold audio and announcement, each playable.
import { get, put, post, patch, del, call } from './api.js'
import { h, clear, toast, field, showErrors, apiErrors, confirmDialog, helpLink, tableWrap, phone } from './dom.js'
import { t, errorText, names, problemText, parsePath } from './i18n.js'
import { plainNumber, isPhoneNumber, formatPhone } from './format.js'
import { multiPicker } from './pickers.js'
import { audioPreview } from './audio.js'

const tabs = ['callerids', 'favorites', 'groups', 'queues', 'numbers', 'audio']
const tabLabel = { callerids: 'admin.callerids', favorites: 'admin.favorites', groups: 'admin.groups', queues: 'admin.queues', numbers: 'admin.numbers', audio: 'admin.audio' }

export function serviceAdmin(ctx, main, parts) {
  const tab = tabs.includes(parts[1]) ? parts[1] : 'callerids'
  const svcName = ctx.services.find((s) => s.id === ctx.service)?.name || ctx.service
  const nav = h('nav', { class: 'tabs', 'aria-label': t('admin.phonemenu') }, tabs.map((k) =>
    h('a', { href: `#/service/${k}`, id: 'tab-' + k, 'aria-current': k === tab ? 'page' : null, class: k === tab ? 'on' : '' }, t(tabLabel[k]))))
  const pane = h('div', { class: 'pane', id: 'service-pane' })
  clear(main, h('div', { class: 'screen-head' }, h('h1', {}, `${t('admin.servicemgmt')} → ${t('admin.phonemenu')}`), helpLink('service-phone')),
    h('p', { class: 'subtitle' }, t('admin.serviceOf', { name: svcName })), nav, pane)
  drawService(ctx, pane, ctx.service, tab)
  return null
}

async function drawService(ctx, pane, id, tab) {
  let svc
  try { svc = await get(`/api/v1/services/${encodeURIComponent(id)}`) } catch (e) { return clear(pane, h('p', { class: 'error', role: 'alert' }, errorText(e))) }
  names.services[svc.id] = svc.name
  const isAdmin = ctx.me.role === 'admin'
  const saved = () => { toast(t('admin.saved')); drawService(ctx, pane, id, tab) }
  const base = `/api/v1/services/${encodeURIComponent(id)}`
  switch (tab) {
    case 'callerids': clear(pane, callerIDEditor(ctx, svc, saved)); break
    case 'favorites':
      clear(pane, recordsEditor({ name: 'favorites', items: svc.favorites || [], editable: true, svc,
        fields: [textField('name', t('admin.name')), numberField('number', t('admin.number'))],
        save: (list) => put(`${base}/favorites`, list).then(saved) }))
      break
    case 'groups':
      clear(pane, recordsEditor({ name: 'groups', items: svc.groups || [], editable: isAdmin, svc,
        fields: [textField('id', t('admin.id'), { hint: t('admin.slugHint'), required: true }), textField('name', t('admin.name'))],
        save: (list) => put(`${base}/groups`, list).then(saved) }))
      break
    case 'queues': {
      const agents = await serviceAgents(id)
      clear(pane, recordsEditor({ name: 'queues', items: svc.queues || [], editable: isAdmin, svc,
        fields: [numberField('number', t('admin.number'), { required: true }), textField('name', t('admin.name')),
          { key: 'members', label: t('admin.pickMembers'), make: (item, i) => multiPicker({ name: 'members', legend: t('admin.pickMembers'), id: `queues-${i}-members`,
            options: agents.map((a) => ({ value: a.login, label: a.name || a.login })), selected: item.members || [], empty: t('admin.noAgents') }),
          read: (el) => el.value }],
        save: (list) => put(`${base}/queues`, list.map((q) => ({ number: q.number, name: q.name, strategy: 'longest_idle', members: q.members }))).then(saved) }))
      break
    }
    case 'numbers':
      clear(pane, recordsEditor({ name: 'numbers', items: svc.numbers || [], editable: isAdmin, svc,
        fields: [numberField('number', t('admin.number'), { required: true }),
          { key: 'queue', label: t('admin.queue'), make: (item) => h('select', { name: 'queue' }, (svc.queues || []).map((q) =>
            h('option', { value: q.number, selected: q.number === item.queue }, `${q.name || ''} (${q.number})`))), read: (el) => el.value },
          { key: 'greeting', label: t('admin.greeting'), make: (item) => greetingPicker(item.greeting), read: (el) => el.value }],
        save: (list) => put(`${base}/numbers`, list).then(saved) }))
      break
    case 'audio': clear(pane, audioEditor(ctx, svc, saved)); break
  }
}

async function serviceAgents(id) {
  try {
    const r = await get('/api/v1/agents')
    for (const a of r.agents) names.agents[a.login] = a.name || a.login
    return r.agents.filter((a) => (a.services || []).includes(id))
  } catch { return [] }
}

function textField(key, label, { hint, required } = {}) {
  return { key, label, hint, required, make: (item) => h('input', { name: key, value: item[key] ?? '' }), read: (el) => el.value.trim() }
}

function numberField(key, label, { required } = {}) {
  return { key, label, required: required ?? true, number: true,
    make: (item) => h('input', { name: key, value: item[key] ? formatPhone(item[key]) : '', inputmode: 'tel', autocomplete: 'off' }),
    read: (el) => plainNumber(el.value) }
}

// greetingPicker: no greeting, the built-in one, or the uploaded one this number has; each
// can be listened to.
function greetingPicker(current) {
  const opts = [['none', t('admin.noGreeting')], ['builtin:greeting', t('admin.builtinGreeting')]]
  if (current && current.startsWith('sha256:')) opts.push([current, t('admin.uploadedGreeting')])
  const value = current || ''
  const sel = h('select', { name: 'greeting' }, h('option', { value: '', selected: value === '' }, t('common.none')),
    opts.map(([v, l]) => h('option', { value: v, selected: v === value }, l)))
  const slot = h('span', { class: 'preview-slot' })
  const draw = () => {
    const label = sel.options[sel.selectedIndex]?.textContent || ''
    clear(slot, audioPreview(sel.value && sel.value !== 'none' ? sel.value : '', label))
  }
  sel.addEventListener('change', draw)
  draw()
  const box = h('span', { class: 'greeting-picker' }, sel, slot)
  Object.defineProperty(box, 'value', { get: () => sel.value })
  box.setAttribute('data-field', 'greeting')
  return box
}

// recordsEditor edits a list of records as cards, one field per column; removing one asks
// first; save sends the whole list. Problems the server finds come back beside the field of
// the card they concern.
function recordsEditor({ name, items, fields, editable, save, svc }) {
  const cards = h('ol', { class: 'records', id: name + '-list' })
  let seq = 0
  const addCard = (item) => {
    const i = seq++
    const li = h('li', { class: 'record card', 'data-row': i })
    const els = {}
    for (const f of fields) {
      const el = f.make(item, i)
      if (!editable) el.querySelectorAll?.('input,select,textarea').forEach((x) => { x.disabled = true })
      if (!editable && 'disabled' in el) el.disabled = true
      el.dataset.col = f.key
      if (el.tagName === 'INPUT' || el.tagName === 'SELECT') el.id = `${name}-${i}-${f.key}`
      els[f.key] = el
      li.append(el.tagName === 'FIELDSET' ? h('div', { class: 'field' }, el, h('div', { class: 'field-error', 'data-error-for': f.key, 'aria-live': 'polite' }))
        : field(f.label, el, f.key, f.hint))
    }
    li._read = () => Object.fromEntries(fields.map((f) => [f.key, f.read(els[f.key])]))
    if (editable) {
      li.append(h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'link remove', onclick: async () => {
        const pos = [...cards.children].indexOf(li) + 1
        if (await confirmDialog({ title: t('admin.confirmRemove', { what: t('admin.what.row', { n: pos }) }), body: t('admin.confirmRemoveBody') })) li.remove()
      } }, t('admin.remove'))))
    }
    cards.append(li)
    return li
  }
  items.forEach(addCard)
  const form = h('form', { id: name + '-form', onsubmit: async (e) => {
    e.preventDefault()
    const rows = [...cards.children]
    const list = rows.map((li) => li._read())
    let bad = false
    rows.forEach((li, idx) => {
      const errs = []
      for (const f of fields) {
        const v = list[idx][f.key]
        if (f.required && !v) errs.push({ field: f.key, message: t('err.required', { field: f.label }) })
        else if (f.number && v && !isPhoneNumber(v)) errs.push({ field: f.key, message: t('err.digits') })
      }
      bad = showErrors(li, errs) || bad
    })
    showErrors(form.querySelector('.form-errors'), [])
    if (bad) return
    try { await save(list) } catch (ex) { placeErrors(ex, name, rows, form) }
  } }, cards, h('div', { class: 'form-errors' }, h('div', { class: 'field-error', 'data-error-for': '_form', role: 'alert' })),
  editable ? h('div', { class: 'buttons' }, h('button', { type: 'button', id: name + '-add', onclick: () => { const li = addCard({}); li.querySelector('input,select')?.focus() } }, t('admin.add')),
    h('button', { type: 'submit', class: 'primary', id: name + '-save' }, t('admin.save'))) : null)
  return form
}

// placeErrors puts each problem beside the field of the card its path points at
// (services[id=s].queues[1].number → the second card's number); the rest above the buttons.
function placeErrors(ex, collection, rows, form) {
  rows.forEach((li) => showErrors(li, []))
  const general = []
  if (!ex.details || !ex.details.length) {
    general.push(errorText(ex))
  } else {
    const byRow = new Map()
    for (const d of ex.details) {
      const parts = parsePath(d.path)
      const at = parts.findIndex((p) => p.name === collection && p.index !== undefined)
      const li = at >= 0 ? rows[parts[at].index] : null
      const fieldName = at >= 0 && parts[at + 1] ? parts[at + 1].name : ''
      if (li) {
        if (!byRow.has(li)) byRow.set(li, [])
        byRow.get(li).push({ field: fieldName, message: problemText(d, { omit: 1 }) }) // the card is the service's
      } else general.push(problemText(d, { omit: 1 }))
    }
    for (const [li, errs] of byRow) showErrors(li, errs)
  }
  const slot = form.querySelector('.form-errors')
  showErrors(slot, general.map((message) => ({ field: '', message })))
}

// callerIDEditor is 발신번호 관리: register, approve, reorder, remove (after confirming).
function callerIDEditor(ctx, svc, saved) {
  const isAdmin = ctx.me.role === 'admin'
  const base = `/api/v1/services/${encodeURIComponent(svc.id)}/caller-ids`
  const list = svc.caller_ids || []
  const err = h('div', { class: 'field-error', role: 'alert', id: 'cid-error' })
  const wrap = (p) => p.then(saved).catch((ex) => { err.textContent = errorText(ex) })
  const rows = list.map((c, i) => h('tr', { 'data-number': c.number },
    h('td', {}, phone(c.number)), h('td', {}, h('span', { class: 'badge cid-' + c.status }, t('cid.' + c.status))),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'cid-up', disabled: i === 0, 'aria-label': `${formatPhone(c.number)} ${t('admin.up')}`, onclick: () => wrap(patch(`${base}/${c.number}`, { position: i - 1 })) }, t('admin.up')),
      h('button', { type: 'button', class: 'cid-down', disabled: i === list.length - 1, 'aria-label': `${formatPhone(c.number)} ${t('admin.down')}`, onclick: () => wrap(patch(`${base}/${c.number}`, { position: i + 1 })) }, t('admin.down')),
      isAdmin && c.status !== 'registered' ? h('button', { type: 'button', class: 'cid-approve', 'aria-label': `${formatPhone(c.number)} ${t('admin.approve')}`, onclick: () => wrap(patch(`${base}/${c.number}`, { status: 'registered' })) }, t('admin.approve')) : null,
      h('button', { type: 'button', class: 'cid-remove link danger-text', 'aria-label': `${formatPhone(c.number)} ${t('admin.remove')}`, onclick: async () => {
        if (await confirmDialog({ title: t('admin.confirmRemove', { what: t('admin.what.callerid', { number: formatPhone(c.number) }) }), body: t('admin.confirmRemoveBody') })) wrap(del(`${base}/${c.number}`))
      } }, t('admin.remove')))))
  const number = h('input', { name: 'number', id: 'cid-new', inputmode: 'tel', autocomplete: 'off' })
  const form = h('form', { class: 'inline', id: 'cid-form', onsubmit: async (e) => {
    e.preventDefault()
    const n = plainNumber(number.value)
    if (!n) return showErrors(form, [{ field: 'number', message: t('err.required', { field: t('admin.number') }) }])
    if (!isPhoneNumber(n)) return showErrors(form, [{ field: 'number', message: t('err.digits') }])
    try { await post(base, { number: n }); saved() } catch (ex) { showErrors(form, apiErrors(ex)) }
  } }, field(t('admin.number'), number, 'number', t('dial.hint')), h('button', { type: 'submit', id: 'cid-add' }, t('admin.add')),
  h('div', { class: 'field-error', 'data-error-for': '_form' }))
  return [tableWrap(h('table', { class: 'list', id: 'cid-list' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('admin.number')), h('th', { scope: 'col' }, t('admin.status')), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, t('common.actions'))))),
    h('tbody', {}, rows)), t('admin.callerids')), err, form]
}

// audioEditor: what the service plays now (built in or uploaded), each with a player; an
// upload replaces it, 기본 음원으로 되돌리기 (after confirming) brings the built-in one back.
function audioEditor(ctx, svc, saved) {
  const part = (kind, label, current, builtin) => {
    // the file chooser in our words (the browser's own button speaks the browser's language)
    const chosen = h('span', { class: 'file-name', id: `audio-${kind}-file` }, t('admin.noFile'))
    const input = h('input', { type: 'file', name: kind, accept: 'audio/wav,.wav', id: 'audio-' + kind, class: 'file-input',
      onchange: () => { chosen.textContent = input.files[0]?.name || t('admin.noFile') } })
    const ref = current || builtin
    const nowName = current ? t('admin.custom') : t('admin.builtin')
    const form = h('form', { id: 'audio-form-' + kind, class: 'card', 'aria-labelledby': `audio-${kind}-title`, onsubmit: async (e) => {
      e.preventDefault()
      const file = input.files[0]
      if (!file) return showErrors(form, [{ field: kind, message: t('err.chooseFile') }])
      try {
        await call('PUT', `/api/v1/services/${encodeURIComponent(svc.id)}/audio/${kind}?name=${encodeURIComponent(file.name)}`, file, { type: 'audio/wav' })
        saved()
      } catch (ex) { showErrors(form, [{ field: kind, message: errorText(ex) }]) }
    } }, h('h2', { id: `audio-${kind}-title` }, label),
    h('p', { class: 'current', id: `audio-${kind}-current`, 'data-ref': ref }, t('admin.current', { name: nowName })),
    audioPreview(ref, `${label}: ${nowName}`),
    h('div', { class: 'field file-field' }, input, h('label', { for: 'audio-' + kind, class: 'button' }, t('admin.uploadFile')), chosen,
      h('div', { class: 'hint', id: `audio-${kind}-hint` }, t('admin.audioHint')),
      h('div', { class: 'field-error', 'data-error-for': kind, 'aria-live': 'polite' })),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, t('admin.upload')),
      current ? h('button', { type: 'button', id: `audio-${kind}-builtin`, onclick: async () => {
        if (!(await confirmDialog({ title: t('admin.confirmRemove', { what: `${label}: ${t('admin.custom')}` }), body: t('admin.useBuiltin'), ok: t('admin.useBuiltin') }))) return
        try { await del(`/api/v1/services/${encodeURIComponent(svc.id)}/audio/${kind}`); saved() } catch (ex) { showErrors(form, [{ field: kind, message: errorText(ex) }]) }
      } }, t('admin.useBuiltin')) : null))
    return form
  }
  return [part('hold', t('admin.holdaudio'), svc.hold_audio, 'builtin:hold'),
    part('hangup', t('admin.hangupaudio'), svc.hangup_announcement?.audio, 'builtin:hangup')]
}

