package logsink

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// syncBuffer is an io.Writer safe for concurrent use that counts writes.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.buf.Write(p)
}

func (s *syncBuffer) snapshot() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String(), s.writes
}

func TestInfoLinesAreBatchedAndWarnGoesAtOnceInOrder(t *testing.T) {
	out := &syncBuffer{}
	b := newBuffered(out, time.Hour, 1<<20) // no timed flush during the test
	defer b.Close()
	log := zerolog.New(b)
	for i := range 100 {
		log.Info().Int("i", i).Msg("line")
	}
	if got, n := out.snapshot(); n != 0 || got != "" {
		t.Fatalf("info lines written before a flush: %d writes", n)
	}
	log.Warn().Msg("boom")
	got, n := out.snapshot()
	if n != 2 {
		t.Fatalf("writes after a warn line: %d, want 2 (the batch, then the warn line)", n)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 101 || !strings.Contains(lines[0], `"i":0`) || !strings.Contains(lines[99], `"i":99`) ||
		!strings.Contains(lines[100], "boom") {
		t.Fatalf("order lost: %d lines, first %q last %q", len(lines), lines[0], lines[len(lines)-1])
	}
}

func TestFullBufferIsWrittenAtOnce(t *testing.T) {
	out := &syncBuffer{}
	b := newBuffered(out, time.Hour, 256)
	defer b.Close()
	log := zerolog.New(b)
	for i := range 50 {
		log.Info().Int("i", i).Msg("some line of text")
	}
	_, n := out.snapshot()
	if n == 0 || n >= 50 {
		t.Fatalf("writes %d for 50 lines with a 256-byte buffer: want a few batches", n)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	got, _ := out.snapshot()
	if c := strings.Count(got, "\n"); c != 50 {
		t.Fatalf("%d lines after Flush, want 50", c)
	}
}

func TestIntervalFlushWritesWaitingLines(t *testing.T) {
	out := &syncBuffer{}
	b := newBuffered(out, 5*time.Millisecond, 1<<20)
	defer b.Close()
	log := zerolog.New(b)
	log.Info().Msg("waiting")
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := out.snapshot()
		if strings.Contains(got, "waiting") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the interval flush never wrote the line")
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
}

func TestCloseFlushesAndLaterWritesGoThrough(t *testing.T) {
	out := &syncBuffer{}
	b := newBuffered(out, time.Hour, 1<<20)
	log := zerolog.New(b)
	log.Info().Msg("before close")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	log.Info().Msg("after close")
	got, _ := out.snapshot()
	if !strings.Contains(got, "before close") || !strings.Contains(got, "after close") {
		t.Fatalf("output %q", got)
	}
}

func TestConcurrentWritersKeepWholeLines(t *testing.T) {
	out := &syncBuffer{}
	b := newBuffered(out, time.Millisecond, 512)
	log := zerolog.New(b)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				log.Info().Str("w", fmt.Sprint(w)).Int("i", i).Msg("x")
			}
		}()
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := out.snapshot()
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") {
			t.Fatalf("torn line %q", l)
		}
	}
}
