package httpapi_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/yrkesresan/lrs/scorm/scormtest"
)

// BenchmarkContentRange serves byte ranges of a 64 MiB video from a package, over real HTTP,
// as a browser's media element asks for them while the learner seeks: the session token checked,
// the file looked up, the blob opened and positioned (http.ServeContent), the range sent.
//
//	go test ./scorm/httpapi -run '^$' -bench ContentRange -benchtime 5s
func BenchmarkContentRange(b *testing.B) {
	const video = 64 << 20
	s := newServer(b, options{})
	course := course12
	course.Extra = []scormtest.Entry{{Name: "media/lecture.mp4", Body: random(video)}}
	launch, _ := register(b, s, course)
	player := open(b, launch)
	for _, size := range []int{256 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.RunParallel(func(pb *testing.PB) {
				client := &http.Client{}
				for pb.Next() {
					start := rand.IntN(video - size)
					req, _ := http.NewRequest("GET", player+"content/media/lecture.mp4", nil)
					req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", start, start+size-1))
					res, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					n, _ := io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusPartialContent || n != int64(size) {
						b.Fatalf("%d, %d bytes", res.StatusCode, n)
					}
				}
			})
		})
	}
}

// random returns incompressible bytes.
func random(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1})
	_, _ = r.Read(b)
	return b
}
