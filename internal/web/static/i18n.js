// Wording: the catalogue (catalogue.js) in the console's language, with {name} placeholders
// filled, and the rules that turn what the server says — error codes with params, notice
// kinds, provisioning problems with their paths — into plain words.
import { catalogue } from './catalogue.js'

// Codes the engine uses for several situations without params to tell them apart: in Korean
// the server's own message (plain Korean already) is shown; English has a general sentence.
export const serverWorded = ['invalid_state', 'invalid_caller_id', 'invalid_target', 'busy', 'invalid_reason']

let lang = localStorage.getItem('ringdesk.lang') || 'ko'

export function getLang() { return lang }

export function setLang(l) {
  lang = catalogue[l] ? l : 'ko'
  localStorage.setItem('ringdesk.lang', lang)
  document.documentElement.lang = lang
}

export function has(key) { return key in catalogue[lang] || key in catalogue.ko }

// t returns the label for key in the console's language, with {name} and {name:을를}
// placeholders filled; fallback (e.g. the server's Korean message) is used when the
// catalogue has no entry.
export function t(key, vars = {}, fallback) {
  const s = catalogue[lang][key] ?? catalogue.ko[key] ?? fallback ?? key
  return fill(s, vars)
}

export function fill(s, vars) {
  return s.replace(/\{([a-z_]+)(?::(은는|이가|을를|과와|으로))?\}/g, (m, name, particle) => {
    if (!(name in vars)) return m
    const v = String(vars[name])
    return particle ? v + josa(v, particle) : v
  })
}

// josa picks the Korean particle that follows a word: 은/는, 이/가, 을/를, 과/와, 으로/로, from
// whether the word's last sound closes on a consonant. Digits are read the Korean way; a word
// whose sound cannot be told (Latin letters) gets both forms, as 은(는).
export function josa(word, particle) {
  const last = word.trim().slice(-1)
  let final = null // null: unknown; 0: open; otherwise the closing consonant's index
  const code = last.charCodeAt(0)
  if (code >= 0xac00 && code <= 0xd7a3) final = (code - 0xac00) % 28
  else if (/[0-9]/.test(last)) final = [21, 8, 0, 16, 0, 0, 1, 8, 8, 0][Number(last)] // 영 일 이 삼 사 오 육 칠 팔 구
  const [closed, open] = { 은는: ['은', '는'], 이가: ['이', '가'], 을를: ['을', '를'], 과와: ['과', '와'], 으로: ['으로', '로'] }[particle]
  if (final === null) return `${closed}(${open})`
  if (particle === '으로') return final === 0 || final === 8 ? open : closed // ㄹ takes 로
  return final === 0 ? open : closed
}

// stateLabel is the widget's state text: 업무 carries its reason, as in 업무(회의).
export function stateLabel(state, reason) {
  const base = t('state.' + state)
  return state === 'work' && reason ? `${base}(${t('reason.' + reason)})` : base
}

// enumLabel words a value of a call record's enumeration (cause, by, outcome, dir); a value
// the catalogue does not know is shown as it is, marked as a code.
export function enumLabel(kind, value) {
  if (!value) return ''
  const key = `${kind}.${value}`
  if (has(key)) return t(key)
  if (kind === 'cause' && value.startsWith('phone_') && has('cause.' + value.slice(6))) return t('cause.' + value.slice(6))
  return value
}

// Values that are themselves labels the catalogue knows in Korean (the engine names states
// by their Korean label in some params) are reworded in the console's language.
const stateByKoLabel = Object.fromEntries(Object.keys(catalogue.ko).filter((k) => k.startsWith('state.'))
  .map((k) => [catalogue.ko[k], k]))

function localParams(params) {
  const out = {}
  for (const [k, v] of Object.entries(params || {})) {
    out[k] = stateByKoLabel[v] ? t(stateByKoLabel[v]) : v
    if (k === 'cause' || k === 'reason') out[k] = enumLabel('cause', v)
    if (k === 'to' && has('state.' + v)) out[k] = t('state.' + v) // a state code: agent.forced
  }
  return out
}

// variants name the cases of a code that its params tell apart beyond their names.
const variants = {
  invalid_number: (p) => {
    if (!('rule' in p)) return ''
    const n = p.number || ''
    if (n.startsWith('+') || n.startsWith('00')) return 'international'
    if (n.startsWith('060')) return 'premium'
    return 'plan'
  },
  cti_not_configured: (p) => p.missing || '',
  in_use: (p) => (p.self ? 'self' : ''),
  forbidden: (p) => p.action || '',
  too_large: (p) => (p.max_mb ? 'max_mb' : ''),
}

