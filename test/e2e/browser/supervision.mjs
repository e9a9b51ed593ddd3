// The supervision screens in Chromium, on real calls (run by TestSupervisionInChromium, which
// places and ends the customer's calls and tells whether the customer's phone got a digit):
//   the wallboard on a TV with a read-only token, live within a second of a call arriving;
//   부재중 listing the caller who gave up; the widget's keypad sending DTMF to the customer;
//   the live view putting an agent on 휴식 and logging it out, the agent's widget naming the
//   manager; 통계 with its charts and CSV export; 통화 이력 finding the calls by number.
// Each new screen passes axe-core and the no-English walk, at 1440 and 390 px, with screenshots.
import { createInterface } from 'node:readline'
import { readFileSync } from 'node:fs'
import { browser, env, base, step, expect, snap, login, go, axeCheck, latinCheck, docShot, openWidget, waitState, report } from './lib.mjs'

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
async function ask(what) {
  console.log(`@@ ${what}`)
  const { value } = await lines.next()
  if (!value || !value.startsWith('ok')) throw new Error(`${what}: ${value}`)
  return value.slice(2).trim()
}

const data = ['kim', 'lee', 'boss', 'support', 'carrier']
const size = { 1440: { width: 1440, height: 900 }, 390: { width: 390, height: 844 } }

// check runs the accessibility and no-English checks and keeps the screenshot.
async function check(page, name) {
  await axeCheck(page, name)
  await latinCheck(page, name, data)
  await docShot(page, name)
}

// csvRows parses the API's CSV (RFC 4180: quoted fields may hold commas, quotes and newlines).
function csvRows(text) {
  const rows = []
  let row = [], cell = '', quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++ } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') { row.push(cell); cell = '' } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(cell); rows.push(row); row = []; cell = ''
    } else cell += c
  }
  if (cell || row.length) { row.push(cell); rows.push(row) }
  return rows
}

