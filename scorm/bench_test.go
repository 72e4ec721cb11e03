package scorm_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/yrkesresan/lrs/scorm"
	"github.com/yrkesresan/lrs/scorm/scormtest"
)

// BenchmarkImport imports a package of LRS_BENCH_SCORM_MIB MiB (default 200) of stored media
// into a fresh SQLite store each time: check (every entry decompressed and hashed), then store
// (every file streamed into the blob store, synced). It reports the package's MB/s and the
// process's peak resident memory, which must not grow with the package (the zip is read from its
// file, never held in memory).
//
//	go test ./scorm -run '^$' -bench Import -benchtime 3x
func BenchmarkImport(b *testing.B) {
	mib := 200
	if s := os.Getenv("LRS_BENCH_SCORM_MIB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		mib = n
	}
	path := filepath.Join(b.TempDir(), "course.zip")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := scormtest.WriteLargeCourse(f, mib); err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	b.SetBytes(st.Size())
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, scorm.Limits{})
		zf, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := e.svc.ImportFile(context.Background(), zf, st.Size(), nil); err != nil {
			b.Fatal(err)
		}
		zf.Close()
	}
	b.ReportMetric(peakRSS(b), "peak-RSS-MiB")
}

// peakRSS is the process's peak resident set (VmHWM), in MiB.
func peakRSS(b *testing.B) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
