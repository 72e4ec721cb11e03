package scorm_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"archive/zip"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/sqlite"
	"github.com/yrkesresan/lrs/scorm"
	"github.com/yrkesresan/lrs/scorm/scormtest"
)

// env is a SCORM service on a real SQLite store in a temporary directory.
type env struct {
	svc   *scorm.Service
	store lrs.Store
	lrs   *lrs.Service
	dir   string
}

func newEnv(t testing.TB, lim scorm.Limits) *env {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "lrs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := lrs.NewService(store, lrs.Options{})
	s, err := scorm.New(context.Background(), store, svc, scorm.Config{
		BaseURL: "https://lrs.example", SpoolDir: filepath.Join(dir, "spool"), Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: s, store: store, lrs: svc, dir: dir}
}

func (e *env) importZip(t *testing.T, b []byte) (scorm.ImportResult, error) {
	t.Helper()
	return e.svc.Import(context.Background(), bytes.NewReader(b), nil)
}

// blobs counts the blob files stored.
func (e *env) blobs(t *testing.T) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(e.dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, string(filepath.Separator)+"tmp"+string(filepath.Separator)) {
			n++
		}
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return n
}

var golf12 = scormtest.Course{Identifier: "com.example.golf12", Title: "Golf 1.2", Version: "1.2",
	SCOs: []scormtest.SCO{{ID: "I1", Title: "Playing"}}}

var multi2004 = scormtest.Course{Identifier: "com.example.multi", Title: "Multi 2004", Version: "2004 4th Edition", Flow: true,
	SCOs: []scormtest.SCO{{ID: "A", Title: "Part A"}, {ID: "B", Title: "Part B"}, {ID: "C", Title: "Reading", Asset: true}}}

func TestImportValid(t *testing.T) {
	e := newEnv(t, scorm.Limits{})
	t.Run("SCORM 1.2 single SCO", func(t *testing.T) {
		res, err := e.importZip(t, golf12.Zip(t))
		if err != nil {
			t.Fatal(err)
		}
		pv := res.Version
		if !res.Created || res.Package.ID != "com.example.golf12" || pv.Version != 1 || pv.Manifest.Version != scorm.SCORM12 {
			t.Fatalf("got %+v, version %+v", res.Package, pv)
		}
		if pv.CourseIRI != "https://lrs.example/scorm/courses/com.example.golf12" || pv.SCOIRI("I1") != pv.CourseIRI+"/sco/I1" {
			t.Errorf("IRIs: %s %s", pv.CourseIRI, pv.SCOIRI("I1"))
		}
		it, _ := pv.Item("I1")
		if !it.SCO || it.Launch != "sco-I1/index.html" || it.Title != "Playing" {
			t.Errorf("item: %+v", it)
		}
		if f := pv.Files["sco-I1/index.html"]; f.Type != "text/html; charset=utf-8" || f.Size == 0 || len(f.SHA256) != 64 {
			t.Errorf("file: %+v", f)
		}
	})
	t.Run("SCORM 2004 multi-SCO with an asset", func(t *testing.T) {
		res, err := e.importZip(t, multi2004.Zip(t))
		if err != nil {
			t.Fatal(err)
		}
		m := res.Version.Manifest
		if m.Version != scorm.SCORM2004Ed4 || len(m.Items) != 3 || !m.Controls.Flow || !m.Controls.Choice {
			t.Fatalf("manifest: %+v", m)
		}
		if c, _ := res.Version.Item("C"); c.SCO {
			t.Error("the asset is taken for a SCO")
		}
	})
	t.Run("the same zip again is the same version", func(t *testing.T) {
		res, err := e.importZip(t, golf12.Zip(t))
		if err != nil || res.Created || res.Version.Version != 1 {
			t.Fatalf("created %v version %d err %v", res.Created, res.Version.Version, err)
		}
	})
	t.Run("a changed zip with the same identifier is a new version", func(t *testing.T) {
		c := golf12
		c.Title = "Golf 1.2, revised"
		res, err := e.importZip(t, c.Zip(t))
		if err != nil || !res.Created || res.Version.Version != 2 || res.Package.ID != "com.example.golf12" {
			t.Fatalf("created %v version %+v err %v", res.Created, res.Version, err)
		}
		_, latest, err := e.svc.Package(context.Background(), "com.example.golf12", 0)
		if err != nil || latest.Version != 2 || latest.Manifest.Title != "Golf 1.2, revised" {
			t.Fatalf("latest %+v %v", latest, err)
		}
		_, first, err := e.svc.Package(context.Background(), "com.example.golf12", 1)
		if err != nil || first.Manifest.Title != "Golf 1.2" {
			t.Fatalf("version 1 %+v %v", first, err)
		}
	})
	t.Run("identifiers with the same slug get distinct packages", func(t *testing.T) {
		c := golf12
		c.Identifier = "COM example golf12"
		c.Title = "another course"
		res, err := e.importZip(t, c.Zip(t))
		if err != nil || res.Package.ID == "com.example.golf12" || res.Version.Version != 1 {
			t.Fatalf("%+v %v", res.Package, err)
		}
	})
}

