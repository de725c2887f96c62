package webhook

// SetBatchSize changes the most events leased per store call (see
// Config.BatchSize), from the next lease on; n <= 0 selects
// DefaultBatchSize. The gateway keeps it at least the largest BatchMax of
// its tenants as they change at runtime, since a batch holds events of
// one lease. Safe for concurrent use.
func (d *Dispatcher) SetBatchSize(n int) {
	if n <= 0 {
		n = DefaultBatchSize
	}
	d.batchSize.Store(int64(n))
}

// BatchSize returns the current lease size (see SetBatchSize).
func (d *Dispatcher) BatchSize() int { return int(d.batchSize.Load()) }
