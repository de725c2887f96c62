package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// hashKeyCommand prints the SHA-256 of an API key, the value a tenant's
// key_sha256 setting holds (keys are never stored in clear).
func hashKeyCommand(args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" {
		return errors.New("usage: smsbridge hash-key <api-key>")
	}
	sum := sha256.Sum256([]byte(args[0]))
	_, err := fmt.Fprintln(stdout, hex.EncodeToString(sum[:]))
	return err
}
