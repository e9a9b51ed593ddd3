// Package auth holds what proves who someone is and decides what they may do: password hashes
// (argon2id), SIP digest secrets, session tokens, roles and per-service permissions, and a
// throttle on failed logins. It must not import the store, the engine or any adapter.
package auth
