//go:build !unix

package regular

// nonBlock is none here: the file is still checked once opened.
const nonBlock = 0
