// The phone widget on real calls: a SIP customer rings the service; kim and lee answer in
// their browsers; park's desk phone is not registered. Each step's comment says how the
// console before issue 13 failed it.
import { env, step, expect, snap, login, waitState, openWidget, go, rect, overlaps } from './lib.mjs'

const text = (page, sel) => page.textContent(sel).then((s) => (s || '').trim())

// heardInBrowser measures the dominant frequency of what the softphone receives.
async function heardInBrowser(page) {
  return page.evaluate(async () => {
    const sp = window.ringdesk.widget.softphone
    const el = [...sp.audio.values()].pop()
    if (!el || !el.srcObject) return { hz: 0, db: -200 }
    const ac = new AudioContext()
    const src = ac.createMediaStreamSource(el.srcObject)
    const an = ac.createAnalyser()
    an.fftSize = 16384
    src.connect(an)
    await new Promise((r) => setTimeout(r, 1500))
    const data = new Float32Array(an.frequencyBinCount)
    an.getFloatFrequencyData(data)
    let best = 1
    for (let i = 2; i < data.length; i++) if (data[i] > data[best]) best = i
    const hz = (best * ac.sampleRate) / an.fftSize
    const db = data[best]
    await ac.close()
    return { hz, db }
  })
}
const near = (hz, want) => hz > want * 0.9 && hz < want * 1.1

// watchAlerts records, in the page, the rings and desktop notifications it makes, and makes the
// tab look hidden (as when the agent works in another window).
async function watchAlerts(page) {
  await page.evaluate(() => {
    window.__rings = 0
    window.__notes = []
    document.addEventListener('ringdesk:ring', () => { window.__rings++ })
    const N = window.Notification
    window.Notification = class extends N {
      constructor(title, opts) { super(title, opts); window.__notes.push({ title, body: opts && opts.body }) }
      static get permission() { return N.permission }
      static requestPermission() { return N.requestPermission() }
    }
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true })
  })
}

