// A few helpers to build the page without a framework.

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

export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts')
  const el = h('div', { class: 'toast ' + kind, role: 'status' }, message)
  box.append(el)
  setTimeout(() => el.remove(), 6000)
}

export function fmtTime(s) {
  if (!s) return ''
  const d = new Date(s)
  if (isNaN(d)) return ''
  return d.toLocaleString()
}

export function fmtDuration(sec) {
  sec = Math.max(0, Math.floor(sec))
  const m = Math.floor(sec / 60), s = sec % 60
  const hh = Math.floor(m / 60)
  const pad = (n) => String(n).padStart(2, '0')
  return hh ? `${hh}:${pad(m % 60)}:${pad(s)}` : `${pad(m)}:${pad(s)}`
}

// field wraps an input with its label and a place for its error message.
export function field(label, input, name) {
  const err = h('div', { class: 'field-error', 'data-error-for': name || input.name || '' })
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input, err)
}

// showErrors puts messages beside the fields they belong to; unmatched ones go to the form's
// general error place. It returns whether any was shown.
export function showErrors(form, errors) {
  for (const el of form.querySelectorAll('.field-error')) el.textContent = ''
  form.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'))
  let any = false
  for (const { field: name, message } of errors) {
    any = true
    let slot = name ? form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) : null
    if (!slot) slot = form.querySelector('[data-error-for="_form"]')
    if (slot) {
      slot.textContent = slot.textContent ? slot.textContent + ' ' + message : message
      const input = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null
      if (input) input.classList.add('invalid')
    }
  }
  return any
}

// apiErrors turns an APIError into field messages: a 422's details carry paths such as
// services[0].caller_ids[1].number whose last part names the field.
export function apiErrors(err) {
  if (err.details && err.details.length) {
    return err.details.map((d) => {
      const m = /([a-z_]+)(\[\d+\])?$/.exec(d.path || '')
      return { field: m ? m[1] : '', message: `${d.path}: ${d.reason}` }
    })
  }
  return [{ field: err.field || '', message: err.message }]
}
