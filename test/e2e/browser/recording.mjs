// A call's recording played from the ticket screen in Chromium: the player is on the call's
// row, it plays (the browser fetches the WAV with the session cookie, in ranges), it seeks, and
// the screen passes the accessibility and no-English checks. Run by test/e2e
// (TestRecordingPlaysInChromium), which makes the recorded call and passes TICKET and SECONDS.
import { browser, env, step, expect, snap, login, go, axeCheck, latinCheck, report } from './lib.mjs'

const b = await browser()
try {
  const page = await login(b, 'kim', env('AGENT_PASSWORD'))
  const seconds = Number(env('SECONDS'))
  await step('the ticket screen plays the call recording inline and seeks', async () => {
    await go(page, `#/tickets/${env('TICKET')}`, '#ticket-calls [data-recording] audio')
    const audio = page.locator('#ticket-calls [data-recording] audio')
    expect(await audio.getAttribute('aria-label') !== null, 'the player is labelled')
    await audio.evaluate((a) => a.play())
    await page.waitForFunction(() => document.querySelector('[data-recording] audio').currentTime > 1, null, { timeout: 10000 })
    const d = await audio.evaluate((a) => a.duration)
    expect(Math.abs(d - seconds) < 1.5, `the player knows the recording's length (${d.toFixed(1)} s of ${seconds} s)`)
    await audio.evaluate((a) => { a.currentTime = a.duration - 1.5 })
    await page.waitForFunction(() => { const a = document.querySelector('[data-recording] audio'); return a.ended || a.currentTime > a.duration - 1 }, null, { timeout: 10000 })
    expect(await audio.evaluate((a) => a.error === null), 'it played to the end after a seek, without an error')
    await audio.scrollIntoViewIfNeeded()
    await snap(page, 'ticket-recording')
  }, [page])
  await step('the ticket screen with a recording passes axe-core and shows no English', async () => {
    await axeCheck(page, 'ticket with a recording')
    await latinCheck(page, 'ticket with a recording')
  }, [page])
} finally {
  await b.close()
}
if (!report()) process.exitCode = 1
console.log('@@ done')
process.exit(process.exitCode || 0)
