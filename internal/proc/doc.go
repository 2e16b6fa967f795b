// Package proc is about the remotectl process itself: its build (Version),
// its garbage collector tuned for a fan-out to thousands of hosts
// (TuneMemory) and the profiles asked for in the environment
// (StartProfiles). Only main calls it.
package proc
