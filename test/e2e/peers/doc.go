// Package peers drives the real SIP tools that stand in for the outside world in Ringdesk's
// end-to-end tests: baresip as an agent's desk phone or a customer's phone, linphone
// (linphonec) as a third independent stack on an agent's desk, SIPp as a carrier trunk or a
// scripted customer, Kamailio as a proxy in front of Ringdesk, sox to make test tones and to
// measure what a party actually heard. Every tool is bound to 127.0.0.1. Tests call Require
// first: a missing tool skips the test on a developer's machine and fails it in CI
// (RINGDESK_E2E_REQUIRE=1), where scripts/test.sh installs them.
package peers