const b = { boss: await browser(), kim: await browser(), tv: await browser(), admin: await browser() }
try {
  const boss = await login(b.boss, 'boss', env('BOSS_PASSWORD'), size[1440])
  await boss.evaluate(() => localStorage.setItem('ringdesk.widget', 'closed'))
  let tvURL = ''
  let tv = null

  await step('a manager makes a TV address from the live view; the TV opens it without logging in', async () => {
    await go(boss, '#/live', '#live-agents tr[data-login]')
    await boss.click('#wallboard-token')
    tvURL = await boss.inputValue('#wallboard-url')
    expect(/\/wallboard\?service=support#token=wb\./.test(tvURL), `the address carries its token in the fragment (${tvURL.replace(/wb\..*/, 'wb.…')})`)
    const ctx = await b.tv.newContext({ viewport: size[1440], locale: 'ko-KR' })
    tv = await ctx.newPage()
    tv.on('pageerror', (e) => console.log('[tv] page error: ' + e.message))
    await tv.goto(tvURL)
    await tv.waitForSelector('[data-queue="100"] .wb-waiting')
    expect(!(await tv.$('#login-submit')), 'no login form on the TV')
    await tv.waitForFunction(() => /실시간/.test(document.querySelector('#wb-status')?.textContent || ''))
    expect(await tv.textContent('[data-queue="100"] .wb-waiting .wb-value') === '0', 'nobody waits yet')
    const agents = await tv.textContent('[data-queue="100"] [data-count="staffed"]')
    expect(agents === '0', 'no agent of the queue is logged in')
  }, [boss])

  await step('the wallboard shows a call waiting within a second of its arrival, then the abandoned call', async () => {
    // the figures are published at most once a second per queue: start from a quiet second
    await tv.waitForTimeout(1500)
    await tv.evaluate(() => {
      window.seenWaiting = 0
      const watch = () => {
        const v = document.querySelector('[data-queue="100"] .wb-waiting .wb-value')
        if (!window.seenWaiting && v && v.textContent === '1') window.seenWaiting = Date.now()
      }
      new MutationObserver(watch).observe(document.getElementById('wb-queues'), { subtree: true, childList: true, characterData: true })
    })
    const dialled = Number(await ask('call'))
    await tv.waitForFunction(() => window.seenWaiting > 0, null, { timeout: 5000 })
    const took = (await tv.evaluate(() => window.seenWaiting)) - dialled
    expect(took < 1000, `the wallboard showed the waiting call ${took} ms after the customer dialled (under 1000)`)
    // past wait_alert_seconds (3 s) the wait turns red
    await tv.waitForSelector('[data-queue="100"] .wb-oldest[data-level="alert"]', { timeout: 8000 })
    expect(/경고/.test(await tv.textContent('[data-queue="100"] .wb-oldest')), 'a long wait is red and says 경고 (not colour alone)')
    await check(tv, 'wallboard')
    await ask('hangup')
    await tv.waitForFunction(() => document.querySelector('[data-queue="100"] .wb-abandoned .wb-value')?.textContent === '1', null, { timeout: 5000 })
    expect(await tv.textContent('[data-queue="100"] .wb-waiting .wb-value') === '0', 'after the caller gave up, nobody waits and 포기 counts 1')
  }, [tv])

  await step('the wallboard at 390 px', async () => {
    const ctx = await b.tv.newContext({ viewport: size[390], locale: 'ko-KR' })
    const small = await ctx.newPage()
    await small.goto(tvURL)
    await small.waitForSelector('[data-queue="100"] .wb-waiting')
    await small.waitForTimeout(300)
    await check(small, 'wallboard')
    await ctx.close()
  })

  await step('a wallboard address with a wrong token says so, without a login form', async () => {
    const ctx = await b.tv.newContext({ viewport: size[1440], locale: 'ko-KR' })
    const p = await ctx.newPage()
    await p.goto(base + '/wallboard?service=support#token=wb.not-a-token')
    await p.waitForSelector('#wb-message')
    expect(/취소/.test(await p.textContent('#wb-message')) && !(await p.$('#login-submit')), 'the TV says the address was revoked')
    await ctx.close()
  })

  await step('부재중 lists the caller who gave up', async () => {
    await go(boss, '#/missed', '#missed-rows tr[data-ticket]')
    const row = await boss.textContent('#missed-rows tr[data-ticket]')
    expect(row.includes('010-5555-6666'), `the missed call shows the number the Korean way (${row.trim().slice(0, 60)})`)
    await check(boss, 'missed')
  }, [boss])

  const kim = await login(b.kim, 'kim', env('AGENT_PASSWORD'), size[1440])
  await step('an agent sees 부재중 with 걸기', async () => {
    await go(kim, '#/missed', '#missed-rows tr[data-ticket] .missed-call')
    expect(/걸기/.test(await kim.textContent('#missed-rows .missed-call')), 'one click calls back')
  }, [kim])

  await step('the keypad sends digits the customer hears as DTMF, by mouse and by keyboard', async () => {
    await openWidget(kim)
    if ((await kim.$eval('#cti-state', (el) => el.dataset.state)) === 'logged_out') {
      await kim.click('#cti-login')
      await waitState(kim, 'default')
    }
    await kim.click('#cti-ready')
    await waitState(kim, 'ready')
    await ask('call')
    await waitState(kim, 'offered')
    await kim.click('#offer-accept')
    await waitState(kim, 'on_call')
    await kim.waitForFunction(() => /준비됨/.test(document.getElementById('softphone-status')?.textContent || ''), null, { timeout: 10000 })
    await kim.click('#cti-keypad')
    await kim.waitForSelector('#keypad-panel .keypad')
    expect(await kim.getAttribute('#keypad-5', 'aria-label') === '5 누르기', 'each key is labelled')
    await kim.click('#keypad-5')
    await ask('dtmf 5')
    console.log('  · the customer received 5')
    await kim.focus('#keypad-1')
    await kim.keyboard.press('7')
    await ask('dtmf 7')
    console.log('  · the customer received 7, pressed on the keyboard')
    expect((await kim.textContent('#keypad-sent')) === '57', 'the keypad shows the digits sent')
    await axeCheck(kim, 'widget keypad')
    await latinCheck(kim, 'widget keypad', data)
    await docShot(kim, 'widget-keypad')
    await ask('hangup')
    await waitState(kim, 'after_call')
    await kim.click('#after-ready')
    await waitState(kim, 'ready')
  }, [kim])

  await step('the live view lists every agent, logged in or not, with the supervisor\'s actions', async () => {
    await go(boss, '#/live', '#live-agents tr[data-login="kim"] .supervise-state')
    expect(/로그인 안 함/.test(await boss.textContent('#live-agents tr[data-login="lee"]')), 'lee, not logged in, is listed')
    await check(boss, 'live')
  }, [boss])

  await step('a manager puts the agent on 휴식 from the live view; the widget says who did it', async () => {
    await boss.selectOption('#live-agents tr[data-login="kim"] .supervise-state', 'break')
    await boss.click('#live-agents tr[data-login="kim"] .supervise-apply')
    await waitState(kim, 'break', 5000)
    await kim.waitForSelector('#forced-by')
    const said = await kim.textContent('#forced-by')
    expect(said.includes('박팀장') && said.includes('휴식'), `the widget says: ${said}`)
    await snap(kim, 'widget-forced-break')
    await boss.waitForFunction(() => document.querySelector('#live-agents tr[data-login="kim"] .state-label')?.textContent === '휴식')
  }, [boss, kim])

  await step('a manager logs the agent out of CTI (after confirming); the widget says who did it', async () => {
    await boss.click('#live-agents tr[data-login="kim"] .supervise-logout')
    await boss.waitForSelector('#confirm-dialog[open]')
    await boss.click('#confirm-ok')
    await waitState(kim, 'logged_out', 5000)
    await kim.waitForSelector('#forced-by')
    expect(/박팀장/.test(await kim.textContent('#forced-by')), 'the logged-out widget names the manager')
  }, [boss, kim])

  await step('통계: a chart per figure, a table, and the CSV export', async () => {
    await go(boss, '#/reports', '#report-form')
    await boss.selectOption('#report-interval', 'day')
    await boss.click('#report-show')
    await boss.waitForSelector('#report-rows tbody tr')
    await boss.waitForFunction(() => document.querySelectorAll('#report-charts figure canvas').length >= 8)
    const n = await boss.$$eval('#report-charts figure', (fs) => fs.length)
    expect(n >= 8, `${n} charts, one per figure`)
    await check(boss, 'reports')
    const [dl] = await Promise.all([boss.waitForEvent('download'), boss.click('#report-csv')])
    const file = await dl.path()
    const text = readFileSync(file, 'utf8')
    expect(text.startsWith('\ufeff'), 'the CSV starts with a BOM, so Excel reads Korean')
    const rows = csvRows(text.slice(1)).filter((r) => r.length > 1)
    const head = rows[0]
    const col = (name) => head.indexOf(name)
    expect(col('인입') >= 0 && col('응답') >= 0, `its header is Korean (${head.slice(0, 6).join(', ')}…)`)
    expect(rows.length === 2, `one row for the day (${rows.length - 1})`)
    expect(rows[1][col('인입')] === '2' && rows[1][col('응답')] === '1', `2 offered, 1 answered (${rows[1][col('인입')]}, ${rows[1][col('응답')]})`)
    expect(/\.csv$/.test(dl.suggestedFilename()), `downloaded as ${dl.suggestedFilename()}`)
  }, [boss])

  await step('통화 이력 finds the calls by number with hyphens, by outcome, and links each to its ticket', async () => {
    await go(boss, '#/calls', '#calls-form')
    await boss.fill('#calls-phone', '010-오오오')
    await boss.click('#calls-search')
    await boss.waitForSelector('#calls-form [data-error-for="phone"]:not(:empty)')
    expect(/숫자와 하이픈/.test(await boss.textContent('#calls-form [data-error-for="phone"]')), 'a number that is not one is refused beside its field, in Korean')
    await boss.fill('#calls-phone', '010-5555-6666')
    await boss.click('#calls-search')
    await boss.waitForFunction(() => document.querySelectorAll('#calls-rows tr[data-call]').length === 2)
    await boss.selectOption('#calls-outcome', 'abandoned')
    await boss.click('#calls-search')
    await boss.waitForFunction(() => document.querySelectorAll('#calls-rows tr[data-call]').length === 1)
    expect(await boss.getAttribute('#calls-rows tr[data-call]', 'data-outcome') === 'abandoned', 'the abandoned call alone')
    const href = await boss.getAttribute('#calls-rows tr[data-call] .call-ticket', 'href')
    expect(/^#\/tickets\/\d+$/.test(href), `its row links to its ticket (${href})`)
    await boss.selectOption('#calls-outcome', '')
    await boss.click('#calls-search')
    await boss.waitForFunction(() => document.querySelectorAll('#calls-rows tr[data-call]').length === 2)
    await check(boss, 'calls')
    const [dl] = await Promise.all([boss.waitForEvent('download'), boss.click('#calls-csv')])
    const rows = csvRows(readFileSync(await dl.path(), 'utf8').replace(/^\ufeff/, '')).filter((r) => r.length > 1)
    expect(rows.length === 3, `the CSV holds the 2 calls found (${rows.length - 1})`)
    await boss.click('#calls-rows tr[data-call] .call-ticket')
    await boss.waitForSelector('#ticket-calls')
  }, [boss])

  await boss.context().close()
  const small = await login(b.boss, 'boss', env('BOSS_PASSWORD'), size[390])
  await small.evaluate(() => localStorage.setItem('ringdesk.widget', 'closed'))
  for (const [name, hash, sel] of [['live', '#/live', '#live-agents tr[data-login]'], ['missed', '#/missed', '#missed-table'],
    ['reports', '#/reports', '#report-rows'], ['calls', '#/calls', '#calls-rows tr[data-call]'], ['help-wallboard', '#/help/wallboard', '#help-wallboard']]) {
    await step(`${name} at 390 px`, async () => {
      await go(small, hash, sel)
      await small.waitForTimeout(300)
      await check(small, name)
    }, [small])
  }

  await step('the trunk form shows no English whichever transport is chosen (UDP, TCP, TLS)', async () => {
    const admin = await login(b.admin, 'admin', env('ADMIN_PASSWORD'), size[1440])
    await go(admin, '#/admin/trunks', 'form.trunk select[name=transport]')
    for (const v of ['udp', 'tcp', 'tls']) {
      await admin.selectOption('form.trunk select[name=transport]', v)
      await latinCheck(admin, `the trunk form with ${v}`, [...data, 'Administrator'])
    }
  })
} catch (e) {
  console.log('suite aborted: ' + e.stack)
  process.exitCode = 1
} finally {
  for (const x of Object.values(b)) await x.close()
}
if (!report()) process.exitCode = 1
console.log('@@ done')
process.exit(process.exitCode || 0)
