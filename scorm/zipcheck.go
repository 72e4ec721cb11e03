package scorm

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

// zipFiles is the regular files of a zip that passed the structural checks, by clean path.
type zipFiles map[string]*zip.File

// ratioFloor: files smaller than this are not held to the compression ratio (a page of repeated
// markup legitimately compresses far).
const ratioFloor = 1 << 20

var reDrive = regexp.MustCompile(`^[A-Za-z]:`)

// checkZip applies the safety rules to every entry without decompressing anything: safe relative
// paths, no links or special files, no encryption, known compression, and bounded count, sizes
// and compression ratio (zip bombs). It returns the files and every problem found.
func checkZip(zr *zip.Reader, lim Limits) (zipFiles, []Problem) {
	ps := &problems{}
	files := zipFiles{}
	if len(zr.File) > lim.MaxFiles {
		ps.add("", "the zip has %d entries; at most %d are allowed", len(zr.File), lim.MaxFiles)
		return nil, ps.list
	}
	var total uint64
	for _, f := range zr.File {
		name := f.Name
		ps.file = name
		switch {
		case name == "":
			ps.add("", "an entry has an empty name")
			continue
		case strings.Contains(name, `\`):
			ps.add("", "the path uses backslashes; re-create the zip with a tool that writes / separators")
			continue
		case strings.HasPrefix(name, "/") || reDrive.MatchString(name):
			ps.add("", "absolute paths are not allowed in a package")
			continue
		case hasDotDot(name):
			ps.add("", "paths with .. are not allowed in a package")
			continue
		}
		mode := f.Mode()
		if mode.IsDir() {
			continue
		}
		if mode&fs.ModeSymlink != 0 {
			ps.add("", "symbolic links are not allowed in a package")
			continue
		}
		if !mode.IsRegular() {
			ps.add("", "only regular files are allowed in a package (this entry is %s)", mode.Type())
			continue
		}
		if f.Flags&0x1 != 0 {
			ps.add("", "the file is encrypted; packages must not be password-protected")
			continue
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			ps.add("", "compression method %d is not supported; use deflate", f.Method)
			continue
		}
		clean := path.Clean(name)
		if _, dup := files[clean]; dup {
			ps.add("", "the zip holds this path twice")
			continue
		}
		size := f.UncompressedSize64
		if size > uint64(lim.MaxFileBytes) {
			ps.add("", "the file is %s uncompressed; at most %s are allowed per file", mb(size), mb(uint64(lim.MaxFileBytes)))
			continue
		}
		if size > ratioFloor && size/max(f.CompressedSize64, 1) > uint64(lim.MaxRatio) {
			ps.add("", "the file compresses %d:1; more than %d:1 is refused as a possible zip bomb", size/max(f.CompressedSize64, 1), lim.MaxRatio)
			continue
		}
		total += size
		files[clean] = f
	}
	ps.file = ""
	if total > uint64(lim.MaxTotalBytes) {
		ps.add("", "the files add up to %s uncompressed; at most %s are allowed", mb(total), mb(uint64(lim.MaxTotalBytes)))
	}
	return files, ps.list
}

func hasDotDot(name string) bool {
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}

func mb(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// sortedPaths returns the paths in a stable order, so imports report and store deterministically.
func (z zipFiles) sortedPaths() []string {
	ps := make([]string, 0, len(z))
	for p := range z {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// manifestHint explains a missing imsmanifest.xml when the zip holds one in a folder.
func (z zipFiles) manifestHint() string {
	for _, p := range z.sortedPaths() {
		if strings.EqualFold(path.Base(p), ManifestFile) {
			if path.Dir(p) == "." {
				return fmt.Sprintf("found %s; the name must be %s in lower case", p, ManifestFile)
			}
			return fmt.Sprintf("found %s: zip the contents of %s/, not the folder itself", p, path.Dir(p))
		}
	}
	return "a SCORM package must have imsmanifest.xml at the root of the zip"
}

// maxCentralDir bounds a zip's central directory (the list of entries): 20,000 entries with
// paths of a few hundred characters fit well within it.
const maxCentralDir = 8 << 20

// Zip record signatures and sizes (APPNOTE.TXT 4.3).
const (
	sigEOCD         = 0x06054b50
	sigEOCD64       = 0x06064b50
	sigLocator64    = 0x07064b50
	sigCentral      = 0x02014b50
	eocdLen         = 22
	locator64Len    = 20
	eocd64Len       = 56
	centralFixedLen = 46
)

// precheckZip reads the end-of-central-directory record (and the zip64 one when present), then
// walks the central directory's entry headers without keeping them, and refuses the zip when it
// has more than lim.MaxFiles entries or a central directory over maxCentralDir. zip.NewReader
// builds every entry of the directory in memory before checkZip could count them; this bounds
// that. A zip this cannot read is left to zip.NewReader to refuse.
func precheckZip(f io.ReaderAt, size int64, lim Limits) []Problem {
	tail := min(size, eocdLen+0xffff) // the record, and a comment of up to 65,535 bytes
	buf := make([]byte, tail)
	if _, err := f.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return nil
	}
	at := -1
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == sigEOCD {
			at = i
			break
		}
	}
	if at < 0 {
		return nil
	}
	eocdPos := size - tail + int64(at)
	rec := buf[at:]
	entries := uint64(binary.LittleEndian.Uint16(rec[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(rec[12:]))
	dirOff := uint64(binary.LittleEndian.Uint32(rec[16:]))
	if entries == 0xffff || dirSize == 0xffffffff || dirOff == 0xffffffff {
		// zip64: the locator right before the record says where the zip64 record is.
		var loc [locator64Len]byte
		if eocdPos >= locator64Len {
			if _, err := f.ReadAt(loc[:], eocdPos-locator64Len); err == nil && binary.LittleEndian.Uint32(loc[:]) == sigLocator64 {
				var r64 [eocd64Len]byte
				off := binary.LittleEndian.Uint64(loc[8:])
				if off <= uint64(size-eocd64Len) {
					if _, err := f.ReadAt(r64[:], int64(off)); err == nil && binary.LittleEndian.Uint32(r64[:]) == sigEOCD64 {
						entries = binary.LittleEndian.Uint64(r64[32:])
						dirSize = binary.LittleEndian.Uint64(r64[40:])
						dirOff = binary.LittleEndian.Uint64(r64[48:])
					}
				}
			}
		}
	}
	if entries > uint64(lim.MaxFiles) {
		return []Problem{{Reason: fmt.Sprintf("the zip has %d entries; at most %d are allowed", entries, lim.MaxFiles)}}
	}
	if dirSize > maxCentralDir {
		return []Problem{{Reason: fmt.Sprintf("the zip's list of entries (central directory) is %s; at most %s are allowed", mb(dirSize), mb(maxCentralDir))}}
	}
	// The count in the record may be wrong (archive/zip compares only its low 16 bits), so count
	// the headers as archive/zip will read them: from the directory's offset (or where the
	// directory ends at the record, for a zip with data prepended) until a header is not one.
	start := int64(dirOff)
	var sig [4]byte
	if _, err := f.ReadAt(sig[:], start); err != nil || binary.LittleEndian.Uint32(sig[:]) != sigCentral {
		start = eocdPos - int64(dirSize)
	}
	if start < 0 || start > size {
		return nil
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, start, size-start), 64<<10)
	var hdr [centralFixedLen]byte
	var n, read int64
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil || binary.LittleEndian.Uint32(hdr[:]) != sigCentral {
			return nil
		}
		n++
		if n > int64(lim.MaxFiles) {
			return []Problem{{Reason: fmt.Sprintf("the zip has more than %d entries; at most %d are allowed", lim.MaxFiles, lim.MaxFiles)}}
		}
		skip := int64(binary.LittleEndian.Uint16(hdr[28:])) + int64(binary.LittleEndian.Uint16(hdr[30:])) + int64(binary.LittleEndian.Uint16(hdr[32:]))
		read += centralFixedLen + skip
		if read > maxCentralDir {
			return []Problem{{Reason: fmt.Sprintf("the zip's list of entries (central directory) is over %s; at most %s are allowed", mb(maxCentralDir), mb(maxCentralDir))}}
		}
		if _, err := r.Discard(int(skip)); err != nil {
			return nil
		}
	}
}
