package cmpp_test

import (
	"context"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// Frames queued while the writer holds its buffer share one socket write,
// and a held frame still goes out once FlushDelay has passed.
func TestLinkFlushDelayCoalescesFrames(t *testing.T) {
	const n = 5
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, LinkSetup: func(c *cmpp.LinkConfig) {
		c.FlushDelay = 2 * time.Second
	}})
	if err != nil {
		t.Fatal(err)
	}
	before := l.Stats()
	chs := make([]<-chan submitOutcome, n)
	for i := range chs {
		chs[i] = asyncSubmit(context.Background(), l, testSubmit("13800138000"))
	}
	for range n {
		h, _ := p.readCmd(cmpp.CmdSubmit)
		p.write(h.SequenceID, &cmpp.SubmitResp{MsgID: cmpp.MsgID(h.SequenceID), Result: 0})
	}
	for _, ch := range chs {
		if o := outcome(t, ch); o.err != nil {
			t.Fatalf("Submit: %v", o.err)
		}
	}
	after := l.Stats()
	if frames := after.FramesWritten - before.FramesWritten; frames != n {
		t.Fatalf("frames written %d, want %d", frames, n)
	}
	// Five submits queued within 2 s of each other: one write, or two if a
	// goroutine started after the delay ran out.
	if flushes := after.Flushes - before.Flushes; flushes < 1 || flushes > 2 {
		t.Fatalf("%d socket writes for %d frames queued together, want 1 (2 at worst)", flushes, n)
	}
}

// With the window full no request can join the buffer, so the writer does
// not wait: a FlushDelay of an hour must not hold the frames.
func TestLinkFlushDelayWritesAtOnceWhenWindowFull(t *testing.T) {
	const window = 3
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, LinkSetup: func(c *cmpp.LinkConfig) {
		c.Window = window
		c.FlushDelay = time.Hour
	}})
	if err != nil {
		t.Fatal(err)
	}
	chs := make([]<-chan submitOutcome, window)
	for i := range chs {
		chs[i] = asyncSubmit(context.Background(), l, testSubmit("13800138000"))
	}
	for range window {
		h, _ := p.readCmd(cmpp.CmdSubmit) // fails the test after testWait
		p.write(h.SequenceID, &cmpp.SubmitResp{MsgID: cmpp.MsgID(h.SequenceID), Result: 0})
	}
	for _, ch := range chs {
		if o := outcome(t, ch); o.err != nil {
			t.Fatalf("Submit: %v", o.err)
		}
	}
}

// A negative FlushDelay writes each frame as soon as the queues are empty;
// a lone frame under the default delay still goes out.
func TestLinkFlushDelayLoneFrame(t *testing.T) {
	for _, delay := range []time.Duration{-1, 0} {
		l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, LinkSetup: func(c *cmpp.LinkConfig) {
			c.FlushDelay = delay
		}})
		if err != nil {
			t.Fatal(err)
		}
		ch := asyncSubmit(context.Background(), l, testSubmit("13800138000"))
		h, _ := p.readCmd(cmpp.CmdSubmit)
		p.write(h.SequenceID, &cmpp.SubmitResp{MsgID: 7, Result: 0})
		if o := outcome(t, ch); o.err != nil || o.resp.MsgID != 7 {
			t.Fatalf("FlushDelay %v: Submit = %+v, %v", delay, o.resp, o.err)
		}
	}
}

// Once Close has begun nothing more can join the buffer: the TERMINATE
// goes out at once, however long FlushDelay is.
func TestLinkFlushDelayNotHeldWhileClosing(t *testing.T) {
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, LinkSetup: func(c *cmpp.LinkConfig) {
		c.FlushDelay = time.Hour
	}})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- l.Close(context.Background()) }()
	h, _ := p.readCmd(cmpp.CmdTerminate) // fails the test after testWait
	p.write(h.SequenceID, &cmpp.TerminateResp{})
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
}
