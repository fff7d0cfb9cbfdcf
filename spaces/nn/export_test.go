package nn

// Internals for the external tests of this package (nn_test).

// SetFastPath switches the fast formulations on or off and returns a func
// that restores the previous setting.
func SetFastPath(on bool) (restore func()) {
	old := fastVJP
	fastVJP = on
	return func() { fastVJP = old }
}

// MatMulFast is the custom-gradient matrix product of fastpath.go.
var MatMulFast = matMul
