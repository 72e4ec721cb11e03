package lrs

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

func TestNegotiateVersion(t *testing.T) {
	cases := map[string]string{
		"1.0": Version103, "1.0.0": Version103, "1.0.2": Version103, "1.0.3": Version103, "1.0.9": Version103,
		"2.0": Version200, "2.0.0": Version200, "2.0.1": Version200,
		"": "", "1.1.0": "", "0.95": "", "1.0.x": "", "1.0.": "", "3.0.0": "", "2.1.0": "",
	}
	for header, want := range cases {
		got, err := NegotiateVersion(header)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("NegotiateVersion(%q) = %q, %v; want %q", header, got, err, want)
		}
		if err != nil && !errors.Is(err, ErrBadRequest) {
			t.Errorf("NegotiateVersion(%q) error %v is not a bad request", header, err)
		}
	}
}

func TestAgentKey(t *testing.T) {
	cases := []struct {
		a, b string
		same bool
	}{
		{`{"mbox":"mailto:a@Example.COM","name":"A"}`, `{"mbox":"mailto:a@example.com","name":"B","objectType":"Agent"}`, true},
		{`{"mbox":"mailto:A@example.com"}`, `{"mbox":"mailto:a@example.com"}`, false},
		{`{"mbox_sha1sum":"ABCDEF0123456789ABCDEF0123456789ABCDEF01"}`, `{"mbox_sha1sum":"abcdef0123456789abcdef0123456789abcdef01"}`, true},
		{`{"account":{"homePage":"https://a.se","name":"x|y"}}`, `{"account":{"homePage":"https://a.se|x","name":"y"}}`, false},
		{`{"account":{"homePage":"https://a.se","name":"x"}}`, `{"objectType":"Group","account":{"name":"x","homePage":"https://a.se"}}`, true},
		{`{"openid":"https://id.example/a"}`, `{"mbox":"https://id.example/a"}`, false},
	}
	for _, c := range cases {
		ka, _ := AgentKey(decode(t, c.a))
		kb, _ := AgentKey(decode(t, c.b))
		if (ka == kb) != c.same {
			t.Errorf("AgentKey(%s)=%q, AgentKey(%s)=%q; same=%v", c.a, ka, c.b, kb, c.same)
		}
	}
	if _, ok := AgentKey(decode(t, `{"objectType":"Group","member":[{"mbox":"mailto:a@b.c"}]}`)); ok {
		t.Error("anonymous group has a key")
	}
}

