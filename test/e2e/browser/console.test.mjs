// The console in a real browser: Debian's Chromium, headless, driven by playwright-core.
// Run by test/e2e (TestConsoleInChromium), which starts Ringdesk and a SIP caller and reads
// this script's "@@" lines: "@@ call" asks it to place the customer's call (it answers "ok" on
// stdin), "@@ mark NAME" notes a moment for measuring the customer's recording.
//
// The suites, one file per part of the console, run in this order against one server:
//   admin.mjs  전체 관리 and 서비스 관리: menus as the guide names them, pickers, confirmations,
//              previews, field errors in plain Korean, toasts, the narrow top bar
//   phone.mjs  the phone widget on real calls: re-arming, alerts, keyboard, transfer, tickets
//   tour.mjs   every screen at 390 and 1440 px: axe-core, no English, screenshots
// Every step leaves its failures (with a screenshot) in ARTIFACTS and the run goes on, so one
// run lists everything that does not hold; any failure exits non-zero.
import { createInterface } from 'node:readline'
import { browser, env, report } from './lib.mjs'
import { adminSuite } from './admin.mjs'
import { phoneSuite } from './phone.mjs'
import { tourSuite } from './tour.mjs'

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
async function ask(what) {
  console.log(`@@ ${what}`)
  const { value } = await lines.next()
  if (value !== 'ok') throw new Error(`${what}: the test answered ${value}`)
}
const mark = (name) => console.log(`@@ mark ${name}`)

const only = (process.env.SUITES || 'admin,phone,tour').split(',')
const b = { admin: await browser(), kim: await browser(env('KIM_AUDIO')), lee: await browser(env('LEE_AUDIO')), other: await browser() }
try {
  if (only.includes('admin')) await adminSuite(b)
  if (only.includes('phone')) await phoneSuite(b, { ask, mark })
  if (only.includes('tour')) await tourSuite(b)
} catch (e) {
  console.log('suite aborted: ' + e.stack)
  process.exitCode = 1
} finally {
  for (const x of Object.values(b)) await x.close()
}
if (!report()) process.exitCode = 1
console.log('@@ done')
process.exit(process.exitCode || 0)
