package progress_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/yrkesresan/lrs/loadgen"
	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/sqlite"
	"github.com/yrkesresan/lrs/progress"
)

// BenchmarkWrite measures batches of 100 `lrs bench` statements through the core on SQLite, four
// writers at a time as in docs/benchmarks.md, with the roll-ups and without
// (go test ./progress -run '^$' -bench Write -benchtime 400x).
func BenchmarkWrite(b *testing.B) {
	for _, rollups := range []bool{false, true} {
		name := "rollups=off"
		if rollups {
			name = "rollups=on"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "lrs.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			opts := lrs.Options{}
			if rollups {
				places, _ := progress.LoadPlaces()
				tr, err := progress.New(ctx, store, places, progress.Config{})
				if err != nil {
					b.Fatal(err)
				}
				src, err := os.ReadFile("../docs/bench-catalog.yaml")
				if err != nil {
					b.Fatal(err)
				}
				c, err := progress.ParseCatalog(src)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tr.ApplyCatalog(ctx, c); err != nil {
					b.Fatal(err)
				}
				opts.Observer = tr
			}
			svc := lrs.NewService(store, opts)
			g := loadgen.NewGenerator(50000, 500, 1)
			client := lrs.Client{Key: "k", Org: "0180"}
			batches := make(chan []map[string]any, b.N)
			for range b.N {
				v, err := lrs.DecodeJSON(g.AppendBatch(nil, 100))
				if err != nil {
					b.Fatal(err)
				}
				var batch []map[string]any
				for _, st := range v.([]any) {
					batch = append(batch, st.(map[string]any))
				}
				batches <- batch
			}
			close(batches)
			b.ResetTimer()
			b.SetParallelism(2) // 4 writers on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := lrs.WriteRequest{Statements: <-batches, Version: lrs.Version103, Client: client, Authority: client.Authority("http://x")}
					if _, err := svc.WriteStatements(ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
