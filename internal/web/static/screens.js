// The console's screens: one entry each, in the order the top bar shows them. A screen is
// reached at #/<name>/…; view(ctx, main, parts) draws it into main and returns an object
// whose destroy() is called when the console leaves it. help names its help page. A new
// screen is one more entry here, its words a section of catalogue.js and its help page an
// entry of help.js. (The wallboard is not a screen of the console: /wallboard, wallboard.js.)
import { ticketList, ticketView } from './tickets.js'
import { liveView } from './live.js'
import { serviceAdmin } from './service.js'
import { adminView } from './admin.js'
import { helpView } from './help.js'
import { reportsView } from './reports.js'
import { callsView, missedView } from './calls.js'

const manager = (me) => me.role === 'manager' || me.role === 'admin'
const admin = (me) => me.role === 'admin'

export const screens = [
  { name: 'tickets', label: 'nav.tickets', allowed: () => true,
    help: (parts) => (parts[1] ? 'ticket' : 'tickets'),
    view: (ctx, main, parts) => (parts[1] ? ticketView(ctx, main, Number(parts[1])) : ticketList(ctx, main)) },
  { name: 'missed', label: 'nav.missed', allowed: () => true, help: () => 'missed', view: missedView },
  { name: 'live', label: 'nav.live', allowed: manager, help: () => 'live', view: liveView },
  { name: 'reports', label: 'nav.reports', allowed: manager, help: () => 'reports', view: reportsView },
  { name: 'calls', label: 'nav.calls', allowed: manager, help: () => 'calls', view: callsView },
  { name: 'service', label: 'nav.servicemgmt', allowed: manager, help: () => 'service-phone', view: serviceAdmin },
  { name: 'admin', label: 'nav.admin', allowed: admin, help: () => 'contracts', view: adminView },
  { name: 'help', label: 'nav.help', allowed: () => true, view: helpView },
]

export const home = '#/tickets'
