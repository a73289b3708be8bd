package main

import (
	"strings"
	"sync"

	"github.com/raisfast/wasmplug/runtime/services/events"
)

// eventLog keeps the most recent events of the bus (emit-event) for
// GET /api/events: a ring of fixed size.
type eventLog struct {
	mu   sync.Mutex
	ring []events.Event
	next int
	full bool
}

func newEventLog(n int) *eventLog { return &eventLog{ring: make([]events.Event, n)} }

func (l *eventLog) add(ev events.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring[l.next] = ev
	l.next = (l.next + 1) % len(l.ring)
	if l.next == 0 {
		l.full = true
	}
}

// list returns the kept events, oldest first, filtered by type (exact, or a
// "prefix.*" pattern) and source plugin when not empty.
func (l *eventLog) list(typ, source string) []events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var all []events.Event
	if l.full {
		all = append(all, l.ring[l.next:]...)
	}
	all = append(all, l.ring[:l.next]...)
	out := []events.Event{}
	for _, ev := range all {
		if source != "" && ev.Source != source {
			continue
		}
		if typ != "" && typ != "*" {
			if p, ok := strings.CutSuffix(typ, "*"); ok {
				if !strings.HasPrefix(ev.Type, p) {
					continue
				}
			} else if ev.Type != typ {
				continue
			}
		}
		out = append(out, ev)
	}
	return out
}
