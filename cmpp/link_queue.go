package cmpp

// waitQueue is the FIFO of windowed requests waiting for a window slot
// (Link.waiting, guarded by Link.mu). Slots are handed out in arrival
// order by whoever frees one, so a waiting caller is woken once, with its
// result, instead of once for the slot and again for the response.
type waitQueue struct {
	items []*pending
	head  int // items[head:] are waiting
}

// len returns the number of waiting requests.
func (q *waitQueue) len() int { return len(q.items) - q.head }

// push appends p at the tail.
func (q *waitQueue) push(p *pending) {
	if q.head > 0 && q.head >= len(q.items)/2 {
		// Compact so the slice does not grow while the queue stays busy.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, p)
}

// pop removes and returns the head; the queue must not be empty.
func (q *waitQueue) pop() *pending {
	p := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return p
}

// remove takes p out of the queue, keeping the order of the others. It
// reports whether p was waiting.
func (q *waitQueue) remove(p *pending) bool {
	for i := q.head; i < len(q.items); i++ {
		if q.items[i] == p {
			copy(q.items[i:], q.items[i+1:])
			q.items[len(q.items)-1] = nil
			q.items = q.items[:len(q.items)-1]
			if q.head == len(q.items) {
				q.items, q.head = q.items[:0], 0
			}
			return true
		}
	}
	return false
}

// drain empties the queue and returns what was waiting, in order.
func (q *waitQueue) drain() []*pending {
	out := append([]*pending(nil), q.items[q.head:]...)
	clear(q.items)
	q.items, q.head = q.items[:0], 0
	return out
}
