// Package levenshtein measures how far apart two words are, for the "did
// you mean" suggestions of the subcommand table (package command) and of the
// box's activities (package box).
//
// It is pure: it imports only the standard library.
package levenshtein

// Distance is the Levenshtein distance between a and b in runes: the fewest
// single-rune insertions, deletions and substitutions that turn a into b.
// It is case-sensitive; callers lower-case words they compare loosely.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
