package fileblob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/fileblob"
)

func open(t *testing.T, dir string) *fileblob.Store {
	t.Helper()
	s, err := fileblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sumOf(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// names lists a directory's entries, marking directories with a trailing slash.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name()+"/")
		} else {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestOpenCreatesLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	var want []string
	for i := range 256 {
		want = append(want, fmt.Sprintf("%02x/", i))
	}
	want = append(want, "tmp/")
	for range 2 { // and opens it again as it is
		open(t, dir)
		if got := names(t, dir); !slices.Equal(got, want) {
			t.Fatalf("%s holds %v, want %v", dir, got, want)
		}
	}
	// Only the parent of the store directory is synced, so it must exist already.
	if _, err := fileblob.Open(filepath.Join(t.TempDir(), "missing", "blobs")); err == nil {
		t.Error("Open created the missing parent of the store directory")
	}
}

func TestOpenRemovesLeftovers(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "blobs")
	content := []byte("kept")
	if err := open(t, dir).PutBlob(ctx, sumOf(content), bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tmp", "put-123"), []byte("half a bl"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir)
	if got := names(t, filepath.Join(dir, "tmp")); len(got) != 0 {
		t.Errorf("tmp holds %v after Open", got)
	}
	r, err := s.Blob(ctx, sumOf(content))
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}

func TestPutBlobFiles(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "blobs")
	s := open(t, dir)
	content := []byte("a blob")
	sum := sumOf(content)
	for range 2 {
		if err := s.PutBlob(ctx, sum, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := os.ReadFile(filepath.Join(dir, sum[:2], sum)); err != nil || !bytes.Equal(got, content) {
		t.Errorf("file %s/%s: %q, %v; want %q", sum[:2], sum, got, err, content)
	}
	r, err := s.Blob(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, content) {
		t.Errorf("Blob: %q, %v; want %q", got, err, content)
	}
	if err := s.PutBlob(ctx, sumOf([]byte("other")), strings.NewReader("not other")); !errors.Is(err, lrs.ErrBadRequest) {
		t.Errorf("PutBlob of bytes that do not hash to the name: %v, want ErrBadRequest", err)
	}
	if got := names(t, filepath.Join(dir, "tmp")); len(got) != 0 {
		t.Errorf("tmp holds %v after the puts", got)
	}
}

// A name that is not a lower-case hex SHA-256 never reaches the file system: it could name a
// file outside the store.
func TestBadNames(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := open(t, filepath.Join(root, "blobs"))
	victim := filepath.Join(root, "victim")
	if err := os.WriteFile(victim, []byte("not a blob"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sumOf([]byte("x"))
	escape := strings.Repeat("./", 27) + "/../victim" // 64 characters; blobs/./<escape> is victim
	for _, name := range []string{escape, strings.ToUpper(sum), sum[:63], sum + "0", ""} {
		if err := s.PutBlob(ctx, name, strings.NewReader("x")); !errors.Is(err, lrs.ErrBadRequest) {
			t.Errorf("PutBlob(%q): %v, want ErrBadRequest", name, err)
		}
		r, err := s.Blob(ctx, name)
		if err == nil {
			r.Close()
		}
		if !errors.Is(err, lrs.ErrNotFound) {
			t.Errorf("Blob(%q): %v, want ErrNotFound", name, err)
		}
		if err := s.DeleteBlob(ctx, name); err != nil {
			t.Errorf("DeleteBlob(%q): %v", name, err)
		}
	}
	if got, err := os.ReadFile(victim); err != nil || string(got) != "not a blob" {
		t.Errorf("the file outside the store: %q, %v", got, err)
	}
}
