package main

import (
	"context"
	"fmt"
	"io"
)

func runExport(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "empowerbot export: not built yet")
	return 1
}
