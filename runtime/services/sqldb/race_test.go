//go:build race

package sqldb

// raceEnabled: the race detector slows SQLite (Go code) down many times,
// past what the function budget is calibrated for.
const raceEnabled = true