// errorText words an API error ({code, message, params, field}) in the console's language:
// error.<code>.<variant>, then error.<code>.<param names>, then error.<code>.<field>, then
// error.<code>; in Korean, a code the engine words case by case keeps the server's message.
export function errorText(err) {
  if (!err) return t('err.generic')
  if (err.code === 'network') return t('err.network')
  const code = err.code || 'error'
  const params = err.params || {}
  const paramNames = Object.keys(params).sort().join('.')
  const keys = []
  const v = variants[code]?.(params)
  if (v) keys.push(`error.${code}.${v}`)
  if (paramNames) keys.push(`error.${code}.${paramNames}`)
  if (err.field) keys.push(`error.${code}.${err.field}`)
  const serverKo = lang === 'ko' && /[가-힣]/.test(err.message || '')
  if (!(serverKo && serverWorded.includes(code) && !keys.some((k) => k in catalogue.ko))) keys.push(`error.${code}`)
  for (const k of keys) {
    if (k in catalogue[lang]) return t(k, localParams(params))
  }
  if (serverKo) return err.message
  return t('err.generic')
}

// noticeText words an agent notice (events agent.notice: {kind, message, …params}).
export function noticeText(data) {
  const { kind, message, ...params } = data || {}
  const key = 'notice.' + kind
  if (has(key)) return t(key, localParams(params))
  return lang === 'ko' && message ? message : t('err.generic')
}

// ---- provisioning problems: a path and a kind, worded in plain words ----

// parsePath splits services[id=support].queues[0].members[2] into parts: {name, key?, index?}.
export function parsePath(path) {
  const parts = []
  const re = /([a-z_]+)(?:\[(?:(?:id|login)=([^\]]*)|(\d+))\])?\.?/g
  let m
  while ((m = re.exec(path || '')) && m[0]) {
    parts.push({ name: m[1], key: m[2], index: m[3] === undefined ? undefined : Number(m[3]) })
  }
  return parts
}

// names are what the console knows of the entities paths name by key (services[id=support],
// agents[login=kim]): their names, for "상담원 김상담" rather than "상담원 kim".
export const names = { services: {}, agents: {}, trunks: {} }

// whatOf is the thing a path names, as a reader says it: agents[5].extension is
// "상담원 6의 내선번호", services[id=support].queues[0].members[2] "서비스 support의 큐 1의 상담원 3".
// A subject the form already shows (the entity being edited) can be left out.
export function whatOf(path, { omit = 0 } = {}) {
  const parts = parsePath(path)
  const subjects = []
  let field = ''
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]
    let name = p.name
    if (name === 'dial_plan' && parts[i + 1]) { i++; name = 'dial_plan.' + parts[i].name; Object.assign(p, parts[i]) }
    if (name === 'hangup_announcement' && parts[i + 1]) { i++; name = 'hangup_announcement.' + parts[i].name; Object.assign(p, parts[i]) }
    const key = p.key !== undefined ? (names[name]?.[p.key] || p.key) : p.index !== undefined ? String(p.index + 1) : undefined
    if (key !== undefined && has('path.' + name)) subjects.push(t('path.' + name, { key }))
    else if (i === parts.length - 1) field = has('field.' + name) ? t('field.' + name) : name
    else subjects.push(has('field.' + name) ? t('field.' + name) : name)
  }
  const subject = subjects.slice(omit)
  if (lang === 'en') return [field, ...subject.reverse()].filter(Boolean).join(' of ')
  return [...subject, field].filter(Boolean).join('의 ')
}

// problemText words one problem of a refused configuration ({path, code, params, reason}).
export function problemText(d, opts) {
  const what = whatOf(d.path, opts)
  const params = { ...(d.params || {}), what }
  if (params.service) params.service = names.services[params.service] || params.service
  if (params.agent) params.agent = names.agents[params.agent] || params.agent
  const keys = []
  if (d.code === 'number_taken' && params.kind) keys.push(`problem.number_taken.${params.kind}`)
  if (d.code) keys.push('problem.' + d.code)
  keys.push('problem.unknown')
  for (const k of keys) if (has(k)) return t(k, params)
  return what
}

// fieldOf is the form field a path ends in: agents[login=kim].extension → extension;
// services[id=s].queues[0].members[2] → members; services[id=s].dial_plan.allow[1] → allow.
export function fieldOf(path) {
  const parts = parsePath(path)
  return parts.length ? parts[parts.length - 1].name : ''
}

setLang(lang)
