// Package auth holds what proves who someone is and decides what they may do: password hashes
// (argon2id, PHC strings), SIP digest secrets (HA1, RFC 2617 and RFC 7616), session tokens,
// roles and per-service permissions, a throttle on login attempts (per login and source) and a
// gate that runs password checks a few at a time.
//
// It is pure: no I/O but the system's random source and the injected clock. It must not
// import the store, the engine, the API or any telephony adapter; they import it.
package auth
