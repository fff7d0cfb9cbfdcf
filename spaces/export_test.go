package spaces

// Unregister removes a registration a test made, so that the other tests
// see the built-in spaces only.
func Unregister(name string) {
	mu.Lock()
	defer mu.Unlock()
	delete(defs, name)
}
