// Package chaos is the project's own chaos suite: the real `empowerbot run`
// binary, built once per test run, against a real redis-server and the
// local Slack emulator, all on loopback, every process started and stopped
// by PID. Each test breaks something the way Slack or Redis really fail
// (a SIGKILL under load, Slack answering 5xx, 429 or slowly, Redis going
// away) and checks PRODUCT.md's promises from the outside: nothing
// confirmed is lost, nothing happens twice, every envelope is acknowledged
// within Slack's 3 s. Each test prints one FIGURES line.
//
// The shared harness is in harness_test.go: NewWorld (emulator, Redis,
// policy), World.StartBot / Bot.Kill / Bot.Stop, World.Run (a load
// generator of slash commands at a rate), Tally and Figures.Report.
package chaos
