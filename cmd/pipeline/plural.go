package main

import "fmt"

// plural renders a count and a noun, adding "s" unless n is 1:
// "1 container", "0 containers", "2 partial artifact files".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
