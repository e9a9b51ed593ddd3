// Numbers, times and durations as people read them: phone numbers the Korean way
// (010-5555-6666, 02-1599-0000, 1588-0000), short relative times, durations in words.
import { t, getLang } from './i18n.js'

// plainNumber is a number as it is dialled and stored: the digits of 010-5555-6666, after a
// leading + for E.164. Anything that is not a phone number as people write it (letters,
// agent:kim) comes back as it was. The server does the same (internal/api/numbers.go).
export function plainNumber(s) {
  const v = String(s ?? '').trim()
  if (!v) return ''
  if (!/^\+?[0-9\s().-]+$/.test(v)) return v
  const digits = v.replace(/[^0-9]/g, '')
  if (!digits) return v
  return (v.startsWith('+') ? '+' : '') + digits
}

export function isPhoneNumber(s) {
  return /^\+?\d{2,20}$/.test(plainNumber(s))
}

// formatPhone writes a number the Korean way: Seoul 02-XXX(X)-XXXX, mobiles and area codes
// 0XX-XXX(X)-XXXX, 050X-XXXX-XXXX, service numbers 1588-0000; +82 numbers as +82 10-…;
// extensions, queue numbers and anything else as they are.
export function formatPhone(s) {
  const n = plainNumber(s)
  if (!/^\+?\d+$/.test(n)) return String(s ?? '')
  if (n.startsWith('+82') && n.length > 4) return '+82 ' + formatPhone('0' + n.slice(3)).replace(/^0/, '')
  if (n.startsWith('+')) return n
  const d = n
  const split = (a, b) => `${d.slice(0, a)}-${d.slice(a, a + b)}-${d.slice(a + b)}`
  if (d.startsWith('02')) {
    if (d.length === 9) return split(2, 3)
    if (d.length === 10) return split(2, 4)
    return d
  }
  if (/^050\d/.test(d) && d.length === 12) return split(4, 4)
  if (/^0\d\d/.test(d)) {
    if (d.length === 10) return split(3, 3)
    if (d.length === 11) return split(3, 4)
    return d
  }
  if (/^1[5-9]\d\d/.test(d) && d.length === 8) return `${d.slice(0, 4)}-${d.slice(4)}`
  return d
}

const locale = () => (getLang() === 'ko' ? 'ko-KR' : 'en-GB')

// fullTime is a date and time written out, for a title or a screen reader.
export function fullTime(s) {
  const d = s instanceof Date ? s : new Date(s)
  if (!s || isNaN(d)) return ''
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'medium' }).format(d)
}

// shortTime is a time as it reads best at a glance: "방금", "3분 전" within the hour, "오늘
// 14:03" or "어제 14:03", then the date.
export function shortTime(s, now = new Date()) {
  const d = s instanceof Date ? s : new Date(s)
  if (!s || isNaN(d)) return ''
  const sec = (now - d) / 1000
  const hm = new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d)
  if (sec >= -60 && sec < 45) return t('time.now')
  if (sec > 0 && sec < 3600) return new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' }).format(-Math.round(sec / 60), 'minute')
  const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime()
  const days = Math.round((day(now) - day(d)) / 86400000)
  if (days === 0) return t('time.today', { time: hm })
  if (days === 1) return t('time.yesterday', { time: hm })
  return new Intl.DateTimeFormat(locale(), { year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric', month: 'short', day: 'numeric' }).format(d) + ' ' + hm
}

// clock is a running timer: 01:23, or 1:02:03 past the hour.
export function clock(sec) {
  sec = Math.max(0, Math.floor(sec))
  const m = Math.floor(sec / 60), s = sec % 60
  const hh = Math.floor(m / 60)
  const pad = (n) => String(n).padStart(2, '0')
  return hh ? `${hh}:${pad(m % 60)}:${pad(s)}` : `${pad(m)}:${pad(s)}`
}

// duration is a length of time in words: 2분 5초.
export function duration(sec) {
  sec = Math.max(0, Math.round(Number(sec) || 0))
  const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60
  if (h) return t('dur.hms', { h, m, s })
  if (m) return t('dur.ms', { m, s })
  return t('dur.s', { s })
}
