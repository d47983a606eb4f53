// Package buildinfo says which build of empowerbot is running: its version,
// the VCS commit it was built from and the Go version, from the binary's own
// build information (runtime/debug), so that `empowerbot version`, the
// start-up log line and the empowerbot_build_info metric agree.
package buildinfo

import (
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
)

// version is set at build time with
// -ldflags "-X github.com/empowerbot/empowerbot/buildinfo.version=v1.2.3"
// (the Makefile and the Dockerfile do); without it the module version or
// the VCS stamp is used.
var version = ""

// commit may be set the same way where the build has no VCS checkout (the
// Docker build context leaves .git out): -X …/buildinfo.commit=$(git rev-parse HEAD).
var commit = ""

// Info describes the running build.
type Info struct {
	// Version is the release ("v1.2.3"), or "dev" for a build without one.
	Version string
	// Commit is the VCS revision the binary was built from ("" when not
	// stamped); Modified is set when the checkout had local changes.
	Commit   string
	Modified bool
	// Time is the commit's time (RFC 3339, "" when not stamped).
	Time string
	// GoVersion is the toolchain that built it ("go1.26.8").
	GoVersion string
}

var (
	once sync.Once
	info Info
)

// Get returns the running build's information.
func Get() Info {
	once.Do(func() { info = read(version) })
	return info
}

func read(ldVersion string) Info {
	i := Info{Version: ldVersion, Commit: commit}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		i.GoVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				i.Commit = s.Value
			case "vcs.time":
				i.Time = s.Value
			case "vcs.modified":
				i.Modified = s.Value == "true"
			}
		}
		if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			i.Version = bi.Main.Version
		}
	}
	if i.Version == "" {
		i.Version = "dev"
	}
	return i
}

// ShortCommit is the commit's first 12 characters, with "-dirty" when the
// checkout had local changes; "" when not stamped.
func (i Info) ShortCommit() string {
	c := i.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	if c != "" && i.Modified {
		c += "-dirty"
	}
	return c
}

// String is one line: "empowerbot v1.2.3 (commit 0123456789ab, 2026-12-01T10:00:00Z, go1.26.8)".
func (i Info) String() string {
	var parts []string
	if c := i.ShortCommit(); c != "" {
		parts = append(parts, "commit "+c)
	}
	if i.Time != "" {
		parts = append(parts, i.Time)
	}
	if i.GoVersion != "" {
		parts = append(parts, i.GoVersion)
	}
	s := "empowerbot " + i.Version
	if len(parts) > 0 {
		s += fmt.Sprintf(" (%s)", strings.Join(parts, ", "))
	}
	return s
}
