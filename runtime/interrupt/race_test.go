//go:build race

package interrupt

// raceEnabled: the race detector is on.
const raceEnabled = true
