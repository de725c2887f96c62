// Package logsink is the service's log output: a writer that gathers
// zerolog's lines in memory and writes them in batches, so that a busy
// service does not pay one write system call per log line.
package logsink

import (
	"bytes"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Defaults of a Buffered sink.
const (
	// DefaultFlushInterval is the longest an info or debug line waits in
	// memory before it is written.
	DefaultFlushInterval = 100 * time.Millisecond
	// DefaultBufferSize is the buffered size at which lines are written at
	// once, without waiting for the interval.
	DefaultBufferSize = 32 << 10
)

// Buffered writes log lines to an underlying writer in batches: lines at
// info level and below are kept in memory until DefaultBufferSize bytes
// are waiting or DefaultFlushInterval has passed; a line at warn level or
// above is written at once, after the lines before it, so that what
// explains a failure is on disk before the process can die. Lines keep
// their order. A SIGKILL loses at most the last interval's info lines.
//
// It implements zerolog.LevelWriter. Close writes what is left and stops
// the flushing goroutine; writes after Close go straight through.
type Buffered struct {
	out      io.Writer
	interval time.Duration
	size     int

	mu     sync.Mutex
	buf    bytes.Buffer
	closed bool

	stop chan struct{}
	done chan struct{}
}

// NewBuffered returns a sink writing to out, with a goroutine that
// flushes every DefaultFlushInterval until Close.
func NewBuffered(out io.Writer) *Buffered {
	return newBuffered(out, DefaultFlushInterval, DefaultBufferSize)
}

func newBuffered(out io.Writer, interval time.Duration, size int) *Buffered {
	b := &Buffered{out: out, interval: interval, size: size,
		stop: make(chan struct{}), done: make(chan struct{})}
	b.buf.Grow(size)
	go b.flushLoop()
	return b
}

// Write buffers p (one log line) as an info line.
func (b *Buffered) Write(p []byte) (int, error) {
	return b.WriteLevel(zerolog.InfoLevel, p)
}

// WriteLevel buffers p, or writes it at once (after the buffered lines)
// when level is warn or above, when the buffer is full, or after Close.
func (b *Buffered) WriteLevel(level zerolog.Level, p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	urgent := level >= zerolog.WarnLevel && level != zerolog.NoLevel
	if !b.closed && !urgent && b.buf.Len()+len(p) <= b.size {
		b.buf.Write(p)
		return len(p), nil
	}
	if err := b.flushLocked(); err != nil {
		return 0, err
	}
	return b.out.Write(p)
}

// Flush writes the buffered lines now.
func (b *Buffered) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *Buffered) flushLocked() error {
	if b.buf.Len() == 0 {
		return nil
	}
	_, err := b.out.Write(b.buf.Bytes())
	b.buf.Reset()
	return err
}

// Close writes the buffered lines and stops the flushing goroutine. It is
// safe to call more than once.
func (b *Buffered) Close() error {
	b.mu.Lock()
	already := b.closed
	b.closed = true
	err := b.flushLocked()
	b.mu.Unlock()
	if !already {
		close(b.stop)
	}
	<-b.done
	return err
}

func (b *Buffered) flushLoop() {
	defer close(b.done)
	t := time.NewTicker(b.interval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			_ = b.Flush()
		}
	}
}
