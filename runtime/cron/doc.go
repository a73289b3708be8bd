// Package cron parses classic five-field cron expressions and runs jobs on
// them.
//
// # Expressions
//
// An expression has five fields separated by blanks:
//
//	minute        0-59
//	hour          0-23
//	day-of-month  1-31
//	month         1-12 or JAN-DEC
//	day-of-week   0-7 or SUN-SAT (0 and 7 are both Sunday)
//
// Each field is a comma-separated list of items. An item is
//
//   - every value of the field
//     N         one value
//     N-M       an inclusive range (N <= M; ranges do not wrap)
//     */S       every S-th value starting at the field's minimum
//     N-M/S     every S-th value of the range, starting at N
//     N/S       every S-th value from N to the field's maximum
//
// Names (JAN-DEC, SUN-SAT, case-insensitive) may stand wherever a number may
// in their field, including in ranges (MON-FRI). The macros @yearly
// (@annually), @monthly, @weekly, @daily (@midnight) and @hourly are accepted
// too.
//
// Day-of-month and day-of-week follow crontab(5): if both fields are
// restricted (neither begins with "*"), a day matches when EITHER matches
// ("0 0 1,15 * MON" runs on the 1st, the 15th and every Monday); if either
// begins with "*" a day must match both ("0 0 */2 * MON" runs on Mondays that
// are odd days of the month). Parse rejects a day-of-month list that can never
// occur in the chosen months, such as "0 0 30 2 *".
//
// # Time zones and daylight saving
//
// [Schedule.Next] works on wall-clock time in the location of its argument. A
// wall-clock time skipped by a daylight-saving change runs when the gap ends
// (a 02:30 job runs at 03:00 on a spring-forward night, and several times
// inside one gap collapse into that one run); a wall-clock time that occurs
// twice (fall-back) runs once, at its first occurrence.
//
// # Scheduler
//
// A [Scheduler] runs a set of [Job]s, each at the instants its schedule
// names. It never runs a job while the same job (same ID) is still running:
// that firing is skipped and logged. [Scheduler.Set] replaces the whole job set
// atomically, which is how plugin hot reload swaps a generation's jobs. Time
// comes from a [Clock]; package crontest provides a manual one so tests can
// drive the scheduler without sleeping.
//
// # Several replicas
//
// When several processes run the same job set (host replicas), [Claimed]
// wraps a job's Run so that only the replica that gets the slot from a
// [Claims] runs it; the others return at once or wait for the holder (the
// PostgreSQL implementation, package pgcluster, waits so it can take over
// a slot whose holder died). runtime.Config.CronClaims does this for every
// [[cron]] entry.
package cron
