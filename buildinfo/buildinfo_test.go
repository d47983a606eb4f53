package buildinfo

import (
	"runtime"
	"strings"
	"testing"
)

func TestInfoComesFromTheBinary(t *testing.T) {
	i := read("")
	if i.Version == "" {
		t.Error("no version")
	}
	if i.GoVersion != runtime.Version() {
		t.Errorf("GoVersion = %q, want %q", i.GoVersion, runtime.Version())
	}
	if got := read("v9.9.9").Version; got != "v9.9.9" {
		t.Errorf("the -X version is not used: %q", got)
	}
	s := Info{Version: "v1.2.3", Commit: "0123456789abcdef", Modified: true, GoVersion: "go1.26.8"}.String()
	if want := "empowerbot v1.2.3 (commit 0123456789ab-dirty, go1.26.8)"; s != want {
		t.Errorf("String = %q, want %q", s, want)
	}
	if !strings.HasPrefix(Get().String(), "empowerbot ") {
		t.Errorf("Get().String() = %q", Get().String())
	}
}
