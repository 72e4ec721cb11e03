package validate

import "strings"

// irregularTags are the grandfathered tags of RFC 5646 section 2.2.8 that do not fit the langtag
// production. (The "regular" grandfathered tags, such as zh-min-nan, already do.)
var irregularTags = [...]string{
	"en-GB-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon", "i-lux",
	"i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu", "sgn-BE-FR", "sgn-BE-NL", "sgn-CH-DE",
}

// The stages of a language tag, in the order its subtags may appear.
const (
	stLanguage  = iota // a 2-3 letter language; extended language subtags may follow
	stExtlang          // a 4-8 letter language, which takes no extended language subtags
	stScript           // 4 letters
	stRegion           // 2 letters or 3 digits
	stVariant          // 5-8 characters, or a digit and 3 characters
	stSingleton        // an extension singleton, which needs at least one subtag
	stExtension        // inside an extension
)

// isLanguageTag reports whether s is a well-formed RFC 5646 language tag (section 2.1): subtag
// kinds, lengths and order are checked case-insensitively, but not the registry, so "zz-ZZ"
// passes. Data 2.2.s4.b2 asks for at least the token lengths.
func isLanguageTag(s string) bool { return isLangtag(s) || isIrregularTag(s) }

func isIrregularTag(s string) bool {
	for _, t := range irregularTags {
		if strings.EqualFold(s, t) {
			return true
		}
	}
	return false
}

// isLangtag checks s against the langtag and privateuse productions.
func isLangtag(s string) bool {
	if strings.HasSuffix(s, "-") {
		return false // splitting below would not see the empty last subtag
	}
	first, rest, _ := strings.Cut(s, "-")
	if first == "x" || first == "X" {
		return isPrivateUse(rest)
	}
	if len(first) < 2 || len(first) > 8 || !allAlpha(first) {
		return false
	}
	t := tagScanner{stage: stLanguage}
	if len(first) > 3 {
		t.stage = stExtlang
	}
	for rest != "" {
		var sub string
		sub, rest, _ = strings.Cut(rest, "-")
		if sub == "x" || sub == "X" {
			return t.stage != stSingleton && isPrivateUse(rest)
		}
		if !t.next(sub) {
			return false
		}
	}
	return t.stage != stSingleton
}

// tagScanner follows the subtags after the language.
type tagScanner struct {
	stage    int
	extlangs int // at most three extended language subtags
}

// next accepts sub if it may follow what has been read so far.
func (t *tagScanner) next(sub string) bool {
	n := len(sub)
	if n == 0 || n > 8 || !allAlnum(sub) {
		return false
	}
	switch {
	case t.stage == stSingleton || t.stage == stExtension:
		if n == 1 {
			return t.to(stSingleton)
		}
		return t.to(stExtension)
	case n == 1:
		return t.to(stSingleton)
	case t.stage == stLanguage && n == 3 && allAlpha(sub) && t.extlangs < 3:
		t.extlangs++
		return true
	case t.stage <= stExtlang && n == 4 && allAlpha(sub):
		return t.to(stScript)
	case t.stage <= stScript && (n == 2 && allAlpha(sub) || n == 3 && allDigit(sub)):
		return t.to(stRegion)
	case n >= 5 || n == 4 && isDigit(sub[0]):
		return t.to(stVariant)
	}
	return false
}

// to moves to stage, refusing to start a new extension while the last one has no subtag.
func (t *tagScanner) to(stage int) bool {
	if t.stage == stSingleton && stage == stSingleton {
		return false
	}
	t.stage = stage
	return true
}

// isPrivateUse checks what follows an "x" singleton: one or more subtags of 1-8 letters or digits.
func isPrivateUse(s string) bool {
	if s == "" {
		return false
	}
	for s != "" {
		var sub string
		sub, s, _ = strings.Cut(s, "-")
		if sub == "" || len(sub) > 8 || !allAlnum(sub) {
			return false
		}
	}
	return true
}

func allAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) {
			return false
		}
	}
	return true
}

func allDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func allAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}
