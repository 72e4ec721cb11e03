// Package schemas holds the JSON Schemas the LRS checks incoming documents against. They are
// embedded in the binary so that validation needs no files at run time.
package schemas

import "embed"

//go:embed *.json
var files embed.FS

// Statement returns the JSON Schema (draft-07) of an xAPI statement, a fresh copy on each call.
// It describes structure only; package lrs/validate adds the rules a schema cannot express.
func Statement() []byte { return read("statement.json") }

// Catalog returns the JSON Schema (draft-07) of the Yrkesresan catalog (package progress), a
// fresh copy on each call.
func Catalog() []byte { return read("catalog.json") }

func read(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		// The file is embedded at compile time, so this cannot happen in a built binary.
		panic("schemas: " + name + " not embedded: " + err.Error())
	}
	return b
}
