//go:build !unix

package sysmem

// AddressSpaceLimit is 0, unknown: this system has no RLIMIT_AS.
func AddressSpaceLimit() int64 { return 0 }
