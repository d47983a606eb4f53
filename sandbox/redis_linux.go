package sandbox

import "syscall"

// childProcAttr puts redis-server in a process group of its own, and has
// the kernel stop it when the sandbox dies without closing it (SIGKILL).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
