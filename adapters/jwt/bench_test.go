package jwt

import "testing"

func BenchmarkIssue(b *testing.B) {
	f := newFixture(b)
	c := accessFor("0190f0e4-0000-7000-8000-000000000001", "0190f0e4-0000-7000-8000-000000000002")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.tokens.Issue(b.Context(), c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	tok, _, err := f.tokens.Issue(b.Context(), accessFor("0190f0e4-0000-7000-8000-000000000001", "0190f0e4-0000-7000-8000-000000000002"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.tokens.Verify(b.Context(), tok); err != nil {
			b.Fatal(err)
		}
	}
}
