package carrier

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/metrics"
)

// Portability reads moved numbers (携号转网). *store.Store implements it
// (store/portability.go): one Redis round trip for all numbers.
type Portability interface {
	// PortabilityGet returns the current carrier of each number, "" for a
	// number without an entry, in the order of numbers.
	PortabilityGet(ctx context.Context, numbers []string) ([]string, error)
}

// Options build a Resolver.
type Options struct {
	// Config is the carriers section (FillDefaults applied, Validate
	// passed).
	Config Config
	// Portability is where moved numbers are read; required when
	// Config.Portability is set, unused otherwise.
	Portability Portability
	// Metrics counts the hook's outcomes (nil: not counted).
	Metrics *metrics.Metrics
	// Logger receives failed-lookup lines (component=carrier is added).
	Logger zerolog.Logger
	// HTTPClient asks the lookup hook (nil: one built for it).
	HTTPClient *http.Client
}

// Resolver tells the carrier of numbers: a moved number's entry (when
// portability is on), else the lookup hook's answer (when lookup_url is
// set), else the number range (the shipped table with carriers.ranges).
// It is safe for concurrent use; it starts no goroutine that outlives a
// call.
type Resolver struct {
	table       *Table
	portability Portability // nil when off
	hook        *hook       // nil without lookup_url
}

// New builds a Resolver.
func New(o Options) (*Resolver, error) {
	if err := o.Config.Validate("carriers"); err != nil {
		return nil, err
	}
	r := &Resolver{table: o.Config.Table()}
	if o.Config.Portability {
		if o.Portability == nil {
			return nil, errors.New("carrier: carriers.portability is on but no portability store was given")
		}
		r.portability = o.Portability
	}
	if o.Config.LookupURL != "" {
		h, err := newHook(o.Config, o.HTTPClient, o.Metrics, o.Logger.With().Str("component", "carrier").Logger())
		if err != nil {
			return nil, err
		}
		r.hook = h
	}
	return r, nil
}

// Carriers returns the carrier code of each number (normalized 11-digit
// numbers, see msisdn.Normalize), in order; Unknown ("") for a number no
// entry, hook answer or range places. It makes one Redis round trip when
// portability is on and none when it is off. A failed hook lookup (timeout,
// error, bad answer) falls back to the range; an error is returned only
// when the portability read fails or ctx ends.
func (r *Resolver) Carriers(ctx context.Context, numbers []string) ([]string, error) {
	out := make([]string, len(numbers))
	if len(numbers) == 0 {
		return out, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var todo []int // numbers without a portability entry
	if r.portability != nil {
		moved, err := r.portability.PortabilityGet(ctx, numbers)
		if err != nil {
			return nil, fmt.Errorf("carrier: portability: %w", err)
		}
		if len(moved) != len(numbers) {
			return nil, fmt.Errorf("carrier: portability answered %d carriers for %d numbers", len(moved), len(numbers))
		}
		for i, c := range moved {
			if Valid(c) {
				out[i] = c
			} else {
				todo = append(todo, i)
			}
		}
	} else {
		todo = make([]int, len(numbers))
		for i := range todo {
			todo[i] = i
		}
	}
	if r.hook != nil && len(todo) > 0 {
		if err := r.hook.resolve(ctx, numbers, todo, out); err != nil {
			return nil, err
		}
	}
	for _, i := range todo {
		if out[i] == Unknown {
			out[i] = r.table.Lookup(numbers[i])
		}
	}
	return out, nil
}

// Range returns the carrier of number by the number range alone (the
// shipped table with carriers.ranges).
func (r *Resolver) Range(number string) string { return r.table.Lookup(number) }

// Close releases the hook's idle connections.
func (r *Resolver) Close() {
	if r.hook != nil {
		r.hook.close()
	}
}
