package apptest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// BuildBinary builds the empowerbot binary from pkg (a path to
// cmd/empowerbot relative to the test's package, e.g. "../cmd/empowerbot")
// into a new temporary directory, for a TestMain. It returns the binary's
// path and a function that removes the directory; the build's output goes
// to standard error.
func BuildBinary(pkg string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "empowerbot-bin")
	if err != nil {
		return "", nil, fmt.Errorf("build empowerbot: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	bin := filepath.Join(dir, "empowerbot")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go") //nolint:staticcheck // the toolchain running the tests
	}
	build := exec.Command(goTool, "build", "-o", bin, pkg)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("build empowerbot: %w", err)
	}
	return bin, cleanup, nil
}
