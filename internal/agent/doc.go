// Package agent is the agent state machine of SPEC §2: CTI login, 기본/휴식/대기/업무, the states
// a call moves an agent through, and the end-of-call notice. It is pure: no I/O, no clock; the
// caller passes the time of each event. It must not import anything but the standard library.
package agent
