package registry

import (
	"errors"
	"strings"
)

// InvalidError is a refused change: every problem names its field with
// the JSON/YAML key relative to the item ("secret: required",
// "limits.max_requests_per_sec: must not be negative"). It matches
// ErrInvalid with errors.Is.
type InvalidError struct {
	// Problems are the field errors, "key: message" each.
	Problems []error
}

// Error joins the problems: "registry: invalid: secret: required; …".
func (e *InvalidError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return ErrInvalid.Error() + ": " + strings.Join(msgs, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the problems.
func (e *InvalidError) Unwrap() []error { return e.Problems }

// invalid returns an *InvalidError of the leaves of errs (nil when there
// are none).
func invalid(errs ...error) error {
	var leaves []error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		leaves = append(leaves, err)
	}
	for _, e := range errs {
		walk(e)
	}
	if len(leaves) == 0 {
		return nil
	}
	return &InvalidError{Problems: leaves}
}

// invalidf is invalid of one "key: message" problem.
func invalidf(key, msg string) error {
	return &InvalidError{Problems: []error{errors.New(key + ": " + msg)}}
}

// setErrors returns the problems CheckSet found about the item called
// name of list, in the item's own terms.
func setErrors(errs []*SetError, list, name string) []error {
	var out []error
	for _, e := range errs {
		if e.List == list && e.Name == name {
			out = append(out, errors.New(e.Relative()))
		}
	}
	return out
}
