package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters for new hashes: OWASP's recommendation for interactive logins
// (19 MiB, 2 passes, 1 lane), about 20–40 ms on a server core. VerifyPassword reads the
// parameters from each hash, so these can be raised later without invalidating old hashes.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// MaxPasswordLen bounds a password: argon2 would hash a megabyte happily, and an endpoint that
// does so on request is a cheap way to burn the server's CPU.
const MaxPasswordLen = 1024

// Limits on parameters read back from a stored hash. A stored hash is configuration, but a
// corrupted or hostile one must not make one login allocate gigabytes or spin for minutes.
const (
	maxVerifyMemory = 1 << 20 // KiB: 1 GiB
	maxVerifyTime   = 64
	minSaltLen      = 8 // the PHC minimum; the reference test vectors use 8
	maxSaltLen      = 64
	minKeyLen       = 16
	maxKeyLen       = 128
)

// ErrBadPassword is returned for a password that cannot be used.
var ErrBadPassword = fmt.Errorf("password must be 1 to %d bytes", MaxPasswordLen)

// HashPassword returns the argon2id hash of pw in the PHC string form
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
func HashPassword(pw string) (string, error) {
	if pw == "" || len(pw) > MaxPasswordLen {
		return "", ErrBadPassword
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: no randomness for a salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches an argon2id PHC string, whatever its parameters
// (within sane bounds), so hashes made by other tools or with older settings keep working.
// The comparison of the derived key is constant-time; a malformed hash simply fails.
func VerifyPassword(hash, pw string) bool {
	if pw == "" || len(pw) > MaxPasswordLen {
		return false
	}
	h, err := parsePHC(hash)
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1
}

type phc struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

var errPHC = errors.New("not an argon2id v=19 PHC string")

// parsePHC reads $argon2id$v=19$m=M,t=T,p=P$salt$key. The version is required: a hash without
// it is Argon2 1.0 (v=16), which x/crypto does not compute.
func parsePHC(s string) (phc, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return phc{}, errPHC
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return phc{}, errPHC
	}
	var v [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		num, ok := strings.CutPrefix(params[i], name)
		if !ok || num == "" || (len(num) > 1 && num[0] == '0') {
			return phc{}, errPHC
		}
		n, err := strconv.ParseUint(num, 10, 32)
		if err != nil {
			return phc{}, errPHC
		}
		v[i] = n
	}
	h := phc{memory: uint32(v[0]), time: uint32(v[1])}
	if v[2] < 1 || v[2] > 255 || h.time < 1 || h.time > maxVerifyTime || v[0] < 8*v[2] || h.memory > maxVerifyMemory {
		return phc{}, errPHC
	}
	h.threads = uint8(v[2])
	// the PHC format says unpadded, but some encoders pad: accept both
	b64 := base64.RawStdEncoding
	var err error
	if h.salt, err = b64.DecodeString(strings.TrimRight(parts[4], "=")); err != nil || len(h.salt) < minSaltLen || len(h.salt) > maxSaltLen {
		return phc{}, errPHC
	}
	if h.key, err = b64.DecodeString(strings.TrimRight(parts[5], "=")); err != nil || len(h.key) < minKeyLen || len(h.key) > maxKeyLen {
		return phc{}, errPHC
	}
	return h, nil
}

// RandomPassword returns a password for a generated account (120 random bits, URL-safe).
func RandomPassword() (string, error) {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: no randomness for a password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
