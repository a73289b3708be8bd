package cron_test

import (
	"fmt"
	"time"

	"github.com/raisfast/wasmplug/runtime/cron"
)

func ExampleParse() {
	s, err := cron.Parse("0 */6 * * *") // the seed's [[cron]] example
	if err != nil {
		panic(err)
	}
	t := time.Date(2024, 2, 28, 20, 15, 0, 0, time.UTC)
	for range 3 {
		t = s.Next(t)
		fmt.Println(t.Format(time.DateTime))
	}
	_, err = cron.Parse("0 0 30 2 *")
	fmt.Println(err)
	// Output:
	// 2024-02-29 00:00:00
	// 2024-02-29 06:00:00
	// 2024-02-29 12:00:00
	// cron expression "0 0 30 2 *": day-of-month field: the chosen days never occur in the chosen months
}
