// A few helpers to build the page without a framework: elements, toasts that stack and fade,
// a confirmation dialog, fields with their error place, and errors put beside their fields.
import { t, errorText, problemText, fieldOf } from './i18n.js'
import { shortTime, fullTime, formatPhone } from './format.js'

// h creates an element: h('button', {class: 'x', onclick: f}, 'text', child…)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  // our own messages, beside the field, rather than the browser's bubbles
  if (tag === 'form') el.noValidate = true
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v)
    else if (k === 'class') el.className = v
    else if (k === 'dataset') Object.assign(el.dataset, v)
    else if (k === 'value') el.value = v
    else if (k === 'checked') el.checked = !!v
    else if (v === true) el.setAttribute(k, '')
    else el.setAttribute(k, v)
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return el
}

export function clear(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false))
  return el
}

// code marks a value that is not words — a login, an id, a host — so that it is never
// translated (by a browser either) and reads as what it is.
export function code(text) {
  return h('span', { class: 'code', translate: 'no' }, text)
}

// phone shows a phone number the Korean way, keeping the digits for machines.
export function phone(number) {
  if (!number) return ''
  return h('span', { class: 'phone', translate: 'no', 'data-number': number }, formatPhone(number))
}

// when shows a time short and relative, the full time on hover and for screen readers; the
// page keeps it current (refreshTimes).
export function when(s) {
  if (!s) return ''
  return h('time', { datetime: s, title: fullTime(s), 'data-rel': '1' }, shortTime(s))
}

export function refreshTimes(root = document) {
  for (const el of root.querySelectorAll('time[data-rel]')) el.textContent = shortTime(el.getAttribute('datetime'))
}
setInterval(() => refreshTimes(), 30000)

// ---- toasts: a stack at the bottom left, newest last, each fading after a while; the same
// message again counts up instead of piling up. Errors stay longer and can be dismissed.
const maxToasts = 4

export function toast(message, kind = 'info', { timeout } = {}) {
  const box = document.getElementById('toasts')
  if (!box || !message) return
  const same = [...box.children].find((el) => el.dataset.message === message && !el.classList.contains('leaving'))
  if (same) {
    const n = Number(same.dataset.count || 1) + 1
    same.dataset.count = n
    same.querySelector('.count').textContent = t('common.repeat', { n })
    arm(same, kind, timeout)
    return same
  }
  const el = h('div', { class: 'toast ' + kind, role: kind === 'error' ? 'alert' : 'status', dataset: { message } },
    h('span', { class: 'text' }, message), h('span', { class: 'count' }),
    h('button', { type: 'button', class: 'toast-close', 'aria-label': t('common.dismiss'), onclick: () => leave(el) }, '×'))
  box.append(el)
  while (box.children.length > maxToasts) box.firstElementChild.remove()
  requestAnimationFrame(() => el.classList.add('shown'))
  arm(el, kind, timeout)
  return el
}

function arm(el, kind, timeout) {
  clearTimeout(el._timer)
  el._timer = setTimeout(() => leave(el), timeout || (kind === 'error' ? 9000 : kind === 'warn' ? 7000 : 4000))
}

function leave(el) {
  clearTimeout(el._timer)
  el.classList.add('leaving')
  el.classList.remove('shown')
  setTimeout(() => el.remove(), 400)
}

// ---- a modal confirmation: resolves true on 확인, false on 취소 or Escape.
export function confirmDialog({ title, body = '', ok = t('common.remove'), danger = true }) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'confirm', id: 'confirm-dialog', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-body' },
      h('h2', { id: 'confirm-title' }, title), h('p', { id: 'confirm-body' }, body),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', class: danger ? 'danger' : 'primary', id: 'confirm-ok', onclick: () => done(true) }, ok),
        h('button', { type: 'button', id: 'confirm-cancel', onclick: () => done(false) }, t('common.cancel'))))
    const back = document.activeElement
    function done(v) {
      dlg.close()
      dlg.remove()
      if (back && back.focus) back.focus()
      resolve(v)
    }
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false) })
    document.body.append(dlg)
    dlg.showModal()
    dlg.querySelector('#confirm-cancel').focus()
  })
}

// field wraps an input with its label and a place for its error message.
let fieldSeq = 0
export function field(label, input, name, hint) {
  // the label names the control itself, also when it comes wrapped (a select with its player)
  const control = ['INPUT', 'SELECT', 'TEXTAREA', 'METER', 'FIELDSET'].includes(input.tagName) ? input
    : input.querySelector('input,select,textarea') || input
  const id = control.id || `f${++fieldSeq}`
  control.id = id
  const errId = id + '-error'
  const err = h('div', { class: 'field-error', id: errId, 'data-error-for': name || input.name || '', 'aria-live': 'polite' })
  const described = [errId]
  let hintEl = null
  if (hint) {
    hintEl = h('div', { class: 'hint', id: id + '-hint' }, hint)
    described.push(id + '-hint')
  }
  control.setAttribute('aria-describedby', described.join(' '))
  if (input.tagName === 'FIELDSET') {
    return h('div', { class: 'field' }, input, hintEl, err)
  }
  return h('div', { class: 'field' + (input.type === 'checkbox' ? ' check' : '') },
    h('label', { class: 'field-label', for: id }, label), input, hintEl, err)
}

// showErrors puts messages beside the fields they belong to; unmatched ones go to the form's
// general error place. It returns whether any was shown.
export function showErrors(form, errors) {
  for (const el of form.querySelectorAll('.field-error')) el.textContent = ''
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'))
  let any = false
  let first = null
  for (const { field: name, message } of errors) {
    any = true
    let slot = name ? form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) : null
    if (!slot) slot = form.querySelector('[data-error-for="_form"]')
    if (slot) {
      slot.textContent = slot.textContent ? slot.textContent + ' ' + message : message
      const input = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null
      if (input) {
        input.setAttribute('aria-invalid', 'true')
        first = first || input
      }
    }
  }
  if (first && first.focus) first.focus()
  return any
}

// apiErrors turns an APIError into field messages in plain words: each problem of a refused
// configuration (details: a path and a kind) beside the field its path ends in, and an error
// naming a field beside that field. entity, when given, is the path of what the form edits
// (agents[login=kim]): problems elsewhere in the site go to the form's general place.
export function apiErrors(err, entity) {
  if (err.details && err.details.length) {
    return err.details.map((d) => {
      const own = !entity || d.path === entity || d.path.startsWith(entity + '.') || d.path.startsWith(entity + '[')
      return { field: own ? fieldOf(d.path) : '', message: problemText(d) }
    })
  }
  return [{ field: err.field || '', message: errorText(err) }]
}

// helpLink is the small "도움말" link a screen shows beside its title.
export function helpLink(page) {
  return h('a', { class: 'help-link', href: '#/help/' + page, 'aria-label': t('common.helpFor', { page: t(`help.${page}.title`) }) }, t('common.help'))
}

// tableWrap lets a wide table scroll sideways on a narrow screen instead of squeezing.
export function tableWrap(table, label) {
  return h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': label }, table)
}
