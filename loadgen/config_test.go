package loadgen

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    func(*Config) // edits DefaultConfig into the expected config
		wantErr string
	}{
		{name: "defaults", want: func(*Config) {}},
		{
			name: "all flags",
			args: []string{"-url", "http://127.0.0.1:9000/xapi/", "-key", "k", "-secret", "s",
				"-xapi-version", "2.0.0", "-mode", "single", "-batch", "10", "-concurrency", "3",
				"-rate", "250.5", "-n", "1000", "-duration", "5s", "-timeout", "2s", "-learners", "7",
				"-activities", "30", "-seed", "42", "-warmup", "5"},
			want: func(c *Config) {
				c.URL, c.Key, c.Secret, c.XAPIVersion, c.Mode = "http://127.0.0.1:9000/xapi/", "k", "s", "2.0.0", ModeSingle
				c.Batch, c.Concurrency, c.Rate, c.N, c.Duration, c.Timeout = 10, 3, 250.5, 1000, 5*time.Second, 2*time.Second
				c.Learners, c.Activities, c.Seed, c.Warmup = 7, 30, 42, 5
			},
		},
		{
			name: "environment",
			env:  map[string]string{"LRS_BENCH_URL": "http://[::1]:8080/xapi", "LRS_API_KEY": "ek", "LRS_API_SECRET": "es"},
			want: func(c *Config) { c.URL, c.Key, c.Secret = "http://[::1]:8080/xapi", "ek", "es" },
		},
		{
			name: "flags win over environment",
			args: []string{"-url", "http://localhost:1/x", "-key", "fk"},
			env:  map[string]string{"LRS_BENCH_URL": "http://127.0.0.1:2/y", "LRS_API_KEY": "ek", "LRS_API_SECRET": "es"},
			want: func(c *Config) { c.URL, c.Key, c.Secret = "http://localhost:1/x", "fk", "es" },
		},
		{
			name: "remote allowed",
			args: []string{"-url", "https://lrs.example.com/xapi", "-allow-remote"},
			want: func(c *Config) { c.URL, c.AllowRemote = "https://lrs.example.com/xapi", true },
		},
		{name: "remote refused", args: []string{"-url", "https://lrs.example.com/xapi"}, wantErr: "not loopback"},
		{name: "remote from environment refused", env: map[string]string{"LRS_BENCH_URL": "http://10.0.0.1/xapi"}, wantErr: "not loopback"},
		{name: "bad mode", args: []string{"-mode", "stream"}, wantErr: "-mode"},
		{name: "bad version", args: []string{"-xapi-version", "0.95"}, wantErr: "-xapi-version"},
		{name: "zero batch", args: []string{"-batch", "0"}, wantErr: "-batch"},
		{name: "zero concurrency", args: []string{"-concurrency", "0"}, wantErr: "-concurrency"},
		{name: "negative rate", args: []string{"-rate", "-1"}, wantErr: "-rate"},
		{name: "zero n", args: []string{"-n", "0"}, wantErr: "-n"},
		{name: "no duration", args: []string{"-duration", "0s"}, wantErr: "-duration"},
		{name: "zero learners", args: []string{"-learners", "0"}, wantErr: "-learners"},
		{name: "zero activities", args: []string{"-activities", "0"}, wantErr: "-activities"},
		{name: "negative warmup", args: []string{"-warmup", "-2"}, wantErr: "-warmup"},
		{name: "relative URL", args: []string{"-url", "/xapi"}, wantErr: "absolute"},
		{name: "unknown flag", args: []string{"-bogus"}, wantErr: "bogus"},
		{name: "stray argument", args: []string{"batch"}, wantErr: "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFlags(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := DefaultConfig()
			tt.want(&want)
			if got != want {
				t.Errorf("config\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LocalHost", true},
		{"127.0.0.1", true},
		{"127.255.3.4", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"128.0.0.1", false},
		{"10.0.0.1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"localhost.example.com", false},
		{"example.com", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isLoopback(tt.host); got != tt.want {
			t.Errorf("isLoopback(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestRunRefusesRemote(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL = "http://192.0.2.1/xapi"
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "not loopback") {
		t.Fatalf("Run error = %v, want a refusal", err)
	}
}

func TestMainHelp(t *testing.T) {
	var stdout, stderr strings.Builder
	err := Main(context.Background(), []string{"-h"}, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Main(-h) = %v, want flag.ErrHelp", err)
	}
	if !strings.Contains(stderr.String(), "-concurrency") || stdout.Len() != 0 {
		t.Errorf("usage went to stderr %q / stdout %q", stderr.String(), stdout.String())
	}
}
