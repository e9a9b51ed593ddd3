// Package fault is Ringdesk's one error taxonomy. The engine and the stores say what went
// wrong with a Kind (a refused state change, something missing, not allowed, busy, not
// available now…), a stable Code for programs (the console's message catalogue is keyed by
// it), a Message a person can read (Korean) and the Params the message was built from. No
// error carries an HTTP or SIP status: internal/api maps kinds to HTTP and internal/sip to
// SIP, each in one table.
//
// It imports only the standard library; everything may import it.
package fault
