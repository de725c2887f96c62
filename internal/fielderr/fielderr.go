// Package fielderr lets a package that owns a settings struct (store.Options,
// cmpp.LinkConfig, webhook.Config) report each invalid value by the Go
// field holding it, so that a caller translating its own configuration
// into those settings (package config) can name its own key instead:
// one owner per check, one message per problem.
package fielderr

import (
	"errors"
	"fmt"
)

// Error is one invalid setting.
type Error struct {
	// Owner names the settings type, e.g. "cmpp: LinkConfig".
	Owner string
	// Field is the Go field name, e.g. "SPID".
	Field string
	// Err says what is wrong with the value.
	Err error
	// Kind, when not nil, is a sentinel the error also matches with
	// errors.Is (e.g. store.ErrInvalid); it is not part of the message.
	Kind error
}

// Error implements error: "<Owner>.<Field>: <Err>".
func (e *Error) Error() string { return e.Owner + "." + e.Field + ": " + e.Err.Error() }

// Unwrap returns Err and Kind.
func (e *Error) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Kind}
}

// List collects the problems of one settings value.
type List struct {
	owner string
	wrap  error
	errs  []error
}

// NewList starts a List for owner; wrap, when not nil, is wrapped by every
// error added (e.g. store.ErrInvalid).
func NewList(owner string, wrap error) *List { return &List{owner: owner, wrap: wrap} }

// Addf records that field is invalid.
func (l *List) Addf(field, format string, args ...any) {
	l.errs = append(l.errs, &Error{Owner: l.owner, Field: field, Err: fmt.Errorf(format, args...), Kind: l.wrap})
}

// Err returns every recorded problem joined (errors.Join), or nil.
func (l *List) Err() error { return errors.Join(l.errs...) }

// Split flattens the errors.Join tree of err into its leaves (an *Error
// is a leaf).
func Split(err error) []error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*Error); ok {
		return []error{err}
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Split(e)...)
		}
		return out
	}
	return []error{err}
}