// refused imports a zip that must be refused and returns the problems' text.
func refused(t *testing.T, e *env, b []byte) string {
	t.Helper()
	before := e.blobs(t)
	_, err := e.importZip(t, b)
	var pe *scorm.ProblemsError
	if !errors.As(err, &pe) || !errors.Is(err, lrs.ErrBadRequest) {
		t.Fatalf("want a refusal with problems, got %v", err)
	}
	if after := e.blobs(t); after != before {
		t.Errorf("a refused package stored %d blobs", after-before)
	}
	var lines []string
	for _, p := range pe.Problems {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}

func manifestWith(old, new string) scormtest.Entry {
	return scormtest.Entry{Name: "imsmanifest.xml", Body: []byte(strings.Replace(golf12.Manifest(), old, new, 1))}
}

func withManifest(m scormtest.Entry) []byte {
	es := golf12.Entries()
	es[0] = m
	return scormtest.Zip(&testing.T{}, es...)
}

func TestImportRefused(t *testing.T) {
	e := newEnv(t, scorm.Limits{MaxFiles: 8, MaxFileBytes: 4 << 20, MaxTotalBytes: 6 << 20, MaxRatio: 50})
	page := []byte(scormtest.SCOPage("x"))
	base := golf12.Entries()
	cases := []struct {
		name string
		zip  []byte
		want []string // substrings of the problems
	}{
		{"not a zip", []byte("this is not a zip file"), []string{"not a readable zip"}},
		{"absolute path", scormtest.Zip(t, append(base, scormtest.Entry{Name: "/etc/passwd", Body: page})...), []string{"/etc/passwd: absolute paths"}},
		{"drive letter", scormtest.Zip(t, append(base, scormtest.Entry{Name: "C:/x.html", Body: page})...), []string{"absolute paths"}},
		{"dot-dot path", scormtest.Zip(t, append(base, scormtest.Entry{Name: "a/../../evil.html", Body: page})...), []string{"a/../../evil.html: paths with .."}},
		{"symlink", scormtest.Zip(t, append(base, scormtest.Entry{Name: "link", Body: []byte("/etc/passwd"), Mode: fs.ModeSymlink | 0o777})...), []string{"link: symbolic links"}},
		{"backslashes", scormtest.Zip(t, append(base, scormtest.Entry{Name: `dir\x.html`, Body: page})...), []string{"backslashes"}},
		{"encrypted", scormtest.Zip(t, append(base, scormtest.Entry{Name: "secret.html", Body: page, Flags: 1, Method: zip.Store})...), []string{"secret.html: the file is encrypted"}},
		{"too many files", scormtest.Zip(t, append(base, manyFiles(10)...)...), []string{"entries; at most 8"}},
		{"file too large", scormtest.Zip(t, append(base, scormtest.Entry{Name: "big.bin", Body: random(5 << 20), Method: zip.Store})...), []string{"big.bin: the file is 5.0 MiB uncompressed; at most 4.0 MiB"}},
		{"total too large", scormtest.Zip(t, append(base, scormtest.Entry{Name: "a.bin", Body: random(3 << 20), Method: zip.Store}, scormtest.Entry{Name: "b.bin", Body: random(3 << 20), Method: zip.Store})...), []string{"add up to"}},
		{"zip bomb ratio", scormtest.Zip(t, append(base, scormtest.Entry{Name: "zeros.bin", Body: make([]byte, 3<<20)})...), []string{"zeros.bin: the file compresses", "zip bomb"}},
		{"duplicate path", scormtest.Zip(t, append(base, scormtest.Entry{Name: "sco-I1/./index.html", Body: page})...), []string{"holds this path twice"}},
		{"no manifest", scormtest.Zip(t, scormtest.Entry{Name: "index.html", Body: page}), []string{"imsmanifest.xml: missing"}},
		{"manifest in a folder", scormtest.Zip(t, scormtest.Entry{Name: "course/imsmanifest.xml", Body: []byte(golf12.Manifest())}), []string{"zip the contents of course/, not the folder"}},
		{"malformed XML", withManifest(scormtest.Entry{Name: "imsmanifest.xml", Body: []byte("<manifest><organizations>")}), []string{"not well-formed XML"}},
		{"no default organization", withManifest(manifestWith(`default="ORG"`, ``)), []string{"default attribute is missing"}},
		{"default names nothing", withManifest(manifestWith(`default="ORG"`, `default="NOPE"`)), []string{`default "NOPE" names no <organization>`}},
		{"unresolved identifierref", withManifest(manifestWith(`identifierref="RES-I1"`, `identifierref="RES-X"`)), []string{`item[I1]: identifierref "RES-X" names no resource`}},
		{"launch file missing", withManifest(manifestWith(`href="sco-I1/index.html">`, `href="sco-I1/start.html">`)), []string{`href "sco-I1/start.html": the package has no file sco-I1/start.html`}},
		{"leaf without resource", withManifest(manifestWith(` identifierref="RES-I1"`, ``)), []string{"a leaf item must reference a resource"}},
		{"no items", withManifest(manifestWith(`<item identifier="I1" identifierref="RES-I1"><title>Playing</title></item>`, ``)), []string{"has no items"}},
		{"duplicate identifiers", withManifest(manifestWith(`<organization identifier="ORG">`, `<organization identifier="RES-I1">`)), []string{`identifier "RES-I1" is already used`}},
		{"unknown version", withManifest(manifestWith(`<schemaversion>1.2</schemaversion>`, `<schemaversion>1.3</schemaversion>`)), []string{`unknown SCORM version "1.3"`}},
		{"external launch URL", withManifest(manifestWith(`href="sco-I1/index.html">`, `href="https://cdn.example/x.html">`)), []string{"absolute URLs are not supported"}},
		{"href leaving the package", withManifest(manifestWith(`href="sco-I1/index.html">`, `href="../x.html">`)), []string{"does not name a file inside the package"}},
		{"bad scormtype", withManifest(manifestWith(`adlcp:scormtype="sco"`, `adlcp:scormtype="lesson"`)), []string{`adlcp:scormtype is "lesson"`}},
		{"bad mastery score", withManifest(manifestWith(`<title>Playing</title>`, `<title>Playing</title><adlcp:masteryscore>120</adlcp:masteryscore>`)), []string{`"120" is not a number from 0 to 100`}},
		{"several problems at once", scormtest.Zip(t, scormtest.Entry{Name: "../up.html", Body: page}, manifestWith(`identifierref="RES-I1"`, `identifierref="RES-X"`)),
			[]string{"paths with ..", `identifierref "RES-X" names no resource`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := refused(t, e, c.zip)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems lack %q:\n%s", w, got)
				}
			}
		})
	}
	ids, err := e.svc.Packages(context.Background())
	if err != nil || len(ids) != 0 {
		t.Errorf("refused packages left records: %v %v", ids, err)
	}
}

