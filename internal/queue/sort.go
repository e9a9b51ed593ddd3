package queue

import "sort"

func sortEntries(es []Entry) {
	sort.Slice(es, func(i, j int) bool {
		if !es[i].EnqueuedAt.Equal(es[j].EnqueuedAt) {
			return es[i].EnqueuedAt.Before(es[j].EnqueuedAt)
		}
		return es[i].Call < es[j].Call
	})
}
