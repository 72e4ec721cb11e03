package validate

import "testing"

func TestIsIRI(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"http://example.com/a", true},
		{"https://example.com/a?b=c&d=%C3%A5#frag", true},
		{"urn:uuid:6690e6c9-3ef0-4ed3-8b37-7f3964730bee", true},
		{"mailto:a@example.com", true},
		{"http://exempel.se/läste", true},
		{"tag:example.com,2024:x+y", true},
		{"", false},
		{"example.com/a", false},
		{"/relative/path", false},
		{"ab=c://should.fail.com", false},
		{"1http://example.com", false},
		{"http:", false},
		{"http://example.com/a b", false},
		{"http://example.com/<a>", false},
		{"http://example.com/%zz", false},
		{"http://example.com/%4", false},
		{"http://example.com/a#b#c", false},
		{"http://example.com/\u202e", false},
		{"http://example.com/\x7f", false},
		{"http://example.com/\xff", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := IsIRI(tc.in); got != tc.want {
				t.Fatalf("IsIRI(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestIsUUID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"6690e6c9-3ef0-4ed3-8b37-7f3964730bee", true},
		{"E05AA883-ACAF-40AD-BF54-02C8CE485FB0", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"6690e6c9-3ef0-4ed3-c837-7f3964730bee", true}, // variant bits other than RFC 4122
		{"", false},
		{"6690e6c93ef04ed38b377f3964730bee", false},
		{"{6690e6c9-3ef0-4ed3-8b37-7f3964730bee}", false},
		{"AA97B177-9383-4934-8543-0F91A7A028368", false},
		{"MA97B177-9383-4934-8543-0F91A7A02836", false},
		{"6690e6c9-3ef04-ed3-8b37-7f3964730bee", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := IsUUID(tc.in); got != tc.want {
				t.Fatalf("IsUUID(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestIsLanguageTag(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"en", true},
		{"en-US", true},
		{"EN-us", true},
		{"tlh", true},
		{"zh-Hant-TW", true},
		{"sr-Latn-RS", true},
		{"es-419", true},
		{"de-CH-1996", true},
		{"sl-rozaj-biske", true},
		{"de-DE-u-co-phonebk", true},
		{"en-a-bbb-x-a-ccc", true},
		{"zh-min-nan", true},
		{"zh-yue-HK", true},
		{"x-whatever", true},
		{"qaa-Qaaa-QM-x-southern", true},
		{"en-GB-oed", true},
		{"i-klingon", true},
		{"sgn-BE-FR", true},
		{"english", true}, // well-formed: 5-8 letter language subtags are reserved, not malformed
		{"", false},
		{"a12345678", false},
		{"a12345", false},
		{"e", false},
		{"en_US", false},
		{"en-", false},
		{"-en", false},
		{"en--US", false},
		{"en-US-", false},
		{"abcdefghi", false},
		{"en-a", false},
		{"en-a-b-cc", false},
		{"en-x", false},
		{"x", false},
		{"en-Latn-abc", false},
		{"en-US-Latn", false},
		{"en-abc-def-ghi-jkl", false},
		{"en-123456789", false},
		{"en-US-x-abcdefghi", false},
		{"en-U$", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := isLanguageTag(tc.in); got != tc.want {
				t.Fatalf("isLanguageTag(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestIsDuration(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"PT4H35M59.14S", true},
		{"PT16559.14S", true},
		{"P3Y1M29DT4H35M59.14S", true},
		{"P3Y", true},
		{"P4W", true},
		{"P1.5W", true},
		{"PT1H0M0.1S", true},
		{"P1DT12H", true},
		{"PT0,5S", true},
		{"P1M", true},
		{"PT1M", true},
		{"", false},
		{"P", false},
		{"PT", false},
		{"P1YT", false},
		{"P4W1D", false},
		{"PA1H0M0S", false},
		{"P16559.14S", false},
		{"PT1.5H30M", false},
		{"P1.5YT1H", false},
		{"P1D1Y", false},
		{"P1Y1Y", false},
		{"PT1S1M", false},
		{"P0003-01-29T04:35:59", false},
		{"-PT1S", false},
		{"PT1.S", false},
		{"PT.5S", false},
		{"pt1s", false},
		{"P1H", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := isDuration(tc.in); got != tc.want {
				t.Fatalf("isDuration(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestIsMbox(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"mailto:a@example.com", true},
		{"mailto:first.last+tag@sub.example.co.uk", true},
		{"a@example.com", false},
		{"MAILTO:a@example.com", false},
		{"mailto:", false},
		{"mailto:@example.com", false},
		{"mailto:a@", false},
		{"mailto:a@b@c", false},
		{"mailto:should.fail.com", false},
		{"mailto:a b@example.com", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := isMbox(tc.in); got != tc.want {
				t.Fatalf("isMbox(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestIsSHA1Hex(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"ebd31e95054c018b10727ccffd2ef2ec3a016ee9", true},
		{"EBD31E95054C018B10727CCFFD2EF2EC3A016EE9", true},
		{"ebd31e95054c018b10727ccffd2ef2ec3a016ee", false},
		{"gbd31e95054c018b10727ccffd2ef2ec3a016ee9", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := isSHA1Hex(tc.in); got != tc.want {
				t.Fatalf("isSHA1Hex(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestIsStatementVersion(t *testing.T) {
	tests := []struct {
		in     string
		v1, v2 bool
	}{
		{"1.0", true, true},
		{"1.0.0", true, true},
		{"1.0.9", true, true},
		{"2.0.0", false, true},
		{"2.0", false, true},
		{"1.0.", false, false},
		{"1.1.0", false, false},
		{"0.9.9", false, false},
		{"should fail", false, false},
		{"", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := isStatementVersion(tc.in, false); got != tc.v1 {
				t.Errorf("under 1.0.3: %v, want %v", got, tc.v1)
			}
			if got := isStatementVersion(tc.in, true); got != tc.v2 {
				t.Errorf("under 2.0.0: %v, want %v", got, tc.v2)
			}
		})
	}
}
