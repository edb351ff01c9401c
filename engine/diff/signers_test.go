package diff

import "testing"

// TestAddedSignersWidenedOptions: an allowed_signers entry whose key and
// principals stay but whose restrictions are lifted (an expiry removed or
// moved later, a namespace restriction dropped) lets signatures count that
// did not, so it is reported as a gained signer.
func TestAddedSignersWidenedOptions(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIDdjfxkyOcBx7UEurPG0ijuWuMaOqyuGygkkeA3/1zP"
	base := `carol@example.com valid-before="20200101Z" ` + key + "\n" +
		`dave@example.com namespaces="git" ` + key + "\n"
	for _, tc := range []struct {
		name, head string
		want       int
	}{
		{"unchanged", base, 0},
		{"comment only", base + "# a note\n", 0},
		{"expiry removed", "carol@example.com " + key + "\n" + `dave@example.com namespaces="git" ` + key + "\n", 1},
		{"expiry extended", `carol@example.com valid-before="20300101Z" ` + key + "\n" + `dave@example.com namespaces="git" ` + key + "\n", 1},
		{"expiry shortened", `carol@example.com valid-before="20190101Z" ` + key + "\n" + `dave@example.com namespaces="git" ` + key + "\n", 0},
		{"namespaces dropped", `carol@example.com valid-before="20200101Z" ` + key + "\n" + "dave@example.com " + key + "\n", 1},
	} {
		if got := addedSigners(base, tc.head); len(got) != tc.want {
			t.Errorf("%s: addedSigners = %q; want %d entries", tc.name, got, tc.want)
		}
	}
}
