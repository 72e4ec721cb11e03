package lrs

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
)

// DecodeJSON decodes b, which must hold exactly one JSON value, keeping numbers as json.Number
// (statements are compared and stored with the numbers as sent).
func DecodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	// Decoder.More would let a stray '}' or ']' through: only the end of the input may follow.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// ETag is the entity tag of content: its hex SHA-1 (Communication 3.1), unquoted.
func ETag(content []byte) string {
	sum := sha1.Sum(content)
	return hex.EncodeToString(sum[:])
}

// MediaType is the lower-case type/subtype of a Content-Type, without parameters; "" when it
// cannot be parsed. A malformed parameter does not hide the type.
func MediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return ""
	}
	return mt
}
