package password

import "testing"

func BenchmarkHash(b *testing.B) {
	h := newHasher(b, Options{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := newHasher(b, Options{})
	enc, _ := h.Hash("correct horse battery staple")
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, _ := h.Verify("correct horse battery staple", enc); !ok {
			b.Fatal("no match")
		}
	}
}

// Should match BenchmarkVerify: that is the point of DummyVerify.
func BenchmarkDummyVerify(b *testing.B) {
	h := newHasher(b, Options{})
	b.ReportAllocs()
	for b.Loop() {
		h.DummyVerify("correct horse battery staple")
	}
}
