package cmppserver

import (
	"context"
	"sync"
)

// back is the server's state for storing SUBMITs and delivering reports
// (owner: submit.go, batch.go, msgid.go, pump.go, control.go).
type back struct {
	m   backMetrics
	ids *msgIDAlloc

	// ctx is startBackend's: it stops the pumps, the wake-up subscription
	// and the sampler; the batcher stops when stopBackend closes queue.
	ctx context.Context

	// qmu guards queue against a send after close: onSubmit sends under
	// the read lock, stopBackend closes under the write lock.
	qmu     sync.RWMutex
	queue   chan *submitItem
	stopped bool
	// batcher is the group commit's goroutines (dispatcher and commits);
	// control the QUERY and CANCEL ones (added to under qmu's read lock
	// while not stopped).
	batcher, control sync.WaitGroup

	mu sync.Mutex
	// pumps by account, while the account has links on this replica;
	// pumpsStopped refuses new ones once stopBackend waits for loops.
	pumps        map[string]*pump
	pumpsStopped bool
	// cancel stops the loops (stopBackend, after the last SUBMIT).
	cancel context.CancelFunc
	// loops are the pumps', the subscriber's and the sampler's goroutines.
	loops sync.WaitGroup
	// hardStop is closed when stopBackend gives up waiting: SUBMITs of
	// unknown outcome stop being settled.
	hardStop chan struct{}
}
