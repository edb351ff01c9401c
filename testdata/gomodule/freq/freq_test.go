package freq

import (
	"reflect"
	"strings"
	"testing"
)

func TestTop(t *testing.T) {
	tests := []struct {
		text string
		n    int
		want []Count
	}{
		{"a b a", 5, []Count{{"a", 2}, {"b", 1}}},
		{"The the THE, cat. Cat!", 1, []Count{{"the", 3}}},
		{"", 3, []Count{}},
		{"b a", -1, []Count{{"a", 1}, {"b", 1}}},
	}
	for _, tt := range tests {
		got, err := Top(strings.NewReader(tt.text), tt.n)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Top(%q, %d) = %v, %v; want %v", tt.text, tt.n, got, err, tt.want)
		}
	}
}

func BenchmarkTop(b *testing.B) {
	text := strings.Repeat("the quick brown fox jumps over the lazy dog ", 1000)
	for i := 0; i < b.N; i++ {
		if _, err := Top(strings.NewReader(text), 3); err != nil {
			b.Fatal(err)
		}
	}
}
