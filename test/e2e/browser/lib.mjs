// What the console's browser tests share: Debian's Chromium driven by playwright-core, logins,
// screenshots, the steps a suite is made of, the axe-core check and the Latin-script check.
import { chromium } from 'playwright-core'
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

export const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`${k} is not set`); return v }
export const base = env('RINGDESK_URL')
export const artifacts = env('ARTIFACTS')
mkdirSync(artifacts, { recursive: true })
// DOCS_SCREENS, when set, is where the screenshots of every screen at 390 and 1440 px go
// (docs/screens, referenced from the README's tour).
export const docsDir = process.env.DOCS_SCREENS || ''
if (docsDir) mkdirSync(docsDir, { recursive: true })

const failures = []
let current = ''

// step runs one named check. A failed step is recorded with its screenshot and the suite goes
// on with the next, so that one run shows every behaviour that does not hold.
export async function step(name, fn, pages = []) {
  current = name
  const t0 = Date.now()
  try {
    await fn()
    console.log(`✓ ${name} (${Date.now() - t0} ms)`)
  } catch (e) {
    failures.push(`${name}: ${e.message.split('\n')[0]}`)
    console.log(`✗ ${name}: ${e.message}`)
    for (const p of pages) await snap(p, 'FAILED-' + name.replace(/[^a-z0-9가-힣]+/gi, '-').slice(0, 40)).catch(() => {})
  }
}

export function expect(cond, what) {
  if (!cond) throw new Error('expected: ' + what)
  console.log('  · ' + what)
}

export function report() {
  if (failures.length) {
    console.log(`\n${failures.length} step(s) failed:\n  ${failures.join('\n  ')}`)
    return false
  }
  return true
}

let shot = 0
export async function snap(page, name) {
  shot++
  await page.screenshot({ path: `${artifacts}/${String(shot).padStart(3, '0')}-${name}.png` })
}

const flags = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--lang=ko-KR']

export async function browser(audio) {
  const args = [...flags]
  if (audio) args.push(`--use-file-for-fake-audio-capture=${audio}`)
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args })
}

export async function login(b, who, password, { width = 1280, height = 800 } = {}) {
  const context = await b.newContext({ viewport: { width, height }, locale: 'ko-KR' })
  await context.grantPermissions(['microphone', 'notifications'], { origin: base })
  const page = await context.newPage()
  page.setDefaultTimeout(10000) // a step that cannot happen fails in seconds, and the run goes on
  page.on('pageerror', (e) => { console.log(`[${who}] page error: ${e.message}`); failures.push(`[${who}] page error: ${e.message}`) })
  await page.goto(base + '/')
  await page.fill('input[name=login]', who)
  await page.fill('input[name=password]', password)
  await page.click('#login-submit')
  await page.waitForSelector('.topbar')
  return page
}

export const state = (page) => page.$eval('#cti-state', (el) => el.dataset.state)
export async function waitState(page, want, timeout = 15000) {
  await page.waitForFunction((w) => document.querySelector('#cti-state')?.dataset.state === w, want, { timeout })
}

export async function openWidget(page) {
  if (await page.$('#phone-widget[hidden]') || !(await page.$('#cti-state'))) await page.click('#phone-icon')
  await page.waitForSelector('#cti-state')
}

// go opens a console path and waits for its screen.
export async function go(page, hash, selector) {
  // the same hash again draws the screen afresh, as a click on its menu item would
  await page.evaluate((h) => { if (location.hash === h) window.ringdesk.route(); else location.hash = h }, hash)
  if (selector) await page.waitForSelector(selector)
  await page.waitForTimeout(150)
}

// ---- axe-core: serious and critical violations fail ----
const require = createRequire(import.meta.url)
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

export async function axeCheck(page, label) {
  // evaluated through the debugging protocol: the console's Content-Security-Policy forbids
  // injected script tags, and rightly so
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource)
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] })
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
  })
  const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  const minor = res.filter((v) => !bad.includes(v))
  if (minor.length) console.log(`  (axe, ${label}: minor ${minor.map((v) => v.id).join(', ')})`)
  if (bad.length) throw new Error(`axe on ${label}: ${bad.map((v) => `${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(' | ')}`).join('; ')}`)
  console.log(`  · axe: no serious or critical violations on ${label}`)
}

// ---- no English sentence on a Korean screen ----
// latinCheck walks the visible text and fails on any Latin-script word that is not a proper
// name, a code or a number: allowed are the words below, anything marked translate="no" (the
// console marks logins, ids, hosts so), and the test's own data (logins, ids).
// Protocol and format names are codes too: UDP, TCP and TLS label the trunk's transport (a
// trunk shown with UDP chosen failed the check before they were listed), CSV the export
// buttons, TV the wallboard's address.
const properNames = ['Ringdesk', 'English', 'CTI', 'SIP', 'ID', 'WAV', 'DTMF', 'HTTPS', 'IP', 'CIDR', 'MB', 'kHz', 'PCM', 'A-law', 'μ-law', 'Alt', 'sip', 'x',
  'UDP', 'TCP', 'TLS', 'CSV', 'TV']

export async function latinCheck(page, label, data = []) {
  const allowed = [...properNames, ...data]
  const found = await page.evaluate((allowed) => {
    const ok = new Set(allowed.map((w) => w.toLowerCase()))
    const out = []
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement
      if (!el || el.closest('[translate="no"],script,style,noscript,[hidden]')) continue
      const style = getComputedStyle(el)
      if (style.display === 'none' || style.visibility === 'hidden' || !el.getClientRects().length) continue
      const text = n.textContent
      for (const m of text.matchAll(/[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]/g)) {
        const w = m[0]
        if (ok.has(w.toLowerCase())) continue
        // part of a code: letters glued to digits, a colon or a dot (sha256:…, G.711, 9x)
        // (or a key name: Alt+A; a codec: μ-law)
        const before = text[m.index - 1] || '', after = text[m.index + w.length] || ''
        if (/[0-9:._/@=+]/.test(before) || /[0-9:._/@=+]/.test(after)) continue
        if (before === '-' && /[^\s]/.test(text[m.index - 2] || ' ')) continue
        out.push(`"${w}" in "${text.trim().slice(0, 80)}"`)
      }
    }
    // what shows in form controls: chosen options and buttons' values
    for (const sel of document.querySelectorAll('select')) {
      const o = sel.options[sel.selectedIndex]
      if (o && !o.closest('[translate="no"]') && sel.getClientRects().length && /[A-Za-z]{2,}/.test(o.textContent) &&
        !o.textContent.split(/[^A-Za-z]+/).filter(Boolean).every((w) => ok.has(w.toLowerCase()))) out.push(`option "${o.textContent}"`)
    }
    return out
  }, allowed)
  if (found.length) throw new Error(`Latin words on ${label}: ${[...new Set(found)].slice(0, 8).join('; ')}`)
  console.log(`  · no English on ${label}`)
}

// docShot keeps a screenshot of a screen for the README's tour, at the page's width.
export async function docShot(page, name) {
  const w = page.viewportSize().width
  await page.screenshot({ path: `${artifacts}/screen-${name}-${w}.png` })
  if (docsDir) await page.screenshot({ path: `${docsDir}/${name}-${w}.png` })
}

// rect of an element, or null
export async function rect(page, selector) {
  return page.$eval(selector, (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height } }).catch(() => null)
}

export function overlaps(a, b) {
  return a && b && a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}
