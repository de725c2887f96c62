package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// hashKeyCommand prints the SHA-256 of an API key, the value a tenant's
// key_sha256 setting holds (keys are never stored in clear). A key that
// starts with '-' follows "--": smsbridge hash-key -- -key.
func hashKeyCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("hash-key")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) == "" {
		return errors.New("usage: smsbridge hash-key <api-key>")
	}
	sum := sha256.Sum256([]byte(fs.Arg(0)))
	_, err := fmt.Fprintln(stdout, hex.EncodeToString(sum[:]))
	return err
}
