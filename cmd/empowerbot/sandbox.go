package main

import (
	"context"
	"fmt"
	"io"
)

// runSandbox is `empowerbot sandbox`.
func runSandbox(ctx context.Context, stdout, stderr io.Writer) int {
	_ = ctx
	_ = stdout
	fmt.Fprintln(stderr, "empowerbot: the sandbox is not available in this build yet; use `empowerbot run`")
	return 1
}
