// Command wordfreq prints the most frequent words of its standard input.
package main

import (
	"flag"
	"fmt"
	"os"

	"example.com/wordfreq/freq"
)

func main() {
	n := flag.Int("n", 10, "how many words to print")
	flag.Parse()
	top, err := freq.Top(os.Stdin, *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wordfreq:", err)
		os.Exit(1)
	}
	for _, c := range top {
		fmt.Printf("%7d %s\n", c.N, c.Word)
	}
}
