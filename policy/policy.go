// Package policy reads the organisation's policy file (PRODUCT.md "The
// policy") into a *domain.Policy: its YAML syntax, its defaults and every
// rule a valid policy obeys. Every problem is reported at once, with the
// line it is on.
//
// It owns the file format only; the policy's nouns are in package domain and
// the meaning of a schedule spec in package cronspec. It must not import
// slack-go, go-redis or the deployment environment (package config).
package policy

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/empowerbot/empowerbot/domain"
)

// Problem is one thing wrong in a policy file, at a 1-based line (0 when
// the problem has no line, such as an unreadable file).
type Problem struct {
	Line    int
	Message string
}

// Error lists every problem found in a policy file.
type Error struct {
	Filename string
	Problems []Problem
}

// Error prints one "file:line: message" per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Line > 0 {
			lines[i] = fmt.Sprintf("%s:%d: %s", e.Filename, p.Line, p.Message)
		} else {
			lines[i] = fmt.Sprintf("%s: %s", e.Filename, p.Message)
		}
	}
	return strings.Join(lines, "\n")
}

// Load reads and validates the policy file at path. A file that is read but
// invalid gives an *Error.
func Load(path string) (*domain.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	return Parse(data, path)
}

// Check validates the policy file at path and prints its warnings and
// "ok", or every problem, one per line, to w. It returns the error it
// printed; warnings alone are no error.
func Check(path string, w io.Writer) error {
	pol, err := Load(path)
	if err != nil {
		fmt.Fprintln(w, err)
		return err
	}
	for _, warning := range pol.Warnings {
		fmt.Fprintln(w, warning)
	}
	fmt.Fprintln(w, "ok")
	return nil
}

// Parse decodes and validates a policy file's content; filename is used in
// the messages. Every problem is collected and returned at once in an
// *Error, sorted by line.
func Parse(data []byte, filename string) (*domain.Policy, error) {
	p := &parser{}
	pol := p.parse(data)
	if len(p.problems) > 0 {
		sortByLine(p.problems)
		return nil, &Error{Filename: filename, Problems: p.problems}
	}
	sortByLine(p.warnings)
	for _, w := range p.warnings {
		pol.Warnings = append(pol.Warnings, fmt.Sprintf("%s:%d: %s", filename, w.Line, w.Message))
	}
	return pol, nil
}

func sortByLine(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
}