func TestImportUploadLimit(t *testing.T) {
	e := newEnv(t, scorm.Limits{MaxUploadBytes: 1 << 10})
	_, err := e.importZip(t, golf12.Zip(t)[:0:0])
	if err == nil {
		t.Fatal("an empty upload was accepted")
	}
	big := scormtest.Zip(t, append(golf12.Entries(), scormtest.Entry{Name: "x.bin", Body: random(4 << 10), Method: zip.Store})...)
	if _, err := e.importZip(t, big); !errors.Is(err, scorm.ErrTooLarge) {
		t.Fatalf("want ErrTooLarge, got %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(e.dir, "spool"))
	if len(entries) != 0 {
		t.Errorf("the spooled upload was left behind: %v", entries)
	}
}

func manyFiles(n int) []scormtest.Entry {
	var es []scormtest.Entry
	for i := range n {
		es = append(es, scormtest.Entry{Name: "f" + strings.Repeat("x", i) + ".txt", Body: []byte("x")})
	}
	return es
}

// random returns incompressible bytes (deterministic).
func random(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// The entry count and the central directory's size are checked from the end-of-central-directory
// records before archive/zip reads every entry into memory.
func TestImportRefusesHugeCentralDirectory(t *testing.T) {
	e := newEnv(t, scorm.Limits{MaxFiles: 8})
	valid := golf12.Zip(t)
	eocd := len(valid) - 22 // the writer adds no comment
	if binary.LittleEndian.Uint32(valid[eocd:]) != 0x06054b50 {
		t.Fatal("no end record where expected")
	}
	patch := func(f func(rec []byte)) []byte {
		b := bytes.Clone(valid)
		f(b[eocd:])
		return b
	}
	// zip64: a zip64 end record and its locator before a classic record that defers to them.
	zip64 := func(entries, size uint64) []byte {
		rec := valid[eocd:]
		b := bytes.Clone(valid[:eocd])
		at := uint64(len(b))
		r64 := make([]byte, 56)
		binary.LittleEndian.PutUint32(r64, 0x06064b50)
		binary.LittleEndian.PutUint64(r64[4:], 44)
		binary.LittleEndian.PutUint16(r64[12:], 45)
		binary.LittleEndian.PutUint64(r64[24:], entries)
		binary.LittleEndian.PutUint64(r64[32:], entries)
		binary.LittleEndian.PutUint64(r64[40:], size)
		binary.LittleEndian.PutUint64(r64[48:], uint64(binary.LittleEndian.Uint32(rec[16:])))
		loc := make([]byte, 20)
		binary.LittleEndian.PutUint32(loc, 0x07064b50)
		binary.LittleEndian.PutUint64(loc[8:], at)
		binary.LittleEndian.PutUint32(loc[16:], 1)
		end := bytes.Clone(rec)
		binary.LittleEndian.PutUint16(end[8:], 0xffff)
		binary.LittleEndian.PutUint16(end[10:], 0xffff)
		binary.LittleEndian.PutUint32(end[12:], 0xffffffff)
		binary.LittleEndian.PutUint32(end[16:], 0xffffffff)
		return append(append(append(b, r64...), loc...), end...)
	}
	for _, c := range []struct {
		name string
		zip  []byte
		want string
	}{
		{"entry count", patch(func(r []byte) {
			binary.LittleEndian.PutUint16(r[8:], 1000)
			binary.LittleEndian.PutUint16(r[10:], 1000)
		}), "the zip has 1000 entries; at most 8"},
		{"directory size", patch(func(r []byte) { binary.LittleEndian.PutUint32(r[12:], 100<<20) }), "central directory"},
		{"zip64 entry count", zip64(1_000_000_000, 1<<10), "the zip has 1000000000 entries"},
		{"zip64 directory size", zip64(3, 1<<40), "central directory"},
		// The count in the record understates the entries (archive/zip compares only 16 bits):
		// the headers themselves are counted.
		{"understated count", func() []byte {
			b := scormtest.Zip(t, append(golf12.Entries(), manyFiles(10)...)...)
			binary.LittleEndian.PutUint16(b[len(b)-22+8:], 3)
			binary.LittleEndian.PutUint16(b[len(b)-22+10:], 3)
			return b
		}(), "more than 8 entries"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.importZip(t, c.zip)
			var pe *scorm.ProblemsError
			if !errors.As(err, &pe) || !errors.Is(err, lrs.ErrBadRequest) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a refusal with %q", err, c.want)
			}
		})
	}
	if _, err := e.importZip(t, valid); err != nil {
		t.Errorf("the unpatched zip: %v", err)
	}
}