func TestKeys(t *testing.T) {
	st := decode(t, `{
	  "actor":{"objectType":"Group","mbox":"mailto:team@x.se","member":[{"mbox":"mailto:m@x.se"}]},
	  "verb":{"id":"http://v/done"},
	  "object":{"objectType":"SubStatement","actor":{"mbox":"mailto:sub@x.se"},"verb":{"id":"http://v/sub"},
	            "object":{"id":"http://act/sub"}},
	  "context":{"registration":"AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA","instructor":{"mbox":"mailto:i@x.se"},
	             "contextActivities":{"parent":[{"id":"http://act/parent"}]}},
	  "authority":{"mbox":"mailto:auth@x.se"}
	}`)
	got := Keys(st)
	want := []Key{
		{KeyAgent, "mbox:mailto:team@x.se"}, {KeyRelatedAgent, "mbox:mailto:team@x.se"},
		{KeyAgent, "mbox:mailto:m@x.se"}, {KeyRelatedAgent, "mbox:mailto:m@x.se"},
		{KeyVerb, "http://v/done"},
		{KeyRelatedAgent, "mbox:mailto:sub@x.se"}, {KeyRelatedActivity, "http://act/sub"},
		{KeyRegistration, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"},
		{KeyRelatedAgent, "mbox:mailto:i@x.se"}, {KeyRelatedActivity, "http://act/parent"},
		{KeyRelatedAgent, "mbox:mailto:auth@x.se"}, {KeyAuthority, "mbox:mailto:auth@x.se"},
	}
	for _, k := range want {
		if !slices.Contains(got, k) {
			t.Errorf("missing %v", k)
		}
	}
	for _, k := range got {
		if !slices.Contains(want, k) {
			t.Errorf("unexpected %v (sub-statement verbs and activities are not direct matches)", k)
		}
	}
}

func TestEquivalent(t *testing.T) {
	cases := []struct {
		name string
		a, b string
		same bool
	}{
		{"property order", `{"actor":{"mbox":"mailto:a@x.se"},"verb":{"id":"http://v"}}`, `{"verb":{"id":"http://v"},"actor":{"mbox":"mailto:a@x.se"}}`, true},
		{"lrs-set properties", `{"verb":{"id":"http://v"},"stored":"2020-01-01T00:00:00Z","version":"1.0.0","authority":{"mbox":"mailto:x@y.z"}}`, `{"verb":{"id":"http://v"}}`, true},
		{"timestamp absent on one side", `{"verb":{"id":"http://v"},"timestamp":"2020-01-01T00:00:00Z"}`, `{"verb":{"id":"http://v"}}`, true},
		{"timestamp zones", `{"timestamp":"2020-01-01T02:00:00.5+02:00"}`, `{"timestamp":"2020-01-01T00:00:00.500Z"}`, true},
		{"timestamp beyond ms", `{"timestamp":"2020-01-01T00:00:00.5001Z"}`, `{"timestamp":"2020-01-01T00:00:00.5009Z"}`, true},
		{"timestamp differs", `{"timestamp":"2020-01-01T00:00:00.501Z"}`, `{"timestamp":"2020-01-01T00:00:00.500Z"}`, false},
		{"numbers by value", `{"result":{"score":{"raw":1.0}}}`, `{"result":{"score":{"raw":1}}}`, true},
		{"numbers differ", `{"result":{"score":{"raw":1.5}}}`, `{"result":{"score":{"raw":1}}}`, false},
		{"duration to 0.01 s", `{"result":{"duration":"PT1.239S"}}`, `{"result":{"duration":"PT1.23S"}}`, true},
		{"duration is a string otherwise", `{"result":{"duration":"PT60S"}}`, `{"result":{"duration":"PT1M"}}`, false},
		{"verb display", `{"verb":{"id":"http://v","display":{"en":"x"}}}`, `{"verb":{"id":"http://v"}}`, true},
		{"activity definition", `{"object":{"id":"http://a","definition":{"name":{"en":"x"}}}}`, `{"object":{"objectType":"Activity","id":"http://a"}}`, true},
		{"extra property", `{"verb":{"id":"http://v"},"result":{"success":true}}`, `{"verb":{"id":"http://v"}}`, false},
		{"registration case", `{"context":{"registration":"AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA"}}`, `{"context":{"registration":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}`, true},
		{"member order", `{"actor":{"objectType":"Group","member":[{"mbox":"mailto:a@x"},{"mbox":"mailto:b@x"}]}}`, `{"actor":{"objectType":"Group","member":[{"mbox":"mailto:b@x"},{"mbox":"mailto:a@x"}]}}`, true},
		{"members differ", `{"actor":{"objectType":"Group","member":[{"mbox":"mailto:a@x"}]}}`, `{"actor":{"objectType":"Group","member":[{"mbox":"mailto:b@x"}]}}`, false},
		{"sub-statement", `{"object":{"objectType":"SubStatement","verb":{"id":"http://v","display":{"en":"x"}}}}`, `{"object":{"objectType":"SubStatement","verb":{"id":"http://v"}}}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Equivalent(decode(t, c.a), decode(t, c.b)); got != c.same {
				t.Errorf("Equivalent = %v, want %v", got, c.same)
			}
			if got := Equivalent(decode(t, c.b), decode(t, c.a)); got != c.same {
				t.Errorf("Equivalent reversed = %v, want %v", got, c.same)
			}
		})
	}
}

func TestFormatIDs(t *testing.T) {
	st := decode(t, `{"actor":{"objectType":"Group","name":"G","member":[{"name":"M","mbox":"mailto:m@x.se"}]},
	  "verb":{"id":"http://v","display":{"en":"v"}},
	  "object":{"id":"http://a","definition":{"name":{"en":"a"}}},
	  "context":{"instructor":{"name":"I","account":{"homePage":"https://h","name":"i"}},
	             "contextActivities":{"parent":[{"id":"http://p","definition":{}}]}}}`)
	formatIDs(st)
	want := decode(t, `{"actor":{"objectType":"Group","member":[{"objectType":"Agent","mbox":"mailto:m@x.se"}]},
	  "verb":{"id":"http://v"},
	  "object":{"id":"http://a"},
	  "context":{"instructor":{"objectType":"Agent","account":{"homePage":"https://h","name":"i"}},
	             "contextActivities":{"parent":[{"id":"http://p"}]}}}`)
	if !deepEqual(st, want) {
		got, _ := json.Marshal(st)
		t.Errorf("got %s", got)
	}
}

func TestBestLanguage(t *testing.T) {
	tags := []string{"en-GB", "en-US", "sv-SE", "und"}
	cases := []struct {
		header string
		want   string
	}{
		{"sv-SE", "sv-SE"},
		{"sv", "sv-SE"},
		{"fi, en-US;q=0.8", "en-US"},
		{"en-us", "en-US"},
		{"fi", "und"},
		{"en-US;q=0.1, sv-SE;q=0.9", "sv-SE"},
		{"", "und"},
	}
	for _, c := range cases {
		if got := bestLanguage(tags, ParseAcceptLanguage(c.header)); got != c.want {
			t.Errorf("Accept-Language %q: got %s, want %s", c.header, got, c.want)
		}
	}
}

func TestScopes(t *testing.T) {
	cases := []struct {
		have []Scope
		want Scope
		ok   bool
	}{
		{[]Scope{ScopeAll}, ScopeStatementsWrite, true},
		{[]Scope{ScopeAllRead}, ScopeStatementsRead, true},
		{[]Scope{ScopeAllRead}, ScopeStatementsWrite, false},
		{[]Scope{ScopeStatementsRead}, ScopeStatementsReadMine, true},
		{[]Scope{ScopeStatementsReadMine}, ScopeStatementsRead, false},
		{[]Scope{ScopeStatementsWrite}, ScopeStatementsRead, false},
		{nil, ScopeStatementsRead, false},
	}
	for _, c := range cases {
		if got := (Client{Scopes: c.have}).Allows(c.want); got != c.ok {
			t.Errorf("%v allows %s = %v, want %v", c.have, c.want, got, c.ok)
		}
	}
	if _, err := ParseScope("statements/delete"); err == nil {
		t.Error("unknown scope parsed")
	}
}

func TestSecrets(t *testing.T) {
	hash, err := HashSecret("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !VerifySecret(hash, "s3cret") || VerifySecret(hash, "s3cret ") || VerifySecret("plain", "plain") {
		t.Error("VerifySecret accepts or rejects the wrong secret")
	}
	again, _ := HashSecret("s3cret")
	if again == hash {
		t.Error("hashes are not salted")
	}
}
