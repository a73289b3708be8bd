package events_test

import (
	"context"
	"fmt"

	"github.com/raisfast/wasmplug/runtime/services/events"
)

func Example() {
	bus := events.New(events.Options{})
	got := make(chan events.Event, 1)
	sub, _ := bus.Subscribe("post.*", func(e events.Event) { got <- e })
	defer sub.Unsubscribe()

	id := bus.EmitEvent(context.Background(), "com.example.seo", "post.indexed", `{"slug":"hello"}`)
	e := <-got
	fmt.Println(e.ID == id, e.Source, e.Type, e.Data)
	bus.Close()
	// Output: true com.example.seo post.indexed {"slug":"hello"}
}
