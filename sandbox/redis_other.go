//go:build !unix

package sandbox

import "syscall"

// childProcAttr: nothing special outside Unix.
func childProcAttr() *syscall.SysProcAttr { return nil }
