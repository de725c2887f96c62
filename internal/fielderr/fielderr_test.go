package fielderr

import (
	"errors"
	"fmt"
	"testing"
)

func TestListAndSplit(t *testing.T) {
	sentinel := errors.New("invalid")
	l := NewList("pkg: Options", sentinel)
	if l.Err() != nil {
		t.Fatal("empty list: an error")
	}
	l.Addf("Prefix", "contains %q", ":")
	l.Addf("TTL", "must not be negative")
	err := fmt.Errorf("wrapped: %w", l.Err())
	leaves := Split(err)
	if len(leaves) != 1 {
		t.Fatalf("a wrapped join is one leaf, got %d", len(leaves))
	}
	leaves = Split(l.Err())
	if len(leaves) != 2 {
		t.Fatalf("%d leaves, want 2", len(leaves))
	}
	var fe *Error
	if !errors.As(leaves[0], &fe) || fe.Field != "Prefix" || fe.Err.Error() != `contains ":"` {
		t.Fatalf("first leaf %#v", leaves[0])
	}
	if got := leaves[0].Error(); got != `pkg: Options.Prefix: contains ":"` {
		t.Errorf("message %q", got)
	}
	if !errors.Is(l.Err(), sentinel) || !errors.Is(leaves[1], sentinel) {
		t.Error("the Kind sentinel does not match with errors.Is")
	}
	if Split(nil) != nil {
		t.Error("Split(nil) is not empty")
	}
}
