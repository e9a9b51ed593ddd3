package queue

// heap is a binary min-heap of items that know their own position, so that any item can be
// removed or re-ordered in O(log n).
type heap[T any] struct {
	items []T
	less  func(a, b T) bool
	setAt func(x T, i int) // records x's index; -1 when removed
}

func (h *heap[T]) Len() int { return len(h.items) }

func (h *heap[T]) Peek() (T, bool) {
	if len(h.items) == 0 {
		var zero T
		return zero, false
	}
	return h.items[0], true
}

func (h *heap[T]) Push(x T) {
	h.items = append(h.items, x)
	i := len(h.items) - 1
	h.setAt(x, i)
	h.up(i)
}

func (h *heap[T]) Pop() T {
	x := h.items[0]
	h.Remove(0)
	return x
}

// Remove takes out the item at index i.
func (h *heap[T]) Remove(i int) {
	n := len(h.items) - 1
	x := h.items[i]
	if i != n {
		h.swap(i, n)
	}
	var zero T
	h.items[n] = zero
	h.items = h.items[:n]
	h.setAt(x, -1)
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
}

func (h *heap[T]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.setAt(h.items[i], i)
	h.setAt(h.items[j], j)
}

func (h *heap[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h.items[i], h.items[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *heap[T]) down(i int) bool {
	start := i
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(h.items[r], h.items[l]) {
			m = r
		}
		if !h.less(h.items[m], h.items[i]) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}
