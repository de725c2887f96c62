package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/fielderr"
)

// Options.Validate is the one check of the store's settings: New panics
// on exactly what it refuses, so a caller holding outside input (the
// configuration) validates first instead of crashing.
func TestOptionsValidate(t *testing.T) {
	if err := (Options{}).Validate(); err != nil {
		t.Fatalf("zero options (all defaults): %v", err)
	}
	if err := (Options{Prefix: "短信", MaxSegments: 255}).Validate(); err != nil {
		t.Fatalf("unicode prefix: %v", err)
	}
	for _, tc := range []struct {
		opts  Options
		field string
	}{
		{Options{Prefix: "sb:prod"}, "Prefix"},
		{Options{Prefix: "{sb}"}, "Prefix"},
		{Options{Prefix: "a b"}, "Prefix"},
		{Options{LeaseTTL: -time.Second}, "LeaseTTL"},
		{Options{Retention: -1}, "Retention"},
		{Options{MaxSegments: 256}, "MaxSegments"},
		{Options{MaxRecipients: -1}, "MaxRecipients"},
		{Options{UsageRetention: -time.Hour}, "UsageRetention"},
	} {
		err := tc.opts.Validate()
		var fe *fielderr.Error
		if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v, want a *fielderr.Error for %s matching ErrInvalid", tc.opts, err, tc.field)
		}
	}
	func() {
		defer func() {
			if p := recover(); p == nil || !strings.Contains(p.(error).Error(), "Options.Prefix") {
				t.Errorf("New with a bad prefix: panic %v, want the Validate error", p)
			}
		}()
		New(nil, Options{Prefix: "sb:prod"})
	}()
}