export async function phoneSuite(b, { ask, mark }) {
  const customer = env('CUSTOMER')
  const customerKo = customer.replace(/^(\d{3})(\d{4})(\d{4})$/, '$1-$2-$3')
  const kim = await login(b.kim, 'kim', env('AGENT_PASSWORD'))
  const lee = await login(b.lee, 'lee', env('AGENT_PASSWORD'))
  const park = await login(b.other, 'park', env('AGENT_PASSWORD'))
  let ticket = 0

  // fails before: CTI 로그인 with the phone off said nothing
  await step('CTI 로그인 with a desk phone that is not registered warns', async () => {
    await openWidget(park)
    await park.click('#cti-login')
    await waitState(park, 'default')
    await park.waitForSelector('#phone-warning')
    const w = await text(park, '#phone-warning')
    expect(w.includes('내선 1003') && w.includes('등록되어 있지 않습니다'), `the widget warns: "${w.slice(0, 60)}…"`)
    await snap(park, 'park-not-registered')
    await park.click('#cti-ready')
    await waitState(park, 'ready')
  }, [park])

  // fails before: the timer read "CTI 로그아웃 17758921:23:34"
  await step('no timer while logged out; CTI 로그인; 전화 걸기 lists caller IDs in order, the Korean way', async () => {
    await openWidget(kim)
    expect((await text(kim, '#cti-state')) === 'CTI 로그아웃', 'the widget starts at CTI 로그아웃')
    await kim.waitForTimeout(400)
    expect((await text(kim, '#cti-since')) === '', 'with no timer')
    await kim.click('#cti-login')
    await waitState(kim, 'default')
    await kim.waitForFunction(() => /^\d\d:\d\d$/.test(document.querySelector('#cti-since')?.textContent))
    expect(true, 'logged in, the timer runs')
    await snap(kim, 'kim-cti-login')
    await kim.click('#cti-dial')
    const ids = await kim.$$eval('#dial-callerid option', (os) => os.map((o) => `${o.value}=${o.textContent}`))
    expect(JSON.stringify(ids) === JSON.stringify(['0277776666=02-7777-6666', '0212345678=02-1234-5678']), `전화 걸기 lists registered caller IDs in order: ${ids}`)
    await kim.fill('#dial-number', 'abc')
    await kim.click('#dial-confirm')
    expect((await text(kim, '#dial-form [data-error-for=number]')).startsWith('숫자만'), 'a bad customer number is refused beside the field')
    await waitState(kim, 'default')
    await kim.click('#dial-cancel')
    await kim.click('#cti-work')
    await kim.click('#work-reasons [data-reason=meeting]')
    await kim.waitForFunction(() => document.querySelector('#cti-state')?.textContent === '업무(회의)')
    await kim.click('#cti-ready')
    await waitState(kim, 'ready')
  }, [kim])

  // fails before: after a reload 걸기/an offer failed at once with "연결할 수 없습니다" until CTI
  // 로그아웃 → CTI 로그인: the browser phone only said hello at CTI 로그인
  await step('after a reload and a lost connection the browser phone re-arms itself', async () => {
    await kim.reload()
    await kim.waitForSelector('#cti-state')
    await waitState(kim, 'ready')
    await kim.waitForFunction(() => document.querySelector('#softphone-status')?.textContent === '브라우저 전화 준비됨')
    await kim.evaluate(() => window.ringdesk.events.ws.close())
    await kim.waitForFunction(() => window.ringdesk.events.online === false)
    await kim.waitForFunction(() => window.ringdesk.events.online === true, null, { timeout: 10000 })
    expect(true, 'reloaded and reconnected, the phone says it is ready (the call below rings it)')
  }, [kim])

  await step('lee logs in and rests; lee watches the ticket list', async () => {
    await openWidget(lee)
    await lee.click('#cti-login')
    await waitState(lee, 'default')
    await lee.click('#cti-break')
    await waitState(lee, 'break')
    await go(lee, '#/tickets', '#ticket-list')
  }, [lee])

  await watchAlerts(kim)
  await ask('call')

  // fails before: the recall left park on 휴식 without a word
  await step('the call first goes to park, whose phone rings nothing: recalled, and told in Korean that it is 휴식 now', async () => {
    await park.waitForSelector('#offer-alert', { timeout: 15000 })
    await park.click('#offer-accept')
    await waitState(park, 'break')
    await park.waitForFunction(() => [...document.querySelectorAll('#toasts .toast')].some((t) => t.textContent.includes('전화기에 연결할 수 없어')))
    const toast = await park.$$eval('#toasts .toast .text', (els) => els.map((e) => e.textContent).filter((s) => s.includes('전화기에 연결할 수 없어')).join(' / '))
    expect(toast.includes('전화기에 연결할 수 없어') && toast.includes('휴식') && !/\([a-z_]+\)/.test(toast), `park is told: "${toast}"`)
    await snap(park, 'park-recalled-to-break')
  }, [park])

  // fails before: no ring, no notification when the tab was hidden; the alert showed 01055556666
  await step('the offer rings, notifies the hidden tab, and reads the number the Korean way', async () => {
    await kim.waitForSelector('#offer-alert', { timeout: 15000 })
    const alert = await text(kim, '#offer-alert')
    expect(alert.includes(customerKo) && alert.includes('고객지원'), `the 전화 인입 알림창 names the caller (${customerKo}) and the service`)
    await kim.waitForFunction(() => window.__rings > 0 && window.__notes.length > 0, null, { timeout: 5000 })
    const note = await kim.evaluate(() => window.__notes[0])
    expect(note.title.includes('고객지원') && note.body.includes(customerKo), `a desktop notification: ${note.title} — ${note.body}`)
    await snap(kim, 'kim-offer')
  }, [kim])

  // fails before: no shortcut; the alert's buttons needed the mouse
  await step('확인 with the keyboard (Alt+A); the console moves to the new ticket', async () => {
    await kim.keyboard.press('Alt+KeyA')
    await waitState(kim, 'on_call')
    await kim.waitForSelector('#ticket-title', { timeout: 10000 })
    ticket = Number(await kim.$eval('#ticket-title', (el) => el.dataset.id))
    expect((await kim.$eval('#ticket-title', (el) => el.dataset.service)) === 'support', `answering moved the console to ticket #${ticket} of that service`)
    expect((await kim.evaluate(() => window.__rings)) > 0 && !(await kim.evaluate(() => window.ringdesk.widget.ringer.ringing)), 'the ringing stopped')
    mark('talk')
    const kimHeard = await heardInBrowser(kim)
    expect(near(kimHeard.hz, 440), `kim's browser phone hears the customer (${kimHeard.hz.toFixed(0)} Hz)`)
    await snap(kim, 'kim-on-call-ticket')
  }, [kim])

  // fails before: lee's list kept its old rows until reloaded
  await step("a colleague's new ticket appears in lee's list by itself", async () => {
    await lee.waitForSelector(`#ticket-list tr[data-id="${ticket}"]`, { timeout: 5000 })
    expect(true, `ticket #${ticket} appeared in lee's list`)
  }, [lee])

  // fails before: the widget lay over the ticket's right column and could not move
  await step('the widget never hides the ticket controls: docked right or left, or collapsed', async () => {
    for (const side of ['right', 'left']) {
      if ((await kim.evaluate(() => window.ringdesk.widget.dock)) !== side) await kim.click('#phone-dock')
      await kim.waitForTimeout(200)
      const w = await rect(kim, '#phone-widget')
      for (const sel of ['#ticket-save', '#ticket-status', '#ticket-assignee', '#ticket-phone', '#ticket-earlier']) {
        expect(!overlaps(w, await rect(kim, sel)), `docked ${side}, the widget does not cover ${sel}`)
      }
      await snap(kim, 'kim-widget-' + side)
    }
    await kim.click('#phone-dock') // back to the right
    await kim.click('#phone-collapse')
    expect(await kim.$eval('#phone-widget', (el) => el.classList.contains('collapsed')), 'the widget collapses to its header')
    await snap(kim, 'kim-widget-collapsed')
    await kim.click('#phone-collapse')
    await kim.setViewportSize({ width: 390, height: 800 })
    await kim.waitForTimeout(300)
    const w = await rect(kim, '#phone-widget')
    await kim.$eval('#ticket-save', (el) => el.scrollIntoView({ block: 'center' }))
    expect(!overlaps(w, await rect(kim, '#ticket-save')), 'at 390 px the widget sits below the page, which scrolls clear of it')
    await snap(kim, 'kim-widget-390')
    await kim.setViewportSize({ width: 1280, height: 800 })
  }, [kim])

  // fails before: there was no mute
  await step('mute and unmute (Alt+M); hold and resume with the keyboard (Alt+H)', async () => {
    await kim.keyboard.press('Alt+KeyM')
    await kim.waitForSelector('#cti-mute[aria-pressed="true"]')
    expect(await kim.evaluate(() => window.ringdesk.widget.softphone.stream.getAudioTracks().every((t) => !t.enabled)), 'muted: the microphone sends nothing')
    await kim.keyboard.press('Alt+KeyM')
    await kim.waitForSelector('#cti-mute[aria-pressed="false"]')
    await kim.keyboard.press('Alt+KeyH')
    await waitState(kim, 'held')
    mark('hold')
    await kim.waitForTimeout(3000)
    await snap(kim, 'kim-held')
    await kim.keyboard.press('Alt+KeyH')
    await waitState(kim, 'on_call')
    mark('resumed')
    await kim.waitForTimeout(2500)
  }, [kim])

  // fails before: lee's alert named "kim" and counted "호회수까지 0초"; lee's widget showed an
  // empty "통화 상대:"; lee's console stayed where it was after 고객연결
  await step('호전환 to lee: the alert names 김상담 and counts down; lee sees who; 고객연결 opens the ticket for lee', async () => {
    await lee.click('#cti-ready')
    await waitState(lee, 'ready')
    await go(lee, '#/help', '.help-index')
    await kim.click('#cti-transfer')
    await kim.click('#transfer-tab-ready')
    await kim.selectOption('#transfer-group', 'tier1')
    await kim.waitForSelector('#transfer-ready-list [data-login=lee]')
    await snap(kim, 'kim-transfer-ready-agents')
    await kim.click('#transfer-ready-list [data-login=lee]')
    await kim.click('#consult-start')
    await lee.waitForSelector('#offer-alert', { timeout: 15000 })
    const from = await text(lee, '#offer-transfer')
    expect(from === '김상담 상담원의 호전환 요청', `lee's alert says who transfers: "${from}"`)
    await lee.waitForFunction(() => /호회수까지 \d+초/.test(document.querySelector('#offer-countdown')?.textContent))
    const cd = Number((await text(lee, '#offer-countdown')).match(/(\d+)초/)[1])
    expect(cd > 20 && cd <= 30, `and counts down from the recall time (${cd} s)`)
    await snap(lee, 'lee-transfer-alert')
    // every text the call's party line shows from here on: the state change renders at once,
    // before the call's details arrive, and must not claim meanwhile that there is no number
    await lee.evaluate(() => {
      window.partiesSeen = []
      new MutationObserver(() => {
        const el = document.querySelector('#call-party')
        if (el) window.partiesSeen.push(el.textContent)
      }).observe(document.body, { subtree: true, childList: true, characterData: true })
    })
    await lee.click('#offer-accept')
    await waitState(kim, 'consulting')
    await waitState(lee, 'on_call')
    // the state shows at once, who is on the line a moment later (fails before: the widget
    // drew the new state with its old, empty call and read "번호 없음" until the details came;
    // a loaded run read it here)
    await lee.waitForFunction(() => document.querySelector('#call-party')?.textContent.includes('김상담'), null, { timeout: 5000 }).catch(() => {})
    const seen = await lee.evaluate(() => window.partiesSeen)
    expect(!seen.includes('번호 없음'), `lee's widget never said "번호 없음" on the way (${[...new Set(seen)].join(' | ')})`)
    const party = await text(lee, '#call-party')
    expect(party.includes('김상담') && party.includes(customerKo), `lee talks with "${party}"`)
    await kim.waitForSelector('#consult-complete:not([disabled])')
    expect((await text(kim, '#consult-status')).includes('이상담'), 'kim sees the consult with 이상담 by name')
    await snap(kim, 'kim-consulting')
    const kimHearsLee = await heardInBrowser(kim)
    expect(near(kimHearsLee.hz, 550), `kim hears lee in the consult (${kimHearsLee.hz.toFixed(0)} Hz)`)
    await kim.click('#consult-complete')
    await waitState(kim, 'after_call')
    await kim.waitForSelector('#after-call')
    mark('joined')
    await snap(kim, 'kim-after-call-notice')
    await waitState(lee, 'on_call')
    await lee.waitForFunction((id) => document.querySelector('#ticket-title')?.dataset.id === String(id), ticket, { timeout: 10000 })
    expect(true, `lee's console moved to ticket #${ticket}`)
    const leeHeard = await heardInBrowser(lee)
    expect(near(leeHeard.hz, 440), `lee hears the customer after 고객연결 (${leeHeard.hz.toFixed(0)} Hz)`)
    await kim.keyboard.press('Alt+KeyR')
    await kim.waitForFunction(() => document.querySelector('#cti-state')?.textContent === '업무(티켓처리)')
    expect(true, 'Alt+R on the end-of-call notice is 취소: 업무(티켓처리)')
  }, [kim, lee])

  await step('강성종료', async () => {
    await lee.waitForTimeout(2000)
    await lee.click('#cti-forced')
    const t = await text(lee, '#forced-text')
    expect(t.includes('폭언'), `the popup shows the announcement text ("${t}")`)
    await snap(lee, 'lee-forced-hangup-popup')
    await lee.click('#forced-confirm')
    mark('forced')
    await waitState(lee, 'after_call')
    await lee.waitForSelector('#after-call')
    await snap(lee, 'lee-after-call-notice')
    await lee.click('#after-ready')
    await waitState(lee, 'ready')
    await lee.click('#cti-break')
    await waitState(lee, 'break')
  }, [lee])

  await step('a state change reaches the widget within 200 ms typically; a lost connection comes back true', async () => {
    const res = await fetch(process.env.RINGDESK_URL + '/api/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login: 'kim', password: env('AGENT_PASSWORD') }) })
    const token = (await res.json()).token
    const put = (st) => fetch(process.env.RINGDESK_URL + '/api/v1/cti/state', { method: 'PUT', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: JSON.stringify({ state: st }) })
    const lat = []
    for (const st of ['break', 'ready', 'break', 'ready', 'break']) {
      const watch = kim.waitForFunction((w) => document.querySelector('#cti-state')?.dataset.state === w, st, { polling: 'raf', timeout: 5000 })
      const t0 = Date.now()
      await put(st)
      await watch
      lat.push(Date.now() - t0)
    }
    lat.sort((a, b) => a - b)
    // each change is committed to disk (synchronous) before it is announced; on a shared 2-core
    // machine one fsync may take a while, so the typical change is held to 200 ms, every one to 500
    expect(lat[Math.floor(lat.length / 2)] < 200 && lat[lat.length - 1] < 500,
      `state changes reach the widget in ${lat.join(', ')} ms (median under 200, all under 500)`)
    await kim.evaluate(() => window.ringdesk.events.ws.close())
    await put('ready')
    await waitState(kim, 'ready', 10000)
    expect(true, 'after a dropped connection the widget shows the true state again')
  }, [kim])

  // fails before: the call table showed normal, forced, agent, (completed); numbers unformatted;
  // the phone filter refused the hyphens that 걸기 accepts
  await step('the ticket: the call record in words, numbers the Korean way; the list found by 010-5555-6666', async () => {
    await go(kim, '#/tickets', '#ticket-list')
    await kim.fill('#filter-phone', customerKo)
    await kim.click('#filter-search')
    await kim.waitForFunction((id) => document.querySelectorAll('#ticket-list tbody tr[data-id]').length === 1 &&
      document.querySelector('#ticket-list tbody tr[data-id]').dataset.id === String(id), ticket)
    expect(true, `the ticket list finds ticket #${ticket} by ${customerKo}`)
    expect(!(await kim.isVisible('#tickets-more')), 'a short list offers no 더 보기')
    await kim.click(`#ticket-list tbody tr[data-id="${ticket}"] a`)
    await kim.waitForSelector('#ticket-calls tbody tr')
    // the announcement plays before the customer is hung up: the record ends a few seconds on
    for (let i = 0; i < 30 && !(await kim.$('#ticket-calls td[data-cause="forced"]')); i++) {
      await kim.waitForTimeout(500)
      await go(kim, `#/tickets/${ticket}`, '#ticket-calls')
    }
    const row = (await text(kim, '#ticket-calls tbody tr')).replace(/\s+/g, ' ')
    expect(row.includes('강성종료') && row.includes('김상담') && row.includes('이상담') && row.includes('완료') && row.includes(customerKo),
      `the call reads: ${row}`)
    expect(!/\b(normal|forced|agent|system|completed|inbound)\b/.test(row), 'with no raw code in it')
    await snap(kim, 'kim-ticket-with-call')
  }, [kim])

  // fails before: "이 고객의 이전 티켓" listed the newer ticket too
  await step('a second call: its ticket lists the first as earlier; the first lists nothing newer', async () => {
    await ask('call')
    await kim.waitForSelector('#offer-alert', { timeout: 15000 })
    await kim.click('#offer-accept')
    await waitState(kim, 'on_call')
    await kim.waitForFunction((id) => Number(document.querySelector('#ticket-title')?.dataset.id) > id, ticket, { timeout: 10000 })
    const second = Number(await kim.$eval('#ticket-title', (el) => el.dataset.id))
    const earlier = await kim.$$eval('#ticket-earlier li', (els) => els.map((e) => Number(e.dataset.id)))
    expect(JSON.stringify(earlier) === JSON.stringify([ticket]), `ticket #${second} lists earlier ${earlier}`)
    await kim.click('#cti-hangup')
    await waitState(kim, 'after_call')
    await kim.click('#after-ready')
    await waitState(kim, 'ready')
    await go(kim, `#/tickets/${ticket}`, '#ticket-title')
    await kim.waitForSelector('#ticket-earlier')
    expect(!(await kim.$(`#ticket-earlier li[data-id="${second}"]`)), `ticket #${ticket} does not list the later #${second}`)
  }, [kim])

  // fails before: numbers in a ticket were plain text
  await step('click-to-call: a number in the ticket fills 전화 걸기; 확인 dials, 끊기 ends it', async () => {
    await kim.click('#cti-break')
    await waitState(kim, 'break')
    await kim.click('#ticket-phone')
    await kim.waitForSelector('#dial-form')
    expect((await kim.inputValue('#dial-number')) === customerKo, `전화 걸기 opens with ${customerKo}`)
    expect(await kim.evaluate(() => document.activeElement?.id === 'dial-confirm'), 'and 확인 has the focus')
    await snap(kim, 'kim-click-to-call')
    await kim.keyboard.press('Enter')
    await waitState(kim, 'dialing')
    await kim.click('#cti-hangup')
    await waitState(kim, 'break')
    expect(true, 'dialled and hung up, back to 휴식')
  }, [kim])

  // fails before: there were no phone settings
  await step('phone settings: microphone and speaker lists, a level meter that moves, ringtone on and off', async () => {
    await kim.click('#phone-settings')
    await kim.waitForSelector('#phone-settings-panel')
    await kim.waitForFunction(() => document.querySelectorAll('#setting-mic option').length >= 2)
    const mics = await kim.$$eval('#setting-mic option', (os) => os.map((o) => o.textContent))
    expect(true, `the microphones are listed: ${mics.join(', ')}`)
    await kim.selectOption('#setting-mic', { index: mics.length - 1 })
    await kim.waitForFunction(() => localStorage.getItem('ringdesk.mic') !== null && localStorage.getItem('ringdesk.mic') !== '')
    expect(true, 'another microphone can be chosen, and is remembered')
    expect(!!(await kim.$('#setting-speaker')), 'there is a speaker choice')
    await kim.waitForFunction(() => document.querySelector('#mic-level')?.value > 0.01, null, { timeout: 5000 })
    expect(true, `the level meter moves (${(await kim.$eval('#mic-level', (m) => m.value)).toFixed(2)})`)
    await kim.uncheck('#setting-ringtone')
    expect(await kim.evaluate(() => localStorage.getItem('ringdesk.ringtone')) === 'off', 'the ringtone can be switched off')
    await kim.check('#setting-ringtone')
    await snap(kim, 'kim-phone-settings')
    await kim.click('#phone-settings')
  }, [kim])

  await step('English is switchable', async () => {
    await kim.click('#lang-toggle')
    await kim.waitForFunction(() => document.querySelector('#cti-state')?.textContent === 'Break')
    await snap(kim, 'kim-english')
    await kim.click('#lang-toggle')
    await kim.waitForFunction(() => document.querySelector('#cti-state')?.textContent === '휴식')
  }, [kim])

  for (const p of [kim, lee, park]) await p.context().close()
}
