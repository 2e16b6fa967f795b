// Package proc tunes the remotectl process: its garbage collector for a
// fan-out to thousands of hosts (TuneMemory) and the profiles asked for in
// the environment (StartProfiles). Only main calls it.
package proc
