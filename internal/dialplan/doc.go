// Package dialplan decides which numbers a service may call out to (SPEC §9, "Dial plan"):
// every number that would leave through a trunk — 걸기, a number dialled on an agent's phone,
// a transfer to an outside number — is checked against the service's allow and deny
// patterns. It is pure and imports only the standard library.
//
// A pattern is matched against the whole number as it goes to the carrier (the trunk prefix
// already stripped): a digit or '+' matches itself, 'x' any digit, '[1-9]' or '[135]' one
// digit of a set, and a trailing '*' anything that follows (nothing included). A number is
// allowed when an allow pattern matches it and no deny pattern does: deny wins.
package dialplan
