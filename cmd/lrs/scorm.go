package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/scorm"
	scormhttp "github.com/yrkesresan/lrs/scorm/httpapi"
	"github.com/yrkesresan/lrs/web"
)

// scormConfig is the configuration of SCORM hosting.
type scormConfig struct {
	webDir       string
	contentURL   string
	maxPackageMB string
}

func scormFlags(fs *flag.FlagSet, cfg *config) {
	fs.StringVar(&cfg.scorm.webDir, "scorm-web-dir", env("LRS_SCORM_WEB_DIR", "./web/node_modules/scorm-again/dist"),
		"directory holding scorm-again's dist files, which the SCORM player loads (LRS_SCORM_WEB_DIR)")
	fs.StringVar(&cfg.scorm.contentURL, "scorm-content-url", env("LRS_SCORM_CONTENT_URL", ""),
		"public URL of a separate origin for the SCORM player and package content; default: the base URL (LRS_SCORM_CONTENT_URL)")
	fs.StringVar(&cfg.scorm.maxPackageMB, "scorm-max-package-mb", env("LRS_SCORM_MAX_PACKAGE_MB", "1024"),
		"largest package zip accepted, in MiB (LRS_SCORM_MAX_PACKAGE_MB)")
}

// openSCORM returns the SCORM service over the store.
func openSCORM(ctx context.Context, cfg config, store lrs.Store, svc *lrs.Service, log *slog.Logger) (*scorm.Service, error) {
	maxMB, err := strconv.ParseInt(cfg.scorm.maxPackageMB, 10, 64)
	if err != nil || maxMB < 1 {
		return nil, fmt.Errorf("-scorm-max-package-mb must be a positive number of MiB")
	}
	content := strings.TrimRight(cfg.scorm.contentURL, "/")
	if content != "" && !strings.HasPrefix(content, "http://") && !strings.HasPrefix(content, "https://") {
		return nil, fmt.Errorf("-scorm-content-url must be an http(s) URL")
	}
	return scorm.New(ctx, store, svc, scorm.Config{
		BaseURL:    cfg.defaultBaseURL(),
		ContentURL: content,
		SpoolDir:   filepath.Join(cfg.data, "spool"),
		Limits:     scorm.Limits{MaxUploadBytes: maxMB << 20},
		Log:        log,
	})
}

// scormHandler wires SCORM hosting for serve.
func scormHandler(ctx context.Context, cfg config, store lrs.Store, svc *lrs.Service, auth *lrs.Authenticator, log *slog.Logger) (*scormhttp.Handler, error) {
	s, err := openSCORM(ctx, cfg, store, svc, log)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(cfg.scorm.webDir, "scorm-again.min.js")); err != nil {
		log.Warn("the SCORM player cannot run until scorm-again is installed: npm ci --prefix web, or set -scorm-web-dir", "dir", cfg.scorm.webDir)
	}
	if sc := s.Config(); sameOrigin(sc.ContentURL, sc.BaseURL) {
		// Fine for trying the server out (the README's one-command start); not for real learners.
		log.Warn("SECURITY: SCORM package content is served on the same origin as the xAPI API and the progress/report APIs: "+
			"scripts in an uploaded package run there, and a browser that holds cached HTTP Basic credentials for /xapi, /api or the reports may send them with those scripts' requests. "+
			"In production set -scorm-content-url (LRS_SCORM_CONTENT_URL) to a separate host name for this server; see docs/scorm.md",
			"base_url", sc.BaseURL)
	}
	return scormhttp.New(scormhttp.Config{WebDir: cfg.scorm.webDir, Player: web.Player()}, s, auth, log), nil
}

// sameOrigin reports whether the content URL serves from the base URL's origin (scheme, host and
// port), where package scripts can call the APIs.
func sameOrigin(content, base string) bool {
	c, err1 := url.Parse(content)
	b, err2 := url.Parse(base)
	if content == "" || err1 != nil || err2 != nil {
		return true
	}
	return strings.EqualFold(c.Scheme, b.Scheme) && strings.EqualFold(c.Host, b.Host)
}

const packagesUsage = `usage: lrs packages import [-data DIR] [-base-url URL] FILE.zip | list`

// packages is `lrs packages`: import a SCORM package zip straight into the store (the server
// may be running), or list the packages.
func packages(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(packagesUsage)
	}
	var cfg config
	fs := flag.NewFlagSet("packages "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeFlags(fs, &cfg)
	fs.StringVar(&cfg.baseURL, "base-url", env("LRS_BASE_URL", ""),
		"public URL of the server, as serve has it: it names the course IRIs (LRS_BASE_URL)")
	scormFlags(fs, &cfg)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg.addr = env("LRS_ADDR", ":8080")
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := openSCORM(ctx, cfg, store, lrs.NewService(store, lrs.Options{Log: log}), log)
	if err != nil {
		return err
	}
	switch {
	case args[0] == "import" && fs.NArg() == 1:
		return packagesImport(ctx, s, fs.Arg(0), stdout, stderr)
	case args[0] == "list" && fs.NArg() == 0:
		return packagesList(ctx, s, stdout)
	}
	return errors.New(packagesUsage)
}

func packagesImport(ctx context.Context, s *scorm.Service, file string, stdout, stderr io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	bar := &progressBar{w: stderr}
	res, err := s.ImportFile(ctx, f, st.Size(), bar.update)
	bar.finish()
	var pe *scorm.ProblemsError
	if errors.As(err, &pe) {
		fmt.Fprintf(stderr, "%s was refused:\n", file)
		for _, p := range pe.Problems {
			fmt.Fprintf(stderr, "  %s\n", p)
		}
		return fmt.Errorf("%d problem(s) in the package", len(pe.Problems))
	}
	if err != nil {
		return err
	}
	verb := "imported as"
	if !res.Created {
		verb = "already imported as"
	}
	fmt.Fprintf(stdout, "%s %s package %s version %d (SCORM %s, %d files)\ncourse IRI: %s\n",
		file, verb, res.Package.ID, res.Version.Version, res.Version.Manifest.Version, len(res.Version.Files), res.Version.CourseIRI)
	return nil
}

func packagesList(ctx context.Context, s *scorm.Service, stdout io.Writer) error {
	ids, err := s.Packages(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tVERSION\tSCORM\tTITLE\tCOURSE IRI")
	for _, id := range ids {
		p, pv, err := s.Package(ctx, id, 0)
		if errors.Is(err, lrs.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", p.ID, pv.Version, pv.Manifest.Version, pv.Manifest.Title, pv.CourseIRI)
	}
	return tw.Flush()
}

// progressBar draws an import's progress on one terminal line, at most ten times a second.
type progressBar struct {
	w     io.Writer
	stage string
	last  time.Time
}

func (b *progressBar) update(stage string, done, total int64) {
	if stage == b.stage && time.Since(b.last) < 100*time.Millisecond && done < total {
		return
	}
	if b.stage != "" && stage != b.stage {
		fmt.Fprintln(b.w)
	}
	b.stage, b.last = stage, time.Now()
	pct := int64(100)
	if total > 0 {
		pct = done * 100 / total
	}
	fmt.Fprintf(b.w, "\r%-8s [%-30s] %3d%%  %.1f / %.1f MiB", stage, strings.Repeat("#", int(pct*30/100)), pct, float64(done)/(1<<20), float64(total)/(1<<20))
}

func (b *progressBar) finish() {
	if b.stage != "" {
		fmt.Fprintln(b.w)
	}
}
