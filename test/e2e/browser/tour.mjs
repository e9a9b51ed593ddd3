// Every screen of the console in Korean, at 390 and 1440 px: axe-core finds no serious or
// critical violation, no English sentence shows, and a screenshot is kept (docs/screens when
// DOCS_SCREENS is set). Before issue 13 the screens showed English codes and messages, and
// axe found unlabelled controls (serious) on the widget and the admin forms.
import { env, step, login, go, axeCheck, latinCheck, docShot, openWidget, waitState, base } from './lib.mjs'

// the test site's own data: logins, ids and names that are codes, not sentences
const data = ['kim', 'lee', 'park', 'choi', 'boss', 'support', 'sales', 'carrier', 'tier1']

const adminScreens = [
  ['tickets', '#/tickets', '#ticket-list'],
  ['ticket', '#/tickets/1', '#ticket-calls'],
  ['live', '#/live', '#live-agents'],
  // the supervision screens' screenshots come from supervision.mjs, which has calls to show
  ['missed', '#/missed', '#missed-table', { noDoc: true }],
  ['reports', '#/reports', '#report-form', { noDoc: true }],
  ['calls', '#/calls', '#calls-table', { noDoc: true }],
  ['help-wallboard', '#/help/wallboard', '#help-wallboard', { noDoc: true }],
  ['service-callerids', '#/service/callerids', '#cid-list'],
  ['service-favorites', '#/service/favorites', '#favorites-form'],
  ['service-groups', '#/service/groups', '#groups-form'],
  ['service-queues', '#/service/queues', '#queues-form'],
  ['service-numbers', '#/service/numbers', '#numbers-form'],
  ['service-audio', '#/service/audio', '#audio-form-hold'],
  ['admin-contracts', '#/admin/contracts', '#service-list'],
  ['admin-cti-info', '#/admin/cti/info/support', '#svc-form'],
  ['admin-cti-agents', '#/admin/cti/agents/park', '#cti-agent-form'],
  ['admin-accounts', '#/admin/accounts/kim', '#agent-form'],
  ['admin-trunks', '#/admin/trunks', 'form.trunk'],
  ['help', '#/help', '.help-index'],
  ['help-faq', '#/help/faq-cti-login', '#help-faq-cti-login'],
  ['help-widget', '#/help/widget', '#help-widget'],
]

const heights = { 1440: 900, 390: 844 }

export async function tourSuite(b) {
  for (const width of [1440, 390]) {
    const height = heights[width]
    await step(`the login page at ${width} px`, async () => {
      const ctx = await b.other.newContext({ viewport: { width, height }, locale: 'ko-KR' })
      const page = await ctx.newPage()
      await page.goto(base + '/')
      await page.waitForSelector('#login-submit')
      await axeCheck(page, 'login')
      await latinCheck(page, 'login', data)
      await docShot(page, 'login')
      await ctx.close()
    })

    const boss = await login(b.admin, 'boss', env('BOSS_PASSWORD'), { width, height })
    await boss.evaluate(() => localStorage.setItem('ringdesk.widget', 'closed'))
    for (const [name, hash, sel, opts = {}] of adminScreens) {
      await step(`${name} at ${width} px`, async () => {
        await go(boss, hash, sel)
        await boss.waitForTimeout(250) // lists that load after the screen
        await axeCheck(boss, name)
        await latinCheck(boss, name, data)
        if (!opts.noDoc) await docShot(boss, name)
      }, [boss])
    }
    await step(`a confirmation dialog at ${width} px`, async () => {
      await go(boss, '#/service/callerids', '#cid-list')
      await boss.click('#cid-list tbody tr:last-child .cid-remove')
      await boss.waitForSelector('#confirm-dialog[open]')
      await axeCheck(boss, 'confirm dialog')
      await latinCheck(boss, 'confirm dialog', data)
      await docShot(boss, 'confirm')
      await boss.click('#confirm-cancel')
    }, [boss])
    await boss.context().close()

    const kim = await login(b.kim, 'kim', env('AGENT_PASSWORD'), { width, height })
    await step(`the phone widget at ${width} px: logged out, 기본 with 전화 걸기, settings`, async () => {
      await go(kim, '#/tickets', '#ticket-list')
      await openWidget(kim)
      if ((await kim.$eval('#cti-state', (el) => el.dataset.state)) !== 'logged_out') {
        await kim.click('#cti-logout')
        await waitState(kim, 'logged_out')
      }
      await axeCheck(kim, 'widget logged out')
      await latinCheck(kim, 'widget logged out', data)
      await docShot(kim, 'widget-logged-out')
      await kim.click('#cti-login')
      await waitState(kim, 'default')
      await kim.click('#cti-dial')
      await kim.waitForSelector('#dial-form')
      await axeCheck(kim, 'widget 전화 걸기')
      await latinCheck(kim, 'widget 전화 걸기', data)
      await docShot(kim, 'widget-dial')
      await kim.click('#dial-cancel')
      await kim.click('#cti-work')
      await kim.click('#phone-settings')
      await kim.waitForSelector('#phone-settings-panel')
      await axeCheck(kim, 'widget settings')
      await latinCheck(kim, 'widget settings', [...data, ...(await kim.$$eval('#setting-mic option, #setting-speaker option', (os) => os.flatMap((o) => o.textContent.split(/\s+/))))])
      await docShot(kim, 'widget-settings')
      await kim.click('#phone-settings')
      await go(kim, '#/tickets/1', '#ticket-calls')
      await axeCheck(kim, 'ticket with the widget')
      await latinCheck(kim, 'ticket with the widget', data)
      await docShot(kim, 'agent-ticket')
      await kim.click('#cti-logout')
      await waitState(kim, 'logged_out')
    }, [kim])
    await kim.context().close()
  }
}
