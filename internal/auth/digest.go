package auth

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

// SIPRealm is the digest realm of Ringdesk's registrar. The stored SIP secrets are computed
// over it, so changing it invalidates every phone's credentials.
const SIPRealm = "ringdesk"

// SIPHA1 is the RFC 2617 digest secret of a SIP user: hex MD5 of user:realm:password, where
// the user is the phone's extension. The registrar checks REGISTER and INVITE digests with it
// and never holds the password.
func SIPHA1(user, password string) string { return ha1(md5.New(), user, SIPRealm, password) }

// SIPHA1SHA256 is the RFC 7616 SHA-256 form of SIPHA1, for phones that offer algorithm=SHA-256.
func SIPHA1SHA256(user, password string) string {
	return ha1(sha256.New(), user, SIPRealm, password)
}

func ha1(h hash.Hash, user, realm, password string) string {
	h.Write([]byte(user + ":" + realm + ":" + password))
	return hex.EncodeToString(h.Sum(nil))
}
