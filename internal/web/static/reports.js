// 통계: a service's figures over a period (GET /api/v1/stats/queues and /agents), one chart
// per figure (uPlot, see README.md), a table of the same rows, and the CSV export the API
// gives (format=csv: UTF-8 with a BOM, so that Excel reads the Korean headers).
import uPlot from './vendor/uPlot.esm.js'
import { get } from './api.js'
import { h, clear, helpLink, tableWrap, code, field, toast } from './dom.js'
import { t, getLang, errorText } from './i18n.js'

// figures charted per kind of report, in the order they are shown; each is a row's field.
const figures = {
  queues: ['offered', 'answered', 'abandoned', 'service_level', 'abandon_rate', 'asa_seconds', 'aht_seconds', 'longest_wait_seconds', 'transfers', 'no_response'],
  agents: ['answered', 'handled', 'talk_seconds', 'after_call_seconds', 'occupancy', 'staffed_seconds', 'rejected', 'ring_timeouts'],
}
const intervals = ['15m', 'hour', 'day']
const palette = ['#1a5fd0', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#be185d']

// localDate is a date input's value for d in the browser's zone: 2026-11-24.
export function localDate(d = new Date()) {
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

export function reportsView(ctx, main) {
  const today = localDate()
  const from = h('input', { type: 'date', name: 'from', id: 'report-from', value: today })
  const to = h('input', { type: 'date', name: 'to', id: 'report-to', value: today })
  const interval = h('select', { name: 'interval', id: 'report-interval' }, intervals.map((v) => h('option', { value: v, selected: v === 'hour' }, t('reports.interval.' + v))))
  const kind = h('select', { name: 'kind', id: 'report-kind' }, ['queues', 'agents'].map((v) => h('option', { value: v }, t('reports.kind.' + v))))
  const csv = h('a', { class: 'button', id: 'report-csv', download: '' }, t('reports.csv'))
  const charts = h('div', { class: 'charts', id: 'report-charts' })
  const table = h('div', { id: 'report-table' })
  const status = h('p', { class: 'hint', id: 'report-status', role: 'status' })
  const query = () => {
    const q = new URLSearchParams({ service: ctx.service, interval: interval.value })
    if (from.value) q.set('from', from.value)
    if (to.value) q.set('to', to.value)
    return `/api/v1/stats/${kind.value}?${q}`
  }
  const form = h('form', { class: 'filters', id: 'report-form', 'aria-label': t('reports.title'), onsubmit: (e) => { e.preventDefault(); load() } },
    field(t('reports.from'), from, 'from'), field(t('reports.to'), to, 'to'), field(t('reports.interval'), interval, 'interval'),
    field(t('reports.kind'), kind, 'kind'),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'report-show' }, t('reports.show')), csv))
  clear(main, h('div', { class: 'screen-head' }, h('h1', {}, t('reports.title')), helpLink('reports')), form, status, charts, table)

  let plots = []
  const drop = () => { for (const p of plots) p.destroy(); plots = [] }
  async function load() {
    csv.href = query() + '&format=csv'
    status.textContent = t('common.loading')
    try {
      const r = await get(query())
      status.textContent = ''
      draw(r, kind.value)
    } catch (e) {
      status.textContent = ''
      drop()
      clear(charts)
      clear(table)
      toast(errorText(e), 'error')
    }
  }
  function draw(r, k) {
    drop()
    const rows = r.rows || []
    if (!rows.length) {
      clear(charts)
      clear(table, h('p', { class: 'hint', id: 'report-none' }, t('reports.none')))
      return
    }
    // one series per queue (or agent), over the intervals' starts
    const who = (row) => (k === 'queues' ? row.queue : row.agent)
    const names = {}
    for (const row of rows) names[who(row)] = row.name || who(row)
    const keys = Object.keys(names).sort()
    // the intervals are the x axis's places (0, 1, 2…), labelled by their start: evenly spaced
    // whatever their length, and a single interval sits in the middle
    const starts = [...new Set(rows.map((row) => Date.parse(row.from) / 1000))].sort((a, b) => a - b)
    const xs = starts.map((_, i) => i)
    const at = Object.fromEntries(starts.map((x, i) => [x, i]))
    // times as the site tells them (its zone: the report's days are the site's days)
    const zone = { timeZone: r.timezone || undefined }
    let fmt
    try {
      fmt = new Intl.DateTimeFormat(getLang() === 'ko' ? 'ko-KR' : 'en-GB', interval.value === 'day'
        ? { month: 'numeric', day: 'numeric', ...zone } : { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...zone })
    } catch { // a zone this browser does not know: its own
      fmt = new Intl.DateTimeFormat(getLang() === 'ko' ? 'ko-KR' : 'en-GB', { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    }
    const stamp = (x) => (x === null || x === undefined ? '' : fmt.format(new Date(x * 1000)))
    const label = (i) => (Number.isInteger(i) && i >= 0 && i < starts.length ? stamp(starts[i]) : '')
    const every = Math.max(1, Math.ceil(starts.length / 6))
    const ticks = xs.filter((i) => i % every === 0)
    clear(charts, figures[k].map((fig) => {
      const data = [xs, ...keys.map(() => xs.map(() => null))]
      for (const row of rows) {
        const v = row[fig]
        data[keys.indexOf(who(row)) + 1][at[Date.parse(row.from) / 1000]] = v === undefined ? null : v
      }
      const box = h('div', { class: 'chart-plot' })
      const fig_ = h('figure', { class: 'chart', 'data-figure': fig, 'aria-label': t('reports.chart', { figure: t('fig.' + fig) }) },
        h('figcaption', {}, t('fig.' + fig)), box)
      // drawn once the figure is in the page, at the width it has there
      requestAnimationFrame(() => {
        if (!box.isConnected) return
        const width = Math.max(260, box.clientWidth)
        plots.push(new uPlot({
          width, height: 200,
          series: [{ label: t('reports.time'), value: (u, v) => label(v) },
            ...keys.map((key, i) => ({ label: names[key], stroke: palette[i % palette.length], width: 2, points: { show: true }, spanGaps: false,
              value: (u, v) => (v === null || v === undefined ? '–' : String(Math.round(v * 10) / 10)) }))],
          axes: [{ splits: () => ticks, values: (u, splits) => splits.map(label) }, { size: 56 }],
          scales: { x: { time: false, range: () => [-0.5, xs.length - 0.5] } },
          legend: { live: false },
          cursor: { show: false },
        }, data, box))
      })
      return fig_
    }))
    // the same rows as a table: what a screen reader reads, and exact numbers
    const cols = figures[k]
    clear(table, tableWrap(h('table', { class: 'list', id: 'report-rows' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('reports.start')), h('th', { scope: 'col' }, t('reports.who')),
        cols.map((c) => h('th', { scope: 'col' }, t('fig.' + c))))),
      h('tbody', {}, rows.map((row) => h('tr', {}, h('td', {}, stamp(Date.parse(row.from) / 1000)),
        h('td', {}, row.name || '', ' ', code(who(row))),
        cols.map((c) => h('td', {}, row[c] === null || row[c] === undefined ? '–' : String(Math.round(row[c] * 10) / 10))))))), t('reports.table')))
  }
  load()
  return { destroy: drop }
}
