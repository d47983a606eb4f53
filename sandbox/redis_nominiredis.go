//go:build !miniredis

package sandbox

// startMiniredis: this binary has no in-memory Redis (build with -tags
// miniredis to have one); miniredis and its Lua interpreter weigh 2 MB.
func startMiniredis() (memRedis, error) { return nil, errNoRedisServer }
