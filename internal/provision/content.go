package provision

import (
	"crypto/sha256"
	"encoding/hex"
)

// contentID is the id the store gives audio: its content hash.
func contentID(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
