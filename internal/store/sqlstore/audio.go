package sqlstore

import (
	"crypto/sha256"
	"encoding/hex"
)

// audioID names stored audio by its content, so that storing the same prompt twice is one row.
func audioID(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}
