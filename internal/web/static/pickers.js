// Choosing from what exists rather than typing it: a checkbox list (members of a queue, an
// agent's services, groups, phone permissions) with a filter once it grows long.
import { h, clear } from './dom.js'
import { t } from './i18n.js'

// multiPicker is a fieldset of checkboxes. options: [{value, label, hint, disabled}]; the
// returned element has .value (the checked values, in the options' order) and .setOptions.
// onchange is called after every change.
export function multiPicker({ name, legend, options, selected = [], id, onchange, empty }) {
  const chosen = new Set(selected)
  const list = h('div', { class: 'picker-options', role: 'group' })
  const count = h('span', { class: 'picker-count', 'aria-live': 'polite' })
  const filter = h('input', { type: 'search', class: 'picker-filter', 'aria-label': t('common.filter'), placeholder: t('common.filter'),
    oninput: () => draw() })
  let opts = options
  const box = h('fieldset', { class: 'picker', id, name, 'data-picker': name },
    h('legend', {}, legend, ' ', count), filter, list)
  function draw() {
    const q = filter.value.trim().toLowerCase()
    filter.hidden = opts.length < 8
    const shown = opts.filter((o) => !q || `${o.label} ${o.value}`.toLowerCase().includes(q))
    clear(list, shown.length ? shown.map((o) => {
      const cb = h('input', { type: 'checkbox', name, value: o.value, checked: chosen.has(o.value), disabled: o.disabled,
        onchange: () => { cb.checked ? chosen.add(o.value) : chosen.delete(o.value); counted(); onchange && onchange(box.value) } })
      return h('label', { class: 'picker-option' + (o.disabled ? ' disabled' : ''), 'data-value': o.value }, cb,
        h('span', { class: 'picker-label' }, o.label), o.hint ? h('span', { class: 'hint' }, o.hint) : null)
    }) : h('p', { class: 'hint' }, empty || t('common.none')))
    counted()
  }
  function counted() { count.textContent = opts.length ? t('common.selected', { n: box.value.length }) : '' }
  Object.defineProperty(box, 'value', { get: () => opts.filter((o) => chosen.has(o.value) && !o.disabled).map((o) => o.value) })
  box.setOptions = (next) => { opts = next; draw() }
  box.select = (values) => { chosen.clear(); values.forEach((v) => chosen.add(v)); draw() }
  draw()
  return box
}
